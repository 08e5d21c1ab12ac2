package models_test

import (
	"math"
	"testing"
	"time"

	"gorm.io/gorm"

	"plaza/models"
	"plaza/models/dbtest"
)

// timedRun is incidentFixture.run taking took between start and finish.
func (f *incidentFixture) timedRun(t *testing.T, took time.Duration, status string, checks ...models.CheckResult) *models.Run {
	t.Helper()
	r, err := f.s.EnqueueRun(f.ctx, f.owner, f.pl, models.RunRequest{Trigger: models.TriggerManual})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := f.s.StartRun(f.ctx, r.ID); err != nil || !ok {
		t.Fatalf("start run %d: %v %v", r.ID, ok, err)
	}
	f.clock.Add(took)
	out := models.RunOutcome{Status: status, Checks: checks}
	if status == models.RunSucceeded {
		out.Rows = 3
		out.Snapshot = &models.Snapshot{Name: "snap-" + f.clock.Now().Format("150405"), Rows: 3}
	} else {
		out.Error = "Blocking checks failed."
	}
	if _, err := f.s.FinishRun(f.ctx, r, out); err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *incidentFixture) query(t *testing.T, u *models.User) {
	t.Helper()
	const sql = "SELECT * FROM sales.internal_orders_daily"
	plan, err := f.s.PlanQuery(f.ctx, u, sql, nil)
	if err != nil {
		t.Fatal(err)
	}
	q, err := f.s.RecordQuery(f.ctx, u, models.QueryRecord{SQL: sql, Source: models.QuerySourceAPI, Plan: plan})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.FinishQuery(f.ctx, q, models.QuerySucceeded, 3, time.Millisecond, ""); err != nil {
		t.Fatal(err)
	}
}

func (f *incidentFixture) productDays(t *testing.T) map[string]models.ProductDay {
	t.Helper()
	var rows []models.ProductDay
	if err := f.db.Where("product_id = ?", f.p.ID).Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[string]models.ProductDay{}
	for _, r := range rows {
		out[r.Day] = r
	}
	return out
}

var (
	pass = models.CheckResult{Name: "order id is unique", Kind: "unique", Blocking: true, Passed: true}
	warn = models.CheckResult{Name: "amount is positive", Kind: "sql", Passed: false, FailingRows: 2}
)

// TestRollupCountsKnownActivity runs a product through two days of known
// activity (runs, checks, queries, a download, a six-hour freshness
// breach) and checks every number the dashboards read from the rollup.
func TestRollupCountsKnownActivity(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newIncidentFixture(t, db) // 2025-03-14 09:00, a 24-hour SLA
		f.timedRun(t, 90*time.Second, models.RunSucceeded, pass, pass, warn)
		f.timedRun(t, 30*time.Second, models.RunFailed, models.CheckResult{Name: pass.Name, Kind: "unique", Blocking: true})
		f.query(t, f.owner)
		f.query(t, f.owner)
		f.query(t, f.owner2)
		snap, err := f.s.CurrentSnapshot(f.ctx, f.p.ID, "daily")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.s.AuditDownload(f.ctx, f.owner2, f.p, snap, "csv", nil); err != nil {
			t.Fatal(err)
		}

		// Found late at 2025-03-15 09:02, until a run publishes at 15:02,
		// which resolves it: 360 minutes.
		f.clock.Add(24 * time.Hour)
		f.check(t, 1, 0)
		f.clock.Add(6*time.Hour - 90*time.Second)
		f.timedRun(t, 90*time.Second, models.RunSucceeded, pass, pass, pass)
		f.check(t, 0, 0)

		rep, err := f.s.RollupStats(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Days < 2 || rep.Products != 2 {
			t.Errorf("report %+v, want the two days of this product", rep)
		}
		days := f.productDays(t)
		want := map[string]models.Counters{
			"2025-03-14": {Runs: 2, RunsOK: 1, RunsFailed: 1, RunMS: 120_000, RunMSMax: 90_000, Checks: 4, ChecksPassed: 2,
				Queries: 3, Users: 2, Downloads: 1},
			"2025-03-15": {Runs: 1, RunsOK: 1, RunMS: 90_000, RunMSMax: 90_000, Checks: 3, ChecksPassed: 3, BreachMinutes: 360},
		}
		if len(days) != len(want) {
			t.Fatalf("product days %+v, want %d", days, len(want))
		}
		for day, c := range want {
			got := days[day]
			if got.Counters != c || got.TeamID != f.orders.ID || got.DomainID != f.sales.ID {
				t.Errorf("%s: %+v, want %+v", day, got, c)
			}
		}

		var teams []models.TeamDay
		if err := db.Where("team_id = ?", f.orders.ID).Order("day").Find(&teams).Error; err != nil {
			t.Fatal(err)
		}
		if len(teams) != 2 || teams[0].Counters != want["2025-03-14"] || teams[1].Counters != want["2025-03-15"] {
			t.Errorf("team days %+v", teams)
		}
		var users []models.UserDay
		if err := db.Order("user_id").Find(&users).Error; err != nil {
			t.Fatal(err)
		}
		if len(users) != 2 || users[0].UserID != f.owner.ID || users[0].Queries != 2 || users[0].Downloads != 0 ||
			users[1].UserID != f.owner2.ID || users[1].Queries != 1 || users[1].Downloads != 1 {
			t.Errorf("user days %+v", users)
		}

		// The score: 5 of 7 checks passed in the window, and on time for
		// all but 360 minutes since 2025-03-09 00:00.
		h, err := f.s.HealthOf(f.ctx, f.p.ID)
		if err != nil || h == nil {
			t.Fatalf("health: %+v, %v", h, err)
		}
		span := f.clock.Now().Sub(time.Date(2025, 3, 9, 0, 0, 0, 0, time.UTC)).Minutes()
		onTime := 1 - 360/span
		wantScore := int(math.Round(100 * (5.0/7 + onTime) / 2))
		if h.Score == nil || *h.Score != wantScore || h.Checks != 7 || h.Runs != 3 || h.RunsOK != 2 || h.Queries30 != 3 ||
			h.Downloads30 != 1 || math.Abs(*h.CheckRate-5.0/7) > 1e-9 || math.Abs(*h.OnTimeRate-onTime) > 1e-9 {
			t.Errorf("health %+v (score %v), want score %d", h, h.Score, wantScore)
		}

		// Again: the same rows. A query later the same day is added to it.
		if _, err := f.s.RollupStats(f.ctx); err != nil {
			t.Fatal(err)
		}
		if again := f.productDays(t); again["2025-03-14"] != days["2025-03-14"] || again["2025-03-15"] != days["2025-03-15"] {
			t.Errorf("a second rollup changed the days: %+v", again)
		}
		f.clock.Add(time.Hour)
		f.query(t, f.owner)
		if _, err := f.s.RollupStats(f.ctx); err != nil {
			t.Fatal(err)
		}
		if d := f.productDays(t)["2025-03-15"]; d.Queries != 1 || d.Users != 1 || d.Runs != 1 {
			t.Errorf("after one more query: %+v", d)
		}
		if h, _ := f.s.HealthOf(f.ctx, f.p.ID); h == nil || h.Queries30 != 4 {
			t.Errorf("health after one more query: %+v", h)
		}
		// A product that changes (here: drops its SLA) is scored again at
		// the next rollup, not the next day.
		f.clock.Add(10 * time.Minute)
		if _, err := f.s.RollupStats(f.ctx); err != nil { // now its reads are behind the watermark
			t.Fatal(err)
		}
		f.setFreshness(t, 0)
		if _, err := f.s.RollupStats(f.ctx); err != nil {
			t.Fatal(err)
		}
		if h, _ := f.s.HealthOf(f.ctx, f.p.ID); h == nil || h.OnTimeRate != nil || h.Score == nil || *h.Score != 71 {
			t.Errorf("health without an SLA: %+v, want scored on checks alone (5 of 7: 71)", h)
		}
		// The windows behind the top lists moved with it.
		u, err := f.s.Usage(f.ctx, models.DashFilter{Days: 7}, true)
		if err != nil || len(u.TopProducts) != 1 || u.TopProducts[0].N != 4 || len(u.TopConsumers) != 2 ||
			u.TopConsumers[0].UserID != f.owner.ID || u.TopConsumers[0].Queries != 3 || u.Users != 2 {
			t.Errorf("usage after one more query: %+v, %v", u, err)
		}
	})
}

func TestQualityScore(t *testing.T) {
	rate := func(v float64) *float64 { return &v }
	for _, tc := range []struct {
		checks, onTime *float64
		want           int // -1: no score
	}{
		{nil, nil, -1},
		{rate(1), nil, 100},
		{nil, rate(0.5), 50},
		{rate(0.9), rate(0.7), 80},
		{rate(0.955), rate(1), 98},
		{rate(0), rate(0), 0},
	} {
		got := models.QualityScore(tc.checks, tc.onTime)
		if (got == nil) != (tc.want < 0) || (got != nil && *got != tc.want) {
			t.Errorf("QualityScore(%v, %v) = %v, want %d", tc.checks, tc.onTime, got, tc.want)
		}
	}
}
