// Package jobs will hold Plaza's River workers and periodic jobs: pipeline
// runs, grant expiry, freshness checks and the lake janitor. It may import
// models and lake. Nothing runs in the background yet: the first workers
// arrive with access grants (issue 5) and pipelines (issue 6).
package jobs
