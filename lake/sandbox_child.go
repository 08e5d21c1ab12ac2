package lake

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// SandboxMain is the child: it opens DuckDB, waits for a job on stdin,
// configures and locks DuckDB, runs the job and writes the answer on file
// descriptor 3. A job marked Keep leaves the child waiting for the next
// job of the same person over the same inputs and limits, which runs on
// the DuckDB already configured; otherwise, or at the end of stdin, it
// exits. Only a Sandbox starts it ("plaza __sandbox").
func SandboxMain() {
	os.Exit(childMain(os.Stdin, os.NewFile(3, "answer")))
}

func childMain(stdin io.Reader, out *os.File) int {
	if out == nil {
		fmt.Fprintln(os.Stderr, "plaza __sandbox: started by plaza itself, not by hand")
		return 2
	}
	if _, err := out.Stat(); err != nil {
		fmt.Fprintln(os.Stderr, "plaza __sandbox: started by plaza itself, not by hand")
		return 2
	}
	ctx := context.Background()
	// Open DuckDB while warm: nothing of the job's has been read yet.
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "plaza __sandbox: open DuckDB:", err)
		return 2
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "plaza __sandbox: open DuckDB:", err)
		return 2
	}

	in := bufio.NewReader(stdin)
	w := &childState{conn: conn}
	for {
		data, err := readFrame(in, maxJob)
		if err != nil {
			return 0 // the pool retired us, or closed without a job for us
		}
		// Tell the parent the job is ours: should we die from here on, the
		// job failed; before this, the parent may give it to another child.
		if _, err := out.Write([]byte{jobAck}); err != nil {
			return 3
		}
		var j job
		if err := json.Unmarshal(data, &j); err != nil {
			writeAnswer(out, setupFailure(fmt.Errorf("read job: %w", err)))
			return 3
		}
		// Should the parent be gone, do not run forever.
		watchdog := time.AfterFunc(j.Timeout+childGrace, func() { os.Exit(4) })
		ans := w.run(ctx, &j)
		watchdog.Stop()
		// A child that grew large (more than a query's memory, which
		// DuckDB's allocator returns to the system within a second or
		// so) is not kept.
		ans.Stays = j.Keep && !w.spent && residentBytes() <= j.KeepBelow
		if err := writeAnswer(out, ans); err != nil {
			fmt.Fprintln(os.Stderr, "plaza __sandbox: write answer:", err)
			return 3
		}
		if !ans.Stays {
			return 0
		}
		// The next query names its own; this one's view goes now.
		if _, err := conn.ExecContext(ctx, "DROP VIEW IF EXISTS "+queryViewName); err != nil {
			return 0
		}
	}
}

// residentBytes is the child's resident memory; 0 where /proc cannot say.
func residentBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}

// childState is what a child keeps between the jobs it serves.
type childState struct {
	conn  *sql.Conn
	env   []byte // the job's environment (jobEnv) the DuckDB is configured for; nil before the first
	spent bool   // configured but unusable (its views failed): exit after answering
}

// jobEnv is what a child configures from a job once: a later job may run
// on the same DuckDB only when its environment is the same.
type jobEnv struct {
	Inputs       []Input
	Out          string
	TempDir      string
	Memory       int64
	TempSize     int64
	Threads      int
	AddressSpace uint64
}

// run does the job: on a fresh DuckDB it first limits the process and
// configures and locks DuckDB for the job's environment; a later job must
// bring the same environment.
func (w *childState) run(ctx context.Context, j *job) *childAnswer {
	env, err := json.Marshal(jobEnv{Inputs: j.Inputs, Out: j.Out, TempDir: j.TempDir, Memory: j.Memory,
		TempSize: j.TempSize, Threads: j.Threads, AddressSpace: j.AddressSpace})
	if err != nil {
		return setupFailure(err)
	}
	switch {
	case w.env == nil:
		if ans := setUp(ctx, w.conn, j); ans != nil {
			w.spent = true
			return ans
		}
		w.env = env
	case !bytes.Equal(w.env, env):
		w.spent = true
		return setupFailure(errors.New("this sandbox child is configured for other inputs or limits"))
	}
	return runJob(ctx, w.conn, j)
}

// childAnswer is answer as the child writes it: rows already encoded.
type childAnswer struct {
	Columns   []Column          `json:"columns"`
	Rows      []json.RawMessage `json:"rows"`
	Truncated bool              `json:"truncated"`
	RowCount  int64             `json:"row_count"`
	Error     *answerError      `json:"error,omitempty"`
	Stays     bool              `json:"stays,omitempty"`
}

// writeAnswer writes one answer frame: its length, then its JSON.
func writeAnswer(out *os.File, a *childAnswer) error {
	data, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return writeFrame(out, data)
}

func setupFailure(err error) *childAnswer {
	return &childAnswer{Error: &answerError{Kind: "setup", Message: err.Error(), Position: -1}}
}

// setUp limits the process and configures, locks and fills a DuckDB
// nobody has configured yet: nil when it is ready for the job's query.
func setUp(ctx context.Context, conn *sql.Conn, j *job) *childAnswer {
	if err := limitChild(j.AddressSpace); err != nil {
		return setupFailure(fmt.Errorf("rlimit: %w", err))
	}
	if err := os.Chdir(j.TempDir); err != nil {
		return setupFailure(err)
	}
	if err := configure(ctx, conn, j); err != nil {
		return setupFailure(err)
	}
	// Everything below runs with the configuration locked.
	if err := createViews(ctx, conn, j.Inputs); err != nil {
		return failure(err, -1, j)
	}
	return nil
}

// runJob runs the job's SQL on a DuckDB set up for it.
func runJob(ctx context.Context, conn *sql.Conn, j *job) *childAnswer {
	// A view holds exactly one query, so making it is the check that the
	// SQL is one; only when it fails does checkQuery say what else it is.
	prefix := "CREATE TEMP VIEW " + queryViewName + " AS "
	if err := execOne(ctx, conn, prefix+j.SQL, duckdb.STATEMENT_TYPE_CREATE); err != nil {
		if err := checkQuery(conn, j.SQL); err != nil {
			return failure(err, 0, j)
		}
		ans := failure(err, len(prefix), j)
		if e := ans.Error; e.Kind == "sql" && e.Position == 0 && strings.HasPrefix(e.Message, "Parser Error") {
			// A query a view cannot hold: DESCRIBE, SUMMARIZE, SHOW.
			e.Message = "DESCRIBE, SUMMARIZE and SHOW cannot run here as they are; wrap them in a query: SELECT * FROM (DESCRIBE orders)."
		}
		return ans
	}
	cols, err := describe(ctx, conn)
	if err != nil {
		return failure(err, -1, j)
	}
	if j.Mode == "materialize" {
		return materialize(ctx, conn, j, cols)
	}
	return query(ctx, conn, j, cols)
}

// remoteFileSystems are disabled by name. None is loaded (httpfs and azure
// are not linked in, and autoloading is off); this keeps them off should
// that ever change.
const remoteFileSystems = "HTTPFileSystem,S3FileSystem,GCSFileSystem,R2FileSystem,HuggingFaceFileSystem,AzureBlobStorageFileSystem,AzureDfsStorageFileSystem"

// configure applies the sandbox's settings, locks the configuration last,
// and reads the settings back.
func configure(ctx context.Context, conn *sql.Conn, j *job) error {
	allowed := allowedPaths(j)
	quoted := make([]string, len(allowed))
	for i, p := range allowed {
		quoted[i] = quote(p)
	}
	steps := []string{
		"SET errors_as_json = true", // positions and types come back parseable
		"SET TimeZone = 'UTC'",
		fmt.Sprintf("SET threads = %d", j.Threads),
		fmt.Sprintf("SET memory_limit = '%d bytes'", j.Memory),
		fmt.Sprintf("SET max_temp_directory_size = '%d bytes'", j.TempSize),
		"SET temp_directory = " + quote(j.TempDir),
		"SET disabled_filesystems = '" + remoteFileSystems + "'",
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = false",
		"SET allow_community_extensions = false",
		"SET allow_unsigned_extensions = false",
		"SET allow_persistent_secrets = false",
		"SET allow_unredacted_secrets = false",
		"SET enable_progress_bar = false",
		// Inputs are published snapshots (never rewritten) and landing
		// files (DuckDB checks their modification time): a kept child
		// reads each footer once, not at every bind of every query.
		"SET parquet_metadata_cache = true",
		// Idle, a kept child gives freed memory back to the system.
		"SET allocator_background_threads = true",
		"SET allowed_configs = []",
		"SET allowed_directories = []",
		"SET allowed_paths = [" + strings.Join(quoted, ", ") + "]",
		"SET enable_external_access = false",
	}
	for _, s := range steps {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	// disabled_filesystems reads back as '' whatever it holds (DuckDB 1.5's
	// getter is a stub), so check it by its effect: re-enabling is refused.
	if _, err := conn.ExecContext(ctx, "SET disabled_filesystems = ''"); err == nil || !strings.Contains(err.Error(), "cannot be re-enabled") {
		return fmt.Errorf("disabled_filesystems did not hold: %v", err)
	}
	if _, err := conn.ExecContext(ctx, "SET lock_configuration = true"); err != nil {
		return fmt.Errorf("lock configuration: %w", err)
	}
	return verify(ctx, conn, j, allowed)
}

// allowedPaths are the files the child may open: the inputs and the output.
func allowedPaths(j *job) []string {
	var paths []string
	for _, in := range j.Inputs {
		paths = append(paths, in.Paths...)
	}
	if j.Out != "" {
		paths = append(paths, j.Out)
	}
	slices.Sort(paths)
	return slices.Compact(paths)
}

// verify reads the settings back after the lock and compares each with
// what was set. DuckDB adds the temp directory to allowed_directories
// itself when external access goes off; that is the only directory.
func verify(ctx context.Context, conn *sql.Conn, j *job, allowed []string) error {
	var memory, tempSize string
	if err := conn.QueryRowContext(ctx, "SELECT format_bytes(?::BIGINT), format_bytes(?::BIGINT)", j.Memory, j.TempSize).Scan(&memory, &tempSize); err != nil {
		return err
	}
	want := map[string]string{
		"threads":                      strconv.Itoa(j.Threads),
		"memory_limit":                 memory,
		"max_temp_directory_size":      tempSize,
		"temp_directory":               j.TempDir,
		"autoinstall_known_extensions": "false",
		"autoload_known_extensions":    "false",
		"allow_community_extensions":   "false",
		"allow_unsigned_extensions":    "false",
		"allow_persistent_secrets":     "false",
		"allow_unredacted_secrets":     "false",
		"allowed_configs":              "[]",
		"enable_external_access":       "false",
		"lock_configuration":           "true",
		"errors_as_json":               "true",
		"parquet_metadata_cache":       "true",
		"allocator_background_threads": "true",
	}
	rows, err := conn.QueryContext(ctx, "SELECT name, value FROM duckdb_settings()")
	if err != nil {
		return err
	}
	defer rows.Close()
	got := map[string]string{}
	for rows.Next() {
		var name string
		var value sql.NullString
		if err := rows.Scan(&name, &value); err != nil {
			return err
		}
		got[name] = value.String
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for name, w := range want {
		if got[name] != w {
			return fmt.Errorf("setting %s reads back %q, want %q", name, got[name], w)
		}
	}
	var paths, dirs []any
	if err := conn.QueryRowContext(ctx, "SELECT current_setting('allowed_paths'), current_setting('allowed_directories')").Scan(&paths, &dirs); err != nil {
		return err
	}
	if !sameStrings(paths, allowed) {
		return fmt.Errorf("allowed_paths reads back %v, want %v", paths, allowed)
	}
	if !sameStrings(dirs, []string{strings.TrimSuffix(j.TempDir, "/") + "/"}) {
		return fmt.Errorf("allowed_directories reads back %v, want only the temp directory", dirs)
	}
	var secrets int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM duckdb_secrets()").Scan(&secrets); err != nil {
		return err
	}
	if secrets != 0 {
		return fmt.Errorf("%d secrets are defined", secrets)
	}
	return nil
}

func sameStrings(got []any, want []string) bool {
	g := make([]string, 0, len(got))
	for _, v := range got {
		s, ok := v.(string)
		if !ok {
			return false
		}
		g = append(g, s)
	}
	slices.Sort(g)
	return slices.Equal(g, want)
}

// createViews makes one view per input over its files.
func createViews(ctx context.Context, conn *sql.Conn, inputs []Input) error {
	for _, in := range inputs {
		for _, p := range in.Paths {
			// Again, now: a file swapped for a symlink since the parent
			// looked would be followed by DuckDB.
			if err := checkInputFile(p); err != nil {
				return fmt.Errorf("input %s: %w", in.Name, err)
			}
		}
		format, err := inputFormat(in)
		if err != nil {
			return err
		}
		files := make([]string, len(in.Paths))
		for i, p := range in.Paths {
			files[i] = quote(p)
		}
		reader := map[string]string{"csv": "read_csv", "json": "read_json", "parquet": "read_parquet"}[format]
		name := ident(in.Name)
		if schema, table, ok := strings.Cut(in.Name, "."); ok {
			if _, err := conn.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+ident(schema)); err != nil {
				return err
			}
			name = ident(schema) + "." + ident(table)
		}
		options := ""
		if format == "csv" && len(in.Paths) == 1 {
			if o := sniffedCSV(ctx, conn, in.Paths[0]); o != "" {
				options = ", " + o
			}
		}
		stmt := fmt.Sprintf("CREATE VIEW %s AS SELECT * FROM %s([%s]%s)", name, reader, strings.Join(files, ", "), options)
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("input %s: %w", in.Name, err)
		}
	}
	return nil
}

// sniffedCSV detects a CSV file's dialect and column types once and
// returns them as read_csv options with detection off. Without them a
// view over read_csv sniffs the file again at every statement that binds
// it: checking the query, the query view, DESCRIBE and the query itself,
// 40-90 ms each for a 500 MB file. "" when the sniffer fails or says
// something unexpected: read_csv then detects, and reports, as before.
func sniffedCSV(ctx context.Context, conn *sql.Conn, file string) string {
	var delim, quoteChar, escape, newLine, comment string
	var skip int64
	var header bool
	var columns any
	var dateFormat, timestampFormat sql.NullString
	err := conn.QueryRowContext(ctx, `SELECT Delimiter, Quote, Escape, NewLineDelimiter, Comment, SkipRows, HasHeader,
		Columns, DateFormat, TimestampFormat FROM sniff_csv(`+quote(file)+`)`).
		Scan(&delim, &quoteChar, &escape, &newLine, &comment, &skip, &header, &columns, &dateFormat, &timestampFormat)
	if err != nil {
		return ""
	}
	list, ok := columns.([]any)
	if !ok || len(list) == 0 {
		return ""
	}
	cols := make([]string, len(list))
	for i, c := range list {
		m, _ := c.(map[string]any)
		name, _ := m["name"].(string)
		typ, _ := m["type"].(string)
		if name == "" || typ == "" {
			return ""
		}
		cols[i] = quote(name) + ": " + quote(typ)
	}
	// sniff_csv writes a character that is not there as "(empty)".
	char := func(s string) string {
		if s == "(empty)" {
			s = ""
		}
		return quote(s)
	}
	o := fmt.Sprintf("auto_detect = false, delim = %s, quote = %s, escape = %s, new_line = %s, comment = %s, skip = %d, header = %t, columns = {%s}",
		char(delim), char(quoteChar), char(escape), char(newLine), char(comment), skip, header, strings.Join(cols, ", "))
	if dateFormat.Valid {
		o += ", dateformat = " + quote(dateFormat.String)
	}
	if timestampFormat.Valid {
		o += ", timestampformat = " + quote(timestampFormat.String)
	}
	return o
}

// checkQuery accepts exactly one statement, and only a query.
func checkQuery(conn *sql.Conn, query string) error {
	return prepareOne(conn, query, func(st *duckdb.Stmt) error {
		t, err := st.StatementType()
		if err != nil {
			return err
		}
		if t != duckdb.STATEMENT_TYPE_SELECT {
			return &SQLError{Message: fmt.Sprintf("Only a query (SELECT) may run here, not %s.", statementName(t)), Position: 0}
		}
		return nil
	})
}

// execOne runs one statement of the given type. database/sql would run
// every statement of a multi-statement string; the driver's Prepare
// refuses them.
func execOne(ctx context.Context, conn *sql.Conn, query string, want duckdb.StmtType) error {
	return prepareOne(conn, query, func(st *duckdb.Stmt) error {
		if t, err := st.StatementType(); err != nil || t != want {
			return &SQLError{Message: "Only a query (SELECT) may run here.", Position: -1}
		}
		_, err := st.ExecContext(ctx, nil)
		return err
	})
}

func prepareOne(conn *sql.Conn, query string, fn func(*duckdb.Stmt) error) error {
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*duckdb.Conn)
		if !ok {
			return fmt.Errorf("not a DuckDB connection: %T", dc)
		}
		st, err := c.Prepare(query)
		if err != nil {
			return err
		}
		defer st.Close()
		return fn(st.(*duckdb.Stmt))
	})
}

func statementName(t duckdb.StmtType) string {
	names := map[duckdb.StmtType]string{
		duckdb.STATEMENT_TYPE_INSERT: "INSERT", duckdb.STATEMENT_TYPE_UPDATE: "UPDATE",
		duckdb.STATEMENT_TYPE_DELETE: "DELETE", duckdb.STATEMENT_TYPE_CREATE: "CREATE",
		duckdb.STATEMENT_TYPE_DROP: "DROP", duckdb.STATEMENT_TYPE_ALTER: "ALTER",
		duckdb.STATEMENT_TYPE_COPY: "COPY", duckdb.STATEMENT_TYPE_EXPORT: "EXPORT",
		duckdb.STATEMENT_TYPE_ATTACH: "ATTACH", duckdb.STATEMENT_TYPE_DETACH: "DETACH",
		duckdb.STATEMENT_TYPE_LOAD: "LOAD", duckdb.STATEMENT_TYPE_EXTENSION: "INSTALL",
		duckdb.STATEMENT_TYPE_SET: "SET", duckdb.STATEMENT_TYPE_VARIABLE_SET: "SET VARIABLE",
		duckdb.STATEMENT_TYPE_PRAGMA: "PRAGMA", duckdb.STATEMENT_TYPE_CALL: "CALL",
		duckdb.STATEMENT_TYPE_EXPLAIN: "EXPLAIN", duckdb.STATEMENT_TYPE_TRANSACTION: "a transaction statement",
		duckdb.STATEMENT_TYPE_PREPARE: "PREPARE", duckdb.STATEMENT_TYPE_EXECUTE: "EXECUTE",
		duckdb.STATEMENT_TYPE_VACUUM: "VACUUM", duckdb.STATEMENT_TYPE_ANALYZE: "ANALYZE",
		duckdb.STATEMENT_TYPE_CREATE_FUNC: "CREATE FUNCTION",
	}
	if n, ok := names[t]; ok {
		return n
	}
	return "this kind of statement"
}

// describe returns the query view's columns with DuckDB's type names.
func describe(ctx context.Context, conn *sql.Conn) ([]Column, error) {
	rows, err := conn.QueryContext(ctx, "SELECT column_name, column_type FROM (DESCRIBE "+queryViewName+")")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []Column
	for rows.Next() {
		var c Column
		if err := rows.Scan(&c.Name, &c.Type); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// Column kinds: read as Go values, as to_json text, or as DuckDB's text.
const (
	kindNative = iota
	kindNested
	kindText
)

func columnKind(typ string) int {
	switch {
	case strings.HasSuffix(typ, "]"), strings.HasPrefix(typ, "STRUCT("), strings.HasPrefix(typ, "MAP("),
		strings.HasPrefix(typ, "UNION("), typ == "JSON":
		return kindNested
	case strings.HasPrefix(typ, "DECIMAL("), strings.HasPrefix(typ, "ENUM("), strings.HasPrefix(typ, "TIMESTAMP"):
		return kindNative
	}
	switch typ {
	case "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
		"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
		"FLOAT", "DOUBLE", "VARCHAR", "DATE", "TIME", "NULL", "\"NULL\"":
		return kindNative
	}
	return kindText
}

// query reads up to MaxRows rows of the query view.
func query(ctx context.Context, conn *sql.Conn, j *job, cols []Column) *childAnswer {
	exprs := make([]string, len(cols))
	kinds := make([]int, len(cols))
	for i, c := range cols {
		ref := "#" + strconv.Itoa(i+1)
		kinds[i] = columnKind(c.Type)
		switch kinds[i] {
		case kindNative:
			exprs[i] = ref
		case kindNested:
			exprs[i] = "CAST(to_json(" + ref + ") AS VARCHAR)"
		default:
			exprs[i] = "CAST(" + ref + " AS VARCHAR)"
		}
	}
	q := fmt.Sprintf("SELECT %s FROM %s LIMIT %d", strings.Join(exprs, ", "), queryViewName, j.MaxRows+1)
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return failure(err, -1, j)
	}
	defer rows.Close()
	ans := &childAnswer{Columns: cols, Rows: []json.RawMessage{}}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	size := 0
	for rows.Next() {
		if len(ans.Rows) == j.MaxRows {
			ans.Truncated = true
			break
		}
		if err := rows.Scan(ptrs...); err != nil {
			return failure(err, -1, j)
		}
		row := make([]any, len(cols))
		for i, v := range vals {
			row[i] = cellValue(v, cols[i].Type, kinds[i])
		}
		enc, err := json.Marshal(row)
		if err != nil {
			return failure(err, -1, j)
		}
		if size += len(enc); size > maxRowBytes {
			ans.Truncated = true
			break
		}
		ans.Rows = append(ans.Rows, enc)
	}
	if err := rows.Err(); err != nil {
		return failure(err, -1, j)
	}
	ans.RowCount = int64(len(ans.Rows))
	return ans
}

// cellValue makes one value JSON-friendly (see Result).
func cellValue(v any, typ string, kind int) any {
	switch x := v.(type) {
	case nil:
		return nil
	case float32:
		return jsonFloat(float64(x))
	case float64:
		return jsonFloat(x)
	case uint64:
		if x > math.MaxInt64 {
			return json.Number(strconv.FormatUint(x, 10))
		}
		return int64(x)
	case *big.Int:
		return json.Number(x.String())
	case duckdb.Decimal:
		return json.Number(decimalString(x))
	case time.Time:
		switch typ {
		case "DATE":
			return x.Format(time.DateOnly)
		case "TIME":
			return x.Format("15:04:05.999999")
		}
		return x.UTC().Format(time.RFC3339Nano)
	case string:
		if kind == kindNested && json.Valid([]byte(x)) {
			return json.RawMessage(x)
		}
		return x
	case []byte:
		return string(x)
	}
	return v
}

// decimalString writes a DECIMAL with all its scale's digits ("6.0").
func decimalString(d duckdb.Decimal) string {
	digits := new(big.Int).Abs(d.Value).String()
	sign := ""
	if d.Value.Sign() < 0 {
		sign = "-"
	}
	scale := int(d.Scale)
	if scale == 0 {
		return sign + digits
	}
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	return sign + digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
}

func jsonFloat(f float64) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	return f
}

// materialize writes the query view to the job's output: zstd Parquet, or
// by the output's name CSV with a header or a JSON array of objects
// (downloads and exports).
func materialize(ctx context.Context, conn *sql.Conn, j *job, cols []Column) *childAnswer {
	format := "(FORMAT parquet, COMPRESSION zstd)"
	switch {
	case strings.HasSuffix(j.Out, ".csv"):
		format = "(FORMAT csv, HEADER true)"
	case strings.HasSuffix(j.Out, ".json"):
		format = "(FORMAT json, ARRAY true)"
	}
	stmt := "COPY (FROM " + queryViewName + ") TO " + quote(j.Out) + " " + format
	res, err := conn.ExecContext(ctx, stmt)
	if err != nil {
		return failure(err, -1, j)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return failure(err, -1, j)
	}
	return &childAnswer{Columns: cols, Rows: []json.RawMessage{}, RowCount: n}
}

// failure turns an error into the answer: the user's mistake (with its
// position in the user's SQL when DuckDB gave one; offset is where the
// user's SQL starts in the statement that failed, -1 for none), or a limit.
func failure(err error, offset int, j *job) *childAnswer {
	var sqlErr *SQLError
	if errors.As(err, &sqlErr) {
		return &childAnswer{Error: &answerError{Kind: "sql", Message: sqlErr.Message, Position: sqlErr.Position}}
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "multi-statement"):
		return &childAnswer{Error: &answerError{Kind: "sql", Message: "Write exactly one statement: a single query, without others after a semicolon.", Position: -1}}
	case strings.Contains(msg, "empty query"):
		return &childAnswer{Error: &answerError{Kind: "sql", Message: "The SQL is empty.", Position: -1}}
	}
	typ, text, pos := duckError(msg)
	if typ == "Out of Memory" {
		text, _, _ = strings.Cut(text, "\n")
		return &childAnswer{Error: &answerError{Kind: "limit", Position: -1,
			Message: fmt.Sprintf("The query needs more memory than its limit of %s: %s", byteSize(j.Memory), text)}}
	}
	if typ != "" {
		text = typ + " Error: " + text
	}
	if offset < 0 || pos < offset {
		pos = -1
	} else {
		pos -= offset
	}
	return &childAnswer{Error: &answerError{Kind: "sql", Message: text, Position: pos}}
}

// duckError reads an error DuckDB wrote as JSON (errors_as_json), possibly
// after a prefix like "Parser Error: ".
func duckError(msg string) (typ, text string, pos int) {
	i := strings.Index(msg, "{")
	if i < 0 {
		return "", msg, -1
	}
	var m map[string]any
	if err := json.NewDecoder(strings.NewReader(msg[i:])).Decode(&m); err != nil {
		return "", msg, -1
	}
	typ, _ = m["exception_type"].(string)
	text, _ = m["exception_message"].(string)
	if typ == "" && text == "" {
		return "", msg, -1
	}
	pos = -1
	if p, ok := m["position"].(string); ok {
		if n, err := strconv.Atoi(p); err == nil {
			pos = n
		}
	}
	return typ, text, pos
}

func byteSize(n int64) string {
	switch {
	case n >= 1e9 && n%1e8 == 0:
		return strconv.FormatFloat(float64(n)/1e9, 'f', -1, 64) + "GB"
	case n >= 1e6:
		return strconv.FormatFloat(float64(n)/1e6, 'f', -1, 64) + "MB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// quote is a SQL string literal.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// ident is a quoted SQL identifier.
func ident(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
