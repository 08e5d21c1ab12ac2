package models_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"plaza/models"
	"plaza/models/dbtest"
)

func TestSQLRefsFindProductNames(t *testing.T) {
	cases := []struct {
		sql  string
		want []string // view@pin
	}{
		{"SELECT * FROM sales.orders", []string{"sales.orders@"}},
		{"select o.id from Sales.Orders o join customer.profiles_v2 p using (id)", []string{"o.id@", "sales.orders@", "customer.profiles_v2@"}},
		{`SELECT 'sales.orders', "sales"."orders" -- finance.ledger`, []string{"sales.orders@"}},
		{"SELECT 1 /* sales.orders */ FROM $$x.y$$, a.b.c", nil},
		{"FROM sales.orders@20261120T093000Z-r42 JOIN sales.orders@2026-11-20 ON true", []string{"sales.orders@20261120T093000Z-r42", "sales.orders@2026-11-20"}},
		{"FROM sales . orders", nil},
		{"SELECT 'it''s' FROM sales.orders", []string{"sales.orders@"}},
		{"SELECT 'unterminated FROM sales.orders", nil},
	}
	for _, c := range cases {
		got := models.SQLRefs(c.sql)
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("%q: got %q, want %q", c.sql, got, c.want)
		}
	}
}

// TestPlanQueryFollowsAccess: a query's product names are checked at the
// moment it is planned, against the reader's access then, and resolve to
// snapshots, current or pinned.
func TestPlanQueryFollowsAccess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newIncidentFixture(t, db)
		first := f.run(t, models.RunSucceeded)
		f.clock.Add(2 * time.Hour)
		second := f.run(t, models.RunSucceeded)
		const sql = "SELECT count(*) FROM sales.internal_orders_daily o WHERE o.order_id IS NOT NULL"

		// The owning team reads it; an analyst without a grant is refused,
		// the error naming the product and where to ask.
		plan, err := f.s.PlanQuery(f.ctx, f.owner, sql, nil)
		if err != nil || len(plan.Tables) != 1 || plan.Tables[0].Basis != models.BasisTeam || plan.SQL != sql {
			t.Fatalf("owner's plan: %+v, %v", plan, err)
		}
		if got := plan.Tables[0].Snapshot.RunID; got == nil || *got != second.ID {
			t.Errorf("current snapshot from run %v, want %d", got, second.ID)
		}
		_, err = f.s.PlanQuery(f.ctx, f.analyst, sql, nil)
		var deny *models.NoAccessError
		if !errors.As(err, &deny) || deny.Product != "sales.internal-orders" || deny.Path != "/products/sales/internal-orders" {
			t.Fatalf("analyst without a grant: %v", err)
		}

		// With a grant the analyst reads it; revoked, the next plan refuses.
		r := f.decide(t, f.owner, f.ask(t, f.analyst, models.ClassInternal, 30), "approve", "")
		plan, err = f.s.PlanQuery(f.ctx, f.analyst, sql, nil)
		if err != nil || plan.Tables[0].Basis != models.BasisGrant || plan.Tables[0].Grant == nil {
			t.Fatalf("analyst with a grant: %+v, %v", plan, err)
		}
		if _, err := f.s.RevokeGrant(f.ctx, f.owner, plan.Tables[0].Grant.ID, "Project over."); err != nil {
			t.Fatal(err)
		}
		if _, err = f.s.PlanQuery(f.ctx, f.analyst, sql, nil); !errors.As(err, &deny) {
			t.Fatalf("after revocation: %v (request %d)", err, r.ID)
		}

		// Pins: by snapshot name, by time, and beside the SQL.
		firstSnap := fmt.Sprintf("snap-r%d", first.ID)
		pinned := "SELECT * FROM sales.internal_orders_daily@" + firstSnap + " a JOIN sales.internal_orders_daily b USING (order_id)"
		plan, err = f.s.PlanQuery(f.ctx, f.owner, pinned, nil)
		if err != nil || len(plan.Tables) != 2 || !plan.Tables[0].Pinned || plan.Tables[0].Snapshot.Name != firstSnap || plan.Tables[1].Pinned {
			t.Fatalf("pinned plan: %+v, %v", plan, err)
		}
		if want := "SELECT * FROM " + plan.Tables[0].View + " a JOIN sales.internal_orders_daily b"; !strings.HasPrefix(plan.SQL, want) ||
			!strings.HasPrefix(plan.Tables[0].View, "sales.internal_orders_daily_at_") {
			t.Errorf("rewritten SQL %q, want prefix %q", plan.SQL, want)
		}
		at := f.clock.Now().Add(-time.Hour).Format(time.RFC3339)
		plan, err = f.s.PlanQuery(f.ctx, f.owner, "FROM sales.internal_orders_daily@"+at, nil)
		if err != nil || plan.Tables[0].Snapshot.Name != firstSnap {
			t.Fatalf("pinned at %s: %+v, %v", at, plan, err)
		}
		plan, err = f.s.PlanQuery(f.ctx, f.owner, sql, map[string]string{"sales.internal_orders_daily": firstSnap})
		if err != nil || plan.Tables[0].Snapshot.Name != firstSnap {
			t.Fatalf("pin beside the SQL: %+v, %v", plan, err)
		}

		// Mistakes name what is wrong.
		for _, c := range []struct{ sql, want string }{
			{"FROM sales.internal_orders", "several output ports: name one of sales.internal_orders_daily, sales.internal_orders_events"},
			{"FROM sales.internal_orders_events", "no published snapshot yet"},
			{"FROM sales.internal_orders_daily@yesterday-ish", "neither a snapshot"},
			{"FROM sales.internal_orders_daily@2000-01-01", "had no snapshot yet"},
			{"  ", "Write a query"},
		} {
			_, err := f.s.PlanQuery(f.ctx, f.owner, c.sql, nil)
			if !validationOn(err, "sql") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%q: %v, want %q", c.sql, err, c.want)
			}
		}
		// Names that are no product are left to DuckDB.
		if plan, err = f.s.PlanQuery(f.ctx, f.owner, "SELECT x.y FROM finance.nothing x", nil); err != nil || len(plan.Tables) != 0 {
			t.Errorf("no products: %+v, %v", plan, err)
		}
	})
}

// TestQueryRecordsAndUsage: queries are recorded with what they read, and
// owners count them per product.
func TestQueryRecordsAndUsage(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newIncidentFixture(t, db)
		f.run(t, models.RunSucceeded)
		const sql = "SELECT * FROM sales.internal_orders_daily"
		for _, u := range []*models.User{f.owner, f.owner, f.owner2} {
			plan, err := f.s.PlanQuery(f.ctx, u, sql, nil)
			if err != nil {
				t.Fatal(err)
			}
			q, err := f.s.RecordQuery(f.ctx, u, models.QueryRecord{SQL: sql, Source: models.QuerySourceBrowser, Plan: plan})
			if err != nil {
				t.Fatal(err)
			}
			if err := f.s.FinishQuery(f.ctx, q, models.QuerySucceeded, 3, 40*time.Millisecond, ""); err != nil {
				t.Fatal(err)
			}
		}
		_, refusal := f.s.PlanQuery(f.ctx, f.analyst, sql, nil)
		if _, err := f.s.RecordQuery(f.ctx, f.analyst, models.QueryRecord{SQL: sql, Source: models.QuerySourceAPI, Refused: refusal}); err != nil {
			t.Fatal(err)
		}
		mine, pages, err := f.s.Queries(f.ctx, models.QueryFilter{UserID: f.owner.ID})
		if err != nil || len(mine) != 2 || pages != 1 || mine[0].Status != models.QuerySucceeded || len(mine[0].Reads) != 1 ||
			mine[0].Reads[0].Basis != models.BasisTeam || mine[0].Reads[0].Snapshot == "" || mine[0].DurationMS != 40 {
			t.Fatalf("owner's history: %+v, %d, %v", mine, pages, err)
		}
		all, _, err := f.s.Queries(f.ctx, models.QueryFilter{Text: "ana@"})
		if err != nil || len(all) != 1 || all[0].Status != models.QueryRefused || !strings.Contains(all[0].Error, "no access to sales.internal-orders") {
			t.Fatalf("the refused query: %+v, %v", all, err)
		}
		if _, err := f.s.RollupStats(f.ctx); err != nil {
			t.Fatal(err)
		}
		use, err := f.s.ProductStats(f.ctx, f.p, 30)
		if err != nil || use.Queries != 3 || use.Users != 2 || len(use.Days) != 30 || use.Days[29].Queries != 3 || use.Days[29].Users != 2 {
			t.Fatalf("usage: %+v, %v", use, err)
		}
	})
}

func TestSavedQueries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newIncidentFixture(t, db)
		sq, err := f.s.SaveQuery(f.ctx, f.owner, "", "Daily orders", "SELECT 1")
		if err != nil || len(sq.Token) < 12 {
			t.Fatalf("save: %+v, %v", sq, err)
		}
		if _, err := f.s.SaveQuery(f.ctx, f.analyst, sq.Token, "Mine now", "SELECT 2"); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("someone else changed it: %v", err)
		}
		if _, err := f.s.SaveQuery(f.ctx, f.owner, "", " ", "SELECT 1"); !validationOn(err, "name") {
			t.Errorf("no name: %v", err)
		}
		got, err := f.s.SavedQueryByToken(f.ctx, sq.Token)
		if err != nil || got.SQL != "SELECT 1" || got.User.ID != f.owner.ID {
			t.Fatalf("open by link: %+v, %v", got, err)
		}
		if err := f.s.DeleteSavedQuery(f.ctx, f.analyst, sq.Token); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("someone else deleted it: %v", err)
		}
		if err := f.s.DeleteSavedQuery(f.ctx, f.owner, sq.Token); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.SavedQueryByToken(f.ctx, sq.Token); !models.IsNotFound(err) {
			t.Errorf("the link still works: %v", err)
		}
	})
}
