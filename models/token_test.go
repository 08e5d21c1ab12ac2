package models_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"plaza/models"
	"plaza/models/dbtest"
)

// cellsOf returns every value in table as text, for checking that a secret
// was stored nowhere.
func cellsOf(t *testing.T, db *gorm.DB, table string) []string {
	t.Helper()
	rows, err := db.Table(table).Rows()
	if err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("scan %s: %v", table, err)
		}
		for _, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			out = append(out, fmt.Sprint(v))
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// wantNowhere fails when secret, or its random part, appears in any cell of the tables.
func wantNowhere(t *testing.T, db *gorm.DB, secret string, tables ...string) {
	t.Helper()
	random := strings.TrimPrefix(secret, "plz_")
	for _, table := range tables {
		cells := cellsOf(t, db, table)
		if len(cells) == 0 {
			t.Fatalf("%s is empty; the check would prove nothing", table)
		}
		for _, c := range cells {
			if strings.Contains(c, secret) || strings.Contains(c, random) {
				t.Errorf("%s stores the secret: %q", table, c)
			}
		}
	}
}

func TestCreateToken(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db)
		gone := f.deactivated(t, "gone@example.com")
		cases := []struct {
			name      string
			user      *models.User
			tokenName string
			wantErr   error
			wantField string
		}{
			{name: "valid, name trimmed", user: f.member, tokenName: "  laptop  "},
			{name: "second token of the same person", user: f.member, tokenName: "ci"},
			{name: "longest name", user: f.owner, tokenName: strings.Repeat("t", 80)},
			{name: "empty name", user: f.member, tokenName: "  ", wantField: "name"},
			{name: "name too long", user: f.member, tokenName: strings.Repeat("t", 81), wantField: "name"},
			{name: "deactivated person", user: gone, tokenName: "laptop", wantErr: models.ErrUnauthenticated},
			{name: "nobody", user: nil, tokenName: "laptop", wantErr: models.ErrUnauthenticated},
		}
		secrets := map[string]bool{}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before, mark := f.rows(t), f.lastEventID(t)
				tok, secret, err := f.s.CreateToken(f.ctx, tc.user, tc.tokenName)
				checkErr(t, err, tc.wantErr, tc.wantField)
				if err != nil {
					f.wantRows(t, before, nil)
					if secret != "" {
						t.Errorf("a refused token still returned a secret")
					}
					return
				}
				f.wantRows(t, before, rowCounts{"api_tokens": 1, "audit_events": 1})
				if !strings.HasPrefix(secret, "plz_") || len(secret) != len("plz_")+32 {
					t.Errorf("secret %q: want plz_ and 32 characters", secret)
				}
				if secrets[secret] {
					t.Errorf("secret %q was handed out twice", secret)
				}
				secrets[secret] = true
				var stored models.APIToken
				if err := db.First(&stored, tok.ID).Error; err != nil {
					t.Fatal(err)
				}
				if stored.Name != strings.TrimSpace(tc.tokenName) || stored.UserID != tc.user.ID || stored.Prefix != secret[:10] ||
					stored.Hash != models.HashSecret(secret) || stored.LastUsedAt != nil || stored.RevokedAt != nil {
					t.Errorf("stored %+v; want name %q, user %d, prefix %q, the secret's hash, never used, live",
						stored, strings.TrimSpace(tc.tokenName), tc.user.ID, secret[:10])
				}
				wantNowhere(t, db, secret, "api_tokens", "audit_events")
				ev := f.oneEventAfter(t, mark)
				f.wantEvent(t, ev, tc.user, "token.create", "token", stored.Prefix)
				wantState(t, "after", ev.After, map[string]any{"name": stored.Name, "prefix": stored.Prefix, "revoked": false})
				// The secret is shown once: nothing the store returns later carries it.
				tokens, err := f.s.Tokens(f.ctx, tc.user.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, listed := range tokens {
					if strings.Contains(fmt.Sprintf("%+v", listed), secret) {
						t.Errorf("Tokens lists the secret: %+v", listed)
					}
				}
			})
		}
	})
}

func TestUserByToken(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db)
		live, secret, err := f.s.CreateToken(f.ctx, f.member, "laptop")
		if err != nil {
			t.Fatal(err)
		}
		revoked, revokedSecret, err := f.s.CreateToken(f.ctx, f.member, "old laptop")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.s.RevokeToken(f.ctx, f.member, revoked.ID); err != nil {
			t.Fatal(err)
		}
		goneUser := f.person(t, "gone@example.com", "Gone Person")
		goneTok, goneSecret, err := f.s.CreateToken(f.ctx, goneUser, "ci")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.SetActive(f.ctx, f.admin, goneUser.ID, false); err != nil {
			t.Fatal(err)
		}

		lastUsed := func(id uint) *time.Time {
			t.Helper()
			var tok models.APIToken
			if err := db.First(&tok, id).Error; err != nil {
				t.Fatal(err)
			}
			return tok.LastUsedAt
		}
		steps := []struct {
			name         string
			wait         time.Duration // clock moves before the call
			secret       string
			wantErr      error
			token        *models.APIToken
			wantLastUsed time.Time // zero: never used
		}{
			{name: "live token", secret: secret, token: live, wantLastUsed: start},
			{name: "used again within a minute: last use kept", wait: 30 * time.Second, secret: secret, token: live, wantLastUsed: start},
			{name: "used again later: last use moves", wait: 2 * time.Minute, secret: secret, token: live, wantLastUsed: start.Add(150 * time.Second)},
			{name: "revoked token", secret: revokedSecret, token: revoked, wantErr: models.ErrUnauthenticated},
			{name: "deactivated owner", secret: goneSecret, token: goneTok, wantErr: models.ErrUnauthenticated},
			{name: "garbage", secret: "let me in", wantErr: models.ErrUnauthenticated},
			{name: "empty", secret: "", wantErr: models.ErrUnauthenticated},
			{name: "well-formed but unknown", secret: "plz_" + models.NewSecret(20), wantErr: models.ErrUnauthenticated},
			{name: "live token with a character added", secret: secret + "a", wantErr: models.ErrUnauthenticated},
			{name: "live token in upper case", secret: strings.ToUpper(secret), wantErr: models.ErrUnauthenticated},
			{name: "the stored hash is not a credential", secret: live.Hash, wantErr: models.ErrUnauthenticated},
			{name: "the prefix alone is not a credential", secret: live.Prefix, wantErr: models.ErrUnauthenticated},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				f.clock.Add(st.wait)
				u, err := f.s.UserByToken(f.ctx, st.secret)
				checkErr(t, err, st.wantErr, "")
				if err == nil && u.ID != f.member.ID {
					t.Errorf("token belongs to user %d, want %d", u.ID, f.member.ID)
				}
				if st.token == nil {
					return
				}
				got := lastUsed(st.token.ID)
				switch {
				case st.wantLastUsed.IsZero() && got != nil:
					t.Errorf("last used at %v, want never", got)
				case !st.wantLastUsed.IsZero() && (got == nil || !got.Equal(st.wantLastUsed)):
					t.Errorf("last used at %v, want %v", got, st.wantLastUsed)
				}
			})
		}
	})
}

func TestRevokeToken(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db)
		tok, secret, err := f.s.CreateToken(f.ctx, f.member, "laptop")
		if err != nil {
			t.Fatal(err)
		}
		newer, _, err := f.s.CreateToken(f.ctx, f.member, "ci")
		if err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			name      string
			user      *models.User
			id        uint
			wantErr   error
			wantEvent bool
			wantLive  bool // the laptop token works afterwards
		}{
			{name: "someone else's token", user: f.owner, id: tok.ID, wantErr: models.ErrNotFound, wantLive: true},
			{name: "even an admin's hand stays off", user: f.admin, id: tok.ID, wantErr: models.ErrNotFound, wantLive: true},
			{name: "unknown token", user: f.member, id: 99999, wantErr: models.ErrNotFound, wantLive: true},
			{name: "owner revokes", user: f.member, id: tok.ID, wantEvent: true},
			{name: "revoking again changes nothing", user: f.member, id: tok.ID},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				f.clock.Add(time.Hour)
				before, mark := f.rows(t), f.lastEventID(t)
				err := f.s.RevokeToken(f.ctx, st.user, st.id)
				checkErr(t, err, st.wantErr, "")
				_, errUse := f.s.UserByToken(f.ctx, secret)
				if (errUse == nil) != st.wantLive {
					t.Errorf("token use after the step: %v, want live=%v", errUse, st.wantLive)
				}
				if !st.wantEvent {
					f.wantRows(t, before, nil)
					return
				}
				f.wantRows(t, before, rowCounts{"audit_events": 1})
				var stored models.APIToken
				db.First(&stored, tok.ID)
				if stored.RevokedAt == nil || !stored.RevokedAt.Equal(f.clock.Now()) {
					t.Errorf("revoked at %v, want %v", stored.RevokedAt, f.clock.Now())
				}
				ev := f.oneEventAfter(t, mark)
				f.wantEvent(t, ev, st.user, "token.revoke", "token", tok.Prefix)
				wantState(t, "before", ev.Before, map[string]any{"revoked": false})
				wantState(t, "after", ev.After, map[string]any{"revoked": true})
			})
		}

		tokens, err := f.s.Tokens(f.ctx, f.member.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(tokens) != 2 || tokens[0].ID != newer.ID || tokens[1].ID != tok.ID || tokens[1].RevokedAt == nil || tokens[0].RevokedAt != nil {
			t.Errorf("Tokens = %+v, want the live ci token then the revoked laptop token", tokens)
		}
		if others, _ := f.s.Tokens(f.ctx, f.owner.ID); len(others) != 0 {
			t.Errorf("the owner sees %d tokens, want none", len(others))
		}
	})
}
