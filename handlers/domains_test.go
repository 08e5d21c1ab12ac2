package handlers

import (
	"net/http"
	"strings"
	"testing"

	"plaza/models"
)

// An admin creates a domain through the browser form: 303 to the domain's
// page, a flash there, the row, and one audit event naming the request.
func TestDomainCreate(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		admin := e.as(adminEmail)
		audits := e.count(&models.AuditEvent{}, "")

		p, h := admin.postH("/admin/domains", f("name", " Store Operations ", "slug", "store-ops",
			"description", "Tills, opening hours and staffing of the stores.", "contact_email", "Data-Stores@Northwind.example"))
		wantRedirect(t, "create domain", p, "/domains/store-ops")
		reqID := h.Get("X-Request-Id")
		if reqID == "" {
			t.Fatal("the POST has no X-Request-Id header")
		}

		next := admin.get(p.Location)
		wantStatus(t, "domain page", next, http.StatusOK)
		wantFlash(t, next, "success", "Domain Store Operations created.")
		if got := next.Text("page-title"); got != "Store Operations" {
			t.Errorf("page title %q, want %q", got, "Store Operations")
		}
		if again := admin.get(p.Location); len(again.flashes()) != 0 {
			t.Errorf("the flash is shown twice: %q", again.flashes())
		}

		d, ok := e.domain("store-ops")
		if !ok {
			t.Fatal("no domain row store-ops")
		}
		if d.Name != "Store Operations" || d.ContactEmail != "data-stores@northwind.example" || d.Archived() {
			t.Errorf("row = name %q contact %q archived %v; want the trimmed name, the lower-cased email, not archived",
				d.Name, d.ContactEmail, d.Archived())
		}
		evs := e.audits("domain.create", "store-ops")
		if len(evs) != 1 {
			t.Fatalf("%d domain.create events for store-ops, want 1", len(evs))
		}
		if evs[0].RequestID != reqID || evs[0].ActorEmail != adminEmail {
			t.Errorf("audit event request %q actor %q, want request %q (the response's X-Request-Id) actor %s",
				evs[0].RequestID, evs[0].ActorEmail, reqID, adminEmail)
		}
		if n := e.count(&models.AuditEvent{}, ""); n != audits+1 {
			t.Errorf("audit events %d -> %d, want exactly one more", audits, n)
		}
		if !strings.Contains(evs[0].After, `"name":"Store Operations"`) || evs[0].Before != "" {
			t.Errorf("audit before %q after %q, want no before and the new state after", evs[0].Before, evs[0].After)
		}

		// The new domain is on the browse grid for everyone.
		grid := e.as(userEmail).get("/domains")
		if !grid.Has("domain-store-ops") {
			t.Error("the new domain is missing from /domains")
		}
	})
}

// Bad input re-renders the form with 422, the message next to the field,
// what was typed, and writes nothing.
func TestDomainCreateInvalid(t *testing.T) {
	t.Parallel()
	valid := map[string]string{"name": "Store Operations", "slug": "store-ops",
		"description": "Tills and staffing.", "contact_email": "stores@northwind.example"}
	cases := []struct {
		name         string
		field, value string // the one field that differs from valid
		want         string // part of the message shown next to the field
	}{
		{"duplicate slug", "slug", "sales", `The slug "sales" is taken by another domain.`},
		{"empty name", "name", "", "Name is required."},
		{"blank name", "name", "   ", "Name is required."},
		{"81-character name", "name", strings.Repeat("n", 81), "Name must be at most 80 characters."},
		{"slug with a space and capitals", "slug", "Bad Slug", "Use lower-case letters, digits and single hyphens"},
		{"empty slug", "slug", "", "Slug is required."},
		{"41-character slug", "slug", "s" + strings.Repeat("x", 40), "Slug must be 2 to 40 characters."},
		{"bad contact email", "contact_email", "not-an-email", "Enter an email address"},
		{"2001-character description", "description", strings.Repeat("d", 2001), "Description must be at most 2000 characters."},
	}
	eachDB(t, func(t *testing.T, e *env) {
		admin := e.as(adminEmail)
		domains, audits := e.count(&models.Domain{}, ""), e.count(&models.AuditEvent{}, "")
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				form := f()
				for k, v := range valid {
					form.Set(k, v)
				}
				form.Set(tc.field, tc.value)
				p := admin.post("/admin/domains", form)
				wantStatus(t, "create", p, http.StatusUnprocessableEntity)
				if got := p.Text("error-" + tc.field); !strings.Contains(got, tc.want) {
					t.Errorf("error-%s = %q, want it to contain %q", tc.field, got, tc.want)
				}
				if !p.Has("form-error") || !p.Has("domain-form") {
					t.Error("the form and its error summary are not shown again")
				}
				for k := range valid {
					if got := p.value(k); got != form.Get(k) {
						t.Errorf("input %s holds %q, want what was typed: %q", k, got, form.Get(k))
					}
				}
				for k := range valid {
					if k != tc.field && p.Has("error-"+k) {
						t.Errorf("unexpected error next to %s: %q", k, p.Text("error-"+k))
					}
				}
			})
		}
		if n := e.count(&models.Domain{}, ""); n != domains {
			t.Errorf("domains %d -> %d after refused forms", domains, n)
		}
		if n := e.count(&models.AuditEvent{}, ""); n != audits {
			t.Errorf("audit events %d -> %d after refused forms", audits, n)
		}
	})
}

// A name of 80 characters is allowed, counted in characters, not bytes, on
// both databases (Postgres enforces varchar(80) in characters).
func TestDomainNameOf80Characters(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		name := strings.Repeat("é", 80)
		p := e.as(adminEmail).post("/admin/domains", f("name", name, "slug", "accents"))
		wantRedirect(t, "create", p, "/domains/accents")
		if d, ok := e.domain("accents"); !ok || d.Name != name {
			t.Errorf("row %v name %q, want the 80 characters kept", ok, d.Name)
		}
	})
}

// Non-admins cannot create domains, whatever they post.
func TestDomainCreateForbidden(t *testing.T) {
	t.Parallel()
	e := freshEnv(t)
	domains := e.count(&models.Domain{}, "")
	for _, email := range []string{userEmail, memberEmail, ownerEmail} {
		p := e.as(email).post("/admin/domains", f("name", "Store Operations", "slug", "store-ops"))
		wantStatus(t, email, p, http.StatusForbidden)
		if got := p.Text("error-status"); got != "403" {
			t.Errorf("%s: error-status %q, want 403", email, got)
		}
	}
	if n := e.count(&models.Domain{}, ""); n != domains {
		t.Errorf("domains %d -> %d after forbidden posts", domains, n)
	}
}

// htmx posts get 204 with HX-Redirect instead of a 303.
func TestDomainCreateHTMX(t *testing.T) {
	t.Parallel()
	e := freshEnv(t)
	admin := e.as(adminEmail)
	p, h := admin.send(http.MethodPost, "/admin/domains", f("name", "Store Operations", "slug", "store-ops"),
		http.Header{"Hx-Request": {"true"}})
	if p.Status != http.StatusNoContent || h.Get("HX-Redirect") != "/domains/store-ops" {
		t.Fatalf("htmx create: %d HX-Redirect %q, want 204 to /domains/store-ops", p.Status, h.Get("HX-Redirect"))
	}
	if _, ok := e.domain("store-ops"); !ok {
		t.Error("no row after the htmx create")
	}
	wantFlash(t, admin.get("/domains/store-ops"), "success", "Domain Store Operations created.")
}

// Editing a domain can change its slug: the address moves, the teams stay.
func TestDomainEdit(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		admin := e.as(adminEmail)
		before, _ := e.domain("sales")

		form := admin.get("/admin/domains/sales/edit")
		wantStatus(t, "edit form", form, http.StatusOK)
		if form.value("name") != "Sales" || form.value("slug") != "sales" || form.value("contact_email") != "data-sales@northwind.example" {
			t.Errorf("edit form holds name %q slug %q contact %q, want the domain's values",
				form.value("name"), form.value("slug"), form.value("contact_email"))
		}

		// A slug taken by another domain is refused and changes nothing.
		p := admin.post("/admin/domains/sales", f("name", "Sales", "slug", "customer", "description", "x"))
		wantStatus(t, "taken slug", p, http.StatusUnprocessableEntity)
		if !strings.Contains(p.Text("error-slug"), `"customer" is taken`) || p.value("slug") != "customer" {
			t.Errorf("error-slug %q value %q, want the taken message and the typed slug", p.Text("error-slug"), p.value("slug"))
		}
		if d, _ := e.domain("sales"); d.Description != before.Description {
			t.Errorf("description changed to %q by a refused edit", d.Description)
		}

		p, h := admin.postH("/admin/domains/sales", f("name", "Sales & Returns", "slug", "sales-and-returns",
			"description", "Orders and returns.", "contact_email", "sales@northwind.example"))
		wantRedirect(t, "edit", p, "/domains/sales-and-returns")
		next := admin.get(p.Location)
		wantFlash(t, next, "success", "Domain Sales & Returns saved.")
		if !next.Has("team-sales-analytics") || !next.Has("team-order-management") {
			t.Error("the renamed domain lost its teams")
		}

		after, ok := e.domain("sales-and-returns")
		if !ok || after.ID != before.ID || after.Name != "Sales & Returns" || after.Description != "Orders and returns." ||
			after.ContactEmail != "sales@northwind.example" {
			t.Fatalf("row after edit = %+v, want the same id %d with the new fields", after, before.ID)
		}
		if _, ok := e.domain("sales"); ok {
			t.Error("a domain with the old slug still exists")
		}
		if got := admin.get("/domains/sales"); got.Status != http.StatusNotFound {
			t.Errorf("old address: %d, want 404", got.Status)
		}
		if got := admin.get("/domains/sales-and-returns/teams/sales-analytics"); got.Status != http.StatusOK {
			t.Errorf("team under the new slug: %d, want 200", got.Status)
		}
		evs := e.audits("domain.update", "sales-and-returns")
		if len(evs) != 1 || evs[0].RequestID != h.Get("X-Request-Id") ||
			!strings.Contains(evs[0].Before, `"slug":"sales"`) || !strings.Contains(evs[0].After, `"slug":"sales-and-returns"`) {
			t.Errorf("domain.update events %+v, want one with the old and new slug and the request id %q", evs, h.Get("X-Request-Id"))
		}
	})
}

// Archive hides a domain from browsing; restore brings it back.
func TestDomainArchiveRestore(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		admin, user := e.as(adminEmail), e.as(userEmail)

		p := admin.post("/admin/domains/marketing/archive", nil)
		wantRedirect(t, "archive", p, "/admin/domains")
		list := admin.get(p.Location)
		wantFlash(t, list, "success", "Domain Marketing archived.")
		if row := list.Text("row-marketing"); !strings.Contains(row, "archived") {
			t.Errorf("admin row %q does not say archived", row)
		}
		if d, _ := e.domain("marketing"); !d.Archived() {
			t.Fatal("archived_at is not set")
		}
		if len(e.audits("domain.archive", "marketing")) != 1 {
			t.Error("no domain.archive event")
		}
		if user.get("/domains").Has("domain-marketing") {
			t.Error("the archived domain is still on the browse grid")
		}
		if page := user.get("/domains/marketing"); page.Status != http.StatusOK || !page.Has("archived-banner") {
			t.Errorf("archived domain page: %d banner %v, want 200 with the archived banner", page.Status, page.Has("archived-banner"))
		}
		// No teams can be added to an archived domain, and the page offers none.
		if page := admin.get("/domains/marketing"); page.Has("new-team") {
			t.Error("the archived domain's page offers New team")
		}

		p = admin.post("/admin/domains/marketing/restore", nil)
		wantRedirect(t, "restore", p, "/domains/marketing")
		page := admin.get(p.Location)
		wantFlash(t, page, "success", "Domain Marketing restored.")
		if page.Has("archived-banner") {
			t.Error("the restored domain still shows the archived banner")
		}
		if d, _ := e.domain("marketing"); d.Archived() {
			t.Error("archived_at is still set after restore")
		}
		if !user.get("/domains").Has("domain-marketing") {
			t.Error("the restored domain is not back on the browse grid")
		}
	})
}

// Deleting a domain with teams archives it; an empty one is deleted.
func TestDomainDelete(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		admin := e.as(adminEmail)
		teams := e.count(&models.Team{}, "")

		p := admin.post("/admin/domains/finance/delete", nil)
		wantRedirect(t, "delete finance", p, "/admin/domains")
		wantFlash(t, admin.get(p.Location), "info", "still has teams, so it was archived rather than deleted")
		d, ok := e.domain("finance")
		if !ok || !d.Archived() {
			t.Errorf("finance: exists %v archived %v, want kept and archived", ok, d.Archived())
		}
		if n := e.count(&models.Team{}, ""); n != teams {
			t.Errorf("teams %d -> %d", teams, n)
		}
		if len(e.audits("domain.delete", "finance")) != 0 || len(e.audits("domain.archive", "finance")) != 1 {
			t.Error("want one domain.archive event and no domain.delete for finance")
		}

		wantRedirect(t, "create empty", admin.post("/admin/domains", f("name", "Empty", "slug", "empty")), "/domains/empty")
		admin.get("/domains/empty") // take the creation flash
		list := admin.get("/admin/domains")
		if !list.Has("delete-empty") || list.Has("delete-sales") {
			t.Error("Delete should be offered for the empty domain only")
		}
		p = admin.post("/admin/domains/empty/delete", nil)
		wantRedirect(t, "delete empty", p, "/admin/domains")
		after := admin.get(p.Location)
		wantFlash(t, after, "success", "Domain empty deleted.")
		if after.Has("row-empty") {
			t.Error("the deleted domain is still listed")
		}
		if _, ok := e.domain("empty"); ok {
			t.Error("the empty domain's row still exists")
		}
		if len(e.audits("domain.delete", "empty")) != 1 {
			t.Error("no domain.delete event for the empty domain")
		}
		if got := admin.get("/domains/empty"); got.Status != http.StatusNotFound {
			t.Errorf("deleted domain page: %d, want 404", got.Status)
		}
	})
}

// Unknown domains are a 404 page, for reading and for every admin action.
func TestDomainNotFound(t *testing.T) {
	t.Parallel()
	e := freshEnv(t)
	admin := e.as(adminEmail)
	audits := e.count(&models.AuditEvent{}, "")
	pages := map[string]*page{
		"GET /domains/nope":                    e.as(userEmail).get("/domains/nope"),
		"GET /admin/domains/nope/edit":         admin.get("/admin/domains/nope/edit"),
		"POST /admin/domains/nope":             admin.post("/admin/domains/nope", f("name", "Nope", "slug", "nope")),
		"POST /admin/domains/nope/archive":     admin.post("/admin/domains/nope/archive", nil),
		"POST /admin/domains/nope/restore":     admin.post("/admin/domains/nope/restore", nil),
		"POST /admin/domains/nope/delete":      admin.post("/admin/domains/nope/delete", nil),
		"GET /admin/domains/nope/teams/new":    admin.get("/admin/domains/nope/teams/new"),
		"GET /domains/nope/teams/sales":        admin.get("/domains/nope/teams/sales"),
		"GET /domains/sales/teams/nope":        admin.get("/domains/sales/teams/nope"),
		"GET /domains/customer/teams/sales-an": admin.get("/domains/customer/teams/sales-analytics"),
	}
	for name, p := range pages {
		if p.Status != http.StatusNotFound || p.Text("error-status") != "404" {
			t.Errorf("%s: %d, error-status %q; want a 404 page", name, p.Status, p.Text("error-status"))
		}
	}
	if n := e.count(&models.AuditEvent{}, ""); n != audits {
		t.Errorf("audit events %d -> %d", audits, n)
	}
	if _, ok := e.domain("nope"); ok {
		t.Error("a domain nope was created")
	}
}
