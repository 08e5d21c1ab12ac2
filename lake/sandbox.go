package lake

// The sandbox runs user SQL (pipelines, checks, federated queries) in a
// child process: the same binary re-executed with "__sandbox" (see
// SandboxMain), children started ahead of time and kept warm in a small
// pool. The child configures and locks its DuckDB before it reads a byte
// of user SQL; the parent kills it on timeout or cancel, so a crash, an
// out-of-memory or a runaway query costs that job only.
//
// A child serves one job, except the queries of one person (QueryAs): a
// child that answered one stays, idle, for that person's next query over
// the same inputs and limits, which then skips starting a process and
// configuring DuckDB (most of a small query's time). It never serves
// anyone else, nor other inputs: its DuckDB stays locked to the files it
// was configured for.
//
// The protocol: the parent writes a job frame on the child's stdin (an
// 8-byte big-endian length, then the job's JSON); the child writes one
// byte once it has the job, then an answer frame, on file descriptor 3.
// The child exits after its answer unless the job says Keep, and at the
// end of stdin. Its stdout and stderr (DuckDB can print there, e.g. a
// profiler someone switched on) are kept, the last 64 KiB, for the logs.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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
	ScratchDir string           // where each child gets its temp dir (Lake.SandboxScratchDir; default os.TempDir()/plaza-sandbox)
	Parallel   int              // jobs running at once (default 4); more wait their turn
	Idle       int              // children kept after a person's query for their next one (default 32; -1 keeps none)
	IdleFor    time.Duration    // how long such a child waits (default 2 minutes)
	KeepBelow  int64            // a child holding more memory after a query is not kept (default 768 MiB)
}

// Sandbox runs user SQL in child processes. It is safe for concurrent use.
type Sandbox struct {
	cfg   SandboxConfig
	warm  chan *child
	slots chan struct{}

	mu      sync.Mutex
	closed  bool
	live    map[*child]struct{}
	idle    []*idleChild // children waiting for their person's next query, oldest first
	refill  sync.WaitGroup
	started atomic.Int64 // children started, for tests
}

// idleChild is a child kept for the next query with the same key.
type idleChild struct {
	c     *child
	key   string
	timer *time.Timer
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
	if cfg.Idle == 0 {
		cfg.Idle = 32
	}
	if cfg.IdleFor <= 0 {
		cfg.IdleFor = 2 * time.Minute
	}
	if cfg.KeepBelow <= 0 {
		// Above a query's default memory_limit (512 MB) and the runtime:
		// a small query's child holds about 70 MB, one after a big
		// aggregation 300 MB, down to 115 MB a second later.
		cfg.KeepBelow = 768 << 20
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
	for _, ic := range s.idle {
		ic.timer.Stop()
	}
	s.idle = nil
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
	return s.QueryAs(ctx, "", inputs, sql, lim)
}

// QueryAs is Query on behalf of person (a stable id such as "user:42";
// "" is no one). The child that answers may be kept for person's next
// query over the same inputs and limits, and only for that.
func (s *Sandbox) QueryAs(ctx context.Context, person string, inputs []Input, sql string, lim Limits) (*Result, error) {
	job, err := newJob("query", inputs, sql, "", lim)
	if err != nil {
		return nil, err
	}
	key := ""
	if person != "" && s.cfg.Idle > 0 {
		job.Keep, job.KeepBelow, key = true, s.cfg.KeepBelow, job.key(person)
	}
	return s.run(ctx, job, key)
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
	res, err := s.run(ctx, job, "")
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
	Keep         bool          `json:"keep"`          // wait for a next job with the same environment
	KeepBelow    int64         `json:"keep_below"`    // unless holding more memory than this, bytes
}

// key names what a kept child is bound to: the person and everything the
// child configures from a job but its temp dir (its own).
func (j *job) key(person string) string {
	env, _ := json.Marshal(jobEnv{Inputs: j.Inputs, Out: j.Out, Memory: j.Memory, TempSize: j.TempSize,
		Threads: j.Threads, AddressSpace: j.AddressSpace})
	sum := sha256.Sum256(env)
	return person + "\x00" + hex.EncodeToString(sum[:])
}

// answer is what a child sends back.
type answer struct {
	Columns   []Column     `json:"columns"`
	Rows      [][]any      `json:"rows"`
	Truncated bool         `json:"truncated"`
	RowCount  int64        `json:"row_count"`
	Error     *answerError `json:"error,omitempty"`
	Stays     bool         `json:"stays"` // the child waits for the next job of its key
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
// ctx, whichever comes first. A job with a key goes to a child kept for
// that key when there is one, and its child is kept afterwards.
func (s *Sandbox) run(ctx context.Context, j *job, key string) (*Result, error) {
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	timer := time.NewTimer(j.Timeout)
	defer timer.Stop()
	start := time.Now()
	var c *child
	var got reply
	for attempt := 0; ; attempt++ {
		var err error
		if c, err = s.send(j, key); err != nil {
			return nil, err
		}
		select {
		case got = <-c.replies: // the zero reply when it died before acking
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

	if got.tooLarge {
		c.kill()
		return nil, &LimitError{Limit: "output", Message: "The query's answer is too large; select fewer or smaller columns."}
	}
	var ans answer
	dec := json.NewDecoder(bytes.NewReader(got.data))
	dec.UseNumber()
	if len(got.data) == 0 || dec.Decode(&ans) != nil {
		c.kill()
		<-c.done
		output := c.output.String()
		if strings.Contains(output, "out of memory") || strings.Contains(output, "std::bad_alloc") {
			// The address-space fence, behind memory_limit, stopped it.
			return nil, &LimitError{Limit: "memory", Message: "The query needed more memory than the sandbox allows and was stopped."}
		}
		return nil, &CrashError{Reason: c.exitReason(), Output: output}
	}
	if key != "" && ans.Stays {
		s.park(key, c)
	} else {
		c.retire()
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

// reply is an answer frame from a child's fd 3.
type reply struct {
	acked    bool   // it took the job (wrote jobAck)
	tooLarge bool   // the answer was over maxAnswer; not read
	data     []byte // the answer's JSON; empty when it died before writing it
}

// read turns the child's fd 3 into replies, one per job, until the child
// closes it (it exits); then replies is closed.
func (c *child) read() {
	defer close(c.replies)
	defer c.answer.Close()
	r := bufio.NewReader(c.answer)
	for {
		if b, err := r.ReadByte(); err != nil || b != jobAck {
			return
		}
		data, err := readFrame(r, maxAnswer)
		if errors.Is(err, errFrameTooLarge) {
			c.replies <- reply{acked: true, tooLarge: true}
			return
		}
		c.replies <- reply{acked: true, data: data}
		if err != nil {
			return
		}
	}
}

// jobAck is the byte a child writes when it has the job.
const jobAck = '+'

// maxJob bounds a job frame (the SQL and the input paths).
const maxJob = 64 << 20

var errFrameTooLarge = errors.New("frame too large")

// writeFrame writes data's length, 8 bytes big-endian, then data.
func writeFrame(w io.Writer, data []byte) error {
	frame := make([]byte, 8, 8+len(data))
	binary.BigEndian.PutUint64(frame, uint64(len(data)))
	_, err := w.Write(append(frame, data...))
	return err
}

// readFrame reads what writeFrame wrote, refusing frames over max bytes.
func readFrame(r io.Reader, max int) ([]byte, error) {
	var size [8]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint64(size[:])
	if n > uint64(max) {
		return nil, errFrameTooLarge
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, err
	}
	return data, nil
}

// send hands the job to the child kept for key, else to a warm child, or
// a fresh one when none is ready or the one taken turns out to be dead.
func (s *Sandbox) send(j *job, key string) (*child, error) {
	for attempt := 0; ; attempt++ {
		c := s.unpark(key)
		if c == nil {
			var err error
			if c, err = s.take(); err != nil {
				return nil, err
			}
		}
		j.TempDir = c.dir
		payload, err := json.Marshal(j)
		if err != nil {
			c.kill()
			return nil, err
		}
		err = writeFrame(c.stdin, payload)
		if err == nil && !j.Keep {
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

// park keeps c, which answered a job with key, for the next job with the
// same key, for IdleFor at most. Beyond Idle children the oldest goes.
func (s *Sandbox) park(key string, c *child) {
	ic := &idleChild{c: c, key: key}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.kill()
		return
	}
	ic.timer = time.AfterFunc(s.cfg.IdleFor, func() { s.expire(ic) })
	s.idle = append(s.idle, ic)
	var oldest *idleChild
	if len(s.idle) > s.cfg.Idle {
		oldest = s.idle[0]
		s.idle = slices.Delete(s.idle, 0, 1)
		oldest.timer.Stop()
	}
	s.mu.Unlock()
	if oldest != nil {
		oldest.c.retire()
	}
}

// unpark takes a live child kept for key, the one used last; nil when
// there is none.
func (s *Sandbox) unpark(key string) *child {
	if key == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.idle) - 1; i >= 0; i-- {
		ic := s.idle[i]
		if ic.key != key {
			continue
		}
		s.idle = slices.Delete(s.idle, i, i+1)
		ic.timer.Stop()
		select {
		case <-ic.c.done: // died while it waited
		default:
			return ic.c
		}
	}
	return nil
}

// expire retires a kept child nobody asked for within IdleFor.
func (s *Sandbox) expire(ic *idleChild) {
	s.mu.Lock()
	i := slices.Index(s.idle, ic)
	if i >= 0 {
		s.idle = slices.Delete(s.idle, i, i+1)
	}
	s.mu.Unlock()
	if i >= 0 {
		ic.c.retire()
	}
}

// retire ends a child that has answered: the end of its stdin tells it to
// exit; one that does not within childGrace is killed. Nobody waits for it.
func (c *child) retire() {
	c.stdin.Close()
	go func() {
		select {
		case <-c.done:
		case <-time.After(childGrace):
			c.kill()
		}
	}()
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
	answer  *os.File   // read end of the child's fd 3, read by read()
	replies chan reply // read's output
	dir     string     // the child's temp dir, removed when it ends
	output  *tailBuffer
	done    chan struct{} // closed once the process is reaped and its dir removed
	waitErr error
}

func (s *Sandbox) start() (*child, error) {
	if err := os.MkdirAll(s.cfg.ScratchDir, 0o750); err != nil {
		return nil, fmt.Errorf("sandbox scratch: %w", err)
	}
	dir, err := os.MkdirTemp(s.cfg.ScratchDir, "child-")
	if err != nil {
		return nil, fmt.Errorf("sandbox scratch: %w", err)
	}
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
		os.RemoveAll(dir)
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	out := &tailBuffer{max: outputTail}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.ExtraFiles = []*os.File{w}
	cmd.WaitDelay = time.Second
	c := &child{cmd: cmd, stdin: stdin, answer: r, replies: make(chan reply, 1), dir: dir, output: out, done: make(chan struct{})}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		r.Close()
		w.Close()
		os.RemoveAll(dir)
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
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start sandbox process: %w", err)
	}
	s.started.Add(1)
	go c.read()
	go func() {
		c.waitErr = cmd.Wait()
		os.RemoveAll(c.dir)
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
