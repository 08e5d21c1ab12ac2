package models_test

import (
	"errors"
	"testing"
	"time"

	"gorm.io/gorm"

	"plaza/models"
	"plaza/models/dbtest"
)

// storeAt is a store over db whose clock stands still at t.
func storeAt(db *gorm.DB, t time.Time) *models.Store {
	return &models.Store{DB: db, Now: func() time.Time { return t }}
}

func TestSessionLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db)
		secret, err := f.s.CreateSession(f.ctx, f.member, "oidc")
		if err != nil {
			t.Fatal(err)
		}
		other, err := f.s.CreateSession(f.ctx, f.member, "demo")
		if err != nil {
			t.Fatal(err)
		}
		if secret == other || len(secret) < 40 {
			t.Fatalf("session secrets %q and %q: want two distinct, long secrets", secret, other)
		}
		var sess models.Session
		if err := db.Where("hash = ?", models.HashSecret(secret)).First(&sess).Error; err != nil {
			t.Fatalf("session row by hash: %v", err)
		}
		if sess.UserID != f.member.ID || sess.Provider != "oidc" || !sess.ExpiresAt.Equal(start.Add(models.SessionLifetime)) {
			t.Errorf("stored %+v; want user %d, provider oidc, expiring %v", sess, f.member.ID, start.Add(models.SessionLifetime))
		}
		wantNowhere(t, db, secret, "sessions")

		steps := []struct {
			name    string
			do      func() error
			secret  string
			wantErr error
		}{
			{name: "live session", secret: secret},
			{name: "garbage", secret: "not a session", wantErr: models.ErrUnauthenticated},
			{name: "the stored hash is not a credential", secret: sess.Hash, wantErr: models.ErrUnauthenticated},
			{name: "signed out", do: func() error { return f.s.EndSession(f.ctx, secret) }, secret: secret, wantErr: models.ErrUnauthenticated},
			{name: "signing out twice is fine", do: func() error { return f.s.EndSession(f.ctx, secret) }, secret: secret, wantErr: models.ErrUnauthenticated},
			{name: "signing out an unknown session is fine", do: func() error { return f.s.EndSession(f.ctx, "nonsense") }, secret: other},
			{name: "the other browser stays signed in", secret: other},
			{name: "deactivation ends the other browser too", do: func() error {
				_, err := f.s.SetActive(f.ctx, f.admin, f.member.ID, false)
				return err
			}, secret: other, wantErr: models.ErrUnauthenticated},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				if st.do != nil {
					if err := st.do(); err != nil {
						t.Fatalf("step: %v", err)
					}
				}
				u, err := f.s.UserBySession(f.ctx, st.secret)
				checkErr(t, err, st.wantErr, "")
				if err == nil && u.ID != f.member.ID {
					t.Errorf("session of user %d, want %d", u.ID, f.member.ID)
				}
			})
		}
		var left int64
		db.Model(&models.Session{}).Count(&left)
		if left != 1 {
			t.Errorf("%d sessions left, want 1 (the deactivated person's other browser)", left)
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db)
		secret, err := storeAt(db, start).CreateSession(f.ctx, f.owner, "oidc")
		if err != nil {
			t.Fatal(err)
		}
		lastSeen := func() time.Time {
			t.Helper()
			var s models.Session
			if err := db.Where("hash = ?", models.HashSecret(secret)).First(&s).Error; err != nil {
				t.Fatal(err)
			}
			return s.LastSeenAt
		}
		// In time order: each step's clock is later than the one before.
		steps := []struct {
			name         string
			after        time.Duration
			wantErr      error
			wantLastSeen time.Duration
		}{
			{name: "just created", after: 0, wantLastSeen: 0},
			{name: "within a minute: last seen kept", after: 30 * time.Second, wantLastSeen: 0},
			{name: "an hour later: last seen moves", after: time.Hour, wantLastSeen: time.Hour},
			{name: "a second before the end", after: models.SessionLifetime - time.Second, wantLastSeen: models.SessionLifetime - time.Second},
			{name: "at the very end", after: models.SessionLifetime, wantLastSeen: models.SessionLifetime - time.Second},
			{name: "a second past the end", after: models.SessionLifetime + time.Second, wantErr: models.ErrSessionExpired,
				wantLastSeen: models.SessionLifetime - time.Second},
			{name: "a month later", after: 30 * 24 * time.Hour, wantErr: models.ErrSessionExpired,
				wantLastSeen: models.SessionLifetime - time.Second},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				u, err := storeAt(db, start.Add(st.after)).UserBySession(f.ctx, secret)
				checkErr(t, err, st.wantErr, "")
				if st.wantErr != nil && !errors.Is(err, models.ErrUnauthenticated) {
					t.Errorf("an expired session is %v, want it to count as unauthenticated too", err)
				}
				if err == nil && u.ID != f.owner.ID {
					t.Errorf("session of user %d, want %d", u.ID, f.owner.ID)
				}
				if got := lastSeen(); !got.Equal(start.Add(st.wantLastSeen)) {
					t.Errorf("last seen %v, want %v", got, start.Add(st.wantLastSeen))
				}
			})
		}
	})
}

func TestDeleteExpiredSessions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db)
		ages := []time.Duration{0, 24 * time.Hour, 3 * 24 * time.Hour, 6 * 24 * time.Hour}
		secrets := make([]string, len(ages))
		for i, age := range ages {
			var err error
			if secrets[i], err = storeAt(db, start.Add(-age)).CreateSession(f.ctx, f.member, "oidc"); err != nil {
				t.Fatal(err)
			}
		}
		// A day past the first session's lifetime, sessions older than a day have run out.
		now := start.Add(models.SessionLifetime - 2*24*time.Hour)
		cases := []struct {
			name     string
			now      time.Time
			wantGone int64
			wantLeft int64
		}{
			{"none expired yet", start, 0, 4},
			{"the two oldest", now, 2, 2},
			{"again: nothing more", now, 0, 2},
			{"all", start.Add(models.SessionLifetime + time.Second), 2, 0},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				n, err := storeAt(db, tc.now).DeleteExpiredSessions(f.ctx)
				if err != nil {
					t.Fatal(err)
				}
				var left int64
				db.Model(&models.Session{}).Count(&left)
				if n != tc.wantGone || left != tc.wantLeft {
					t.Errorf("deleted %d, %d left; want %d deleted, %d left", n, left, tc.wantGone, tc.wantLeft)
				}
			})
		}
		if _, err := storeAt(db, start).UserBySession(f.ctx, secrets[0]); !models.IsUnauthenticated(err) {
			t.Errorf("a deleted session still works: %v", err)
		}
	})
}
