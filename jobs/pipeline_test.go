package jobs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"plaza/lake"
	"plaza/models"
	"plaza/models/dbtest"
)

// sandboxChildEnv makes the test binary act as the sandbox's child.
const sandboxChildEnv = "PLAZA_SANDBOX_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(sandboxChildEnv) == "1" {
		lake.SandboxMain()
	}
	os.Exit(m.Run())
}

// lakeCompany is company with a lake holding landing orders, a sandbox, and
// a pipeline that builds the product's orders port from them, checked by
// two rules.
type lakeCompany struct {
	*company
	lake     *lake.Lake
	sandbox  *lake.Sandbox
	pipeline *models.Pipeline
}

func newLakeCompany(t *testing.T, db *gorm.DB, csv string) *lakeCompany {
	t.Helper()
	c := &lakeCompany{company: newCompany(t, db)}
	var err error
	if c.lake, err = lake.Open(filepath.Join(t.TempDir(), "lake")); err != nil {
		t.Fatal(err)
	}
	c.writeLanding(t, csv)
	c.sandbox = lake.NewSandbox(lake.SandboxConfig{Pool: 1, ScratchDir: c.lake.SandboxScratchDir(), Command: func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = []string{sandboxChildEnv + "=1"}
		return cmd
	}})
	t.Cleanup(func() { c.sandbox.Close() })
	in, err := c.store.InputOf(c.ctx, c.product)
	if err != nil {
		t.Fatal(err)
	}
	in.Quality = []models.QualityRuleInput{
		{Port: "orders", Column: "order_id", Kind: "unique", Description: "One row per order.", Blocking: true},
		{Port: "orders", Kind: "row_count", Description: "At least one order.", Spec: `{"min":1}`},
	}
	if c.product, err = c.store.UpdateProduct(c.ctx, c.owner, c.product, in); err != nil {
		t.Fatal(err)
	}
	c.pipeline, err = c.store.SavePipeline(c.ctx, c.owner, c.product, models.PipelineSpec{
		Port: "orders", SQL: "SELECT order_id FROM raw_orders WHERE order_id IS NOT NULL",
		Inputs: []models.PipelineInputSpec{{Name: "raw_orders", Landing: "shop/orders-*.csv"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *lakeCompany) writeLanding(t *testing.T, csv string) {
	t.Helper()
	path, err := c.lake.LandingPath("sales", "shop", "orders-1.csv")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(csv), 0o640); err != nil {
		t.Fatal(err)
	}
}

func (c *lakeCompany) startWithLake(t *testing.T) *Runner {
	t.Helper()
	r, err := Start(c.ctx, c.store, Config{BaseURL: baseURL, fast: true, Lake: c.lake, Sandbox: c.sandbox})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Stop(t.Context()) })
	return r
}

// runNow enqueues a run as the owner and waits for its job to finish.
func (c *lakeCompany) runNow(t *testing.T, r *Runner, req models.RunRequest) *models.Run {
	t.Helper()
	events, cancel := r.client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
	defer cancel()
	return c.await(t, events, c.enqueue(t, r, req))
}

// enqueue queues a run as the owner.
func (c *lakeCompany) enqueue(t *testing.T, r *Runner, req models.RunRequest) *models.Run {
	t.Helper()
	if req.Trigger == "" {
		req.Trigger = models.TriggerManual
	}
	run, err := c.store.EnqueueRun(c.ctx, c.owner, c.pipeline, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Enqueue(c.ctx, run.ID); err != nil {
		t.Fatal(err)
	}
	return run
}

// await waits, on events subscribed before the run was queued, for run's
// job to finish, and returns the run as it ended.
func (c *lakeCompany) await(t *testing.T, events <-chan *river.Event, run *models.Run) *models.Run {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.Job.Kind != (PipelineRunArgs{}).Kind() {
				continue
			}
			got, err := c.store.RunByID(c.ctx, run.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Active() {
				return got
			}
		case <-deadline:
			got, _ := c.store.RunByID(c.ctx, run.ID)
			t.Fatalf("run %d still %s after a minute; log:\n%s", run.ID, got.Status, got.Log)
		}
	}
}

// TestPipelineRunPublishesAndGates runs a pipeline through River and the
// sandbox: a good run publishes a current snapshot the lake holds; a
// failing blocking check and a schema drift each leave it current; an
// accepted drift publishes and adopts the new schema.
func TestPipelineRunPublishesAndGates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		c := newLakeCompany(t, db, "order_id,amount\nA1,10\nA2,20\nA3,30\n")
		r := c.startWithLake(t)

		run := c.runNow(t, r, models.RunRequest{})
		if run.Status != models.RunSucceeded || run.Rows != 3 || run.ChecksPassed != 2 || run.SnapshotID == nil {
			t.Fatalf("first run: %s rows %d checks %d/%d error %q\n%s", run.Status, run.Rows, run.ChecksPassed, run.ChecksFailed, run.Error, run.Log)
		}
		first, err := c.store.CurrentSnapshot(c.ctx, c.product.ID, "orders")
		if err != nil {
			t.Fatal(err)
		}
		files, err := c.lake.SnapshotFiles("sales", "daily-orders", "orders", first.Name)
		if err != nil || len(files) != 1 {
			t.Fatalf("snapshot files: %v, %v", files, err)
		}
		for _, want := range []string{"Input raw_orders: 1 landing file under", "Wrote 3 rows", `Check "One row per order." (unique, blocking): passed.`, "Published snapshot"} {
			if !strings.Contains(run.Log, want) {
				t.Errorf("log lacks %q:\n%s", want, run.Log)
			}
		}

		// A duplicate order fails the blocking check: nothing is published.
		c.writeLanding(t, "order_id,amount\nA1,10\nA1,11\n")
		run = c.runNow(t, r, models.RunRequest{})
		if run.Status != models.RunFailed || run.ChecksFailed != 1 || !strings.Contains(run.Error, "Blocking checks failed: One row per order.") {
			t.Fatalf("duplicate run: %s %q\n%s", run.Status, run.Error, run.Log)
		}
		got, _ := c.store.RunByID(c.ctx, run.ID)
		if len(got.Checks) != 2 || got.Checks[0].Passed || got.Checks[0].FailingRows != 1 || !strings.Contains(got.Checks[0].Sample, `"A1"`) {
			t.Errorf("check results %+v", got.Checks)
		}
		if cur, _ := c.store.CurrentSnapshot(c.ctx, c.product.ID, "orders"); cur.ID != first.ID {
			t.Errorf("a failed run changed the current snapshot")
		}

		// A new column is a drift: refused, then accepted on request.
		c.writeLanding(t, "order_id,amount\nB1,10\n")
		spec := c.pipeline.Spec()
		spec.SQL = "SELECT order_id, amount FROM raw_orders"
		if c.pipeline, err = c.store.SavePipeline(c.ctx, c.owner, c.product, spec); err != nil {
			t.Fatal(err)
		}
		run = c.runNow(t, r, models.RunRequest{})
		if run.Status != models.RunFailed || !strings.Contains(run.Error, "column amount (integer) is new") {
			t.Fatalf("drift run: %s %q", run.Status, run.Error)
		}
		run = c.runNow(t, r, models.RunRequest{AcceptSchema: true})
		if run.Status != models.RunSucceeded {
			t.Fatalf("accepted drift: %s %q\n%s", run.Status, run.Error, run.Log)
		}
		p, _ := c.store.ProductByID(c.ctx, c.product.ID)
		if cols := p.OutputPorts[0].Columns; len(cols) != 2 || cols[1].Name != "amount" || cols[1].Type != "integer" || p.Version != "1.1.0" {
			t.Errorf("after accepting: version %s, columns %+v", p.Version, cols)
		}

		// A mistake in the SQL fails at once, without retries.
		spec.SQL = "SELECT order_idd FROM raw_orders"
		if c.pipeline, err = c.store.SavePipeline(c.ctx, c.owner, c.product, spec); err != nil {
			t.Fatal(err)
		}
		run = c.runNow(t, r, models.RunRequest{})
		if run.Status != models.RunFailed || !strings.Contains(run.Error, "The SQL failed") || run.Attempt != 1 {
			t.Fatalf("bad SQL: %s attempt %d %q", run.Status, run.Attempt, run.Error)
		}
	})
}

// TestCancelStopsARunningQuery cancels a run whose SQL would run for
// hours: the sandbox's child is killed mid-query, the run ends cancelled
// within seconds, nothing is published, and the pipeline can run again.
func TestCancelStopsARunningQuery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		c := newLakeCompany(t, db, "order_id,amount\nA1,10\n")
		spec := c.pipeline.Spec()
		spec.SQL = "SELECT CAST(count(*) AS VARCHAR) AS order_id FROM range(100000000) a, range(100000000) b"
		spec.TimeoutSeconds = 3600
		var err error
		if c.pipeline, err = c.store.SavePipeline(c.ctx, c.owner, c.product, spec); err != nil {
			t.Fatal(err)
		}
		r := c.startWithLake(t)
		events, cancel := r.client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
		defer cancel()
		run := c.enqueue(t, r, models.RunRequest{})
		for started := time.Now(); !strings.Contains(run.Log, "Running the SQL in the sandbox"); {
			if time.Since(started) > time.Minute {
				t.Fatalf("the run did not start: %s\n%s", run.Status, run.Log)
			}
			time.Sleep(50 * time.Millisecond)
			if run, err = c.store.RunByID(c.ctx, run.ID); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.store.CancelRun(c.ctx, c.owner, run); err != nil {
			t.Fatal(err)
		}
		run = c.await(t, events, run)
		if run.Status != models.RunCancelled || run.SnapshotID != nil || run.Attempt != 1 {
			t.Fatalf("cancelled mid-query: %s attempt %d snapshot %v %q\n%s", run.Status, run.Attempt, run.SnapshotID, run.Error, run.Log)
		}
		if _, err := c.store.CurrentSnapshot(c.ctx, c.product.ID, "orders"); !models.IsNotFound(err) {
			t.Errorf("a cancelled run published: %v", err)
		}
		spec.SQL = "SELECT order_id FROM raw_orders"
		if c.pipeline, err = c.store.SavePipeline(c.ctx, c.owner, c.product, spec); err != nil {
			t.Fatal(err)
		}
		if run := c.runNow(t, r, models.RunRequest{}); run.Status != models.RunSucceeded {
			t.Fatalf("the run after the cancel: %s %q", run.Status, run.Error)
		}
	})
}

// TestKilledTickDoesNotBlockRecovery: a server killed while its schedule
// tick ran leaves that tick "running" in River's table, and ticks are
// unique while one runs. The next server must still take back the killed
// server's run within its first minute, not after River's rescuer gives up
// on the tick at its default horizon.
func TestKilledTickDoesNotBlockRecovery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		c := newLakeCompany(t, db, "order_id,amount\nA1,10\n")
		first, err := Start(c.ctx, c.store, Config{BaseURL: baseURL, fast: true, Lake: c.lake, Sandbox: c.sandbox})
		if err != nil {
			t.Fatal(err)
		}
		events, cancel := first.client.Subscribe(river.EventKindJobCompleted)
		for ev := range events {
			if ev.Job.Kind == (ScheduleArgs{}).Kind() {
				break
			}
		}
		cancel()
		if err := first.Stop(c.ctx); err != nil {
			t.Fatal(err)
		}

		// What the kill left: the run its worker was running, silent for a
		// minute, and the tick that was running three minutes ago.
		run, err := c.store.EnqueueRun(c.ctx, c.owner, c.pipeline, models.RunRequest{Trigger: models.TriggerManual})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, err := c.store.StartRun(c.ctx, run.ID); err != nil || !ok {
			t.Fatalf("start run: %v %v", ok, err)
		}
		c.clock.Add(time.Minute)
		ago := "datetime('now', 'subsec', '-3 minutes')"
		if models.Dialect(db) == "postgres" {
			ago = "now() - interval '3 minutes'"
		}
		res := db.Exec("UPDATE river_job SET state = 'running', finalized_at = NULL, attempted_at = "+ago+
			" WHERE id = (SELECT max(id) FROM river_job WHERE kind = ?)", (ScheduleArgs{}).Kind())
		if res.Error != nil || res.RowsAffected != 1 {
			t.Fatalf("make the tick look killed: %v (%d rows)", res.Error, res.RowsAffected)
		}

		c.startWithLake(t)
		for started := time.Now(); ; time.Sleep(200 * time.Millisecond) {
			got, err := c.store.RunByID(c.ctx, run.ID)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(got.Log, "The worker running this attempt stopped") {
				break
			}
			if time.Since(started) > time.Minute {
				t.Fatalf("the killed run is still %s after a minute: the dead tick blocks the schedule\n%s", got.Status, got.Log)
			}
		}
	})
}
