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

// incidentFixture is accessFixture's internal product promising data every
// 24 hours, with a pipeline building its daily port, and mail on.
type incidentFixture struct {
	*accessFixture
	p  *models.Product
	pl *models.Pipeline
}

func newIncidentFixture(t *testing.T, db *gorm.DB) *incidentFixture {
	t.Helper()
	f := &incidentFixture{accessFixture: newAccessFixture(t, db)}
	f.s.Mail = true
	f.p = f.products[models.ClassInternal]
	f.setFreshness(t, 24)
	var err error
	f.pl, err = f.s.SavePipeline(f.ctx, f.owner, f.p, models.PipelineSpec{Port: "daily", SQL: "SELECT order_id FROM raw",
		Inputs: []models.PipelineInputSpec{{Name: "raw", Landing: "shop/*.csv"}}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *incidentFixture) setFreshness(t *testing.T, hours int) {
	t.Helper()
	in, err := f.s.InputOf(f.ctx, f.p)
	if err != nil {
		t.Fatal(err)
	}
	in.FreshnessHours = hours
	if f.p, err = f.s.UpdateProduct(f.ctx, f.owner, f.p, in); err != nil {
		t.Fatal(err)
	}
}

// run queues, starts and finishes a run of the pipeline with checks; a
// succeeded run publishes a snapshot.
func (f *incidentFixture) run(t *testing.T, status string, checks ...models.CheckResult) *models.Run {
	t.Helper()
	r, err := f.s.EnqueueRun(f.ctx, f.owner, f.pl, models.RunRequest{Trigger: models.TriggerManual})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := f.s.StartRun(f.ctx, r.ID); err != nil || !ok {
		t.Fatalf("start run %d: %v %v", r.ID, ok, err)
	}
	out := models.RunOutcome{Status: status, Checks: checks}
	if status == models.RunSucceeded {
		out.Rows = 3
		out.Snapshot = &models.Snapshot{Name: fmt.Sprintf("snap-r%d", r.ID), Rows: 3}
	} else {
		out.Error = "Blocking checks failed."
	}
	if _, err := f.s.FinishRun(f.ctx, r, out); err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *incidentFixture) incidents(t *testing.T, state string) []models.Incident {
	t.Helper()
	out, err := f.s.Incidents(f.ctx, models.IncidentFilter{ProductID: f.p.ID, State: state})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *incidentFixture) check(t *testing.T, wantOpened, wantResolved int) {
	t.Helper()
	opened, resolved, err := f.s.CheckFreshness(f.ctx, f.clock.Now())
	if err != nil || opened != wantOpened || resolved != wantResolved {
		t.Fatalf("CheckFreshness at %v: opened %d, resolved %d, err %v; want %d, %d", f.clock.Now(), opened, resolved, err, wantOpened, wantResolved)
	}
}

// notified counts the notifications and queued emails of kind.
func (f *incidentFixture) notified(t *testing.T, kind string) (notes []models.Notification, mails int64) {
	t.Helper()
	if err := f.db.Where("kind = ?", kind).Order("user_id").Find(&notes).Error; err != nil {
		t.Fatal(err)
	}
	if err := f.db.Model(&models.MailOutbox{}).Where("subject LIKE ?", "%"+f.p.Name+"%").Count(&mails).Error; err != nil {
		t.Fatal(err)
	}
	return notes, mails
}

func (f *incidentFixture) actions(t *testing.T, mark uint) []string {
	t.Helper()
	var out []string
	for _, ev := range f.eventsAfter(t, mark) {
		if strings.HasPrefix(ev.Action, "incident.") {
			out = append(out, ev.Action)
		}
	}
	return out
}

// TestFreshnessIncident: a breach opens one incident and tells the owners
// once; later checks move its last sighting only; a publication resolves
// it, and so does a looser promise.
func TestFreshnessIncident(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newIncidentFixture(t, db)
		f.check(t, 0, 0) // nothing published yet: nothing to judge
		f.run(t, models.RunSucceeded)
		f.clock.Add(23 * time.Hour)
		f.check(t, 0, 0)

		f.clock.Add(time.Hour) // 24 hours old: late
		mark := f.lastEventID(t)
		f.check(t, 1, 0)
		open := f.incidents(t, models.IncidentOpen)
		if len(open) != 1 {
			t.Fatalf("open incidents %+v, want 1", open)
		}
		inc := open[0]
		first := f.clock.Now()
		if inc.Kind != models.IncidentFreshness || inc.Port != "daily" || inc.Key != "" || inc.RunID != nil ||
			!inc.FirstSeen.Equal(first) || !inc.LastSeen.Equal(first) || inc.ResolvedAt != nil ||
			inc.Product.Slug != "internal-orders" || inc.Product.Domain.Slug != "sales" ||
			!strings.Contains(inc.Detail, "due by 15 Mar 2025 09:00 UTC") {
			t.Errorf("incident %+v", inc)
		}
		notes, mails := f.notified(t, "incident.freshness")
		if len(notes) != 2 || notes[0].UserID != f.owner.ID || notes[1].UserID != f.owner2.ID || mails != 2 {
			t.Fatalf("notifications %+v and %d emails, want the two owners once each", notes, mails)
		}
		if n := notes[0]; n.Link != "/products/sales/internal-orders#pipelines" ||
			n.Title != "Orders (internal) is late: port daily has no new data within 24 hours" {
			t.Errorf("notification %q -> %q", n.Title, n.Link)
		}
		evs := f.eventsAfter(t, mark)
		if got := f.actions(t, mark); len(got) != 1 || got[0] != "incident.open" {
			t.Errorf("audit actions %v, want incident.open", got)
		} else if ev := evs[0]; ev.ObjectType != "product" || ev.ObjectID != "sales/internal-orders" || ev.ActorEmail != "system" {
			t.Errorf("audit event %+v", ev)
		}

		// Still late an hour later, and again: one incident, no new news.
		for range 2 {
			f.clock.Add(time.Hour)
			mark = f.lastEventID(t)
			f.check(t, 0, 0)
			open = f.incidents(t, models.IncidentOpen)
			if len(open) != 1 || open[0].ID != inc.ID || !open[0].FirstSeen.Equal(first) || !open[0].LastSeen.Equal(f.clock.Now()) {
				t.Fatalf("after another check: %+v, want incident %d seen again now", open, inc.ID)
			}
			if notes, mails := f.notified(t, "incident.freshness"); len(notes) != 2 || mails != 2 {
				t.Errorf("%d notifications, %d emails after a repeated check, want still 2 and 2", len(notes), mails)
			}
			if got := f.actions(t, mark); len(got) != 0 {
				t.Errorf("a repeated check audited %v", got)
			}
		}

		// A new snapshot resolves it at once, in the run's transaction.
		mark = f.lastEventID(t)
		f.run(t, models.RunSucceeded)
		if open := f.incidents(t, models.IncidentOpen); len(open) != 0 {
			t.Fatalf("open after publishing: %+v", open)
		}
		done := f.incidents(t, models.IncidentResolved)
		if len(done) != 1 || done[0].ID != inc.ID || done[0].ResolvedAt == nil || !done[0].ResolvedAt.Equal(f.clock.Now()) {
			t.Fatalf("resolved: %+v", done)
		}
		if got := f.actions(t, mark); len(got) != 1 || got[0] != "incident.resolve" {
			t.Errorf("audit actions %v, want incident.resolve", got)
		}
		f.check(t, 0, 0)

		// Late again: a second incident; a looser promise resolves it.
		f.clock.Add(25 * time.Hour)
		f.check(t, 1, 0)
		f.setFreshness(t, 48)
		f.check(t, 0, 1)
		if all := f.incidents(t, ""); len(all) != 2 || all[0].Open() || all[1].Open() {
			t.Errorf("history %+v, want two resolved incidents", all)
		}
		if notes, _ := f.notified(t, "incident.freshness"); len(notes) != 4 {
			t.Errorf("%d notifications, want 4 (two incidents, two owners)", len(notes))
		}
		f.verifyAudit(t)
	})
}

// TestCheckIncident: a failing blocking check opens a check incident that
// names the run; a second failure refreshes it without telling anyone
// again; a warning opens nothing; a run publishing with the check passing
// resolves it.
func TestCheckIncident(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newIncidentFixture(t, db)
		unique := func(passed bool, failing int64) models.CheckResult {
			return models.CheckResult{Name: "One row per order.", Kind: "unique", Column: "order_id", Blocking: true,
				Passed: passed, FailingRows: failing}
		}
		warning := models.CheckResult{Name: "At least 100 orders.", Kind: "row_count", FailingRows: 1}

		mark := f.lastEventID(t)
		r1 := f.run(t, models.RunFailed, unique(false, 2), warning)
		open := f.incidents(t, models.IncidentOpen)
		if len(open) != 1 {
			t.Fatalf("open incidents %+v, want 1 (the warning opens none)", open)
		}
		inc := open[0]
		if inc.Kind != models.IncidentCheck || inc.Key != "One row per order." || inc.Port != "daily" ||
			inc.RunID == nil || *inc.RunID != r1.ID || inc.Detail != fmt.Sprintf("Run %d of port daily: 2 failing rows.", r1.ID) {
			t.Errorf("incident %+v", inc)
		}
		notes, mails := f.notified(t, "incident.check")
		if len(notes) != 2 || mails != 2 || notes[0].Title != "A blocking check fails on Orders (internal): One row per order." {
			t.Fatalf("notifications %+v and %d emails, want the two owners told once", notes, mails)
		}
		if got := f.actions(t, mark); len(got) != 1 || got[0] != "incident.open" {
			t.Errorf("audit actions %v, want incident.open", got)
		}
		for _, c := range []struct {
			filter models.IncidentFilter
			want   int
		}{
			{models.IncidentFilter{Domain: "sales", Kind: models.IncidentCheck}, 1},
			{models.IncidentFilter{Domain: "marketing"}, 0},
			{models.IncidentFilter{TeamIDs: []uint{f.orders.ID}, State: models.IncidentOpen}, 1},
			{models.IncidentFilter{TeamIDs: []uint{}}, 0},
			{models.IncidentFilter{Kind: models.IncidentFreshness}, 0},
			{models.IncidentFilter{State: models.IncidentResolved}, 0},
		} {
			if got, err := f.s.Incidents(f.ctx, c.filter); err != nil || len(got) != c.want {
				t.Errorf("Incidents(%+v): %d, %v; want %d", c.filter, len(got), err, c.want)
			}
		}

		f.clock.Add(time.Hour)
		r2 := f.run(t, models.RunFailed, unique(false, 1))
		open = f.incidents(t, models.IncidentOpen)
		if len(open) != 1 || open[0].ID != inc.ID || *open[0].RunID != r2.ID || !open[0].LastSeen.Equal(f.clock.Now()) ||
			!open[0].FirstSeen.Equal(inc.FirstSeen) || !strings.Contains(open[0].Detail, "1 failing row.") {
			t.Fatalf("after a second failure: %+v, want incident %d naming run %d", open, inc.ID, r2.ID)
		}
		if notes, _ := f.notified(t, "incident.check"); len(notes) != 2 {
			t.Errorf("%d notifications after a second failure, want still 2", len(notes))
		}

		// Two incidents of the same key may not be open at once.
		dup := models.Incident{ProductID: f.p.ID, Port: "daily", Kind: models.IncidentCheck, Key: "One row per order.",
			FirstSeen: f.clock.Now(), LastSeen: f.clock.Now()}
		if err := db.Omit("Product").Create(&dup).Error; err == nil {
			t.Error("the database accepted a second open incident of the same key")
		}

		f.clock.Add(time.Hour)
		r3 := f.run(t, models.RunSucceeded, unique(true, 0), warning)
		if open := f.incidents(t, models.IncidentOpen); len(open) != 0 {
			t.Fatalf("open after a passing run: %+v", open)
		}
		done := f.incidents(t, models.IncidentResolved)
		if len(done) != 1 || done[0].ResolvedAt == nil || !done[0].ResolvedAt.Equal(f.clock.Now()) || *done[0].RunID != r2.ID {
			t.Fatalf("resolved %+v, want the incident resolved now, still naming run %d (not %d)", done, r2.ID, r3.ID)
		}
		f.verifyAudit(t)
	})
}

// TestCheckIncidentResolvedByPassingCheck: a run that passes the check but
// fails another still resolves the first check's incident, and the other
// opens its own.
func TestCheckIncidentResolvedByPassingCheck(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newIncidentFixture(t, db)
		a := models.CheckResult{Name: "No null ids.", Kind: "not_null", Blocking: true}
		b := models.CheckResult{Name: "One row per order.", Kind: "unique", Blocking: true, FailingRows: 1}
		f.run(t, models.RunFailed, a)
		a.Passed = true
		f.run(t, models.RunFailed, a, b)
		open := f.incidents(t, models.IncidentOpen)
		if len(open) != 1 || open[0].Key != b.Name {
			t.Fatalf("open %+v, want only %q", open, b.Name)
		}
		if done := f.incidents(t, models.IncidentResolved); len(done) != 1 || done[0].Key != a.Name {
			t.Fatalf("resolved %+v, want %q", done, a.Name)
		}
	})
}
