package handlers

// BenchmarkDashboards times each dashboard page over a large company: the
// 100,000-product catalog with a year of run, check, query and download
// history, made once by
//
//	go run ./bench/gen --data /tmp/plaza-dash --products 100000 --history
//
// and named by PLAZA_BENCH_DASH_DB (its plaza.db, or a postgres:// URL
// filled the same way). Without it the benchmark skips. docs/PERFORMANCE.md
// has the figures and the command.

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"plaza/lake"
	"plaza/models"
)

// dashBenchPages are the pages timed: each board for the whole company
// and narrowed to a domain, as the admin (who sees every table).
var dashBenchPages = []string{
	"/dashboards/ownership",
	"/dashboards/ownership?domain=sales",
	"/dashboards/quality",
	"/dashboards/quality?domain=sales&range=90",
	"/dashboards/usage",
	"/dashboards/usage?domain=finance&range=7",
	"/dashboards/platform",
	"/dashboards/mine", // as the generator's owner of a team of thousands of products
}

// BenchmarkDashboards requests each page 40 times in turn, one at a time,
// over HTTP, after a warm-up request, and reports the p50 and p95 render
// time of the slowest page and of each page (page order as above).
func BenchmarkDashboards(b *testing.B) {
	dsn := os.Getenv("PLAZA_BENCH_DASH_DB")
	if dsn == "" {
		b.Skip("PLAZA_BENCH_DASH_DB names no prepared database (see the comment above)")
	}
	db, err := models.Open(dsn)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := models.Migrate(ctx, db); err != nil {
		b.Fatal(err)
	}
	store := models.NewStore(db)
	if rep, err := store.RollupStats(ctx); err != nil { // catches up, as the job would have
		b.Fatal(err)
	} else {
		b.Logf("rollup caught up: %+v", rep)
	}
	lk, err := lake.Open(filepath.Join(b.TempDir(), "lake"))
	if err != nil {
		b.Fatal(err)
	}
	srv, err := New(store, lk, Options{BaseURL: "http://plaza.test", Demo: true, SessionSecret: []byte(strings.Repeat("k", 32)),
		Version: "bench", Logger: quietLog})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	b.Cleanup(ts.Close)
	as := func(email string) *http.Client {
		u, err := store.UserByEmail(ctx, email)
		if err != nil {
			b.Fatal(err)
		}
		secret, err := store.CreateSession(ctx, u, "bench")
		if err != nil {
			b.Fatal(err)
		}
		value, err := srv.cookies.Encode(sessionCookie, secret)
		if err != nil {
			b.Fatal(err)
		}
		jar, _ := cookiejar.New(nil)
		base, _ := url.Parse(ts.URL)
		jar.SetCookies(base, []*http.Cookie{{Name: sessionCookie, Value: value, Path: "/"}})
		return &http.Client{Jar: jar}
	}
	admin, owner := as(adminEmail), as("gen-owner@example.com")
	get := func(path string) time.Duration {
		client := admin
		if path == "/dashboards/mine" {
			client = owner
		}
		start := time.Now()
		resp, err := client.Get(ts.URL + path)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("%s: %d", path, resp.StatusCode)
		}
		return time.Since(start)
	}

	const rounds = 40
	for range b.N {
		lat := make([][]time.Duration, len(dashBenchPages))
		for i, p := range dashBenchPages {
			get(p) // warm: the first request of a filter reads its domain's teams
			lat[i] = nil
		}
		for range rounds {
			for i, p := range dashBenchPages {
				lat[i] = append(lat[i], get(p))
			}
		}
		var worst50, worst95 time.Duration
		for i, p := range dashBenchPages {
			p50, p95 := benchPercentile(lat[i], 50), benchPercentile(lat[i], 95)
			b.Logf("%-45s p50 %6.1f ms  p95 %6.1f ms  max %6.1f ms", p, benchMS(p50), benchMS(p95), benchMS(benchPercentile(lat[i], 100)))
			worst50, worst95 = max(worst50, p50), max(worst95, p95)
		}
		b.ReportMetric(benchMS(worst50), "worst-p50-ms")
		b.ReportMetric(benchMS(worst95), "worst-p95-ms")
	}
}
