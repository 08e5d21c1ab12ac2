package models_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"plaza/models"
	"plaza/models/dbtest"
)

// demoCatalog lists the seeded products as (domain, slug) pairs, in id order.
func demoCatalog(t *testing.T, db *gorm.DB) [][2]string {
	t.Helper()
	var rows []struct{ DomainSlug, Slug string }
	err := db.Table("products").Select("domains.slug AS domain_slug, products.slug AS slug").
		Joins("JOIN domains ON domains.id = products.domain_id").Order("products.id").Scan(&rows).Error
	if err != nil {
		t.Fatal(err)
	}
	out := make([][2]string, len(rows))
	for i, r := range rows {
		out[i] = [2]string{r.DomainSlug, r.Slug}
	}
	return out
}

func TestSeedDemoCatalog(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		s := models.NewStore(db)
		began := time.Now()
		if err := s.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		t.Logf("seeding a fresh %s database took %v", dbtest.Name(db), time.Since(began))

		catalog := demoCatalog(t, db)
		if len(catalog) < 25 {
			t.Fatalf("seeded %d products, want at least 25", len(catalog))
		}
		perDomain := map[string]int{}
		statuses := map[string]int{}
		for _, ref := range catalog {
			perDomain[ref[0]]++
			p, err := s.ProductBySlug(ctx, ref[0], ref[1])
			if err != nil {
				t.Fatal(err)
			}
			name := ref[0] + "/" + ref[1]
			statuses[p.Status]++
			if p.Team.DomainID != p.DomainID {
				t.Errorf("%s is owned by team %s of another domain", name, p.Team.Slug)
			}
			owners, err := s.ProductOwners(ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(owners) == 0 {
				t.Errorf("%s: team %s has no owner to ask", name, p.Team.Slug)
			}
			if p.Summary == "" || strings.Count(p.Description, "\n") < 2 || len(p.Tags) < 2 {
				t.Errorf("%s: summary, a description of several lines and tags are expected", name)
			}
			if p.FreshnessHours == 0 || p.Availability == "" || p.SupportChannel == "" || p.ResponseTime == "" {
				t.Errorf("%s: incomplete SLA %d/%q/%q/%q", name, p.FreshnessHours, p.Availability, p.SupportChannel, p.ResponseTime)
			}
			if (p.Classification == models.ClassConfidential || p.Classification == models.ClassRestricted) && p.TermsOfUse == "" {
				t.Errorf("%s is %s without terms of use", name, p.Classification)
			}
			if n := len(p.OutputPorts); n < 1 || n > 2 {
				t.Errorf("%s has %d output ports, want 1 or 2", name, n)
			}
			pii := 0
			for _, port := range p.OutputPorts {
				if n := len(port.Columns); n < 6 || n > 20 {
					t.Errorf("%s/%s has %d columns, want 6 to 20", name, port.Slug, n)
				}
				for _, c := range port.Columns {
					if c.Description == "" {
						t.Errorf("%s/%s.%s has no description", name, port.Slug, c.Name)
					}
					if c.PII {
						pii++
					}
				}
			}
			if p.Classification == models.ClassRestricted && pii == 0 {
				t.Errorf("%s is restricted but flags no personal column", name)
			}
			if len(p.InputPorts) == 0 {
				t.Errorf("%s does not say where its data comes from", name)
			}
			if p.Status == models.StatusDeprecated {
				r, err := s.Replacement(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				if r == nil || r.Status != models.StatusPublished {
					t.Errorf("deprecated %s suggests no published replacement (%v)", name, r)
				}
			}
			if p.Status != models.StatusDraft && p.PublishedAt == nil {
				t.Errorf("%s is %s but was never published", name, p.Status)
			}
		}
		for _, d := range []string{"sales", "customer", "marketing", "supply-chain", "finance"} {
			if perDomain[d] == 0 {
				t.Errorf("domain %s has no products", d)
			}
		}
		for _, st := range models.Statuses {
			if statuses[st] == 0 {
				t.Errorf("no %s product in the demo catalog (%v)", st, statuses)
			}
		}

		// Derived products read their upstreams through real links.
		seg, err := s.ProductBySlug(ctx, "customer", "customer-segments")
		if err != nil {
			t.Fatal(err)
		}
		ups := map[uint]bool{}
		for _, ip := range seg.InputPorts {
			if ip.UpstreamProductID != nil {
				ups[*ip.UpstreamProductID] = true
			}
		}
		for _, ref := range [][2]string{{"customer", "customer-360"}, {"sales", "orders"}} {
			up, err := s.ProductBySlug(ctx, ref[0], ref[1])
			if err != nil {
				t.Fatal(err)
			}
			if !ups[up.ID] {
				t.Errorf("customer/customer-segments does not read %s/%s", ref[0], ref[1])
			}
		}

		terms, err := s.ListTerms(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(terms) < 12 {
			t.Fatalf("seeded %d glossary terms, want at least 12", len(terms))
		}
		widest, widestTerm := 0, ""
		for _, term := range terms {
			if term.Definition == "" || len(term.SynonymList()) == 0 {
				t.Errorf("term %s has no definition or synonyms", term.Ref())
			}
			uses, err := s.TermUsage(ctx, term.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(uses) == 0 {
				t.Errorf("term %s is used by no published column", term.Ref())
			}
			domains := map[string]bool{}
			for _, u := range uses {
				domains[u.DomainSlug] = true
			}
			if len(domains) > widest {
				widest, widestTerm = len(domains), term.Ref()
			}
		}
		if widest < 3 {
			t.Errorf("the most shared term, %s, is used in %d domains; want one joining products of 3 or more", widestTerm, widest)
		}
		customer, err := s.TermBySlug(ctx, "customer", "customer")
		if err != nil {
			t.Fatal(err)
		}
		if uses, _ := s.TermUsage(ctx, customer.ID); len(uses) < 5 {
			t.Errorf("customer/customer is carried by %d columns, want it on every customer_id", len(uses))
		}

		// The history is the admin's, in the order a team would have made it.
		var events []models.AuditEvent
		if err := db.Where("object_type = ? AND object_id = ?", "product", "sales/daily-store-sales-v1").Order("id").Find(&events).Error; err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range events {
			actions = append(actions, e.Action)
			if e.ActorEmail != "alex.morgan@northwind.example" {
				t.Errorf("%s was written by %s, want the admin", e.Action, e.ActorEmail)
			}
		}
		if got := strings.Join(actions, ","); got != "product.create,product.published,product.deprecated" {
			t.Errorf("history of sales/daily-store-sales-v1 = %s", got)
		}
	})
}

func TestSeedDemoCatalogIsIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		s := models.NewStore(db)
		if err := s.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		counts := func() map[string]int64 {
			out := map[string]int64{}
			for name, model := range map[string]any{
				"products": &models.Product{}, "ports": &models.OutputPort{}, "columns": &models.Column{},
				"inputs": &models.InputPort{}, "rules": &models.QualityRule{}, "tags": &models.ProductTag{},
				"terms": &models.GlossaryTerm{}, "events": &models.AuditEvent{},
			} {
				var n int64
				if err := db.Model(model).Count(&n).Error; err != nil {
					t.Fatal(err)
				}
				out[name] = n
			}
			return out
		}
		before := counts()
		began := time.Now()
		if err := s.SeedDemo(ctx); err != nil {
			t.Fatalf("second seed: %v", err)
		}
		t.Logf("seeding an already seeded %s database took %v", dbtest.Name(db), time.Since(began))
		after := counts()
		for name, n := range before {
			if after[name] != n {
				t.Errorf("second seed changed %s: %d -> %d", name, n, after[name])
			}
		}
		t.Logf("catalog: %v", after)

		// A demo product renamed by its owners is not seeded again under its old name.
		admin, err := s.UserByEmail(ctx, "alex.morgan@northwind.example")
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.ProductBySlug(ctx, "sales", "returns")
		if err != nil {
			t.Fatal(err)
		}
		in, err := s.InputOf(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		in.Slug = "customer-returns"
		if _, err := s.UpdateProduct(ctx, admin, p, in); err != nil {
			t.Fatal(err)
		}
		if err := s.SeedDemo(ctx); err != nil {
			t.Fatalf("seed after a rename: %v", err)
		}
		renamed := counts()
		if renamed["products"] != before["products"] || renamed["events"] != before["events"]+1 {
			t.Errorf("after renaming sales/returns the seed wrote %d products and %d events, want %d and %d",
				renamed["products"], renamed["events"], before["products"], before["events"]+1)
		}
	})
}
