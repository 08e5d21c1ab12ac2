package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"plaza/models"
	"plaza/views"
	"plaza/views/admin"
)

// auditQuery is the audit log's filter as it appears in the URL.
type auditQuery struct {
	Actor      string `query:"actor"`
	Action     string `query:"action"`
	ObjectType string `query:"type"`
	Object     string `query:"object"`
	Since      string `query:"since"` // YYYY-MM-DD
	Until      string `query:"until"` // YYYY-MM-DD, inclusive
}

// filter parses the query; bad dates are reported by field.
func (q auditQuery) filter() (models.AuditFilter, error) {
	f := models.AuditFilter{Actor: q.Actor, Action: q.Action, ObjectType: q.ObjectType, Object: q.Object}
	v := &models.ValidationError{}
	if q.Since != "" {
		t, err := time.Parse(time.DateOnly, q.Since)
		if err != nil {
			v.Add("since", "Use a date like 2026-01-31.")
		}
		f.Since = t
	}
	if q.Until != "" {
		t, err := time.Parse(time.DateOnly, q.Until)
		if err != nil {
			v.Add("until", "Use a date like 2026-01-31.")
		}
		f.Until = t.AddDate(0, 0, 1)
	}
	return f, v.OrNil()
}

func (q auditQuery) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"actor": q.Actor, "action": q.Action, "type": q.ObjectType, "object": q.Object, "since": q.Since, "until": q.Until} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// AuditIndex is the admin's audit log, filtered by the URL.
func (s *Server) AuditIndex(c echo.Context) error {
	ctx := c.Request().Context()
	var q auditQuery
	if err := (&echo.DefaultBinder{}).BindQueryParams(c, &q); err != nil {
		return err
	}
	data := admin.AuditData{Query: admin.AuditQuery(q)}
	f, err := q.filter()
	status := http.StatusOK
	if errs, ok := formErrors(err); ok {
		data.Errors, status = errs, http.StatusUnprocessableEntity
	} else {
		data.Events, data.Page, err = s.Store.ListAudit(ctx, currentUser(c), f, models.NewPage(queryInt(c, "page", 1), 50))
		if err != nil {
			return err
		}
	}
	if data.Actions, err = s.Store.AuditActions(ctx); err != nil {
		return err
	}
	data.PageHref = func(n int) string {
		v := q.values()
		v.Set("page", strconv.Itoa(n))
		return "/admin/audit?" + v.Encode()
	}
	return render(c, status, admin.Audit(s.shell(c, "Audit log", views.NavAdmin, adminCrumb), data))
}
