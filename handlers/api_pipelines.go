package handlers

// The JSON API of the self-serve platform: a domain's landing files (list,
// upload), pipelines (list, get, create or replace), their runs (trigger,
// list, status with checks and log, cancel), and a product's snapshots
// (list, download with access). The rules are the browser's: landing is
// for the domain's team members and admins (DomainScope), pipelines and
// runs are visible to whoever can see their product (drafts: 404 to
// outsiders), and models decide who defines, runs and cancels.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"plaza/lake"
	"plaza/models"
	"plaza/views/pipelines"
)

// isAPIUpload reports whether a request is a landing upload through the
// API: like the browser's (isUpload), its body is streamed to disk under
// the upload limit, not the 4 MB of forms.
func isAPIUpload(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && c.Path() == "/api/v1/landing/:domain"
}

type columnJSON struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type landingFileJSON struct {
	Path     string       `json:"path"` // relative to the domain's landing folder
	Size     int64        `json:"size"`
	Modified time.Time    `json:"modified"`
	Format   string       `json:"format"`            // csv, json, parquet; "" when Plaza cannot read it
	Rows     *int64       `json:"rows,omitempty"`    // when the file was already inspected
	Columns  []columnJSON `json:"columns,omitempty"` // likewise
}

func (s *Server) toLandingFileJSON(domain string, f lake.LandingFile) landingFileJSON {
	out := landingFileJSON{Path: f.Path, Size: f.Size, Modified: f.ModTime, Format: f.Format}
	// Only what the sandbox already found: listing never reads the files.
	if st, ok := s.landingStats.get(domain, f); ok && st.Error == "" {
		rows := st.Rows
		out.Rows = &rows
		for _, col := range st.Columns {
			out.Columns = append(out.Columns, columnJSON{Name: col.Name, Type: col.Type})
		}
	}
	return out
}

// APILanding lists a domain's landing files (its team members and admins).
func (s *Server) APILanding(c echo.Context) error {
	d, err := s.landingDomain(c)
	if err != nil {
		return err
	}
	files, err := s.Lake.ListLanding(d.Slug)
	if err != nil {
		return err
	}
	out := make([]landingFileJSON, len(files))
	for i, f := range files {
		out[i] = s.toLandingFileJSON(d.Slug, f)
	}
	return c.JSON(http.StatusOK, map[string]any{"domain": d.Slug, "max_upload": s.maxUpload(), "files": out})
}

// APILandingUpload streams the raw request body into the domain's landing
// folder at ?path=folder/name.csv, replacing a file already there.
func (s *Server) APILandingUpload(c echo.Context) error {
	d, err := s.landingDomain(c)
	if err != nil {
		return err
	}
	rel, err := s.landingTarget(d.Slug, c.QueryParam("path"))
	if err != nil {
		return err
	}
	req, limit := c.Request(), s.maxUpload()
	if req.ContentLength > limit {
		return apiTooLarge(c, limit)
	}
	n, err := s.Lake.SaveLanding(d.Slug, rel, req.Body, limit)
	if errors.Is(err, lake.ErrTooLarge) {
		return apiTooLarge(c, limit)
	}
	if err != nil {
		return fmt.Errorf("upload %s to landing of %s: %w", rel, d.Slug, err)
	}
	if err := s.Store.AuditLanding(req.Context(), currentUser(c), d, "landing.upload", rel, n); err != nil {
		return err
	}
	f, _, err := s.Lake.LandingFileAt(d.Slug, rel)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/landing/"+d.Slug+"?path="+url.QueryEscape(rel))
	return c.JSON(http.StatusCreated, s.toLandingFileJSON(d.Slug, *f))
}

// landingTarget checks where an upload may go, before anything is read:
// a readable file inside the domain's landing folder, not over a folder.
func (s *Server) landingTarget(domain, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", models.Invalid("path", "Say where the file goes: ?path=folder/name.csv.")
	}
	name := path.Base(raw)
	switch {
	case lake.FormatOf(name) == "":
		return "", models.Invalid("path", name+" is not a CSV, JSON (or NDJSON) or Parquet file; Plaza can only read those.")
	case strings.HasPrefix(name, "."):
		return "", models.Invalid("path", "A landing file's name cannot start with a dot.")
	}
	if _, err := s.Lake.LandingPath(domain, raw); err != nil {
		return "", models.Invalid("path", "Give a path inside the domain's landing folder, like shop/orders/2026-11.csv.")
	}
	rel := path.Clean(raw)
	if _, _, err := s.Lake.LandingFileAt(domain, rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", models.Invalid("path", rel+" is a folder, or lies under a file.")
	}
	return rel, nil
}

// apiTooLarge answers 413 with the upload limit in the message.
func apiTooLarge(c echo.Context, limit int64) error {
	return c.JSON(http.StatusRequestEntityTooLarge, apiError{Error: apiErrorBody{Code: "too_large",
		Message:   tooLargeMessage(limit),
		RequestID: c.Response().Header().Get(echo.HeaderXRequestID)}})
}

type pipelineJSON struct {
	ID      uint           `json:"id"`
	Product productRefJSON `json:"product"`
	models.PipelineSpec
	NextRunAt *time.Time `json:"next_run_at"`
	LastRun   *runJSON   `json:"last_run"`
	URL       string     `json:"url"` // the pipeline's page
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// pipelineDetailJSON is one pipeline with what the caller may do with it.
type pipelineDetailJSON struct {
	pipelineJSON
	CanEdit bool `json:"can_edit"` // define: the team's owners and admins
	CanRun  bool `json:"can_run"`  // run and cancel: the team's people and admins
}

func (s *Server) toPipelineJSON(pl *models.Pipeline, last *models.Run) pipelineJSON {
	out := pipelineJSON{ID: pl.ID, Product: toProductRef(&pl.Product), PipelineSpec: pl.Spec(), NextRunAt: pl.NextRunAt,
		URL: s.Opts.BaseURL + pipelines.PipelinePath(*pl), CreatedAt: pl.CreatedAt, UpdatedAt: pl.UpdatedAt}
	if out.Inputs == nil {
		out.Inputs = []models.PipelineInputSpec{}
	}
	if last != nil {
		r := s.toRunJSON(last, pl)
		out.LastRun = &r
	}
	return out
}

// visiblePipelines lists the pipelines the caller can see, with their last
// runs: drafts' only for their team's owners and admins.
func (s *Server) visiblePipelines(c echo.Context, f models.PipelineFilter) ([]models.Pipeline, map[uint]*models.Run, error) {
	ctx, u := c.Request().Context(), currentUser(c)
	pls, last, err := s.Store.ListPipelines(ctx, f)
	if err != nil {
		return nil, nil, err
	}
	roles := map[uint]string{}
	if !u.IsAdmin {
		if roles, err = s.Store.TeamRolesOf(ctx, u.ID); err != nil {
			return nil, nil, err
		}
	}
	return slices.DeleteFunc(pls, func(pl models.Pipeline) bool {
		return !pl.Product.Visible(u, &models.Scope{TeamRole: roles[pl.Product.TeamID]})
	}), last, nil
}

// APIPipelines lists the pipelines the caller can see, with their last
// run: ?domain=<domain>, ?team=<domain>/<team> (the owning team).
func (s *Server) APIPipelines(c echo.Context) error {
	filter := models.PipelineFilter{Domain: c.QueryParam("domain")}
	if ref := c.QueryParam("team"); ref != "" {
		domain, team, ok := strings.Cut(ref, "/")
		if !ok || domain == "" || team == "" {
			return models.Invalid("team", "Name the team as <domain>/<team>, like sales/sales-analytics.")
		}
		t, err := s.Store.TeamBySlug(c.Request().Context(), domain, team)
		if models.IsNotFound(err) {
			return models.Invalid("team", "There is no team "+ref+".")
		}
		if err != nil {
			return err
		}
		filter.TeamIDs = []uint{t.ID}
	}
	pls, last, err := s.visiblePipelines(c, filter)
	if err != nil {
		return err
	}
	out := make([]pipelineJSON, len(pls))
	for i := range pls {
		out[i] = s.toPipelineJSON(&pls[i], last[pls[i].ID])
	}
	return c.JSON(http.StatusOK, map[string]any{"pipelines": out})
}

// APIPipelineShow returns one pipeline: its definition and last run.
func (s *Server) APIPipelineShow(c echo.Context) error {
	pl, scope, err := s.visiblePipeline(c)
	if err != nil {
		return err
	}
	return s.pipelineDetail(c, http.StatusOK, pl, scope)
}

func (s *Server) pipelineDetail(c echo.Context, status int, pl *models.Pipeline, scope *models.Scope) error {
	ctx, u := c.Request().Context(), currentUser(c)
	runs, err := s.Store.RunsOf(ctx, pl.ID, 1)
	if err != nil {
		return err
	}
	var last *models.Run
	if len(runs) == 1 {
		last = &runs[0]
	}
	out := pipelineDetailJSON{pipelineJSON: s.toPipelineJSON(pl, last), CanEdit: models.Can(u, models.ActEditProduct, scope)}
	if out.CanRun, err = s.Store.CanRunPipeline(ctx, u, pl); err != nil {
		return err
	}
	return c.JSON(status, out)
}

// APIPipelinePut creates (201) or replaces (200) the pipeline of a
// product's output port from a PipelineSpec (the team's owners and admins).
func (s *Server) APIPipelinePut(c echo.Context) error {
	ctx := c.Request().Context()
	p, scope, port, err := s.productPort(c)
	if err != nil {
		return err
	}
	if err := models.Authorize(currentUser(c), models.ActEditProduct, scope); err != nil {
		return err // before reading the body
	}
	var spec models.PipelineSpec
	if err := bindJSON(c, &spec); err != nil {
		return err
	}
	if spec.Port != "" && spec.Port != port.Slug {
		return models.Invalid("port", "The address names the port ("+port.Slug+"); leave port out or send the same.")
	}
	spec.Port = port.Slug
	_, err = s.Store.PipelineOfPort(ctx, p.ID, port.Slug)
	creating := models.IsNotFound(err)
	if err != nil && !creating {
		return err
	}
	pl, err := s.Store.SavePipeline(ctx, currentUser(c), p, spec)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if creating {
		status = http.StatusCreated
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/pipelines/"+strconv.FormatUint(uint64(pl.ID), 10))
	}
	return s.pipelineDetail(c, status, pl, scope)
}

type runJSON struct {
	ID              uint            `json:"id"`
	Pipeline        uint            `json:"pipeline"`
	Product         *productRefJSON `json:"product,omitempty"`
	Port            string          `json:"port,omitempty"`
	Status          string          `json:"status"`
	Trigger         string          `json:"trigger"`
	AcceptSchema    bool            `json:"accept_schema"`
	CancelRequested bool            `json:"cancel_requested"`
	Attempt         int             `json:"attempt"`
	QueuedAt        time.Time       `json:"queued_at"`
	StartedAt       *time.Time      `json:"started_at"`
	FinishedAt      *time.Time      `json:"finished_at"`
	DurationSeconds float64         `json:"duration_seconds"`
	Rows            int64           `json:"rows"`
	Bytes           int64           `json:"bytes"`
	Error           string          `json:"error"`
	ChecksPassed    int             `json:"checks_passed"`
	ChecksFailed    int             `json:"checks_failed"`
	Snapshot        *uint           `json:"snapshot_id"`
	URL             string          `json:"url"` // the run's page
}

// runDetailJSON is one run with its checks and log.
type runDetailJSON struct {
	runJSON
	RequestedBy    *personJSON `json:"requested_by"` // nil for scheduled runs
	CanCancel      bool        `json:"can_cancel"`
	FailedOnSchema bool        `json:"failed_on_schema"` // run again with accept_schema to adopt the new schema
	Checks         []checkJSON `json:"checks"`
	Log            string      `json:"log"`
}

type checkJSON struct {
	Name        string          `json:"name"`
	Kind        string          `json:"kind"`
	Column      string          `json:"column,omitempty"`
	Blocking    bool            `json:"blocking"`
	Passed      bool            `json:"passed"`
	FailingRows int64           `json:"failing_rows"`
	Sample      json.RawMessage `json:"sample"` // up to 10 failing rows, as objects
	Message     string          `json:"message,omitempty"`
}

// toRunJSON describes a run; pl, when known, names its product and port.
func (s *Server) toRunJSON(r *models.Run, pl *models.Pipeline) runJSON {
	out := runJSON{ID: r.ID, Pipeline: r.PipelineID, Status: r.Status, Trigger: r.Trigger, AcceptSchema: r.AcceptSchema,
		CancelRequested: r.CancelRequested, Attempt: r.Attempt, QueuedAt: r.QueuedAt, StartedAt: r.StartedAt,
		FinishedAt: r.FinishedAt, DurationSeconds: r.Duration(s.Store.Now()).Seconds(), Rows: r.Rows, Bytes: r.Bytes,
		Error: r.Error, ChecksPassed: r.ChecksPassed, ChecksFailed: r.ChecksFailed, Snapshot: r.SnapshotID,
		URL: s.Opts.BaseURL + pipelines.RunPath(*r)}
	if pl != nil && pl.Product.ID != 0 {
		ref := toProductRef(&pl.Product)
		out.Product, out.Port = &ref, pl.Port
	}
	return out
}

func (s *Server) toRunDetailJSON(r *models.Run, canRun bool) runDetailJSON {
	out := runDetailJSON{runJSON: s.toRunJSON(r, &r.Pipeline), CanCancel: canRun && r.Active(),
		FailedOnSchema: r.FailedOnSchema(), Checks: []checkJSON{}, Log: r.Log}
	if r.RequestedBy != nil {
		p := toPerson(r.RequestedBy)
		out.RequestedBy = &p
	}
	for _, ch := range r.Checks {
		sample := json.RawMessage("[]")
		if ch.Sample != "" && json.Valid([]byte(ch.Sample)) {
			sample = json.RawMessage(ch.Sample)
		}
		out.Checks = append(out.Checks, checkJSON{Name: ch.Name, Kind: ch.Kind, Column: ch.Column, Blocking: ch.Blocking,
			Passed: ch.Passed, FailingRows: ch.FailingRows, Sample: sample, Message: ch.Message})
	}
	return out
}

// runConflictBody is the error of a second trigger: the run in the way.
type runConflictBody struct {
	apiErrorBody
	Run *runJSON `json:"run,omitempty"`
}

// APIPipelineRun queues a run of the pipeline: {"accept_schema": true}
// (optional) adopts a drifted schema. 202 with the run; 409 naming the run
// already queued or running.
func (s *Server) APIPipelineRun(c echo.Context) error {
	ctx := c.Request().Context()
	pl, _, err := s.visiblePipeline(c)
	if err != nil {
		return err
	}
	var body struct {
		AcceptSchema bool `json:"accept_schema"`
	}
	if err := bindOptionalJSON(c, &body); err != nil {
		return err
	}
	run, err := s.Store.EnqueueRun(ctx, currentUser(c), pl, models.RunRequest{Trigger: models.TriggerManual, AcceptSchema: body.AcceptSchema})
	var active *models.ErrRunActive
	if errors.As(err, &active) {
		return s.runConflict(c, pl, active.Run, err)
	}
	if err != nil {
		return err
	}
	if s.Opts.Runs != nil {
		if err := s.Opts.Runs.Enqueue(ctx, run.ID); err != nil {
			return fmt.Errorf("start the job of run %d (it stays queued; cancel it and try again): %w", run.ID, err)
		}
	}
	r, err := s.Store.RunByID(ctx, run.ID)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/runs/"+strconv.FormatUint(uint64(r.ID), 10))
	return c.JSON(http.StatusAccepted, s.toRunDetailJSON(r, true))
}

// runConflict answers 409 with the run that is in the way. A trigger that
// lost a race to another knows only that one exists: it is the newest.
func (s *Server) runConflict(c echo.Context, pl *models.Pipeline, r *models.Run, err error) error {
	if r.ID == 0 {
		if runs, lerr := s.Store.RunsOf(c.Request().Context(), pl.ID, 1); lerr == nil && len(runs) == 1 && runs[0].Active() {
			r = &runs[0]
			err = &models.ErrRunActive{Run: r}
		}
	}
	status, body := classify(err)
	body.RequestID = c.Response().Header().Get(echo.HeaderXRequestID)
	out := runConflictBody{apiErrorBody: body}
	if r.ID == 0 {
		out.Message = "A run of this pipeline is already queued; one runs at a time."
	} else {
		j := s.toRunJSON(r, pl)
		out.Run = &j
	}
	return c.JSON(status, map[string]any{"error": out})
}

var runStatuses = []string{models.RunQueued, models.RunRunning, models.RunSucceeded, models.RunFailed, models.RunCancelled}

// APIRuns pages through the runs of the pipelines the caller can see,
// newest first: ?pipeline=<id>, ?status=, page, per_page.
func (s *Server) APIRuns(c echo.Context) error {
	status := c.QueryParam("status")
	if status != "" && !slices.Contains(runStatuses, status) {
		return models.Invalid("status", "Choose "+strings.Join(runStatuses, ", ")+".")
	}
	var pls []models.Pipeline
	if raw := c.QueryParam("pipeline"); raw != "" {
		pl, err := s.pipelineNamed(c, raw)
		if err != nil {
			return err
		}
		pls = []models.Pipeline{*pl}
	} else {
		var err error
		if pls, _, err = s.visiblePipelines(c, models.PipelineFilter{}); err != nil {
			return err
		}
	}
	page := models.NewPage(queryInt(c, "page", 1), queryInt(c, "per_page", 50))
	runs, more, err := s.pageOfRuns(c, pls, status, page)
	if err != nil {
		return err
	}
	byID := make(map[uint]*models.Pipeline, len(pls))
	for i := range pls {
		byID[pls[i].ID] = &pls[i]
	}
	out := make([]runJSON, len(runs))
	for i := range runs {
		out[i] = s.toRunJSON(&runs[i], byID[runs[i].PipelineID])
	}
	return c.JSON(http.StatusOK, map[string]any{"runs": out, "page": page.Number, "per_page": page.Size, "more": more})
}

// pipelineNamed loads the pipeline a ?pipeline= filter names; one that does
// not exist, or whose product the caller may not see, is a field error.
func (s *Server) pipelineNamed(c echo.Context, raw string) (*models.Pipeline, error) {
	ctx, u := c.Request().Context(), currentUser(c)
	missing := models.Invalid("pipeline", "There is no pipeline "+raw+".")
	id, err := strconv.ParseUint(raw, 10, 64)
	if err != nil || id == 0 {
		return nil, models.Invalid("pipeline", "Give a pipeline's id, a number.")
	}
	pl, err := s.Store.PipelineByID(ctx, uint(id))
	if models.IsNotFound(err) {
		return nil, missing
	}
	if err != nil {
		return nil, err
	}
	scope, err := s.Store.ProductScope(ctx, u, &pl.Product)
	if err != nil {
		return nil, err
	}
	if !pl.Product.Visible(u, scope) {
		return nil, missing
	}
	return pl, nil
}

// pageOfRuns returns one page of the runs of pls, newest first, and
// whether more follow. It merges each pipeline's newest runs (without
// their logs); with a status, each pipeline's runs are read whole.
func (s *Server) pageOfRuns(c echo.Context, pls []models.Pipeline, status string, page models.Page) ([]models.Run, bool, error) {
	ids := make([]uint, len(pls))
	for i, pl := range pls {
		ids[i] = pl.ID
	}
	runs, page, err := s.Store.ListRuns(c.Request().Context(), ids, status, page)
	if err != nil {
		return nil, false, err
	}
	return runs, int64(page.Offset()+len(runs)) < page.Total, nil
}

// APIRunShow returns one run: status, times, rows, bytes, error, checks
// with failing rows and samples, and its log.
func (s *Server) APIRunShow(c echo.Context) error {
	r, canRun, err := s.visibleRun(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toRunDetailJSON(r, canRun))
}

// APIRunCancel cancels a queued run, or asks a running one to stop (409
// once it has finished).
func (s *Server) APIRunCancel(c echo.Context) error {
	ctx := c.Request().Context()
	r, _, err := s.visibleRun(c)
	if err != nil {
		return err
	}
	if err := bindOptionalJSON(c, &struct{}{}); err != nil {
		return err
	}
	if err := s.Store.CancelRun(ctx, currentUser(c), r); err != nil {
		return err
	}
	if r, err = s.Store.RunByID(ctx, r.ID); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.toRunDetailJSON(r, true))
}

type snapshotJSON struct {
	Port      string                  `json:"port"`
	Name      string                  `json:"name"`
	Rows      int64                   `json:"rows"`
	Bytes     int64                   `json:"bytes"`
	CreatedAt time.Time               `json:"created_at"`
	Current   bool                    `json:"current"`
	Run       *uint                   `json:"run"`
	Columns   []models.SnapshotColumn `json:"columns"`
	Download  string                  `json:"download"` // with access: add format=csv for CSV
}

// APISnapshots lists a product's kept snapshots, newest first (?port=
// for one port). Reading their data needs access; listing them does not.
func (s *Server) APISnapshots(c echo.Context) error {
	p, err := s.product(c)
	if err != nil {
		return err
	}
	port := c.QueryParam("port")
	if port != "" && !slices.ContainsFunc(p.OutputPorts, func(op models.OutputPort) bool { return op.Slug == port }) {
		return models.Invalid("port", p.Name+" has no output port "+port+".")
	}
	snaps, err := s.Store.Snapshots(c.Request().Context(), p.ID)
	if err != nil {
		return err
	}
	out := []snapshotJSON{}
	for _, sn := range snaps {
		if port != "" && sn.Port != port {
			continue
		}
		cols := sn.Columns()
		if cols == nil {
			cols = []models.SnapshotColumn{}
		}
		out = append(out, snapshotJSON{Port: sn.Port, Name: sn.Name, Rows: sn.Rows, Bytes: sn.Bytes, CreatedAt: sn.CreatedAt,
			Current: sn.Current, Run: sn.RunID, Columns: cols,
			Download: "/api/v1/products/" + p.Domain.Slug + "/" + p.Slug + "/ports/" + sn.Port + "/download?snapshot=" + url.QueryEscape(sn.Name)})
	}
	return c.JSON(http.StatusOK, map[string]any{"product": toProductRef(p), "snapshots": out})
}
