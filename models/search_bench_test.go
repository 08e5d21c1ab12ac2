package models_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"plaza/bench/catalog"
	"plaza/models"
	"plaza/models/dbtest"
)

// EnvBenchProducts sets how many products BenchmarkSearch generates.
const EnvBenchProducts = "PLAZA_BENCH_PRODUCTS"

// BenchmarkSearch measures marketplace searches over a generated catalog
// (100,000 products by default, PLAZA_BENCH_PRODUCTS to change) on each
// database, as a person who owns one team. Besides ns/op it reports the
// 95th percentile of one search in milliseconds, for docs/PERFORMANCE.md.
//
//	PLAZA_TEST_DATABASE_URL=postgres://... go test ./models/ -run '^$' -bench BenchmarkSearch -benchtime 300x -timeout 60m -v
//
// Generating and indexing 100,000 products takes about a minute on SQLite
// and two on Postgres, once per run.
func BenchmarkSearch(b *testing.B) {
	n := 100000
	if v := os.Getenv(EnvBenchProducts); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("%s=%q: want a positive number", EnvBenchProducts, v)
		}
	}
	queries := []struct {
		name string
		q    models.SearchQuery
	}{
		{"prefix", models.SearchQuery{Text: "cust"}},
		{"two-words", models.SearchQuery{Text: "customer orders"}},
		{"rare-words", models.SearchQuery{Text: "loyalty redemption"}},
		{"facet-filter", models.SearchQuery{Text: "revenue", Domains: []string{"finance"}, Statuses: []string{models.StatusPublished}}},
		{"typo", models.SearchQuery{Text: "custmer"}},
		{"browse-domain", models.SearchQuery{Domains: []string{"finance"}, Sort: models.SortName}},
		{"browse-all", models.SearchQuery{}},
	}
	for _, db := range benchDBs(b) {
		ctx := context.Background()
		s := models.NewStore(db.db)
		start := time.Now()
		u, err := catalog.Generate(ctx, s, n)
		if err != nil {
			b.Fatal(err)
		}
		loaded := time.Since(start)
		if err := s.ReindexAll(ctx); err != nil {
			b.Fatal(err)
		}
		indexed := time.Since(start) - loaded
		start = time.Now()
		if _, err := s.SearchProducts(ctx, u, models.SearchQuery{Text: "customer"}); err != nil {
			b.Fatal(err)
		}
		b.Logf("%s: %d products generated in %s, indexed in %s; first search (loads the cache) %s", db.name, n,
			loaded.Round(time.Millisecond), indexed.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		for _, bq := range queries {
			b.Run(db.name+"/"+bq.name, func(b *testing.B) {
				times := make([]time.Duration, 0, b.N)
				var total int64
				for b.Loop() {
					t0 := time.Now()
					res, err := s.SearchProducts(ctx, u, bq.q)
					if err != nil {
						b.Fatal(err)
					}
					times = append(times, time.Since(t0))
					total = res.Total
				}
				slices.Sort(times)
				p95 := times[(len(times)*95+99)/100-1]
				b.ReportMetric(float64(p95.Microseconds())/1000, "p95-ms")
				b.ReportMetric(float64(total), "results")
			})
		}
	}
}

// TestGenerateCatalogForSearch checks the benchmark's generator on a few
// products, so a broken generator shows up in normal test runs rather than
// ten minutes into a benchmark, and that what ReindexAll writes is what a
// product write would.
func TestGenerateCatalogForSearch(t *testing.T) {
	db := dbtest.SQLite(t)
	ctx := context.Background()
	s := models.NewStore(db)
	u, err := catalog.Generate(ctx, s, 300)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ReindexAll(ctx); err != nil {
		t.Fatal(err)
	}
	var products, columns, docs int64
	db.Model(&models.Product{}).Count(&products)
	db.Model(&models.Column{}).Count(&columns)
	db.Table("search_docs").Count(&docs)
	if products != 300 || docs != 300 || columns < 300*15 {
		t.Errorf("%d products, %d columns, %d indexed", products, columns, docs)
	}
	res, err := s.SearchProducts(ctx, u, models.SearchQuery{Text: "customer"})
	if err != nil || res.Total == 0 || len(res.Facets[models.FacetDomain]) == 0 {
		t.Fatalf("search the generated catalog: %v, %+v", err, res)
	}
	type doc struct{ Name, Summary, Tags, Description, Fields, Glossary, Owner string }
	var before, after doc
	var id uint
	if err := db.Table("search_docs").Select("product_id").Where("team_id IN (?)",
		db.Table("memberships").Select("team_id").Where("user_id = ?", u.ID)).Limit(1).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	db.Table("search_docs").Where("product_id = ?", id).Scan(&before)
	p, err := s.ProductByID(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	in, err := s.InputOf(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateProduct(ctx, u, p, in); err != nil {
		t.Fatal(err)
	}
	db.Table("search_docs").Where("product_id = ?", id).Scan(&after)
	if before != after || before.Fields == "" {
		t.Errorf("reindexed:\n%+v\nrewritten by an update:\n%+v", before, after)
	}
}
