package jobs

// Benchmarks of pipeline runs (issue 6); docs/PERFORMANCE.md has the
// figures and the commands. Nothing here runs without -bench: the 10
// million row landing file is written only when BenchmarkPipeline10M runs.
//
// BenchmarkPipeline10M runs one pipeline (a CSV landing file, aggregated
// per customer into Parquet, three quality checks) through Plaza, the way
// "Run now" does (EnqueueRun, River's pipeline_run worker, the sandbox's
// child processes, the checks, publishing), and the same SQL in DuckDB
// from Go without Plaza, alternately, in the same run. It also samples the
// memory of the server (this process) and of the sandbox's children.
//
// BenchmarkJobPickup measures how long a run waits between being enqueued
// and its worker starting, on SQLite and (with PLAZA_TEST_DATABASE_URL) on
// Postgres.

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"plaza/lake"
	"plaza/models"
	"plaza/models/dbtest"
)

// Environment of the benchmarks.
const (
	envBenchKeep = "PLAZA_BENCH_KEEP" // a folder that keeps the generated landing file between runs
	envBenchRows = "PLAZA_BENCH_ROWS" // rows of the landing file (default 10,000,000), for trying things out
	// envDirectJob makes the test binary the direct DuckDB run's process
	// (TestDirectDuckDBHelper), which keeps DuckDB's memory out of the
	// process whose RSS is measured as the server's.
	envDirectJob = "PLAZA_BENCH_DIRECT_JOB"
)

// benchSQL aggregates the orders per customer: 10 million rows in, about
// 1 million out.
const benchSQL = `SELECT customer_id, count(*) AS orders, sum(amount) AS revenue,
       min(ordered_at) AS first_order, max(ordered_at) AS last_order
FROM raw_orders
WHERE status <> 'cancelled'
GROUP BY customer_id`

const benchPort = "customers"

var benchRules = []models.QualityRuleInput{
	{Port: benchPort, Column: "customer_id", Kind: "unique", Description: "One row per customer.", Blocking: true},
	{Port: benchPort, Column: "revenue", Kind: "not_null", Description: "Every customer has a revenue.", Blocking: true},
	{Port: benchPort, Column: "orders", Kind: "range", Description: "Every customer ordered.", Spec: `{"min":1}`},
}

// benchPlant is a store, a lake holding the landing file, a product with
// the pipeline and its three checks, a sandbox and a runner, configured as
// `plaza serve` configures them.
type benchPlant struct {
	ctx      context.Context
	store    *models.Store
	lake     *lake.Lake
	sandbox  *lake.Sandbox
	runner   *Runner
	owner    *models.User
	pipeline *models.Pipeline
	landing  string // the landing file's path
}

func newBenchPlant(b *testing.B, db *gorm.DB, csv string) *benchPlant {
	b.Helper()
	ctx := b.Context()
	if err := Migrate(ctx, db); err != nil {
		b.Fatal(err)
	}
	p := &benchPlant{ctx: ctx, store: models.NewStore(db)}
	must := func(err error) {
		b.Helper()
		if err != nil {
			b.Fatal(err)
		}
	}
	s := p.store
	admin, err := s.EnsureUser(ctx, "ada@example.com", "Ada Admin", []string{"ada@example.com"})
	must(err)
	_, err = s.CreateDomain(ctx, admin, models.DomainInput{Slug: "sales", Name: "Sales"})
	must(err)
	team, err := s.CreateTeam(ctx, admin, "sales", models.TeamInput{Slug: "orders", Name: "Orders"})
	must(err)
	p.owner, err = s.CreatePerson(ctx, admin, models.PersonInput{Email: "olga@example.com", Name: "Olga Owner"})
	must(err)
	_, err = s.AddMember(ctx, admin, team, p.owner.Email, models.RoleOwner)
	must(err)
	product, err := s.CreateProduct(ctx, p.owner, "sales", models.ProductInput{
		Slug: "customer-revenue", Name: "Customer revenue", Team: "orders", Summary: "Orders and revenue per customer.",
		Classification: models.ClassInternal,
		OutputPorts: []models.PortInput{{Name: "Customers", Format: "parquet", Columns: []models.ColumnInput{
			{Name: "customer_id", Type: "integer", PrimaryKey: true}, {Name: "orders", Type: "integer"},
			{Name: "revenue", Type: "number"}, {Name: "first_order", Type: "timestamp"}, {Name: "last_order", Type: "timestamp"}}}},
		Quality: benchRules,
	})
	must(err)
	product, err = s.SetProductStatus(ctx, p.owner, product, models.StatusPublished, "")
	must(err)

	p.lake, err = lake.Open(filepath.Join(b.TempDir(), "lake"))
	must(err)
	p.landing, err = p.lake.LandingPath("sales", "shop", "orders.csv")
	must(err)
	must(os.MkdirAll(filepath.Dir(p.landing), 0o750))
	must(linkOrCopy(csv, p.landing))
	p.pipeline, err = s.SavePipeline(ctx, p.owner, product, models.PipelineSpec{
		Port: benchPort, SQL: benchSQL, Inputs: []models.PipelineInputSpec{{Name: "raw_orders", Landing: "shop/orders.csv"}},
	})
	must(err)

	// As serve: a warm pool of two children (the default), the test binary
	// standing in for `plaza __sandbox`.
	p.sandbox = lake.NewSandbox(lake.SandboxConfig{ScratchDir: p.lake.SandboxScratchDir(), Command: func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = []string{sandboxChildEnv + "=1"}
		return cmd
	}})
	b.Cleanup(func() { p.sandbox.Close() })
	// The runner as serve starts it: River's production settings (Config.fast unset).
	p.runner, err = Start(ctx, s, Config{BaseURL: baseURL, Lake: p.lake, Sandbox: p.sandbox})
	must(err)
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		p.runner.Stop(ctx)
	})
	return p
}

// runTimes is what one run through Plaza took.
type runTimes struct {
	total     time.Duration // EnqueueRun until the run finished (its snapshot current)
	pickup    time.Duration // EnqueueRun until the worker marked the run running
	riverWait time.Duration // River's own count: the job available until its worker started
}

// run enqueues a run as its owner would and waits for it to finish.
func (p *benchPlant) run(b *testing.B) (*models.Run, runTimes) {
	b.Helper()
	events, cancel := p.runner.client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
	defer cancel()
	start := time.Now()
	run, err := p.store.EnqueueRun(p.ctx, p.owner, p.pipeline, models.RunRequest{Trigger: models.TriggerManual})
	if err != nil {
		b.Fatal(err)
	}
	if err := p.runner.Enqueue(p.ctx, run.ID); err != nil {
		b.Fatal(err)
	}
	deadline := time.After(30 * time.Minute)
	for {
		select {
		case ev := <-events:
			if ev.Job.Kind != (PipelineRunArgs{}).Kind() {
				continue
			}
			end := time.Now()
			got, err := p.store.RunByID(p.ctx, run.ID)
			if err != nil {
				b.Fatal(err)
			}
			if got.Active() {
				continue // a retried attempt
			}
			t := runTimes{total: end.Sub(start)}
			if got.StartedAt != nil {
				t.pickup = got.StartedAt.Sub(start)
			}
			if got.FinishedAt != nil {
				t.total = got.FinishedAt.Sub(start)
			}
			if ev.JobStats != nil {
				t.riverWait = ev.JobStats.QueueWaitDuration
			}
			return got, t
		case <-deadline:
			got, _ := p.store.RunByID(p.ctx, run.ID)
			b.Fatalf("run %d still %s after 30 minutes; log:\n%s", run.ID, got.Status, got.Log)
		}
	}
}

// BenchmarkPipeline10M: each iteration runs the pipeline directly in
// DuckDB and through Plaza, alternating which goes first. Reported, per
// run: direct-s and plaza-s (means), overhead-% (of the means),
// median-overhead-% (of the medians), quiet-overhead-% (of the medians of
// the runs during which other processes kept less than 0.1 core busy;
// quiet-runs counts them, both sides together), the CPU time each side
// used, and the peak RSS of the server process, of the largest sandbox
// child and of the direct run's process, in MB, beside the pipeline's
// DuckDB memory limit. With -v each run is logged, Plaza's first with its
// log.
func BenchmarkPipeline10M(b *testing.B) {
	rows := int64(10_000_000)
	if v := os.Getenv(envBenchRows); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1000 {
			b.Fatalf("%s=%q: want a number of rows of at least 1000", envBenchRows, v)
		}
		rows = n
	}
	csv := benchLanding(b, rows)
	p := newBenchPlant(b, dbtest.SQLite(b), csv)
	warmPageCache(b, p.landing)
	checks := benchCheckSQL(b)
	memoryMB := p.pipeline.MemoryMB

	b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
		var direct, plaza, quietDirect, quietPlaza []time.Duration
		var directCPU, plazaCPU time.Duration
		var serverPeak, childPeak, directPeak int64
		for i := 0; i < b.N; i++ {
			runDirect := func() {
				mem := watchMemory()
				d := runDirectDuckDB(b, p.landing, checks)
				w := mem.stop()
				direct = append(direct, d.Elapsed)
				if w.others < 0.1 {
					quietDirect = append(quietDirect, d.Elapsed)
				}
				directCPU += w.childCPU
				directPeak = max(directPeak, d.PeakKB, w.childKB)
				b.Logf("direct: %s (COPY %s, checks %s), CPU %s, others %.2f cores; %d rows written, failing rows per check %v, peak RSS %d MB",
					d.Elapsed.Round(time.Millisecond), d.Copy.Round(time.Millisecond), d.Checks.Round(time.Millisecond),
					w.childCPU.Round(time.Millisecond), w.others, d.Rows, d.Failing, max(d.PeakKB, w.childKB)>>10)
			}
			runPlaza := func() {
				mem := watchMemory()
				run, t := p.run(b)
				w := mem.stop()
				plaza = append(plaza, t.total)
				if w.others < 0.1 {
					quietPlaza = append(quietPlaza, t.total)
				}
				plazaCPU += w.serverCPU + w.childCPU
				serverPeak, childPeak = max(serverPeak, w.serverKB), max(childPeak, w.childKB)
				if run.Status != models.RunSucceeded || run.ChecksPassed != len(benchRules) {
					b.Fatalf("run %d: %s, checks %d/%d, error %q\n%s", run.ID, run.Status, run.ChecksPassed, run.ChecksFailed, run.Error, run.Log)
				}
				wrote := ""
				if m := wroteIn.FindStringSubmatch(run.Log); m != nil {
					wrote = m[1]
				}
				b.Logf("plaza: %s (worker started after %s, sandbox wrote in %s), CPU %s server + %s sandbox, others %.2f cores; %d rows written, peak RSS server %d MB, largest child %d MB",
					t.total.Round(time.Millisecond), t.pickup.Round(time.Millisecond), wrote, w.serverCPU.Round(time.Millisecond),
					w.childCPU.Round(time.Millisecond), w.others, run.Rows, w.serverKB>>10, w.childKB>>10)
				if i == 0 {
					b.Logf("the run's log:\n%s", run.Log)
				}
			}
			if i%2 == 0 {
				runDirect()
				runPlaza()
			} else {
				runPlaza()
				runDirect()
			}
		}
		n := float64(b.N)
		mean := func(ds []time.Duration) float64 {
			var sum time.Duration
			for _, d := range ds {
				sum += d
			}
			return sum.Seconds() / n
		}
		b.ReportMetric(mean(direct), "direct-s")
		b.ReportMetric(mean(plaza), "plaza-s")
		b.ReportMetric(100*(mean(plaza)/mean(direct)-1), "overhead-%")
		b.ReportMetric(100*(percentile(plaza, 50).Seconds()/percentile(direct, 50).Seconds()-1), "median-overhead-%")
		if len(quietPlaza) > 0 && len(quietDirect) > 0 {
			b.ReportMetric(100*(percentile(quietPlaza, 50).Seconds()/percentile(quietDirect, 50).Seconds()-1), "quiet-overhead-%")
		}
		b.ReportMetric(float64(len(quietPlaza)+len(quietDirect)), "quiet-runs")
		b.ReportMetric(directCPU.Seconds()/n, "direct-cpu-s")
		b.ReportMetric(plazaCPU.Seconds()/n, "plaza-cpu-s")
		b.ReportMetric(float64(serverPeak)/1024, "server-peak-MB")
		b.ReportMetric(float64(childPeak)/1024, "child-peak-MB")
		b.ReportMetric(float64(directPeak)/1024, "direct-peak-MB")
		b.ReportMetric(float64(memoryMB), "memory-limit-MB")
	})
}

// BenchmarkJobPickup measures from EnqueueRun until the pipeline worker
// marks the run running (pickup-p50-ms, pickup-p95-ms), and River's own
// count from the job being available until its worker starts
// (river-p50-ms, river-p95-ms). Runs arrive at uneven times, 0-290 ms
// after the previous one ended, so they fall anywhere between River's
// fetches. The pipeline reads a three-row file.
func BenchmarkJobPickup(b *testing.B) {
	csv := filepath.Join(b.TempDir(), "orders.csv")
	tiny := "order_id,customer_id,ordered_at,country,status,amount\n1,1,2026-01-01 00:00:00,DE,shipped,1.50\n2,2,2026-01-02 00:00:00,FR,paid,2.50\n3,1,2026-01-03 00:00:00,DE,paid,3.50\n"
	if err := os.WriteFile(csv, []byte(tiny), 0o640); err != nil {
		b.Fatal(err)
	}
	for _, db := range []struct {
		name string
		open func(testing.TB) *gorm.DB
	}{{"sqlite", dbtest.SQLite}, {"postgres", dbtest.Postgres}} {
		b.Run(db.name, func(b *testing.B) {
			p := newBenchPlant(b, db.open(b), csv)
			p.run(b) // warm up: River's leader, the pool, the connections
			var pickup, wait []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				time.Sleep(time.Duration(i*37%300) * time.Millisecond)
				b.StartTimer()
				run, t := p.run(b)
				if run.Status != models.RunSucceeded {
					b.Fatalf("run %d: %s %q\n%s", run.ID, run.Status, run.Error, run.Log)
				}
				pickup, wait = append(pickup, t.pickup), append(wait, t.riverWait)
			}
			b.ReportMetric(ms(percentile(pickup, 50)), "pickup-p50-ms")
			b.ReportMetric(ms(percentile(pickup, 95)), "pickup-p95-ms")
			b.ReportMetric(ms(percentile(wait, 50)), "river-p50-ms")
			b.ReportMetric(ms(percentile(wait, 95)), "river-p95-ms")
		})
	}
}

// wroteIn finds how long the sandbox took to write the output, in a run's log.
var wroteIn = regexp.MustCompile(`Wrote \d+ rows \(\d+ bytes\) in (\S+)\.`)

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[(len(s)-1)*p/100]
}

// benchCheckSQL is the SQL the three checks run, as Plaza writes it.
func benchCheckSQL(b *testing.B) []string {
	var out []string
	for _, r := range benchRules {
		failing, err := models.FailingRowsSQL(models.QualityRule{Port: r.Port, Column: r.Column, Kind: r.Kind, Spec: r.Spec}, models.CheckView(benchPort))
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, models.CheckSQL(failing))
	}
	return out
}

// benchLanding returns the path of the landing file of n orders, writing
// it when it is not kept from an earlier run. The same n gives the same
// bytes: order_id, customer_id (about n/10 customers), ordered_at (2026),
// country, status, amount.
func benchLanding(b *testing.B, n int64) string {
	b.Helper()
	dir := os.Getenv(envBenchKeep)
	if dir == "" {
		dir = b.TempDir()
	} else if err := os.MkdirAll(dir, 0o750); err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("pipeline-orders-%d.csv", n))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	start := time.Now()
	if err := writeOrders(path+".tmp", n); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		b.Fatal(err)
	}
	info, _ := os.Stat(path)
	b.Logf("wrote %s (%d MB) in %s", path, info.Size()>>20, time.Since(start).Round(time.Millisecond))
	return path
}

func writeOrders(path string, n int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	countries := []string{"DE", "FR", "NL", "BE", "AT", "CH", "IT", "ES", "PT", "PL", "SE", "DK", "NO", "FI", "IE", "GB", "US", "CA", "JP", "AU"}
	statuses := []string{"paid", "paid", "paid", "shipped", "shipped", "delivered", "delivered", "returned", "cancelled", "paid"}
	customers := max(n/10, 1)
	year := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	seed := uint64(6)
	line := make([]byte, 0, 128)
	w.WriteString("order_id,customer_id,ordered_at,country,status,amount\n")
	for i := int64(1); i <= n; i++ {
		r := splitmix(&seed)
		line = strconv.AppendInt(line[:0], i, 10)
		line = append(line, ',')
		line = strconv.AppendInt(line, int64(r%uint64(customers))+1, 10)
		line = append(line, ',')
		line = year.Add(time.Duration((r>>20)%(365*24*3600))*time.Second).AppendFormat(line, time.DateTime)
		line = append(line, ',')
		line = append(line, countries[(r>>8)%uint64(len(countries))]...)
		line = append(line, ',')
		line = append(line, statuses[(r>>13)%uint64(len(statuses))]...)
		line = append(line, ',')
		cents := int64(splitmix(&seed)%50000) + 100
		line = strconv.AppendInt(line, cents/100, 10)
		line = append(line, '.', byte('0'+cents/10%10), byte('0'+cents%10), '\n')
		if _, err := w.Write(line); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// splitmix is SplitMix64: the same numbers on every machine and Go version.
func splitmix(s *uint64) uint64 {
	*s += 0x9e3779b97f4a7c15
	z := *s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// linkOrCopy puts src at dst: a hard link (a regular file, as the sandbox
// wants), or a copy across file systems.
func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// warmPageCache reads the file once, so that neither side of the first
// iteration pays for the disk.
func warmPageCache(b *testing.B, path string) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(io.Discard, f); err != nil {
		b.Fatal(err)
	}
}

// directJob is the direct run's work; directResult what it reports.
type directJob struct {
	CSV    string   `json:"csv"`
	Out    string   `json:"out"`
	SQL    string   `json:"sql"`
	View   string   `json:"view"`
	Checks []string `json:"checks"`
}

type directResult struct {
	Elapsed time.Duration `json:"elapsed"` // from opening DuckDB to the last check's last row
	Copy    time.Duration `json:"copy"`    // the COPY alone
	Checks  time.Duration `json:"checks"`  // the three checks
	Rows    int64         `json:"rows"`
	Failing []int64       `json:"failing"`
	PeakKB  int64         `json:"peak_kb"`
}

const directMarker = "plaza-bench-direct: "

// runDirectDuckDB runs the pipeline's SQL in DuckDB from Go, in a process
// of its own (the test binary, TestDirectDuckDBHelper), and returns the
// time it measured from opening DuckDB to the last check's last row.
func runDirectDuckDB(b *testing.B, csv string, checks []string) directResult {
	b.Helper()
	out := filepath.Join(b.TempDir(), "direct.parquet")
	job, _ := json.Marshal(directJob{CSV: csv, Out: out, SQL: benchSQL, View: models.CheckView(benchPort), Checks: checks})
	cmd := exec.Command(os.Args[0], "-test.run=^TestDirectDuckDBHelper$")
	cmd.Env = append(os.Environ(), envDirectJob+"="+string(job))
	stdout, err := cmd.CombinedOutput()
	defer os.Remove(out)
	_, line, found := strings.Cut(string(stdout), directMarker)
	line, _, _ = strings.Cut(line, "\n")
	var res directResult
	if err != nil || !found || json.Unmarshal([]byte(line), &res) != nil {
		b.Fatalf("direct DuckDB run: %v\n%s", err, stdout)
	}
	return res
}

// TestDirectDuckDBHelper is the direct run's process for
// BenchmarkPipeline10M; it does nothing in a normal test run.
func TestDirectDuckDBHelper(t *testing.T) {
	v := os.Getenv(envDirectJob)
	if v == "" {
		t.Skip("the direct DuckDB run of BenchmarkPipeline10M")
	}
	var j directJob
	if err := json.Unmarshal([]byte(v), &j); err != nil {
		t.Fatal(err)
	}
	res, err := directRun(t.Context(), j)
	if err != nil {
		t.Fatal(err)
	}
	res.PeakKB = procStatusKB("self", "VmHWM")
	line, _ := json.Marshal(res)
	fmt.Println(directMarker + string(line))
}

// directRun is the pipeline as someone would write it without Plaza:
// DuckDB's defaults, one connection, read_csv -> COPY TO zstd Parquet,
// then the three checks over that file.
func directRun(ctx context.Context, j directJob) (directResult, error) {
	var res directResult
	start := time.Now()
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return res, err
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return res, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "CREATE VIEW raw_orders AS SELECT * FROM read_csv(['"+j.CSV+"'])"); err != nil {
		return res, err
	}
	copyStart := time.Now()
	r, err := conn.ExecContext(ctx, "COPY ("+j.SQL+") TO '"+j.Out+"' (FORMAT parquet, COMPRESSION zstd)")
	if err != nil {
		return res, err
	}
	if res.Rows, err = r.RowsAffected(); err != nil {
		return res, err
	}
	res.Copy = time.Since(copyStart)
	checksStart := time.Now()
	if _, err := conn.ExecContext(ctx, "CREATE VIEW "+j.View+" AS SELECT * FROM read_parquet(['"+j.Out+"'])"); err != nil {
		return res, err
	}
	for _, c := range j.Checks {
		rows, err := conn.QueryContext(ctx, c)
		if err != nil {
			return res, fmt.Errorf("%s: %w", c, err)
		}
		failing := int64(0)
		for rows.Next() {
			cols, _ := rows.Columns()
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return res, err
			}
			failing = toInt64(vals[0])
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return res, err
		}
		res.Failing = append(res.Failing, failing)
	}
	res.Checks = time.Since(checksStart)
	res.Elapsed = time.Since(start)
	return res, nil
}

// memoryWatch samples the RSS of this process (the server) and of its
// children (the sandbox's, or the direct run's process) until stop, and
// counts the CPU time both used.
type memoryWatch struct {
	stopc  chan struct{}
	done   chan struct{}
	self   string
	server int64           // KB, the highest VmRSS sampled
	child  map[int64]int64 // pid -> KB, the highest VmHWM sampled
	other  map[int64]bool  // pids seen that are not our children
	cpu    [2]time.Duration
	busy   time.Duration // the machine's, all processes
	start  time.Time
}

// watchMemory resets this process's high-water mark (VmHWM) and starts
// sampling every 50 ms.
func watchMemory() *memoryWatch {
	// "5" resets VmHWM to the current RSS (Linux 4.0 and later).
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	m := &memoryWatch{stopc: make(chan struct{}), done: make(chan struct{}), self: strconv.Itoa(os.Getpid()),
		child: map[int64]int64{}, other: map[int64]bool{}}
	m.cpu, m.busy, m.start = cpuTimes(), machineBusy(), time.Now()
	go func() {
		defer close(m.done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			m.sample()
			select {
			case <-m.stopc:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

// watched is what a memoryWatch saw: peaks in KB, CPU time used by this
// process and by its children that ended meanwhile.
type watched struct {
	serverKB, childKB int64
	serverCPU         time.Duration
	childCPU          time.Duration
	others            float64 // cores other processes kept busy, on average
}

func (m *memoryWatch) stop() watched {
	close(m.stopc)
	<-m.done
	m.sample()
	cpu := cpuTimes()
	w := watched{serverKB: max(m.server, procStatusKB("self", "VmHWM")), serverCPU: cpu[0] - m.cpu[0], childCPU: cpu[1] - m.cpu[1]}
	w.others = max(0, (machineBusy()-m.busy-w.serverCPU-w.childCPU).Seconds()/time.Since(m.start).Seconds())
	for _, kb := range m.child {
		w.childKB = max(w.childKB, kb)
	}
	return w
}

func (m *memoryWatch) sample() {
	m.server = max(m.server, procStatusKB("self", "VmRSS"))
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.ParseInt(e.Name(), 10, 64)
		if err != nil || m.other[pid] {
			continue
		}
		if _, ok := m.child[pid]; !ok {
			stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
			if err != nil {
				continue
			}
			// pid (comm) state ppid ...; comm may hold spaces and parentheses.
			i := strings.LastIndexByte(string(stat), ')')
			if f := strings.Fields(string(stat[i+1:])); i < 0 || len(f) < 2 || f[1] != m.self {
				m.other[pid] = true
				continue
			}
		}
		hwm := max(procStatusKB(e.Name(), "VmHWM"), procStatusKB(e.Name(), "VmRSS"))
		m.child[pid] = max(m.child[pid], hwm)
	}
}

// cpuTimes is the user+system time of this process and of its children
// that have ended.
func cpuTimes() [2]time.Duration {
	var out [2]time.Duration
	for i, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if syscall.Getrusage(who, &ru) == nil {
			out[i] = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return out
}

// machineBusy is the CPU time all processes have used since boot, from
// /proc/stat (USER_HZ is 100 on Linux).
func machineBusy() time.Duration {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	var busy int64
	for i := 1; i < len(f) && i <= 8; i++ {
		if i == 4 || i == 5 {
			continue // idle, iowait
		}
		n, _ := strconv.ParseInt(f[i], 10, 64)
		busy += n
	}
	return time.Duration(busy) * 10 * time.Millisecond
}

// procStatusKB reads one "Vm...:  123 kB" line of /proc/<pid>/status.
func procStatusKB(pid, field string) int64 {
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
