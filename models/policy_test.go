package models_test

import (
	"errors"
	"testing"

	"gorm.io/gorm"

	"plaza/models"
	"plaza/models/dbtest"
)

// TestAuthorize walks every action for every kind of caller. Callers and
// their team scopes come from the database (TeamScope), as handlers get them.
func TestAuthorize(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db)

		// A deactivated admin who owns the team: no privilege survives deactivation.
		gone := f.person(t, "gone@example.com", "Gone Admin")
		if _, err := f.s.SetAdmin(f.ctx, f.admin, gone.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.AddMember(f.ctx, f.admin, f.orders, gone.Email, models.RoleOwner); err != nil {
			t.Fatal(err)
		}
		gone, err := f.s.SetActive(f.ctx, f.admin, gone.ID, false)
		if err != nil {
			t.Fatal(err)
		}

		scopeOf := func(u *models.User, wantRole string) *models.Scope {
			t.Helper()
			sc, err := f.s.TeamScope(f.ctx, u, f.orders.ID)
			if err != nil {
				t.Fatalf("team scope: %v", err)
			}
			if sc.TeamRole != wantRole {
				t.Fatalf("team role = %q, want %q", sc.TeamRole, wantRole)
			}
			return sc
		}
		type caller struct {
			name  string
			user  *models.User
			scope *models.Scope
		}
		callers := []caller{
			{"nobody", nil, scopeOf(nil, "")},
			{"deactivated", gone, scopeOf(gone, models.RoleOwner)},
			{"signed in", f.outsider, scopeOf(f.outsider, "")},
			{"team member", f.member, scopeOf(f.member, models.RoleMember)},
			{"team owner", f.owner, scopeOf(f.owner, models.RoleOwner)},
			{"admin", f.admin, scopeOf(f.admin, "")},
		}

		var (
			ok     error
			forbid = models.ErrForbidden
			unauth = models.ErrUnauthenticated
		)
		cases := []struct {
			act                                                 models.Action
			nobody, deactivated, signedIn, member, owner, admin error
		}{
			{models.ActBrowse, unauth, unauth, ok, ok, ok, ok},
			{models.ActManageOwnToken, unauth, unauth, ok, ok, ok, ok},
			{models.ActManageDomains, unauth, unauth, forbid, forbid, forbid, ok},
			{models.ActManageTeams, unauth, unauth, forbid, forbid, forbid, ok},
			{models.ActManagePeople, unauth, unauth, forbid, forbid, forbid, ok},
			{models.ActViewAudit, unauth, unauth, forbid, forbid, forbid, ok},
			{models.ActAdminConsole, unauth, unauth, forbid, forbid, forbid, ok},
			{models.ActEditTeam, unauth, unauth, forbid, forbid, ok, ok},
			{models.ActManageMembers, unauth, unauth, forbid, forbid, ok, ok},
			{models.Action("launch rockets"), unauth, unauth, forbid, forbid, forbid, forbid},
		}
		for _, tc := range cases {
			want := []error{tc.nobody, tc.deactivated, tc.signedIn, tc.member, tc.owner, tc.admin}
			for i, c := range callers {
				t.Run(string(tc.act)+"/"+c.name, func(t *testing.T) {
					err := models.Authorize(c.user, tc.act, c.scope)
					if want[i] == nil {
						if err != nil {
							t.Fatalf("Authorize = %v, want allowed", err)
						}
					} else if !errors.Is(err, want[i]) {
						t.Fatalf("Authorize = %v, want %v", err, want[i])
					}
					if got := models.Can(c.user, tc.act, c.scope); got != (want[i] == nil) {
						t.Errorf("Can = %v, want %v", got, want[i] == nil)
					}
				})
			}
		}
	})
}

// TestAuthorizeTeamActionsNeedScope: an owner's rights come from the scope of
// the team concerned, never from being an owner somewhere.
func TestAuthorizeTeamActionsNeedScope(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db)
		other := f.team(t, "sales", "returns", "Returns")
		sc, err := f.s.TeamScope(f.ctx, f.owner, other.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name  string
			user  *models.User
			scope *models.Scope
			want  error
		}{
			{"owner elsewhere", f.owner, sc, models.ErrForbidden},
			{"owner without scope", f.owner, nil, models.ErrForbidden},
			{"admin without scope", f.admin, nil, nil},
		} {
			for _, act := range []models.Action{models.ActEditTeam, models.ActManageMembers} {
				t.Run(tc.name+"/"+string(act), func(t *testing.T) {
					checkErr(t, models.Authorize(tc.user, act, tc.scope), tc.want, "")
				})
			}
		}
	})
}
