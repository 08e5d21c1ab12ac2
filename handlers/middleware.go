package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"plaza/models"
)

// Keys of values middleware stores on the echo context.
const (
	ctxUser         = "plaza.user"
	ctxCSRF         = "plaza.csrf"
	ctxPendingFlash = "plaza.flashes"
	ctxExpired      = "plaza.expired"
)

// currentUser returns the signed-in user, or nil.
func currentUser(c echo.Context) *models.User {
	u, _ := c.Get(ctxUser).(*models.User)
	return u
}

func isAPI(c echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/api/") }

// headAsGet answers HEAD like GET: echo routes HEAD only where it is
// registered, and net/http drops the body of a response to HEAD. The copy
// keeps the original request, whose method net/http checks, untouched.
func (s *Server) headAsGet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method != http.MethodHead {
			return next(c)
		}
		get := r.Clone(r.Context())
		get.Method = http.MethodGet
		s.echo.ServeHTTP(c.Response().Writer, get)
		return nil
	}
}

// saneRequestID drops an incoming X-Request-Id that is not a short plain
// token, so RequestID makes a fresh one: the id is stored with audit events
// (at most 64 characters) and shown on error pages.
func saneRequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header
		if id := h.Get(echo.HeaderXRequestID); id != "" && !plainToken(id, 64) {
			h.Del(echo.HeaderXRequestID)
		}
		return next(c)
	}
}

// plainToken reports whether s is 1 to max letters, digits, '-', '_', '.' or ':'.
func plainToken(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:", r)
		if !ok {
			return false
		}
	}
	return true
}

// withRequestContext puts the request id into the request's context, where
// models find it for the audit log.
func withRequestContext(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Response().Header().Get(echo.HeaderXRequestID)
		r := c.Request()
		c.SetRequest(r.WithContext(models.WithRequestID(r.Context(), id)))
		return next(c)
	}
}

// requestLogger writes one structured line per request.
func (s *Server) requestLogger() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogURI: true, LogMethod: true, LogLatency: true, LogRequestID: true, LogError: true,
		HandleError: true,
		Skipper: func(c echo.Context) bool {
			p := c.Request().URL.Path
			return strings.HasPrefix(p, "/static/") || p == "/healthz" || p == "/metrics"
		},
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			attrs := []any{"method", v.Method, "uri", v.URI, "status", v.Status,
				"ms", v.Latency.Milliseconds(), "request_id", v.RequestID}
			if u := currentUser(c); u != nil {
				attrs = append(attrs, "user", u.Email)
			}
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
				if v.Error != nil {
					attrs = append(attrs, "err", v.Error.Error())
				}
			}
			s.log.Log(c.Request().Context(), level, "request", attrs...)
			return nil
		},
	})
}

// csrf protects every state-changing browser request. The API is exempt:
// it authenticates with bearer tokens, which a browser never sends on its own.
func (s *Server) csrf() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		Skipper: isAPI,
		// The query comes before the form so that a streamed upload (a
		// multipart body) is not read whole to find the token.
		TokenLookup:    "header:X-CSRF-Token,query:_csrf,form:_csrf",
		ContextKey:     ctxCSRF,
		CookieName:     "plaza_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   s.Opts.SecureCookies,
		CookieSameSite: http.SameSiteLaxMode,
		ErrorHandler: func(err error, c echo.Context) error {
			return errCSRF
		},
	})
}

// errCSRF is returned for a form without a valid CSRF token.
var errCSRF = errors.New("csrf token missing or invalid")

// authenticate loads the user behind the session cookie or, on the API, the
// bearer token. A bad or expired credential leaves no user; the route groups
// decide what that means.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		if isAPI(c) {
			h := c.Request().Header.Get(echo.HeaderAuthorization)
			if token, ok := strings.CutPrefix(h, "Bearer "); ok {
				u, err := s.Store.UserByToken(ctx, strings.TrimSpace(token))
				if err != nil && !models.IsUnauthenticated(err) {
					return err
				}
				c.Set(ctxUser, u)
			}
			return next(c)
		}
		var secret string
		if s.readCookie(c, sessionCookie, &secret) {
			u, err := s.Store.UserBySession(ctx, secret)
			switch {
			case err == nil:
				c.Set(ctxUser, u)
			case errors.Is(err, models.ErrSessionExpired):
				s.clearCookie(c, sessionCookie)
				c.Set(ctxExpired, true)
			case models.IsUnauthenticated(err):
				s.clearCookie(c, sessionCookie)
			default:
				return err
			}
		}
		return next(c)
	}
}

// requireUser sends anonymous browsers to the sign-in page and answers the
// API with 401.
func (s *Server) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) != nil {
			return next(c)
		}
		if isAPI(c) {
			return models.ErrUnauthenticated
		}
		if c.Get(ctxExpired) == true {
			s.flash(c, "info", "Your session expired. Sign in again to continue.")
		}
		if c.Request().Method != http.MethodGet {
			return models.ErrUnauthenticated
		}
		return c.Redirect(http.StatusSeeOther, "/signin?next="+url.QueryEscape(c.Request().URL.RequestURI()))
	}
}

// require checks a site-wide permission before the handler runs.
func require(act models.Action) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := models.Authorize(currentUser(c), act, nil); err != nil {
				return err
			}
			return next(c)
		}
	}
}

// safeNext keeps a post-sign-in redirect on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}
