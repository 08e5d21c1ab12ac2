package models_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"gorm.io/gorm"

	"plaza/models"
	"plaza/models/dbtest"
)

// historyNow is a Wednesday morning: the seven days the quality score looks
// at then hold a Sunday and a Monday, when the weekly pipelines run.
var historyNow = time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)

// historyTotals are the rows the demo history writes at historyNow. They
// change when the demo catalog, its pipelines or the history's rules do.
var historyTotals = map[string]int64{
	"runs":          3878,
	"check_results": 8178,
	"incidents":     5,
	"queries":       1597,
	"query_reads":   1855,
	"downloads":     224,
}

func historyCounts(t *testing.T, db *gorm.DB) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for table := range historyTotals {
		var n int64
		if err := db.Table(table).Count(&n).Error; err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

func TestDemoHistory(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		s := models.NewStore(db)
		s.Now = func() time.Time { return historyNow }
		if err := s.SeedDemo(ctx); err != nil {
			t.Fatalf("seed: %v", err)
		}
		if got := historyCounts(t, db); !maps.Equal(got, historyTotals) {
			t.Errorf("history wrote %v, want %v", got, historyTotals)
		}
		today := historyNow.Truncate(24 * time.Hour)
		first := today.AddDate(0, 0, -60)

		t.Run("within the 60 days before today", func(t *testing.T) {
			times := map[string][]string{
				"runs":        {"queued_at", "started_at", "finished_at", "due_at"},
				"queries":     {"started_at", "finished_at"},
				"query_reads": {"read_at"},
				"downloads":   {"at"},
				"incidents":   {"first_seen", "last_seen", "resolved_at"},
			}
			for table, cols := range times {
				for _, col := range cols {
					var n int64
					db.Table(table).Where(col+" >= ? OR "+col+" < ?", today, first).Count(&n)
					if n > 0 {
						t.Errorf("%d %s have %s today or later, or before %s", n, table, col, models.Day(first))
					}
				}
			}
		})

		t.Run("every day has runs, weekdays have queries", func(t *testing.T) {
			var finished, started []time.Time
			db.Model(&models.Run{}).Pluck("finished_at", &finished)
			db.Model(&models.Query{}).Pluck("started_at", &started)
			runs, queries := map[string]int{}, map[string]int{}
			for _, at := range finished {
				runs[models.Day(at)]++
			}
			for _, at := range started {
				queries[models.Day(at)]++
			}
			weekdays, withQueries := 0, 0
			var weekdayQueries, weekendQueries, older, recent int
			for d := 1; d <= 60; d++ {
				day := today.AddDate(0, 0, -d)
				n := queries[models.Day(day)]
				if d <= 30 {
					recent += n
					if runs[models.Day(day)] == 0 {
						t.Errorf("no run finished on %s", models.Day(day))
					}
				} else {
					older += n
				}
				if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
					weekendQueries += n
					continue
				}
				weekdayQueries += n
				if d <= 30 {
					weekdays++
					if n > 0 {
						withQueries++
					}
				}
			}
			if withQueries*10 < weekdays*9 {
				t.Errorf("queries on %d of the last %d weekdays, want most", withQueries, weekdays)
			}
			if weekdayQueries < 10*weekendQueries {
				t.Errorf("%d queries on weekdays and %d at weekends: want far more on weekdays", weekdayQueries, weekendQueries)
			}
			if recent <= older {
				t.Errorf("%d queries in the last 30 days and %d in the 30 before: want growth", recent, older)
			}
		})

		t.Run("runs look finished and their checks add up", func(t *testing.T) {
			var n int64
			db.Model(&models.Run{}).Where("active_key IS NOT NULL OR snapshot_id IS NOT NULL OR status NOT IN ? OR trigger NOT IN ?",
				[]string{models.RunSucceeded, models.RunFailed},
				[]string{models.TriggerSchedule, models.TriggerUpstream, models.TriggerManual}).Count(&n)
			if n > 0 {
				t.Errorf("%d runs are active, reference a snapshot, or have an unexpected status or trigger", n)
			}
			db.Model(&models.Run{}).Where(`checks_passed <> (SELECT COUNT(*) FROM check_results c WHERE c.run_id = runs.id AND c.passed = ?)
				OR checks_failed <> (SELECT COUNT(*) FROM check_results c WHERE c.run_id = runs.id AND c.passed = ?)`, true, false).Count(&n)
			if n > 0 {
				t.Errorf("%d runs count their check results wrong", n)
			}
			var failed, ok int64
			db.Model(&models.Run{}).Where("status = ?", models.RunFailed).Count(&failed)
			db.Model(&models.Run{}).Where("status = ?", models.RunSucceeded).Count(&ok)
			if failed == 0 || failed*50 > ok {
				t.Errorf("%d runs failed and %d succeeded: want a few failures", failed, ok)
			}
		})

		inventory, err := s.ProductBySlug(ctx, "supply-chain", "inventory-snapshots")
		if err != nil {
			t.Fatal(err)
		}
		t.Run("the bad week of inventory snapshots", func(t *testing.T) {
			pl, err := s.PipelineOfPort(ctx, inventory.ID, "daily")
			if err != nil {
				t.Fatal(err)
			}
			var failed []models.Run
			db.Where("pipeline_id = ? AND status = ?", pl.ID, models.RunFailed).Order("id").Find(&failed)
			days := map[string]bool{}
			for _, r := range failed {
				days[models.Day(*r.FinishedAt)] = true
			}
			for d := 4; d <= 8; d++ {
				if !days[models.Day(today.AddDate(0, 0, -d))] {
					t.Errorf("no failed run %d days ago; failed on %v", d, days)
				}
			}
			if len(failed) == 0 {
				return
			}
			last := failed[len(failed)-1]
			var inc models.Incident
			db.Where("product_id = ? AND kind = ? AND key = ?", inventory.ID, models.IncidentCheck, "range on on_hand_units").Limit(1).Find(&inc)
			switch {
			case inc.ID == 0:
				t.Fatal("no check incident for the bad week")
			case inc.ResolvedAt == nil || !inc.ResolvedAt.After(*last.FinishedAt):
				t.Errorf("the check incident was resolved at %v, want after the last failing run (%v)", inc.ResolvedAt, last.FinishedAt)
			case inc.RunID == nil || *inc.RunID != last.ID:
				t.Errorf("the check incident names run %v, want the last failing one, %d", inc.RunID, last.ID)
			case !inc.FirstSeen.Equal(*failed[0].FinishedAt):
				t.Errorf("the check incident was first seen %v, want when the first run failed (%v)", inc.FirstSeen, failed[0].FinishedAt)
			}
			var open int64
			db.Model(&models.Incident{}).Where("resolved_at IS NULL").Count(&open)
			var late []uint
			db.Model(&models.Incident{}).Where("kind = ?", models.IncidentFreshness).Distinct("product_id").Pluck("product_id", &late)
			if open > 0 || len(late) != 3 {
				t.Errorf("%d incidents open and freshness incidents on %d products; want none open and 3", open, len(late))
			}
		})

		t.Run("people read what they may", func(t *testing.T) {
			var reads []models.QueryRead
			db.Order("id").Find(&reads)
			for _, r := range reads {
				var p models.Product
				db.First(&p, r.ProductID)
				var n int64
				switch r.Basis {
				case models.BasisTeam:
					db.Model(&models.Membership{}).Where("team_id = ? AND user_id = ?", p.TeamID, r.UserID).Count(&n)
				case models.BasisOpen:
					if p.Classification == models.ClassPublic {
						n = 1
					}
				case models.BasisGrant:
					var g models.Grant
					if r.GrantID != nil {
						db.Limit(1).Find(&g, *r.GrantID)
					}
					end := g.ExpiresAt
					if g.EndedAt != nil && g.EndedAt.Before(end) {
						end = *g.EndedAt
					}
					if g.UserID == r.UserID && g.ProductID == r.ProductID && !r.ReadAt.Before(g.StartsAt) && r.ReadAt.Before(end) && g.Covers(r.Port) {
						n = 1
					}
				}
				if n == 0 || (p.Status != models.StatusPublished && p.Status != models.StatusDeprecated) || r.Snapshot == "" || r.SnapshotID != nil {
					t.Fatalf("read %d of %s (port %s) by user %d on basis %q is not allowed or names no snapshot", r.ID, p.Slug, r.Port, r.UserID, r.Basis)
				}
			}
			var refusedReads int64
			db.Model(&models.QueryRead{}).Joins("JOIN queries ON queries.id = query_reads.query_id").
				Where("queries.status = ?", models.QueryRefused).Count(&refusedReads)
			if refusedReads > 0 {
				t.Errorf("%d reads belong to refused queries", refusedReads)
			}
		})

		t.Run("seeding again adds nothing", func(t *testing.T) {
			if err := s.SeedDemo(ctx); err != nil {
				t.Fatalf("seed again: %v", err)
			}
			if got := historyCounts(t, db); !maps.Equal(got, historyTotals) {
				t.Errorf("after a second seed: %v, want %v", got, historyTotals)
			}
		})

		t.Run("every published product with checks has a score", func(t *testing.T) {
			if _, err := s.RollupStats(ctx); err != nil {
				t.Fatalf("rollup: %v", err)
			}
			var ids []uint
			db.Model(&models.Product{}).Where("status = ? AND id IN (SELECT product_id FROM quality_rules)", models.StatusPublished).
				Order("id").Pluck("id", &ids)
			if len(ids) < 20 {
				t.Fatalf("%d published products with checks, want the demo's", len(ids))
			}
			for _, id := range ids {
				h, err := s.HealthOf(ctx, id)
				if err != nil || h == nil || h.Score == nil {
					t.Errorf("product %d has no score: %+v, %v", id, h, err)
				}
			}
			catalogue, err := s.ProductBySlug(ctx, "supply-chain", "product-catalogue")
			if err != nil {
				t.Fatal(err)
			}
			bad, _ := s.HealthOf(ctx, inventory.ID)
			good, _ := s.HealthOf(ctx, catalogue.ID)
			if bad == nil || good == nil || bad.Score == nil || good.Score == nil || *bad.Score >= *good.Score {
				t.Fatalf("inventory snapshots scores %v, the product catalogue %v: want the bad week to cost", bad, good)
			}
			if good.Queries30 == 0 || good.Downloads30 == 0 {
				t.Errorf("the product catalogue was queried %d and downloaded %d times in 30 days, want some", good.Queries30, good.Downloads30)
			}
		})
	})
}
