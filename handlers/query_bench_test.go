package handlers

// Benchmarks of federated queries (issue 7); docs/PERFORMANCE.md has the
// figures and the command. Nothing here runs without -bench.
//
// BenchmarkQuery10M publishes a 10 million row sales.returns and times a
// grouped aggregation through POST /api/v1/query (as the product's owner,
// over HTTP) and the same SQL in DuckDB from Go over the same Parquet
// files, alternately, in the same run; then the time to the first rows of
// a small query through the endpoint.
//
// BenchmarkQuery20Users has 20 people, each with a token, query the public
// finance.fiscal_calendar at once for about 10 seconds.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"plaza/lake"
	"plaza/models"
	"plaza/models/dbtest"
)

const (
	benchGroupSQL = "SELECT customer_id, sum(amount), count(*) FROM sales.returns GROUP BY ALL"
	// benchHeavySQL is a grouped aggregation that makes DuckDB work: a
	// distinct count of 10 million keys per customer.
	benchHeavySQL = "SELECT customer_id, sum(amount), count(DISTINCT order_id) FROM sales.returns GROUP BY ALL"
	benchSmallSQL = "SELECT * FROM sales.returns LIMIT 10"
	benchGenSQL   = "SELECT range AS order_id, range % 1000 AS customer_id, (range % 97)::DOUBLE AS amount FROM range(10000000)"
)

// benchEnv is a server as serve configures it (a sandbox with its default
// pool and limits) on a seeded SQLite store, for benchmarks.
type benchEnv struct {
	store *models.Store
	srv   *Server
	http  *httptest.Server
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	db := dbtest.SQLite(b)
	store := models.NewStore(db)
	if err := store.SeedDemo(context.Background()); err != nil {
		b.Fatal(err)
	}
	lk, err := lake.Open(filepath.Join(b.TempDir(), "lake"))
	if err != nil {
		b.Fatal(err)
	}
	sb := lake.NewSandbox(lake.SandboxConfig{ScratchDir: lk.SandboxScratchDir(), Command: func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = []string{sandboxChildEnv + "=1"}
		return cmd
	}})
	b.Cleanup(func() { sb.Close() })
	srv, err := New(store, lk, Options{BaseURL: "http://plaza.test", Demo: true, SessionSecret: []byte(strings.Repeat("k", 32)),
		Version: "bench", Logger: quietLog, Sandbox: sb})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	b.Cleanup(ts.Close)
	return &benchEnv{store: store, srv: srv, http: ts}
}

func (e *benchEnv) user(b *testing.B, email string) *models.User {
	b.Helper()
	u, err := e.store.UserByEmail(context.Background(), email)
	if err != nil {
		b.Fatal(err)
	}
	return u
}

func (e *benchEnv) token(b *testing.B, u *models.User) string {
	b.Helper()
	_, secret, err := e.store.CreateToken(context.Background(), u, "bench")
	if err != nil {
		b.Fatal(err)
	}
	return secret
}

// publish publishes port of product as a run does (as publishCSV), the
// snapshot written by gen, a SELECT the sandbox materializes (it may read
// the view src, a one-line CSV).
func (e *benchEnv) publish(b *testing.B, ownerEmail, product, port, gen string) *models.Snapshot {
	b.Helper()
	ctx := context.Background()
	must := func(err error) {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
	}
	owner := e.user(b, ownerEmail)
	domain, slug, _ := strings.Cut(product, "/")
	p, err := e.store.ProductBySlug(ctx, domain, slug)
	must(err)
	folder := p.Slug + "-" + port
	_, err = e.srv.Lake.SaveLanding(p.Domain.Slug, folder+"/data.csv", strings.NewReader("x\n1\n"), 1<<20)
	must(err)
	pl, err := e.store.SavePipeline(ctx, owner, p, models.PipelineSpec{Port: port, SQL: "SELECT * FROM src",
		Inputs: []models.PipelineInputSpec{{Name: "src", Landing: folder + "/*.csv"}}})
	must(err)
	run, err := e.store.EnqueueRun(ctx, owner, pl, models.RunRequest{Trigger: models.TriggerManual})
	must(err)
	_, _, err = e.store.StartRun(ctx, run.ID)
	must(err)
	files, err := e.srv.Lake.ResolveLanding(p.Domain.Slug, folder+"/*.csv")
	must(err)
	staging, err := e.srv.Lake.StagingDir(fmt.Sprintf("run-%d", run.ID))
	must(err)
	res, err := e.srv.Opts.Sandbox.Materialize(ctx, []lake.Input{{Name: "src", Paths: files}}, gen,
		filepath.Join(staging, "data.parquet"), lake.Limits{Memory: "2GB", Timeout: 10 * time.Minute})
	must(err)
	name := lake.SnapshotName(e.store.Now(), run.ID)
	_, err = e.srv.Lake.Publish(staging, p.Domain.Slug, p.Slug, port, name)
	must(err)
	_, err = e.store.FinishRun(ctx, run, models.RunOutcome{Status: models.RunSucceeded, Rows: res.RowCount, Bytes: res.Bytes,
		Snapshot: &models.Snapshot{Name: name, Rows: res.RowCount, Bytes: res.Bytes}})
	must(err)
	snap, err := e.store.CurrentSnapshot(ctx, p.ID, port)
	must(err)
	return snap
}

// query posts sql to /api/v1/query with token; it answers the status and
// the time until the whole body was read.
func (e *benchEnv) query(hc *http.Client, token, sql string) (int, time.Duration, string, error) {
	start := time.Now()
	req, err := http.NewRequest("POST", e.http.URL+"/api/v1/query", strings.NewReader(queryBody(sql)))
	if err != nil {
		return 0, 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, 0, "", err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, time.Since(start), string(body), err
}

// BenchmarkQuery10M: each iteration runs the grouped aggregation through
// the endpoint and directly in DuckDB (threads=2 and memory_limit=512MB,
// the per-query limits), alternating which goes first, each after a pause. Reported: plaza-s
// and direct-s (means), sandbox-s (the mean of the answers' duration_ms,
// the sandbox's own count), overhead-% (of the means), median-overhead-%, and
// ttfr-p50-ms / ttfr-p95-ms, the time to the answer of a LIMIT 10 query
// over 50 calls.
func BenchmarkQuery10M(b *testing.B) { benchQuery10M(b, benchGroupSQL) }

// BenchmarkQuery10MHeavy is BenchmarkQuery10M with benchHeavySQL, where
// the query's own work outweighs the fixed costs of a sandbox child.
func BenchmarkQuery10MHeavy(b *testing.B) { benchQuery10M(b, benchHeavySQL) }

func benchQuery10M(b *testing.B, groupSQL string) {
	e := newBenchEnv(b)
	start := time.Now()
	snap := e.publish(b, ownerEmail, "sales/returns", "daily", benchGenSQL)
	p, err := e.store.ProductBySlug(context.Background(), "sales", "returns")
	if err != nil {
		b.Fatal(err)
	}
	files, err := e.srv.Lake.SnapshotFiles(p.Domain.Slug, p.Slug, "daily", snap.Name)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("published %d rows (%d MB) in %s: %v", snap.Rows, snap.Bytes>>20, time.Since(start).Round(time.Millisecond), files)
	token := e.token(b, e.user(b, ownerEmail))
	hc := &http.Client{}

	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		b.Fatal(err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	quoted := make([]string, len(files))
	for i, f := range files {
		quoted[i] = "'" + strings.ReplaceAll(f, "'", "''") + "'"
	}
	for _, s := range []string{"SET threads=2", "SET memory_limit='512MB'", "CREATE SCHEMA sales",
		"CREATE VIEW sales.returns AS SELECT * FROM read_parquet([" + strings.Join(quoted, ",") + "])"} {
		if _, err := conn.ExecContext(context.Background(), s); err != nil {
			b.Fatalf("%s: %v", s, err)
		}
	}
	runDirect := func() (time.Duration, int) {
		start := time.Now()
		rows, err := conn.QueryContext(context.Background(), groupSQL)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		var cust, count int64
		var sum float64
		for rows.Next() {
			if err := rows.Scan(&cust, &sum, &count); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		rows.Close()
		return time.Since(start), n
	}
	var sandbox []time.Duration // the sandbox's own count (duration_ms)
	runPlaza := func() time.Duration {
		status, took, body, err := e.query(hc, token, groupSQL)
		var res queryResultJSON
		if err == nil {
			err = json.Unmarshal([]byte(body), &res)
		}
		if err != nil || status != http.StatusOK || res.RowCount != 1000 {
			b.Fatalf("plaza: %d %v %.300s", status, err, body)
		}
		sandbox = append(sandbox, time.Duration(res.DurationMS)*time.Millisecond)
		return took
	}
	// Each side starts on quiet cores: after a big query DuckDB's allocator
	// gives memory back on background threads for a second or so, and
	// back to back that lands on the other side (measured: whichever ran
	// second was 10-30% slower, both ways).
	settle := func() { time.Sleep(1500 * time.Millisecond) }
	// Warm up both (the page cache, the sandbox's children).
	runPlaza()
	runDirect()
	sandbox = nil

	var plaza, direct []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var d, pz time.Duration
		var n int
		if i%2 == 0 {
			settle()
			d, n = runDirect()
			settle()
			pz = runPlaza()
		} else {
			settle()
			pz = runPlaza()
			settle()
			d, n = runDirect()
		}
		if n != 1000 {
			b.Fatalf("direct: %d rows", n)
		}
		plaza, direct = append(plaza, pz), append(direct, d)
		b.Logf("iteration %d: plaza %s (sandbox %s), direct %s", i, pz.Round(time.Millisecond), sandbox[i], d.Round(time.Millisecond))
	}
	b.StopTimer()
	var ttfr []time.Duration
	for range 50 {
		status, took, body, err := e.query(hc, token, benchSmallSQL)
		if err != nil || status != http.StatusOK || !strings.Contains(body, `"row_count":10`) {
			b.Fatalf("LIMIT 10: %d %v %.300s", status, err, body)
		}
		ttfr = append(ttfr, took)
	}
	mean := func(ds []time.Duration) float64 {
		var sum time.Duration
		for _, d := range ds {
			sum += d
		}
		return sum.Seconds() / float64(len(ds))
	}
	b.ReportMetric(mean(plaza), "plaza-s")
	b.ReportMetric(mean(direct), "direct-s")
	b.ReportMetric(mean(sandbox), "sandbox-s")
	b.ReportMetric(100*(mean(plaza)/mean(direct)-1), "overhead-%")
	b.ReportMetric(100*(benchPercentile(plaza, 50).Seconds()/benchPercentile(direct, 50).Seconds()-1), "median-overhead-%")
	b.ReportMetric(benchMS(benchPercentile(ttfr, 50)), "ttfr-p50-ms")
	b.ReportMetric(benchMS(benchPercentile(ttfr, 95)), "ttfr-p95-ms")
}

// BenchmarkQuery20Users: 20 people, each with a token, query the public
// finance.fiscal_calendar in a loop, all at once, for about 10 seconds per
// iteration. Reported: p50/p95/max latency, queries per second, and the
// answers that were not 200, by status.
func BenchmarkQuery20Users(b *testing.B) {
	const users = 20
	const window = 10 * time.Second
	e := newBenchEnv(b)
	e.publish(b, "tom.becker@northwind.example", "finance/fiscal-calendar", "daily",
		"SELECT DATE '2026-01-01' + range::INTEGER AS day, range // 7 + 1 AS fiscal_week FROM range(365)")
	admin := e.user(b, adminEmail)
	tokens := make([]string, users)
	for i := range tokens {
		u, err := e.store.CreatePerson(context.Background(), admin, models.PersonInput{
			Email: fmt.Sprintf("bench.user%02d@northwind.example", i), Name: fmt.Sprintf("Bench User %02d", i)})
		if err != nil {
			b.Fatal(err)
		}
		tokens[i] = e.token(b, u)
	}
	queries := []string{
		"SELECT * FROM finance.fiscal_calendar LIMIT 10",
		"SELECT fiscal_week, count(*) FROM finance.fiscal_calendar GROUP BY ALL ORDER BY 1",
		"SELECT max(day) FROM finance.fiscal_calendar WHERE fiscal_week = 48",
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: users}}
	if s, _, body, err := e.query(hc, tokens[0], queries[0]); err != nil || s != http.StatusOK {
		b.Fatalf("warm-up: %d %v %.300s", s, err, body)
	}

	var mu sync.Mutex
	var lat []time.Duration
	codes := map[int]int{}
	var errs int
	var total int
	var elapsed time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		deadline := start.Add(window)
		var wg sync.WaitGroup
		for u := range users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for q := u; time.Now().Before(deadline); q++ {
					status, took, _, err := e.query(hc, tokens[u], queries[q%len(queries)])
					mu.Lock()
					total++
					switch {
					case err != nil:
						errs++
					case status != http.StatusOK:
						codes[status]++
					}
					lat = append(lat, took)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		elapsed += time.Since(start)
	}
	b.StopTimer()
	b.Logf("%d queries by %d people in %s; not 200: %v; transport errors: %d", total, users, elapsed.Round(time.Millisecond), codes, errs)
	b.ReportMetric(benchMS(benchPercentile(lat, 50)), "p50-ms")
	b.ReportMetric(benchMS(benchPercentile(lat, 95)), "p95-ms")
	b.ReportMetric(benchMS(slices.Max(lat)), "max-ms")
	b.ReportMetric(float64(total)/elapsed.Seconds(), "queries/s")
	non200 := errs
	for code, n := range codes {
		non200 += n
		b.ReportMetric(float64(n), fmt.Sprintf("status-%d", code))
	}
	b.ReportMetric(float64(non200), "non-200")
}

func benchMS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func benchPercentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}
