package lake

// The sandbox runs user SQL (pipelines, checks, federated queries) in a
// child process: the same binary re-executed with "__sandbox" (see
// SandboxMain), one job per child, children started ahead of time and kept
// warm in a small pool. The child configures and locks its DuckDB before
// it reads a byte of user SQL; the parent kills it on timeout or cancel,
// so a crash, an out-of-memory or a runaway query costs that job only.
//
// The protocol: the parent writes one JSON job on the child's stdin and
// closes it; the child writes one JSON answer on file descriptor 3 and
// exits. The child's stdout and stderr (DuckDB can print there, e.g. a
// profiler someone switched on) are kept, the last 64 KiB, for the logs.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Input is a named set of files user SQL reads as one view.
type Input struct {
	Name   string   // the view user SQL reads: "orders", or "sales.orders" (a schema is created for a dotted name)
	Paths  []string // absolute regular files, already resolved and checked by the caller (ResolveLanding / snapshot files)
	Format string   // "csv", "json" (JSON or NDJSON), "parquet"; "" = by extension
}

// Limits bound one job. Zero fields take the defaults.
type Limits struct {
	Memory   string        // DuckDB memory_limit, e.g. "512MB" (default 512MB)
	Threads  int           // default 2
	Timeout  time.Duration // default 60s; the child is killed after it
	MaxRows  int           // rows returned by Query (default 1000); Truncated set beyond
	TempSize string        // DuckDB max_temp_directory_size: disk for spilling (default 4GB)
}

// Column is one column of a result, with DuckDB's name for its type
// ("BIGINT", "DECIMAL(18,2)", "TIMESTAMP WITH TIME ZONE", "VARCHAR[]").
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Result is what a job gave back.
//
// Row values are nil, bool, string, int64, float64 or json.Number (DECIMAL,
// HUGEINT and integers beyond int64 keep their exact digits). DATE is
// "2006-01-02", TIME "15:04:05.999999", timestamps RFC 3339 in UTC; NaN and
// infinities are the strings "NaN", "Infinity", "-Infinity". Lists, structs,
// maps and unions are []any / map[string]any built from DuckDB's to_json;
// other types (BLOB, INTERVAL, UUID, ...) are DuckDB's text for them.
type Result struct {
	Columns   []Column
	Rows      [][]any
	Truncated bool
	RowCount  int64 // Query: rows returned; Materialize: rows written
	Bytes     int64 // Materialize: size of the file written
	Elapsed   time.Duration
}

// SQLError is a mistake in the user's SQL (or a refused operation, or input
// data DuckDB cannot read): not worth retrying. Message is DuckDB's text;
// Position is its byte offset in the user's SQL, -1 when DuckDB gives none.
type SQLError struct {
	Message  string
	Position int
}

func (e *SQLError) Error() string { return e.Message }

// LimitError is a job that hit its time, memory or output limit.
type LimitError struct {
	Limit   string // "time", "memory" or "output"
	Message string
}

func (e *LimitError) Error() string { return e.Message }

// CrashError is a child that died without answering: transient, so a
// retry may succeed. Output holds the end of the child's stderr and stdout
// for the server's log; it is not for users.
type CrashError struct {
	Reason string // how it ended: "exit status 2", "signal: killed", ...
	Output string
}

func (e *CrashError) Error() string {
	return "the SQL sandbox process stopped unexpectedly (" + e.Reason + ")"
}

// SandboxConfig says how to start children and where they work.
type SandboxConfig struct {
	Command    func() *exec.Cmd // how to start a child; default: os.Executable() with arg "__sandbox"
	Pool       int              // warm children kept ready (default 2)
	ScratchDir string           // where each job gets its temp dir (Lake.SandboxScratchDir; default os.TempDir()/plaza-sandbox)
	Parallel   int              // jobs running at once (default 4); more wait their turn
}

// Sandbox runs user SQL in child processes. It is safe for concurrent use.
type Sandbox struct {
	cfg   SandboxConfig
	warm  chan *child
	slots chan struct{}

	mu     sync.Mutex
	closed bool
	live   map[*child]struct{}
	refill sync.WaitGroup
}

// Defaults of Limits and SandboxConfig.
const (
	defaultMemory   = "512MB"
	defaultTempSize = "4GB"
	defaultThreads  = 2
	defaultTimeout  = 60 * time.Second
	defaultMaxRows  = 1000
	minMemory       = 16e6

	outputTail     = 64 << 10  // child stdout+stderr kept for errors
	maxAnswer      = 256 << 20 // refuse answers beyond this (the child stops rows at maxRowBytes)
	maxRowBytes    = 32 << 20  // rows a Query answer carries at most
	childGrace     = 10 * time.Second
	queryViewName  = "__plaza_query"
	reservedPrefix = "__plaza"
)

// NewSandbox starts the warm pool and returns the sandbox. Children that
// fail to start show up as errors of the jobs that would have used them.
func NewSandbox(cfg SandboxConfig) *Sandbox {
	if cfg.Command == nil {
		cfg.Command = defaultCommand
	}
	if cfg.Pool <= 0 {
		cfg.Pool = 2
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 4
	}
	if cfg.ScratchDir == "" {
		cfg.ScratchDir = filepath.Join(os.TempDir(), "plaza-sandbox")
	}
	s := &Sandbox{
		cfg:   cfg,
		warm:  make(chan *child, cfg.Pool),
		slots: make(chan struct{}, cfg.Parallel),
		live:  map[*child]struct{}{},
	}
	for range cfg.Pool {
		s.refillOne()
	}
	return s
}

func defaultCommand() *exec.Cmd {
	exe, err := os.Executable()
	if err != nil {
		exe = os.Args[0]
	}
	return exec.Command(exe, "__sandbox")
}

// Close kills every child, idle or busy; jobs still running fail.
func (s *Sandbox) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	children := make([]*child, 0, len(s.live))
	for c := range s.live {
		children = append(children, c)
	}
	s.mu.Unlock()
	s.refill.Wait()
	for _, c := range children {
		c.kill()
	}
	for _, c := range children {
		<-c.done
	}
	return nil
}

// Query runs one SELECT over inputs and returns up to MaxRows rows.
func (s *Sandbox) Query(ctx context.Context, inputs []Input, sql string, lim Limits) (*Result, error) {
	job, err := newJob("query", inputs, sql, "", lim)
	if err != nil {
		return nil, err
	}
	return s.run(ctx, job)
}

// Materialize runs one SELECT over inputs and writes its whole result as
// zstd Parquet to out, a .parquet file that must not exist yet in an
// existing folder (a staging dir). The child may write exactly there and in its own
// temp folder, nowhere else. On failure out is removed.
func (s *Sandbox) Materialize(ctx context.Context, inputs []Input, sql string, out string, lim Limits) (*Result, error) {
	// A .parquet (or .csv) name also keeps DuckDB's profiler, which a
	// query can switch on, from writing there: it wants .txt or .json.
	if !filepath.IsAbs(out) || filepath.Clean(out) != out || strings.ContainsAny(out, "\x00*?[]{}\\") ||
		!(strings.HasSuffix(out, ".parquet") || strings.HasSuffix(out, ".csv") || strings.HasSuffix(out, ".json")) {
		return nil, fmt.Errorf("sandbox output %q: want a clean absolute path ending in .parquet, .csv or .json", out)
	}
	if dir, err := os.Lstat(filepath.Dir(out)); err != nil || !dir.IsDir() {
		return nil, fmt.Errorf("sandbox output %s: its folder is missing or not a folder", out)
	}
	if _, err := os.Lstat(out); !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("sandbox output %s already exists", out)
	}
	job, err := newJob("materialize", inputs, sql, out, lim)
	if err != nil {
		return nil, err
	}
	res, err := s.run(ctx, job)
	if err != nil {
		os.Remove(out)
		return nil, err
	}
	info, err := os.Stat(out)
	if err != nil {
		return nil, fmt.Errorf("sandbox output: %w", err)
	}
	res.Bytes = info.Size()
	return res, nil
}

// job is what the parent sends a child.
type job struct {
	Mode         string        `json:"mode"` // "query" or "materialize"
	SQL          string        `json:"sql"`
	Inputs       []Input       `json:"inputs"`
	Out          string        `json:"out,omitempty"`
	TempDir      string        `json:"temp_dir"`
	Memory       int64         `json:"memory"`    // bytes
	TempSize     int64         `json:"temp_size"` // bytes
	Threads      int           `json:"threads"`
	MaxRows      int           `json:"max_rows"`
	Timeout      time.Duration `json:"timeout"`
	AddressSpace uint64        `json:"address_space"` // RLIMIT_AS of the child, bytes
}

// answer is what a child sends back.
type answer struct {
	Columns   []Column     `json:"columns"`
	Rows      [][]any      `json:"rows"`
	Truncated bool         `json:"truncated"`
	RowCount  int64        `json:"row_count"`
	Error     *answerError `json:"error,omitempty"`
}

type answerError struct {
	Kind     string `json:"kind"` // "sql", "limit", "setup"
	Message  string `json:"message"`
	Position int    `json:"position"`
}

var viewName = regexp.MustCompile(`^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$`)

// newJob checks the inputs and fills in the limits' defaults.
func newJob(mode string, inputs []Input, sql, out string, lim Limits) (*job, error) {
	if strings.TrimSpace(sql) == "" {
		return nil, &SQLError{Message: "the SQL is empty", Position: -1}
	}
	seen := map[string]bool{}
	for _, in := range inputs {
		if !viewName.MatchString(in.Name) || strings.HasPrefix(in.Name, reservedPrefix) {
			return nil, fmt.Errorf("sandbox input name %q: want lower-case letters, digits and _, optionally schema.name", in.Name)
		}
		if seen[in.Name] {
			return nil, fmt.Errorf("sandbox input %s is named twice", in.Name)
		}
		seen[in.Name] = true
		if len(in.Paths) == 0 {
			return nil, fmt.Errorf("sandbox input %s has no files", in.Name)
		}
		if _, err := inputFormat(in); err != nil {
			return nil, err
		}
		for _, p := range in.Paths {
			if err := checkInputFile(p); err != nil {
				return nil, fmt.Errorf("sandbox input %s: %w", in.Name, err)
			}
		}
	}
	j := &job{Mode: mode, SQL: sql, Inputs: inputs, Out: out, Threads: lim.Threads, MaxRows: lim.MaxRows, Timeout: lim.Timeout}
	var err error
	if lim.Memory == "" {
		lim.Memory = defaultMemory
	}
	if j.Memory, err = parseBytes(lim.Memory); err != nil || j.Memory < minMemory {
		return nil, fmt.Errorf("sandbox memory limit %q: want a size of at least 16MB, like 512MB", lim.Memory)
	}
	if lim.TempSize == "" {
		lim.TempSize = defaultTempSize
	}
	if j.TempSize, err = parseBytes(lim.TempSize); err != nil {
		return nil, fmt.Errorf("sandbox temp size %q: want a size like 4GB", lim.TempSize)
	}
	if j.Threads <= 0 {
		j.Threads = defaultThreads
	}
	if j.Timeout <= 0 {
		j.Timeout = defaultTimeout
	}
	if j.MaxRows <= 0 {
		j.MaxRows = defaultMaxRows
	}
	// The second fence behind memory_limit. It bounds virtual memory, which
	// is far above what is resident: the Go runtime, jemalloc's arenas and
	// thread stacks reserve address space they never touch (a child with a
	// 64MB limit peaks near 2 GiB of it). So it catches a runaway, not a
	// tight budget; memory_limit is the tight one.
	j.AddressSpace = uint64(j.Memory)*2 + 4<<30 + uint64(j.Threads)*(256<<20)
	return j, nil
}

// checkInputFile accepts an absolute, clean path to a regular file (not a
// symlink) whose name DuckDB will not read as a glob or a URL.
func checkInputFile(p string) error {
	if !filepath.IsAbs(p) || filepath.Clean(p) != p {
		return fmt.Errorf("%q is not a clean absolute path", p)
	}
	if strings.ContainsAny(p, "\x00*?[]{}\\") {
		return fmt.Errorf("%q has a character DuckDB would read as a pattern", p)
	}
	info, err := os.Lstat(p)
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file (a symlink, folder or device)", p)
	}
	return nil
}

// inputFormat is the reader an input needs: its Format, or its files'
// extension when Format is empty.
func inputFormat(in Input) (string, error) {
	switch in.Format {
	case "csv", "json", "parquet":
		return in.Format, nil
	case "":
	default:
		return "", fmt.Errorf("sandbox input %s: unknown format %q (csv, json, parquet)", in.Name, in.Format)
	}
	format := ""
	for _, p := range in.Paths {
		f := formatOf(p)
		if f == "" {
			return "", fmt.Errorf("sandbox input %s: cannot tell the format of %s; name it", in.Name, filepath.Base(p))
		}
		if format != "" && f != format {
			return "", fmt.Errorf("sandbox input %s mixes %s and %s files", in.Name, format, f)
		}
		format = f
	}
	return format, nil
}

func formatOf(p string) string {
	name := strings.ToLower(filepath.Base(p))
	for _, z := range []string{".gz", ".zst"} {
		name = strings.TrimSuffix(name, z)
	}
	switch filepath.Ext(name) {
	case ".csv", ".tsv", ".txt":
		return "csv"
	case ".json", ".ndjson", ".jsonl":
		return "json"
	case ".parquet":
		return "parquet"
	}
	return ""
}

var sizePattern = regexp.MustCompile(`^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$`)

// parseBytes reads a size the way DuckDB does: KB, MB, GB, TB are powers of
// 1000, KiB, MiB, GiB, TiB powers of 1024; a bare number is bytes.
func parseBytes(s string) (int64, error) {
	m := sizePattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("size %q", s)
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, err
	}
	units := map[string]float64{
		"": 1, "b": 1, "byte": 1, "bytes": 1,
		"k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9, "t": 1e12, "tb": 1e12,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
	}
	u, ok := units[strings.ToLower(m[2])]
	if !ok {
		return 0, fmt.Errorf("size %q: unknown unit", s)
	}
	v := n * u
	if v > math.MaxInt64/2 {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return int64(v), nil
}

// run sends the job to a child and waits for its answer, the timeout or
// ctx, whichever comes first.
func (s *Sandbox) run(ctx context.Context, j *job) (*Result, error) {
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := os.MkdirAll(s.cfg.ScratchDir, 0o750); err != nil {
		return nil, fmt.Errorf("sandbox scratch: %w", err)
	}
	dir, err := os.MkdirTemp(s.cfg.ScratchDir, "job-")
	if err != nil {
		return nil, fmt.Errorf("sandbox scratch: %w", err)
	}
	defer os.RemoveAll(dir)
	j.TempDir = dir
	payload, err := json.Marshal(j)
	if err != nil {
		return nil, err
	}

	timer := time.NewTimer(j.Timeout)
	defer timer.Stop()
	start := time.Now()
	var c *child
	var got reply
	for attempt := 0; ; attempt++ {
		if c, err = s.send(payload); err != nil {
			return nil, err
		}
		select {
		case got = <-c.reply():
		case <-ctx.Done():
			c.kill()
			<-c.done
			return nil, ctx.Err()
		case <-timer.C:
			c.kill()
			<-c.done
			return nil, &LimitError{Limit: "time", Message: fmt.Sprintf("The query ran longer than its time limit of %s and was stopped.", j.Timeout)}
		}
		if got.acked || attempt == 2 {
			break
		}
		// It died before it took the job (a warm child killed while it
		// waited): nothing ran, so another child may try.
		c.kill()
		<-c.done
	}
	elapsed := time.Since(start)
	// The answer is in; the child exits right after writing it.
	select {
	case <-c.done:
	case <-time.After(childGrace):
		c.kill()
		<-c.done
	}

	var ans answer
	if len(got.data) > maxAnswer {
		return nil, &LimitError{Limit: "output", Message: "The query's answer is too large; select fewer or smaller columns."}
	}
	dec := json.NewDecoder(bytes.NewReader(got.data))
	dec.UseNumber()
	if len(got.data) == 0 || dec.Decode(&ans) != nil {
		output := c.output.String()
		if strings.Contains(output, "out of memory") || strings.Contains(output, "std::bad_alloc") {
			// The address-space fence, behind memory_limit, stopped it.
			return nil, &LimitError{Limit: "memory", Message: "The query needed more memory than the sandbox allows and was stopped."}
		}
		return nil, &CrashError{Reason: c.exitReason(), Output: output}
	}
	if e := ans.Error; e != nil {
		switch e.Kind {
		case "sql":
			return nil, &SQLError{Message: e.Message, Position: e.Position}
		case "limit":
			return nil, &LimitError{Limit: "memory", Message: e.Message}
		default:
			return nil, fmt.Errorf("sandbox setup: %s", e.Message)
		}
	}
	res := &Result{Columns: ans.Columns, Truncated: ans.Truncated, RowCount: ans.RowCount, Elapsed: elapsed}
	res.Rows = make([][]any, len(ans.Rows))
	for i, row := range ans.Rows {
		for k := range row {
			typ := ""
			if k < len(ans.Columns) {
				typ = ans.Columns[k].Type
			}
			row[k] = fromJSON(row[k], typ)
		}
		res.Rows[i] = row
	}
	return res, nil
}

// fromJSON turns decoded JSON numbers into int64 when they are integers
// that fit, into float64 in FLOAT and DOUBLE columns, and leaves DECIMALs
// and the rest as json.Number (exact digits).
func fromJSON(v any, typ string) any {
	switch x := v.(type) {
	case json.Number:
		switch {
		case strings.HasPrefix(typ, "DECIMAL("):
			return x
		case typ == "DOUBLE" || typ == "FLOAT":
			if f, err := x.Float64(); err == nil {
				return f
			}
		case !strings.ContainsAny(string(x), ".eE"):
			if n, err := x.Int64(); err == nil {
				return n
			}
		}
		return x
	case []any:
		for i := range x {
			x[i] = fromJSON(x[i], "")
		}
	case map[string]any:
		for k := range x {
			x[k] = fromJSON(x[k], "")
		}
	}
	return v
}

// reply is what came back on a child's fd 3: the byte it writes once it
// has read the whole job, then the answer.
type reply struct {
	acked bool
	data  []byte
}

// reply reads the child's fd 3 to the end in the background.
func (c *child) reply() <-chan reply {
	ch := make(chan reply, 1)
	go func() {
		defer c.answer.Close()
		var ack [1]byte
		if n, _ := io.ReadFull(c.answer, ack[:]); n == 0 || ack[0] != jobAck {
			ch <- reply{}
			return
		}
		data, _ := io.ReadAll(io.LimitReader(c.answer, maxAnswer+1))
		ch <- reply{acked: true, data: data}
	}()
	return ch
}

// jobAck is the byte a child writes when it has the job.
const jobAck = '+'

// send hands the job to a warm child, or a fresh one when none is ready
// or the warm one turns out to be dead.
func (s *Sandbox) send(payload []byte) (*child, error) {
	for attempt := 0; ; attempt++ {
		c, err := s.take()
		if err != nil {
			return nil, err
		}
		c.used.Store(true)
		_, err = c.stdin.Write(payload)
		if err == nil {
			err = c.stdin.Close()
		}
		if err == nil {
			return c, nil
		}
		c.kill()
		<-c.done
		if attempt == 1 {
			return nil, &CrashError{Reason: "it could not take the job: " + err.Error(), Output: c.output.String()}
		}
	}
}

// take returns a warm child, or starts one, and tops the pool up.
func (s *Sandbox) take() (*child, error) {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil, errors.New("sandbox is closed")
	}
	for {
		select {
		case c := <-s.warm:
			s.refillOne()
			select {
			case <-c.done:
				continue // died while waiting
			default:
				return c, nil
			}
		default:
			s.refillOne()
			return s.start()
		}
	}
}

// refillOne starts one child for the pool in the background.
func (s *Sandbox) refillOne() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.refill.Add(1)
	go func() {
		defer s.refill.Done()
		c, err := s.start()
		if err != nil {
			return // the next job starts its own and reports the error
		}
		select {
		case s.warm <- c:
		default:
			c.kill() // the pool is full
		}
	}()
}

// child is one sandbox process.
type child struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	answer  *os.File    // read end of the child's fd 3; closed by whoever reads it
	used    atomic.Bool // a job was sent: its reader owns answer
	output  *tailBuffer
	done    chan struct{} // closed once the process is reaped
	waitErr error
}

func (s *Sandbox) start() (*child, error) {
	cmd := s.cfg.Command()
	if cmd.Env == nil {
		cmd.Env = []string{} // nothing for getenv to find, no DuckDB or Go variables
	}
	if cmd.Dir == "" {
		cmd.Dir = os.TempDir()
	}
	setChildAttrs(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	out := &tailBuffer{max: outputTail}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.ExtraFiles = []*os.File{w}
	cmd.WaitDelay = time.Second
	c := &child{cmd: cmd, stdin: stdin, answer: r, output: out, done: make(chan struct{})}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		r.Close()
		w.Close()
		return nil, errors.New("sandbox is closed")
	}
	err = cmd.Start()
	if err == nil {
		s.live[c] = struct{}{}
	}
	s.mu.Unlock()
	w.Close()
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("start sandbox process: %w", err)
	}
	go func() {
		c.waitErr = cmd.Wait()
		if !c.used.Load() {
			r.Close() // never got a job; had it, the reader drains and closes
		}
		s.mu.Lock()
		delete(s.live, c)
		s.mu.Unlock()
		close(c.done)
	}()
	return c, nil
}

// kill ends the child and anything it started.
func (c *child) kill() {
	killChild(c.cmd)
}

func (c *child) exitReason() string {
	<-c.done
	if c.waitErr == nil {
		return "it exited without answering"
	}
	return c.waitErr.Error()
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
