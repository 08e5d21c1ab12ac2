package handlers

import (
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"plaza/lake"
	"plaza/models"
	"plaza/views"
)

func asValidation(err error, v **models.ValidationError) bool { return errors.As(err, v) }

// apiError is the JSON body of every API error.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code      string            `json:"code"`
	Message   string            `json:"message"`
	Field     string            `json:"field,omitempty"`
	Fields    map[string]string `json:"fields,omitempty"`
	Existing  *existingJSON     `json:"existing,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
}

// existingJSON names the open request or active grant that makes a new
// access request a duplicate.
type existingJSON struct {
	Request   uint       `json:"request,omitempty"`
	Grant     uint       `json:"grant,omitempty"`
	Status    string     `json:"status"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// handleError maps every error a handler returns to a status and a page (or
// JSON under /api). Unexpected errors are logged with the request id and
// shown as a plain page with that id.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var moved *redirectError
	if errors.As(err, &moved) {
		if werr := c.Redirect(http.StatusMovedPermanently, moved.to); werr != nil {
			s.log.Error("write redirect", "err", werr)
		}
		return
	}
	reqID := c.Response().Header().Get(echo.HeaderXRequestID)
	status, body := classify(err)
	if status == http.StatusInternalServerError {
		s.log.Error("request failed", "request_id", reqID, "method", c.Request().Method,
			"uri", c.Request().RequestURI, "err", err)
		body.Message = "Something went wrong on our side. It has been logged."
	}
	body.RequestID = reqID
	if isAPI(c) {
		if status == http.StatusUnauthorized {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="plaza"`)
		}
		if werr := c.JSON(status, apiError{Error: body}); werr != nil {
			s.log.Error("write error response", "err", werr)
		}
		return
	}
	if status == http.StatusUnauthorized && c.Request().Method == http.MethodGet {
		if werr := c.Redirect(http.StatusSeeOther, "/signin"); werr != nil {
			s.log.Error("write error response", "err", werr)
		}
		return
	}
	page := views.ErrorPageData{Status: status, Title: titleFor(status), Message: body.Message}
	if status >= 500 {
		page.RequestID = reqID
	}
	if c.Request().Method == http.MethodHead {
		c.NoContent(status)
		return
	}
	if werr := render(c, status, views.ErrorPage(s.shell(c, page.Title, ""), page)); werr != nil {
		s.log.Error("render error page", "err", werr)
		c.String(status, page.Title)
	}
}

// classify turns an error into a status and a body for the user.
func classify(err error) (int, apiErrorBody) {
	var v *models.ValidationError
	var he *echo.HTTPError
	var exists *models.ExistingAccessError
	var noAccess *models.NoAccessError
	var sqlErr *lake.SQLError
	var limit *lake.LimitError
	var busy *busyError
	switch {
	case errors.As(err, &v):
		f, msg := v.First()
		return http.StatusUnprocessableEntity, apiErrorBody{Code: "invalid", Message: msg, Field: f, Fields: v.Fields}
	case errors.As(err, &exists):
		return http.StatusConflict, apiErrorBody{Code: "exists", Message: sentence(exists.Error()), Existing: existingOf(exists)}
	case errors.As(err, &noAccess):
		return http.StatusForbidden, apiErrorBody{Code: "no_access", Message: sentence(noAccess.Error())}
	case errors.As(err, &sqlErr):
		return http.StatusUnprocessableEntity, apiErrorBody{Code: "sql_error", Message: sqlErr.Message, Field: "sql"}
	case errors.As(err, &limit):
		return http.StatusUnprocessableEntity, apiErrorBody{Code: "limit", Message: limit.Message, Field: "sql"}
	case errors.As(err, &busy):
		return http.StatusTooManyRequests, apiErrorBody{Code: "busy", Message: busy.Error()}
	case errors.Is(err, errQueryCancelled):
		return http.StatusConflict, apiErrorBody{Code: "cancelled", Message: "The query was cancelled."}
	case errors.Is(err, models.ErrConflict):
		return http.StatusConflict, apiErrorBody{Code: "conflict", Message: conflictMessage(err)}
	case errors.Is(err, models.ErrNotFound):
		return http.StatusNotFound, apiErrorBody{Code: "not_found", Message: "We could not find what you asked for. It may have been renamed or removed."}
	case errors.Is(err, models.ErrForbidden):
		return http.StatusForbidden, apiErrorBody{Code: "forbidden", Message: "You do not have permission to do this. Ask an admin or the team's owner if you need it."}
	case errors.Is(err, models.ErrSessionExpired):
		return http.StatusUnauthorized, apiErrorBody{Code: "session_expired", Message: "Your session expired. Sign in again; what you typed was not saved."}
	case errors.Is(err, models.ErrUnauthenticated):
		return http.StatusUnauthorized, apiErrorBody{Code: "unauthenticated", Message: "Sign in to continue. API calls need a valid personal access token (Authorization: Bearer plz_...)."}
	case errors.Is(err, errCSRF):
		return http.StatusForbidden, apiErrorBody{Code: "csrf", Message: "This form expired or was sent from another site. Go back, reload the page and try again."}
	case errors.Is(err, errBadJSON):
		return http.StatusBadRequest, apiErrorBody{Code: "bad_request", Message: err.Error()}
	case errors.As(err, &he):
		switch he.Code {
		case http.StatusNotFound:
			return he.Code, apiErrorBody{Code: "not_found", Message: "There is no page at this address."}
		case http.StatusMethodNotAllowed:
			return he.Code, apiErrorBody{Code: "method_not_allowed", Message: "This address does not accept that kind of request."}
		case http.StatusRequestEntityTooLarge:
			return he.Code, apiErrorBody{Code: "too_large", Message: "The request is larger than this page accepts (4 MB for forms, 1 MiB for a contract). Send less, or split it."}
		}
		if he.Code < 500 {
			return he.Code, apiErrorBody{Code: "bad_request", Message: "The request could not be understood."}
		}
	}
	return http.StatusInternalServerError, apiErrorBody{Code: "internal"}
}

// conflictMessage is the message of the error that made err a conflict,
// without the context later wrappers added ("decide access request: ...").
// A bare models.ErrConflict, which says nothing to a person, gets a
// general message.
func conflictMessage(err error) string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if msg := e.Error(); errors.Unwrap(e) == models.ErrConflict && !strings.HasSuffix(msg, models.ErrConflict.Error()) {
			return sentence(msg)
		}
	}
	return "This changed in the meantime. Reload it and try again."
}

func existingOf(e *models.ExistingAccessError) *existingJSON {
	switch {
	case e.Grant != nil:
		return &existingJSON{Grant: e.Grant.ID, Status: e.Grant.Status, ExpiresAt: &e.Grant.ExpiresAt}
	case e.Request != nil:
		return &existingJSON{Request: e.Request.ID, Status: e.Request.Status}
	}
	return nil
}

// sentence starts msg with a capital letter and ends it with a full stop,
// for model messages written to be wrapped ("you already asked ...").
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	r, n := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[n:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

func titleFor(status int) string {
	switch status {
	case http.StatusNotFound:
		return "Page not found"
	case http.StatusForbidden:
		return "You do not have access"
	case http.StatusUnauthorized:
		return "Sign in required"
	case http.StatusUnprocessableEntity:
		return "Please check what you entered"
	case http.StatusInternalServerError:
		return "Something went wrong"
	}
	return http.StatusText(status)
}
