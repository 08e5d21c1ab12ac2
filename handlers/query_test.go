package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"plaza/lake"
	"plaza/models"
	"plaza/models/dbtest"
)

// publishCSV publishes port of product ("<domain>/<product>") from a CSV
// the way a run does (a pipeline's run, the sandbox, staging, rename,
// commit), without River, as ownerEmail.
func publishCSV(t *testing.T, e *env, ownerEmail, product, port, csv string) *models.Snapshot {
	t.Helper()
	ctx := context.Background()
	owner := e.user(ownerEmail)
	p := e.productAt(t, product)
	folder := p.Slug + "-" + port
	if _, err := e.Srv.Lake.SaveLanding(p.Domain.Slug, folder+"/data.csv", strings.NewReader(csv), 1<<20); err != nil {
		t.Fatal(err)
	}
	pl, err := e.Store.SavePipeline(ctx, owner, p, models.PipelineSpec{Port: port, SQL: "SELECT * FROM src",
		Inputs: []models.PipelineInputSpec{{Name: "src", Landing: folder + "/*.csv"}}})
	if err != nil {
		t.Fatal(err)
	}
	run, err := e.Store.EnqueueRun(ctx, owner, pl, models.RunRequest{Trigger: models.TriggerManual})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Store.StartRun(ctx, run.ID); err != nil {
		t.Fatal(err)
	}
	files, err := e.Srv.Lake.ResolveLanding(p.Domain.Slug, folder+"/*.csv")
	if err != nil {
		t.Fatal(err)
	}
	staging, err := e.Srv.Lake.StagingDir(fmt.Sprintf("run-%d", run.ID))
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Srv.Opts.Sandbox.Materialize(ctx, []lake.Input{{Name: "src", Paths: files}}, pl.SQL,
		filepath.Join(staging, "data.parquet"), lake.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	name := lake.SnapshotName(e.Store.Now(), run.ID)
	if _, err := e.Srv.Lake.Publish(staging, p.Domain.Slug, p.Slug, port, name); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.FinishRun(ctx, run, models.RunOutcome{Status: models.RunSucceeded, Rows: res.RowCount, Bytes: res.Bytes,
		Snapshot: &models.Snapshot{Name: name, Rows: res.RowCount, Bytes: res.Bytes}}); err != nil {
		t.Fatal(err)
	}
	snap, err := e.Store.CurrentSnapshot(ctx, p.ID, port)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// queryEnv is a server with a sandbox and two products of two domains
// published: sales.returns and marketing.campaigns, both internal (a
// grant needed), and the public finance.fiscal_calendar.
func queryEnv(t *testing.T, opts ...func(*Options)) *env {
	t.Helper()
	db := freshSQLite(t)
	return queryEnvOn(t, db, models.NewStore(db), opts...)
}

// queryEnvOn is queryEnv on a store of one's own, seeded with the demo.
func queryEnvOn(t *testing.T, db *gorm.DB, store *models.Store, opts ...func(*Options)) *env {
	t.Helper()
	e := serveStore(t, db, store, append([]func(*Options){withSandbox(t, 0)}, opts...)...)
	publishCSV(t, e, ownerEmail, "sales/returns", "daily", "order_id,amount\nA1,10\nA2,20\nA3,5\n")
	publishCSV(t, e, "marco.silva@northwind.example", "marketing/campaigns", "current", "order_id,campaign\nA1,spring\nA2,summer\n")
	publishCSV(t, e, "tom.becker@northwind.example", "finance/fiscal-calendar", "daily", "day,fiscal_week\n2026-11-27,48\n")
	return e
}

const joinSQL = "SELECT r.order_id, c.campaign, r.amount FROM sales.returns r JOIN marketing.campaigns c USING (order_id) ORDER BY 1"

func queryBody(sql string) string {
	b, _ := json.Marshal(map[string]any{"sql": sql})
	return string(b)
}

// TestQueryJoinsTwoDomainsWithGrants: Leo joins products of two domains
// once he holds a grant on each; before, the error names the product he
// lacks and where to ask; a revocation between two queries takes effect on
// the second. Every query is recorded with what it read and why. On each
// database.
func TestQueryJoinsTwoDomainsWithGrants(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		store := models.NewStore(db)
		if err := store.SeedDemo(context.Background()); err != nil {
			t.Fatal(err)
		}
		queryJoins(t, queryEnvOn(t, db, store))
	})
}

func queryJoins(t *testing.T, e *env) {
	leo := e.token(userEmail)
	c := e.anon()
	returnsQueries := func() int { // from the rollup, the demo's history included
		t.Helper()
		ctx := context.Background()
		p, err := e.Store.ProductBySlug(ctx, "sales", "returns")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Store.RollupStats(ctx); err != nil {
			t.Fatal(err)
		}
		st, err := e.Store.ProductStats(ctx, p, 30)
		if err != nil {
			t.Fatal(err)
		}
		return st.Queries
	}
	before := returnsQueries()

	r := c.call("POST", "/api/v1/query", leo, queryBody(joinSQL))
	if body := apiErrorOf(t, r); r.Status != http.StatusForbidden || body.Code != "no_access" ||
		!strings.Contains(body.Message, "No access to sales.returns: request it at /products/sales/returns") {
		t.Fatalf("without grants: %d %+v", r.Status, body)
	}
	e.grantFor(t, userEmail, "sales/returns")
	r = c.call("POST", "/api/v1/query", leo, queryBody(joinSQL))
	if body := apiErrorOf(t, r); r.Status != http.StatusForbidden || !strings.Contains(body.Message, "marketing.campaigns") {
		t.Fatalf("with one grant: %d %+v", r.Status, body)
	}
	g := e.grantFor(t, userEmail, "marketing/campaigns")
	r = c.call("POST", "/api/v1/query", leo, queryBody(joinSQL))
	if r.Status != http.StatusOK {
		t.Fatalf("with both grants: %d %s", r.Status, r.Body)
	}
	res := decode[queryResultJSON](t, r.Body)
	if got, _ := json.Marshal(res.Rows); string(got) != `[["A1","spring",10],["A2","summer",20]]` || res.RowCount != 2 ||
		len(res.Columns) != 3 || res.Columns[2].Type != "BIGINT" {
		t.Errorf("rows %s, columns %+v", got, res.Columns)
	}
	if len(res.Reads) != 2 || res.Reads[0].Basis != models.BasisGrant || res.Reads[1].Grant == nil || *res.Reads[1].Grant != g.ID || res.Reads[0].Snapshot == "" {
		t.Errorf("reads %+v", res.Reads)
	}

	// The whole result as CSV, by Accept.
	resp := c.do("POST", "/api/v1/query", strings.NewReader(queryBody(joinSQL)), http.Header{
		"Authorization": {"Bearer " + leo}, "Content-Type": {"application/json"}, "Accept": {"text/csv"}})
	csv, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(csv) != "order_id,campaign,amount\nA1,spring,10\nA2,summer,20\n" {
		t.Errorf("CSV: %d %q", resp.StatusCode, csv)
	}

	// Revoked between two queries: the second is refused.
	if _, err := e.Store.RevokeGrant(context.Background(), e.user("marco.silva@northwind.example"), g.ID, "Campaign over."); err != nil {
		t.Fatal(err)
	}
	r = c.call("POST", "/api/v1/query", leo, queryBody(joinSQL))
	if body := apiErrorOf(t, r); r.Status != http.StatusForbidden || !strings.Contains(body.Message, "marketing.campaigns") {
		t.Fatalf("after revocation: %d %+v", r.Status, body)
	}

	// Public products need no grant; SQL mistakes name the position.
	r = c.call("POST", "/api/v1/query", leo, queryBody("SELECT fiscal_week FROM finance.fiscal_calendar"))
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `"basis":"open"`) {
		t.Errorf("public product: %d %s", r.Status, r.Body)
	}
	r = c.call("POST", "/api/v1/query", leo, queryBody("SELECT fiscal_wek FROM finance.fiscal_calendar"))
	if body := apiErrorOf(t, r); r.Status != http.StatusUnprocessableEntity || body.Code != "sql_error" || body.Field != "sql" ||
		!strings.Contains(body.Message, "fiscal_wek") {
		t.Errorf("SQL mistake: %d %+v", r.Status, body)
	}

	// Recorded: refused, succeeded and failed queries, with their reads.
	mine := decode[struct {
		Queries []queryJSON `json:"queries"`
	}](t, c.call("GET", "/api/v1/queries", leo, "").Body).Queries
	var statuses []string
	for _, q := range mine[:min(7, len(mine))] { // then the demo's history
		statuses = append(statuses, q.Status)
	}
	if got := strings.Join(statuses, " "); got != "failed succeeded refused succeeded succeeded refused refused" {
		t.Errorf("Leo's queries, newest first: %s", got)
	}
	if len(mine) > 3 && strings.Join(mine[3].Reads, ",") != "sales.returns,marketing.campaigns" {
		t.Errorf("reads of the join: %v", mine[3].Reads)
	}
	// The owner sees how the product is used: the join and the CSV export.
	if after := returnsQueries(); after != before+2 {
		t.Errorf("the returns were queried %d times, then %d: want the join and the CSV export more", before, after)
	}
	if use := e.as(ownerEmail).get("/products/sales/returns").Text("health-queries"); !strings.HasPrefix(use, strconv.Itoa(before+2)+" by ") {
		t.Errorf("the usage line %q, want %d queries", use, before+2)
	}

	// A misspelled product, and one without its domain, get the name to use.
	for sql, want := range map[string]string{
		"SELECT * FROM finance.fiscal_calender": "finance.fiscal_calender is not a data product you can query here. Did you mean finance.fiscal_calendar?",
		"SELECT * FROM fiscal_calendar":         "fiscal_calendar is not a data product: products are named <domain>.<product>. Did you mean finance.fiscal_calendar?",
		"SELECT * FROM nothing.like_it":         "nothing.like_it is not a data product you can query here. The Tables list",
	} {
		r = c.call("POST", "/api/v1/query", leo, queryBody(sql))
		if body := apiErrorOf(t, r); r.Status != http.StatusUnprocessableEntity || body.Code != "sql_error" || !strings.HasPrefix(body.Message, want) {
			t.Errorf("%s: %d %+v, want %q", sql, r.Status, body, want)
		}
	}
}

// TestQueryWorkbenchInTheBrowser: the page lists what Leo may query; a run
// answers a results fragment with the snapshots read; an access error
// links to the request form; exports stream; a saved query opened by
// someone else runs with their own grants.
func TestQueryWorkbenchInTheBrowser(t *testing.T) {
	e := queryEnv(t)
	e.grantFor(t, userEmail, "sales/returns")
	e.grantFor(t, userEmail, "marketing/campaigns")
	leo, hannah := e.as(userEmail), e.as(memberEmail)

	page := leo.get("/query")
	for _, view := range []string{"sales.returns", "marketing.campaigns", "finance.fiscal_calendar"} {
		if !strings.Contains(page.Body, view) {
			t.Errorf("the schema browser lacks %s", view)
		}
	}
	if strings.Contains(hannah.get("/query").Body, "marketing.campaigns") {
		t.Errorf("Hannah is shown marketing.campaigns without a grant")
	}

	res := leo.post("/query/run", f("sql", joinSQL, "run", "t1"))
	if rows := res.Text("query-rows"); !strings.Contains(rows, "spring") || !strings.Contains(rows, "summer") {
		t.Errorf("results: %s", res.Body)
	}
	if reads := res.Text("query-reads"); !strings.Contains(reads, "sales.returns") || !strings.Contains(reads, "marketing.campaigns") {
		t.Errorf("reads: %q", reads)
	}
	res = hannah.post("/query/run", f("sql", joinSQL, "run", "t2"))
	if msg := res.Text("query-error"); res.Status != http.StatusOK || !strings.Contains(msg, "marketing.campaigns") ||
		res.Doc.Find(`a[href="/products/marketing/campaigns"]`).Length() == 0 {
		t.Errorf("Hannah's access error: %d %q", res.Status, msg)
	}
	res = leo.post("/query/run", f("sql", "SELECT nope FROM sales.returns", "run", "t3"))
	if msg := res.Text("query-error"); !strings.Contains(msg, "nope") {
		t.Errorf("SQL error: %q", msg)
	}

	exp := leo.post("/query/export", f("sql", joinSQL, "format", "json"))
	if exp.Status != http.StatusOK || !strings.HasPrefix(exp.Type, "application/json") || !strings.Contains(exp.Body, `"campaign":"spring"`) {
		t.Errorf("JSON export: %d %s %q", exp.Status, exp.Type, exp.Body)
	}
	exp = leo.post("/query/export", f("sql", joinSQL, "format", "parquet"))
	if exp.Status != http.StatusOK || !strings.HasPrefix(exp.Body, "PAR1") {
		t.Errorf("Parquet export: %d %.10q", exp.Status, exp.Body)
	}

	leo.post("/query/saved", f("name", "Returns by campaign", "sql", joinSQL))
	saved, err := e.Store.SavedQueries(context.Background(), e.user(userEmail))
	if err != nil || len(saved) != 1 {
		t.Fatalf("saved: %v %v", saved, err)
	}
	shared := hannah.get("/query/s/" + saved[0].Token)
	if shared.Status != http.StatusOK || !strings.Contains(shared.Body, "Returns by campaign") || !strings.Contains(shared.Body, "marketing.campaigns c USING") {
		t.Errorf("the shared query: %d", shared.Status)
	}
	res = hannah.post("/query/run", f("sql", saved[0].SQL, "saved", saved[0].Token, "run", "t4"))
	if !strings.Contains(res.Text("query-error"), "marketing.campaigns") {
		t.Errorf("the shared query ran with its author's grants: %s", res.Body)
	}
	if from := hannah.get("/query").Text("history-saved"); from != "from Returns by campaign" {
		t.Errorf("Hannah's history says %q of the run of the shared query, want its name", from)
	}
	if p := hannah.post("/query/saved/"+saved[0].Token+"/delete", nil); p.Status != http.StatusForbidden {
		t.Errorf("Hannah deleted Leo's saved query: %d", p.Status)
	}

	admin := e.as(adminEmail).get("/admin/queries?q=leo")
	if admin.Status != http.StatusOK || !strings.Contains(admin.Body, "marketing.campaigns c USING") {
		t.Errorf("admins' query log: %d", admin.Status)
	}
	if p := leo.get("/admin/queries"); p.Status != http.StatusForbidden {
		t.Errorf("Leo reads the query log: %d", p.Status)
	}
}

// TestQueryEscapesThroughTheEndpoint runs the sandbox's escape attempts
// through POST /api/v1/query, as the owner of sales.returns: each fails,
// and nothing outside the product's snapshot leaks.
func TestQueryEscapesThroughTheEndpoint(t *testing.T) {
	e := queryEnv(t)
	token := e.token(ownerEmail)
	lk := e.Srv.Lake.Dir
	secretDir := t.TempDir()
	secret := filepath.Join(secretDir, "secret.csv")
	if err := os.WriteFile(secret, []byte("name\nTOPSECRET-outside\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	campaigns, err := filepath.Glob(filepath.Join(lk, "products", "marketing", "campaigns", "current", "*", "*.parquet"))
	if err != nil || len(campaigns) != 1 {
		t.Fatalf("the other product's file: %v %v", campaigns, err)
	}
	landing := filepath.Join(lk, "landing", "sales", "returns-daily", "data.csv")
	escapes := []string{
		"SELECT * FROM read_text('" + secret + "')",
		"SELECT * FROM read_blob('" + secret + "')",
		"SELECT * FROM read_csv('" + secret + "')",
		"SELECT * FROM '" + secret + "'",
		"SELECT * FROM read_json_objects('" + secret + "')",
		"SELECT * FROM read_parquet('" + campaigns[0] + "')",
		"SELECT * FROM parquet_metadata('" + campaigns[0] + "')",
		"SELECT * FROM parquet_schema('" + campaigns[0] + "')",
		"SELECT * FROM read_csv('" + landing + "')",
		"SELECT * FROM glob('" + lk + "/**')",
		"SELECT * FROM sniff_csv('" + secret + "')",
		"SELECT * FROM read_text('file://" + secret + "')",
		"SELECT * FROM read_text('/proc/self/environ')",
		"SELECT * FROM read_text('/etc/passwd')",
		"SELECT * FROM read_csv('http://127.0.0.1:1/x.csv')",
		"SELECT * FROM read_parquet('s3://bucket/x.parquet')",
		"COPY (SELECT 1) TO '" + filepath.Join(secretDir, "out.csv") + "'",
		"EXPORT DATABASE '" + filepath.Join(secretDir, "export") + "'",
		"ATTACH '" + filepath.Join(secretDir, "x.db") + "' AS x",
		"INSTALL httpfs",
		"LOAD httpfs",
		"SET enable_external_access = true",
		"RESET allowed_paths",
		"SET memory_limit = '100GB'",
		"SELECT getenv('HOME')",
		"PRAGMA enable_profiling",
		"SELECT * FROM duckdb_secrets()",
		"CREATE SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')",
		"SELECT 1; SELECT * FROM read_text('" + secret + "')",
		"CALL pragma_version(); SELECT 1",
	}
	c := e.anon()
	for _, sql := range escapes {
		r := c.call("POST", "/api/v1/query", token, queryBody(sql))
		if r.Status == http.StatusOK && !strings.Contains(sql, "duckdb_secrets") {
			t.Errorf("ran: %s\n%s", sql, r.Body)
		}
		if strings.Contains(r.Body, "TOPSECRET") || strings.Contains(r.Body, "spring") || strings.Contains(r.Body, "root:") {
			t.Errorf("leaked: %s\n%s", sql, r.Body)
		}
	}
	for _, f := range []string{"out.csv", "export", "x.db"} {
		if _, err := os.Stat(filepath.Join(secretDir, f)); err == nil {
			t.Errorf("%s was created", f)
		}
	}
}

// TestHeavyQueriesFailAlone: ten heavy queries from ten people at once
// each finish or fail on their own limits, and /healthz answers quickly
// all the while.
func TestHeavyQueriesFailAlone(t *testing.T) {
	e := queryEnv(t, func(o *Options) { o.Query = QueryLimits{Timeout: 3 * time.Second, Memory: "128MB", Threads: 1} })
	c := e.anon()
	heavy := []string{
		"SELECT count(*) FROM range(100000000) a, range(100000000) b",                                 // a cross join without end
		"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r",      // recursion without end
		"SELECT length(string_agg(repeat('x', 1000000), '')) FROM range(100000)",                      // a string bomb
		"SELECT list(range) FROM range(200000000)",                                                    // memory
		"SELECT fiscal_week, count(*) FROM finance.fiscal_calendar, range(100000000000) GROUP BY ALL", // a product crossed
	}
	var tokens []string
	for i := range 10 {
		email := fmt.Sprintf("heavy%d@northwind.example", i)
		e.person(t, email, fmt.Sprintf("Heavy User %d", i))
		tokens = append(tokens, e.token(email))
	}
	var wg sync.WaitGroup
	statuses := make([]int, len(tokens))
	bodies := make([]string, len(tokens))
	for i, tok := range tokens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := c.call("POST", "/api/v1/query", tok, queryBody(heavy[i%len(heavy)]))
			statuses[i], bodies[i] = r.Status, r.Body
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	var slowest time.Duration
	for waiting := true; waiting; {
		select {
		case <-done:
			waiting = false
		case <-time.After(200 * time.Millisecond):
			start := time.Now()
			resp, err := http.Get(e.HTTP.URL + "/healthz")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			slowest = max(slowest, time.Since(start))
		}
	}
	for i, st := range statuses {
		if st != http.StatusUnprocessableEntity || !strings.Contains(bodies[i], `"code":"limit"`) && !strings.Contains(bodies[i], `"code":"sql_error"`) {
			t.Errorf("query %d (%s): %d %s", i, heavy[i%len(heavy)], st, bodies[i])
		}
	}
	// Read, not asserted: a time on a shared machine is no test.
	t.Logf("slowest /healthz while ten heavy queries ran: %s", slowest)
	var running int64
	e.DB.Model(&models.Query{}).Where("status = ?", models.QueryRunning).Count(&running)
	if running != 0 {
		t.Errorf("%d queries still recorded as running", running)
	}
}

// TestQueriesPerPerson: a third query at once is refused with "busy"
// while two run; cancelling one by its token ends it as cancelled.
func TestQueriesPerPerson(t *testing.T) {
	e := queryEnv(t, func(o *Options) { o.Query = QueryLimits{Timeout: 30 * time.Second} })
	leo := e.as(userEmail)
	slow := "SELECT count(*) FROM range(100000000) a, range(100000000) b"
	results := make(chan *page, 2)
	for _, run := range []string{"r1", "r2"} {
		go func() { results <- leo.post("/query/run", f("sql", slow, "run", run)) }()
	}
	deadline := time.Now().Add(20 * time.Second)
	for e.count(&models.Query{}, "status = ?", models.QueryRunning) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	third := leo.post("/query/run", f("sql", "SELECT 1", "run", "r3"))
	if !strings.Contains(third.Text("query-error"), "already running 2 queries") {
		t.Errorf("a third query at once: %s", third.Body)
	}
	for _, run := range []string{"r1", "r2"} {
		if p := leo.post("/query/cancel", f("run", run)); p.Status != http.StatusAccepted {
			t.Errorf("cancel %s: %d", run, p.Status)
		}
	}
	for range 2 {
		if p := <-results; !strings.Contains(p.Text("query-error"), "cancelled") {
			t.Errorf("a cancelled query shows: %s", p.Body)
		}
	}
	if n := e.count(&models.Query{}, "status = ?", models.QueryCancelled); n != 2 {
		t.Errorf("%d queries recorded cancelled, want 2", n)
	}
}
