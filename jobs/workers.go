package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"plaza/models"
)

// oneAtATime makes a kind unique while a job of it waits or runs; a
// finished one does not block the next.
var oneAtATime = river.UniqueOpts{ByState: []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateScheduled,
}}

// SweepArgs is the minute tick of models.Store.SweepAccess: grants expire,
// holders are reminded, owners asked for reviews.
type SweepArgs struct{}

// Kind names the job in River's tables.
func (SweepArgs) Kind() string { return "access_sweep" }

// InsertOpts: one attempt, since the next tick is the retry, and one at a
// time, so ticks never pile up behind a slow or failing sweep.
func (SweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: oneAtATime}
}

type sweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	store *models.Store
	log   *slog.Logger
}

func (w *sweepWorker) Timeout(*river.Job[SweepArgs]) time.Duration { return 5 * time.Minute }

func (w *sweepWorker) Work(ctx context.Context, job *river.Job[SweepArgs]) error {
	rep, err := w.store.SweepAccess(ctx)
	if err != nil {
		return err
	}
	w.log.Log(ctx, quietUnless(rep != models.SweepReport{}), "job", "kind", job.Kind, "id", job.ID,
		"expired", rep.Expired, "reminded", rep.Reminded, "reviews_requested", rep.ReviewsRequested)
	return nil
}

// FreshnessArgs is the minute tick of models.Store.CheckFreshness: ports
// older than their product's freshness SLA open incidents (owners are
// told), ports fresh again resolve theirs.
type FreshnessArgs struct{}

// Kind names the job in River's tables.
func (FreshnessArgs) Kind() string { return "freshness_check" }

// InsertOpts: one attempt and one at a time, as for the access sweep.
func (FreshnessArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: oneAtATime}
}

type freshnessWorker struct {
	river.WorkerDefaults[FreshnessArgs]
	store *models.Store
	log   *slog.Logger
}

func (w *freshnessWorker) Timeout(*river.Job[FreshnessArgs]) time.Duration { return 5 * time.Minute }

func (w *freshnessWorker) Work(ctx context.Context, job *river.Job[FreshnessArgs]) error {
	opened, resolved, err := w.store.CheckFreshness(ctx, w.store.Now())
	if err != nil {
		return err
	}
	w.log.Log(ctx, quietUnless(opened+resolved > 0), "job", "kind", job.Kind, "id", job.ID,
		"opened", opened, "resolved", resolved)
	return nil
}

// StatsArgs is the minute tick of models.Store.RollupStats: the day
// tables the dashboards read, and every product's quality score.
type StatsArgs struct{}

// Kind names the job in River's tables.
func (StatsArgs) Kind() string { return "stats_rollup" }

// InsertOpts: one attempt and one at a time, as for the access sweep.
func (StatsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: oneAtATime}
}

type statsWorker struct {
	river.WorkerDefaults[StatsArgs]
	store *models.Store
	log   *slog.Logger
}

// Timeout leaves room for the first rollup, which reads back 400 days
// (45 s for 100,000 products, docs/PERFORMANCE.md).
func (w *statsWorker) Timeout(*river.Job[StatsArgs]) time.Duration { return 10 * time.Minute }

func (w *statsWorker) Work(ctx context.Context, job *river.Job[StatsArgs]) error {
	start := time.Now()
	rep, err := w.store.RollupStats(ctx)
	if err != nil {
		return err
	}
	w.log.Log(ctx, quietUnless(rep.Days > 2 || rep.Health > 1000), "job", "kind", job.Kind, "id", job.ID,
		"days", rep.Days, "product_days", rep.Products, "health", rep.Health, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// MailArgs is a run of models.Store.DeliverMail: it sends every email of
// the outbox that is due. Inserted when a change queues email
// (Runner.WakeMail) and every minute, which sends the retries.
type MailArgs struct{}

// Kind names the job in River's tables.
func (MailArgs) Kind() string { return "mail_deliver" }

// InsertOpts: one attempt (the outbox keeps each email's own retries) and
// one at a time (two runs would only take turns claiming emails).
func (MailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: oneAtATime}
}

type mailWorker struct {
	river.WorkerDefaults[MailArgs]
	store   *models.Store
	smtp    *SMTP
	baseURL string
	log     *slog.Logger
}

func (w *mailWorker) Timeout(*river.Job[MailArgs]) time.Duration { return 5 * time.Minute }

func (w *mailWorker) Work(ctx context.Context, job *river.Job[MailArgs]) error {
	sess, err := w.smtp.session()
	if err != nil {
		return err
	}
	defer sess.close()
	failed, lastErr := 0, error(nil)
	sent, err := w.store.DeliverMail(ctx, w.baseURL, func(ctx context.Context, m models.Mail) error {
		sendErr := sess.send(ctx, m)
		if sendErr != nil {
			failed, lastErr = failed+1, sendErr
		}
		return sendErr
	})
	if failed > 0 {
		// The outbox keeps each error and retries; the log says the server is unwell.
		w.log.Warn("job", "kind", job.Kind, "id", job.ID, "sent", sent, "failed", failed, "server", w.smtp.String(), "last_err", lastErr)
	} else {
		w.log.Log(ctx, quietUnless(sent > 0), "job", "kind", job.Kind, "id", job.ID, "sent", sent)
	}
	return err
}

// quietUnless is the level of a job's log line: info when it did something,
// debug (not shown by default) for the ticks that found nothing to do.
func quietUnless(did bool) slog.Level {
	if did {
		return slog.LevelInfo
	}
	return slog.LevelDebug
}
