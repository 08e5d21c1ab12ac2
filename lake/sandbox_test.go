package lake

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

// childEnv makes the test binary act as the sandbox child, so the tests
// need no plaza binary.
const childEnv = "PLAZA_SANDBOX_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		SandboxMain()
	}
	os.Exit(m.Run())
}

// fixture is a lake with landing files of every format, a product
// snapshot, and secrets around them that no query may read.
type fixture struct {
	root, lake     string
	l              *Lake
	orders, events string // landing/sales: CSV and NDJSON inputs
	array          string // landing/sales/array.json: a JSON array
	snapshot       string // products/sales/revenue/daily/s1/data.parquet
	secret         string // outside the lake
	other          string // landing/sales/other.csv: not an input
	link           string // landing/sales/link.csv -> secret
	bak            string // orders.csv.bak next to the input
	otherRun       string // _staging/run-other/data.parquet: another run's output
	outside        string // a folder outside the lake to try writing into
}

// secretMark is in every file no query may read.
const secretMark = "TOPSECRET"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	root := t.TempDir()
	l, err := Open(filepath.Join(root, "lake"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{root: root, lake: l.Dir, l: l, outside: filepath.Join(root, "outside")}
	landing := filepath.Join(l.Dir, LandingDir, "sales")
	write := func(path, body string) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o640); err != nil {
			t.Fatal(err)
		}
		return path
	}
	f.orders = write(filepath.Join(landing, "orders.csv"), "id,customer,amount,day\n1,ada,10.50,2026-01-02\n2,bob,20.25,2026-01-03\n3,ada,5.00,2026-01-03\n")
	f.events = write(filepath.Join(landing, "events.ndjson"), `{"id":1,"kind":"view","tags":["a","b"]}`+"\n"+`{"id":2,"kind":"buy","tags":[]}`+"\n")
	f.array = write(filepath.Join(landing, "array.json"), `[{"sku":"x1","price":1.5},{"sku":"x2","price":2.5}]`)
	f.secret = write(filepath.Join(root, "secret", "secret.csv"), "name,value\n"+secretMark+"-outside,1\n")
	f.other = write(filepath.Join(landing, "other.csv"), "name,value\n"+secretMark+"-sibling,1\n")
	f.bak = write(f.orders+".bak", "name,value\n"+secretMark+"-bak,1\n")
	f.link = filepath.Join(landing, "link.csv")
	if err := os.Symlink(f.secret, f.link); err != nil {
		t.Fatal(err)
	}
	f.snapshot = filepath.Join(l.SnapshotDir("sales", "revenue", "daily", "s1"), "data.parquet")
	f.otherRun = filepath.Join(l.Dir, StagingDir, "run-other", "data.parquet")
	for path, query := range map[string]string{
		f.snapshot: "SELECT DATE '2026-01-01' + i::INT AS day, i * 1.5 AS revenue FROM range(5) t(i)",
		f.otherRun: "SELECT '" + secretMark + "-staging' AS name",
	} {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			t.Fatal(err)
		}
		duck(t, fmt.Sprintf("COPY (%s) TO '%s' (FORMAT parquet)", query, path))
	}
	if err := os.MkdirAll(f.outside, 0o750); err != nil {
		t.Fatal(err)
	}
	return f
}

// duck runs statements in an in-process DuckDB (no sandbox) for fixtures
// and for reading results back.
func duck(t *testing.T, query string, args ...any) [][]any {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]any
	for rows.Next() {
		row := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// testCommand starts this test binary as the child.
func testCommand(extraEnv ...string) func() *exec.Cmd {
	return func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append([]string{childEnv + "=1"}, extraEnv...)
		return cmd
	}
}

func (f *fixture) sandbox(t *testing.T, cfg SandboxConfig) *Sandbox {
	t.Helper()
	if cfg.Command == nil {
		cfg.Command = testCommand()
	}
	cfg.ScratchDir = f.l.SandboxScratchDir()
	s := NewSandbox(cfg)
	t.Cleanup(func() { s.Close() })
	return s
}

func (f *fixture) inputs() []Input {
	return []Input{
		{Name: "orders", Paths: []string{f.orders}},
		{Name: "events", Paths: []string{f.events}},
		{Name: "catalog", Paths: []string{f.array}, Format: "json"},
		{Name: "sales.revenue", Paths: []string{f.snapshot}},
	}
}

func TestSandboxQuery(t *testing.T) {
	f := newFixture(t)
	s := f.sandbox(t, SandboxConfig{})
	ctx := t.Context()
	cases := []struct {
		name    string
		sql     string
		columns []Column
		rows    [][]any
	}{
		{"csv", "SELECT customer, sum(amount) AS total, count(*) AS n FROM orders GROUP BY customer ORDER BY customer",
			[]Column{{"customer", "VARCHAR"}, {"total", "DOUBLE"}, {"n", "BIGINT"}},
			[][]any{{"ada", 15.5, int64(2)}, {"bob", 20.25, int64(1)}}},
		{"ndjson with a list", "SELECT id, kind, tags FROM events ORDER BY id",
			[]Column{{"id", "BIGINT"}, {"kind", "VARCHAR"}, {"tags", "VARCHAR[]"}},
			[][]any{{int64(1), "view", []any{"a", "b"}}, {int64(2), "buy", []any{}}}},
		{"json array", "SELECT sku, price FROM catalog ORDER BY sku",
			[]Column{{"sku", "VARCHAR"}, {"price", "DOUBLE"}},
			[][]any{{"x1", 1.5}, {"x2", 2.5}}},
		{"parquet under a dotted name", "SELECT day, revenue FROM sales.revenue WHERE revenue > 4 ORDER BY day",
			[]Column{{"day", "DATE"}, {"revenue", "DECIMAL(21,1)"}},
			[][]any{{"2026-01-04", json.Number("4.5")}, {"2026-01-05", json.Number("6.0")}}},
		{"a join across inputs, trailing semicolon and comment", "FROM orders JOIN events USING (id) SELECT orders.id, kind ORDER BY 1; -- done",
			[]Column{{"id", "BIGINT"}, {"kind", "VARCHAR"}},
			[][]any{{int64(1), "view"}, {int64(2), "buy"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := s.Query(ctx, f.inputs(), c.sql, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(res.Columns, c.columns) {
				t.Errorf("columns = %v, want %v", res.Columns, c.columns)
			}
			if !reflect.DeepEqual(res.Rows, c.rows) {
				t.Errorf("rows = %#v, want %#v", res.Rows, c.rows)
			}
			if res.Truncated || res.RowCount != int64(len(c.rows)) {
				t.Errorf("truncated %v, row count %d", res.Truncated, res.RowCount)
			}
		})
	}
}

func TestSandboxValues(t *testing.T) {
	f := newFixture(t)
	s := f.sandbox(t, SandboxConfig{Pool: 1})
	res, err := s.Query(t.Context(), nil, `SELECT
		DATE '2026-03-04' AS d, TIMESTAMP '2026-03-04 05:06:07.5' AS ts,
		TIMESTAMPTZ '2026-03-04 05:06:07+02' AS tstz, TIME '10:11:12' AS t,
		12345678901234567.89::DECIMAL(38,2) AS dec, 170141183460469231731687303715884105727::HUGEINT AS huge,
		18446744073709551615::UBIGINT AS ubig, 'nan'::DOUBLE AS nan, '-inf'::DOUBLE AS ninf,
		{'a': 1, 'b': [true, NULL]} AS st, MAP {'k': 2} AS m, 'ab'::BLOB AS b,
		INTERVAL 3 DAY AS iv, NULL AS nothing, 1 AS a, 2 AS a`, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"2026-03-04", "2026-03-04T05:06:07.5Z", "2026-03-04T03:06:07Z", "10:11:12",
		json.Number("12345678901234567.89"), json.Number("170141183460469231731687303715884105727"),
		json.Number("18446744073709551615"), "NaN", "-Infinity",
		map[string]any{"a": int64(1), "b": []any{true, nil}}, map[string]any{"k": int64(2)}, "ab",
		"3 days", nil, int64(1), int64(2)}
	if len(res.Rows) != 1 || !reflect.DeepEqual(res.Rows[0], want) {
		t.Errorf("row = %#v\nwant  %#v", res.Rows, want)
	}
	if got := res.Columns[len(res.Columns)-1].Name; got != "a_1" {
		t.Errorf("a repeated name became %q", got)
	}
	out, err := json.Marshal(res.Rows)
	if err != nil {
		t.Fatalf("rows do not encode as JSON: %v", err)
	}
	if !strings.Contains(string(out), `12345678901234567.89`) {
		t.Errorf("decimal lost digits: %s", out)
	}
}

func TestSandboxTruncation(t *testing.T) {
	f := newFixture(t)
	s := f.sandbox(t, SandboxConfig{Pool: 1})
	res, err := s.Query(t.Context(), nil, "SELECT range AS n FROM range(10) ORDER BY n DESC", Limits{MaxRows: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Truncated || res.RowCount != 3 || !reflect.DeepEqual(res.Rows, [][]any{{int64(9)}, {int64(8)}, {int64(7)}}) {
		t.Errorf("got %v truncated=%v count=%d", res.Rows, res.Truncated, res.RowCount)
	}
	res, err = s.Query(t.Context(), nil, "SELECT range AS n FROM range(3)", Limits{MaxRows: 3})
	if err != nil || res.Truncated || len(res.Rows) != 3 {
		t.Errorf("exactly MaxRows rows: %v truncated=%v err=%v", res, res != nil && res.Truncated, err)
	}
}

func TestSandboxMaterialize(t *testing.T) {
	f := newFixture(t)
	s := f.sandbox(t, SandboxConfig{Pool: 1})
	staging, err := f.l.StagingDir("run-1")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(staging, "data.parquet")
	res, err := s.Materialize(t.Context(), f.inputs(),
		"SELECT o.customer, o.day, sum(o.amount) AS total FROM orders o GROUP BY ALL ORDER BY ALL", out, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if res.RowCount != 3 || res.Bytes != info.Size() || res.Bytes == 0 {
		t.Errorf("row count %d, bytes %d (file %d)", res.RowCount, res.Bytes, info.Size())
	}
	wantCols := []Column{{"customer", "VARCHAR"}, {"day", "DATE"}, {"total", "DOUBLE"}}
	if !reflect.DeepEqual(res.Columns, wantCols) {
		t.Errorf("columns %v", res.Columns)
	}
	if got := duck(t, "SELECT count(*) FROM read_parquet(?)", out); got[0][0] != int64(3) {
		t.Errorf("file has %v rows", got[0][0])
	}
	for _, row := range duck(t, "SELECT DISTINCT compression FROM parquet_metadata(?)", out) {
		if row[0] != "ZSTD" {
			t.Errorf("compression %v, want ZSTD", row[0])
		}
	}
	first := duck(t, "SELECT customer, total FROM read_parquet(?) LIMIT 1", out)
	if !reflect.DeepEqual(first, [][]any{{"ada", 10.5}}) {
		t.Errorf("order not kept: %v", first)
	}
	entries, _ := os.ReadDir(staging)
	if len(entries) != 1 {
		t.Errorf("staging holds %d entries, want only the output", len(entries))
	}

	// Exports: CSV with a header, JSON as one array of objects.
	for name, want := range map[string]string{
		"export.csv":  "customer,total\nada,15.5\nbob,20.25\n",
		"export.json": `[{"customer":"ada","total":15.5},{"customer":"bob","total":20.25}]`,
	} {
		file := filepath.Join(staging, name)
		if _, err := s.Materialize(t.Context(), f.inputs(), "SELECT customer, sum(amount) AS total FROM orders GROUP BY ALL ORDER BY ALL", file, Limits{}); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(file)
		if strings.Join(strings.Fields(string(got)), "") != strings.Join(strings.Fields(want), "") {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
		os.Remove(file)
	}

	// An output that exists is refused; a failed run leaves no file.
	if _, err := s.Materialize(t.Context(), nil, "SELECT 1", out, Limits{}); err == nil {
		t.Error("overwrote an existing output")
	}
	bad := filepath.Join(staging, "bad.parquet")
	if _, err := s.Materialize(t.Context(), nil, "SELECT CAST('x' AS INT)", bad, Limits{}); err == nil {
		t.Error("a failing query materialized")
	}
	if _, err := os.Stat(bad); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed run left %s", bad)
	}
}

func TestSandboxSQLErrors(t *testing.T) {
	f := newFixture(t)
	s := f.sandbox(t, SandboxConfig{})
	cases := []struct {
		sql      string
		contains string
		position int
	}{
		{"SELECT nope FROM orders", `Binder Error: Referenced column "nope" not found`, 7},
		{"SELECT * FROM orders WHERE", "Parser Error: syntax error at end of input", 26},
		{"SELECT * FROM nowhere", "Catalog Error: Table with name nowhere does not exist", 14},
		{"SELECT CAST(customer AS INT) FROM orders", "Conversion Error", -1},
		{"SELECT 1; SELECT 2", "exactly one statement", -1},
		{"CREATE TABLE t AS SELECT 1", "not CREATE", 0},
		{"   -- nothing\n", "empty", -1},
		{"DESCRIBE orders", "wrap them in a query", 0},
	}
	for _, c := range cases {
		t.Run(c.sql, func(t *testing.T) {
			_, err := s.Query(t.Context(), f.inputs(), c.sql, Limits{})
			var sqlErr *SQLError
			if !errors.As(err, &sqlErr) {
				t.Fatalf("err = %v (%T), want *SQLError", err, err)
			}
			if !strings.Contains(sqlErr.Message, c.contains) || sqlErr.Position != c.position {
				t.Errorf("got %q at %d, want %q at %d", sqlErr.Message, sqlErr.Position, c.contains, c.position)
			}
		})
	}
}

func TestSandboxTimeout(t *testing.T) {
	f := newFixture(t)
	s := f.sandbox(t, SandboxConfig{Pool: 1})
	_, err := s.Query(t.Context(), nil, "SELECT count(*) FROM range(1000000000000) a WHERE hash(a.range) % 7 = 3", Limits{Timeout: time.Second})
	var limit *LimitError
	if !errors.As(err, &limit) || limit.Limit != "time" {
		t.Fatalf("err = %v (%T), want a time LimitError", err, err)
	}
	res, err := s.Query(t.Context(), nil, "SELECT 42 AS answer", Limits{})
	if err != nil || res.Rows[0][0] != int64(42) {
		t.Fatalf("the next job: %v %v", res, err)
	}
}

func TestSandboxCancel(t *testing.T) {
	f := newFixture(t)
	s := f.sandbox(t, SandboxConfig{Pool: 1})
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(300*time.Millisecond, cancel)
	_, err := s.Query(ctx, nil, "SELECT count(*) FROM range(1000000000000) a WHERE hash(a.range) % 7 = 3", Limits{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestSandboxMemoryLimit(t *testing.T) {
	f := newFixture(t)
	s := f.sandbox(t, SandboxConfig{Pool: 1})
	_, err := s.Query(t.Context(), nil, "SELECT length(string_agg(range::VARCHAR, ',')) FROM range(50000000)", Limits{Memory: "64MB"})
	var limit *LimitError
	if !errors.As(err, &limit) || limit.Limit != "memory" || !strings.Contains(limit.Message, "64MB") {
		t.Fatalf("err = %v (%T), want a memory LimitError", err, err)
	}
	res, err := s.Query(t.Context(), nil, "SELECT 42 AS answer", Limits{Memory: "64MB"})
	if err != nil || res.Rows[0][0] != int64(42) {
		t.Fatalf("the next job: %v %v", res, err)
	}
}

// TestSandboxCrash kills the children while one runs a job: that job fails
// with a CrashError, and the sandbox carries on with fresh children.
func TestSandboxCrash(t *testing.T) {
	f := newFixture(t)
	s := f.sandbox(t, SandboxConfig{Pool: 1})
	time.AfterFunc(500*time.Millisecond, func() {
		s.mu.Lock() // start sets cmd.Process under it
		defer s.mu.Unlock()
		for c := range s.live {
			syscall.Kill(c.cmd.Process.Pid, syscall.SIGKILL)
		}
	})
	_, err := s.Query(t.Context(), nil, "SELECT count(*) FROM range(1000000000000) a WHERE hash(a.range) % 7 = 3", Limits{})
	var crash *CrashError
	if !errors.As(err, &crash) || !strings.Contains(crash.Reason, "killed") {
		t.Fatalf("err = %v (%T), want a CrashError", err, err)
	}
	res, err := s.Query(t.Context(), nil, "SELECT 42 AS answer", Limits{})
	if err != nil || res.Rows[0][0] != int64(42) {
		t.Fatalf("the next job: %v %v", res, err)
	}
}

func TestSandboxInputChecks(t *testing.T) {
	f := newFixture(t)
	s := f.sandbox(t, SandboxConfig{Pool: 1})
	cases := []Input{
		{Name: "link", Paths: []string{f.link}},                            // a symlink planted in landing
		{Name: "rel", Paths: []string{"landing/sales/orders.csv"}},         // relative
		{Name: "dots", Paths: []string{f.lake + "/landing/../secret.csv"}}, // not clean
		{Name: "glob", Paths: []string{filepath.Join(filepath.Dir(f.orders), "*.csv")}},
		{Name: "dir", Paths: []string{filepath.Dir(f.orders)}},
		{Name: "Bad-Name", Paths: []string{f.orders}},
		{Name: "__plaza_query", Paths: []string{f.orders}},
		{Name: "odd", Paths: []string{f.orders}, Format: "xlsx"},
	}
	for _, in := range cases {
		if _, err := s.Query(t.Context(), []Input{in}, "SELECT 1", Limits{}); err == nil {
			t.Errorf("input %+v accepted", in)
		}
	}

	// A quote in a file name is fine: paths reach DuckDB as escaped literals.
	quoted := filepath.Join(filepath.Dir(f.orders), "o'brien.csv")
	if err := os.WriteFile(quoted, []byte("x\n1\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	res, err := s.Query(t.Context(), []Input{{Name: "obrien", Paths: []string{quoted}}}, "SELECT x FROM obrien", Limits{})
	if err != nil || !reflect.DeepEqual(res.Rows, [][]any{{int64(1)}}) {
		t.Errorf("a quote in a file name: %v %v", res, err)
	}
}

// escape is one attempt to get out of the sandbox. Each runs twice: through
// Sandbox.Query (where the statement check may stop it first), and raw
// against a DuckDB configured and locked the way the child does, to show
// DuckDB's own settings refuse it too.
type escape struct {
	name, sql  string
	rawAllowed string // why DuckDB itself allows it raw (only the statement check stops it)
	runs       string // why the query itself may succeed: the effect it aims at is refused (not run raw)
	creates    string // a path that must not exist afterwards
}

func (f *fixture) escapes(httpURL string) []escape {
	landing := filepath.Dir(f.orders)
	r := strings.NewReplacer("{secret}", f.secret, "{other}", f.other, "{link}", f.link, "{orders}", f.orders,
		"{landing}", landing, "{lake}", f.lake, "{outside}", f.outside, "{http}", httpURL,
		"{otherRun}", f.otherRun, "{scratch}", f.l.SandboxScratchDir(), "{secretDir}", filepath.Dir(f.secret))
	list := []escape{
		{name: "read_text outside the inputs", sql: "SELECT * FROM read_text('{secret}')"},
		{name: "read_blob outside the inputs", sql: "SELECT * FROM read_blob('{secret}')"},
		{name: "read_csv outside the inputs", sql: "SELECT * FROM read_csv('{secret}')"},
		{name: "read_csv_auto without a header", sql: "SELECT * FROM read_csv_auto('{secret}', header = false)"},
		{name: "a file path as a table", sql: "SELECT * FROM '{secret}'"},
		{name: "read_json_objects", sql: "SELECT * FROM read_json_objects('{secret}')"},
		{name: "read_parquet another run's staging output", sql: "SELECT * FROM read_parquet('{otherRun}')"},
		{name: "glob over the lake", sql: "SELECT * FROM glob('{lake}/**')"},
		{name: "glob the input's own folder", sql: "SELECT * FROM glob('{landing}/*')"},
		{name: "glob the sandbox scratch", sql: "SELECT * FROM glob('{scratch}/*')"},
		{name: "sniff_csv", sql: "SELECT * FROM sniff_csv('{secret}')"},
		{name: "parquet_metadata", sql: "SELECT * FROM parquet_metadata('{otherRun}')"},
		{name: "parquet_schema", sql: "SELECT * FROM parquet_schema('{otherRun}')"},
		{name: "a symlink planted in landing", sql: "SELECT * FROM read_csv('{link}')"},
		{name: "a landing file that is not an input", sql: "SELECT * FROM read_csv('{other}')"},
		{name: "a name sharing the input's prefix", sql: "SELECT * FROM read_text('{orders}.bak')"},
		{name: "a glob on the input's name", sql: "SELECT * FROM read_text('{orders}*')"},
		{name: ".. from an allowed file", sql: "SELECT * FROM read_text('{orders}/../other.csv')"},
		{name: ".. from the landing folder", sql: "SELECT * FROM read_text('{landing}/../../../secret/secret.csv')"},
		{name: "an allowed file listed with a secret", sql: "SELECT * FROM read_csv(['{orders}', '{secret}'], union_by_name = true)"},
		{name: "file:// URL", sql: "SELECT * FROM read_text('file://{secret}')"},
		{name: "/proc/self/environ", sql: "SELECT * FROM read_text('/proc/self/environ')"},
		{name: "/dev/stdin (the job pipe)", sql: "SELECT * FROM read_text('/dev/stdin')"},
		{name: "http", sql: "SELECT * FROM read_csv('{http}/data.csv')"},
		{name: "s3", sql: "SELECT * FROM read_parquet('s3://bucket/data.parquet')"},
		{name: "SQL in a string through query()", sql: "SELECT * FROM query('SELECT * FROM read_text(''{secret}'')')"},
		{name: "query_table on a path", sql: "SELECT * FROM query_table('{secret}')"},
		{name: "getenv", sql: "SELECT getenv('HOME') AS home"},
		{name: "COPY TO", sql: "COPY (SELECT 42) TO '{outside}/copy.csv'", creates: "{outside}/copy.csv"},
		{name: "COPY FROM", sql: "COPY orders FROM '{secret}'"},
		{name: "CREATE TABLE from a secret", sql: "CREATE TABLE stolen AS SELECT * FROM read_csv('{secret}')"},
		{name: "EXPORT DATABASE", sql: "EXPORT DATABASE '{outside}/export'", creates: "{outside}/export"},
		{name: "IMPORT DATABASE", sql: "IMPORT DATABASE '{outside}'"},
		{name: "ATTACH a file", sql: "ATTACH '{outside}/x.duckdb' AS x", creates: "{outside}/x.duckdb"},
		{name: "ATTACH in memory", sql: "ATTACH ':memory:' AS m", rawAllowed: "nothing on disk, so DuckDB allows it"},
		{name: "INSTALL", sql: "INSTALL httpfs"},
		{name: "INSTALL from community", sql: "INSTALL h3 FROM community"},
		{name: "LOAD", sql: "LOAD httpfs"},
		{name: "LOAD a file", sql: "LOAD '{outside}/evil.duckdb_extension'"},
		{name: "SET enable_external_access", sql: "SET enable_external_access = true"},
		{name: "RESET enable_external_access", sql: "RESET enable_external_access"},
		{name: "SET allowed_paths", sql: "SET allowed_paths = ['/']"},
		{name: "SET allowed_directories", sql: "SET allowed_directories = ['/']"},
		{name: "SET lock_configuration", sql: "SET lock_configuration = false"},
		{name: "RESET lock_configuration", sql: "RESET lock_configuration"},
		{name: "SET GLOBAL memory_limit", sql: "SET GLOBAL memory_limit = '100GB'"},
		{name: "RESET threads", sql: "RESET threads"},
		{name: "PRAGMA threads", sql: "PRAGMA threads = 64"},
		{name: "SET temp_directory", sql: "SET temp_directory = '{outside}'"},
		{name: "SET disabled_filesystems", sql: "SET disabled_filesystems = ''"},
		{name: "SET allow_community_extensions", sql: "SET allow_community_extensions = true"},
		{name: "SET autoinstall_known_extensions", sql: "SET autoinstall_known_extensions = true"},
		{name: "SET log_query_path", sql: "SET log_query_path = '{outside}/queries.log'", creates: "{outside}/queries.log"},
		{name: "CREATE PERSISTENT SECRET", sql: "CREATE PERSISTENT SECRET s (TYPE http, BEARER_TOKEN 'x')"},
		{name: "a second statement smuggled after a query", sql: "SELECT 1; COPY (SELECT 42) TO '{outside}/multi.csv'", creates: "{outside}/multi.csv"},
		{name: "/proc/self/fd/0 (the job pipe)", sql: "SELECT * FROM read_blob('/proc/self/fd/0')"},
		{name: "a serialized plan", sql: "SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT * FROM read_text(''{secret}'')'))"},
		{name: "DESCRIBE a path", sql: "SELECT * FROM (DESCRIBE SELECT * FROM '{secret}')"},
		{name: "logging to a file outside", sql: "SELECT * FROM enable_logging(storage = 'file', storage_path = '{outside}/logs')",
			runs: "enable_logging ignores lock_configuration, but its writes are refused", creates: "{outside}/logs"},
		{name: "profiling to a file outside", sql: "SELECT * FROM enable_profiling(save_location = '{outside}/profile.txt')",
			runs: "enable_profiling ignores lock_configuration, but its writes are refused", creates: "{outside}/profile.txt"},
		{name: "autocomplete listing a folder", sql: "SELECT * FROM sql_auto_complete('SELECT * FROM ''{secretDir}/')",
			runs: "autocomplete runs, and suggests no file outside the allowed paths"},
	}
	for i := range list {
		list[i].sql = r.Replace(list[i].sql)
		list[i].creates = r.Replace(list[i].creates)
	}
	return list
}

func TestSandboxEscapes(t *testing.T) {
	f := newFixture(t)
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprintln(w, "a,b\n1,2")
	}))
	defer srv.Close()
	s := f.sandbox(t, SandboxConfig{})
	inputs := []Input{{Name: "orders", Paths: []string{f.orders}}}
	escapes := f.escapes(srv.URL)
	if len(escapes) < 25 {
		t.Fatalf("only %d escapes", len(escapes))
	}
	for _, e := range escapes {
		t.Run(e.name, func(t *testing.T) {
			res, err := s.Query(t.Context(), inputs, e.sql, Limits{})
			if err == nil && e.runs == "" {
				t.Errorf("sandbox ran it: %v", res.Rows)
			}
			var sqlErr *SQLError
			if err != nil && !errors.As(err, &sqlErr) {
				t.Errorf("sandbox: %v (%T), want a SQLError", err, err)
			}
			leaks(t, "sandbox", res, err)
			t.Logf("sandbox: %v", err)

			if e.runs == "" {
				rawRes, rawErr := rawRun(t, f, inputs, e.sql)
				switch {
				case e.rawAllowed == "" && rawErr == nil:
					t.Errorf("DuckDB's settings alone allowed it: %v", rawRes)
				case e.rawAllowed != "" && rawErr != nil:
					t.Logf("raw now fails too (%v); drop rawAllowed", rawErr)
				}
				leaks(t, "raw", &Result{Rows: rawRes}, rawErr)
				t.Logf("raw: %v", rawErr)
			}
			if e.creates != "" {
				if _, err := os.Lstat(e.creates); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s was created", e.creates)
				}
			}
		})
	}
	// Again, all in one child kept for one person: what an escape tries
	// must not hold for, nor loosen, the queries after it.
	started := s.started.Load()
	for _, e := range escapes {
		res, err := s.QueryAs(t.Context(), "user:1", inputs, e.sql, Limits{})
		if err == nil && e.runs == "" {
			t.Errorf("%s: a kept child ran it: %v", e.name, res.Rows)
		}
		var sqlErr *SQLError
		if err != nil && !errors.As(err, &sqlErr) {
			t.Errorf("%s: a kept child: %v (%T), want a SQLError", e.name, err, err)
		}
		leaks(t, e.name+" in a kept child", res, err)
		if e.creates != "" {
			if _, err := os.Lstat(e.creates); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s: %s was created", e.name, e.creates)
			}
		}
	}
	if n := s.started.Load() - started; n > int64(s.cfg.Pool)+1 {
		t.Errorf("%d children started for one person's queries, want the one kept (and the pool's refill)", n)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the HTTP server was reached %d times", n)
	}
}

// TestSandboxKeepsChildForPerson: a person's next query over the same
// inputs runs in the child that answered the last, also after a mistake in
// the SQL; another person, other inputs or other limits get a child of
// their own; a kept child ends after IdleFor, and beyond Idle the oldest.
func TestSandboxKeepsChildForPerson(t *testing.T) {
	f := newFixture(t)
	s := f.sandbox(t, SandboxConfig{Pool: 1, Idle: 2, IdleFor: time.Second, KeepBelow: 192 << 20})
	orders := []Input{{Name: "orders", Paths: []string{f.orders}}}
	query := func(person string, inputs []Input, sql string, lim Limits) (int64, error) {
		t.Helper()
		before := s.started.Load()
		res, err := s.QueryAs(t.Context(), person, inputs, sql, lim)
		if err == nil && len(res.Rows) == 0 {
			t.Fatalf("%s: no rows", sql)
		}
		// A fresh child refills the pool: a started child shows as one
		// more start, in the background.
		time.Sleep(100 * time.Millisecond)
		return s.started.Load() - before, err
	}
	fresh := func(what string, n int64, err error) {
		t.Helper()
		if err != nil || n == 0 {
			t.Errorf("%s: %d children started (err %v), want a fresh one", what, n, err)
		}
	}
	kept := func(what string, n int64, err error) {
		t.Helper()
		if n != 0 {
			t.Errorf("%s: %d children started (err %v), want the kept one", what, n, err)
		}
	}
	n, err := query("user:1", orders, "SELECT count(*) FROM orders", Limits{})
	fresh("the first query", n, err)
	n, err = query("user:1", orders, "SELECT * FROM orders LIMIT 1", Limits{})
	kept("the same person again", n, err)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.QueryAs(t.Context(), "user:1", orders, "SELECT nope FROM orders", Limits{})
	var sqlErr *SQLError
	if !errors.As(err, &sqlErr) {
		t.Fatalf("a wrong column: %v, want a SQLError", err)
	}
	n, err = query("user:1", orders, "SELECT 1 AS one FROM orders LIMIT 1", Limits{})
	kept("after a mistake", n, err)
	// A query that leaves the child holding hundreds of MB ends it.
	if _, err := s.QueryAs(t.Context(), "user:1", orders, "SELECT count(DISTINCT range) FROM range(30000000)", Limits{}); err != nil {
		t.Fatal(err)
	}
	n, err = query("user:1", orders, "SELECT 1 AS one FROM orders LIMIT 1", Limits{})
	fresh("after a query that grew the child", n, err)

	n, err = query("user:2", orders, "SELECT count(*) FROM orders", Limits{})
	fresh("another person", n, err)
	n, err = query("user:1", []Input{{Name: "orders", Paths: []string{f.orders}}, {Name: "events", Paths: []string{f.events}}},
		"SELECT count(*) FROM events", Limits{})
	fresh("other inputs", n, err)
	n, err = query("user:1", orders, "SELECT count(*) FROM orders", Limits{Threads: 1})
	fresh("other limits", n, err)
	// user:2's child, the oldest of three, went for the limit of two.
	n, err = query("user:2", orders, "SELECT count(*) FROM orders", Limits{})
	fresh("beyond Idle", n, err)

	time.Sleep(1500 * time.Millisecond)
	s.mu.Lock()
	idle := len(s.idle)
	s.mu.Unlock()
	if idle != 0 {
		t.Errorf("%d children kept past IdleFor", idle)
	}
	n, err = query("user:1", orders, "SELECT count(*) FROM orders", Limits{})
	fresh("after IdleFor", n, err)
}

// leaks fails the test when a secret shows in a result or an error.
func leaks(t *testing.T, where string, res *Result, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), secretMark) {
		t.Errorf("%s: the error leaks a secret: %v", where, err)
	}
	if res != nil {
		// The rows must hold neither a secret nor the name of a file
		// outside the inputs (a listing).
		if b, _ := json.Marshal(res.Rows); strings.Contains(string(b), secretMark) || strings.Contains(string(b), "secret.csv") ||
			strings.Contains(string(b), "other.csv") {
			t.Errorf("%s: the rows leak a secret: %s", where, b)
		}
	}
}

// rawRun configures an in-process DuckDB exactly as the child does and
// runs sql on it directly, without the one-SELECT check.
func rawRun(t *testing.T, f *fixture, inputs []Input, query string) ([][]any, error) {
	t.Helper()
	j, err := newJob("query", inputs, "SELECT 1", "", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	j.TempDir = t.TempDir()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	defer db.Close()
	ctx := t.Context()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := configure(ctx, conn, j); err != nil {
		t.Fatal(err)
	}
	if err := createViews(ctx, conn, inputs); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]any
	for rows.Next() {
		row := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return out, err
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// TestSandboxSettings reads back what the child applies, on an in-process
// DuckDB: the values, and that the lock holds.
func TestSandboxSettings(t *testing.T) {
	f := newFixture(t)
	out := filepath.Join(f.outside, "out.parquet")
	j, err := newJob("materialize", []Input{{Name: "orders", Paths: []string{f.orders}}}, "SELECT 1", out, Limits{Memory: "256MB", Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	j.TempDir = t.TempDir()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := configure(t.Context(), conn, j); err != nil {
		t.Fatal(err)
	}
	var threads int64
	var memory, temp string
	var paths []any
	if err := conn.QueryRowContext(t.Context(), "SELECT current_setting('threads'), current_setting('memory_limit'), current_setting('temp_directory'), current_setting('allowed_paths')").
		Scan(&threads, &memory, &temp, &paths); err != nil {
		t.Fatal(err)
	}
	if threads != 1 || memory != "244.1 MiB" || temp != j.TempDir || !sameStrings(paths, []string{f.orders, out}) {
		t.Errorf("threads %d, memory %s, temp %s, paths %v", threads, memory, temp, paths)
	}
	// The output is writable, and nothing beside it.
	if _, err := conn.ExecContext(t.Context(), "COPY (SELECT 1 AS x) TO '"+out+"' (FORMAT parquet)"); err != nil {
		t.Errorf("the output is not writable: %v", err)
	}
	if _, err := conn.ExecContext(t.Context(), "COPY (SELECT 1 AS x) TO '"+out+".2' (FORMAT parquet)"); err == nil {
		t.Error("a path beside the output is writable")
	}
	// A settings check that fails is reported, not ignored.
	j.Threads = 3
	if err := verify(t.Context(), conn, j, allowedPaths(j)); err == nil || !strings.Contains(err.Error(), "threads") {
		t.Errorf("verify missed a wrong setting: %v", err)
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"512MB": 512e6, "64MB": 64e6, "1GiB": 1 << 30, "2.5GB": 25e8, "100": 100, "4 gb": 4e9} {
		if got, err := parseBytes(in); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "lots", "12XB", "-1MB"} {
		if _, err := parseBytes(in); err == nil {
			t.Errorf("parseBytes(%q) accepted", in)
		}
	}
}
