package models_test

import (
	"slices"
	"testing"
	"time"

	"gorm.io/gorm"

	"plaza/models"
	"plaza/models/dbtest"
)

// dashFixture is incidentFixture's company with what the dashboards look
// for: a team without an owner, a team whose only owner left, requests
// decided in 4 and 10 hours and one still pending, a deprecated product
// still granted, three queries, and a late product.
type dashFixture struct {
	*incidentFixture
	returns, archive *models.Team
}

func newDashFixture(t *testing.T, db *gorm.DB) *dashFixture {
	t.Helper()
	f := &dashFixture{incidentFixture: newIncidentFixture(t, db)}
	f.returns = f.team(t, "sales", "returns", "Returns")
	f.archive = f.team(t, "sales", "archive", "Archive")
	leaver := f.person(t, "lea@example.com", "Lea Leaver")
	if _, err := f.s.AddMember(f.ctx, f.admin, f.archive, leaver.Email, models.RoleOwner); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.SetActive(f.ctx, f.admin, leaver.ID, false); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ team, slug string }{{"returns", "refunds"}, {"archive", "old-orders"}} {
		_, err := f.s.CreateProduct(f.ctx, f.admin, "sales", models.ProductInput{Slug: p.slug, Name: p.slug, Team: p.team,
			Summary: "Orphaned.", Classification: models.ClassInternal})
		if err != nil {
			t.Fatal(err)
		}
	}

	internal := f.ask(t, f.analyst, models.ClassInternal, 30)
	confidential := f.ask(t, f.analyst, models.ClassConfidential, 30)
	restricted := f.ask(t, f.analyst, models.ClassRestricted, 30)
	f.clock.Add(4 * time.Hour)
	f.decide(t, f.owner, internal, models.VerdictApprove, "")
	f.clock.Add(6 * time.Hour)
	f.decide(t, f.owner, confidential, models.VerdictApprove, "")
	f.decide(t, f.owner, restricted, models.VerdictApprove, "") // still waits for the steward

	f.timedRun(t, 90*time.Second, models.RunSucceeded, pass, pass, warn)
	f.query(t, f.analyst)
	f.query(t, f.analyst)
	f.query(t, f.owner)
	if _, err := f.s.SetProductStatus(f.ctx, f.owner, f.products[models.ClassConfidential], models.StatusDeprecated, ""); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(25 * time.Hour)
	f.check(t, 1, 0)
	if _, err := f.s.RollupStats(f.ctx); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestOwnershipDashboard(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newDashFixture(t, db)
		d, err := f.s.Ownership(f.ctx, models.DashFilter{Days: 30}, true)
		if err != nil {
			t.Fatal(err)
		}
		byStatus := map[string]int64{}
		for _, c := range d.ByStatus {
			byStatus[c.Status] += c.N
		}
		if d.Products != 6 || byStatus[models.StatusPublished] != 3 || byStatus[models.StatusDeprecated] != 1 || byStatus[models.StatusDraft] != 2 {
			t.Errorf("products %d by status %v", d.Products, byStatus)
		}
		if d.UnownedTotal != 2 || len(d.Unowned) != 2 || len(d.TeamsWithoutOwner) != 2 {
			t.Fatalf("unowned %d %+v, teams %+v", d.UnownedTotal, d.Unowned, d.TeamsWithoutOwner)
		}
		if a, r := d.TeamsWithoutOwner[0], d.TeamsWithoutOwner[1]; a.Slug != "archive" || !a.Deactivated || a.Products != 1 ||
			r.Slug != "returns" || r.Deactivated || r.Path() != "/domains/sales/teams/returns" {
			t.Errorf("teams without owners %+v", d.TeamsWithoutOwner)
		}
		if d.StaleTotal != 1 || d.Stale[0].Slug != "internal-orders" || d.Stale[0].Port != "daily" || d.Stale[0].FreshnessHours != 24 {
			t.Errorf("stale %d %+v", d.StaleTotal, d.Stale)
		}
		if len(d.DeprecatedUsed) != 1 || d.DeprecatedUsed[0].Slug != "confidential-orders" || d.DeprecatedUsed[0].Grants != 1 ||
			!slices.Equal(d.DeprecatedUsed[0].Consumers, []string{"Ana Analyst"}) {
			t.Errorf("deprecated in use %+v", d.DeprecatedUsed)
		}
		if d.PendingTotal != 1 || d.Pending[0].Slug != "restricted-orders" || d.Pending[0].Requester != "Ana Analyst" {
			t.Errorf("pending %d %+v", d.PendingTotal, d.Pending)
		}
		if len(d.Decisions) != 1 || d.Decisions[0].DomainSlug != "sales" || d.Decisions[0].Decided != 2 || d.Decisions[0].MedianHours != 7 {
			t.Errorf("decisions %+v, want 2 in sales with a median of 7 hours", d.Decisions)
		}
		if len(d.MostGranted) != 2 || d.MostGranted[0].Slug != "internal-orders" || d.MostGranted[0].N != 1 {
			t.Errorf("most granted %+v", d.MostGranted)
		}
		if len(d.TopProducts) != 1 || d.TopProducts[0].Slug != "internal-orders" || d.TopProducts[0].N != 3 {
			t.Errorf("top products %+v", d.TopProducts)
		}
		if len(d.TopConsumers) != 2 || d.TopConsumers[0].Email != f.analyst.Email || d.TopConsumers[0].Queries != 2 ||
			d.TopConsumers[1].Email != f.owner.Email || d.TopConsumers[1].Queries != 1 {
			t.Errorf("top consumers %+v", d.TopConsumers)
		}

		// Without names, no people; narrowed to the orders team, no gaps.
		d, err = f.s.Ownership(f.ctx, models.DashFilter{TeamID: f.orders.ID, Days: 7}, false)
		if err != nil {
			t.Fatal(err)
		}
		if d.Products != 4 || d.UnownedTotal != 0 || len(d.TeamsWithoutOwner) != 0 || d.TopConsumers != nil ||
			len(d.DeprecatedUsed) != 1 || d.DeprecatedUsed[0].Consumers != nil || d.PendingTotal != 1 || d.Pending[0].Requester != "" {
			t.Errorf("the orders team: %d products, %d unowned, teams %+v, consumers %+v, deprecated %+v",
				d.Products, d.UnownedTotal, d.TeamsWithoutOwner, d.TopConsumers, d.DeprecatedUsed)
		}
	})
}

func TestQualityAndUsageDashboards(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newDashFixture(t, db)
		q, err := f.s.Quality(f.ctx, models.DashFilter{Days: 30})
		if err != nil {
			t.Fatal(err)
		}
		if len(q.Days) != 30 || q.SLAProducts != 1 || q.OpenIncidents != 1 || len(q.Incidents) != 1 || q.Incidents[0].Kind != models.IncidentFreshness {
			t.Fatalf("quality: %d days, %d SLA products, %d open, incidents %+v", len(q.Days), q.SLAProducts, q.OpenIncidents, q.Incidents)
		}
		yesterday := q.Days[28]
		if yesterday.Runs != 1 || yesterday.RunsOK != 1 || yesterday.Checks != 3 || yesterday.ChecksPassed != 2 || yesterday.Queries != 3 {
			t.Errorf("yesterday %+v", yesterday)
		}
		if len(q.Scopes) != 1 || q.Scopes[0].Slug != "sales" || q.Scopes[0].Checks != 3 || q.Scopes[0].OpenIncidents != 1 || q.Scopes[0].SLAProducts != 1 {
			t.Errorf("per domain %+v", q.Scopes)
		}
		// Published and deprecated: four; only internal-orders has checks or an SLA.
		bands := map[string]int64{}
		for _, b := range q.Bands {
			bands[b.Label] = b.N
		}
		if bands["Not scored"] != 3 || len(q.Lowest) != 1 || q.Lowest[0].Slug != "internal-orders" {
			t.Errorf("bands %v, lowest %+v", bands, q.Lowest)
		}

		per, err := f.s.Quality(f.ctx, models.DashFilter{DomainID: f.sales.ID, Days: 7})
		if err != nil {
			t.Fatal(err)
		}
		if len(per.Days) != 7 || len(per.Scopes) != 3 || per.Scopes[0].Slug != "archive" || per.Scopes[1].Slug != "orders" || per.Scopes[1].Checks != 3 {
			t.Errorf("per team %+v", per.Scopes)
		}

		u, err := f.s.Usage(f.ctx, models.DashFilter{Days: 30}, false)
		if err != nil {
			t.Fatal(err)
		}
		if u.Queries != 3 || u.Users != 2 || u.Downloads != 0 || u.Days[28].Users != 2 || u.Days[28].Queries != 3 || len(u.TopProducts) != 1 || u.TopProducts[0].N != 3 || u.TopConsumers != nil {
			t.Errorf("usage: %d queries by %d, top %+v, consumers %+v", u.Queries, u.Users, u.TopProducts, u.TopConsumers)
		}
		if len(u.Scopes) != 1 || u.Scopes[0].Queries != 3 || u.Scopes[0].Users != 2 || u.Scopes[0].Products != 3 {
			t.Errorf("usage per domain %+v", u.Scopes)
		}

		mine, tot, err := f.s.MyProducts(f.ctx, f.owner, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(mine) != 4 || tot.Products != 4 || tot.Late != 1 || tot.Pending != 1 || tot.Failing != 0 {
			t.Fatalf("my products: %+v, totals %+v", mine, tot)
		}
		// With a limit, those that need the owner come first: late, then waiting.
		two, tot2, err := f.s.MyProducts(f.ctx, f.owner, 2)
		if err != nil || len(two) != 2 || tot2 != tot {
			t.Fatalf("two of my products: %+v, %+v, %v", two, tot2, err)
		}
		if slugs := []string{two[0].Slug, two[1].Slug}; !slices.Contains(slugs, "internal-orders") || !slices.Contains(slugs, "restricted-orders") {
			t.Errorf("the two that need the owner: %v", slugs)
		}
		for _, m := range mine {
			switch m.Slug {
			case "internal-orders":
				if !m.Late || m.LastRun == nil || m.LastRun.Status != models.RunSucceeded || m.Health == nil || m.Health.Score == nil {
					t.Errorf("internal-orders: %+v", m)
				}
			case "restricted-orders":
				if m.PendingRequests != 1 || m.Late || m.LastRun != nil {
					t.Errorf("restricted-orders: %+v", m)
				}
			}
		}
		if other, _, err := f.s.MyProducts(f.ctx, f.analyst, 10); err != nil || len(other) != 0 {
			t.Errorf("the analyst's products: %+v, %v", other, err)
		}

		p, err := f.s.Platform(f.ctx, models.DashFilter{Days: 30})
		if err != nil {
			t.Fatal(err)
		}
		if p.Pipelines != 1 || p.RunsFailed != 0 || len(p.Slowest) != 1 || p.Slowest[0].MaxMS != 90_000 || len(p.Lake) != 1 || p.Lake[0].Snapshots != 1 || p.RolledUpAt.IsZero() {
			t.Errorf("platform %+v", p)
		}
	})
}
