package jobs

// OpenLineage run events for pipeline runs.
//
// Every run says START once its inputs are resolved and COMPLETE, FAIL or
// ABORT (cancelled) once FinishRun has recorded the outcome. An event is
// one JSON object on one line, appended to a file, and POSTed to an
// OpenLineage endpoint when one is configured, the way OpenLineage's HTTP
// transport sends it (Marquez: http://marquez:5000/api/v1/lineage). The
// events follow the spec schemas saved in testdata/openlineage, which the
// tests validate every emitted event against.
//
// Emitting never fails or holds up a run: a file that cannot be written
// and an endpoint that cannot be reached are logged, and the POSTs go out
// from one goroutine of their own, in order.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"plaza/lake"
	"plaza/models"
)

// Where the events and their facets say they come from, and which version
// of each schema they follow (the files in testdata/openlineage).
const (
	lineageProducer  = "https://plaza.example/plaza"
	lineageSchemaURL = "https://openlineage.io/spec/2-0-7/OpenLineage.json#/$defs/RunEvent"

	sqlFacetURL     = "https://openlineage.io/spec/facets/1-0-1/SQLJobFacet.json#/$defs/SQLJobFacet"
	jobTypeFacetURL = "https://openlineage.io/spec/facets/2-0-2/JobTypeJobFacet.json#/$defs/JobTypeJobFacet"
	schemaFacetURL  = "https://openlineage.io/spec/facets/1-0-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet"
	versionFacetURL = "https://openlineage.io/spec/facets/1-0-0/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet"
	statsFacetURL   = "https://openlineage.io/spec/facets/1-0-0/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet"
	errorFacetURL   = "https://openlineage.io/spec/facets/1-0-0/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet"
)

// Namespaces: Plaza's jobs and product ports are in the host of its base
// URL (this without one); landing files in OpenLineage's one for local files.
const (
	defaultNamespace = "plaza"
	fileNamespace    = "file"
)

// How long one POST may take, how many wait to be sent, and how long Close
// waits for them.
const (
	lineagePostTimeout  = 5 * time.Second
	lineageRetryAfter   = time.Second
	lineageQueue        = 1024
	lineageFlushTimeout = 15 * time.Second
)

// lineageRunSpace is the UUIDv5 namespace of Plaza's run ids.
var lineageRunSpace = uuid.NewSHA1(uuid.NameSpaceURL, []byte(lineageProducer))

// LineageConfig says where OpenLineage events go.
type LineageConfig struct {
	File    string       // JSON-lines file each event is appended to, created when missing; "": none
	URL     string       // endpoint each event is POSTed to as JSON; "": none
	BaseURL string       // Plaza's public URL: its host names the namespace of jobs and product ports
	Logger  *slog.Logger // emissions that failed; nil: silent
}

// LineageEmitter writes the OpenLineage events of pipeline runs. A nil
// emitter writes nothing.
type LineageEmitter struct {
	file      string
	url       string
	namespace string
	log       *slog.Logger
	client    *http.Client

	fileMu sync.Mutex // one append per event: concurrent runs never interleave lines

	queueMu sync.Mutex // guards closed, so no event is queued after Close
	closed  bool
	queue   chan []byte
	ctx     context.Context // cancelled when Close gives up waiting
	cancel  context.CancelFunc
	done    chan struct{}
}

// NewLineageEmitter checks cfg, creates the file (and its folder) so a
// path that cannot be written fails now rather than at the first run, and
// starts the sender when there is a URL.
func NewLineageEmitter(cfg LineageConfig) (*LineageEmitter, error) {
	e := &LineageEmitter{file: cfg.File, log: cfg.Logger, namespace: defaultNamespace}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if u, err := url.Parse(cfg.BaseURL); err == nil && u.Host != "" {
		e.namespace = u.Host
	}
	if cfg.URL != "" {
		u, err := url.Parse(cfg.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("jobs: openlineage endpoint %s: want an http:// or https:// URL", redactURL(cfg.URL))
		}
		e.url = cfg.URL
		e.client = &http.Client{Timeout: lineagePostTimeout}
		e.queue = make(chan []byte, lineageQueue)
		e.done = make(chan struct{})
		e.ctx, e.cancel = context.WithCancel(context.Background())
		go e.send()
	}
	if e.file != "" {
		if err := os.MkdirAll(filepath.Dir(e.file), 0o750); err != nil {
			return nil, fmt.Errorf("jobs: openlineage file: %w", err)
		}
		f, err := os.OpenFile(e.file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o640)
		if err != nil {
			e.Close()
			return nil, fmt.Errorf("jobs: openlineage file: %w", err)
		}
		f.Close()
	}
	return e, nil
}

// Close sends the events still queued for the endpoint, waiting for them
// at most lineageFlushTimeout. Later events only go to the file.
func (e *LineageEmitter) Close() error {
	if e == nil || e.queue == nil {
		return nil
	}
	e.queueMu.Lock()
	if !e.closed {
		e.closed = true
		close(e.queue)
	}
	e.queueMu.Unlock()
	select {
	case <-e.done:
		return nil
	case <-time.After(lineageFlushTimeout):
		e.cancel()
		<-e.done
		return fmt.Errorf("jobs: openlineage: gave up sending queued events to %s after %s", redactURL(e.url), lineageFlushTimeout)
	}
}

// emit writes one event to the file and queues it for the endpoint.
func (e *LineageEmitter) emit(ev *runEvent, plazaRun uint) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // SQL reads better with its < and > as they are
	if err := enc.Encode(ev); err != nil {
		e.log.Warn("openlineage: encode event", "run", plazaRun, "event", ev.EventType, "err", err)
		return
	}
	line := buf.Bytes() // Encode ends it with a newline
	if e.file != "" {
		if err := e.appendLine(line); err != nil {
			e.log.Warn("openlineage: write event", "run", plazaRun, "event", ev.EventType, "file", e.file, "err", err)
		}
	}
	if e.queue != nil {
		e.enqueue(bytes.TrimSuffix(line, []byte("\n")), plazaRun, ev.EventType)
	}
}

// appendLine writes line with one write on a file opened for appending,
// so lines from concurrent runs (and from other processes appending to the
// same file) stay whole. Opening it each time follows a rotated file.
func (e *LineageEmitter) appendLine(line []byte) error {
	e.fileMu.Lock()
	defer e.fileMu.Unlock()
	f, err := os.OpenFile(e.file, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (e *LineageEmitter) enqueue(body []byte, plazaRun uint, eventType string) {
	e.queueMu.Lock()
	defer e.queueMu.Unlock()
	if e.closed {
		return
	}
	select {
	case e.queue <- body:
	default:
		e.log.Warn("openlineage: too many events waiting for the endpoint; this one is only in the file",
			"run", plazaRun, "event", eventType, "url", redactURL(e.url))
	}
}

// send POSTs the queued events in order until Close.
func (e *LineageEmitter) send() {
	defer close(e.done)
	for body := range e.queue {
		if e.ctx.Err() != nil {
			continue // Close gave up: drain without trying
		}
		if err := e.post(body); err != nil && e.ctx.Err() == nil {
			e.log.Warn("openlineage: send event", "url", redactURL(e.url), "err", err)
		}
	}
}

// post sends one event, and once more a second later if the endpoint could
// not be reached or answered 429 or 5xx; another 4xx would answer the same.
func (e *LineageEmitter) post(body []byte) error {
	var err error
	for attempt := range 2 {
		if attempt > 0 {
			select {
			case <-e.ctx.Done():
				return e.ctx.Err()
			case <-time.After(lineageRetryAfter):
			}
		}
		var retry bool
		if retry, err = e.postOnce(body); err == nil || !retry {
			return err
		}
	}
	return err
}

func (e *LineageEmitter) postOnce(body []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return true, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return false, nil
	}
	err = fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(msg)))
	return resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500, err
}

// redactURL hides a password in the endpoint's URL from the logs.
func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return raw
}

// The parts of a RunEvent that Plaza fills in.
type runEvent struct {
	EventType string         `json:"eventType"`
	EventTime string         `json:"eventTime"`
	Run       eventRun       `json:"run"`
	Job       eventJob       `json:"job"`
	Inputs    []eventDataset `json:"inputs"`
	Outputs   []eventDataset `json:"outputs"`
	Producer  string         `json:"producer"`
	SchemaURL string         `json:"schemaURL"`
}

type eventRun struct {
	RunID  string         `json:"runId"`
	Facets map[string]any `json:"facets,omitempty"`
}

type eventJob struct {
	Namespace string         `json:"namespace"`
	Name      string         `json:"name"`
	Facets    map[string]any `json:"facets,omitempty"`
}

type eventDataset struct {
	Namespace    string         `json:"namespace"`
	Name         string         `json:"name"`
	Facets       map[string]any `json:"facets,omitempty"`
	OutputFacets map[string]any `json:"outputFacets,omitempty"`
}

// facet holds the two fields every facet carries.
type facet struct {
	Producer  string `json:"_producer"`
	SchemaURL string `json:"_schemaURL"`
}

func newFacet(schemaURL string) facet { return facet{Producer: lineageProducer, SchemaURL: schemaURL} }

type sqlFacet struct {
	facet
	Query string `json:"query"`
}

type jobTypeFacet struct {
	facet
	ProcessingType string `json:"processingType"`
	Integration    string `json:"integration"`
	JobType        string `json:"jobType"`
}

type schemaFacet struct {
	facet
	Fields []schemaField `json:"fields"`
}

type schemaField struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description,omitempty"`
}

type versionFacet struct {
	facet
	DatasetVersion string `json:"datasetVersion"`
}

type statsFacet struct {
	facet
	RowCount int64 `json:"rowCount"`
	Size     int64 `json:"size"`
}

type errorFacet struct {
	facet
	Message             string `json:"message"`
	ProgrammingLanguage string `json:"programmingLanguage"`
}

// lineageRun gathers one run's events: its job, and its inputs as they
// were resolved. Its methods do nothing on a nil lineageRun, which is what
// a nil emitter hands out.
type lineageRun struct {
	e        *LineageEmitter
	plazaRun uint
	runID    string
	job      eventJob
	output   eventDataset
	columns  map[string]string // the port's column descriptions, by name
	inputs   []eventDataset
	started  bool
}

// forRun starts the events of run, which builds pl's port.
func (e *LineageEmitter) forRun(pl *models.Pipeline, run *models.Run) *lineageRun {
	if e == nil {
		return nil
	}
	name := datasetName(pl.Product.Domain.Slug, pl.Product.Slug, pl.Port)
	r := &lineageRun{
		e: e, plazaRun: run.ID, runID: lineageRunID(e.namespace, run),
		job: eventJob{Namespace: e.namespace, Name: name, Facets: map[string]any{
			"sql":     sqlFacet{newFacet(sqlFacetURL), pl.SQL},
			"jobType": jobTypeFacet{newFacet(jobTypeFacetURL), "BATCH", "PLAZA", "PIPELINE"},
		}},
		output:  eventDataset{Namespace: e.namespace, Name: name},
		columns: map[string]string{},
		inputs:  []eventDataset{},
	}
	for _, op := range pl.Product.OutputPorts {
		if op.Slug == pl.Port {
			for _, c := range op.Columns {
				r.columns[c.Name] = c.Description
			}
		}
	}
	return r
}

// lineageRunID is the run's OpenLineage id: a UUIDv5 of Plaza's namespace,
// the run's id and when it was queued, so every event of the run (and of
// its retried attempts) carries the same id, and a run of another Plaza or
// of a database started afresh does not.
func lineageRunID(namespace string, run *models.Run) string {
	name := fmt.Sprintf("%s/runs/%d/%d", namespace, run.ID, run.QueuedAt.Unix())
	return uuid.NewSHA1(lineageRunSpace, []byte(name)).String()
}

// datasetName names a product port, and the job that builds it.
func datasetName(domain, product, port string) string { return domain + "." + product + "." + port }

// landingInput records a landing input: the glob's path in the lake, in
// the namespace OpenLineage gives local files, so the lineage joins up
// with whatever wrote those files.
func (r *lineageRun) landingInput(lk *lake.Lake, domain string, x models.PipelineInput) {
	if r == nil {
		return
	}
	name, err := lk.LandingPath(domain, x.Landing)
	if err != nil {
		name = filepath.Join(lk.Dir, lake.LandingDir, domain, x.Landing)
	}
	r.inputs = append(r.inputs, eventDataset{Namespace: fileNamespace, Name: name})
}

// upstreamInput records an upstream product's port and the snapshot read.
func (r *lineageRun) upstreamInput(up *models.Product, port string, snap *models.Snapshot) {
	if r == nil {
		return
	}
	facets := map[string]any{"version": versionFacet{newFacet(versionFacetURL), snap.Name}}
	if cols := snap.Columns(); len(cols) > 0 {
		facets["schema"] = schemaOf(cols, nil)
	}
	r.inputs = append(r.inputs, eventDataset{Namespace: r.e.namespace, Name: datasetName(up.Domain.Slug, up.Slug, port), Facets: facets})
}

// start says the run has started, with the inputs recorded so far.
func (r *lineageRun) start() {
	if r == nil || r.started {
		return
	}
	r.started = true
	r.e.emit(r.event("START", nil, r.output), r.plazaRun)
}

// finish says how the run ended: COMPLETE with the snapshot's schema, rows
// and size; FAIL with the run's error; ABORT when it was cancelled. A run
// that failed before its inputs were resolved says START first, so every
// run has both.
func (r *lineageRun) finish(out models.RunOutcome) {
	if r == nil {
		return
	}
	r.start()
	output := r.output
	var runFacets map[string]any
	eventType := "FAIL"
	switch out.Status {
	case models.RunSucceeded:
		eventType = "COMPLETE"
		output.Facets = map[string]any{}
		output.OutputFacets = map[string]any{"outputStatistics": statsFacet{newFacet(statsFacetURL), out.Rows, out.Bytes}}
		if out.Snapshot != nil {
			output.Facets["version"] = versionFacet{newFacet(versionFacetURL), out.Snapshot.Name}
			output.Facets["schema"] = schemaOf(out.Snapshot.Columns(), r.columns)
		}
	case models.RunCancelled:
		eventType = "ABORT"
	default:
		runFacets = map[string]any{"errorMessage": errorFacet{newFacet(errorFacetURL), out.Error, "SQL"}}
	}
	r.e.emit(r.event(eventType, runFacets, output), r.plazaRun)
}

func (r *lineageRun) event(eventType string, runFacets map[string]any, output eventDataset) *runEvent {
	return &runEvent{
		EventType: eventType,
		EventTime: time.Now().UTC().Format(time.RFC3339Nano),
		Run:       eventRun{RunID: r.runID, Facets: runFacets},
		Job:       r.job,
		Inputs:    r.inputs,
		Outputs:   []eventDataset{output},
		Producer:  lineageProducer,
		SchemaURL: lineageSchemaURL,
	}
}

// schemaOf is a snapshot's columns as a schema facet, with the types
// DuckDB wrote and the port's descriptions.
func schemaOf(cols []models.SnapshotColumn, descriptions map[string]string) schemaFacet {
	f := schemaFacet{facet: newFacet(schemaFacetURL), Fields: make([]schemaField, len(cols))}
	for i, c := range cols {
		f.Fields[i] = schemaField{Name: c.Name, Type: c.Type, Description: descriptions[c.Name]}
	}
	return f
}
