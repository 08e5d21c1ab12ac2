package models

// Pipelines build a product's output port from its inputs: landing files of
// its own domain and output ports of other products. A pipeline is SQL
// over named inputs; Plaza runs it in the lake's sandbox (jobs/), checks
// the result against the port's quality rules and schema, and publishes it
// as a snapshot. The store keeps the definitions, every run with its log
// and check results, and the snapshots; the lake keeps the files.
//
// A run's life: queued -> running -> succeeded | failed | cancelled. One
// pipeline has at most one run queued or running: EnqueueRun refuses a
// second (a unique index on runs' active_key backs it). Publishing is one
// transaction: the new snapshot becomes current and the run succeeds
// together, after the files are in place, so readers never see half a
// snapshot.

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Schedules of a pipeline.
const (
	ScheduleManual   = "manual"   // only when someone clicks Run now
	ScheduleCron     = "cron"     // at the times of a cron expression
	ScheduleUpstream = "upstream" // when an input product publishes
)

// Statuses of a run.
const (
	RunQueued    = "queued"
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	RunCancelled = "cancelled"
)

// Triggers of a run.
const (
	TriggerManual   = "manual"
	TriggerSchedule = "schedule"
	TriggerUpstream = "upstream"
)

// Pipeline builds one output port of a product.
type Pipeline struct {
	ID             uint       `gorm:"primaryKey"`
	ProductID      uint       `gorm:"not null;uniqueIndex:idx_pipeline_port"`
	Product        Product    `gorm:"constraint:OnDelete:CASCADE"`
	Port           string     `gorm:"size:60;not null;uniqueIndex:idx_pipeline_port"`
	SQL            string     `gorm:"type:text;not null"`
	Schedule       string     `gorm:"size:16;not null"`
	Cron           string     `gorm:"size:100"`
	TimeoutSeconds int        `gorm:"not null"`
	MemoryMB       int        `gorm:"not null"`
	Retention      int        `gorm:"not null"` // snapshots kept
	Paused         bool       `gorm:"not null"`
	NextRunAt      *time.Time `gorm:"index"`
	CreatedByID    *uint
	CreatedAt      time.Time
	UpdatedAt      time.Time

	Inputs []PipelineInput `gorm:"constraint:OnDelete:CASCADE"`
}

// PipelineInput is one named input of a pipeline's SQL: a landing glob of
// the product's own domain, or an upstream product's output port.
type PipelineInput struct {
	ID                uint     `gorm:"primaryKey"`
	PipelineID        uint     `gorm:"not null;index"`
	Position          int      `gorm:"not null"`
	Name              string   `gorm:"size:80;not null"` // the view the SQL reads
	Landing           string   `gorm:"size:255"`         // glob under landing/<domain>/
	Format            string   `gorm:"size:16"`          // csv, json, parquet; "" by extension
	UpstreamProductID *uint    `gorm:"index"`
	UpstreamProduct   *Product `gorm:"constraint:OnDelete:RESTRICT"`
	UpstreamPort      string   `gorm:"size:60"`
}

// Run is one execution of a pipeline.
type Run struct {
	ID              uint     `gorm:"primaryKey"`
	PipelineID      uint     `gorm:"not null;index"`
	Pipeline        Pipeline `gorm:"constraint:OnDelete:CASCADE"`
	ActiveKey       *uint    `gorm:"uniqueIndex"` // the pipeline's id while queued or running, else NULL: one active run per pipeline
	Status          string   `gorm:"size:16;not null;index"`
	Trigger         string   `gorm:"size:16;not null"`
	DueAt           *time.Time
	RequestedByID   *uint
	RequestedBy     *User     `gorm:"constraint:OnDelete:SET NULL"`
	AcceptSchema    bool      `gorm:"not null"` // publish even if the schema drifted, and adopt it
	CancelRequested bool      `gorm:"not null"`
	Attempt         int       `gorm:"not null"`
	QueuedAt        time.Time `gorm:"index"`
	StartedAt       *time.Time
	FinishedAt      *time.Time
	Rows            int64
	Bytes           int64
	Error           string `gorm:"type:text"`
	Log             string `gorm:"type:text"`
	SnapshotID      *uint
	ChecksPassed    int           `gorm:"not null"`
	ChecksFailed    int           `gorm:"not null"`
	Checks          []CheckResult `gorm:"constraint:OnDelete:CASCADE"`
}

// Duration is how long the run took, or has taken so far.
func (r *Run) Duration(now time.Time) time.Duration {
	if r.StartedAt == nil {
		return 0
	}
	end := now
	if r.FinishedAt != nil {
		end = *r.FinishedAt
	}
	return end.Sub(*r.StartedAt)
}

// Active reports whether the run is queued or running.
func (r *Run) Active() bool { return r.Status == RunQueued || r.Status == RunRunning }

// CheckResult is the outcome of one quality rule in one run.
type CheckResult struct {
	ID          uint   `gorm:"primaryKey"`
	RunID       uint   `gorm:"not null;index"`
	Position    int    `gorm:"not null"`
	Name        string `gorm:"size:200;not null"`
	Kind        string `gorm:"size:32;not null"`
	Column      string `gorm:"size:128"`
	Blocking    bool   `gorm:"not null"`
	Passed      bool   `gorm:"not null"`
	FailingRows int64
	Sample      string `gorm:"type:text"` // up to 10 failing rows as JSON
	Message     string `gorm:"size:2000"`
}

// Snapshot is one published version of an output port: Parquet files under
// products/<domain>/<product>/<port>/<name>/ in the lake.
type Snapshot struct {
	ID        uint   `gorm:"primaryKey"`
	ProductID uint   `gorm:"not null;index:idx_snapshot_port"`
	Port      string `gorm:"size:60;not null;index:idx_snapshot_port"`
	Name      string `gorm:"size:80;not null"` // the folder: time and run, like 20261127T153000Z-r42
	RunID     *uint
	Rows      int64
	Bytes     int64
	Schema    string     `gorm:"type:text"` // the columns as JSON: [{"name":..,"type":..}]
	Current   bool       `gorm:"not null"`
	CreatedAt time.Time  `gorm:"index"`
	DeletedAt *time.Time // files removed by retention; the row stays for history
}

// SnapshotColumn is one column of a snapshot's schema.
type SnapshotColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Columns decodes the snapshot's schema.
func (s *Snapshot) Columns() []SnapshotColumn {
	var out []SnapshotColumn
	_ = json.Unmarshal([]byte(s.Schema), &out)
	return out
}

// ViewName is how SQL names an input: lower case, letters, digits and _.
var viewNamePattern = regexp.MustCompile(`^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$`)

// UpstreamViewName is the default name of an upstream product's port in
// pipeline SQL: <domain>.<product>, with - as _, and _<port> when the
// product has several ports.
func UpstreamViewName(domain, product, port string, ports int) string {
	name := strings.ReplaceAll(domain, "-", "_") + "." + strings.ReplaceAll(product, "-", "_")
	if ports > 1 {
		name += "_" + strings.ReplaceAll(port, "-", "_")
	}
	return name
}

// PipelineInputSpec is an input as a person writes it.
type PipelineInputSpec struct {
	Name     string `json:"name"`
	Landing  string `json:"landing,omitempty"`  // glob under the domain's landing folder
	Upstream string `json:"upstream,omitempty"` // domain/product/port
	Format   string `json:"format,omitempty"`
}

// PipelineSpec is what an owner says about a pipeline.
type PipelineSpec struct {
	Port           string              `json:"port"`
	SQL            string              `json:"sql"`
	Inputs         []PipelineInputSpec `json:"inputs"`
	Schedule       string              `json:"schedule"`
	Cron           string              `json:"cron,omitempty"`
	TimeoutSeconds int                 `json:"timeout_seconds"`
	MemoryMB       int                 `json:"memory_mb"`
	Retention      int                 `json:"retention"`
	Paused         bool                `json:"paused"`
}

// Defaults of a pipeline.
const (
	DefaultPipelineTimeout = 600 // seconds
	MaxPipelineTimeout     = 6 * 3600
	DefaultPipelineMemory  = 1024
	DefaultRetention       = 10
)

func (in *PipelineSpec) normalize() {
	in.Port = strings.TrimSpace(in.Port)
	in.SQL = strings.TrimSpace(in.SQL)
	in.Schedule = strings.TrimSpace(in.Schedule)
	in.Cron = strings.Join(strings.Fields(in.Cron), " ")
	if in.Schedule == "" {
		in.Schedule = ScheduleManual
	}
	if in.TimeoutSeconds == 0 {
		in.TimeoutSeconds = DefaultPipelineTimeout
	}
	if in.MemoryMB == 0 {
		in.MemoryMB = DefaultPipelineMemory
	}
	if in.Retention == 0 {
		in.Retention = DefaultRetention
	}
	for i := range in.Inputs {
		x := &in.Inputs[i]
		x.Name = strings.ToLower(strings.TrimSpace(x.Name))
		x.Landing = strings.Trim(strings.TrimSpace(x.Landing), "/")
		x.Upstream = strings.Trim(strings.TrimSpace(x.Upstream), "/")
		x.Format = strings.ToLower(strings.TrimSpace(x.Format))
	}
	in.Inputs = slices.DeleteFunc(in.Inputs, func(x PipelineInputSpec) bool {
		return x.Name == "" && x.Landing == "" && x.Upstream == ""
	})
}

// validate checks the spec against the product; it resolves upstream
// products through tx.
func (in *PipelineSpec) validate(tx *gorm.DB, p *Product) (map[int]*Product, error) {
	v := &ValidationError{}
	if !slices.ContainsFunc(p.OutputPorts, func(op OutputPort) bool { return op.Slug == in.Port }) {
		v.Add("port", "Choose one of the product's output ports.")
	}
	if in.SQL == "" {
		v.Add("sql", "Write the SELECT that builds the port from the inputs.")
	} else if len(in.SQL) > 100_000 {
		v.Add("sql", "Keep the SQL under 100,000 characters.")
	}
	switch in.Schedule {
	case ScheduleManual, ScheduleUpstream:
	case ScheduleCron:
		if _, err := ParseCron(in.Cron); err != nil {
			v.Add("cron", err.Error())
		}
	default:
		v.Add("schedule", "Choose manual, cron or upstream.")
	}
	if in.TimeoutSeconds < 10 || in.TimeoutSeconds > MaxPipelineTimeout {
		v.Add("timeout_seconds", "The timeout must be between 10 seconds and 6 hours.")
	}
	if in.MemoryMB < 64 || in.MemoryMB > 64*1024 {
		v.Add("memory_mb", "The memory limit must be between 64 MB and 64 GB.")
	}
	if in.Retention < 1 || in.Retention > 1000 {
		v.Add("retention", "Keep between 1 and 1000 snapshots.")
	}
	if len(in.Inputs) == 0 {
		v.Add("inputs", "Add at least one input: a landing folder or another product's port.")
	}
	if len(in.Inputs) > 20 {
		v.Add("inputs", "A pipeline reads at most 20 inputs.")
	}
	upstreams := map[int]*Product{}
	seen := map[string]bool{}
	for i, x := range in.Inputs {
		field := fmt.Sprintf("inputs[%d]", i)
		switch {
		case !viewNamePattern.MatchString(x.Name):
			v.Add(field+".name", "Name the input in lower case letters, digits and _ (and one dot), like orders or sales.orders.")
		case seen[x.Name]:
			v.Add(field+".name", "Two inputs are named "+x.Name+".")
		}
		seen[x.Name] = true
		switch {
		case (x.Landing == "") == (x.Upstream == ""):
			v.Add(field, "Give either a landing folder or an upstream product port.")
		case x.Landing != "":
			if strings.Contains(x.Landing, "..") || strings.HasPrefix(x.Landing, "/") || strings.ContainsRune(x.Landing, 0) {
				v.Add(field+".landing", "Give a path inside the domain's landing folder, like erp/orders/*.csv.")
			}
		default:
			parts := strings.Split(x.Upstream, "/")
			if len(parts) != 3 {
				v.Add(field+".upstream", "Name the port as domain/product/port.")
				continue
			}
			var up Product
			err := tx.Preload("Domain").Preload("OutputPorts").Joins("JOIN domains ON domains.id = products.domain_id").
				Where("domains.slug = ? AND products.slug = ?", parts[0], parts[1]).First(&up).Error
			if err != nil {
				v.Add(field+".upstream", "No product "+parts[0]+"/"+parts[1]+".")
				continue
			}
			if up.ID == p.ID {
				v.Add(field+".upstream", "A pipeline cannot read its own product.")
				continue
			}
			if !slices.ContainsFunc(up.OutputPorts, func(op OutputPort) bool { return op.Slug == parts[2] }) {
				v.Add(field+".upstream", up.Name+" has no output port "+parts[2]+".")
				continue
			}
			upstreams[i] = &up
		}
		switch x.Format {
		case "", "csv", "json", "parquet":
		default:
			v.Add(field+".format", "Choose csv, json or parquet.")
		}
	}
	return upstreams, v.OrNil()
}

// SavePipeline creates or replaces the pipeline of one of p's output
// ports. The owners of the product's team and admins may.
func (s *Store) SavePipeline(ctx context.Context, actor *User, p *Product, in PipelineSpec) (*Pipeline, error) {
	in.normalize()
	var id uint
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		scope, err := s.productScope(ctx, tx, actor, p.TeamID)
		if err != nil {
			return err
		}
		if err := Authorize(actor, ActEditProduct, scope); err != nil {
			return err
		}
		upstreams, err := in.validate(tx, p)
		if err != nil {
			return err
		}
		var pl Pipeline
		err = tx.Where("product_id = ? AND port = ?", p.ID, in.Port).First(&pl).Error
		creating := isNotFound(notFound(err))
		if err != nil && !creating {
			return err
		}
		var before any
		if !creating {
			before, err = s.pipelineAudit(tx, &pl)
			if err != nil {
				return err
			}
		}
		pl.ProductID, pl.Port, pl.SQL, pl.Schedule, pl.Cron = p.ID, in.Port, in.SQL, in.Schedule, in.Cron
		pl.TimeoutSeconds, pl.MemoryMB, pl.Retention, pl.Paused = in.TimeoutSeconds, in.MemoryMB, in.Retention, in.Paused
		if in.Schedule != ScheduleCron {
			pl.Cron = ""
		}
		pl.NextRunAt = nil
		if in.Schedule == ScheduleCron && !in.Paused {
			c, _ := ParseCron(in.Cron)
			next := c.Next(s.now())
			pl.NextRunAt = &next
		}
		if creating {
			pl.CreatedByID = &actor.ID
			if err := tx.Create(&pl).Error; err != nil {
				return err
			}
		} else {
			if err := tx.Save(&pl).Error; err != nil {
				return err
			}
			if err := tx.Where("pipeline_id = ?", pl.ID).Delete(&PipelineInput{}).Error; err != nil {
				return err
			}
		}
		for i, x := range in.Inputs {
			row := PipelineInput{PipelineID: pl.ID, Position: i, Name: x.Name, Landing: x.Landing, Format: x.Format}
			if up := upstreams[i]; up != nil {
				row.UpstreamProductID = &up.ID
				row.UpstreamPort = strings.Split(x.Upstream, "/")[2]
			}
			if err := tx.Create(&row).Error; err != nil {
				return err
			}
		}
		id = pl.ID
		after, err := s.pipelineAudit(tx, &pl)
		if err != nil {
			return err
		}
		action := "pipeline.update"
		if creating {
			action = "pipeline.create"
		}
		return s.auditObject(ctx, tx, actor, action, "pipeline", p.Domain.Slug+"/"+p.Slug+"#"+in.Port, before, after)
	})
	if err != nil {
		return nil, fmt.Errorf("save pipeline: %w", err)
	}
	return s.PipelineByID(ctx, id)
}

func (s *Store) pipelineAudit(tx *gorm.DB, pl *Pipeline) (map[string]any, error) {
	var inputs []PipelineInput
	if err := tx.Preload("UpstreamProduct").Preload("UpstreamProduct.Domain").Where("pipeline_id = ?", pl.ID).Order("position").Find(&inputs).Error; err != nil {
		return nil, err
	}
	names := make([]string, len(inputs))
	for i, x := range inputs {
		names[i] = x.Name + " <- " + x.Source()
	}
	return map[string]any{"sql": pl.SQL, "schedule": pl.Schedule, "cron": pl.Cron, "inputs": names,
		"timeout_seconds": pl.TimeoutSeconds, "memory_mb": pl.MemoryMB, "retention": pl.Retention, "paused": pl.Paused}, nil
}

// Source names where an input reads from.
func (x *PipelineInput) Source() string {
	if x.Landing != "" {
		return "landing:" + x.Landing
	}
	if x.UpstreamProduct != nil {
		return x.UpstreamProduct.Domain.Slug + "/" + x.UpstreamProduct.Slug + "/" + x.UpstreamPort
	}
	return x.UpstreamPort
}

// Spec is the pipeline as its owner wrote it, for forms and the API.
func (pl *Pipeline) Spec() PipelineSpec {
	out := PipelineSpec{Port: pl.Port, SQL: pl.SQL, Schedule: pl.Schedule, Cron: pl.Cron,
		TimeoutSeconds: pl.TimeoutSeconds, MemoryMB: pl.MemoryMB, Retention: pl.Retention, Paused: pl.Paused}
	for _, x := range pl.Inputs {
		spec := PipelineInputSpec{Name: x.Name, Landing: x.Landing, Format: x.Format}
		if x.UpstreamProduct != nil {
			spec.Upstream = x.Source()
		}
		out.Inputs = append(out.Inputs, spec)
	}
	return out
}

func (s *Store) pipelineQuery(ctx context.Context) *gorm.DB {
	return s.db(ctx).Preload("Product").Preload("Product.Domain").Preload("Product.Team").
		Preload("Product.OutputPorts", func(db *gorm.DB) *gorm.DB { return db.Order("position") }).
		Preload("Product.OutputPorts.Columns", func(db *gorm.DB) *gorm.DB { return db.Order("position") }).
		Preload("Product.Quality", func(db *gorm.DB) *gorm.DB { return db.Order("position") }).
		Preload("Inputs", func(db *gorm.DB) *gorm.DB { return db.Order("position") }).
		Preload("Inputs.UpstreamProduct").Preload("Inputs.UpstreamProduct.Domain").
		Preload("Inputs.UpstreamProduct.OutputPorts")
}

// PipelineByID returns a pipeline with its product, the port's schema and
// quality rules, and its inputs.
func (s *Store) PipelineByID(ctx context.Context, id uint) (*Pipeline, error) {
	var pl Pipeline
	if err := s.pipelineQuery(ctx).First(&pl, id).Error; err != nil {
		return nil, fmt.Errorf("pipeline %d: %w", id, notFound(err))
	}
	return &pl, nil
}

// PipelinesOf lists a product's pipelines, by port.
func (s *Store) PipelinesOf(ctx context.Context, productID uint) ([]Pipeline, error) {
	var out []Pipeline
	err := s.pipelineQuery(ctx).Where("product_id = ?", productID).Order("port").Find(&out).Error
	return out, err
}

// PipelineFilter narrows a listing of pipelines.
type PipelineFilter struct {
	Domain  string
	TeamIDs []uint // only these teams' products; nil for all
}

// ListPipelines lists pipelines with their last run.
func (s *Store) ListPipelines(ctx context.Context, f PipelineFilter) ([]Pipeline, map[uint]*Run, error) {
	q := s.pipelineQuery(ctx).Joins("JOIN products ON products.id = pipelines.product_id")
	if f.Domain != "" {
		q = q.Joins("JOIN domains ON domains.id = products.domain_id").Where("domains.slug = ?", f.Domain)
	}
	if f.TeamIDs != nil {
		q = q.Where("products.team_id IN ?", append(f.TeamIDs, 0))
	}
	var out []Pipeline
	if err := q.Order("products.slug, pipelines.port").Find(&out).Error; err != nil {
		return nil, nil, fmt.Errorf("list pipelines: %w", err)
	}
	last := map[uint]*Run{}
	if len(out) == 0 {
		return out, last, nil
	}
	ids := make([]uint, len(out))
	for i, pl := range out {
		ids[i] = pl.ID
	}
	var runs []Run
	err := s.db(ctx).Where("id IN (?)", s.db(ctx).Model(&Run{}).Select("MAX(id)").Where("pipeline_id IN ?", ids).Group("pipeline_id")).
		Find(&runs).Error
	for i := range runs {
		last[runs[i].PipelineID] = &runs[i]
	}
	return out, last, err
}

// CanRunPipeline reports whether u may run, edit and cancel pl: its
// product team's owners and members, and admins.
func (s *Store) CanRunPipeline(ctx context.Context, u *User, pl *Pipeline) (bool, error) {
	if !u.Active() {
		return false, nil
	}
	if u.IsAdmin {
		return true, nil
	}
	scope, err := s.productScope(ctx, s.DB, u, pl.Product.TeamID)
	return scope != nil && scope.TeamRole != "", err
}

// ErrRunActive says the pipeline already has a run queued or running.
type ErrRunActive struct{ Run *Run }

func (e *ErrRunActive) Error() string {
	return fmt.Sprintf("run %d of this pipeline is already %s", e.Run.ID, e.Run.Status)
}

// Unwrap makes the error a conflict.
func (e *ErrRunActive) Unwrap() error { return ErrConflict }

// RunRequest says why and how a run is asked for.
type RunRequest struct {
	Trigger      string
	DueAt        *time.Time // for scheduled runs: the due time, so each is enqueued once
	AcceptSchema bool
}

// EnqueueRun records a queued run of pl. actor is nil for the scheduler;
// a person must be allowed to run the pipeline. It returns *ErrRunActive
// when a run is already queued or running, and for a scheduled run whose
// due time was already enqueued (by another instance) ErrConflict.
func (s *Store) EnqueueRun(ctx context.Context, actor *User, pl *Pipeline, req RunRequest) (*Run, error) {
	if actor != nil {
		ok, err := s.CanRunPipeline(ctx, actor, pl)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("run pipeline: %w", ErrForbidden)
		}
	}
	run := &Run{PipelineID: pl.ID, ActiveKey: &pl.ID, Status: RunQueued, Trigger: req.Trigger, DueAt: req.DueAt,
		AcceptSchema: req.AcceptSchema, QueuedAt: s.now()}
	if actor != nil {
		run.RequestedByID = &actor.ID
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var active Run
		err := tx.Where("active_key = ?", pl.ID).First(&active).Error
		if err == nil {
			return &ErrRunActive{Run: &active}
		}
		if !isNotFound(notFound(err)) {
			return err
		}
		if req.DueAt != nil {
			var n int64
			if err := tx.Model(&Run{}).Where("pipeline_id = ? AND due_at = ?", pl.ID, *req.DueAt).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return conflict("This scheduled run was already enqueued.")
			}
		}
		if err := tx.Create(run).Error; err != nil {
			if isDuplicate(err) {
				return &ErrRunActive{Run: &Run{PipelineID: pl.ID, Status: RunQueued}}
			}
			return err
		}
		if actor != nil {
			return s.auditObject(ctx, tx, actor, "pipeline.run", "pipeline", pl.Product.Domain.Slug+"/"+pl.Product.Slug+"#"+pl.Port,
				nil, map[string]any{"run": run.ID, "trigger": req.Trigger, "accept_schema": req.AcceptSchema})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("enqueue run: %w", err)
	}
	return run, nil
}

// RunByID returns a run with its pipeline and check results.
func (s *Store) RunByID(ctx context.Context, id uint) (*Run, error) {
	var r Run
	err := s.db(ctx).Preload("Pipeline").Preload("Pipeline.Product").Preload("Pipeline.Product.Domain").
		Preload("Pipeline.Product.Team").Preload("RequestedBy").
		Preload("Checks", func(db *gorm.DB) *gorm.DB { return db.Order("position") }).First(&r, id).Error
	if err != nil {
		return nil, fmt.Errorf("run %d: %w", id, notFound(err))
	}
	return &r, nil
}

// RunsOf lists a pipeline's newest runs.
func (s *Store) RunsOf(ctx context.Context, pipelineID uint, limit int) ([]Run, error) {
	var out []Run
	err := s.db(ctx).Omit("log").Where("pipeline_id = ?", pipelineID).Order("id DESC").Limit(limit).Find(&out).Error
	return out, err
}

// StartRun marks a queued run running and counts the attempt (every
// worker that starts it, River's retries and recovered runs alike); it
// answers the attempt, and false when the run is no longer queued
// (cancelled, or finished).
func (s *Store) StartRun(ctx context.Context, id uint) (int, bool, error) {
	now := s.now()
	res := s.db(ctx).Model(&Run{}).Where("id = ? AND status IN ?", id, []string{RunQueued, RunRunning}).
		Updates(map[string]any{"status": RunRunning, "started_at": now, "heartbeat_at": now, "attempt": gorm.Expr("attempt + 1"), "error": ""})
	if res.Error != nil || res.RowsAffected != 1 {
		return 0, false, res.Error
	}
	var attempts []int
	err := s.db(ctx).Model(&Run{}).Where("id = ?", id).Pluck("attempt", &attempts).Error
	if err != nil || len(attempts) != 1 {
		return 0, false, err
	}
	return attempts[0], true, nil
}

// AppendRunLog adds lines to a run's log, stamped with the time.
func (s *Store) AppendRunLog(ctx context.Context, id uint, line string) error {
	stamp := s.now().Format("15:04:05.000") + "  " + strings.TrimRight(line, "\n") + "\n"
	return s.db(ctx).Model(&Run{}).Where("id = ?", id).
		Update("log", gorm.Expr("COALESCE(log, '') || ?", stamp)).Error
}

// CancelRun asks a run to stop: a queued run is cancelled at once, a
// running one when its worker sees the request.
func (s *Store) CancelRun(ctx context.Context, actor *User, run *Run) error {
	ok, err := s.CanRunPipeline(ctx, actor, &run.Pipeline)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("cancel run: %w", ErrForbidden)
	}
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r Run
		if err := lockForUpdate(tx).First(&r, run.ID).Error; err != nil {
			return notFound(err)
		}
		switch r.Status {
		case RunQueued:
			now := s.now()
			if err := tx.Model(&Run{}).Where("id = ?", r.ID).Updates(map[string]any{"status": RunCancelled,
				"active_key": nil, "finished_at": now, "cancel_requested": true, "error": "Cancelled by " + actor.DisplayName() + " before it started."}).Error; err != nil {
				return err
			}
		case RunRunning:
			if err := tx.Model(&Run{}).Where("id = ?", r.ID).Update("cancel_requested", true).Error; err != nil {
				return err
			}
		default:
			return conflict("This run has already " + r.Status + ".")
		}
		return s.auditObject(ctx, tx, actor, "pipeline.cancel", "pipeline",
			run.Pipeline.Product.Domain.Slug+"/"+run.Pipeline.Product.Slug+"#"+run.Pipeline.Port, nil, map[string]any{"run": r.ID})
	})
}

// CancelRequested reports whether someone asked the run to stop.
func (s *Store) CancelRequested(ctx context.Context, id uint) (bool, error) {
	var flags []bool
	err := s.db(ctx).Model(&Run{}).Where("id = ?", id).Pluck("cancel_requested", &flags).Error
	return len(flags) == 1 && flags[0], err
}

// RunOutcome is what a finished run reports.
type RunOutcome struct {
	Status   string // succeeded, failed, cancelled
	Error    string
	Rows     int64
	Bytes    int64
	Checks   []CheckResult
	Snapshot *Snapshot     // to make current, when Status is succeeded; its files are already in place
	Schema   []ColumnInput // adopt this schema for the port (an accepted drift); nil to keep it
}

// FinishRun records a run's outcome. A successful run's snapshot becomes
// the port's current one in the same transaction, and the snapshots beyond
// the pipeline's retention are returned for the lake to delete. The port's
// incidents follow the outcome in the same transaction (runIncidents).
func (s *Store) FinishRun(ctx context.Context, run *Run, out RunOutcome) (expired []Snapshot, err error) {
	now := s.now()
	opened := 0 // incidents: see runIncidents
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r Run
		if err := lockForUpdate(tx).First(&r, run.ID).Error; err != nil {
			return notFound(err)
		}
		if !r.Active() {
			return conflict("run " + fmt.Sprint(r.ID) + " already " + r.Status)
		}
		var pl Pipeline
		if err := tx.Preload("Product").Preload("Product.Domain").First(&pl, r.PipelineID).Error; err != nil {
			return err
		}
		passed, failed := 0, 0
		for i := range out.Checks {
			c := out.Checks[i]
			c.ID, c.RunID, c.Position = 0, r.ID, i
			if c.Passed {
				passed++
			} else {
				failed++
			}
			if err := tx.Create(&c).Error; err != nil {
				return err
			}
		}
		update := map[string]any{"status": out.Status, "active_key": nil, "finished_at": now, "rows": out.Rows,
			"bytes": out.Bytes, "error": out.Error, "checks_passed": passed, "checks_failed": failed}
		if out.Status == RunSucceeded && out.Snapshot != nil {
			snap := *out.Snapshot
			snap.ID, snap.ProductID, snap.Port, snap.RunID, snap.Current, snap.CreatedAt = 0, pl.ProductID, pl.Port, &r.ID, true, now
			if err := tx.Model(&Snapshot{}).Where("product_id = ? AND port = ? AND current = ?", pl.ProductID, pl.Port, true).
				Update("current", false).Error; err != nil {
				return err
			}
			if err := tx.Create(&snap).Error; err != nil {
				return err
			}
			update["snapshot_id"] = snap.ID
			if out.Schema != nil {
				if err := s.adoptSchema(ctx, tx, &pl, out.Schema); err != nil {
					return err
				}
			}
			if err := tx.Model(&Product{}).Where("id = ?", pl.ProductID).Update("published_at", now).Error; err != nil {
				return err
			}
			var keep []uint
			if err := tx.Model(&Snapshot{}).Where("product_id = ? AND port = ? AND deleted_at IS NULL", pl.ProductID, pl.Port).
				Order("id DESC").Limit(pl.Retention).Pluck("id", &keep).Error; err != nil {
				return err
			}
			if err := tx.Where("product_id = ? AND port = ? AND deleted_at IS NULL AND id NOT IN ?", pl.ProductID, pl.Port, keep).
				Find(&expired).Error; err != nil {
				return err
			}
			if len(expired) > 0 {
				ids := make([]uint, len(expired))
				for i, e := range expired {
					ids[i] = e.ID
				}
				if err := tx.Model(&Snapshot{}).Where("id IN ?", ids).Update("deleted_at", now).Error; err != nil {
					return err
				}
			}
			if err := s.auditObject(ctx, tx, nil, "snapshot.publish", "product", pl.Product.Domain.Slug+"/"+pl.Product.Slug,
				nil, map[string]any{"port": pl.Port, "snapshot": snap.Name, "rows": out.Rows, "run": r.ID}); err != nil {
				return err
			}
		}
		n, err := s.runIncidents(ctx, tx, &pl, r.ID, out, now)
		if err != nil {
			return err
		}
		opened = n
		return tx.Model(&Run{}).Where("id = ?", r.ID).Updates(update).Error
	})
	if err != nil {
		return nil, fmt.Errorf("finish run %d: %w", run.ID, err)
	}
	if opened > 0 {
		s.mailQueued()
	}
	return expired, nil
}

// adoptSchema replaces the port's columns with an accepted drift and bumps
// the product's minor version.
func (s *Store) adoptSchema(ctx context.Context, tx *gorm.DB, pl *Pipeline, cols []ColumnInput) error {
	var port OutputPort
	if err := tx.Preload("Columns").Where("product_id = ? AND slug = ?", pl.ProductID, pl.Port).First(&port).Error; err != nil {
		return err
	}
	old := map[string]Column{}
	for _, c := range port.Columns {
		old[c.Name] = c
	}
	if err := tx.Where("port_id = ?", port.ID).Delete(&Column{}).Error; err != nil {
		return err
	}
	for i, c := range cols {
		row := Column{PortID: port.ID, Position: i, Name: c.Name, Type: c.Type, Nullable: true}
		if prev, ok := old[c.Name]; ok {
			row.Description, row.Nullable, row.PrimaryKey, row.PII, row.TermID = prev.Description, prev.Nullable, prev.PrimaryKey, prev.PII, prev.TermID
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
	}
	version := bumpMinor(pl.Product.Version)
	if err := tx.Model(&Product{}).Where("id = ?", pl.ProductID).Update("version", version).Error; err != nil {
		return err
	}
	return s.auditObject(ctx, tx, nil, "product.schema.accept", "product", pl.Product.Domain.Slug+"/"+pl.Product.Slug,
		map[string]any{"version": pl.Product.Version}, map[string]any{"version": version, "port": pl.Port})
}

func bumpMinor(v string) string {
	var major, minor, patch int
	if _, err := fmt.Sscanf(v, "%d.%d.%d", &major, &minor, &patch); err != nil {
		return "1.1.0"
	}
	return fmt.Sprintf("%d.%d.0", major, minor+1)
}

// CurrentSnapshot returns the current snapshot of a product's port.
func (s *Store) CurrentSnapshot(ctx context.Context, productID uint, port string) (*Snapshot, error) {
	var snap Snapshot
	err := s.db(ctx).Where("product_id = ? AND port = ? AND current = ?", productID, port, true).First(&snap).Error
	if err != nil {
		return nil, fmt.Errorf("current snapshot of %s: %w", port, notFound(err))
	}
	return &snap, nil
}

// Snapshots lists a product's kept snapshots, newest first.
func (s *Store) Snapshots(ctx context.Context, productID uint) ([]Snapshot, error) {
	var out []Snapshot
	err := s.db(ctx).Where("product_id = ? AND deleted_at IS NULL", productID).Order("id DESC").Limit(200).Find(&out).Error
	return out, err
}

// SnapshotNames lists every kept snapshot folder, for the lake's janitor:
// folders not listed are leftovers of crashed runs.
func (s *Store) SnapshotNames(ctx context.Context) (map[string]bool, error) {
	type row struct {
		Domain, Product, Port, Name string
	}
	var rows []row
	err := s.db(ctx).Table("snapshots").Select("domains.slug AS domain, products.slug AS product, snapshots.port, snapshots.name").
		Joins("JOIN products ON products.id = snapshots.product_id").Joins("JOIN domains ON domains.id = products.domain_id").
		Where("snapshots.deleted_at IS NULL").Scan(&rows).Error
	out := map[string]bool{}
	for _, r := range rows {
		out[r.Domain+"/"+r.Product+"/"+r.Port+"/"+r.Name] = true
	}
	return out, err
}

// Heartbeat records that a run's worker is alive.
func (s *Store) Heartbeat(ctx context.Context, runID uint) error {
	return s.db(ctx).Model(&Run{}).Where("id = ? AND status = ?", runID, RunRunning).Update("heartbeat_at", s.now()).Error
}

// RecoverRun takes back a run whose worker stopped beating (its process
// was killed): it is queued again for another attempt, or failed when it
// has had its attempts. It answers whether the run was requeued.
func (s *Store) RecoverRun(ctx context.Context, id uint, maxAttempts int) (bool, error) {
	requeued := false
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r Run
		if err := lockForUpdate(tx).First(&r, id).Error; err != nil {
			return notFound(err)
		}
		if r.Status != RunRunning {
			return nil
		}
		line := s.now().Format("15:04:05.000") + "  The worker running this attempt stopped (the server was restarted or killed)."
		if r.Attempt < maxAttempts {
			requeued = true
			return tx.Model(&Run{}).Where("id = ?", id).Updates(map[string]any{"status": RunQueued,
				"log": gorm.Expr("COALESCE(log, '') || ?", line+" It runs again.\n")}).Error
		}
		return tx.Model(&Run{}).Where("id = ?", id).Updates(map[string]any{"status": RunFailed, "active_key": nil,
			"finished_at": s.now(), "error": "The worker stopped during the last attempt; the previous snapshot stays current.",
			"log": gorm.Expr("COALESCE(log, '') || ?", line+" No attempts are left.\n")}).Error
	})
	return requeued, err
}

// StaleRuns returns runs marked running whose worker has not beaten since
// since: their process is gone.
func (s *Store) StaleRuns(ctx context.Context, since time.Time) ([]Run, error) {
	var out []Run
	err := s.db(ctx).Omit("log").Where("status = ? AND COALESCE(heartbeat_at, started_at) < ?", RunRunning, since).Find(&out).Error
	return out, err
}

// ActiveRunIDs lists the runs queued or running.
func (s *Store) ActiveRunIDs(ctx context.Context) (map[uint]bool, error) {
	var ids []uint
	err := s.db(ctx).Model(&Run{}).Where("status IN ?", []string{RunQueued, RunRunning}).Pluck("id", &ids).Error
	out := map[uint]bool{}
	for _, id := range ids {
		out[id] = true
	}
	return out, err
}

// DuePipelines lists unpaused cron pipelines whose next run time has come.
func (s *Store) DuePipelines(ctx context.Context) ([]Pipeline, error) {
	var out []Pipeline
	err := s.pipelineQuery(ctx).Where("schedule = ? AND paused = ? AND next_run_at <= ?", ScheduleCron, false, s.now()).Find(&out).Error
	return out, err
}

// AdvanceSchedule moves a cron pipeline's next run time past due, unless
// another instance already did (it answers false then).
func (s *Store) AdvanceSchedule(ctx context.Context, pl *Pipeline, due time.Time) (bool, error) {
	c, err := ParseCron(pl.Cron)
	if err != nil {
		return false, err
	}
	next := c.Next(s.now())
	res := s.db(ctx).Model(&Pipeline{}).Where("id = ? AND next_run_at = ?", pl.ID, due).Update("next_run_at", next)
	return res.RowsAffected == 1, res.Error
}

// Downstream lists the pipelines that read a product's port and run when
// it publishes.
func (s *Store) Downstream(ctx context.Context, productID uint, port string) ([]Pipeline, error) {
	var out []Pipeline
	err := s.pipelineQuery(ctx).Joins("JOIN pipeline_inputs pi ON pi.pipeline_id = pipelines.id").
		Where("pi.upstream_product_id = ? AND pi.upstream_port = ? AND pipelines.schedule = ? AND pipelines.paused = ?",
			productID, port, ScheduleUpstream, false).Find(&out).Error
	return out, err
}

// TeamCanRead reports whether a team may build on a product's port: its
// own products, products open to everyone, and products on which a member
// of the team holds an active grant covering the port, checked now.
func (s *Store) TeamCanRead(ctx context.Context, teamID uint, p *Product, port string) (bool, error) {
	if p.TeamID == teamID {
		return true, nil
	}
	if p.Status == StatusRetired || p.Status == StatusDraft {
		return false, nil
	}
	pol, err := s.AccessPolicyFor(ctx, p.Classification)
	if err != nil {
		return false, err
	}
	if !pol.RequestRequired {
		return true, nil
	}
	var grants []Grant
	err = s.db(ctx).Where("product_id = ? AND status = ? AND expires_at > ? AND user_id IN (?)", p.ID, GrantActive, s.now(),
		s.db(ctx).Model(&Membership{}).Select("user_id").Where("team_id = ?", teamID)).Find(&grants).Error
	if err != nil {
		return false, err
	}
	for i := range grants {
		if grants[i].ActiveAt(s.now()) && grants[i].Covers(port) {
			return true, nil
		}
	}
	return false, nil
}

// LogicalType maps a DuckDB column type to the logical type a port's schema
// uses (ColumnTypes): VARCHAR is string, BIGINT integer, DOUBLE number,
// DECIMAL(18,2) decimal, TIMESTAMP WITH TIME ZONE timestamp, and so on.
func LogicalType(duckType string) string {
	t := strings.ToUpper(strings.TrimSpace(duckType))
	switch {
	case strings.HasSuffix(t, "[]") || strings.HasPrefix(t, "LIST") || strings.HasPrefix(t, "ARRAY"):
		return "array"
	case strings.HasPrefix(t, "STRUCT") || strings.HasPrefix(t, "MAP") || t == "JSON":
		return "object"
	case strings.HasPrefix(t, "DECIMAL") || strings.HasPrefix(t, "NUMERIC"):
		return "decimal"
	case strings.HasPrefix(t, "TIMESTAMP") || t == "DATETIME":
		return "timestamp"
	}
	switch t {
	case "VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR", "UUID", "ENUM":
		return "string"
	case "TINYINT", "SMALLINT", "INTEGER", "INT", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT":
		return "integer"
	case "FLOAT", "REAL", "DOUBLE":
		return "number"
	case "BOOLEAN", "BOOL":
		return "boolean"
	case "DATE":
		return "date"
	case "TIME", "INTERVAL", "BLOB":
		return strings.ToLower(t)
	}
	if strings.HasPrefix(t, "ENUM") {
		return "string"
	}
	return strings.ToLower(t)
}

// SchemaDrift compares the columns a run produced with the port's schema
// and describes every difference; none means they match. Names compare
// exactly; types compare as logical types.
func SchemaDrift(port []Column, got []SnapshotColumn) []string {
	var out []string
	have := map[string]string{}
	for _, c := range got {
		have[c.Name] = LogicalType(c.Type)
	}
	want := map[string]bool{}
	for _, c := range port {
		want[c.Name] = true
		t, ok := have[c.Name]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("column %s (%s) is missing", c.Name, c.Type))
		case t != c.Type:
			out = append(out, fmt.Sprintf("column %s is %s, the contract says %s", c.Name, t, c.Type))
		}
	}
	for _, c := range got {
		if !want[c.Name] {
			out = append(out, fmt.Sprintf("column %s (%s) is new", c.Name, LogicalType(c.Type)))
		}
	}
	return out
}

// SnapshotNamed returns a kept snapshot of a product's port by its name.
func (s *Store) SnapshotNamed(ctx context.Context, productID uint, port, name string) (*Snapshot, error) {
	var snap Snapshot
	err := s.db(ctx).Where("product_id = ? AND port = ? AND name = ? AND deleted_at IS NULL", productID, port, name).First(&snap).Error
	if err != nil {
		return nil, fmt.Errorf("snapshot %s of %s: %w", name, port, notFound(err))
	}
	return &snap, nil
}

// AuditDownload records that u downloaded a snapshot (a Download for the
// dashboards, and an audit event naming the grant that
// allowed it: nil for the owning team and open products).
func (s *Store) AuditDownload(ctx context.Context, u *User, p *Product, snap *Snapshot, format string, g *Grant) error {
	after := map[string]any{"port": snap.Port, "snapshot": snap.Name, "format": format, "rows": snap.Rows}
	if g != nil {
		after["grant"] = g.ID
	}
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		d := Download{ProductID: p.ID, UserID: u.ID, Port: snap.Port, Snapshot: snap.Name, Format: format, Rows: snap.Rows, At: s.now()}
		if err := tx.Create(&d).Error; err != nil {
			return fmt.Errorf("record download: %w", err)
		}
		return s.auditObject(ctx, tx, u, "product.download", "product", p.Domain.Slug+"/"+p.Slug, nil, after)
	})
}

// ListRuns returns one page of the runs of some pipelines, newest first,
// without their logs, optionally of one status.
func (s *Store) ListRuns(ctx context.Context, pipelineIDs []uint, status string, page Page) ([]Run, Page, error) {
	q := s.db(ctx).Model(&Run{}).Where("pipeline_id IN ?", append(pipelineIDs, 0))
	if status != "" {
		q = q.Where("status = ?", status)
	}
	if err := q.Count(&page.Total).Error; err != nil {
		return nil, page, fmt.Errorf("count runs: %w", err)
	}
	var out []Run
	err := q.Omit("log").Order("id DESC").Offset(page.Offset()).Limit(page.Size).Find(&out).Error
	return out, page, err
}
