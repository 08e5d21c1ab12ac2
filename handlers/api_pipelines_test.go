package handlers

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"

	"plaza/models"
	"plaza/models/dbtest"
)

// uploadRaw sends body as the raw body of an API landing upload. A reader
// without a known length goes out chunked, with no Content-Length.
func (c *client) uploadRaw(path, token string, body io.Reader) apiResp {
	c.t.Helper()
	resp := c.do(http.MethodPost, path, body, http.Header{"Authorization": {"Bearer " + token},
		"Content-Type": {"application/octet-stream"}, "Accept": {"application/json"}})
	p := c.read(resp)
	return apiResp{Status: p.Status, Header: resp.Header, Body: p.Body}
}

// TestAPILandingUploadAndList: a domain's member uploads raw files through
// the API (beyond the forms' 4 MB, up to the upload limit), lists them with
// what the sandbox already found, and is told which field is wrong; a file
// over the limit is refused whole, announced or not; outsiders get nothing.
func TestAPILandingUploadAndList(t *testing.T) {
	db := freshSQLite(t)
	const limit = 5 << 20
	e := serveStore(t, db, models.NewStore(db), withSandbox(t, limit))
	hannah := e.anon()
	token := e.token(memberEmail)

	csv := "order_id,store_id,amount\nA1,ST001,19.99\nA2,ST002,5.50\n"
	up := hannah.uploadRaw("/api/v1/landing/sales?path=shop/orders/orders-1.csv", token, strings.NewReader(csv))
	if up.Status != http.StatusCreated {
		t.Fatalf("upload: %d %s", up.Status, up.Body)
	}
	file := decode[landingFileJSON](t, up.Body)
	if file.Path != "shop/orders/orders-1.csv" || file.Size != int64(len(csv)) || file.Format != "csv" || file.Modified.IsZero() {
		t.Errorf("uploaded file: %+v", file)
	}
	if got := up.Header.Get("Location"); got != "/api/v1/landing/sales?path=shop%2Forders%2Forders-1.csv" {
		t.Errorf("Location %q", got)
	}
	if b, err := os.ReadFile(e.Srv.Lake.Dir + "/landing/sales/shop/orders/orders-1.csv"); err != nil || string(b) != csv {
		t.Fatalf("the lake holds %q, %v", b, err)
	}

	// Past the 4 MB every other request may send, under the upload limit.
	big := strings.Repeat("x,y\n", (4<<20+4096)/4)
	if r := hannah.uploadRaw("/api/v1/landing/sales?path=big.csv", token, strings.NewReader(big)); r.Status != http.StatusCreated {
		t.Errorf("a 4 MB upload: %d %.200s", r.Status, r.Body)
	}

	list := hannah.call("GET", "/api/v1/landing/sales", token, "")
	got := decode[struct {
		Domain    string            `json:"domain"`
		MaxUpload int64             `json:"max_upload"`
		Files     []landingFileJSON `json:"files"`
	}](t, list.Body)
	if list.Status != http.StatusOK || got.Domain != "sales" || got.MaxUpload != limit || len(got.Files) != 2 ||
		got.Files[1].Path != "shop/orders/orders-1.csv" || got.Files[1].Rows != nil {
		t.Fatalf("list: %d %+v", list.Status, got)
	}
	// Once the browser inspected the file, the list says its rows and columns.
	if p := e.as(memberEmail).get("/landing/sales/stats?path=shop/orders/orders-1.csv"); !strings.Contains(p.Body, "2 rows") {
		t.Fatalf("stats: %s", p.Body)
	}
	got.Files = decode[struct {
		Files []landingFileJSON `json:"files"`
	}](t, hannah.call("GET", "/api/v1/landing/sales", token, "").Body).Files
	if f := got.Files[1]; f.Rows == nil || *f.Rows != 2 || len(f.Columns) != 3 || f.Columns[2].Name != "amount" {
		t.Errorf("inspected file: %+v", f)
	}

	tooBig := strings.Repeat("a", limit+1)
	for name, body := range map[string]io.Reader{
		"announced": strings.NewReader(tooBig),                                                      // Content-Length says so: refused before reading
		"chunked":   io.MultiReader(strings.NewReader(tooBig[:10]), strings.NewReader(tooBig[10:])), // found while streaming
	} {
		r := hannah.uploadRaw("/api/v1/landing/sales?path=huge-"+name+".csv", token, body)
		if r.Status != http.StatusRequestEntityTooLarge || apiErrorOf(t, r).Code != "too_large" ||
			!strings.Contains(apiErrorOf(t, r).Message, "5.0 MiB") {
			t.Errorf("%s too large: %d %s", name, r.Status, r.Body)
		}
		if _, err := os.Stat(e.Srv.Lake.Dir + "/landing/sales/huge-" + name + ".csv"); err == nil {
			t.Errorf("%s: a refused upload left its file", name)
		}
	}

	for _, target := range []string{"", "notes.docx", "../customer/x.csv", "/etc/x.csv", "shop/.hidden.csv", "shop/orders/orders-1.csv/x.csv"} {
		r := hannah.uploadRaw("/api/v1/landing/sales?path="+target, token, strings.NewReader("a\n1\n"))
		if r.Status != http.StatusUnprocessableEntity || apiErrorOf(t, r).Field != "path" {
			t.Errorf("path %q: %d %s", target, r.Status, r.Body)
		}
	}
	if _, err := os.Stat(e.Srv.Lake.Dir + "/landing/customer/x.csv"); err == nil {
		t.Errorf("an upload escaped the domain's folder")
	}

	leo := e.token(userEmail)
	if r := hannah.call("GET", "/api/v1/landing/sales", leo, ""); r.Status != http.StatusForbidden {
		t.Errorf("outsider lists: %d", r.Status)
	}
	if r := hannah.uploadRaw("/api/v1/landing/sales?path=a.csv", leo, strings.NewReader("a\n1\n")); r.Status != http.StatusForbidden {
		t.Errorf("outsider uploads: %d", r.Status)
	}
	if r := hannah.call("GET", "/api/v1/landing/nowhere", e.token(adminEmail), ""); r.Status != http.StatusNotFound {
		t.Errorf("unknown domain: %d", r.Status)
	}
	if n := e.count(&models.AuditEvent{}, "action = ?", "landing.upload"); n != 2 {
		t.Errorf("%d uploads audited, want 2", n)
	}
}

// TestAPIPipelineFlow defines a pipeline over the API (a bad spec first),
// triggers runs (one at a time), reads, lists and cancels them, on SQLite
// and Postgres.
func TestAPIPipelineFlow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		q := &fakeRuns{}
		apiPipelineFlow(t, newEnv(t, db, func(o *Options) { o.Runs = q }), q)
	})
}

func apiPipelineFlow(t *testing.T, e *env, q *fakeRuns) {
	p := e.pipelineProduct(t, "api-revenue", models.StatusPublished)
	c := e.anon()
	owner, member, outsider := e.token(ownerEmail), e.token(memberEmail), e.token(userEmail)
	put := "/api/v1/products/sales/" + p.Slug + "/pipelines/daily"
	spec := `{"sql":"SELECT order_date, store_id, sum(amount) AS revenue FROM orders GROUP BY ALL","inputs":[{"name":"orders","landing":"pos/*.csv"}]}`

	for _, tc := range []struct {
		who, body, field string
		status           int
	}{
		{owner, `{"sql":"SELECT 1","inputs":[{"name":"orders","landing":"../secrets/*.csv"}]}`, "inputs[0].landing", http.StatusUnprocessableEntity},
		{owner, `{"sql":"SELECT 1","inputs":[{"name":"orders","upstream":"sales/no-such/daily"}]}`, "inputs[0].upstream", http.StatusUnprocessableEntity},
		{owner, `{"port":"weekly","sql":"SELECT 1","inputs":[{"name":"orders","landing":"pos/*.csv"}]}`, "port", http.StatusUnprocessableEntity},
		{owner, `{"sql":"SELECT 1","is_admin":true}`, "", http.StatusBadRequest},
		{member, spec, "", http.StatusForbidden},
		{outsider, spec, "", http.StatusForbidden},
	} {
		r := c.call("PUT", put, tc.who, tc.body)
		if r.Status != tc.status || apiErrorOf(t, r).Field != tc.field {
			t.Errorf("PUT %s: %d %s, want %d on %q", tc.body, r.Status, r.Body, tc.status, tc.field)
		}
	}
	if n := e.count(&models.Pipeline{}, "product_id = ?", p.ID); n != 0 {
		t.Fatalf("refused PUTs wrote %d pipelines", n)
	}
	if r := c.call("PUT", "/api/v1/products/sales/"+p.Slug+"/pipelines/weekly", owner, spec); r.Status != http.StatusNotFound {
		t.Errorf("PUT to a port that does not exist: %d", r.Status)
	}

	r := c.call("PUT", put, owner, spec)
	if r.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	pl := decode[pipelineDetailJSON](t, r.Body)
	plPath := fmt.Sprintf("/api/v1/pipelines/%d", pl.ID)
	if r.Header.Get("Location") != plPath || pl.Port != "daily" || pl.Schedule != models.ScheduleManual || len(pl.Inputs) != 1 ||
		pl.Product.Slug != p.Slug || !pl.CanEdit || !pl.CanRun || pl.LastRun != nil || pl.Retention != models.DefaultRetention {
		t.Fatalf("created: %s, Location %q", r.Body, r.Header.Get("Location"))
	}
	r = c.call("PUT", put, owner, `{"sql":"SELECT 1 AS x","schedule":"cron","cron":"0 6 * * *","inputs":[{"name":"orders","landing":"pos/*.csv"},{"name":"sales.orders","upstream":"sales/orders/daily"}]}`)
	if again := decode[pipelineDetailJSON](t, r.Body); r.Status != http.StatusOK || again.ID != pl.ID || again.Cron != "0 6 * * *" ||
		again.NextRunAt == nil || len(again.Inputs) != 2 || again.Inputs[1].Upstream != "sales/orders/daily" {
		t.Fatalf("replace: %d %s", r.Status, r.Body)
	}

	// Everyone who can see the product reads the pipeline; the team runs it.
	if r := c.call("GET", plPath, outsider, ""); r.Status != http.StatusOK {
		t.Errorf("outsider reads: %d", r.Status)
	} else if got := decode[pipelineDetailJSON](t, r.Body); got.CanRun || got.CanEdit || got.SQL != "SELECT 1 AS x" {
		t.Errorf("outsider's view: %s", r.Body)
	}
	for query, want := range map[string]bool{"": true, "?domain=sales": true, "?team=sales/sales-analytics": true,
		"?domain=customer": false, "?team=sales/order-management": false} {
		r := c.call("GET", "/api/v1/pipelines"+query, outsider, "")
		found := false
		for _, x := range decode[struct {
			Pipelines []pipelineJSON `json:"pipelines"`
		}](t, r.Body).Pipelines {
			found = found || x.ID == pl.ID
		}
		if r.Status != http.StatusOK || found != want {
			t.Errorf("list%s: %d, lists the pipeline %v, want %v", query, r.Status, found, want)
		}
	}
	if r := c.call("GET", "/api/v1/pipelines?team=sales", outsider, ""); apiErrorOf(t, r).Field != "team" {
		t.Errorf("a team without its domain: %d %s", r.Status, r.Body)
	}
	if r := c.call("GET", "/api/v1/pipelines?team=sales/nope", outsider, ""); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("an unknown team: %d", r.Status)
	}

	// Trigger: 202 with a queued run whose job is started; a second while
	// it waits is a 409 that names it.
	if r := c.call("POST", plPath+"/runs", outsider, ""); r.Status != http.StatusForbidden {
		t.Errorf("outsider triggers: %d", r.Status)
	}
	r = c.call("POST", plPath+"/runs", member, "")
	first := decode[runDetailJSON](t, r.Body)
	runPath := fmt.Sprintf("/api/v1/runs/%d", first.ID)
	if r.Status != http.StatusAccepted || first.Status != models.RunQueued || first.Trigger != models.TriggerManual ||
		r.Header.Get("Location") != runPath || first.Pipeline != pl.ID || first.RequestedBy == nil || first.RequestedBy.Email != memberEmail || !first.CanCancel {
		t.Fatalf("trigger: %d %s", r.Status, r.Body)
	}
	if len(q.ids) != 1 || q.ids[0] != first.ID {
		t.Errorf("jobs started: %v, want [%d]", q.ids, first.ID)
	}
	r = c.call("POST", plPath+"/runs", owner, `{"accept_schema":true}`)
	conflict := decode[struct {
		Error struct {
			Code    string   `json:"code"`
			Message string   `json:"message"`
			Run     *runJSON `json:"run"`
		} `json:"error"`
	}](t, r.Body).Error
	if r.Status != http.StatusConflict || conflict.Code != "conflict" || conflict.Run == nil || conflict.Run.ID != first.ID ||
		!strings.Contains(conflict.Message, fmt.Sprintf("Run %d", first.ID)) {
		t.Errorf("second trigger: %d %s", r.Status, r.Body)
	}
	if n := e.count(&models.Run{}, "pipeline_id = ?", pl.ID); n != 1 || len(q.ids) != 1 {
		t.Fatalf("%d runs and %d jobs after two triggers, want 1", n, len(q.ids))
	}

	// Read and cancel: outsiders read, the team cancels, once.
	if r := c.call("GET", runPath, outsider, ""); r.Status != http.StatusOK {
		t.Errorf("outsider reads the run: %d", r.Status)
	} else if got := decode[runDetailJSON](t, r.Body); got.CanCancel || got.Status != models.RunQueued || got.Product == nil || got.Port != "daily" {
		t.Errorf("outsider's run: %s", r.Body)
	}
	if r := c.call("POST", runPath+"/cancel", outsider, ""); r.Status != http.StatusForbidden {
		t.Errorf("outsider cancels: %d", r.Status)
	}
	r = c.call("POST", runPath+"/cancel", member, "")
	if got := decode[runDetailJSON](t, r.Body); r.Status != http.StatusOK || got.Status != models.RunCancelled || got.FinishedAt == nil || got.CanCancel {
		t.Errorf("cancel: %d %s", r.Status, r.Body)
	}
	if r := c.call("POST", runPath+"/cancel", member, ""); r.Status != http.StatusConflict {
		t.Errorf("cancel again: %d %s", r.Status, r.Body)
	}
	r = c.call("POST", plPath+"/runs", owner, `{"accept_schema":true}`)
	second := decode[runDetailJSON](t, r.Body)
	if r.Status != http.StatusAccepted || !second.AcceptSchema || second.ID == first.ID {
		t.Fatalf("trigger after cancelling: %d %s", r.Status, r.Body)
	}

	// Listing: newest first, by pipeline and status, a page at a time.
	type runList struct {
		Runs []runJSON `json:"runs"`
		More bool      `json:"more"`
	}
	pipe := fmt.Sprintf("pipeline=%d", pl.ID)
	for query, want := range map[string][]uint{
		pipe:                              {second.ID, first.ID},
		pipe + "&status=cancelled":        {first.ID},
		pipe + "&status=queued":           {second.ID},
		pipe + "&per_page=1":              {second.ID},
		pipe + "&per_page=1&page=2":       {first.ID},
		pipe + "&per_page=1&page=3":       {},
		pipe + "&status=succeeded&page=1": {},
	} {
		r := c.call("GET", "/api/v1/runs?"+query, outsider, "")
		got := decode[runList](t, r.Body)
		var ids []uint
		for _, run := range got.Runs {
			ids = append(ids, run.ID)
			if run.Product == nil || run.Product.Slug == "" {
				t.Errorf("runs?%s: run %d names no product", query, run.ID)
			}
		}
		if r.Status != http.StatusOK || fmt.Sprint(ids) != fmt.Sprint(want) || (query == pipe+"&per_page=1") != got.More {
			t.Errorf("runs?%s: %d %v more %v, want %v", query, r.Status, ids, got.More, want)
		}
	}
	// Without a pipeline, every visible pipeline's runs (the demo may have its own).
	for query, want := range map[string]uint{"status=queued": second.ID, "status=cancelled&per_page=200": first.ID} {
		var ids []uint
		for _, run := range decode[runList](t, c.call("GET", "/api/v1/runs?"+query, outsider, "").Body).Runs {
			ids = append(ids, run.ID)
		}
		if !slices.Contains(ids, want) || slices.Contains(ids, first.ID+second.ID-want) {
			t.Errorf("runs?%s: %v, want %d and not the other", query, ids, want)
		}
	}
	for query, field := range map[string]string{"status=done": "status", "pipeline=abc": "pipeline", "pipeline=999999": "pipeline"} {
		if r := c.call("GET", "/api/v1/runs?"+query, outsider, ""); apiErrorOf(t, r).Field != field {
			t.Errorf("runs?%s: %d %s", query, r.Status, r.Body)
		}
	}
	if got := decode[pipelineDetailJSON](t, c.call("GET", plPath, owner, "").Body); got.LastRun == nil || got.LastRun.ID != second.ID {
		t.Errorf("last run: %+v", got.LastRun)
	}
}

// TestAPIRunChecks: a finished run answers its checks with failing rows
// and samples, its error and its log.
func TestAPIRunChecks(t *testing.T) {
	e := freshEnv(t)
	r := e.walkRun(t)
	if err := e.Store.AppendRunLog(context.Background(), r.ID, "reading orders from landing/sales/pos/*.csv"); err != nil {
		t.Fatal(err)
	}
	e.finishRun(t, r, models.RunOutcome{Status: models.RunFailed, Error: "A blocking check failed: not null on order_id.", Rows: 42, Bytes: 1234,
		Checks: []models.CheckResult{
			{Name: "not null on order_id", Kind: "not_null", Column: "order_id", Blocking: true, FailingRows: 3,
				Sample: `[{"order_id":null,"amount":12.5},{"order_id":null,"amount":7}]`},
			{Name: "row count", Kind: "row_count", Passed: true},
		}})
	resp := e.anon().call("GET", fmt.Sprintf("/api/v1/runs/%d", r.ID), e.token(userEmail), "")
	got := decode[struct {
		runDetailJSON
		Checks []struct {
			Name        string           `json:"name"`
			Blocking    bool             `json:"blocking"`
			Passed      bool             `json:"passed"`
			FailingRows int64            `json:"failing_rows"`
			Sample      []map[string]any `json:"sample"`
		} `json:"checks"`
	}](t, resp.Body)
	if resp.Status != http.StatusOK || got.Status != models.RunFailed || got.Rows != 42 || got.Bytes != 1234 || got.ChecksFailed != 1 ||
		got.ChecksPassed != 1 || !strings.Contains(got.Error, "blocking check failed") || !strings.Contains(got.Log, "reading orders") {
		t.Fatalf("run: %d %s", resp.Status, resp.Body)
	}
	if len(got.Checks) != 2 || got.Checks[0].FailingRows != 3 || !got.Checks[0].Blocking || got.Checks[0].Passed ||
		len(got.Checks[0].Sample) != 2 || got.Checks[0].Sample[0]["amount"] != 12.5 || !got.Checks[1].Passed || got.Checks[1].Sample == nil {
		t.Errorf("checks: %s", resp.Body)
	}
}

// TestAPIDraftPipelineIsHidden: a draft's pipeline and runs do not exist
// for people outside its team's owners, in every listing too.
func TestAPIDraftPipelineIsHidden(t *testing.T) {
	e := freshEnv(t)
	p := e.pipelineProduct(t, "draft-revenue", models.StatusDraft)
	pl := e.definePipeline(t, ownerEmail, "sales/"+p.Slug, models.PipelineSpec{Port: "daily", SQL: "SELECT 1",
		Inputs: []models.PipelineInputSpec{{Name: "orders", Landing: "pos/*.csv"}}})
	r := e.queueRun(t, ownerEmail, pl)
	c := e.anon()
	for email, want := range map[string]int{userEmail: http.StatusNotFound, memberEmail: http.StatusNotFound, ownerEmail: http.StatusOK, adminEmail: http.StatusOK} {
		token := e.token(email)
		for _, path := range []string{fmt.Sprintf("/api/v1/pipelines/%d", pl.ID), fmt.Sprintf("/api/v1/runs/%d", r.ID)} {
			if got := c.call("GET", path, token, ""); got.Status != want {
				t.Errorf("%s as %s: %d, want %d", path, email, got.Status, want)
			}
		}
		list := c.call("GET", "/api/v1/pipelines?domain=sales", token, "").Body
		runs := c.call("GET", "/api/v1/runs?status=queued", token, "").Body
		listed := strings.Contains(list, `"slug":"draft-revenue"`) || strings.Contains(runs, `"slug":"draft-revenue"`)
		if listed != (want == http.StatusOK) {
			t.Errorf("as %s the draft's pipeline or run is listed: %v", email, listed)
		}
	}
	outsider := e.token(userEmail)
	if got := c.call("POST", fmt.Sprintf("/api/v1/runs/%d/cancel", r.ID), outsider, ""); got.Status != http.StatusNotFound {
		t.Errorf("outsider cancels a draft's run: %d", got.Status)
	}
	if got := c.call("GET", fmt.Sprintf("/api/v1/runs?pipeline=%d", pl.ID), outsider, ""); got.Status != http.StatusUnprocessableEntity {
		t.Errorf("outsider filters by a draft's pipeline: %d", got.Status)
	}
	if got := c.call("PUT", "/api/v1/products/sales/draft-revenue/pipelines/daily", outsider, `{"sql":"SELECT 1"}`); got.Status != http.StatusNotFound {
		t.Errorf("outsider defines a draft's pipeline: %d", got.Status)
	}
}

// TestAPISnapshotsAndDownload: everyone who sees the product lists its
// snapshots; downloading one follows access like the browser: refused
// without a grant (naming the product), sent with one, refused again once
// it is revoked; each download audited.
func TestAPISnapshotsAndDownload(t *testing.T) {
	db := freshSQLite(t)
	e := serveStore(t, db, models.NewStore(db), withSandbox(t, 0))
	publishWalk(t, e)
	c := e.anon()
	leo, hannah := e.token(userEmail), e.token(memberEmail)

	r := c.call("GET", "/api/v1/products/sales/"+walkProduct+"/snapshots", leo, "")
	list := decode[struct {
		Product   productRefJSON `json:"product"`
		Snapshots []snapshotJSON `json:"snapshots"`
	}](t, r.Body)
	if r.Status != http.StatusOK || list.Product.Slug != walkProduct || len(list.Snapshots) != 1 {
		t.Fatalf("snapshots: %d %s", r.Status, r.Body)
	}
	snap := list.Snapshots[0]
	if snap.Port != "daily" || !snap.Current || snap.Rows != 2 || snap.Bytes == 0 || snap.Run == nil || snap.CreatedAt.IsZero() ||
		snap.Download != "/api/v1/products/sales/"+walkProduct+"/ports/daily/download?snapshot="+snap.Name {
		t.Errorf("snapshot: %+v", snap)
	}
	if r := c.call("GET", "/api/v1/products/sales/"+walkProduct+"/snapshots?port=weekly", leo, ""); apiErrorOf(t, r).Field != "port" {
		t.Errorf("snapshots of a port that does not exist: %d %s", r.Status, r.Body)
	}

	if r := c.call("GET", snap.Download, hannah, ""); r.Status != http.StatusOK || !strings.HasPrefix(r.Body, "PAR1") {
		t.Errorf("the team's parquet download: %d %.20q", r.Status, r.Body)
	}
	csv := snap.Download + "&format=csv"
	r = c.call("GET", csv, leo, "")
	if er := apiErrorOf(t, r); r.Status != http.StatusForbidden || er.Code != "no_access" || !strings.Contains(er.Message, "sales."+walkProduct) {
		t.Errorf("without a grant: %d %s", r.Status, r.Body)
	}
	g := e.grantFor(t, userEmail, "sales/"+walkProduct)
	if r := c.call("GET", csv, leo, ""); r.Status != http.StatusOK || r.Body != "order_id\nA1\nA2\n" {
		t.Errorf("with a grant: %d %q", r.Status, r.Body)
	}
	if _, err := e.Store.RevokeGrant(context.Background(), e.user(ownerEmail), g.ID, "Done."); err != nil {
		t.Fatal(err)
	}
	if r := c.call("GET", csv, leo, ""); r.Status != http.StatusForbidden || apiErrorOf(t, r).Code != "no_access" {
		t.Errorf("after revocation: %d %s", r.Status, r.Body)
	}
	if r := c.call("GET", snap.Download+"x", hannah, ""); r.Status != http.StatusNotFound {
		t.Errorf("a snapshot that does not exist: %d", r.Status)
	}
	if n := e.count(&models.AuditEvent{}, "action = ? AND after LIKE ?", "product.download", `%"grant":`+idStr(g.ID)+`%`); n != 1 {
		t.Errorf("%d downloads audited with Leo's grant, want 1", n)
	}
	if n := e.count(&models.AuditEvent{}, "action = ?", "product.download"); n != 2 {
		t.Errorf("%d downloads audited, want 2", n)
	}
}
