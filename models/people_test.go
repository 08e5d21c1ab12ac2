package models_test

import (
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"plaza/models"
	"plaza/models/dbtest"
)

func TestSignIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db)
		// Someone who signed in once and was deactivated since.
		gone, err := f.s.SignIn(f.ctx, models.SignInInput{Provider: "oidc", Subject: "sub-gone", Email: "gone@example.com"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.SetActive(f.ctx, f.admin, gone.ID, false); err != nil {
			t.Fatal(err)
		}
		ids := map[string]uint{"gone@example.com": gone.ID, f.outsider.Email: f.outsider.ID}

		steps := []struct {
			name      string
			in        models.SignInInput
			admins    []string
			wantErr   error
			wantEmail string // the person signed in
			wantName  string
			wantAdmin bool
			wantRows  rowCounts
		}{
			{
				name:      "first sign-in creates the person and the identity",
				in:        models.SignInInput{Provider: "oidc", Subject: "sub-1", Email: " New.Person@Example.COM ", Name: " New Person "},
				wantEmail: "new.person@example.com", wantName: "New Person",
				wantRows: rowCounts{"users": 1, "identities": 1, "audit_events": 1},
			},
			{
				name:      "second sign-in returns the same person",
				in:        models.SignInInput{Provider: "oidc", Subject: "sub-1", Email: "new.person@example.com", Name: "New Person"},
				wantEmail: "new.person@example.com", wantName: "New Person",
			},
			{
				name:      "the identity wins over an email changed at the provider",
				in:        models.SignInInput{Provider: "oidc", Subject: "sub-1", Email: "renamed@example.com"},
				wantEmail: "new.person@example.com", wantName: "New Person",
			},
			{
				name:      "a new provider links to the person with that email",
				in:        models.SignInInput{Provider: "github", Subject: "4711", Email: "NEW.PERSON@example.com"},
				wantEmail: "new.person@example.com", wantName: "New Person",
				wantRows: rowCounts{"identities": 1},
			},
			{
				name:      "a person added by an admin gets an identity at first sign-in",
				in:        models.SignInInput{Provider: "oidc", Subject: "sub-otto", Email: "otto@example.com", Name: "Otto From SSO"},
				wantEmail: "otto@example.com", wantName: "Otto Outsider",
				wantRows: rowCounts{"identities": 1},
			},
			{
				name:      "an address in the admin list becomes an admin",
				in:        models.SignInInput{Provider: "oidc", Subject: "sub-boss", Email: "boss@example.com"},
				admins:    []string{"someone@example.com", " Boss@Example.com "},
				wantEmail: "boss@example.com", wantName: "boss", wantAdmin: true,
				wantRows: rowCounts{"users": 1, "identities": 1, "audit_events": 1},
			},
			{
				name:      "an address not in the admin list does not",
				in:        models.SignInInput{Provider: "oidc", Subject: "sub-pat", Email: "pat@example.com", Name: "Pat"},
				admins:    []string{"boss@example.com"},
				wantEmail: "pat@example.com", wantName: "Pat",
				wantRows: rowCounts{"users": 1, "identities": 1, "audit_events": 1},
			},
			{
				name:    "a deactivated person is refused",
				in:      models.SignInInput{Provider: "oidc", Subject: "sub-gone", Email: "gone@example.com"},
				wantErr: models.ErrUnauthenticated,
			},
			{
				name:    "a deactivated person is refused through a new provider too, and nothing is linked",
				in:      models.SignInInput{Provider: "github", Subject: "666", Email: "gone@example.com"},
				wantErr: models.ErrUnauthenticated,
			},
			{
				name:    "no email from the provider",
				in:      models.SignInInput{Provider: "oidc", Subject: "sub-x", Email: "  "},
				wantErr: models.ErrUnauthenticated,
			},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				f.clock.Add(time.Hour)
				before, mark := f.rows(t), f.lastEventID(t)
				u, err := f.s.SignIn(f.ctx, st.in, st.admins)
				checkErr(t, err, st.wantErr, "")
				f.wantRows(t, before, st.wantRows)
				if err != nil {
					return
				}
				if id, seen := ids[st.wantEmail]; seen && u.ID != id {
					t.Errorf("signed in as user %d, want the existing user %d", u.ID, id)
				}
				ids[st.wantEmail] = u.ID
				if u.Email != st.wantEmail || u.Name != st.wantName || u.IsAdmin != st.wantAdmin {
					t.Errorf("signed in as %q %q admin=%v, want %q %q admin=%v", u.Email, u.Name, u.IsAdmin, st.wantEmail, st.wantName, st.wantAdmin)
				}
				stored, err := f.s.UserByID(f.ctx, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				if stored.LastSeenAt == nil || !stored.LastSeenAt.Equal(f.clock.Now()) {
					t.Errorf("last seen at %v, want %v", stored.LastSeenAt, f.clock.Now())
				}
				var identity models.Identity
				if err := f.db.Where("provider = ? AND subject = ?", st.in.Provider, st.in.Subject).First(&identity).Error; err != nil || identity.UserID != u.ID {
					t.Errorf("identity %s/%s belongs to user %d (%v), want %d", st.in.Provider, st.in.Subject, identity.UserID, err, u.ID)
				}
				if st.wantRows["users"] == 1 {
					ev := f.oneEventAfter(t, mark)
					f.wantEvent(t, ev, u, "user.create", "user", st.wantEmail)
					wantState(t, "after", ev.After, map[string]any{"email": st.wantEmail, "admin": st.wantAdmin, "active": true})
				}
			})
		}
		// The refused person's last visit is not moved.
		u, err := f.s.UserByID(f.ctx, gone.ID)
		if err != nil {
			t.Fatal(err)
		}
		if u.LastSeenAt == nil || !u.LastSeenAt.Equal(*gone.LastSeenAt) {
			t.Errorf("a refused sign-in moved last seen from %v to %v", gone.LastSeenAt, u.LastSeenAt)
		}
	})
}

func TestCreatePerson(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db) // holds olga@example.com
		cases := []struct {
			name      string
			actor     *models.User
			in        models.PersonInput
			wantErr   error
			wantField string
			want      models.PersonInput // stored
		}{
			{name: "valid, trimmed and lower-cased", actor: f.admin,
				in:   models.PersonInput{Email: " Rita.Q@Example.com ", Name: " Rita Q ", Title: " Analyst "},
				want: models.PersonInput{Email: "rita.q@example.com", Name: "Rita Q", Title: "Analyst"}},
			{name: "no name: the address's local part", actor: f.admin,
				in:   models.PersonInput{Email: "sam@example.com"},
				want: models.PersonInput{Email: "sam@example.com", Name: "sam"}},
			{name: "longest name", actor: f.admin,
				in:   models.PersonInput{Email: "long@example.com", Name: strings.Repeat("ü", 120)},
				want: models.PersonInput{Email: "long@example.com", Name: strings.Repeat("ü", 120)}},
			{name: "duplicate email", actor: f.admin, in: models.PersonInput{Email: "olga@example.com", Name: "Olga Two"}, wantField: "email"},
			{name: "duplicate email in other case", actor: f.admin, in: models.PersonInput{Email: "OLGA@example.com"}, wantField: "email"},
			{name: "empty email", actor: f.admin, in: models.PersonInput{Email: " ", Name: "Nobody"}, wantField: "email"},
			{name: "not an email", actor: f.admin, in: models.PersonInput{Email: "rita at example"}, wantField: "email"},
			{name: "email with display name", actor: f.admin, in: models.PersonInput{Email: "Rita <rita@example.com>"}, wantField: "email"},
			{name: "email too long", actor: f.admin, in: models.PersonInput{Email: strings.Repeat("r", 243) + "@example.com"}, wantField: "email"},
			{name: "name too long", actor: f.admin, in: models.PersonInput{Email: "rita@example.com", Name: strings.Repeat("n", 121)}, wantField: "name"},
			{name: "team owner may not", actor: f.owner, in: models.PersonInput{Email: "rita@example.com"}, wantErr: models.ErrForbidden},
			{name: "nobody may not", actor: nil, in: models.PersonInput{Email: "rita@example.com"}, wantErr: models.ErrUnauthenticated},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before, mark := f.rows(t), f.lastEventID(t)
				u, err := f.s.CreatePerson(f.ctx, tc.actor, tc.in)
				checkErr(t, err, tc.wantErr, tc.wantField)
				if err != nil {
					f.wantRows(t, before, nil)
					return
				}
				f.wantRows(t, before, rowCounts{"users": 1, "audit_events": 1})
				got, err := f.s.UserByEmail(f.ctx, tc.want.Email)
				if err != nil {
					t.Fatal(err)
				}
				if stored := (models.PersonInput{Email: got.Email, Name: got.Name, Title: got.Title}); stored != tc.want || got.ID != u.ID {
					t.Errorf("stored %+v, want %+v", stored, tc.want)
				}
				if got.IsAdmin || !got.Active() || got.LastSeenAt != nil {
					t.Errorf("new person: admin=%v active=%v last seen %v; want a plain, active person who never signed in", got.IsAdmin, got.Active(), got.LastSeenAt)
				}
				ev := f.oneEventAfter(t, mark)
				f.wantEvent(t, ev, f.admin, "user.create", "user", tc.want.Email)
				wantState(t, "after", ev.After, map[string]any{"email": tc.want.Email, "name": tc.want.Name, "admin": false, "active": true})
			})
		}
	})
}

func TestSetAdmin(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db)
		steps := []struct {
			name       string
			actor      *models.User
			userID     uint
			admin      bool
			wantErr    error
			wantField  string
			wantAction string
		}{
			{name: "admin makes an admin", actor: f.admin, userID: f.outsider.ID, admin: true, wantAction: "user.admin.grant"},
			{name: "admin unmakes an admin", actor: f.admin, userID: f.outsider.ID, admin: false, wantAction: "user.admin.revoke"},
			{name: "admin cannot unmake themselves", actor: f.admin, userID: f.admin.ID, admin: false, wantField: "admin"},
			{name: "non-admin cannot make themselves admin", actor: f.owner, userID: f.owner.ID, admin: true, wantErr: models.ErrForbidden},
			{name: "nobody", actor: nil, userID: f.owner.ID, admin: true, wantErr: models.ErrUnauthenticated},
			{name: "unknown person", actor: f.admin, userID: 99999, admin: true, wantErr: models.ErrNotFound},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				old, _ := f.s.UserByID(f.ctx, st.userID)
				before, mark := f.rows(t), f.lastEventID(t)
				u, err := f.s.SetAdmin(f.ctx, st.actor, st.userID, st.admin)
				checkErr(t, err, st.wantErr, st.wantField)
				if err != nil {
					f.wantRows(t, before, nil)
					if old != nil {
						if now, _ := f.s.UserByID(f.ctx, st.userID); now.IsAdmin != old.IsAdmin {
							t.Errorf("admin = %v after a refused change, want %v", now.IsAdmin, old.IsAdmin)
						}
					}
					return
				}
				f.wantRows(t, before, rowCounts{"audit_events": 1})
				got, _ := f.s.UserByID(f.ctx, st.userID)
				if got.IsAdmin != st.admin || u.IsAdmin != st.admin {
					t.Errorf("admin = %v (returned %v), want %v", got.IsAdmin, u.IsAdmin, st.admin)
				}
				ev := f.oneEventAfter(t, mark)
				f.wantEvent(t, ev, st.actor, st.wantAction, "user", got.Email)
				wantState(t, "before", ev.Before, map[string]any{"admin": !st.admin})
				wantState(t, "after", ev.After, map[string]any{"admin": st.admin})
			})
		}
	})
}

func TestSetActive(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db)
		session, err := f.s.CreateSession(f.ctx, f.member, "oidc")
		if err != nil {
			t.Fatal(err)
		}
		_, token, err := f.s.CreateToken(f.ctx, f.member, "laptop")
		if err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			name       string
			actor      *models.User
			userID     uint
			active     bool
			wantErr    error
			wantField  string
			wantAction string
			wantActive bool // the member's state afterwards
		}{
			{name: "admin deactivates", actor: f.admin, userID: f.member.ID, active: false, wantAction: "user.deactivate"},
			{name: "non-admin cannot reactivate", actor: f.owner, userID: f.member.ID, active: true, wantErr: models.ErrForbidden},
			{name: "deactivated cannot reactivate themselves", actor: f.member, userID: f.member.ID, active: true, wantErr: models.ErrUnauthenticated},
			{name: "admin reactivates", actor: f.admin, userID: f.member.ID, active: true, wantAction: "user.reactivate", wantActive: true},
			{name: "admin cannot deactivate themselves", actor: f.admin, userID: f.admin.ID, active: false, wantField: "active", wantActive: true},
			{name: "non-admin cannot deactivate", actor: f.owner, userID: f.member.ID, active: false, wantErr: models.ErrForbidden, wantActive: true},
			{name: "unknown person", actor: f.admin, userID: 99999, active: false, wantErr: models.ErrNotFound, wantActive: true},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				f.clock.Add(time.Hour)
				// The caller as the session middleware would load them now.
				actor, err := f.s.UserByID(f.ctx, st.actor.ID)
				if err != nil {
					t.Fatal(err)
				}
				before, mark := f.rows(t), f.lastEventID(t)
				_, err = f.s.SetActive(f.ctx, actor, st.userID, st.active)
				checkErr(t, err, st.wantErr, st.wantField)
				if err != nil {
					f.wantRows(t, before, nil)
				} else {
					f.wantRows(t, before, rowCounts{"audit_events": 1})
				}

				member, _ := f.s.UserByID(f.ctx, f.member.ID)
				if member.Active() != st.wantActive {
					t.Errorf("member active = %v, want %v", member.Active(), st.wantActive)
				}
				// Deactivation ends sessions and tokens; reactivation brings them back.
				_, errSession := f.s.UserBySession(f.ctx, session)
				_, errToken := f.s.UserByToken(f.ctx, token)
				_, errSignIn := f.s.SignIn(f.ctx, models.SignInInput{Provider: "oidc", Subject: "sub-max", Email: f.member.Email}, nil)
				for what, e := range map[string]error{"session": errSession, "token": errToken, "sign-in": errSignIn} {
					if st.wantActive && e != nil {
						t.Errorf("%s of an active person: %v", what, e)
					}
					if !st.wantActive && !models.IsUnauthenticated(e) {
						t.Errorf("%s of a deactivated person: %v, want ErrUnauthenticated", what, e)
					}
				}
				if err != nil {
					return
				}
				if !st.active && (member.DeactivatedAt == nil || !member.DeactivatedAt.Equal(f.clock.Now())) {
					t.Errorf("deactivated at %v, want the store's clock %v", member.DeactivatedAt, f.clock.Now())
				}
				ev := f.oneEventAfter(t, mark)
				f.wantEvent(t, ev, st.actor, st.wantAction, "user", f.member.Email)
				wantState(t, "before", ev.Before, map[string]any{"active": !st.active})
				wantState(t, "after", ev.After, map[string]any{"active": st.active})
			})
		}
	})
}

func TestListUsers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db) // Ada Admin, Olga Owner, Max Member, Otto Outsider
		f.person(t, "alice@example.com", "Alice Analyst")
		zed := f.person(t, "zed@example.com", "Zed Admin")
		if _, err := f.s.SetAdmin(f.ctx, f.admin, zed.ID, true); err != nil {
			t.Fatal(err)
		}
		bob := f.person(t, "bob@corp.example", "Bob Builder")
		if _, err := f.s.SetActive(f.ctx, f.admin, bob.ID, false); err != nil {
			t.Fatal(err)
		}

		cases := []struct {
			name      string
			filter    models.PeopleFilter
			page      models.Page
			want      []string // names, in order
			wantTotal int64
			wantPages int
		}{
			{"everyone", models.PeopleFilter{}, models.NewPage(1, 50),
				[]string{"Ada Admin", "Alice Analyst", "Bob Builder", "Max Member", "Olga Owner", "Otto Outsider", "Zed Admin"}, 7, 1},
			{"part of a name", models.PeopleFilter{Query: "alice"}, models.NewPage(1, 50), []string{"Alice Analyst"}, 1, 1},
			{"name in any case", models.PeopleFilter{Query: "ADMIN"}, models.NewPage(1, 50), []string{"Ada Admin", "Zed Admin"}, 2, 1},
			{"part of an email", models.PeopleFilter{Query: "corp.example"}, models.NewPage(1, 50), []string{"Bob Builder"}, 1, 1},
			{"nobody matches", models.PeopleFilter{Query: "xyzzy"}, models.NewPage(1, 50), nil, 0, 1},
			{"admins", models.PeopleFilter{Role: "admin"}, models.NewPage(1, 50), []string{"Ada Admin", "Zed Admin"}, 2, 1},
			{"deactivated", models.PeopleFilter{Role: "deactivated"}, models.NewPage(1, 50), []string{"Bob Builder"}, 1, 1},
			{"query and role both apply", models.PeopleFilter{Query: "zed", Role: "admin"}, models.NewPage(1, 50), []string{"Zed Admin"}, 1, 1},
			{"a name match does not escape the role", models.PeopleFilter{Query: "bob", Role: "admin"}, models.NewPage(1, 50), nil, 0, 1},
			{"an email match does not escape the role", models.PeopleFilter{Query: "ada@", Role: "deactivated"}, models.NewPage(1, 50), nil, 0, 1},
			{"first page", models.PeopleFilter{}, models.NewPage(1, 3), []string{"Ada Admin", "Alice Analyst", "Bob Builder"}, 7, 3},
			{"middle page", models.PeopleFilter{}, models.NewPage(2, 3), []string{"Max Member", "Olga Owner", "Otto Outsider"}, 7, 3},
			{"last page", models.PeopleFilter{}, models.NewPage(3, 3), []string{"Zed Admin"}, 7, 3},
			{"past the end", models.PeopleFilter{}, models.NewPage(4, 3), nil, 7, 3},
			{"filtered and paged", models.PeopleFilter{Query: "admin"}, models.NewPage(2, 1), []string{"Zed Admin"}, 2, 2},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				users, page, err := f.s.ListUsers(f.ctx, tc.filter, tc.page)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, u := range users {
					got = append(got, u.Name)
				}
				if strings.Join(got, ",") != strings.Join(tc.want, ",") {
					t.Errorf("ListUsers = %v, want %v", got, tc.want)
				}
				if page.Total != tc.wantTotal || page.Pages() != tc.wantPages || page.Number != tc.page.Number {
					t.Errorf("page %d of %d (%d in all), want page %d of %d (%d in all)",
						page.Number, page.Pages(), page.Total, tc.page.Number, tc.wantPages, tc.wantTotal)
				}
			})
		}

		found, err := f.s.SearchUsers(f.ctx, "o", 2)
		if err != nil || len(found) != 2 {
			t.Errorf("SearchUsers with limit 2 = %d people, %v", len(found), err)
		}
	})
}

func TestNewPage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ *gorm.DB) {
		for _, tc := range []struct {
			number, size         int
			wantNumber, wantSize int
			wantOffset           int
		}{
			{1, 20, 1, 20, 0},
			{3, 20, 3, 20, 40},
			{0, 20, 1, 20, 0},
			{-2, 20, 1, 20, 0},
			{2, 0, 2, 50, 50},
			{2, 201, 2, 50, 50},
			{2, 200, 2, 200, 200},
		} {
			p := models.NewPage(tc.number, tc.size)
			if p.Number != tc.wantNumber || p.Size != tc.wantSize || p.Offset() != tc.wantOffset {
				t.Errorf("NewPage(%d, %d) = page %d size %d offset %d, want %d, %d, %d",
					tc.number, tc.size, p.Number, p.Size, p.Offset(), tc.wantNumber, tc.wantSize, tc.wantOffset)
			}
		}
	})
}
