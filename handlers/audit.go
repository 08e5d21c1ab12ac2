package handlers

import (
	"encoding/csv"
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
	Product    string `query:"product"` // domain/product
	Since      string `query:"since"`   // YYYY-MM-DD
	Until      string `query:"until"`   // YYYY-MM-DD, inclusive
}

// filter parses the query; bad dates are reported by field.
func (q auditQuery) filter() (models.AuditFilter, error) {
	f := models.AuditFilter{Actor: q.Actor, Action: q.Action, ObjectType: q.ObjectType, Object: q.Object, Product: q.Product}
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
	for k, s := range map[string]string{"actor": q.Actor, "action": q.Action, "type": q.ObjectType, "object": q.Object, "product": q.Product, "since": q.Since, "until": q.Until} {
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
	data.CSVHref = "/admin/audit.csv?" + q.values().Encode()
	return render(c, status, admin.Audit(s.shell(c, "Audit log", views.NavAdmin, adminCrumb), data))
}

// AuditCSV streams every event the filter matches as CSV, oldest first.
func (s *Server) AuditCSV(c echo.Context) error {
	var q auditQuery
	if err := (&echo.DefaultBinder{}).BindQueryParams(c, &q); err != nil {
		return err
	}
	f, err := q.filter()
	if err != nil {
		return err
	}
	u := currentUser(c)
	if err := models.Authorize(u, models.ActViewAudit, nil); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="plaza-audit-`+time.Now().UTC().Format("20060102-150405")+`.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	if err := w.Write([]string{"id", "at", "actor", "action", "object_type", "object_id", "before", "after", "request_id", "prev_hash", "hash"}); err != nil {
		return err
	}
	err = s.Store.EachAudit(c.Request().Context(), u, f, func(ev *models.AuditEvent) error {
		return w.Write([]string{strconv.FormatUint(uint64(ev.ID), 10), ev.At.UTC().Format(time.RFC3339Nano), ev.ActorEmail,
			ev.Action, ev.ObjectType, ev.ObjectID, csvSafe(ev.Before), csvSafe(ev.After), ev.RequestID, ev.PrevHash, ev.Hash})
	})
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	if err != nil {
		// The header is gone: all that is left is to stop and log.
		s.log.Error("export audit log", "err", err)
	}
	return nil
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(v string) string {
	if v != "" && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@') {
		return "'" + v
	}
	return v
}

// AuditVerify checks the audit log's hash chain and shows the result.
func (s *Server) AuditVerify(c echo.Context) error {
	res, err := s.Store.VerifyAudit(c.Request().Context(), currentUser(c))
	if err != nil {
		return err
	}
	crumbs := []views.Crumb{adminCrumb, {Label: "Audit log", Href: "/admin/audit"}, {Label: "Verify"}}
	return render(c, http.StatusOK, admin.AuditVerify(s.shell(c, "Verify the audit log", views.NavAdmin, crumbs...), *res))
}
