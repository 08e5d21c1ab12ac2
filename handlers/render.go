package handlers

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"plaza/models"
	"plaza/views"
)

// render writes component with status. It renders into a buffer first, so a
// failure halfway never sends half a page.
func render(c echo.Context, status int, component templ.Component) error {
	var buf bytes.Buffer
	if err := component.Render(c.Request().Context(), &buf); err != nil {
		return err
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// shell gathers what the layout needs for this request.
func (s *Server) shell(c echo.Context, title, nav string, crumbs ...views.Crumb) views.Shell {
	u := currentUser(c)
	token, _ := c.Get(ctxCSRF).(string)
	var inbox int
	var unread int64
	if u != nil {
		// The badges are a courtesy: a failure to count must not fail the page.
		ctx := c.Request().Context()
		inbox, unread, _ = s.Store.Badges(ctx, u)
	}
	return views.Shell{
		Inbox:   inbox,
		Unread:  unread,
		Title:   title,
		Nav:     nav,
		User:    u,
		CSRF:    token,
		Flashes: s.takeFlashes(c),
		Demo:    s.Opts.Demo,
		IsAdmin: models.Can(u, models.ActAdminConsole, nil),
		Version: s.Opts.Version,
		Crumbs:  crumbs,
	}
}

// isHTMX reports whether htmx made the request (it wants a fragment).
func isHTMX(c echo.Context) bool { return c.Request().Header.Get("HX-Request") == "true" }

// redirect answers a successful form post: 303 to the next page, through
// HX-Redirect when htmx posted it.
func redirect(c echo.Context, to string) error {
	if isHTMX(c) {
		c.Response().Header().Set("HX-Redirect", to)
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// formErrors extracts field messages from a validation error; ok is false
// for any other error, which the caller returns as it is.
func formErrors(err error) (map[string]string, bool) {
	var v *models.ValidationError
	if asValidation(err, &v) {
		return v.Fields, true
	}
	return nil, false
}

// queryInt reads a positive integer query parameter, def when absent or bad.
func queryInt(c echo.Context, name string, def int) int {
	n, err := strconv.Atoi(c.QueryParam(name))
	if err != nil || n < 1 {
		return def
	}
	return n
}

// paramID reads a numeric path parameter; a bad one is a 404.
func paramID(c echo.Context, name string) (uint, error) {
	n, err := strconv.ParseUint(c.Param(name), 10, 64)
	if err != nil || n == 0 {
		return 0, models.ErrNotFound
	}
	return uint(n), nil
}
