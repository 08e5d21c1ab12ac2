package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"plaza/lake"
	"plaza/models"
)

// Config is what the runner needs besides the store.
type Config struct {
	BaseURL string       // Plaza's public URL: links in emails are made absolute with it
	SMTP    *SMTP        // where email goes; nil: none is queued or sent
	Logger  *slog.Logger // job runs that changed something, and River's warnings; nil: silent
	Lake    *lake.Lake   // with Sandbox: pipelines run, on schedule and on demand
	Sandbox *lake.Sandbox
	Lineage *LineageEmitter // OpenLineage events of pipeline runs; nil: none

	fast bool // tests: no start-up jitter, poll for jobs ten times a second
}

// Runner is the River client working Plaza's jobs in this process.
type Runner struct {
	client queue
	store  *models.Store
	log    *slog.Logger
	pool   *pgxpool.Pool // River's own connections on Postgres; nil on SQLite

	wake   chan struct{} // WakeMail's signal to insertMail, one pending at most
	cancel context.CancelFunc
	done   chan struct{}
}

// queue is the part of River's client the runner uses. The client's type
// depends on the driver's transaction type (*sql.Tx for SQLite, pgx.Tx
// for Postgres); both satisfy this.
type queue interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
}

// Start runs the jobs on store's database until Stop. With cfg.SMTP set it
// also turns email on: store.Mail is set, and store.OnMail wakes the
// sender. River's tables must exist (Migrate).
func Start(ctx context.Context, store *models.Store, cfg Config) (*Runner, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Runner{store: store, log: log, wake: make(chan struct{}, 1), done: make(chan struct{})}

	workers := river.NewWorkers()
	river.AddWorker(workers, &sweepWorker{store: store, log: log})
	river.AddWorker(workers, &freshnessWorker{store: store, log: log})
	river.AddWorker(workers, &statsWorker{store: store, log: log})
	every := river.PeriodicInterval(time.Minute)
	periodic := []*river.PeriodicJob{
		river.NewPeriodicJob(every, func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, nil },
			&river.PeriodicJobOpts{ID: SweepArgs{}.Kind(), RunOnStart: true}),
		river.NewPeriodicJob(every, func() (river.JobArgs, *river.InsertOpts) { return FreshnessArgs{}, nil },
			&river.PeriodicJobOpts{ID: FreshnessArgs{}.Kind(), RunOnStart: true}),
		river.NewPeriodicJob(every, func() (river.JobArgs, *river.InsertOpts) { return StatsArgs{}, nil },
			&river.PeriodicJobOpts{ID: StatsArgs{}.Kind(), RunOnStart: true}),
	}
	if cfg.SMTP != nil {
		river.AddWorker(workers, &mailWorker{store: store, smtp: cfg.SMTP, baseURL: cfg.BaseURL, log: log})
		periodic = append(periodic, river.NewPeriodicJob(every, func() (river.JobArgs, *river.InsertOpts) { return MailArgs{}, nil },
			&river.PeriodicJobOpts{ID: MailArgs{}.Kind(), RunOnStart: true}))
	}
	queues := map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}}
	if cfg.Lake != nil && cfg.Sandbox != nil {
		// Two runs at a time: each has its own sandbox and memory limit.
		queues[queuePipelines] = river.QueueConfig{MaxWorkers: 2}
		river.AddWorker(workers, &pipelineWorker{store: store, lake: cfg.Lake, sandbox: cfg.Sandbox, lineage: cfg.Lineage, log: log, enqueue: r.Enqueue})
		river.AddWorker(workers, &scheduleWorker{store: store, lake: cfg.Lake, log: log, enqueue: r.Enqueue})
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(15*time.Second),
			func() (river.JobArgs, *river.InsertOpts) { return ScheduleArgs{}, nil },
			&river.PeriodicJobOpts{ID: ScheduleArgs{}.Kind(), RunOnStart: true}))
	}
	rc := &river.Config{
		Logger:       slog.New(minLevel{log.Handler(), slog.LevelWarn}),
		Queues:       queues,
		Workers:      workers,
		PeriodicJobs: periodic,
		// A job whose process died stays "running", and blocks the next
		// of its kind (ticks are unique while running), until rescued: a
		// minute after it started, or its worker's Timeout when longer
		// (River's rescuer honours those). A killed server's schedule
		// tick must not stop the next from taking back its runs for long.
		RescueStuckJobsAfter: time.Minute,
		// serve's shutdown waits this long for running jobs, then cancels them.
		SoftStopTimeout: 10 * time.Second,
	}

	if cfg.fast {
		rc.TestOnly, rc.FetchPollInterval = true, 100*time.Millisecond
	}

	var err error
	if models.Dialect(store.DB) == "postgres" {
		var url string
		if url, err = postgresURL(store.DB); err != nil {
			return nil, err
		}
		if r.pool, err = pgxpool.New(ctx, url); err != nil {
			return nil, fmt.Errorf("jobs: connect to postgres: %w", err)
		}
		r.client, err = river.NewClient(riverpgxv5.New(r.pool), rc)
	} else {
		// SQLite has no LISTEN: River's listener would poll a table every
		// 50 ms. Polling for jobs each second is enough for one process.
		rc.PollOnly = true
		// Polling also means a job this process inserts waits for the next
		// poll: River wakes its own producers on insert only for drivers
		// without a listener, and riversqlite claims one. A run someone
		// started should start at once, so the pipelines queue polls five
		// times a second (pickup p50 0.6 s before, docs/PERFORMANCE.md).
		if q, ok := rc.Queues[queuePipelines]; ok && !cfg.fast {
			q.FetchPollInterval = 200 * time.Millisecond
			rc.Queues[queuePipelines] = q
		}
		sqlDB, dbErr := store.DB.DB()
		if dbErr != nil {
			return nil, dbErr
		}
		r.client, err = river.NewClient(riversqlite.New(sqlDB), rc)
	}
	if err == nil {
		// The runner stops when told to, not when the caller's context ends.
		err = r.client.Start(context.WithoutCancel(ctx))
	}
	if err != nil {
		if r.pool != nil {
			r.pool.Close()
		}
		return nil, fmt.Errorf("jobs: start river: %w", err)
	}

	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	r.cancel = cancel
	go r.insertMailLoop(loopCtx)
	if cfg.SMTP != nil {
		store.OnMail = r.WakeMail
		store.Mail = true
	}
	return r, nil
}

// Stop stops taking jobs, waits for running ones (cancelling them after
// River's soft-stop timeout or when ctx ends) and releases River's
// connections. The store's database stays open.
func (r *Runner) Stop(ctx context.Context) error {
	r.cancel()
	<-r.done
	err := r.client.Stop(ctx)
	if r.pool != nil {
		r.pool.Close()
	}
	if err != nil {
		return fmt.Errorf("jobs: stop: %w", err)
	}
	return nil
}

// Enqueue starts the River job of a queued run (models.Store.EnqueueRun
// recorded it).
func (r *Runner) Enqueue(ctx context.Context, runID uint) error {
	if _, err := r.client.Insert(ctx, PipelineRunArgs{RunID: runID}, nil); err != nil {
		return fmt.Errorf("jobs: enqueue run %d: %w", runID, err)
	}
	return nil
}

// WakeMail asks for a mail run soon; it never blocks. A burst of calls
// makes one run. It is the store's OnMail when email is on.
func (r *Runner) WakeMail() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *Runner) insertMailLoop(ctx context.Context) {
	defer close(r.done)
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
			r.insertMail(ctx)
		}
	}
}

// insertMail queues a mail run. Only one may wait or run at a time, so an
// insert can find one already there. One waiting will see the new email;
// one running may already have looked, so try again each second until a
// run is queued behind it (the minute backstop catches what this misses).
func (r *Runner) insertMail(ctx context.Context) {
	for range 60 {
		res, err := r.client.Insert(ctx, MailArgs{}, nil)
		if err != nil {
			if ctx.Err() == nil {
				r.log.Warn("queue a mail run", "err", err)
			}
			return
		}
		if !res.UniqueSkippedAsDuplicate || res.Job.State != rivertype.JobStateRunning {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// JobCount is how many jobs of one kind are in one state.
type JobCount struct {
	Kind  string
	State string
	Count int64
}

// Stats counts River's jobs by kind and state (finished jobs are kept a
// day, discarded ones a week), for the admin pages.
func (r *Runner) Stats(ctx context.Context) ([]JobCount, error) {
	var out []JobCount
	err := r.store.DB.WithContext(ctx).Raw(`SELECT kind, CAST(state AS TEXT) AS state, COUNT(*) AS count
		FROM river_job GROUP BY kind, state ORDER BY kind, state`).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("jobs: stats: %w", err)
	}
	return out, nil
}

// Migrate creates or updates River's tables beside Plaza's. It runs where
// models.Migrate does: `plaza migrate` and the start of every command.
func Migrate(ctx context.Context, db *gorm.DB) error {
	if models.Dialect(db) == "postgres" {
		url, err := postgresURL(db)
		if err != nil {
			return err
		}
		pool, err := pgxpool.New(ctx, url)
		if err != nil {
			return fmt.Errorf("jobs: connect to postgres: %w", err)
		}
		defer pool.Close()
		return migrate(ctx, riverpgxv5.New(pool))
	}
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return migrate(ctx, riversqlite.New(sqlDB))
}

func migrate[TTx any](ctx context.Context, driver riverdriver.Driver[TTx]) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	return nil
}

// postgresURL is the URL the store connected with, so River's pool reaches
// the same database and schema (search_path included).
func postgresURL(db *gorm.DB) (string, error) {
	if d, ok := db.Dialector.(*postgres.Dialector); ok && d.Config != nil && d.DSN != "" {
		return d.DSN, nil
	}
	return "", errors.New("jobs: the store's postgres connection has no URL")
}

// minLevel drops records below min: River reports its routine at info level.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(attrs), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}
