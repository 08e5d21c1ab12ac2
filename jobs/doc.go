// Package jobs runs Plaza's background work on River: the access sweep
// (grant expiry, reminders, reviews) every minute, and the mail sender,
// woken when a change queues email and every minute as a backstop for
// retries. Pipeline runs, freshness checks and the lake janitor arrive here
// later. River keeps its tables beside Plaza's, in the SQLite file or the
// Postgres database of the store. It may import models and lake; cmd and
// handlers may import it.
package jobs
