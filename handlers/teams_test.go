package handlers

import (
	"net/http"
	"strings"
	"testing"

	"plaza/models"
)

const salesAnalytics = "/domains/sales/teams/sales-analytics"

// An admin creates a team; a slug is unique within its domain only.
func TestTeamCreate(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		admin := e.as(adminEmail)

		p, h := admin.postH("/admin/domains/sales/teams", f("name", "Pricing", "slug", "pricing", "description", "Price lists and promotions."))
		wantRedirect(t, "create team", p, "/domains/sales/teams/pricing")
		page := admin.get(p.Location)
		wantFlash(t, page, "success", "Team Pricing created.")
		if got := page.Text("page-title"); got != "Pricing" {
			t.Errorf("page title %q, want Pricing", got)
		}
		if !page.Has("add-member") {
			t.Error("the admin is not offered the add-member form on the new team")
		}
		sales, _ := e.domain("sales")
		if n := e.count(&models.Team{}, "domain_id = ? AND slug = ? AND name = ?", sales.ID, "pricing", "Pricing"); n != 1 {
			t.Errorf("%d team rows sales/pricing, want 1", n)
		}
		evs := e.audits("team.create", "sales/pricing")
		if len(evs) != 1 || evs[0].RequestID != h.Get("X-Request-Id") {
			t.Errorf("team.create events %+v, want one with request id %q", evs, h.Get("X-Request-Id"))
		}

		teams, audits := e.count(&models.Team{}, ""), e.count(&models.AuditEvent{}, "")
		p = admin.post("/admin/domains/sales/teams", f("name", "Orders again", "slug", "order-management"))
		wantStatus(t, "duplicate slug", p, http.StatusUnprocessableEntity)
		if got := p.Text("error-slug"); !strings.Contains(got, `The Sales domain already has a team with the slug "order-management"`) {
			t.Errorf("error-slug = %q", got)
		}
		if p.value("name") != "Orders again" || p.value("slug") != "order-management" {
			t.Errorf("typed values not kept: name %q slug %q", p.value("name"), p.value("slug"))
		}
		p = admin.post("/admin/domains/sales/teams", f("name", "", "slug", "Bad Slug"))
		wantStatus(t, "empty name, bad slug", p, http.StatusUnprocessableEntity)
		if !p.Has("error-name") || !p.Has("error-slug") {
			t.Errorf("want errors next to name and slug, got name %q slug %q", p.Text("error-name"), p.Text("error-slug"))
		}
		if n := e.count(&models.Team{}, ""); n != teams {
			t.Errorf("teams %d -> %d after refused forms", teams, n)
		}
		if n := e.count(&models.AuditEvent{}, ""); n != audits {
			t.Errorf("audit events %d -> %d after refused forms", audits, n)
		}

		// The same slug in another domain is fine.
		p = admin.post("/admin/domains/customer/teams", f("name", "Pricing", "slug", "pricing"))
		wantRedirect(t, "same slug elsewhere", p, "/domains/customer/teams/pricing")
	})
}

// A team owner manages the team's people: add, change role, remove.
func TestTeamOwnerManagesMembers(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		owner := e.as(ownerEmail)
		page := owner.get(salesAnalytics)
		if !page.Has("add-member") || !page.Has("remove-"+memberEmail) || !page.Has("edit-team") {
			t.Fatal("the owner is not offered the member controls")
		}
		if page.Has("archive-team") {
			t.Error("the owner is offered Archive, which is for admins")
		}

		added := len(e.audits("member.add", "sales/sales-analytics"))
		p, h := owner.postH(salesAnalytics+"/members", f("email", " Leo.Martins@northwind.example ", "role", "member"))
		wantRedirect(t, "add", p, salesAnalytics)
		page = owner.get(salesAnalytics)
		wantFlash(t, page, "success", "Leo Martins is now a member of Sales Analytics.")
		if row := page.Text("member-" + userEmail); !strings.Contains(row, "member") {
			t.Errorf("member row %q, want Leo listed as member", row)
		}
		if got := e.membership("sales", "sales-analytics", userEmail); got != models.RoleMember {
			t.Fatalf("role in the database %q, want member", got)
		}
		if evs := e.audits("member.add", "sales/sales-analytics"); len(evs) != added+1 ||
			evs[added].RequestID != h.Get("X-Request-Id") || evs[added].ActorEmail != ownerEmail ||
			!strings.Contains(evs[added].After, userEmail) {
			t.Errorf("member.add events %+v, want Leo's by the owner with the request id", evs)
		}

		p = owner.post(salesAnalytics+"/members", f("email", userEmail, "role", "owner"))
		wantRedirect(t, "make owner", p, salesAnalytics)
		page = owner.get(salesAnalytics)
		wantFlash(t, page, "success", "Leo Martins is now an owner of Sales Analytics.")
		if got := e.membership("sales", "sales-analytics", userEmail); got != models.RoleOwner {
			t.Fatalf("role in the database %q, want owner", got)
		}
		if evs := e.audits("member.role", "sales/sales-analytics"); len(evs) != 1 ||
			!strings.Contains(evs[0].Before, `"role":"member"`) || !strings.Contains(evs[0].After, `"role":"owner"`) {
			t.Errorf("member.role events %+v, want one from member to owner", evs)
		}

		// Posting the same role again changes nothing and records nothing.
		audits := e.count(&models.AuditEvent{}, "")
		wantRedirect(t, "same role", owner.post(salesAnalytics+"/members", f("email", userEmail, "role", "owner")), salesAnalytics)
		if n := e.count(&models.AuditEvent{}, ""); n != audits {
			t.Errorf("audit events %d -> %d for a role that did not change", audits, n)
		}
		owner.get(salesAnalytics) // take the flash

		p = owner.post(salesAnalytics+"/members/remove", f("email", userEmail))
		wantRedirect(t, "remove", p, salesAnalytics)
		page = owner.get(salesAnalytics)
		wantFlash(t, page, "success", userEmail+" was removed from Sales Analytics.")
		if page.Has("member-" + userEmail) {
			t.Error("Leo is still listed")
		}
		if got := e.membership("sales", "sales-analytics", userEmail); got != "" {
			t.Errorf("Leo still has the role %q in the database", got)
		}
		if len(e.audits("member.remove", "sales/sales-analytics")) != 1 {
			t.Error("no member.remove event")
		}

		// Removing someone who is not in the team is a 404.
		if p := owner.post(salesAnalytics+"/members/remove", f("email", userEmail)); p.Status != http.StatusNotFound {
			t.Errorf("removing a non-member: %d, want 404", p.Status)
		}
	})
}

// Members, outsiders and owners of other teams get 403 on the same posts,
// and the team does not change.
func TestTeamMembersForbidden(t *testing.T) {
	t.Parallel()
	posts := []struct {
		name, path string
		form       map[string]string
	}{
		{"add", salesAnalytics + "/members", map[string]string{"email": userEmail, "role": "member"}},
		{"add self as owner", salesAnalytics + "/members", map[string]string{"email": "", "role": "owner"}}, // email filled with the actor
		{"promote the member", salesAnalytics + "/members", map[string]string{"email": memberEmail, "role": "owner"}},
		{"demote the owner", salesAnalytics + "/members", map[string]string{"email": ownerEmail, "role": "member"}},
		{"remove the member", salesAnalytics + "/members/remove", map[string]string{"email": memberEmail}},
		{"remove the owner", salesAnalytics + "/members/remove", map[string]string{"email": ownerEmail}},
		{"rename the team", salesAnalytics, map[string]string{"name": "Mine now", "slug": "sales-analytics"}},
		{"archive the team", "/admin" + salesAnalytics + "/archive", nil},
	}
	eachDB(t, func(t *testing.T, e *env) {
		sa, err := e.Store.TeamBySlug(t.Context(), "sales", "sales-analytics")
		if err != nil {
			t.Fatal(err)
		}
		members := e.count(&models.Membership{}, "team_id = ?", sa.ID)
		audits := e.count(&models.AuditEvent{}, "")
		for _, actor := range []string{memberEmail, userEmail, otherOwner} {
			c := e.as(actor)
			if page := c.get(salesAnalytics); page.Has("add-member") || page.Has("remove-"+memberEmail) || page.Has("edit-team") {
				t.Errorf("%s is offered member controls on a team they do not own", actor)
			}
			for _, post := range posts {
				form := f()
				for k, v := range post.form {
					form.Set(k, v)
				}
				if post.name == "add self as owner" {
					form.Set("email", actor)
				}
				p := c.post(post.path, form)
				if p.Status != http.StatusForbidden || p.Text("error-status") != "403" {
					t.Errorf("%s: %s: %d (error-status %q), want a 403 page", actor, post.name, p.Status, p.Text("error-status"))
				}
			}
		}
		if n := e.count(&models.Membership{}, "team_id = ?", sa.ID); n != members {
			t.Errorf("memberships of sales-analytics %d -> %d after forbidden posts", members, n)
		}
		if e.membership("sales", "sales-analytics", memberEmail) != models.RoleMember ||
			e.membership("sales", "sales-analytics", ownerEmail) != models.RoleOwner {
			t.Error("a forbidden post changed a role")
		}
		for _, actor := range []string{userEmail, otherOwner} {
			if got := e.membership("sales", "sales-analytics", actor); got != "" {
				t.Errorf("%s got into the team as %q", actor, got)
			}
		}
		if t2, _ := e.Store.TeamBySlug(t.Context(), "sales", "sales-analytics"); t2.Name != "Sales Analytics" || t2.Archived() {
			t.Errorf("team now %q archived %v", t2.Name, t2.Archived())
		}
		if n := e.count(&models.AuditEvent{}, ""); n != audits {
			t.Errorf("audit events %d -> %d after forbidden posts", audits, n)
		}
	})
}

// A bad member form is shown again with the message by the field.
func TestTeamMemberInvalid(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		owner := e.as(ownerEmail)
		admin := e.as(adminEmail)
		leo := e.user(userEmail)
		wantRedirect(t, "deactivate leo", admin.post(personPath(leo.ID, "active"), f("active", "false")), "/admin/people")
		members, audits := e.count(&models.Membership{}, ""), e.count(&models.AuditEvent{}, "")

		cases := []struct {
			name, email, role, field, want string
		}{
			{"unknown email", "nobody@northwind.example", "member", "email", "Nobody with the email nobody@northwind.example has signed in yet"},
			{"no email", "", "member", "email", "Choose a person to add."},
			{"deactivated person", userEmail, "member", "email", "Leo Martins is deactivated."},
			{"unknown role", analystMail, "boss", "role", "Choose owner or member."},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p := owner.post(salesAnalytics+"/members", f("email", tc.email, "role", tc.role))
				wantStatus(t, tc.name, p, http.StatusUnprocessableEntity)
				if got := p.Text("error-" + tc.field); !strings.Contains(got, tc.want) {
					t.Errorf("error-%s = %q, want %q", tc.field, got, tc.want)
				}
				if got := p.valueIn("add-member", "email"); got != tc.email {
					t.Errorf("email input holds %q, want what was typed: %q", got, tc.email)
				}
				if !p.Has("member-" + memberEmail) {
					t.Error("the team's members are not shown with the error")
				}
			})
		}
		if n := e.count(&models.Membership{}, ""); n != members {
			t.Errorf("memberships %d -> %d after refused forms", members, n)
		}
		if n := e.count(&models.AuditEvent{}, ""); n != audits {
			t.Errorf("audit events %d -> %d after refused forms", audits, n)
		}
	})
}

// The owner edits the team; only admins archive and restore it.
func TestTeamEditArchiveRestore(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		owner, admin, user := e.as(ownerEmail), e.as(adminEmail), e.as(userEmail)

		form := owner.get(salesAnalytics + "/edit")
		wantStatus(t, "edit form", form, http.StatusOK)
		if form.value("name") != "Sales Analytics" || form.value("slug") != "sales-analytics" {
			t.Errorf("edit form holds %q %q", form.value("name"), form.value("slug"))
		}
		p := owner.post(salesAnalytics, f("name", "Revenue Analytics", "slug", "revenue-analytics", "description", "Revenue."))
		wantRedirect(t, "edit", p, "/domains/sales/teams/revenue-analytics")
		wantFlash(t, owner.get(p.Location), "success", "Team Revenue Analytics saved.")
		if n := e.count(&models.Team{}, "slug = ? AND name = ? AND description = ?", "revenue-analytics", "Revenue Analytics", "Revenue."); n != 1 {
			t.Fatal("the team row was not updated")
		}
		p = owner.post("/domains/sales/teams/revenue-analytics", f("name", "Orders", "slug", "order-management"))
		wantStatus(t, "rename onto a sibling", p, http.StatusUnprocessableEntity)
		if !strings.Contains(p.Text("error-slug"), "already has a team") {
			t.Errorf("error-slug = %q", p.Text("error-slug"))
		}

		const team = "/domains/sales/teams/revenue-analytics"
		p = admin.post("/admin"+team+"/archive", nil)
		wantRedirect(t, "archive", p, team)
		wantFlash(t, admin.get(p.Location), "success", "Team Revenue Analytics archived.")
		if n := e.count(&models.Team{}, "slug = ? AND archived_at IS NOT NULL", "revenue-analytics"); n != 1 {
			t.Error("archived_at is not set")
		}
		if user.get("/domains/sales").Has("team-revenue-analytics") {
			t.Error("an archived team is listed to a user")
		}
		if row := admin.get("/domains/sales").Text("team-revenue-analytics"); !strings.Contains(row, "archived") {
			t.Errorf("admin's row %q does not say archived", row)
		}
		if owner.get(team).Has("add-member") {
			t.Error("an archived team offers the add-member form")
		}

		p = admin.post("/admin"+team+"/restore", nil)
		wantRedirect(t, "restore", p, team)
		wantFlash(t, admin.get(p.Location), "success", "Team Revenue Analytics restored.")
		if n := e.count(&models.Team{}, "slug = ? AND archived_at IS NULL", "revenue-analytics"); n != 1 {
			t.Error("archived_at is still set")
		}
		if !user.get("/domains/sales").Has("team-revenue-analytics") {
			t.Error("the restored team is not listed")
		}
	})
}

// Changes refused because the team or its domain is archived say why; the
// forms have no field for that, so the message must not be lost.
func TestTeamArchivedRefusesChanges(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		owner, admin := e.as(ownerEmail), e.as(adminEmail)
		wantRedirect(t, "archive team", admin.post("/admin"+salesAnalytics+"/archive", nil), salesAnalytics)
		admin.get(salesAnalytics) // take the flash
		members := e.count(&models.Membership{}, "")

		// The members table still offers "Make owner" on an archived team.
		page := owner.get(salesAnalytics)
		if !strings.Contains(page.Text("member-"+memberEmail), "Make owner") {
			t.Fatal("the owner is not offered Make owner on the archived team")
		}
		p := owner.post(salesAnalytics+"/members", f("email", memberEmail, "role", "owner"))
		wantStatus(t, "role change on an archived team", p, http.StatusUnprocessableEntity)
		wantFlash(t, p, "error", "This team is archived.")
		if got := e.membership("sales", "sales-analytics", memberEmail); got != models.RoleMember {
			t.Errorf("role %q after a refused change, want member", got)
		}
		if n := e.count(&models.Membership{}, ""); n != members {
			t.Errorf("memberships %d -> %d", members, n)
		}

		wantRedirect(t, "archive domain", admin.post("/admin/domains/marketing/archive", nil), "/admin/domains")
		admin.get("/admin/domains")
		teams := e.count(&models.Team{}, "")
		p = admin.post("/admin/domains/marketing/teams", f("name", "Events", "slug", "events"))
		wantStatus(t, "team in an archived domain", p, http.StatusUnprocessableEntity)
		if got := p.Text("form-error"); !strings.Contains(got, "This domain is archived; restore it before adding teams.") {
			t.Errorf("form-error = %q, want the reason", got)
		}
		if n := e.count(&models.Team{}, ""); n != teams {
			t.Errorf("teams %d -> %d", teams, n)
		}
	})
}
