package catalog_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"plaza/bench/catalog"
	"plaza/models"
	"plaza/models/dbtest"
)

// TestGenerateHistory generates a small history and checks that it wrote
// what it reports, that runs agree with their check results, and that the
// first rollup counts every run, query read and download of the period.
func TestGenerateHistory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 27, 15, 30, 0, 0, time.UTC)
		s := models.NewStore(db)
		s.Now = func() time.Time { return now }
		if _, err := catalog.Generate(ctx, s, 50); err != nil {
			t.Fatal(err)
		}
		opt := catalog.HistoryOptions{Days: 60, Pipelines: 20, Users: 20, Queries: 500, Now: now}
		rep, err := catalog.GenerateHistory(ctx, s, opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Log(rep)
		count := func(table, where string, args ...any) int {
			t.Helper()
			var n int64
			q := db.Table(table)
			if where != "" {
				q = q.Where(where, args...)
			}
			if err := q.Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			return int(n)
		}
		for _, c := range []struct {
			table, where string
			want         int
		}{
			{"users", "email LIKE 'consumer-%'", opt.Users},
			{"pipelines", "", opt.Pipelines},
			{"pipeline_inputs", "", rep.PipelineInputs},
			{"quality_rules", "", 3 * opt.Pipelines},
			{"runs", "", rep.Runs},
			{"check_results", "", rep.Checks},
			{"queries", "", opt.Queries},
			{"query_reads", "", rep.Reads},
			{"downloads", "", opt.Queries / 10},
			{"incidents", "", rep.Incidents},
			{"incidents", "resolved_at IS NULL", rep.OpenIncidents},
		} {
			if got := count(c.table, c.where); got != c.want {
				t.Errorf("%s where %q: %d rows, want %d", c.table, c.where, got, c.want)
			}
		}
		if rep.Runs < opt.Pipelines*(opt.Days-1) || rep.Reads < opt.Queries {
			t.Errorf("too few runs or reads: %v", rep)
		}
		if rep.Users != opt.Users || rep.Pipelines != opt.Pipelines || rep.Queries != opt.Queries || rep.Downloads != opt.Queries/10 {
			t.Errorf("report %v does not match options %+v", rep, opt)
		}

		var runs struct{ Passed, Failed int }
		db.Table("runs").Select("SUM(checks_passed) AS passed, SUM(checks_failed) AS failed").Scan(&runs)
		if passed := count("check_results", "passed = ?", true); runs.Passed != passed || runs.Failed != rep.Checks-passed {
			t.Errorf("runs count %d passed and %d failed checks; check results %d and %d", runs.Passed, runs.Failed, passed, rep.Checks-passed)
		}
		if n := count("runs", "finished_at IS NULL OR finished_at > ? OR finished_at < ?", now, rep.From); n != 0 {
			t.Errorf("%d runs finish outside %s..%s", n, rep.From, now)
		}
		if n := count("query_reads", "read_at > ? OR read_at < ?", now, rep.From); n != 0 {
			t.Errorf("%d reads outside %s..%s", n, rep.From, now)
		}

		if rep.Incidents == 0 {
			t.Errorf("no incidents in %d runs", rep.Runs)
		}
		stray := count("incidents", `kind = ? AND run_id NOT IN (SELECT r.id FROM runs r JOIN pipelines pl ON pl.id = r.pipeline_id
			WHERE r.status = ? AND pl.product_id = incidents.product_id)`, models.IncidentCheck, models.RunFailed)
		if stray != 0 {
			t.Errorf("%d check incidents name no failed run of their product", stray)
		}
		var breaches []models.Incident
		if err := db.Where("kind = ?", models.IncidentFreshness).Find(&breaches).Error; err != nil {
			t.Fatal(err)
		}
		var breach time.Duration
		for _, b := range breaches {
			end := now
			if b.ResolvedAt != nil {
				end = *b.ResolvedAt
			}
			breach += end.Sub(b.FirstSeen)
		}

		roll, err := s.RollupStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if roll.Days < opt.Days {
			t.Errorf("rollup recomputed %d days, want at least %d", roll.Days, opt.Days)
		}
		var sums struct{ Runs, Checks, Queries, Downloads, BreachMinutes, BreachDays int }
		err = db.Model(&models.ProductDay{}).
			Select("SUM(runs) AS runs, SUM(checks) AS checks, SUM(queries) AS queries, SUM(downloads) AS downloads, "+
				"SUM(breach_minutes) AS breach_minutes, SUM(CASE WHEN breach_minutes > 0 THEN 1 ELSE 0 END) AS breach_days").
			Where("day >= ? AND day <= ?", models.Day(rep.From), models.Day(now)).Scan(&sums).Error
		if err != nil {
			t.Fatal(err)
		}
		if sums.Runs != rep.Runs || sums.Checks != rep.Checks || sums.Queries != rep.Reads || sums.Downloads != rep.Downloads {
			t.Errorf("product days sum %d runs, %d checks, %d queries, %d downloads; the history has %d, %d, %d, %d",
				sums.Runs, sums.Checks, sums.Queries, sums.Downloads, rep.Runs, rep.Checks, rep.Reads, rep.Downloads)
		}
		t.Logf("product days: %+v; freshness incidents: %s", sums, breach)
		// The rollup rounds each product's day to whole minutes.
		if d := sums.BreachMinutes - int(breach.Minutes()); d < -sums.BreachDays || d > sums.BreachDays {
			t.Errorf("product days sum %d minutes of freshness breaches; the incidents last %d", sums.BreachMinutes, int(breach.Minutes()))
		}
	})
}
