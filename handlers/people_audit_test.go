package handlers

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"plaza/models"
)

// An admin adds a person before their first sign-in; an email already
// known (in any case) is refused by the field.
func TestPersonCreate(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		admin := e.as(adminEmail)
		p, h := admin.postH("/admin/people", f("email", " New.Hire@Northwind.example ", "name", "Nia Hire", "title", "Analyst"))
		wantRedirect(t, "add person", p, "/admin/people")
		page := admin.get(p.Location)
		wantFlash(t, page, "success", "Nia Hire added.")
		if row := page.Text("person-new.hire@northwind.example"); !strings.Contains(row, "Nia Hire") || !strings.Contains(row, "user") {
			t.Errorf("people row %q, want Nia Hire listed as a user", row)
		}
		u := e.user("new.hire@northwind.example")
		if u.Name != "Nia Hire" || u.Title != "Analyst" || u.IsAdmin || !u.Active() {
			t.Errorf("row %+v, want the name and title, no admin, active", u)
		}
		if evs := e.audits("user.create", "new.hire@northwind.example"); len(evs) != 1 || evs[0].RequestID != h.Get("X-Request-Id") {
			t.Errorf("user.create events %+v, want one with request id %q", evs, h.Get("X-Request-Id"))
		}

		users, audits := e.count(&models.User{}, ""), e.count(&models.AuditEvent{}, "")
		for _, tc := range []struct{ email, want string }{
			{"LEO.MARTINS@northwind.example", "A person with this email already exists."},
			{"not an email", "Enter an email address"},
			{"", "Email is required."},
		} {
			p := admin.post("/admin/people", f("email", tc.email, "name", "Someone"))
			wantStatus(t, tc.email, p, http.StatusUnprocessableEntity)
			if got := p.Text("error-email"); !strings.Contains(got, tc.want) {
				t.Errorf("%q: error-email %q, want %q", tc.email, got, tc.want)
			}
			if got := p.valueIn("add-person", "email"); got != tc.email {
				t.Errorf("%q: the email input holds %q", tc.email, got)
			}
			if got := p.valueIn("add-person", "name"); got != "Someone" {
				t.Errorf("%q: the name input holds %q", tc.email, got)
			}
		}
		if n := e.count(&models.User{}, ""); n != users {
			t.Errorf("users %d -> %d after refused forms", users, n)
		}
		if n := e.count(&models.AuditEvent{}, ""); n != audits {
			t.Errorf("audit events %d -> %d after refused forms", audits, n)
		}
	})
}

// Admins make and unmake admins, but never unmake themselves.
func TestPersonAdminRole(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		admin, leo := e.as(adminEmail), e.as(userEmail)
		leoID, alexID := e.user(userEmail).ID, e.user(adminEmail).ID
		if p := leo.get("/admin"); p.Status != http.StatusForbidden {
			t.Fatalf("Leo on /admin before: %d, want 403", p.Status)
		}

		p := admin.post(personPath(leoID, "admin"), f("admin", "true"))
		wantRedirect(t, "make admin", p, "/admin/people")
		page := admin.get(p.Location)
		wantFlash(t, page, "success", "Leo Martins is now an admin.")
		if !page.Has("unadmin-" + userEmail) {
			t.Error("Leo's row does not offer Remove admin")
		}
		if !e.user(userEmail).IsAdmin {
			t.Fatal("is_admin is not set")
		}
		if p := leo.get("/admin"); p.Status != http.StatusOK {
			t.Errorf("Leo on /admin as admin: %d, want 200 (his existing session)", p.Status)
		}
		if len(e.audits("user.admin.grant", userEmail)) != 1 {
			t.Error("no user.admin.grant event")
		}

		p = admin.post(personPath(leoID, "admin"), f("admin", "false"))
		wantRedirect(t, "remove admin", p, "/admin/people")
		wantFlash(t, admin.get(p.Location), "success", "Leo Martins is no longer an admin.")
		if e.user(userEmail).IsAdmin {
			t.Fatal("is_admin is still set")
		}
		if p := leo.get("/admin"); p.Status != http.StatusForbidden {
			t.Errorf("Leo on /admin after: %d, want 403", p.Status)
		}

		audits := e.count(&models.AuditEvent{}, "")
		page = admin.get("/admin/people")
		if page.Has("unadmin-"+adminEmail) || !strings.Contains(page.Text("person-"+adminEmail), "you") {
			t.Error("the admin's own row offers Remove admin")
		}
		for _, action := range []struct{ path, field, want string }{
			{personPath(alexID, "admin"), "admin", "You cannot remove your own admin role"},
			{personPath(alexID, "active"), "active", "You cannot deactivate yourself."},
		} {
			p = admin.post(action.path, f(action.field, "false"))
			wantRedirect(t, action.path, p, "/admin/people")
			wantFlash(t, admin.get(p.Location), "error", action.want)
		}
		if u := e.user(adminEmail); !u.IsAdmin || !u.Active() {
			t.Errorf("admin %v active %v after refusing to change themselves", u.IsAdmin, u.Active())
		}
		if n := e.count(&models.AuditEvent{}, ""); n != audits {
			t.Errorf("audit events %d -> %d after refused changes", audits, n)
		}
		if p := admin.post("/admin/people/999999/admin", f("admin", "true")); p.Status != http.StatusNotFound {
			t.Errorf("unknown person: %d, want 404", p.Status)
		}
		if p := admin.post("/admin/people/abc/admin", f("admin", "true")); p.Status != http.StatusNotFound {
			t.Errorf("non-numeric id: %d, want 404", p.Status)
		}
	})
}

// Deactivating a person ends what they hold: their open session and their tokens.
func TestPersonDeactivate(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		admin, leo := e.as(adminEmail), e.as(userEmail)
		token := e.token(userEmail)
		if p := leo.get("/profile"); p.Status != http.StatusOK {
			t.Fatalf("Leo's profile before: %d", p.Status)
		}
		if r := leo.call("GET", "/api/v1/me", token, ""); r.Status != http.StatusOK {
			t.Fatalf("Leo's token before: %d", r.Status)
		}

		p := admin.post(personPath(e.user(userEmail).ID, "active"), f("active", "false"))
		wantRedirect(t, "deactivate", p, "/admin/people")
		page := admin.get(p.Location)
		wantFlash(t, page, "success", "Leo Martins is deactivated")
		if row := page.Text("person-" + userEmail); !strings.Contains(row, "deactivated") || !strings.Contains(row, "Reactivate") {
			t.Errorf("row %q, want deactivated with Reactivate", row)
		}
		if e.user(userEmail).Active() {
			t.Fatal("deactivated_at is not set")
		}
		if len(e.audits("user.deactivate", userEmail)) != 1 {
			t.Error("no user.deactivate event")
		}

		p = leo.get("/profile")
		if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/signin") {
			t.Errorf("Leo's session after: %d to %q, want 303 to /signin", p.Status, p.Location)
		}
		if p := leo.post("/profile/tokens", f("name", "sneaky")); p.Status != http.StatusUnauthorized {
			t.Errorf("Leo posting after: %d, want 401", p.Status)
		}
		r := leo.call("GET", "/api/v1/me", token, "")
		if r.Status != http.StatusUnauthorized || apiErrorOf(t, r).Code != "unauthenticated" {
			t.Errorf("Leo's token after: %d %s, want 401 unauthenticated", r.Status, r.Body)
		}
		if n := e.count(&models.APIToken{}, "name = ?", "sneaky"); n != 0 {
			t.Error("a deactivated person created a token")
		}
		// Nor can they sign in again.
		p = e.anon().post("/signin/demo", f("email", userEmail))
		if p.Status == http.StatusSeeOther {
			t.Errorf("a deactivated persona signed in: 303 to %q", p.Location)
		}

		wantRedirect(t, "reactivate", admin.post(personPath(e.user(userEmail).ID, "active"), f("active", "true")), "/admin/people")
		if !e.user(userEmail).Active() {
			t.Error("still deactivated after Reactivate")
		}
	})
}

// The audit log's filters, read through the browser.
func TestAuditPageFilters(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		admin := e.as(adminEmail)
		// Something by someone other than the admin who seeded the company.
		wantRedirect(t, "owner adds", e.as(ownerEmail).post(salesAnalytics+"/members", f("email", userEmail, "role", "member")), salesAnalytics)

		// A row's cells: when, actor, action, object (its type, then its id), change.
		type row struct{ actor, action, objectType, object string }
		rows := func(p *page) []row {
			var out []row
			p.Doc.Find(`[data-testid="audit-row"]`).Each(func(_ int, s *goquery.Selection) {
				td := s.Find("td")
				typ := strings.TrimSpace(td.Eq(3).Find("span").First().Text())
				out = append(out, row{strings.TrimSpace(td.Eq(1).Text()), strings.TrimSpace(td.Eq(2).Text()),
					typ, strings.TrimPrefix(strings.TrimSpace(td.Eq(3).Text()), typ)})
			})
			return out
		}
		day := func(d int) string { return time.Now().UTC().AddDate(0, 0, d).Format(time.DateOnly) }
		var first, last models.AuditEvent
		// The demo's access stories are dated back weeks: the earliest and
		// latest moments, not the first and last ids, bound the log.
		e.DB.Order("at").First(&first)
		e.DB.Order("at DESC").First(&last)
		midnight := func(d int) time.Time {
			t, _ := time.Parse(time.DateOnly, day(d))
			return t
		}
		// until is inclusive: the days of the first and last events cover them all.
		span := "?since=" + first.At.UTC().Format(time.DateOnly) + "&until=" + last.At.UTC().Format(time.DateOnly)
		cases := []struct {
			query string
			where string // the same filter in SQL, to count the rows expected
			args  []any
			check func(row) bool
		}{
			{"", "", nil, func(row) bool { return true }},
			{"?action=domain", "action LIKE ?", []any{"domain.%"}, func(r row) bool { return strings.HasPrefix(r.action, "domain.") }},
			{"?action=member.add", "action = ?", []any{"member.add"}, func(r row) bool { return r.action == "member.add" }},
			{"?actor=sofia", "actor_email = ?", []any{ownerEmail}, func(r row) bool { return r.actor == ownerEmail }},
			{"?actor=SOFIA", "actor_email = ?", []any{ownerEmail}, func(r row) bool { return r.actor == ownerEmail }},
			{"?type=team", "object_type = ?", []any{"team"}, func(r row) bool { return r.objectType == "team" }},
			{"?object=customer", "object_id LIKE ?", []any{"%customer%"}, func(r row) bool { return strings.Contains(r.object, "customer") }},
			// Filters combine with AND: the admin did every domain.* change, Sofia none.
			{"?actor=sofia&action=domain", "1 = 0", nil, func(row) bool { return false }},
			{"?action=member&type=team&actor=sofia", "actor_email = ? AND action LIKE ?", []any{ownerEmail, "member.%"}, func(r row) bool {
				return r.actor == ownerEmail && strings.HasPrefix(r.action, "member.")
			}},
			{"?since=" + day(-1), "at >= ?", []any{midnight(-1)}, func(row) bool { return true }},
			{"?since=" + day(1), "1 = 0", nil, func(row) bool { return false }},
			{"?until=" + day(-1), "at < ?", []any{midnight(0)}, func(row) bool { return true }},
			{"?until=" + last.At.UTC().AddDate(0, 0, -400).Format(time.DateOnly), "1 = 0", nil, func(row) bool { return false }},
			{span, "", nil, func(row) bool { return true }},
		}
		for _, tc := range cases {
			total := e.count(&models.AuditEvent{}, tc.where, tc.args...)
			want := min(total, 50) // the first page
			p := admin.get("/admin/audit" + tc.query)
			wantStatus(t, tc.query, p, http.StatusOK)
			got := rows(p)
			if int64(len(got)) != want {
				t.Errorf("%q: %d rows, want %d", tc.query, len(got), want)
			}
			if total > 0 && !strings.HasPrefix(p.Text("pager"), fmt.Sprintf("%d result", total)) {
				t.Errorf("%q: pager says %q, want %d results", tc.query, p.Text("pager"), total)
			}
			for _, r := range got {
				if !tc.check(r) {
					t.Errorf("%q: row %+v does not match the filter", tc.query, r)
				}
			}
			if want == 0 && !p.Has("empty") {
				t.Errorf("%q: no empty state", tc.query)
			}
		}

		for _, q := range []string{"since=2026-13-45", "until=yesterday"} {
			field, _, _ := strings.Cut(q, "=")
			p := admin.get("/admin/audit?" + q)
			wantStatus(t, q, p, http.StatusUnprocessableEntity)
			if got := p.Text("error-" + field); got != "Use a date like 2026-01-31." {
				t.Errorf("%s: error-%s = %q", q, field, got)
			}
			if got := p.valueIn("audit-filters", field); got != strings.SplitN(q, "=", 2)[1] {
				t.Errorf("%s: the %s input holds %q, want what was typed", q, field, got)
			}
			if p.Has("audit-row") {
				t.Errorf("%s: events are listed under a bad filter", q)
			}
		}
	})
}

// The audit log is append-only through the web too: no route changes it.
func TestNoRouteChangesTheAuditLog(t *testing.T) {
	t.Parallel()
	e := freshEnv(t)
	var audit int
	for _, r := range e.Srv.Routes() {
		if !strings.Contains(r.Path, "audit") {
			continue
		}
		audit++
		if r.Method != http.MethodGet && !strings.HasPrefix(r.Method, "echo_route") {
			t.Errorf("route %s %s could change the audit log", r.Method, r.Path)
		}
	}
	if audit != 4 {
		t.Errorf("%d audit routes, want the page, its CSV export, the verification and the API listing", audit)
	}
	admin := e.as(adminEmail)
	token := e.token(adminEmail)
	var ev models.AuditEvent
	if err := e.DB.Order("id").First(&ev).Error; err != nil {
		t.Fatal(err)
	}
	audits := e.count(&models.AuditEvent{}, "")
	for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
		if p, _ := admin.send(m, "/admin/audit", f("action", "x"), nil); p.Status < 400 {
			t.Errorf("%s /admin/audit: %d", m, p.Status)
		}
		if r := admin.call(m, "/api/v1/audit", token, `{"action":"x"}`); r.Status < 400 {
			t.Errorf("%s /api/v1/audit: %d", m, r.Status)
		}
		if r := admin.call(m, "/api/v1/audit/"+idStr(ev.ID), token, `{"action":"x"}`); r.Status < 400 {
			t.Errorf("%s /api/v1/audit/%d: %d", m, ev.ID, r.Status)
		}
	}
	var after models.AuditEvent
	e.DB.First(&after, ev.ID)
	if after.Action != ev.Action || e.count(&models.AuditEvent{}, "") != audits {
		t.Error("the audit log changed")
	}
}
