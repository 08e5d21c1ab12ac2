package models_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"plaza/bench/catalog"
	"plaza/models"
	"plaza/models/dbtest"
)

// EnvBenchProducts sets how many products BenchmarkSearch generates.
const EnvBenchProducts = "PLAZA_BENCH_PRODUCTS"

// EnvBenchKeep names a folder where BenchmarkSearch keeps its generated
// SQLite catalog between runs; with it, the Postgres catalog is kept too,
// in a schema named after the size (bench_catalog_100000) of the test
// database. Without it each run generates both afresh.
const EnvBenchKeep = "PLAZA_BENCH_KEEP"

// BenchmarkSearch measures marketplace searches over a generated catalog
// (100,000 products by default, PLAZA_BENCH_PRODUCTS to change) on each
// database, as a person who owns one team. Every search is computed: the
// result cache is emptied before each one. Besides ns/op it reports the
// 95th percentile of one search in milliseconds, for docs/PERFORMANCE.md,
// and logs the heap the search cache takes.
//
//	PLAZA_TEST_DATABASE_URL=postgres://... go test ./models/ -run '^$' -bench BenchmarkSearch -benchtime 300x -timeout 60m -v
//
// Generating and indexing 100,000 products takes about a minute on SQLite
// and two on Postgres, once per run (once for all runs with PLAZA_BENCH_KEEP).
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
	for _, db := range benchCatalogs(b, n) {
		ctx := context.Background()
		s := models.NewStore(db.db)
		start := time.Now()
		u, err := s.UserByEmail(ctx, "gen-owner@example.com")
		var products, docs int64
		db.db.Model(&models.Product{}).Count(&products)
		db.db.Table("search_docs").Count(&docs)
		kept := err == nil && products >= int64(n) && docs == products
		if !kept {
			if u, err = catalog.Generate(ctx, s, n); err != nil {
				b.Fatal(err)
			}
		}
		loaded := time.Since(start)
		if !kept { // a kept catalog was indexed when it was made
			if err := s.ReindexAll(ctx); err != nil {
				b.Fatal(err)
			}
		}
		indexed := time.Since(start) - loaded
		if kept {
			b.Logf("%s: the catalog kept in %s", db.name, EnvBenchKeep)
		}
		heapBefore := heapInUse()
		start = time.Now()
		if _, err := s.SearchProducts(ctx, u, models.SearchQuery{Text: "customer"}); err != nil {
			b.Fatal(err)
		}
		first := time.Since(start)
		heap := heapInUse()
		b.Logf("%s: %d products generated in %s, indexed in %s; first search (loads the cache) %s; heap %.0f MB, of which the search cache %.0f MB; RSS %s",
			db.name, n, loaded.Round(time.Millisecond), indexed.Round(time.Millisecond), first.Round(time.Millisecond),
			float64(heap)/1e6, (float64(heap)-float64(heapBefore))/1e6, rss())
		for _, bq := range queries {
			b.Run(db.name+"/"+bq.name, func(b *testing.B) {
				times := make([]time.Duration, 0, b.N)
				var total int64
				for b.Loop() {
					s.ForgetSearchResults()
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
		b.Logf("%s: after the searches, heap %.0f MB, RSS %s", db.name, float64(heapInUse())/1e6, rss())
		runtime.KeepAlive(s) // its cache is part of the heap measured
	}
}

// benchCatalogs opens the databases BenchmarkSearch runs on: fresh ones,
// or with PLAZA_BENCH_KEEP the ones kept from an earlier run.
func benchCatalogs(b *testing.B, n int) []namedDB {
	keep := os.Getenv(EnvBenchKeep)
	if keep == "" {
		return benchDBs(b)
	}
	open := func(dsn string, migrate bool) *gorm.DB {
		db, err := models.Open(dsn)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			if sqlDB, err := db.DB(); err == nil {
				sqlDB.Close()
			}
		})
		if migrate {
			if err := models.Migrate(context.Background(), db); err != nil {
				b.Fatal(err)
			}
		}
		return db
	}
	dbs := []namedDB{{"sqlite", open(filepath.Join(keep, fmt.Sprintf("search-%d.db", n)), true)}}
	if base := os.Getenv(dbtest.EnvPostgres); base != "" {
		schema := fmt.Sprintf("bench_catalog_%d", n)
		admin := open(base, false)
		if err := admin.Exec(fmt.Sprintf(`CREATE SCHEMA IF NOT EXISTS %q`, schema)).Error; err != nil {
			b.Fatal(err)
		}
		u, err := url.Parse(base)
		if err != nil {
			b.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		dbs = append(dbs, namedDB{"postgres", open(u.String(), true)})
	}
	return dbs
}

// heapInUse is the live heap after a collection, in bytes.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// rss is the process's resident memory as the kernel reports it, now and
// at its highest.
func rss() string {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	mb := map[string]float64{}
	for _, line := range strings.Split(string(status), "\n") {
		if name, v, ok := strings.Cut(line, ":"); ok && (name == "VmRSS" || name == "VmHWM") {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			mb[name] = float64(kb) / 1024
		}
	}
	return fmt.Sprintf("%.0f MB (peak %.0f MB)", mb["VmRSS"], mb["VmHWM"])
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
