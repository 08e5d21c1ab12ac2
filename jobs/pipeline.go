package jobs

// Pipeline runs, the scheduler tick and the lake's janitor.
//
// A run is a row in models (queued -> running -> succeeded | failed |
// cancelled) and a River job that carries its id. The worker resolves the
// inputs (landing files; upstream snapshots the product's team may read
// now), has the sandbox write the SQL's result as Parquet into staging,
// checks its schema and quality rules there, then renames the folder into
// place and makes it current in one transaction. A mistake in the SQL, a
// failing blocking check or a schema drift fails the run at once; a
// crashed sandbox is retried by River with backoff.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"plaza/lake"
	"plaza/models"
)

// PipelineRunArgs runs one queued run.
type PipelineRunArgs struct {
	RunID uint `json:"run_id"`
}

// Kind names the job in River's tables.
func (PipelineRunArgs) Kind() string { return "pipeline_run" }

// InsertOpts: three attempts for transient failures (a crashed sandbox);
// the worker cancels the job outright for anything retrying cannot fix.
func (PipelineRunArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: maxAttempts, Queue: queuePipelines}
}

const queuePipelines = "pipelines"

// A running worker beats every heartbeatEvery; a run silent for staleAfter
// lost its worker (the process was killed) and is taken back.
const (
	heartbeatEvery = 5 * time.Second
	cancelPoll     = time.Second // how soon a cancel stops a running query
	staleAfter     = 30 * time.Second
	maxAttempts    = 3
)

type pipelineWorker struct {
	river.WorkerDefaults[PipelineRunArgs]
	store   *models.Store
	lake    *lake.Lake
	sandbox *lake.Sandbox
	lineage *LineageEmitter // nil: no OpenLineage events
	log     *slog.Logger
	enqueue func(ctx context.Context, runID uint) error
}

// Timeout: the sandbox enforces each pipeline's own limit; this only
// bounds a worker that hangs outside it.
func (w *pipelineWorker) Timeout(*river.Job[PipelineRunArgs]) time.Duration {
	return models.MaxPipelineTimeout*time.Second + time.Hour
}

// NextRetry backs off 10 s, 40 s, 90 s: a crash is usually memory pressure
// that passes.
func (w *pipelineWorker) NextRetry(job *river.Job[PipelineRunArgs]) time.Time {
	return time.Now().Add(time.Duration(job.Attempt*job.Attempt) * 10 * time.Second)
}

func (w *pipelineWorker) Work(ctx context.Context, job *river.Job[PipelineRunArgs]) error {
	run, err := w.store.RunByID(ctx, job.Args.RunID)
	if models.IsNotFound(err) {
		return river.JobCancel(err)
	}
	if err != nil {
		return err
	}
	if !run.Active() {
		return nil // cancelled before it started, or finished by an earlier attempt
	}
	attempt, ok, err := w.store.StartRun(ctx, run.ID)
	if err != nil || !ok {
		return err
	}
	// The run's work stops when someone cancels it, mid-query too: the
	// watcher cancels workCtx, and the sandbox kills its child.
	workCtx, stopWork := context.WithCancelCause(ctx)
	defer stopWork(nil)
	beat, stopBeat := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBeat()
	go w.watch(beat, run.ID, func() { stopWork(errCancelled) })
	pl, err := w.store.PipelineByID(ctx, run.PipelineID)
	if err != nil {
		return err
	}
	lineage := w.lineage.forRun(pl, run)
	logf := func(format string, args ...any) {
		if err := w.store.AppendRunLog(context.WithoutCancel(ctx), run.ID, fmt.Sprintf(format, args...)); err != nil {
			w.log.Warn("run log", "run", run.ID, "err", err)
		}
	}
	logf("Run %d of %s/%s port %s, attempt %d of %d (%s).", run.ID, pl.Product.Domain.Slug, pl.Product.Slug, pl.Port,
		attempt, maxAttempts, run.Trigger)
	staging, err := w.lake.StagingDir(fmt.Sprintf("run-%d", run.ID))
	if err != nil {
		return err
	}
	// An earlier attempt killed mid-way may have left files here.
	if err := os.RemoveAll(staging); err != nil {
		return err
	}
	if staging, err = w.lake.StagingDir(fmt.Sprintf("run-%d", run.ID)); err != nil {
		return err
	}
	defer os.RemoveAll(staging)

	out, err := w.execute(workCtx, pl, run, staging, logf, lineage)
	if errors.Is(context.Cause(workCtx), errCancelled) && ctx.Err() == nil {
		err = errCancelled
	}
	var crash *lake.CrashError
	if errors.As(err, &crash) && job.Attempt < job.MaxAttempts && attempt < maxAttempts {
		logf("The sandbox stopped: %s. Retrying.", crash.Error())
		return err
	}
	if err != nil {
		out = models.RunOutcome{Status: models.RunFailed, Error: err.Error(), Checks: out.Checks}
		if errors.Is(err, errCancelled) {
			out.Status = models.RunCancelled
		}
		logf("%s", err.Error())
	}
	published := ""
	if out.Status == models.RunSucceeded {
		name := lake.SnapshotName(time.Now(), run.ID)
		dir, perr := w.lake.Publish(staging, pl.Product.Domain.Slug, pl.Product.Slug, pl.Port, name)
		if perr != nil {
			out = models.RunOutcome{Status: models.RunFailed, Error: perr.Error(), Checks: out.Checks}
		} else {
			out.Snapshot.Name, published = name, dir
		}
	}
	expired, err := w.store.FinishRun(context.WithoutCancel(ctx), run, out)
	if err != nil {
		if published != "" {
			_ = w.lake.RemoveSnapshot(pl.Product.Domain.Slug, pl.Product.Slug, pl.Port, out.Snapshot.Name)
		}
		return err
	}
	lineage.finish(out) // COMPLETE, FAIL or ABORT; a failure to emit is only logged
	for _, s := range expired {
		if err := w.lake.RemoveSnapshot(pl.Product.Domain.Slug, pl.Product.Slug, s.Port, s.Name); err != nil {
			w.log.Warn("remove expired snapshot", "snapshot", s.Name, "err", err)
		}
	}
	switch out.Status {
	case models.RunSucceeded:
		logf("Published snapshot %s: %d rows, %d bytes.", out.Snapshot.Name, out.Rows, out.Bytes)
		w.triggerDownstream(ctx, pl, logf)
	case models.RunCancelled:
		logf("Cancelled.")
	default:
		logf("Failed. The previous snapshot stays current.")
	}
	w.log.Info("job", "kind", job.Kind, "run", run.ID, "status", out.Status, "rows", out.Rows)
	if out.Status == models.RunFailed {
		return river.JobCancel(errors.New(out.Error)) // recorded on the run; retrying cannot fix it
	}
	return nil
}

var errCancelled = errors.New("Cancelled on request.")

// execute builds the output in staging and checks it.
func (w *pipelineWorker) execute(ctx context.Context, pl *models.Pipeline, run *models.Run, staging string, logf func(string, ...any), lineage *lineageRun) (models.RunOutcome, error) {
	var out models.RunOutcome
	inputs, err := w.inputs(ctx, pl, logf, lineage)
	if err != nil {
		return out, err
	}
	lineage.start()
	if err := w.cancelled(ctx, run.ID); err != nil {
		return out, err
	}
	file := filepath.Join(staging, "data.parquet")
	lim := lake.Limits{Memory: fmt.Sprintf("%dMB", pl.MemoryMB), Threads: 2, Timeout: time.Duration(pl.TimeoutSeconds) * time.Second}
	logf("Running the SQL in the sandbox (memory %s, timeout %s).", lim.Memory, lim.Timeout)
	res, err := w.sandbox.Materialize(ctx, inputs, pl.SQL, file, lim)
	if err != nil {
		var sqlErr *lake.SQLError
		if errors.As(err, &sqlErr) {
			return out, fmt.Errorf("The SQL failed: %s", sqlErr.Message)
		}
		return out, err
	}
	out.Rows, out.Bytes = res.RowCount, res.Bytes
	logf("Wrote %d rows (%d bytes) in %s.", res.RowCount, res.Bytes, res.Elapsed.Round(time.Millisecond))

	cols := make([]models.SnapshotColumn, len(res.Columns))
	for i, c := range res.Columns {
		cols[i] = models.SnapshotColumn{Name: c.Name, Type: c.Type}
	}
	schema, _ := json.Marshal(cols)
	out.Snapshot = &models.Snapshot{Rows: res.RowCount, Bytes: res.Bytes, Schema: string(schema)}
	var port models.OutputPort
	for _, op := range pl.Product.OutputPorts {
		if op.Slug == pl.Port {
			port = op
		}
	}
	if drift := models.SchemaDrift(port.Columns, cols); len(drift) > 0 {
		if !run.AcceptSchema {
			return out, fmt.Errorf("The output does not match the port's schema: %s. Fix the SQL, or run again accepting the new schema (this bumps the product's version).",
				strings.Join(drift, "; "))
		}
		logf("Schema drift accepted: %s.", strings.Join(drift, "; "))
		for _, c := range cols {
			out.Schema = append(out.Schema, models.ColumnInput{Name: c.Name, Type: models.LogicalType(c.Type)})
		}
	}

	view := models.CheckView(pl.Port)
	checkInput := []lake.Input{{Name: view, Paths: []string{file}, Format: "parquet"}}
	var blocking []string
	for _, rule := range pl.Product.Quality {
		if rule.Port != "" && rule.Port != pl.Port {
			continue
		}
		if err := w.cancelled(ctx, run.ID); err != nil {
			return out, err
		}
		c := w.check(ctx, rule, view, checkInput)
		out.Checks = append(out.Checks, c)
		status := "passed"
		if !c.Passed {
			status = fmt.Sprintf("FAILED (%s)", plural(int(c.FailingRows), "failing row"))
			if c.Message != "" {
				status = "FAILED: " + c.Message
			}
			if c.Blocking {
				blocking = append(blocking, c.Name)
			}
		}
		kind := "warning"
		if c.Blocking {
			kind = "blocking"
		}
		logf("Check %q (%s, %s): %s.", c.Name, rule.Kind, kind, status)
	}
	if len(blocking) > 0 {
		return out, fmt.Errorf("Blocking checks failed: %s. Nothing was published.", strings.Join(blocking, "; "))
	}
	out.Status = models.RunSucceeded
	return out, nil
}

// check runs one quality rule over the staged output.
func (w *pipelineWorker) check(ctx context.Context, rule models.QualityRule, view string, in []lake.Input) models.CheckResult {
	c := models.CheckResult{Name: models.CheckName(rule), Kind: rule.Kind, Column: rule.Column, Blocking: rule.Blocking}
	failing, err := models.FailingRowsSQL(rule, view)
	if err != nil {
		c.Message = err.Error()
		return c
	}
	res, err := w.sandbox.Query(ctx, in, models.CheckSQL(failing), lake.Limits{MaxRows: 10, Timeout: 5 * time.Minute})
	if err != nil {
		var sqlErr *lake.SQLError
		if errors.As(err, &sqlErr) {
			c.Message = "The check's SQL failed: " + sqlErr.Message
		} else {
			c.Message = err.Error()
		}
		return c
	}
	if len(res.Rows) == 0 {
		c.Passed = true
		return c
	}
	c.FailingRows = toInt64(res.Rows[0][0])
	sample := make([]map[string]any, 0, len(res.Rows))
	for _, row := range res.Rows {
		m := map[string]any{}
		for i := 1; i < len(row) && i < len(res.Columns); i++ {
			m[res.Columns[i].Name] = row[i]
		}
		sample = append(sample, m)
	}
	b, _ := json.Marshal(sample)
	c.Sample = string(b)
	return c
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case float64:
		return int64(x)
	case int64:
		return x
	case int:
		return int64(x)
	case json.Number:
		n, _ := x.Int64()
		return n
	}
	return 0
}

// inputs resolves the pipeline's inputs to files the sandbox may read,
// checking each upstream against the team's grants at this moment.
func (w *pipelineWorker) inputs(ctx context.Context, pl *models.Pipeline, logf func(string, ...any), lineage *lineageRun) ([]lake.Input, error) {
	var out []lake.Input
	for _, x := range pl.Inputs {
		if x.Landing != "" {
			files, err := w.lake.ResolveLanding(pl.Product.Domain.Slug, x.Landing)
			if err != nil {
				return nil, fmt.Errorf("Input %s: %v", x.Name, err)
			}
			logf("Input %s: %s under %s.", x.Name, plural(len(files), "landing file"), x.Landing)
			lineage.landingInput(w.lake, pl.Product.Domain.Slug, x)
			out = append(out, lake.Input{Name: x.Name, Paths: files, Format: x.Format})
			continue
		}
		up := x.UpstreamProduct
		if up == nil {
			return nil, fmt.Errorf("Input %s: its upstream product is gone", x.Name)
		}
		ok, err := w.store.TeamCanRead(ctx, pl.Product.TeamID, up, x.UpstreamPort)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("Input %s: no one in %s holds an active grant on %s/%s (port %s); request access on its page",
				x.Name, pl.Product.Team.Name, up.Domain.Slug, up.Slug, x.UpstreamPort)
		}
		snap, err := w.store.CurrentSnapshot(ctx, up.ID, x.UpstreamPort)
		if err != nil {
			return nil, fmt.Errorf("Input %s: %s/%s has not published port %s yet", x.Name, up.Domain.Slug, up.Slug, x.UpstreamPort)
		}
		files, err := w.lake.SnapshotFiles(up.Domain.Slug, up.Slug, x.UpstreamPort, snap.Name)
		if err != nil {
			return nil, fmt.Errorf("Input %s: %v", x.Name, err)
		}
		logf("Input %s: %s/%s port %s, snapshot %s (%d rows).", x.Name, up.Domain.Slug, up.Slug, x.UpstreamPort, snap.Name, snap.Rows)
		lineage.upstreamInput(up, x.UpstreamPort, snap)
		out = append(out, lake.Input{Name: x.Name, Paths: files, Format: "parquet"})
	}
	return out, nil
}

// watch beats for the run every heartbeatEvery and looks every
// cancelPoll for a cancel request, calling cancel once on one; it returns
// when ctx ends.
func (w *pipelineWorker) watch(ctx context.Context, runID uint, cancel func()) {
	beat := time.NewTicker(heartbeatEvery)
	defer beat.Stop()
	poll := time.NewTicker(cancelPoll)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-beat.C:
			_ = w.store.Heartbeat(ctx, runID)
		case <-poll.C:
			if ok, _ := w.store.CancelRequested(ctx, runID); ok {
				cancel()
				poll.Stop()
			}
		}
	}
}

func (w *pipelineWorker) cancelled(ctx context.Context, runID uint) error {
	if ok, err := w.store.CancelRequested(ctx, runID); err != nil || ok {
		if err != nil {
			return err
		}
		return errCancelled
	}
	return nil
}

// triggerDownstream enqueues the pipelines that run when this port publishes.
func (w *pipelineWorker) triggerDownstream(ctx context.Context, pl *models.Pipeline, logf func(string, ...any)) {
	down, err := w.store.Downstream(ctx, pl.ProductID, pl.Port)
	if err != nil {
		w.log.Warn("downstream pipelines", "err", err)
		return
	}
	for i := range down {
		d := &down[i]
		if missing := w.unpublishedInputs(ctx, d); missing != "" {
			logf("%s/%s port %s reads this port but waits for %s to publish.", d.Product.Domain.Slug, d.Product.Slug, d.Port, missing)
			continue
		}
		run, err := w.store.EnqueueRun(ctx, nil, d, models.RunRequest{Trigger: models.TriggerUpstream})
		var active *models.ErrRunActive
		switch {
		case errors.As(err, &active):
			continue // it will read this snapshot, or a newer one, when it runs
		case err != nil:
			w.log.Warn("enqueue downstream", "pipeline", d.ID, "err", err)
			continue
		}
		if err := w.enqueue(ctx, run.ID); err != nil {
			w.log.Warn("enqueue downstream job", "run", run.ID, "err", err)
			continue
		}
		logf("Started run %d of %s/%s port %s, which reads this port.", run.ID, d.Product.Domain.Slug, d.Product.Slug, d.Port)
	}
}

// ScheduleArgs is the minute tick that enqueues due cron pipelines and
// recovers runs whose worker died.
type ScheduleArgs struct{}

// Kind names the job in River's tables.
func (ScheduleArgs) Kind() string { return "pipeline_schedule" }

// InsertOpts: one at a time, one attempt (the next tick retries).
func (ScheduleArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: oneAtATime}
}

type scheduleWorker struct {
	river.WorkerDefaults[ScheduleArgs]
	store   *models.Store
	lake    *lake.Lake
	log     *slog.Logger
	enqueue func(ctx context.Context, runID uint) error
}

// Timeout: a tick takes seconds (the lake's janitor walks the folders);
// one killed with its server blocks the next until then.
func (w *scheduleWorker) Timeout(*river.Job[ScheduleArgs]) time.Duration { return 2 * time.Minute }

func (w *scheduleWorker) Work(ctx context.Context, job *river.Job[ScheduleArgs]) error {
	started, err := w.recover(ctx)
	if err != nil {
		return err
	}
	due, err := w.store.DuePipelines(ctx)
	if err != nil {
		return err
	}
	for i := range due {
		pl := &due[i]
		at := *pl.NextRunAt
		// Only the instance that moves the schedule on enqueues the run.
		if ok, err := w.store.AdvanceSchedule(ctx, pl, at); err != nil || !ok {
			continue
		}
		run, err := w.store.EnqueueRun(ctx, nil, pl, models.RunRequest{Trigger: models.TriggerSchedule, DueAt: &at})
		if err != nil {
			continue // one is already queued or running, or this due time was taken
		}
		if err := w.enqueue(ctx, run.ID); err != nil {
			return err
		}
		started++
	}
	keep, err := w.store.SnapshotNames(ctx)
	if err != nil {
		return err
	}
	active, err := w.store.ActiveRunIDs(ctx)
	if err != nil {
		return err
	}
	rep, err := w.lake.Clean(keep, func(name string) bool {
		var id uint
		_, err := fmt.Sscanf(name, "run-%d", &id)
		return err == nil && active[id]
	}, 10*time.Minute)
	if err != nil {
		return err
	}
	w.log.Log(ctx, quietUnless(started > 0 || rep != lake.CleanReport{}), "job", "kind", job.Kind,
		"started", started, "staging_removed", rep.Staging, "snapshots_removed", rep.Snapshots)
	return nil
}

// recover requeues, or fails, runs whose worker stopped beating.
func (w *scheduleWorker) recover(ctx context.Context) (int, error) {
	stale, err := w.store.StaleRuns(ctx, w.store.Now().Add(-staleAfter))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range stale {
		requeued, err := w.store.RecoverRun(ctx, r.ID, maxAttempts)
		if err != nil {
			return n, err
		}
		if requeued {
			if err := w.enqueue(ctx, r.ID); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// unpublishedInputs names an upstream input of pl that has not published
// yet ("" when all have): running before it would only fail.
func (w *pipelineWorker) unpublishedInputs(ctx context.Context, pl *models.Pipeline) string {
	for _, x := range pl.Inputs {
		if x.UpstreamProduct == nil {
			continue
		}
		if _, err := w.store.CurrentSnapshot(ctx, x.UpstreamProduct.ID, x.UpstreamPort); err != nil {
			return x.UpstreamProduct.Domain.Slug + "/" + x.UpstreamProduct.Slug + " port " + x.UpstreamPort
		}
	}
	return ""
}
