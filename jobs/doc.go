// Package jobs runs Plaza's background work on River: the access sweep
// (grant expiry, reminders, reviews) every minute, and the mail sender,
// woken when a change queues email and every minute as a backstop for
// retries; pipeline runs and the scheduler (cron, stale-run recovery, lake
// cleanup); the freshness check against each product's SLA and the dashboards'
// rollup (day tables, quality scores) every minute.
// River keeps its tables beside Plaza's, in the SQLite file or the
// Postgres database of the store. It may import models and lake; cmd and
// handlers may import it.
package jobs
