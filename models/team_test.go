package models_test

import (
	"strings"
	"testing"

	"gorm.io/gorm"

	"plaza/models"
	"plaza/models/dbtest"
)

func TestCreateTeam(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db) // sales/orders exists
		f.domain(t, "finance", "Finance")
		f.domain(t, "legacy", "Legacy")
		if _, err := f.s.SetDomainArchived(f.ctx, f.admin, "legacy", true); err != nil {
			t.Fatal(err)
		}
		gone := f.deactivated(t, "gone@example.com")

		cases := []struct {
			name      string
			actor     *models.User
			domain    string
			in        models.TeamInput
			wantErr   error
			wantField string
		}{
			{name: "admin creates", actor: f.admin, domain: "sales", in: models.TeamInput{Slug: "payments", Name: " Payments ", Description: "Card and cash."}},
			{name: "same slug in another domain", actor: f.admin, domain: "finance", in: models.TeamInput{Slug: "orders", Name: "Purchase Orders"}},
			{name: "duplicate slug in the same domain", actor: f.admin, domain: "sales", in: models.TeamInput{Slug: "orders", Name: "Orders Again"}, wantField: "slug"},
			{name: "archived domain", actor: f.admin, domain: "legacy", in: models.TeamInput{Slug: "old", Name: "Old"}, wantField: "domain"},
			{name: "unknown domain", actor: f.admin, domain: "nope", in: models.TeamInput{Slug: "x1", Name: "X"}, wantErr: models.ErrNotFound},
			{name: "bad slug", actor: f.admin, domain: "sales", in: models.TeamInput{Slug: "Web Shop", Name: "Web Shop"}, wantField: "slug"},
			{name: "empty name", actor: f.admin, domain: "sales", in: models.TeamInput{Slug: "web", Name: ""}, wantField: "name"},
			{name: "name too long", actor: f.admin, domain: "sales", in: models.TeamInput{Slug: "web", Name: strings.Repeat("w", 81)}, wantField: "name"},
			{name: "team owner may not", actor: f.owner, domain: "sales", in: models.TeamInput{Slug: "web", Name: "Web"}, wantErr: models.ErrForbidden},
			{name: "signed in may not", actor: f.outsider, domain: "sales", in: models.TeamInput{Slug: "web", Name: "Web"}, wantErr: models.ErrForbidden},
			{name: "deactivated may not", actor: gone, domain: "sales", in: models.TeamInput{Slug: "web", Name: "Web"}, wantErr: models.ErrUnauthenticated},
			{name: "nobody may not", actor: nil, domain: "sales", in: models.TeamInput{Slug: "web", Name: "Web"}, wantErr: models.ErrUnauthenticated},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before, mark := f.rows(t), f.lastEventID(t)
				tm, err := f.s.CreateTeam(f.ctx, tc.actor, tc.domain, tc.in)
				checkErr(t, err, tc.wantErr, tc.wantField)
				if tc.wantErr != nil || tc.wantField != "" {
					f.wantRows(t, before, nil)
					return
				}
				f.wantRows(t, before, rowCounts{"teams": 1, "audit_events": 1})
				got, err := f.s.TeamBySlug(f.ctx, tc.domain, tc.in.Slug)
				if err != nil {
					t.Fatalf("load team: %v", err)
				}
				name := strings.TrimSpace(tc.in.Name)
				if got.ID != tm.ID || got.Name != name || got.Description != tc.in.Description || got.Domain.Slug != tc.domain {
					t.Errorf("stored %+v in %s, want %q %q in %s", got, got.Domain.Slug, name, tc.in.Description, tc.domain)
				}
				ev := f.oneEventAfter(t, mark)
				f.wantEvent(t, ev, tc.actor, "team.create", "team", tc.domain+"/"+tc.in.Slug)
				wantState(t, "after", ev.After, map[string]any{"domain": tc.domain, "slug": tc.in.Slug, "name": name, "archived": false})
			})
		}
	})
}

func TestUpdateTeam(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db)
		f.team(t, "sales", "returns", "Returns")
		// An owner who has since been deactivated keeps the membership row but loses the right.
		gone := f.person(t, "gone@example.com", "Gone Owner")
		if _, err := f.s.AddMember(f.ctx, f.admin, f.orders, gone.Email, models.RoleOwner); err != nil {
			t.Fatal(err)
		}
		gone, err := f.s.SetActive(f.ctx, f.admin, gone.ID, false)
		if err != nil {
			t.Fatal(err)
		}

		cases := []struct {
			name      string
			actor     *models.User
			in        models.TeamInput
			wantErr   error
			wantField string
		}{
			{name: "admin", actor: f.admin, in: models.TeamInput{Slug: "orders", Name: "Orders (admin)", Description: "Set by the admin."}},
			{name: "team owner", actor: f.owner, in: models.TeamInput{Slug: "orders", Name: "Orders (owner)", Description: "Set by the owner."}},
			{name: "owner changes slug", actor: f.owner, in: models.TeamInput{Slug: "order-management", Name: "Order Management"}},
			{name: "member", actor: f.member, in: models.TeamInput{Slug: "orders", Name: "Mine now"}, wantErr: models.ErrForbidden},
			{name: "outsider", actor: f.outsider, in: models.TeamInput{Slug: "orders", Name: "Mine now"}, wantErr: models.ErrForbidden},
			{name: "deactivated owner", actor: gone, in: models.TeamInput{Slug: "orders", Name: "Mine now"}, wantErr: models.ErrUnauthenticated},
			{name: "nobody", actor: nil, in: models.TeamInput{Slug: "orders", Name: "Mine now"}, wantErr: models.ErrUnauthenticated},
			{name: "duplicate slug", actor: f.owner, in: models.TeamInput{Slug: "returns", Name: "Orders"}, wantField: "slug"},
			{name: "empty name", actor: f.owner, in: models.TeamInput{Slug: "orders", Name: ""}, wantField: "name"},
			{name: "forbidden is decided before validation", actor: f.member, in: models.TeamInput{Slug: "", Name: ""}, wantErr: models.ErrForbidden},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				current, err := f.s.TeamBySlug(f.ctx, "sales", f.orders.Slug)
				if err != nil {
					t.Fatal(err)
				}
				before, mark := f.rows(t), f.lastEventID(t)
				tm, err := f.s.UpdateTeam(f.ctx, tc.actor, current, tc.in)
				checkErr(t, err, tc.wantErr, tc.wantField)
				if tc.wantErr != nil || tc.wantField != "" {
					f.wantRows(t, before, nil)
					after, err := f.s.TeamBySlug(f.ctx, "sales", current.Slug)
					if err != nil || after.Name != current.Name {
						t.Errorf("team after a refused update: %+v, %v", after, err)
					}
					return
				}
				f.wantRows(t, before, rowCounts{"audit_events": 1})
				f.orders = tm
				got, err := f.s.TeamBySlug(f.ctx, "sales", tc.in.Slug)
				if err != nil || got.ID != current.ID || got.Name != tc.in.Name || got.Description != tc.in.Description {
					t.Fatalf("stored %+v, %v; want id %d with %+v", got, err, current.ID, tc.in)
				}
				ev := f.oneEventAfter(t, mark)
				f.wantEvent(t, ev, tc.actor, "team.update", "team", "sales/"+tc.in.Slug)
				wantState(t, "before", ev.Before, map[string]any{"slug": current.Slug, "name": current.Name})
				wantState(t, "after", ev.After, map[string]any{"slug": tc.in.Slug, "name": tc.in.Name, "description": tc.in.Description})
			})
		}
	})
}

func TestAddMember(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db) // orders: owner olga, member max
		pat := f.person(t, "pat@example.com", "Pat")
		f.person(t, "quinn@example.com", "Quinn")
		f.deactivated(t, "gone@example.com")
		other := f.team(t, "sales", "returns", "Returns")
		archived, err := f.s.SetTeamArchived(f.ctx, f.admin, f.team(t, "sales", "archive", "Archive"), true)
		if err != nil || !archived.Archived() {
			t.Fatalf("archive team: %v", err)
		}

		cases := []struct {
			name       string
			actor      *models.User
			team       *models.Team
			email      string
			role       string
			wantErr    error
			wantField  string
			wantAction string            // "" when nothing should change
			wantBefore map[string]any    // for a role change
			wantRoles  map[string]string // email -> role in f.orders afterwards
		}{
			{name: "owner adds a member", actor: f.owner, team: f.orders, email: pat.Email, role: models.RoleMember,
				wantAction: "member.add", wantRoles: map[string]string{pat.Email: models.RoleMember}},
			{name: "admin adds an owner, email as typed", actor: f.admin, team: f.orders, email: "  Quinn@Example.com ", role: models.RoleOwner,
				wantAction: "member.add", wantRoles: map[string]string{"quinn@example.com": models.RoleOwner}},
			{name: "owner promotes a member", actor: f.owner, team: f.orders, email: pat.Email, role: models.RoleOwner,
				wantAction: "member.role", wantBefore: map[string]any{"email": pat.Email, "role": models.RoleMember},
				wantRoles: map[string]string{pat.Email: models.RoleOwner}},
			{name: "admin demotes an owner", actor: f.admin, team: f.orders, email: pat.Email, role: models.RoleMember,
				wantAction: "member.role", wantBefore: map[string]any{"email": pat.Email, "role": models.RoleOwner},
				wantRoles: map[string]string{pat.Email: models.RoleMember}},
			{name: "same role again changes nothing", actor: f.owner, team: f.orders, email: pat.Email, role: models.RoleMember,
				wantRoles: map[string]string{pat.Email: models.RoleMember}},
			{name: "member may not", actor: f.member, team: f.orders, email: f.outsider.Email, role: models.RoleMember, wantErr: models.ErrForbidden},
			{name: "member may not promote themselves", actor: f.member, team: f.orders, email: f.member.Email, role: models.RoleOwner, wantErr: models.ErrForbidden},
			{name: "outsider may not", actor: f.outsider, team: f.orders, email: f.outsider.Email, role: models.RoleOwner, wantErr: models.ErrForbidden},
			{name: "owner of another team may not", actor: f.owner, team: other, email: f.owner.Email, role: models.RoleOwner, wantErr: models.ErrForbidden},
			{name: "nobody", actor: nil, team: f.orders, email: f.outsider.Email, role: models.RoleMember, wantErr: models.ErrUnauthenticated},
			{name: "unknown email", actor: f.owner, team: f.orders, email: "stranger@example.com", role: models.RoleMember, wantField: "email"},
			{name: "empty email", actor: f.owner, team: f.orders, email: " ", role: models.RoleMember, wantField: "email"},
			{name: "deactivated person", actor: f.owner, team: f.orders, email: "gone@example.com", role: models.RoleMember, wantField: "email"},
			{name: "bad role", actor: f.owner, team: f.orders, email: f.outsider.Email, role: "boss", wantField: "role"},
			{name: "empty role", actor: f.owner, team: f.orders, email: f.outsider.Email, role: "", wantField: "role"},
			{name: "archived team", actor: f.admin, team: archived, email: f.outsider.Email, role: models.RoleMember, wantField: "team"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before, mark := f.rows(t), f.lastEventID(t)
				m, err := f.s.AddMember(f.ctx, tc.actor, tc.team, tc.email, tc.role)
				checkErr(t, err, tc.wantErr, tc.wantField)
				if err != nil {
					f.wantRows(t, before, nil)
					return
				}
				email := models.NormalizeEmail(tc.email)
				if m.User.Email != email || m.Role != tc.role {
					t.Errorf("AddMember = %s as %s, want %s as %s", m.User.Email, m.Role, email, tc.role)
				}
				roles := teamRoles(t, f, tc.team)
				for e, r := range tc.wantRoles {
					if roles[e] != r {
						t.Errorf("%s is %q in the team, want %q", e, roles[e], r)
					}
				}
				switch tc.wantAction {
				case "":
					f.wantRows(t, before, nil)
				case "member.add":
					f.wantRows(t, before, rowCounts{"memberships": 1, "audit_events": 1})
				default:
					f.wantRows(t, before, rowCounts{"audit_events": 1})
				}
				if tc.wantAction == "" {
					return
				}
				ev := f.oneEventAfter(t, mark)
				f.wantEvent(t, ev, tc.actor, tc.wantAction, "team", "sales/orders")
				wantState(t, "after", ev.After, map[string]any{"team": "sales/orders", "email": email, "role": tc.role})
				if tc.wantBefore == nil {
					if ev.Before != "" {
						t.Errorf("before = %q, want empty", ev.Before)
					}
				} else {
					wantState(t, "before", ev.Before, tc.wantBefore)
				}
			})
		}
	})
}

// teamRoles maps each member's email to their role in tm.
func teamRoles(t *testing.T, f *fixture, tm *models.Team) map[string]string {
	t.Helper()
	ms, err := f.s.Members(f.ctx, tm.ID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range ms {
		out[m.User.Email] = m.Role
	}
	return out
}

func TestRemoveMember(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db) // orders: owner olga, member max
		pat := f.person(t, "pat@example.com", "Pat")
		if _, err := f.s.AddMember(f.ctx, f.admin, f.orders, pat.Email, models.RoleOwner); err != nil {
			t.Fatal(err)
		}
		other := f.team(t, "sales", "returns", "Returns")

		cases := []struct {
			name     string
			actor    *models.User
			team     *models.Team
			email    string
			wantErr  error
			wantRole string // the removed person's role, for the audit event
		}{
			{name: "member may not", actor: f.member, team: f.orders, email: pat.Email, wantErr: models.ErrForbidden},
			{name: "outsider may not", actor: f.outsider, team: f.orders, email: f.member.Email, wantErr: models.ErrForbidden},
			{name: "owner of another team may not", actor: f.owner, team: other, email: f.owner.Email, wantErr: models.ErrForbidden},
			{name: "nobody", actor: nil, team: f.orders, email: f.member.Email, wantErr: models.ErrUnauthenticated},
			{name: "owner removes a member, email as typed", actor: f.owner, team: f.orders, email: " MAX@example.com", wantRole: models.RoleMember},
			{name: "admin removes an owner", actor: f.admin, team: f.orders, email: pat.Email, wantRole: models.RoleOwner},
			{name: "not in the team", actor: f.owner, team: f.orders, email: f.outsider.Email, wantErr: models.ErrNotFound},
			{name: "removed already", actor: f.owner, team: f.orders, email: pat.Email, wantErr: models.ErrNotFound},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before, mark := f.rows(t), f.lastEventID(t)
				err := f.s.RemoveMember(f.ctx, tc.actor, tc.team, tc.email)
				checkErr(t, err, tc.wantErr, "")
				if err != nil {
					f.wantRows(t, before, nil)
					return
				}
				f.wantRows(t, before, rowCounts{"memberships": -1, "audit_events": 1})
				email := models.NormalizeEmail(tc.email)
				if role, in := teamRoles(t, f, tc.team)[email]; in {
					t.Errorf("%s is still in the team as %s", email, role)
				}
				ev := f.oneEventAfter(t, mark)
				f.wantEvent(t, ev, tc.actor, "member.remove", "team", "sales/orders")
				wantState(t, "before", ev.Before, map[string]any{"team": "sales/orders", "email": email, "role": tc.wantRole})
				if ev.After != "" {
					t.Errorf("after = %q, want empty", ev.After)
				}
			})
		}
	})
}

func TestMembersListsOwnersFirst(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db)
		tm := f.team(t, "sales", "returns", "Returns")
		// Added in an order that is neither by role nor by name.
		for _, p := range []struct{ email, name, role string }{
			{"zoe@example.com", "Zoe", models.RoleMember},
			{"yann@example.com", "Yann", models.RoleOwner},
			{"abe@example.com", "Abe", models.RoleMember},
			{"bea@example.com", "Bea", models.RoleOwner},
			{"moe@example.com", "Moe", models.RoleMember},
		} {
			f.person(t, p.email, p.name)
			if _, err := f.s.AddMember(f.ctx, f.admin, tm, p.email, p.role); err != nil {
				t.Fatal(err)
			}
		}
		ms, err := f.s.Members(f.ctx, tm.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range ms {
			got = append(got, m.Role+":"+m.User.Name)
			if m.User.ID == 0 || m.Since.IsZero() {
				t.Errorf("member %+v lacks its user or date", m)
			}
		}
		want := []string{"owner:Bea", "owner:Yann", "member:Abe", "member:Moe", "member:Zoe"}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("Members = %v, want %v", got, want)
		}
		// Another team's members do not leak in.
		if ms, _ := f.s.Members(f.ctx, f.orders.ID); len(ms) != 2 {
			t.Errorf("orders has %d members, want 2", len(ms))
		}
	})
}

func TestTeamsOf(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db) // owner owns sales/orders
		f.domain(t, "analytics", "Analytics")
		f.domain(t, "legacy", "Legacy")
		add := func(domain, slug, name, role string) *models.Team {
			tm := f.team(t, domain, slug, name)
			if _, err := f.s.AddMember(f.ctx, f.admin, tm, f.owner.Email, role); err != nil {
				t.Fatal(err)
			}
			return tm
		}
		add("sales", "billing", "Billing", models.RoleMember)
		add("analytics", "reports", "Reports", models.RoleOwner)
		gone := add("sales", "closed", "Closed", models.RoleOwner)
		add("legacy", "old", "Old", models.RoleOwner)
		if _, err := f.s.SetTeamArchived(f.ctx, f.admin, gone, true); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.SetDomainArchived(f.ctx, f.admin, "legacy", true); err != nil {
			t.Fatal(err)
		}

		cases := []struct {
			name string
			user *models.User
			want []models.TeamRole
		}{
			{"owner of several, archived ones left out", f.owner, []models.TeamRole{
				{DomainSlug: "analytics", DomainName: "Analytics", TeamSlug: "reports", TeamName: "Reports", Role: models.RoleOwner},
				{DomainSlug: "sales", DomainName: "Sales", TeamSlug: "billing", TeamName: "Billing", Role: models.RoleMember},
				{DomainSlug: "sales", DomainName: "Sales", TeamSlug: "orders", TeamName: "Orders", Role: models.RoleOwner},
			}},
			{"member of one", f.member, []models.TeamRole{
				{DomainSlug: "sales", DomainName: "Sales", TeamSlug: "orders", TeamName: "Orders", Role: models.RoleMember},
			}},
			{"in no team", f.outsider, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := f.s.TeamsOf(f.ctx, tc.user.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(tc.want) {
					t.Fatalf("TeamsOf = %+v, want %+v", got, tc.want)
				}
				for i := range got {
					if got[i] != tc.want[i] {
						t.Errorf("TeamsOf[%d] = %+v, want %+v", i, got[i], tc.want[i])
					}
				}
			})
		}
	})
}
