package models_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"plaza/models"
)

// requestID is the request id every fixture's context carries, so tests can
// check that audit events name the request that caused them.
const requestID = "req-7f3a"

// start is the fixed moment every fixture's clock begins at.
var start = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

// clock is a settable time source for Store.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is a fresh store holding a small company: an admin, the owner and
// a member of the sales/orders team, and an outsider who is in no team.
type fixture struct {
	db    *gorm.DB
	s     *models.Store
	ctx   context.Context
	clock *clock

	admin    *models.User
	owner    *models.User
	member   *models.User
	outsider *models.User

	sales  *models.Domain
	orders *models.Team
}

func newFixture(t *testing.T, db *gorm.DB) *fixture {
	t.Helper()
	clk := &clock{now: start}
	s := models.NewStore(db)
	s.Now = clk.Now
	f := &fixture{db: db, s: s, ctx: models.WithRequestID(context.Background(), requestID), clock: clk}

	var err error
	f.admin, err = s.EnsureUser(f.ctx, "ada@example.com", "Ada Admin", []string{"ada@example.com"})
	if err != nil || !f.admin.IsAdmin {
		t.Fatalf("seed admin: %v (admin %v)", err, f.admin != nil && f.admin.IsAdmin)
	}
	f.owner = f.person(t, "olga@example.com", "Olga Owner")
	f.member = f.person(t, "max@example.com", "Max Member")
	f.outsider = f.person(t, "otto@example.com", "Otto Outsider")

	f.sales, err = s.CreateDomain(f.ctx, f.admin, models.DomainInput{Slug: "sales", Name: "Sales", ContactEmail: "data-sales@example.com"})
	if err != nil {
		t.Fatalf("seed domain: %v", err)
	}
	f.orders, err = s.CreateTeam(f.ctx, f.admin, "sales", models.TeamInput{Slug: "orders", Name: "Orders"})
	if err != nil {
		t.Fatalf("seed team: %v", err)
	}
	if _, err := s.AddMember(f.ctx, f.admin, f.orders, f.owner.Email, models.RoleOwner); err != nil {
		t.Fatalf("seed owner: %v", err)
	}
	if _, err := s.AddMember(f.ctx, f.admin, f.orders, f.member.Email, models.RoleMember); err != nil {
		t.Fatalf("seed member: %v", err)
	}
	return f
}

// person adds someone through the admin, as the People page does.
func (f *fixture) person(t *testing.T, email, name string) *models.User {
	t.Helper()
	u, err := f.s.CreatePerson(f.ctx, f.admin, models.PersonInput{Email: email, Name: name})
	if err != nil {
		t.Fatalf("create person %s: %v", email, err)
	}
	return u
}

// domain creates a domain as the admin.
func (f *fixture) domain(t *testing.T, slug, name string) *models.Domain {
	t.Helper()
	d, err := f.s.CreateDomain(f.ctx, f.admin, models.DomainInput{Slug: slug, Name: name})
	if err != nil {
		t.Fatalf("create domain %s: %v", slug, err)
	}
	return d
}

// team creates a team as the admin.
func (f *fixture) team(t *testing.T, domainSlug, slug, name string) *models.Team {
	t.Helper()
	tm, err := f.s.CreateTeam(f.ctx, f.admin, domainSlug, models.TeamInput{Slug: slug, Name: name})
	if err != nil {
		t.Fatalf("create team %s/%s: %v", domainSlug, slug, err)
	}
	return tm
}

// deactivated returns a fresh person who has been deactivated.
func (f *fixture) deactivated(t *testing.T, email string) *models.User {
	t.Helper()
	u := f.person(t, email, "Gone Person")
	u, err := f.s.SetActive(f.ctx, f.admin, u.ID, false)
	if err != nil {
		t.Fatalf("deactivate %s: %v", email, err)
	}
	return u
}

// rowCounts is the number of rows in each table, to prove that a refused
// change wrote nothing.
type rowCounts map[string]int64

var tables = []string{"users", "identities", "domains", "teams", "memberships", "sessions", "api_tokens", "audit_events"}

func (f *fixture) rows(t *testing.T) rowCounts {
	t.Helper()
	out := rowCounts{}
	for _, table := range tables {
		var n int64
		if err := f.db.Table(table).Count(&n).Error; err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

// wantRows compares counts after a change with those before it, plus the
// given differences.
func (f *fixture) wantRows(t *testing.T, before rowCounts, diff rowCounts) {
	t.Helper()
	after := f.rows(t)
	for _, table := range tables {
		if want := before[table] + diff[table]; after[table] != want {
			t.Errorf("%s: %d rows, want %d", table, after[table], want)
		}
	}
}

// lastEventID is the id of the newest audit event, 0 when there is none.
func (f *fixture) lastEventID(t *testing.T) uint {
	t.Helper()
	var ev models.AuditEvent
	err := f.db.Order("id DESC").Limit(1).Find(&ev).Error
	if err != nil {
		t.Fatalf("last audit event: %v", err)
	}
	return ev.ID
}

// eventsAfter returns the audit events written after the one with id mark, oldest first.
func (f *fixture) eventsAfter(t *testing.T, mark uint) []models.AuditEvent {
	t.Helper()
	var evs []models.AuditEvent
	if err := f.db.Where("id > ?", mark).Order("id").Find(&evs).Error; err != nil {
		t.Fatalf("audit events: %v", err)
	}
	return evs
}

// oneEventAfter asserts that exactly one audit event was written after mark and returns it.
func (f *fixture) oneEventAfter(t *testing.T, mark uint) models.AuditEvent {
	t.Helper()
	evs := f.eventsAfter(t, mark)
	if len(evs) != 1 {
		actions := make([]string, len(evs))
		for i, ev := range evs {
			actions[i] = ev.Action
		}
		t.Fatalf("wrote %d audit events %v, want exactly 1", len(evs), actions)
	}
	return evs[0]
}

// wantEvent checks who did what to which object, when, and in which request.
func (f *fixture) wantEvent(t *testing.T, ev models.AuditEvent, actor *models.User, action, objType, objID string) {
	t.Helper()
	if ev.Action != action || ev.ObjectType != objType || ev.ObjectID != objID {
		t.Errorf("event is %s %s %q, want %s %s %q", ev.Action, ev.ObjectType, ev.ObjectID, action, objType, objID)
	}
	if ev.ActorEmail != actor.Email || ev.ActorID == nil || *ev.ActorID != actor.ID {
		t.Errorf("event actor is %q (id %v), want %q (id %d)", ev.ActorEmail, ev.ActorID, actor.Email, actor.ID)
	}
	if ev.RequestID != requestID {
		t.Errorf("event request id is %q, want %q", ev.RequestID, requestID)
	}
	if !ev.At.Equal(f.clock.Now()) {
		t.Errorf("event at %v, want the store's clock %v", ev.At, f.clock.Now())
	}
}

// state decodes an audit event's before or after text; "" decodes to nil.
func state(t *testing.T, text string) map[string]any {
	t.Helper()
	if text == "" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		t.Fatalf("audit state %q is not JSON: %v", text, err)
	}
	return m
}

// wantState checks that the decoded state holds each of want's values.
func wantState(t *testing.T, which, text string, want map[string]any) {
	t.Helper()
	got := state(t, text)
	if got == nil {
		t.Errorf("%s is empty, want %v", which, want)
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s[%q] = %#v, want %#v (in %s)", which, k, got[k], v, text)
		}
	}
}

// checkErr asserts the outcome of a call: a validation error naming field
// when field is set, else an error matching target, else no error.
func checkErr(t *testing.T, err error, target error, field string) {
	t.Helper()
	switch {
	case field != "":
		var ve *models.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("error = %v, want a *models.ValidationError on %q", err, field)
		}
		if _, ok := ve.Fields[field]; !ok {
			t.Fatalf("validation error names %v, want field %q", ve.Fields, field)
		}
	case target != nil:
		if !errors.Is(err, target) {
			t.Fatalf("error = %v, want %v", err, target)
		}
	case err != nil:
		t.Fatalf("unexpected error: %v", err)
	}
}
