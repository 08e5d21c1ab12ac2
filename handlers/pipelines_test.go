package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"plaza/models"
)

// Pipeline fixtures, made through the Store as a person would.

// walkPipelineForm defines the walk product's daily port from landing files.
func walkPipelineForm() url.Values {
	return f("sql", "SELECT order_id FROM orders", "schedule", models.ScheduleManual,
		"inputs[0].name", "orders", "inputs[0].kind", "landing", "inputs[0].landing", "pos/*.csv")
}

// walkPipeline defines the pipeline of the walk product's daily port.
func (e *env) walkPipeline(t *testing.T) *models.Pipeline {
	t.Helper()
	return e.definePipeline(t, adminEmail, "sales/"+walkProduct, models.PipelineSpec{Port: "daily", SQL: "SELECT order_id FROM orders",
		Inputs: []models.PipelineInputSpec{{Name: "orders", Landing: "pos/*.csv"}}})
}

// walkRun queues a run of the walk pipeline.
func (e *env) walkRun(t *testing.T) *models.Run {
	t.Helper()
	return e.queueRun(t, adminEmail, e.walkPipeline(t))
}

func (e *env) definePipeline(t *testing.T, email, product string, spec models.PipelineSpec) *models.Pipeline {
	t.Helper()
	pl, err := e.Store.SavePipeline(context.Background(), e.user(email), e.productAt(t, product), spec)
	if err != nil {
		t.Fatalf("define pipeline of %s: %v", product, err)
	}
	return pl
}

func (e *env) queueRun(t *testing.T, email string, pl *models.Pipeline) *models.Run {
	t.Helper()
	r, err := e.Store.EnqueueRun(context.Background(), e.user(email), pl, models.RunRequest{Trigger: models.TriggerManual})
	if err != nil {
		t.Fatalf("run pipeline %d: %v", pl.ID, err)
	}
	return r
}

// finishRun records a run's outcome as the runner would.
func (e *env) finishRun(t *testing.T, r *models.Run, out models.RunOutcome) {
	t.Helper()
	if _, err := e.Store.FinishRun(context.Background(), r, out); err != nil {
		t.Fatalf("finish run %d: %v", r.ID, err)
	}
}

// pipelineProduct is a product of sales/sales-analytics (owner ownerEmail,
// member memberEmail) with one port, a 24-hour freshness promise and
// quality rules, in status.
func (e *env) pipelineProduct(t *testing.T, slug, status string) *models.Product {
	t.Helper()
	ctx := context.Background()
	p, err := e.Store.CreateProduct(ctx, e.user(adminEmail), "sales", models.ProductInput{Slug: slug, Name: "Store revenue", Team: "sales-analytics",
		Classification: models.ClassInternal, Version: "1.0.0", FreshnessHours: 24,
		OutputPorts: []models.PortInput{{Slug: "daily", Name: "Daily revenue", Format: "parquet", Columns: []models.ColumnInput{
			{Name: "order_date", Type: "date"}, {Name: "store_id", Type: "string"}, {Name: "revenue", Type: "decimal", Nullable: true}}}},
		Quality: []models.QualityRuleInput{
			{Port: "daily", Column: "order_date", Kind: "not_null", Blocking: true},
			{Port: "daily", Kind: "row_count", Description: "At least one row a day.", Spec: `{"min":1}`},
		}})
	if err != nil {
		t.Fatalf("create %s: %v", slug, err)
	}
	if status != models.StatusDraft {
		if p, err = e.Store.SetProductStatus(ctx, e.user(adminEmail), p, status, ""); err != nil {
			t.Fatal(err)
		}
	}
	return e.productAt(t, "sales/"+slug)
}

// TestPipelineInTheBrowser goes through the pages as an owner would:
// define a pipeline with a landing and an upstream input (bad input first),
// run it, run it again while queued, watch the log, cancel; and as a
// reader outside the team, who reads everything and may do nothing.
func TestPipelineInTheBrowser(t *testing.T) {
	eachDB(t, pipelineInTheBrowser)
}

func pipelineInTheBrowser(t *testing.T, e *env) {
	p := e.pipelineProduct(t, "store-revenue", models.StatusPublished)
	owner, outsider, member := e.as(ownerEmail), e.as(userEmail), e.as(memberEmail)
	formPath := p.Path() + "/pipelines/daily"

	if pg := owner.get(p.Path()); !pg.Has("define-pipeline") || !strings.Contains(pg.Text("freshness-daily"), "not published yet") {
		t.Fatalf("product page as owner: %q", pg.Text("pipelines-card"))
	}
	if pg := outsider.get(p.Path()); pg.Has("define-pipeline") || !strings.Contains(pg.Text("freshness-daily"), "No pipeline") {
		t.Errorf("product page as outsider: %q", pg.Text("pipelines-card"))
	}

	form := owner.get(formPath)
	if form.Status != http.StatusOK || !form.Has("field-sql") || !form.Has("input-0") {
		t.Fatalf("form: %d", form.Status)
	}
	if !strings.Contains(form.Text("port-schema"), "order_date") || !strings.Contains(form.Text("port-rules"), "At least one row a day.") {
		t.Errorf("the form shows schema %q and rules %q", form.Text("port-schema"), form.Text("port-rules"))
	}
	if n := form.Doc.Find(`datalist#port-refs option[value="sales/orders/daily"]`).Length(); n != 1 {
		t.Errorf("the upstream picker offers sales/orders/daily %d times", n)
	}

	// Bad input: every message beside its field, the blank row in between
	// dropped so the upstream's error lands on the row that shows it.
	bad := owner.post(formPath, f("sql", "", "schedule", "cron", "cron", "every morning",
		"inputs[0].name", "Orders!", "inputs[0].kind", "landing", "inputs[0].landing", "../secrets/*.csv",
		"inputs[1].name", "", "inputs[1].kind", "landing", "inputs[1].landing", "",
		"inputs[2].name", "upstream", "inputs[2].kind", "upstream", "inputs[2].upstream", "sales/no-such-product/daily"))
	if bad.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad form: %d", bad.Status)
	}
	for _, id := range []string{"error-sql", "error-cron", "error-inputs[0].name", "error-inputs[0].landing", "error-inputs[1].upstream"} {
		if bad.Text(id) == "" {
			t.Errorf("no %s on the refused form", id)
		}
	}
	if v := bad.Doc.Find(`input[name="inputs[1].upstream"]`).AttrOr("value", ""); v != "sales/no-such-product/daily" {
		t.Errorf("row 1 shows upstream %q", v)
	}
	if v := bad.Doc.Find(`input[name="inputs[0].name"]`).AttrOr("value", ""); v != "Orders!" {
		t.Errorf("what was typed is lost: %q", v)
	}
	if n := e.count(&models.Pipeline{}, "product_id = ?", p.ID); n != 0 {
		t.Fatalf("a refused form wrote %d pipelines", n)
	}

	// "Add another input" shows the form again with one more empty row.
	more := owner.post(formPath, f("sql", "SELECT 1", "add_input", "1",
		"inputs[0].name", "orders", "inputs[0].kind", "landing", "inputs[0].landing", "pos/*.csv",
		"inputs[1].name", "", "inputs[1].kind", "landing"))
	if more.Status != http.StatusOK || !more.Has("input-2") || more.Has("input-3") || more.Has("form-error") {
		t.Errorf("add input: %d, rows 2 %v 3 %v", more.Status, more.Has("input-2"), more.Has("input-3"))
	}
	if n := e.count(&models.Pipeline{}, "product_id = ?", p.ID); n != 0 {
		t.Fatalf("adding a row saved the pipeline")
	}

	good := f("sql", "SELECT order_date, store_id, sum(amount) AS revenue FROM orders GROUP BY ALL", "schedule", "cron", "cron", "0 6 * * *",
		"timeout_seconds", "300", "memory_mb", "512", "retention", "5",
		"inputs[0].name", "orders", "inputs[0].kind", "landing", "inputs[0].landing", "pos/*.csv", "inputs[0].format", "csv",
		"inputs[1].name", "sales.orders", "inputs[1].kind", "upstream", "inputs[1].upstream", "sales/orders/daily",
		"inputs[2].name", "", "inputs[2].kind", "landing")
	// Outside the team nobody may save, whatever they send.
	if got := outsider.post(formPath, good); got.Status != http.StatusForbidden {
		t.Errorf("outsider saves: %d", got.Status)
	}
	if got := member.post(formPath, good); got.Status != http.StatusForbidden {
		t.Errorf("a member who is not an owner saves: %d", got.Status)
	}
	saved := owner.post(formPath, good)
	if saved.Status != http.StatusSeeOther || !strings.HasPrefix(saved.Location, "/pipelines/") {
		t.Fatalf("save: %d to %q: %s", saved.Status, saved.Location, saved.Text("form-error"))
	}
	var pl models.Pipeline
	if err := e.DB.Preload("Inputs").Where("product_id = ? AND port = ?", p.ID, "daily").First(&pl).Error; err != nil {
		t.Fatal(err)
	}
	if len(pl.Inputs) != 2 || pl.Inputs[1].UpstreamProductID == nil || pl.Inputs[0].Landing != "pos/*.csv" || pl.Cron != "0 6 * * *" ||
		pl.NextRunAt == nil || pl.TimeoutSeconds != 300 || pl.Retention != 5 {
		t.Fatalf("saved pipeline: %+v", pl)
	}
	plPath := fmt.Sprintf("/pipelines/%d", pl.ID)
	if saved.Location != plPath {
		t.Errorf("saved to %s, want %s", saved.Location, plPath)
	}
	show := owner.get(plPath)
	if show.Status != http.StatusOK || !strings.Contains(show.Text("flash"), "saved") || !show.Has("run-now") || !show.Has("edit-pipeline") ||
		!strings.Contains(show.Text("inputs"), "sales/orders/daily") || !strings.Contains(show.Text("schedule"), "0 6 * * *") {
		t.Fatalf("pipeline page: %d, flash %q, inputs %q, schedule %q", show.Status, show.Text("flash"), show.Text("inputs"), show.Text("schedule"))
	}
	again := owner.get(formPath)
	if v := again.Doc.Find(`input[name="inputs[1].upstream"]`).AttrOr("value", ""); v != "sales/orders/daily" ||
		again.Doc.Find(`select[name="inputs[1].kind"] option[selected]`).AttrOr("value", "") != "upstream" {
		t.Errorf("the form does not show the saved upstream input: %q", v)
	}

	// Run now: one queued run, the run page; a second click while it waits
	// points at the same run and writes nothing.
	run := owner.post(plPath+"/runs", nil)
	if run.Status != http.StatusSeeOther || !strings.HasPrefix(run.Location, "/runs/") {
		t.Fatalf("run now: %d to %q", run.Status, run.Location)
	}
	var r models.Run
	if err := e.DB.Where("pipeline_id = ?", pl.ID).First(&r).Error; err != nil {
		t.Fatal(err)
	}
	runPath := fmt.Sprintf("/runs/%d", r.ID)
	if r.Status != models.RunQueued || r.Trigger != models.TriggerManual || run.Location != runPath {
		t.Fatalf("run: %+v, sent to %s", r, run.Location)
	}
	second := owner.post(plPath+"/runs", nil)
	if second.Status != http.StatusSeeOther || second.Location != runPath {
		t.Errorf("second run now: %d to %q", second.Status, second.Location)
	}
	if msg := owner.get(runPath).Text("flash"); !strings.Contains(msg, "already queued") {
		t.Errorf("second run now says %q", msg)
	}
	if n := e.count(&models.Run{}, "pipeline_id = ?", pl.ID); n != 1 {
		t.Fatalf("%d runs after two clicks, want 1", n)
	}

	// The run page polls its live part while the run is active.
	page := owner.get(runPath)
	live := page.Doc.Find(`[data-testid="run-live"]`)
	if live.AttrOr("hx-get", "") != runPath+"/log" || live.AttrOr("hx-trigger", "") != "every 2s" ||
		page.Text("run-status") != models.RunQueued || !page.Has("cancel-run") {
		t.Errorf("run page: status %q, hx-get %q, trigger %q", page.Text("run-status"), live.AttrOr("hx-get", ""), live.AttrOr("hx-trigger", ""))
	}
	if err := e.Store.AppendRunLog(context.Background(), r.ID, "reading orders from landing/sales/pos/*.csv"); err != nil {
		t.Fatal(err)
	}
	frag, _ := owner.send(http.MethodGet, runPath+"/log", nil, http.Header{"HX-Request": {"true"}})
	if frag.Status != http.StatusOK || !strings.Contains(frag.Text("run-log"), "reading orders from landing") ||
		strings.Contains(frag.Body, "<html") || frag.Doc.Find(`[data-testid="run-live"][hx-trigger]`).Length() != 1 {
		t.Errorf("log fragment: %d %q", frag.Status, frag.Text("run-log"))
	}

	// Outside the team: every page reads, nothing runs, nothing cancels.
	if pg := outsider.get(plPath); pg.Status != http.StatusOK || pg.Has("run-now") || pg.Has("edit-pipeline") || !pg.Has("runs") {
		t.Errorf("outsider's pipeline page: %d, run now %v", pg.Status, pg.Has("run-now"))
	}
	if pg := outsider.get(runPath); pg.Status != http.StatusOK || pg.Has("cancel-run") {
		t.Errorf("outsider's run page: %d, cancel %v", pg.Status, pg.Has("cancel-run"))
	}
	if got := outsider.get(formPath); got.Status != http.StatusForbidden {
		t.Errorf("outsider's form: %d", got.Status)
	}
	if got := outsider.post(plPath+"/runs", nil); got.Status != http.StatusForbidden {
		t.Errorf("outsider runs: %d", got.Status)
	}
	if got := outsider.post(runPath+"/cancel", nil); got.Status != http.StatusForbidden {
		t.Errorf("outsider cancels: %d", got.Status)
	}
	if got := member.get(plPath); !got.Has("run-now") || got.Has("edit-pipeline") {
		t.Errorf("a member sees run now %v and edit %v", got.Has("run-now"), got.Has("edit-pipeline"))
	}

	// The owner cancels; the live part stops polling.
	cancelled := owner.post(runPath+"/cancel", nil)
	if cancelled.Status != http.StatusSeeOther || cancelled.Location != runPath {
		t.Fatalf("cancel: %d to %q", cancelled.Status, cancelled.Location)
	}
	if err := e.DB.First(&r, r.ID).Error; err != nil || r.Status != models.RunCancelled {
		t.Fatalf("after cancel: %q %v", r.Status, err)
	}
	frag, _ = owner.send(http.MethodGet, runPath+"/log", nil, http.Header{"HX-Request": {"true"}})
	if frag.Doc.Find(`[hx-trigger]`).Length() != 0 || frag.Text("run-status") != models.RunCancelled || frag.Has("cancel-run") {
		t.Errorf("finished run still polls: status %q", frag.Text("run-status"))
	}
	if got := owner.post(runPath+"/cancel", nil); got.Status != http.StatusSeeOther {
		t.Errorf("cancelling a cancelled run: %d", got.Status)
	}

	// Listings and the product page.
	list := owner.get("/pipelines")
	if !list.Has(fmt.Sprintf("pipeline-%d", pl.ID)) || !strings.Contains(list.Text(fmt.Sprintf("pipeline-%d", pl.ID)), "cancelled") {
		t.Errorf("owner's pipelines: %q", list.Text("pipelines"))
	}
	if other := owner.get("/pipelines?domain=customer"); other.Has(fmt.Sprintf("pipeline-%d", pl.ID)) {
		t.Errorf("the domain filter keeps a sales pipeline")
	}
	if none := outsider.get("/pipelines"); none.Status != http.StatusOK || !none.Has("empty") || none.Has("pipelines") {
		t.Errorf("pipelines of someone in no team: %d", none.Status)
	}
	card := owner.get(p.Path())
	if !card.Has("pipeline-link") || !strings.Contains(card.Text("freshness-daily"), "last run cancelled") {
		t.Errorf("product card: %q", card.Text("freshness-daily"))
	}
}

// fakeRuns records the runs the server asks to start.
type fakeRuns struct {
	mu  sync.Mutex
	ids []uint
}

func (q *fakeRuns) Enqueue(_ context.Context, id uint) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ids = append(q.ids, id)
	return nil
}

// TestRunNowStartsTheJob: with a run queue, Run now starts the run's job.
func TestRunNowStartsTheJob(t *testing.T) {
	db := freshSQLite(t)
	q := &fakeRuns{}
	e := serveStore(t, db, models.NewStore(db), func(o *Options) { o.Runs = q })
	pl := e.walkPipeline(t)
	got := e.as(memberEmail).post(fmt.Sprintf("/pipelines/%d/runs", pl.ID), nil)
	if got.Status != http.StatusSeeOther {
		t.Fatalf("run now: %d", got.Status)
	}
	var r models.Run
	if err := e.DB.Where("pipeline_id = ?", pl.ID).First(&r).Error; err != nil {
		t.Fatal(err)
	}
	if len(q.ids) != 1 || q.ids[0] != r.ID {
		t.Errorf("jobs started: %v, want [%d]", q.ids, r.ID)
	}
}

// TestPipelineOfDraftIsHidden: a draft's pipeline and runs are 404 to
// everyone but its team's owners and admins, like the draft itself.
func TestPipelineOfDraftIsHidden(t *testing.T) {
	e := freshEnv(t)
	p := e.pipelineProduct(t, "draft-revenue", models.StatusDraft)
	pl := e.definePipeline(t, ownerEmail, "sales/"+p.Slug, models.PipelineSpec{Port: "daily", SQL: "SELECT 1",
		Inputs: []models.PipelineInputSpec{{Name: "orders", Landing: "pos/*.csv"}}})
	r := e.queueRun(t, ownerEmail, pl)
	paths := []string{fmt.Sprintf("/pipelines/%d", pl.ID), fmt.Sprintf("/runs/%d", r.ID), fmt.Sprintf("/runs/%d/log", r.ID), p.Path() + "/pipelines/daily"}
	for _, path := range paths {
		for email, want := range map[string]int{userEmail: http.StatusNotFound, analystMail: http.StatusNotFound, ownerEmail: http.StatusOK, adminEmail: http.StatusOK} {
			if got := e.as(email).get(path).Status; got != want {
				t.Errorf("%s as %s: %d, want %d", path, email, got, want)
			}
		}
	}
	if got := e.as(userEmail).post(fmt.Sprintf("/runs/%d/cancel", r.ID), nil).Status; got != http.StatusNotFound {
		t.Errorf("an outsider cancels a draft's run: %d", got)
	}
	if list := e.as(userEmail).get("/pipelines"); list.Has(fmt.Sprintf("pipeline-%d", pl.ID)) {
		t.Errorf("an outsider's list shows a draft's pipeline")
	}
}

// TestRunPageShowsChecks: a finished run shows its check results with a
// sample of the failing rows, and no longer polls.
func TestRunPageShowsChecks(t *testing.T) {
	e := freshEnv(t)
	r := e.walkRun(t)
	e.finishRun(t, r, models.RunOutcome{Status: models.RunFailed, Error: "A blocking check failed: not null on order_id.", Checks: []models.CheckResult{
		{Name: "not null on order_id", Kind: "not_null", Column: "order_id", Blocking: true, Passed: false, FailingRows: 3,
			Sample: `[{"order_id":null,"amount":12.5,"store":"S001"},{"order_id":null,"amount":7,"store":"S002"}]`},
		{Name: "row count", Kind: "row_count", Passed: true},
	}})
	page := e.as(userEmail).get(fmt.Sprintf("/runs/%d", r.ID))
	if page.Status != http.StatusOK || page.Text("run-status") != models.RunFailed || page.Doc.Find("[hx-trigger]").Length() != 0 {
		t.Fatalf("run page: %d %q", page.Status, page.Text("run-status"))
	}
	if !strings.Contains(page.Text("run-error"), "blocking check failed") {
		t.Errorf("error shown: %q", page.Text("run-error"))
	}
	failed := page.Doc.Find(`[data-testid="check-0"]`)
	if !strings.Contains(failed.Text(), "failed") || !strings.Contains(failed.Text(), "blocking") || !strings.Contains(failed.Text(), "3") {
		t.Errorf("check 0: %q", failed.Text())
	}
	var heads []string
	failed.Find(`[data-testid="sample"] th`).Each(func(_ int, s *goquery.Selection) { heads = append(heads, s.Text()) })
	if strings.Join(heads, ",") != "order_id,amount,store" || !strings.Contains(failed.Find(`[data-testid="sample"] td`).Text(), "NULL") {
		t.Errorf("sample columns %v, cells %q", heads, failed.Find(`[data-testid="sample"] td`).Text())
	}
	if !strings.Contains(page.Text("check-1"), "passed") {
		t.Errorf("check 1: %q", page.Text("check-1"))
	}
	list := e.as(ownerEmail).get("/pipelines")
	if counts := list.Text("check-counts"); !strings.Contains(counts, "1 passed") || !strings.Contains(counts, "1 failed") {
		t.Errorf("check counts in the list: %q", counts)
	}
}

// TestRunAcceptingTheSchema: after a run failed on schema drift the team
// is offered a run that accepts the new schema, and that run asks for it.
func TestRunAcceptingTheSchema(t *testing.T) {
	e := freshEnv(t)
	r := e.walkRun(t)
	e.finishRun(t, r, models.RunOutcome{Status: models.RunFailed,
		Error: "The output does not match the port's schema: column amount (decimal) is new."})
	path := fmt.Sprintf("/pipelines/%d", r.PipelineID)
	if pg := e.as(userEmail).get(path); pg.Has("run-accept-schema") {
		t.Errorf("an outsider is offered to accept the schema")
	}
	pg := e.as(memberEmail).get(path)
	if !pg.Has("run-accept-schema") || !pg.Has("schema-drift") {
		t.Fatalf("a member is not offered to accept the schema")
	}
	got := e.as(memberEmail).post(path+"/runs", f("accept_schema", "true"))
	if got.Status != http.StatusSeeOther {
		t.Fatalf("run accepting the schema: %d", got.Status)
	}
	var next models.Run
	if err := e.DB.Where("pipeline_id = ? AND status = ?", r.PipelineID, models.RunQueued).First(&next).Error; err != nil || !next.AcceptSchema {
		t.Errorf("the new run accepts the schema: %v %v", next.AcceptSchema, err)
	}
}

// TestProductFreshness: the product page says fresh while the current
// snapshot is younger than the SLA, stale after; the pipeline page lists
// the snapshot.
func TestProductFreshness(t *testing.T) {
	e := freshEnv(t)
	p := e.pipelineProduct(t, "fresh-revenue", models.StatusPublished)
	pl := e.definePipeline(t, ownerEmail, "sales/"+p.Slug, models.PipelineSpec{Port: "daily", SQL: "SELECT 1",
		Inputs: []models.PipelineInputSpec{{Name: "orders", Landing: "pos/*.csv"}}})
	r := e.queueRun(t, ownerEmail, pl)
	e.finishRun(t, r, models.RunOutcome{Status: models.RunSucceeded, Rows: 1234567, Bytes: 4_200_000,
		Snapshot: &models.Snapshot{Name: "20261127T060000Z-r1", Rows: 1234567, Bytes: 4_200_000}})
	reader := e.as(userEmail)
	if got := reader.get(p.Path()).Text("freshness-daily"); !strings.Contains(got, "fresh") || !strings.Contains(got, "last run succeeded") {
		t.Errorf("just published: %q", got)
	}
	show := reader.get(fmt.Sprintf("/pipelines/%d", pl.ID))
	if snap := show.Text("snapshots"); !strings.Contains(snap, "20261127T060000Z-r1") || !strings.Contains(snap, "1,234,567") || !strings.Contains(snap, "current") {
		t.Errorf("snapshots: %q", snap)
	}
	later := time.Now().Add(30 * time.Hour)
	e.Store.Now = func() time.Time { return later }
	if got := reader.get(p.Path()).Text("freshness-daily"); !strings.Contains(got, "stale") {
		t.Errorf("30 hours later: %q", got)
	}
}
