package jobs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gorm.io/gorm"

	"plaza/lake"
	"plaza/models"
	"plaza/models/dbtest"
)

// lineageValidator checks events against the OpenLineage schemas saved in
// testdata/openlineage, the way OpenLineage's compatibility tests do: the
// event against the core RunEvent, then each facet against the schema of
// its name, in the place its kind belongs (run, job, dataset, input or
// output facets). Nothing is fetched: every reference resolves locally.
type lineageValidator struct {
	event  *jsonschema.Schema
	facets map[string]facetSchema // by facet name ("sql", "schema", ...)
}

type facetSchema struct {
	schema *jsonschema.Schema
	id     string // the schema's $id, which the facet's _schemaURL must start with
	kind   string // RunFacet, JobFacet, DatasetFacet, InputDatasetFacet or OutputDatasetFacet
}

const lineageSpecDir = "testdata/openlineage"

func newLineageValidator(t *testing.T) *lineageValidator {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(lineageSpecDir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no schemas in %s: %v", lineageSpecDir, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat() // date-time, uri and uuid must be what they say
	var core map[string]any
	facetDocs := map[string]map[string]any{}
	for _, f := range files {
		doc := readSchema(t, f)
		id, _ := doc["$id"].(string)
		if err := c.AddResource(id, doc); err != nil {
			t.Fatal(err)
		}
		if filepath.Base(f) == "OpenLineage.json" {
			core = doc
		} else {
			facetDocs[id] = doc
		}
	}
	if core == nil {
		t.Fatal("OpenLineage.json is missing")
	}
	coreID := core["$id"].(string)
	if want := coreID + "#/$defs/RunEvent"; lineageSchemaURL != want {
		t.Fatalf("events say schemaURL %s, but the saved core is %s", lineageSchemaURL, want)
	}
	// The facets were written against older cores (1-0-2, 2-0-2). What
	// they take from it, $defs/*Facet and BaseFacet, reads the same in the
	// core saved here, so each of those URLs is served a copy of it.
	aliased := map[string]bool{coreID: true}
	for _, doc := range facetDocs {
		for _, ref := range refsIn(doc) {
			base, _, _ := strings.Cut(ref, "#")
			if aliased[base] || !strings.HasSuffix(base, "/OpenLineage.json") {
				continue
			}
			aliased[base] = true
			alias := maps.Clone(core)
			alias["$id"] = base
			if err := c.AddResource(base, alias); err != nil {
				t.Fatal(err)
			}
		}
	}
	v := &lineageValidator{facets: map[string]facetSchema{}}
	if v.event, err = c.Compile(coreID + "#/$defs/RunEvent"); err != nil {
		t.Fatalf("compile the RunEvent schema: %v", err)
	}
	for id, doc := range facetDocs {
		props, _ := doc["properties"].(map[string]any)
		if len(props) != 1 {
			t.Fatalf("%s: want one facet in properties, got %d", id, len(props))
		}
		name := slices.Collect(maps.Keys(props))[0]
		sch, err := c.Compile(id)
		if err != nil {
			t.Fatalf("compile %s: %v", id, err)
		}
		kind := ""
		for _, ref := range refsIn(doc) {
			if i := strings.Index(ref, "/OpenLineage.json#/$defs/"); i >= 0 {
				kind = ref[i+len("/OpenLineage.json#/$defs/"):]
			}
		}
		v.facets[name] = facetSchema{schema: sch, id: id, kind: kind}
	}
	return v
}

func readSchema(t *testing.T, path string) map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return doc.(map[string]any)
}

// refsIn lists every $ref in a schema document.
func refsIn(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && k == "$ref" {
				out = append(out, s)
			} else {
				out = append(out, refsIn(val)...)
			}
		}
	case []any:
		for _, val := range x {
			out = append(out, refsIn(val)...)
		}
	}
	return out
}

// check returns what is wrong with one event (a line of the file); none
// when it follows the spec.
func (v *lineageValidator) check(raw []byte) []string {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	var problems []string
	if err := v.event.Validate(inst); err != nil {
		problems = append(problems, "RunEvent: "+err.Error())
	}
	ev, ok := inst.(map[string]any)
	if !ok {
		return problems
	}
	facetsAt := func(where, kind string, parent any, key string) {
		obj, _ := parent.(map[string]any)
		facets, _ := obj[key].(map[string]any)
		for name, f := range facets {
			fs, ok := v.facets[name]
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("%s.%s: no saved schema for facet %q", where, key, name))
			case fs.kind != kind:
				problems = append(problems, fmt.Sprintf("%s.%s.%s: a %s where a %s belongs", where, key, name, fs.kind, kind))
			default:
				if err := fs.schema.Validate(map[string]any{name: f}); err != nil {
					problems = append(problems, fmt.Sprintf("%s.%s.%s: %v", where, key, name, err))
				}
				if url, _ := f.(map[string]any)["_schemaURL"].(string); !strings.HasPrefix(url, fs.id) {
					problems = append(problems, fmt.Sprintf("%s.%s.%s: _schemaURL %q is not %s", where, key, name, url, fs.id))
				}
			}
		}
	}
	facetsAt("run", "RunFacet", ev["run"], "facets")
	facetsAt("job", "JobFacet", ev["job"], "facets")
	for side, kind := range map[string]string{"inputs": "InputDatasetFacet", "outputs": "OutputDatasetFacet"} {
		list, _ := ev[side].([]any)
		for i, ds := range list {
			where := fmt.Sprintf("%s[%d]", side, i)
			facetsAt(where, "DatasetFacet", ds, "facets")
			facetsAt(where, kind, ds, strings.TrimSuffix(side, "s")+"Facets")
		}
	}
	return problems
}

// seenEvent is what the tests read back from an event.
type seenEvent struct {
	EventType string
	EventTime time.Time
	Producer  string
	SchemaURL string
	Run       struct {
		RunID  string
		Facets struct {
			ErrorMessage *struct{ Message, ProgrammingLanguage string }
		}
	}
	Job struct {
		Namespace, Name string
		Facets          struct {
			SQL     *struct{ Query string }
			JobType *struct{ ProcessingType, Integration, JobType string }
		}
	}
	Inputs  []seenDataset
	Outputs []seenDataset
}

type seenDataset struct {
	Namespace, Name string
	Facets          struct {
		Schema  *struct{ Fields []schemaField }
		Version *struct{ DatasetVersion string }
	}
	OutputFacets struct {
		OutputStatistics *struct{ RowCount, Size int64 }
	}
}

// readLineage validates every line of the file and decodes it.
func readLineage(t *testing.T, v *lineageValidator, file string) ([][]byte, []seenEvent) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines [][]byte
	var events []seenEvent
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := slices.Clone(sc.Bytes())
		for _, p := range v.check(line) {
			t.Errorf("event %d does not follow the spec: %s\n%s", len(lines)+1, p, line)
		}
		var ev seenEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			t.Fatalf("event %d: %v", len(lines)+1, err)
		}
		lines, events = append(lines, line), append(events, ev)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines, events
}

// lineageEndpoint stands in for Marquez: it keeps the events it accepted,
// in order, and answers an attempt with fail(n) instead when that is not 0.
type lineageEndpoint struct {
	t        *testing.T
	srv      *httptest.Server
	fail     func(attempt int) int
	mu       sync.Mutex
	attempts int
	accepted [][]byte
}

func newLineageEndpoint(t *testing.T, fail func(attempt int) int) *lineageEndpoint {
	ep := &lineageEndpoint{t: t, fail: fail}
	ep.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/lineage" || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("endpoint got %s %s (%s)", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		}
		ep.mu.Lock()
		defer ep.mu.Unlock()
		ep.attempts++
		if status := ep.fail(ep.attempts); status != 0 {
			http.Error(w, "not now", status)
			return
		}
		ep.accepted = append(ep.accepted, body)
		w.WriteHeader(http.StatusCreated) // what Marquez answers
	}))
	t.Cleanup(ep.srv.Close)
	return ep
}

func (ep *lineageEndpoint) url() string { return ep.srv.URL + "/api/v1/lineage" }

func (ep *lineageEndpoint) seen() (attempts int, accepted [][]byte) {
	ep.mu.Lock()
	defer ep.mu.Unlock()
	return ep.attempts, slices.Clone(ep.accepted)
}

// TestPipelineRunEmitsOpenLineage runs a good and a failing pipeline
// through River and the sandbox with lineage on: each says START and then
// COMPLETE or FAIL under one runId, every line of the file follows the
// OpenLineage spec, and the endpoint received the same events in order,
// the first after one retry.
func TestPipelineRunEmitsOpenLineage(t *testing.T) {
	v := newLineageValidator(t)
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		c := newLakeCompany(t, db, "order_id,amount\nA1,10\nA2,20\nA3,30\n")
		ep := newLineageEndpoint(t, func(n int) int {
			if n == 1 {
				return http.StatusServiceUnavailable // retried once, a second later
			}
			return 0
		})
		file := filepath.Join(t.TempDir(), "lineage", "openlineage.jsonl")
		em, err := NewLineageEmitter(LineageConfig{File: file, URL: ep.url(), BaseURL: baseURL})
		if err != nil {
			t.Fatal(err)
		}
		r, err := Start(c.ctx, c.store, Config{BaseURL: baseURL, fast: true, Lake: c.lake, Sandbox: c.sandbox, Lineage: em})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Stop(t.Context()) })

		good := c.runNow(t, r, models.RunRequest{})
		if good.Status != models.RunSucceeded {
			t.Fatalf("good run: %s %q\n%s", good.Status, good.Error, good.Log)
		}
		snap, err := c.store.CurrentSnapshot(c.ctx, c.product.ID, "orders")
		if err != nil {
			t.Fatal(err)
		}
		c.writeLanding(t, "order_id,amount\nA1,10\nA1,11\n")
		bad := c.runNow(t, r, models.RunRequest{})
		if bad.Status != models.RunFailed {
			t.Fatalf("duplicate run: %s %q", bad.Status, bad.Error)
		}
		if err := em.Close(); err != nil {
			t.Fatal(err)
		}

		lines, events := readLineage(t, v, file)
		var types []string
		for _, ev := range events {
			types = append(types, ev.EventType)
		}
		if want := []string{"START", "COMPLETE", "START", "FAIL"}; !slices.Equal(types, want) {
			t.Fatalf("events %v, want %v", types, want)
		}
		goodID, badID := lineageRunID("plaza.test", good), lineageRunID("plaza.test", bad)
		for i, want := range []string{goodID, goodID, badID, badID} {
			if events[i].Run.RunID != want {
				t.Errorf("event %d (%s) has runId %s, want %s", i+1, events[i].EventType, events[i].Run.RunID, want)
			}
		}
		if goodID == badID {
			t.Errorf("two runs share the runId %s", goodID)
		}

		landing := filepath.Join(c.lake.Dir, lake.LandingDir, "sales", "shop", "orders-*.csv")
		for i, ev := range events {
			if ev.Producer != lineageProducer || ev.SchemaURL != lineageSchemaURL || ev.EventTime.IsZero() {
				t.Errorf("event %d: producer %q schemaURL %q time %v", i+1, ev.Producer, ev.SchemaURL, ev.EventTime)
			}
			j := ev.Job
			if j.Namespace != "plaza.test" || j.Name != "sales.daily-orders.orders" || j.Facets.SQL == nil || j.Facets.JobType == nil ||
				*j.Facets.JobType != (struct{ ProcessingType, Integration, JobType string }{"BATCH", "PLAZA", "PIPELINE"}) {
				t.Errorf("event %d: job %+v", i+1, j)
			}
			if len(ev.Inputs) != 1 || ev.Inputs[0].Namespace != "file" || ev.Inputs[0].Name != landing {
				t.Errorf("event %d: inputs %+v, want file %s", i+1, ev.Inputs, landing)
			}
			if len(ev.Outputs) != 1 || ev.Outputs[0].Namespace != "plaza.test" || ev.Outputs[0].Name != "sales.daily-orders.orders" {
				t.Errorf("event %d: outputs %+v", i+1, ev.Outputs)
			}
		}
		if q := events[0].Job.Facets.SQL; q == nil || q.Query != c.pipeline.SQL {
			t.Errorf("sql facet %+v", q)
		}
		if o := events[0].Outputs[0]; o.OutputFacets.OutputStatistics != nil || o.Facets.Schema != nil {
			t.Errorf("START already knows the output: %+v", o)
		}

		out := events[1].Outputs[0]
		if st := out.OutputFacets.OutputStatistics; st == nil || st.RowCount != 3 || st.Size != good.Bytes || st.Size == 0 {
			t.Errorf("COMPLETE outputStatistics %+v, want 3 rows and %d bytes", st, good.Bytes)
		}
		var wantFields []schemaField
		for _, col := range snap.Columns() {
			wantFields = append(wantFields, schemaField{Name: col.Name, Type: col.Type})
		}
		if out.Facets.Schema == nil || len(wantFields) != 1 || !slices.Equal(out.Facets.Schema.Fields, wantFields) {
			t.Errorf("COMPLETE schema %+v, want %+v", out.Facets.Schema, wantFields)
		}
		if out.Facets.Version == nil || out.Facets.Version.DatasetVersion != snap.Name {
			t.Errorf("COMPLETE version %+v, want %s", out.Facets.Version, snap.Name)
		}

		failed := events[3]
		if e := failed.Run.Facets.ErrorMessage; e == nil || e.Message != bad.Error || e.ProgrammingLanguage != "SQL" ||
			!strings.Contains(e.Message, "Blocking checks failed") {
			t.Errorf("FAIL errorMessage %+v, want %q", e, bad.Error)
		}
		if failed.Outputs[0].OutputFacets.OutputStatistics != nil {
			t.Errorf("FAIL reports statistics of an output it did not publish")
		}

		attempts, accepted := ep.seen()
		if len(accepted) != len(lines) || attempts != len(lines)+1 {
			t.Fatalf("endpoint accepted %d events in %d attempts; the file has %d", len(accepted), attempts, len(lines))
		}
		for i := range lines {
			if !bytes.Equal(accepted[i], lines[i]) {
				t.Errorf("event %d differs:\nfile %s\nPOST %s", i+1, lines[i], accepted[i])
			}
		}
	})
}

// lineagePipeline is an in-memory pipeline of finance/revenue that reads
// sales/daily-orders.
func lineagePipeline() (*models.Pipeline, *models.Product) {
	up := &models.Product{Slug: "daily-orders", Domain: models.Domain{Slug: "sales"}}
	pl := &models.Pipeline{Port: "revenue", SQL: "SELECT sum(amount) AS total FROM sales.daily_orders WHERE amount > 0",
		Product: models.Product{Slug: "revenue", Domain: models.Domain{Slug: "finance"}, OutputPorts: []models.OutputPort{
			{Slug: "revenue", Columns: []models.Column{{Name: "total", Type: "number", Description: "Sum of the order amounts."}}}}}}
	return pl, up
}

// TestLineageEvents covers what a River run rarely shows: an upstream
// input with its snapshot, ABORT, a run that failed before its inputs
// resolved, emission failures that are only logged, and a nil emitter.
func TestLineageEvents(t *testing.T) {
	v := newLineageValidator(t)
	queued := time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)
	snap := &models.Snapshot{Name: "20260301T060000Z-r3", Schema: `[{"name":"order_id","type":"VARCHAR"},{"name":"amount","type":"BIGINT"}]`}

	t.Run("upstream and abort", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "ol.jsonl")
		em, err := NewLineageEmitter(LineageConfig{File: file, BaseURL: "https://plaza.example.com/"})
		if err != nil {
			t.Fatal(err)
		}
		pl, up := lineagePipeline()
		r := em.forRun(pl, &models.Run{ID: 9, QueuedAt: queued})
		r.upstreamInput(up, "orders", snap)
		r.start()
		r.finish(models.RunOutcome{Status: models.RunCancelled})
		_, events := readLineage(t, v, file)
		if len(events) != 2 || events[0].EventType != "START" || events[1].EventType != "ABORT" {
			t.Fatalf("events %+v", events)
		}
		in := events[0].Inputs
		if len(in) != 1 || in[0].Namespace != "plaza.example.com" || in[0].Name != "sales.daily-orders.orders" ||
			in[0].Facets.Version == nil || in[0].Facets.Version.DatasetVersion != snap.Name ||
			in[0].Facets.Schema == nil || !slices.Equal(in[0].Facets.Schema.Fields, []schemaField{{Name: "order_id", Type: "VARCHAR"}, {Name: "amount", Type: "BIGINT"}}) {
			t.Errorf("upstream input %+v", in)
		}
		if j := events[1].Job; j.Namespace != "plaza.example.com" || j.Name != "finance.revenue.revenue" {
			t.Errorf("job %+v", j)
		}
		if events[1].Run.Facets.ErrorMessage != nil {
			t.Errorf("ABORT carries an error")
		}
	})

	t.Run("complete takes descriptions from the port", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "ol.jsonl")
		em, err := NewLineageEmitter(LineageConfig{File: file})
		if err != nil {
			t.Fatal(err)
		}
		pl, _ := lineagePipeline()
		r := em.forRun(pl, &models.Run{ID: 10, QueuedAt: queued})
		r.start()
		r.finish(models.RunOutcome{Status: models.RunSucceeded, Rows: 1, Bytes: 321,
			Snapshot: &models.Snapshot{Name: "s1", Schema: `[{"name":"total","type":"DOUBLE"}]`}})
		_, events := readLineage(t, v, file)
		if len(events) != 2 || events[1].EventType != "COMPLETE" {
			t.Fatalf("events %+v", events)
		}
		if s := events[1].Outputs[0].Facets.Schema; s == nil || !slices.Equal(s.Fields, []schemaField{{Name: "total", Type: "DOUBLE", Description: "Sum of the order amounts."}}) {
			t.Errorf("schema %+v", s)
		}
		if events[0].Job.Namespace != "plaza" {
			t.Errorf("without a base URL the namespace is %q, want plaza", events[0].Job.Namespace)
		}
	})

	t.Run("fail before the inputs resolved still starts", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "ol.jsonl")
		em, err := NewLineageEmitter(LineageConfig{File: file, BaseURL: baseURL})
		if err != nil {
			t.Fatal(err)
		}
		pl, _ := lineagePipeline()
		run := &models.Run{ID: 11, QueuedAt: queued}
		em.forRun(pl, run).finish(models.RunOutcome{Status: models.RunFailed, Error: "Input orders: no one in Finance holds an active grant"})
		_, events := readLineage(t, v, file)
		if len(events) != 2 || events[0].EventType != "START" || events[1].EventType != "FAIL" ||
			events[0].Run.RunID != events[1].Run.RunID || events[1].Run.RunID != lineageRunID("plaza.test", run) {
			t.Fatalf("events %+v", events)
		}
		if e := events[1].Run.Facets.ErrorMessage; e == nil || !strings.Contains(e.Message, "active grant") {
			t.Errorf("errorMessage %+v", e)
		}
	})

	t.Run("failures are logged, never returned", func(t *testing.T) {
		var logs syncBuffer
		ep := newLineageEndpoint(t, func(int) int { return http.StatusBadRequest })
		file := filepath.Join(t.TempDir(), "ol.jsonl")
		em, err := NewLineageEmitter(LineageConfig{File: file, URL: ep.url(), Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		// A folder where the file was: every append fails, even as root.
		if err := os.Remove(file); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(file, 0o750); err != nil {
			t.Fatal(err)
		}
		pl, _ := lineagePipeline()
		em.forRun(pl, &models.Run{ID: 12, QueuedAt: queued}).start()
		if err := em.Close(); err != nil {
			t.Fatal(err)
		}
		if attempts, _ := ep.seen(); attempts != 1 {
			t.Errorf("a 400 was tried %d times; another attempt would get the same answer", attempts)
		}
		for _, want := range []string{"openlineage: write event", "openlineage: send event", "400 Bad Request"} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("log lacks %q:\n%s", want, logs.String())
			}
		}
	})

	t.Run("nil emitter", func(t *testing.T) {
		var em *LineageEmitter
		pl, up := lineagePipeline()
		r := em.forRun(pl, &models.Run{ID: 13})
		r.upstreamInput(up, "orders", snap)
		r.start()
		r.finish(models.RunOutcome{Status: models.RunSucceeded})
		if err := em.Close(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("bad endpoints are refused", func(t *testing.T) {
		for _, u := range []string{"marquez:5000/api/v1/lineage", "ftp://marquez/api", "http://"} {
			if _, err := NewLineageEmitter(LineageConfig{URL: u}); err == nil {
				t.Errorf("%q was accepted", u)
			}
		}
	})
}

// TestLineageConcurrentRunsKeepLinesWhole has many runs emit at once
// events longer than a pipe buffer; every line must still be one event.
func TestLineageConcurrentRunsKeepLinesWhole(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ol.jsonl")
	em, err := NewLineageEmitter(LineageConfig{File: file})
	if err != nil {
		t.Fatal(err)
	}
	pl, _ := lineagePipeline()
	pl.SQL = "SELECT 1 AS total -- " + strings.Repeat("x", 20000)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				r := em.forRun(pl, &models.Run{ID: uint(g*100 + i), QueuedAt: time.Now()})
				r.start()
				r.finish(models.RunOutcome{Status: models.RunFailed, Error: "no"})
			}
		})
	}
	wg.Wait()
	_, events := readLineage(t, newLineageValidator(t), file)
	if len(events) != 8*25*2 {
		t.Fatalf("%d events, want %d", len(events), 8*25*2)
	}
}

// TestLineageValidator makes sure the validator is not vacuous: the spec's
// own facet examples pass, and events broken in the ways that matter fail.
func TestLineageValidator(t *testing.T) {
	v := newLineageValidator(t)
	examples, _ := filepath.Glob(filepath.Join(lineageSpecDir, "examples", "*.json"))
	if len(examples) == 0 {
		t.Fatal("no examples")
	}
	for _, f := range examples {
		doc := readSchema(t, f)
		for name, facet := range doc {
			fs, ok := v.facets[name]
			if !ok {
				t.Fatalf("%s: no schema for %s", f, name)
			}
			if err := fs.schema.Validate(map[string]any{name: facet}); err != nil {
				t.Errorf("%s: %v", f, err)
			}
		}
	}

	file := filepath.Join(t.TempDir(), "ol.jsonl")
	em, err := NewLineageEmitter(LineageConfig{File: file, BaseURL: baseURL})
	if err != nil {
		t.Fatal(err)
	}
	pl, up := lineagePipeline()
	r := em.forRun(pl, &models.Run{ID: 1, QueuedAt: time.Now()})
	r.upstreamInput(up, "orders", &models.Snapshot{Name: "s1", Schema: `[{"name":"a","type":"INTEGER"}]`})
	r.start()
	r.finish(models.RunOutcome{Status: models.RunSucceeded, Rows: 2, Bytes: 9, Snapshot: &models.Snapshot{Name: "s2", Schema: `[{"name":"total","type":"DOUBLE"}]`}})
	lines, _ := readLineage(t, v, file)
	complete := lines[1]

	breaks := map[string]func(ev map[string]any){
		"no producer":       func(ev map[string]any) { delete(ev, "producer") },
		"no schemaURL":      func(ev map[string]any) { delete(ev, "schemaURL") },
		"time not a time":   func(ev map[string]any) { ev["eventTime"] = "yesterday" },
		"unknown eventType": func(ev map[string]any) { ev["eventType"] = "DONE" },
		"runId not a uuid":  func(ev map[string]any) { ev["run"].(map[string]any)["runId"] = "42" },
		"job without name":  func(ev map[string]any) { delete(ev["job"].(map[string]any), "name") },
		"facet without _producer": func(ev map[string]any) {
			delete(ev["job"].(map[string]any)["facets"].(map[string]any)["sql"].(map[string]any), "_producer")
		},
		"sql without query": func(ev map[string]any) {
			delete(ev["job"].(map[string]any)["facets"].(map[string]any)["sql"].(map[string]any), "query")
		},
		"rowCount as text": func(ev map[string]any) {
			out := ev["outputs"].([]any)[0].(map[string]any)
			out["outputFacets"].(map[string]any)["outputStatistics"].(map[string]any)["rowCount"] = "2"
		},
		"statistics among dataset facets": func(ev map[string]any) {
			out := ev["outputs"].([]any)[0].(map[string]any)
			out["facets"].(map[string]any)["outputStatistics"] = out["outputFacets"].(map[string]any)["outputStatistics"]
		},
		"schema field without name": func(ev map[string]any) {
			out := ev["outputs"].([]any)[0].(map[string]any)
			delete(out["facets"].(map[string]any)["schema"].(map[string]any)["fields"].([]any)[0].(map[string]any), "name")
		},
		"facet of no known schema": func(ev map[string]any) {
			ev["run"].(map[string]any)["facets"] = map[string]any{"mystery": map[string]any{"_producer": lineageProducer, "_schemaURL": "https://plaza.example/x"}}
		},
		"inputs null": func(ev map[string]any) { ev["inputs"] = nil },
	}
	for name, breakIt := range breaks {
		var ev map[string]any
		if err := json.Unmarshal(complete, &ev); err != nil {
			t.Fatal(err)
		}
		breakIt(ev)
		broken, _ := json.Marshal(ev)
		if len(v.check(broken)) == 0 {
			t.Errorf("%s: the validator let it through", name)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a logger's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
