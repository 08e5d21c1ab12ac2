package jobs

import (
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"plaza/models"
	"plaza/models/dbtest"
)

// TestFreshnessCheckOpensIncident: the freshness check runs when the
// runner starts, opens an incident for a port older than its product's
// SLA, and emails the owner a link to the product page; the stats rollup
// runs on start as well.
func TestFreshnessCheckOpensIncident(t *testing.T) {
	t.Parallel()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		c := newCompany(t, db)
		in, err := c.store.InputOf(c.ctx, c.product)
		if err != nil {
			t.Fatal(err)
		}
		in.FreshnessHours = 24
		if c.product, err = c.store.UpdateProduct(c.ctx, c.owner, c.product, in); err != nil {
			t.Fatal(err)
		}
		pl, err := c.store.SavePipeline(c.ctx, c.owner, c.product, models.PipelineSpec{Port: "orders", SQL: "SELECT order_id FROM raw",
			Inputs: []models.PipelineInputSpec{{Name: "raw", Landing: "shop/*.csv"}}})
		if err != nil {
			t.Fatal(err)
		}
		run, err := c.store.EnqueueRun(c.ctx, c.owner, pl, models.RunRequest{Trigger: models.TriggerManual})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, err := c.store.StartRun(c.ctx, run.ID); err != nil || !ok {
			t.Fatalf("start run: %v %v", ok, err)
		}
		if _, err := c.store.FinishRun(c.ctx, run, models.RunOutcome{Status: models.RunSucceeded, Rows: 1,
			Snapshot: &models.Snapshot{Name: "first", Rows: 1}}); err != nil {
			t.Fatal(err)
		}
		c.clock.Add(25 * time.Hour)

		srv := startSMTP(t)
		r := c.start(t, srv)
		var open []models.Incident
		eventually(t, "a freshness incident", func() bool {
			open, err = c.store.Incidents(c.ctx, models.IncidentFilter{State: models.IncidentOpen})
			return err == nil && len(open) == 1
		})
		if inc := open[0]; inc.Kind != models.IncidentFreshness || inc.Port != "orders" || inc.ProductID != c.product.ID {
			t.Errorf("incident %+v", inc)
		}
		msgs := srv.wait(t, 1)
		if m := msgs[0]; m.To != c.owner.Email || m.Subject != "[Plaza] Daily orders is late: port orders has no new data within 24 hours" ||
			!strings.Contains(m.Body, "Open it in Plaza: "+baseURL+"/products/sales/daily-orders#pipelines\n") {
			t.Errorf("email to %q %q\n%s", m.To, m.Subject, m.Body)
		}
		eventually(t, "Stats to count a completed freshness_check", func() bool {
			stats, err := r.Stats(c.ctx)
			if err != nil {
				t.Fatal(err)
			}
			return slices.Contains(stats, JobCount{Kind: "freshness_check", State: "completed", Count: 1})
		})
		// The rollup ran on start too: the run is in the product's health.
		eventually(t, "the stats rollup to score the product", func() bool {
			h, err := c.store.HealthOf(c.ctx, c.product.ID)
			return err == nil && h != nil && h.Runs == 1 && h.RunsOK == 1
		})
	})
}
