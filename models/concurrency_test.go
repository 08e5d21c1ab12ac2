package models_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"plaza/models"
	"plaza/models/dbtest"
)

// TestConcurrentWrites: many writers through one Store all succeed. On
// SQLite (a real file in WAL mode) this is what the busy timeout and
// immediate write transactions are for: no "database is locked".
func TestConcurrentWrites(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db)
		const workers, perWorker = 8, 25
		before := f.rows(t)

		var wg sync.WaitGroup
		errs := make(chan error, workers*perWorker*3)
		ready := make(chan struct{})
		for w := range workers {
			wg.Go(func() {
				<-ready
				for i := range perWorker {
					email := fmt.Sprintf("worker%d.person%d@example.com", w, i)
					u, err := f.s.CreatePerson(f.ctx, f.admin, models.PersonInput{Email: email})
					if err != nil {
						errs <- fmt.Errorf("create %s: %w", email, err)
						continue
					}
					role := models.RoleMember
					if i%5 == 0 {
						role = models.RoleOwner
					}
					if _, err := f.s.AddMember(f.ctx, f.owner, f.orders, email, role); err != nil {
						errs <- fmt.Errorf("add %s: %w", email, err)
					}
					if _, _, err := f.s.CreateToken(f.ctx, u, "ci"); err != nil {
						errs <- fmt.Errorf("token for %s: %w", email, err)
					}
					// Readers run alongside the writers.
					if _, _, err := f.s.ListUsers(f.ctx, models.PeopleFilter{Query: "worker"}, models.NewPage(1, 10)); err != nil {
						errs <- fmt.Errorf("list people: %w", err)
					}
				}
			})
		}
		close(ready)
		wg.Wait()
		close(errs)

		var n, locked int
		for err := range errs {
			n++
			if msg := strings.ToLower(err.Error()); strings.Contains(msg, "locked") || strings.Contains(msg, "busy") {
				locked++
			}
			if n <= 5 {
				t.Errorf("%s: %v", dbtest.Name(db), err)
			}
		}
		if n > 0 {
			t.Fatalf("%d of %d writes failed, %d of them with a lock error", n, workers*perWorker*3, locked)
		}

		const people = workers * perWorker
		f.wantRows(t, before, rowCounts{"users": people, "memberships": people, "api_tokens": people, "audit_events": 3 * people})
		ms, err := f.s.Members(f.ctx, f.orders.ID)
		if err != nil {
			t.Fatal(err)
		}
		owners := 0
		for _, m := range ms {
			if m.Role == models.RoleOwner {
				owners++
			}
		}
		// The fixture's owner and member, plus every fifth new person as an owner.
		if len(ms) != people+2 || owners != people/5+1 {
			t.Errorf("team has %d members, %d owners; want %d, %d", len(ms), owners, people+2, people/5+1)
		}
	})
}

// TestConcurrentAddSamePerson: owners adding the same person at the same
// moment end with one membership and one audit event. On Postgres a caller
// who loses the race is told so on the email field, never with a raw
// unique-constraint error (which would show as "something went wrong").
func TestConcurrentAddSamePerson(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newFixture(t, db)
		// The race is narrow; several rounds make losing it likely.
		const rounds, workers = 10, 8
		for r := range rounds {
			email := fmt.Sprintf("newcomer%d@example.com", r)
			f.person(t, email, fmt.Sprintf("Newcomer %d", r))
			before := f.rows(t)
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			ready := make(chan struct{})
			for range workers {
				wg.Go(func() {
					<-ready
					if _, err := f.s.AddMember(f.ctx, f.owner, f.orders, email, models.RoleMember); err != nil {
						errs <- err
					}
				})
			}
			close(ready)
			wg.Wait()
			close(errs)
			for err := range errs {
				var ve *models.ValidationError
				if !errors.As(err, &ve) || ve.Fields["email"] == "" {
					t.Errorf("round %d: %v; want success or a validation error on email", r, err)
				}
			}
			f.wantRows(t, before, rowCounts{"memberships": 1, "audit_events": 1})
			if role := teamRoles(t, f, f.orders)[email]; role != models.RoleMember {
				t.Errorf("round %d: %s is %q in the team, want member", r, email, role)
			}
		}
	})
}
