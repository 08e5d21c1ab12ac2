package handlers

import (
	"net/http"
	"strings"
	"testing"

	"plaza/models"
)

// The JSON shapes the tests read back.
type (
	domainList  struct{ Domains []domainJSON }
	teamList    struct{ Teams []teamJSON }
	memberList  struct{ Members []memberJSON }
	removalJSON struct {
		Slug    string
		Outcome string
	}
	auditPage struct {
		Events  []auditJSON
		Page    int
		PerPage int `json:"per_page"`
		Total   int64
	}
)

func findDomain(list []domainJSON, slug string) *domainJSON {
	for i := range list {
		if list[i].Slug == slug {
			return &list[i]
		}
	}
	return nil
}

func findTeam(list []teamJSON, slug string) *teamJSON {
	for i := range list {
		if list[i].Slug == slug {
			return &list[i]
		}
	}
	return nil
}

// Domains over /api/v1: create, list, read, patch, archive, delete.
func TestAPIDomains(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		c, token := e.anon(), e.token(adminEmail)

		r := c.call("POST", "/api/v1/domains", token, `{"slug":"store-ops","name":"Store Operations","contact_email":"Ops@Northwind.example"}`)
		if r.Status != http.StatusCreated || r.Header.Get("Location") != "/api/v1/domains/store-ops" {
			t.Fatalf("create: %d Location %q %s", r.Status, r.Header.Get("Location"), r.Body)
		}
		made := decode[domainJSON](t, r.Body)
		if made.URN != "urn:plaza:domain:store-ops" || made.Name != "Store Operations" || made.ContactEmail != "ops@northwind.example" || made.Archived {
			t.Errorf("created %+v", made)
		}
		if evs := e.audits("domain.create", "store-ops"); len(evs) != 1 || evs[0].RequestID != r.Header.Get("X-Request-Id") || evs[0].ActorEmail != adminEmail {
			t.Errorf("domain.create events %+v, want one by the admin with request id %q", evs, r.Header.Get("X-Request-Id"))
		}

		r = c.call("GET", "/api/v1/domains", token, "")
		list := decode[domainList](t, r.Body).Domains
		if d := findDomain(list, "store-ops"); r.Status != http.StatusOK || d == nil || d.Teams == nil || *d.Teams != 0 {
			t.Errorf("list: %d, store-ops %+v; want it with 0 teams", r.Status, d)
		}
		if d := findDomain(list, "sales"); d == nil || d.Teams == nil || *d.Teams != 2 {
			t.Errorf("sales in the list: %+v, want 2 teams", d)
		}
		if int64(len(list)) != e.count(&models.Domain{}, "archived_at IS NULL") {
			t.Errorf("list has %d domains", len(list))
		}
		if r := c.call("GET", "/api/v1/domains/store-ops", e.token(userEmail), ""); r.Status != http.StatusOK || decode[domainJSON](t, r.Body).Slug != "store-ops" {
			t.Errorf("read as a user: %d %s", r.Status, r.Body)
		}

		// PATCH changes only the fields it names.
		r = c.call("PATCH", "/api/v1/domains/store-ops", token, `{"description":"Tills and staffing."}`)
		if r.Status != http.StatusOK {
			t.Fatalf("patch: %d %s", r.Status, r.Body)
		}
		d, _ := e.domain("store-ops")
		if d.Description != "Tills and staffing." || d.Name != "Store Operations" || d.ContactEmail != "ops@northwind.example" {
			t.Errorf("after patch: %+v", d)
		}
		r = c.call("PATCH", "/api/v1/domains/store-ops", token, `{"name":""}`)
		if r.Status != http.StatusUnprocessableEntity || apiErrorOf(t, r).Field != "name" {
			t.Errorf("patch with an empty name: %d %s, want 422 on name", r.Status, r.Body)
		}
		if d, _ := e.domain("store-ops"); d.Name != "Store Operations" {
			t.Errorf("a refused patch renamed the domain to %q", d.Name)
		}

		// A duplicate slug is a field error, as in the form.
		domains, audits := e.count(&models.Domain{}, ""), e.count(&models.AuditEvent{}, "")
		for _, req := range []struct{ method, path, body string }{
			{"POST", "/api/v1/domains", `{"slug":"sales","name":"Sales again"}`},
			{"PATCH", "/api/v1/domains/store-ops", `{"slug":"sales"}`},
		} {
			r = c.call(req.method, req.path, token, req.body)
			body := apiErrorOf(t, r)
			if r.Status != http.StatusUnprocessableEntity || body.Code != "invalid" || body.Field != "slug" ||
				!strings.Contains(body.Message, `"sales" is taken`) || body.Fields["slug"] != body.Message {
				t.Errorf("%s duplicate slug: %d %s", req.method, r.Status, r.Body)
			}
		}
		if e.count(&models.Domain{}, "") != domains || e.count(&models.AuditEvent{}, "") != audits {
			t.Error("a refused duplicate wrote something")
		}

		// Archive and restore through PATCH; archived domains are listed only on request.
		r = c.call("PATCH", "/api/v1/domains/store-ops", token, `{"archived":true}`)
		if r.Status != http.StatusOK || !decode[domainJSON](t, r.Body).Archived {
			t.Errorf("archive: %d %s", r.Status, r.Body)
		}
		if d, _ := e.domain("store-ops"); !d.Archived() {
			t.Error("archived_at not set")
		}
		if findDomain(decode[domainList](t, c.call("GET", "/api/v1/domains", token, "").Body).Domains, "store-ops") != nil {
			t.Error("an archived domain is listed by default")
		}
		if findDomain(decode[domainList](t, c.call("GET", "/api/v1/domains?archived=true", token, "").Body).Domains, "store-ops") == nil {
			t.Error("an archived domain is missing with ?archived=true")
		}
		if r := c.call("PATCH", "/api/v1/domains/store-ops", token, `{"archived":false,"slug":"store-operations"}`); r.Status != http.StatusOK {
			t.Errorf("restore and rename: %d %s", r.Status, r.Body)
		}
		if d, ok := e.domain("store-operations"); !ok || d.Archived() {
			t.Errorf("after restore and rename: %v %+v", ok, d)
		}
		if r := c.call("GET", "/api/v1/domains/store-ops", token, ""); r.Status != http.StatusNotFound || apiErrorOf(t, r).Code != "not_found" {
			t.Errorf("old slug: %d %s, want 404 not_found", r.Status, r.Body)
		}

		// DELETE archives a domain with teams and deletes an empty one.
		teams := e.count(&models.Team{}, "")
		r = c.call("DELETE", "/api/v1/domains/sales", token, "")
		if got := decode[removalJSON](t, r.Body); r.Status != http.StatusOK || got.Outcome != "archived" || got.Slug != "sales" {
			t.Errorf("delete sales: %d %s, want outcome archived", r.Status, r.Body)
		}
		if d, ok := e.domain("sales"); !ok || !d.Archived() || e.count(&models.Team{}, "") != teams {
			t.Error("sales was not kept, archived, with its teams")
		}
		r = c.call("DELETE", "/api/v1/domains/store-operations", token, "")
		if got := decode[removalJSON](t, r.Body); r.Status != http.StatusOK || got.Outcome != "deleted" {
			t.Errorf("delete the empty domain: %d %s, want outcome deleted", r.Status, r.Body)
		}
		if _, ok := e.domain("store-operations"); ok {
			t.Error("the empty domain's row is still there")
		}
		if r := c.call("DELETE", "/api/v1/domains/store-operations", token, ""); r.Status != http.StatusNotFound {
			t.Errorf("delete again: %d, want 404", r.Status)
		}
	})
}

// Non-admins read but do not change domains; the answer is JSON 403.
func TestAPIForbidden(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		c := e.anon()
		domains, teams, audits := e.count(&models.Domain{}, ""), e.count(&models.Team{}, ""), e.count(&models.AuditEvent{}, "")
		for _, email := range []string{userEmail, memberEmail, ownerEmail} {
			token := e.token(email)
			audits++ // the token's creation
			for _, req := range []struct{ method, path, body string }{
				{"POST", "/api/v1/domains", `{"slug":"store-ops","name":"Store Operations"}`},
				{"PATCH", "/api/v1/domains/sales", `{"name":"Mine"}`},
				{"PATCH", "/api/v1/domains/nope", `{"name":"Mine"}`},
				{"DELETE", "/api/v1/domains/finance", ""},
				{"POST", "/api/v1/domains/sales/teams", `{"slug":"pricing","name":"Pricing"}`},
				{"DELETE", "/api/v1/domains/sales/teams/order-management", ""},
				{"GET", "/api/v1/audit", ""},
			} {
				r := c.call(req.method, req.path, token, req.body)
				body := apiErrorOf(t, r)
				if r.Status != http.StatusForbidden || body.Code != "forbidden" || body.Message == "" {
					t.Errorf("%s %s %s: %d %s, want 403 forbidden", email, req.method, req.path, r.Status, r.Body)
				}
			}
		}
		if e.count(&models.Domain{}, "") != domains || e.count(&models.Team{}, "") != teams {
			t.Error("a forbidden call changed domains or teams")
		}
		if d, _ := e.domain("sales"); d.Name != "Sales" {
			t.Errorf("sales renamed to %q", d.Name)
		}
		if n := e.count(&models.Domain{}, "archived_at IS NOT NULL"); n != 0 {
			t.Errorf("%d domains archived by forbidden calls", n)
		}
		if n := e.count(&models.AuditEvent{}, ""); n != audits {
			t.Errorf("audit events %d -> %d", audits, n)
		}
	})
}

// Teams over /api/v1: create, list, patch, archive.
func TestAPITeams(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		c, admin, owner := e.anon(), e.token(adminEmail), e.token(ownerEmail)
		const base = "/api/v1/domains/sales/teams"

		r := c.call("POST", base, admin, `{"slug":"pricing","name":"Pricing","description":"Price lists."}`)
		if r.Status != http.StatusCreated || r.Header.Get("Location") != base+"/pricing" {
			t.Fatalf("create: %d Location %q %s", r.Status, r.Header.Get("Location"), r.Body)
		}
		if got := decode[teamJSON](t, r.Body); got.URN != "urn:plaza:team:sales:pricing" || got.Domain != "sales" || got.Name != "Pricing" {
			t.Errorf("created %+v", got)
		}
		if len(e.audits("team.create", "sales/pricing")) != 1 {
			t.Error("no team.create event")
		}
		r = c.call("POST", base, admin, `{"slug":"pricing","name":"Pricing again"}`)
		if body := apiErrorOf(t, r); r.Status != http.StatusUnprocessableEntity || body.Field != "slug" {
			t.Errorf("duplicate team slug: %d %s, want 422 on slug", r.Status, r.Body)
		}
		if r := c.call("POST", "/api/v1/domains/nope/teams", admin, `{"slug":"pricing","name":"Pricing"}`); r.Status != http.StatusNotFound {
			t.Errorf("team in an unknown domain: %d, want 404", r.Status)
		}

		r = c.call("GET", base, owner, "")
		list := decode[teamList](t, r.Body).Teams
		if p := findTeam(list, "pricing"); r.Status != http.StatusOK || p == nil || *p.Owners != 0 || *p.Members != 0 {
			t.Errorf("list: %d pricing %+v", r.Status, p)
		}
		if sa := findTeam(list, "sales-analytics"); sa == nil || *sa.Owners != 1 || *sa.Members != 2 {
			t.Errorf("sales-analytics in the list: %+v, want 1 owner of 2 people", sa)
		}

		// The owner patches their team: only the fields given change.
		r = c.call("PATCH", base+"/sales-analytics", owner, `{"description":"Revenue, margin and baskets."}`)
		if r.Status != http.StatusOK {
			t.Fatalf("owner's patch: %d %s", r.Status, r.Body)
		}
		sa, _ := e.Store.TeamBySlug(t.Context(), "sales", "sales-analytics")
		if sa.Description != "Revenue, margin and baskets." || sa.Name != "Sales Analytics" {
			t.Errorf("after the owner's patch: %+v", sa)
		}
		// Owners do not archive: the whole patch is refused, nothing is saved.
		r = c.call("PATCH", base+"/sales-analytics", owner, `{"description":"Half saved?","archived":true}`)
		if r.Status != http.StatusForbidden {
			t.Errorf("owner archiving through patch: %d %s, want 403", r.Status, r.Body)
		}
		sa, _ = e.Store.TeamBySlug(t.Context(), "sales", "sales-analytics")
		if sa.Description != "Revenue, margin and baskets." || sa.Archived() {
			t.Errorf("a refused patch saved: description %q archived %v", sa.Description, sa.Archived())
		}
		// Owners of another team get nothing.
		if r := c.call("PATCH", base+"/sales-analytics", e.token(otherOwner), `{"name":"Mine"}`); r.Status != http.StatusForbidden {
			t.Errorf("another team's owner patching: %d, want 403", r.Status)
		}
		// Admins archive and restore through PATCH, and archive through DELETE.
		r = c.call("PATCH", base+"/pricing", admin, `{"archived":true}`)
		if r.Status != http.StatusOK || !decode[teamJSON](t, r.Body).Archived {
			t.Errorf("admin archive by patch: %d %s", r.Status, r.Body)
		}
		if r := c.call("PATCH", base+"/pricing", admin, `{"archived":false}`); r.Status != http.StatusOK || decode[teamJSON](t, r.Body).Archived {
			t.Errorf("admin restore by patch: %d %s", r.Status, r.Body)
		}
		teams := e.count(&models.Team{}, "")
		r = c.call("DELETE", base+"/pricing", admin, "")
		if r.Status != http.StatusOK || !decode[teamJSON](t, r.Body).Archived {
			t.Errorf("delete: %d %s, want the team archived", r.Status, r.Body)
		}
		if e.count(&models.Team{}, "") != teams || e.count(&models.Team{}, "slug = ? AND archived_at IS NOT NULL", "pricing") != 1 {
			t.Error("DELETE did not keep the team, archived")
		}
		if findTeam(decode[teamList](t, c.call("GET", base, admin, "").Body).Teams, "pricing") != nil {
			t.Error("an archived team is listed by default")
		}
		if findTeam(decode[teamList](t, c.call("GET", base+"?archived=true", admin, "").Body).Teams, "pricing") == nil {
			t.Error("an archived team is missing with ?archived=true")
		}
		if r := c.call("GET", base+"/pricing", owner, ""); r.Status != http.StatusOK || !decode[teamJSON](t, r.Body).Archived {
			t.Errorf("read archived team: %d %s", r.Status, r.Body)
		}
	})
}

// Members over /api/v1: PUT adds or sets a role, GET lists, DELETE removes.
func TestAPIMembers(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		c, owner := e.anon(), e.token(ownerEmail)
		const base = "/api/v1/domains/sales/teams/sales-analytics/members"

		r := c.call("PUT", base+"/"+userEmail, owner, `{"role":"member"}`)
		if got := decode[memberJSON](t, r.Body); r.Status != http.StatusOK || got.Email != userEmail || got.Role != "member" || got.Name != "Leo Martins" {
			t.Fatalf("add: %d %s", r.Status, r.Body)
		}
		if e.membership("sales", "sales-analytics", userEmail) != models.RoleMember {
			t.Fatal("no membership row")
		}
		r = c.call("GET", base, e.token(userEmail), "")
		ms := decode[memberList](t, r.Body).Members
		if r.Status != http.StatusOK || len(ms) != 3 || ms[0].Role != "owner" {
			t.Errorf("list: %d %+v, want 3 people, owners first", r.Status, ms)
		}
		r = c.call("PUT", base+"/"+strings.ToUpper(userEmail), owner, `{"role":"owner"}`)
		if r.Status != http.StatusOK || e.membership("sales", "sales-analytics", userEmail) != models.RoleOwner {
			t.Errorf("make owner (email in capitals): %d %s", r.Status, r.Body)
		}

		members, audits := e.count(&models.Membership{}, ""), e.count(&models.AuditEvent{}, "")
		for _, tc := range []struct{ email, body, field string }{
			{"nobody@northwind.example", `{"role":"member"}`, "email"},
			{analystMail, `{"role":"boss"}`, "role"},
			{analystMail, `{}`, "role"},
		} {
			r := c.call("PUT", base+"/"+tc.email, owner, tc.body)
			if body := apiErrorOf(t, r); r.Status != http.StatusUnprocessableEntity || body.Code != "invalid" || body.Field != tc.field {
				t.Errorf("PUT %s %s: %d %s, want 422 on %s", tc.email, tc.body, r.Status, r.Body, tc.field)
			}
		}
		for _, who := range []string{memberEmail, otherOwner} {
			token := e.token(who)
			audits++ // the token's creation
			if r := c.call("PUT", base+"/"+analystMail, token, `{"role":"owner"}`); r.Status != http.StatusForbidden {
				t.Errorf("%s adding: %d, want 403", who, r.Status)
			}
			if r := c.call("DELETE", base+"/"+userEmail, token, ""); r.Status != http.StatusForbidden {
				t.Errorf("%s removing: %d, want 403", who, r.Status)
			}
		}
		if e.count(&models.Membership{}, "") != members || e.count(&models.AuditEvent{}, "") != audits {
			t.Error("refused member calls wrote something")
		}

		r = c.call("DELETE", base+"/"+userEmail, owner, "")
		if r.Status != http.StatusNoContent || r.Body != "" {
			t.Errorf("remove: %d %q, want 204", r.Status, r.Body)
		}
		if e.membership("sales", "sales-analytics", userEmail) != "" {
			t.Error("the membership row is still there")
		}
		if r := c.call("DELETE", base+"/"+userEmail, owner, ""); r.Status != http.StatusNotFound {
			t.Errorf("remove again: %d, want 404", r.Status)
		}
	})
}

// /api/v1/me names the caller's roles.
func TestAPIMe(t *testing.T) {
	t.Parallel()
	e := freshEnv(t)
	c := e.anon()
	cases := []struct {
		email string
		admin bool
		roles []string
		teams int
	}{
		{adminEmail, true, []string{"user", "admin"}, 0},
		{ownerEmail, false, []string{"user", "team_owner"}, 2},
		{memberEmail, false, []string{"user", "team_member"}, 1},
		{userEmail, false, []string{"user"}, 0},
	}
	for _, tc := range cases {
		r := c.call("GET", "/api/v1/me", e.token(tc.email), "")
		me := decode[meJSON](t, r.Body)
		if r.Status != http.StatusOK || me.Email != tc.email || me.Admin != tc.admin || len(me.Teams) != tc.teams ||
			strings.Join(me.Roles, ",") != strings.Join(tc.roles, ",") {
			t.Errorf("%s: %d %+v, want admin %v roles %v and %d teams", tc.email, r.Status, me, tc.admin, tc.roles, tc.teams)
		}
		if tc.teams == 0 && !strings.Contains(r.Body, `"teams":[]`) {
			t.Errorf("%s: teams is not an empty list: %s", tc.email, r.Body)
		}
	}
}

// /api/v1/audit pages through the log with the browser's filters.
func TestAPIAudit(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		c, token := e.anon(), e.token(adminEmail)
		if r := c.call("PUT", "/api/v1/domains/sales/teams/sales-analytics/members/"+userEmail, e.token(ownerEmail), `{"role":"member"}`); r.Status != http.StatusOK {
			t.Fatalf("owner adds Leo: %d", r.Status)
		}
		total := e.count(&models.AuditEvent{}, "")

		first := decode[auditPage](t, c.call("GET", "/api/v1/audit?per_page=2", token, "").Body)
		if len(first.Events) != 2 || first.Total != total || first.Page != 1 || first.PerPage != 2 {
			t.Fatalf("first page: %d events, total %d page %d per_page %d; want 2 of %d", len(first.Events), first.Total, first.Page, first.PerPage, total)
		}
		if first.Events[0].ID <= first.Events[1].ID || first.Events[0].Action != "member.add" || first.Events[0].Actor != ownerEmail {
			t.Errorf("first page %+v, want newest first: Sofia's member.add", first.Events)
		}
		if first.Events[0].After == nil || !strings.Contains(string(first.Events[0].After), userEmail) || first.Events[0].RequestID == "" {
			t.Errorf("event %+v lacks its after state or request id", first.Events[0])
		}
		second := decode[auditPage](t, c.call("GET", "/api/v1/audit?per_page=2&page=2", token, "").Body)
		if len(second.Events) != 2 || second.Events[0].ID >= first.Events[1].ID {
			t.Errorf("second page %+v does not continue the first", second.Events)
		}

		for _, tc := range []struct {
			query, where string
			args         []any
			ok           func(auditJSON) bool
		}{
			{"action=domain", "action LIKE ?", []any{"domain.%"}, func(ev auditJSON) bool { return strings.HasPrefix(ev.Action, "domain.") }},
			{"actor=sofia", "actor_email = ?", []any{ownerEmail}, func(ev auditJSON) bool { return ev.Actor == ownerEmail }},
			{"type=team&object=sales/", "object_type = ? AND object_id LIKE ?", []any{"team", "sales/%"}, func(ev auditJSON) bool {
				return ev.ObjectType == "team" && strings.HasPrefix(ev.ObjectID, "sales/")
			}},
			{"type=token", "object_type = ?", []any{"token"}, func(ev auditJSON) bool { return ev.ObjectType == "token" }},
			{"actor=sofia&action=domain", "1 = 0", nil, func(auditJSON) bool { return false }},
		} {
			got := decode[auditPage](t, c.call("GET", "/api/v1/audit?per_page=200&"+tc.query, token, "").Body)
			want := e.count(&models.AuditEvent{}, tc.where, tc.args...)
			if got.Total != want || int64(len(got.Events)) != want {
				t.Errorf("%s: %d events, total %d; want %d", tc.query, len(got.Events), got.Total, want)
			}
			for _, ev := range got.Events {
				if !tc.ok(ev) {
					t.Errorf("%s: event %+v does not match", tc.query, ev)
				}
			}
		}
		r := c.call("GET", "/api/v1/audit?since=2026-13-45", token, "")
		if body := apiErrorOf(t, r); r.Status != http.StatusUnprocessableEntity || body.Field != "since" {
			t.Errorf("bad since: %d %s, want 422 on since", r.Status, r.Body)
		}
	})
}
