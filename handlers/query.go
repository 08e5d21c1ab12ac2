package handlers

// The federated query workbench and POST /api/v1/query. A query is planned
// in models (its product names checked against the reader's access at that
// moment and resolved to snapshots), recorded, then run in the sandbox with
// exactly those snapshots' files as views. Limits: time, memory and threads
// per query (the sandbox), rows shown, and queries at once per person
// (queryGate, per instance).

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"plaza/lake"
	"plaza/models"
	"plaza/views"
	"plaza/views/query"
)

// QueryLimits bound federated queries. Zero fields take the defaults.
type QueryLimits struct {
	Timeout time.Duration // per query (default 60 s), then it is cancelled
	Memory  string        // DuckDB memory_limit per query (default 512MB)
	Threads int           // DuckDB threads per query (default 2)
	MaxRows int           // rows a query shows or answers as JSON (default 1,000); exports have all
	PerUser int           // queries one person runs at once (default 2)
}

func (l QueryLimits) withDefaults() QueryLimits {
	if l.Timeout <= 0 {
		l.Timeout = 60 * time.Second
	}
	if l.Memory == "" {
		l.Memory = "512MB"
	}
	if l.Threads <= 0 {
		l.Threads = 2
	}
	if l.MaxRows <= 0 {
		l.MaxRows = 1000
	}
	if l.PerUser <= 0 {
		l.PerUser = 2
	}
	return l
}

// exportTypes are the media types of query exports, by format.
var exportTypes = map[string]string{
	"csv":     "text/csv; charset=utf-8",
	"parquet": "application/vnd.apache.parquet",
	"json":    "application/json",
}

// busyError is a person over their number of queries at once.
type busyError struct{ limit int }

func (e *busyError) Error() string {
	return fmt.Sprintf("You are already running %d queries, the most one person may run at once. Wait for one to finish or cancel it.", e.limit)
}

// queryGate counts each person's running queries and keeps a way to cancel
// each, by the run token the browser sent.
type queryGate struct {
	mu      sync.Mutex
	running map[uint]int
	cancels map[string]context.CancelCauseFunc // "<user>/<token>"
}

var errQueryCancelled = errors.New("Cancelled on request.")

// enter admits one more query of user, or answers a *busyError. The
// returned context is cancelled by cancel(user, token) or when the
// returned func is called.
func (g *queryGate) enter(ctx context.Context, user uint, token string, limit int) (context.Context, func(), error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running == nil {
		g.running, g.cancels = map[uint]int{}, map[string]context.CancelCauseFunc{}
	}
	if g.running[user] >= limit {
		return nil, nil, &busyError{limit}
	}
	g.running[user]++
	ctx, cancel := context.WithCancelCause(ctx)
	key := fmt.Sprint(user, "/", token)
	if token != "" {
		g.cancels[key] = cancel
	}
	return ctx, func() {
		cancel(nil)
		g.mu.Lock()
		defer g.mu.Unlock()
		g.running[user]--
		if g.running[user] == 0 {
			delete(g.running, user)
		}
		if token != "" {
			delete(g.cancels, key)
		}
	}, nil
}

// cancel stops user's query run under token; it reports whether one was
// running.
func (g *queryGate) cancel(user uint, token string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	cancel, ok := g.cancels[fmt.Sprint(user, "/", token)]
	if ok {
		cancel(errQueryCancelled)
	}
	return ok
}

// queryJob is one query to run: its SQL and how it ends (shown rows, or a
// file for an export).
type queryJob struct {
	SQL     string
	Pins    map[string]string
	Source  string
	SavedID *uint
	Token   string // from the browser, for cancel
	Export  string // "", or csv, parquet, json: the whole result to a file
	MaxRows int    // 0: the limit's
}

// queryOutcome is what running a query gave.
type queryOutcome struct {
	Query  *models.Query
	Plan   *models.QueryPlan
	Result *lake.Result
	File   string // an export, in a staging folder the caller removes (Dir)
	Dir    string
}

// runQuery plans, records and runs a query for the signed-in person.
// Planning refusals (no access, a bad pin) are recorded too and returned
// as they are; failures in the sandbox are recorded and returned as
// *lake.SQLError, *lake.LimitError or errQueryCancelled.
func (s *Server) runQuery(c echo.Context, job queryJob) (*queryOutcome, error) {
	ctx := c.Request().Context()
	u := currentUser(c)
	lim := s.Opts.Query.withDefaults()
	if s.Opts.Sandbox == nil {
		return nil, models.Invalid("sql", "Queries are off on this server (no sandbox).")
	}
	plan, err := s.Store.PlanQuery(ctx, u, job.SQL, job.Pins)
	var noAccess *models.NoAccessError
	var invalid *models.ValidationError
	if errors.As(err, &noAccess) || errors.As(err, &invalid) {
		q, rerr := s.Store.RecordQuery(ctx, u, models.QueryRecord{SQL: job.SQL, Source: job.Source, SavedID: job.SavedID, Refused: err})
		if rerr == nil && invalid != nil {
			_, msg := invalid.First() // the sentence, without "invalid input: sql:"
			rerr = s.Store.FinishQuery(ctx, q, models.QueryFailed, 0, 0, msg)
		}
		return nil, errors.Join(err, rerr)
	}
	if err != nil {
		return nil, err
	}
	runCtx, done, err := s.queries.enter(ctx, u.ID, job.Token, lim.PerUser)
	if err != nil {
		return nil, err
	}
	defer done()
	q, err := s.Store.RecordQuery(ctx, u, models.QueryRecord{SQL: job.SQL, Source: job.Source, SavedID: job.SavedID, Plan: plan})
	if err != nil {
		return nil, err
	}
	out := &queryOutcome{Query: q, Plan: plan}
	inputs := make([]lake.Input, 0, len(plan.Tables))
	for _, t := range plan.Tables {
		files, ferr := s.Lake.SnapshotFiles(t.Product.Domain.Slug, t.Product.Slug, t.Port.Slug, t.Snapshot.Name)
		if ferr != nil {
			err = fmt.Errorf("the files of %s snapshot %s are missing from the lake", t.View, t.Snapshot.Name)
			break
		}
		inputs = append(inputs, lake.Input{Name: t.View, Paths: files, Format: "parquet"})
	}
	limits := lake.Limits{Memory: lim.Memory, Threads: lim.Threads, Timeout: lim.Timeout, MaxRows: lim.MaxRows}
	if job.MaxRows > 0 && job.MaxRows < lim.MaxRows {
		limits.MaxRows = job.MaxRows
	}
	start := time.Now()
	if err == nil && job.Export == "" {
		out.Result, err = s.Opts.Sandbox.QueryAs(runCtx, fmt.Sprintf("user:%d", u.ID), inputs, plan.SQL, limits)
	} else if err == nil {
		if out.Dir, err = s.Lake.StagingDir("export-" + models.NewSecret(8)); err == nil {
			out.File = filepath.Join(out.Dir, "result."+job.Export)
			out.Result, err = s.Opts.Sandbox.Materialize(runCtx, inputs, plan.SQL, out.File, limits)
		}
	}
	took := time.Since(start)
	var sqlErr *lake.SQLError
	if errors.As(err, &sqlErr) { // a misspelled product, or one without its domain: say what names are
		if msg, xerr := s.Store.ExplainMissingTable(ctx, sqlErr.Message); xerr == nil && msg != "" {
			sqlErr.Message = msg
		}
	}
	status, rows, msg := models.QuerySucceeded, int64(0), ""
	if out.Result != nil {
		rows, took = out.Result.RowCount, out.Result.Elapsed
	}
	if err != nil {
		status, msg = models.QueryFailed, err.Error()
		if errors.Is(context.Cause(runCtx), errQueryCancelled) {
			status, msg, err = models.QueryCancelled, errQueryCancelled.Error(), errQueryCancelled
		}
		var crash *lake.CrashError
		if errors.As(err, &crash) {
			s.log.Warn("query sandbox crashed", "query", q.ID, "reason", crash.Reason, "output", crash.Output)
			err = &lake.LimitError{Limit: "crash", Message: "The query stopped unexpectedly (the sandbox process ended: " + crash.Reason + "). It may have needed more memory than its limit."}
			msg = err.Error()
		}
		if out.Dir != "" {
			os.RemoveAll(out.Dir)
			out.Dir, out.File = "", ""
		}
	}
	if ferr := s.Store.FinishQuery(context.WithoutCancel(ctx), q, status, rows, took, msg); ferr != nil {
		return nil, ferr
	}
	return out, err
}

// QueryPage is the workbench.
func (s *Server) QueryPage(c echo.Context) error {
	w, err := s.workbench(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, query.Page(s.shell(c, "Query", views.NavQuery), *w))
}

// QueryShared opens a saved query by its link, to run with the opener's
// own grants.
func (s *Server) QueryShared(c echo.Context) error {
	sq, err := s.Store.SavedQueryByToken(c.Request().Context(), c.Param("token"))
	if err != nil {
		return err
	}
	w, err := s.workbench(c)
	if err != nil {
		return err
	}
	opened := savedView(sq, currentUser(c))
	w.Opened, w.SQL = &opened, sq.SQL
	return render(c, http.StatusOK, query.Page(s.shell(c, sq.Name, views.NavQuery), *w))
}

func (s *Server) workbench(c echo.Context) (*query.Workbench, error) {
	ctx := c.Request().Context()
	u := currentUser(c)
	tables, err := s.Store.QueryCatalog(ctx, u)
	if err != nil {
		return nil, err
	}
	lim := s.Opts.Query.withDefaults()
	w := &query.Workbench{SQL: c.QueryParam("sql"), Limits: query.Limits{Timeout: lim.Timeout, MaxRows: lim.MaxRows, Memory: lim.Memory, Concurrent: lim.PerUser}}
	for _, t := range tables {
		qt := query.Table{View: t.View, Product: t.Product.Name, ProductPath: t.Product.Path(), Domain: t.Product.Domain.Name,
			Port: t.Port.Slug, Classification: t.Product.Classification, Basis: t.Basis, Snapshot: t.Snapshot.Name,
			SnapshotAt: t.Snapshot.CreatedAt, Rows: t.Snapshot.Rows}
		if t.Grant != nil {
			qt.GrantExpires = &t.Grant.ExpiresAt
		}
		for _, col := range t.Port.Columns {
			qt.Columns = append(qt.Columns, query.Column{Name: col.Name, Type: col.Type, Description: col.Description})
		}
		w.Tables = append(w.Tables, qt)
	}
	if w.History, err = s.history(c); err != nil {
		return nil, err
	}
	saved, err := s.Store.SavedQueries(ctx, u)
	if err != nil {
		return nil, err
	}
	for i := range saved {
		w.Saved = append(w.Saved, savedView(&saved[i], u))
	}
	return w, nil
}

// history is the signed-in person's last queries, for the workbench.
func (s *Server) history(c echo.Context) ([]query.HistoryItem, error) {
	qs, _, err := s.Store.Queries(c.Request().Context(), models.QueryFilter{UserID: currentUser(c).ID, Per: 25})
	if err != nil {
		return nil, err
	}
	saved, err := s.savedOf(c.Request().Context(), qs)
	if err != nil {
		return nil, err
	}
	items := make([]query.HistoryItem, len(qs))
	for i := range qs {
		items[i] = historyItem(&qs[i], saved)
	}
	return items, nil
}

func historyItem(q *models.Query, saved map[uint]models.SavedQuery) query.HistoryItem {
	h := query.HistoryItem{ID: q.ID, SQL: q.SQL, Status: q.Status, Rows: q.Rows, Duration: time.Duration(q.DurationMS) * time.Millisecond,
		StartedAt: q.StartedAt, Error: q.Error}
	for _, r := range q.Reads {
		h.Products = append(h.Products, r.View)
	}
	if q.SavedQueryID != nil {
		if sq, ok := saved[*q.SavedQueryID]; ok {
			h.SavedName, h.SavedToken = sq.Name, sq.Token
		}
	}
	return h
}

// savedOf loads the saved queries qs ran from, for historyItem.
func (s *Server) savedOf(ctx context.Context, qs []models.Query) (map[uint]models.SavedQuery, error) {
	var ids []uint
	for _, q := range qs {
		if q.SavedQueryID != nil {
			ids = append(ids, *q.SavedQueryID)
		}
	}
	return s.Store.SavedQueriesByID(ctx, ids)
}

func savedView(sq *models.SavedQuery, u *models.User) query.Saved {
	return query.Saved{Token: sq.Token, Name: sq.Name, SQL: sq.SQL, Author: sq.User.DisplayName(), Mine: sq.UserID == u.ID, UpdatedAt: sq.UpdatedAt}
}

// QueryRun runs the editor's SQL and answers the results fragment; every
// failure is shown in the fragment, with a 200 so htmx swaps it in.
func (s *Server) QueryRun(c echo.Context) error {
	var savedID *uint
	if token := c.FormValue("saved"); token != "" {
		if sq, err := s.Store.SavedQueryByToken(c.Request().Context(), token); err == nil {
			savedID = &sq.ID
		}
	}
	job := queryJob{SQL: c.FormValue("sql"), Source: models.QuerySourceBrowser, Token: c.FormValue("run"), SavedID: savedID}
	out, err := s.runQuery(c, job)
	r := query.Result{SQL: job.SQL}
	if out != nil {
		r.QueryID = out.Query.ID
		r.Reads = readsView(out.Plan)
		if out.Result != nil {
			r.Columns, r.Rows, r.RowCount, r.More, r.Duration = out.Result.Columns, out.Result.Rows, out.Result.RowCount, out.Result.Truncated, out.Result.Elapsed
		}
	}
	if err != nil && !describeQueryError(err, &r) {
		return err
	}
	// The history list beside the editor follows, swapped out of band.
	items, err := s.history(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, templ.Join(query.Results(r), query.HistoryListOOB(items)))
}

// describeQueryError fills in r for the errors a person can act on; false
// for the others (the error page takes them).
func describeQueryError(err error, r *query.Result) bool {
	var noAccess *models.NoAccessError
	var invalid *models.ValidationError
	var sqlErr *lake.SQLError
	var limit *lake.LimitError
	var busy *busyError
	switch {
	case errors.As(err, &noAccess):
		r.ErrorKind, r.AccessName, r.AccessPath = "access", noAccess.Product, noAccess.Path
		r.Error = sentence(noAccess.Error())
	case errors.As(err, &invalid):
		_, msg := invalid.First()
		r.ErrorKind, r.Error = "input", msg
	case errors.As(err, &sqlErr):
		r.ErrorKind, r.Error = "sql", sqlErr.Message
	case errors.As(err, &limit):
		r.ErrorKind, r.Error = "limit", limit.Message
	case errors.As(err, &busy):
		r.ErrorKind, r.Error = "busy", busy.Error()
	case errors.Is(err, errQueryCancelled):
		r.ErrorKind, r.Error = "cancelled", "The query was cancelled."
	default:
		return false
	}
	return true
}

func readsView(plan *models.QueryPlan) []query.Read {
	if plan == nil {
		return nil
	}
	out := make([]query.Read, 0, len(plan.Tables))
	for _, t := range plan.Tables {
		out = append(out, query.Read{View: t.View, Product: t.Product.Name, ProductPath: t.Product.Path(), Port: t.Port.Slug,
			Snapshot: t.Snapshot.Name, SnapshotAt: t.Snapshot.CreatedAt, Pinned: t.Pinned, Basis: t.Basis})
	}
	return out
}

// QueryCancel stops the signed-in person's query run under the form's
// token.
func (s *Server) QueryCancel(c echo.Context) error {
	if !s.queries.cancel(currentUser(c).ID, c.FormValue("run")) {
		return c.NoContent(http.StatusNoContent)
	}
	return c.NoContent(http.StatusAccepted)
}

// QueryExport runs the editor's SQL to a file of the chosen format and
// sends it whole.
func (s *Server) QueryExport(c echo.Context) error {
	format := c.FormValue("format")
	if _, ok := exportTypes[format]; !ok {
		return models.Invalid("format", "Choose csv, parquet or json.")
	}
	return s.sendExport(c, queryJob{SQL: c.FormValue("sql"), Source: models.QuerySourceBrowser, Export: format})
}

// sendExport runs job to a file and streams it as an attachment.
func (s *Server) sendExport(c echo.Context, job queryJob) error {
	out, err := s.runQuery(c, job)
	if err != nil {
		return err // classify gives SQL mistakes and limits 422, busy 429
	}
	defer os.RemoveAll(out.Dir)
	c.Response().Header().Set(echo.HeaderContentType, exportTypes[job.Export])
	c.Response().Header().Set("X-Plaza-Query", strconv.FormatUint(uint64(out.Query.ID), 10))
	return c.Attachment(out.File, fmt.Sprintf("query-%d.%s", out.Query.ID, job.Export))
}

// QuerySave saves the editor's SQL under a name and answers the list of
// saved queries.
func (s *Server) QuerySave(c echo.Context) error {
	u := currentUser(c)
	ctx := c.Request().Context()
	_, err := s.Store.SaveQuery(ctx, u, "", c.FormValue("name"), c.FormValue("sql"))
	var invalid *models.ValidationError
	if errors.As(err, &invalid) {
		_, msg := invalid.First()
		return render(c, http.StatusOK, query.SavedError(msg))
	}
	if err != nil {
		return err
	}
	return s.renderSaved(c, u)
}

func (s *Server) renderSaved(c echo.Context, u *models.User) error {
	saved, err := s.Store.SavedQueries(c.Request().Context(), u)
	if err != nil {
		return err
	}
	items := make([]query.Saved, len(saved))
	for i := range saved {
		items[i] = savedView(&saved[i], u)
	}
	csrf, _ := c.Get(ctxCSRF).(string)
	return render(c, http.StatusOK, query.SavedList(items, csrf))
}

// QuerySavedDelete deletes one of the person's saved queries.
func (s *Server) QuerySavedDelete(c echo.Context) error {
	u := currentUser(c)
	if err := s.Store.DeleteSavedQuery(c.Request().Context(), u, c.Param("token")); err != nil {
		return err
	}
	if c.Request().Header.Get("HX-Request") == "" {
		return c.Redirect(http.StatusSeeOther, "/query")
	}
	return s.renderSaved(c, u)
}

// AdminQueries is every query, for admins.
func (s *Server) AdminQueries(c echo.Context) error {
	page, _ := strconv.Atoi(c.QueryParam("page"))
	text := strings.TrimSpace(c.QueryParam("q"))
	qs, pages, err := s.Store.Queries(c.Request().Context(), models.QueryFilter{Text: text, Page: page})
	if err != nil {
		return err
	}
	saved, err := s.savedOf(c.Request().Context(), qs)
	if err != nil {
		return err
	}
	rows := make([]query.AuditRow, len(qs))
	for i := range qs {
		q := &qs[i]
		rows[i] = query.AuditRow{HistoryItem: historyItem(q, saved), User: q.User.DisplayName(), UserEmail: q.User.Email, Source: q.Source}
		for _, r := range q.Reads {
			rows[i].Reads = append(rows[i].Reads, query.Read{View: r.View, Port: r.Port, Snapshot: r.Snapshot, Pinned: r.Pinned, Basis: r.Basis})
		}
	}
	return render(c, http.StatusOK, query.AdminLog(s.shell(c, "Queries", views.NavAdmin), rows, text, max(page, 1), pages))
}
