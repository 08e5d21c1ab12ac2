package lake

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

func TestLandingPath(t *testing.T) {
	l, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(l.Dir, LandingDir, "sales")
	if err := os.MkdirAll(filepath.Join(root, "2026"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(t.TempDir(), filepath.Join(root, "elsewhere")); err != nil {
		t.Fatal(err)
	}
	good := map[string][]string{
		filepath.Join(root, "orders.csv"):         {"orders.csv"},
		filepath.Join(root, "2026", "orders.csv"): {"2026", "orders.csv"},
		filepath.Join(root, "2026", "a.csv"):      {"2026/a.csv"},
		filepath.Join(root, "new", "a.csv"):       {"./new//a.csv"},
		root:                                      {},
	}
	for want, rel := range good {
		got, err := l.LandingPath("sales", rel...)
		if err != nil || got != want {
			t.Errorf("LandingPath(sales, %q) = %q, %v; want %q", rel, got, err, want)
		}
	}
	bad := []struct {
		domain string
		rel    []string
	}{
		{"", []string{"a.csv"}},
		{"..", []string{"a.csv"}},
		{"sales/../hr", []string{"a.csv"}},
		{"sales", []string{"../hr/a.csv"}},
		{"sales", []string{"2026", "..", "..", "hr"}},
		{"sales", []string{"/etc/passwd"}},
		{"sales", []string{"a\x00.csv"}},
		{"sales", []string{`..\a.csv`}},
		{"sales", []string{"elsewhere", "a.csv"}}, // through a symlink
	}
	for _, c := range bad {
		if got, err := l.LandingPath(c.domain, c.rel...); err == nil {
			t.Errorf("LandingPath(%q, %q) = %q, want an error", c.domain, c.rel, got)
		}
	}
}

func TestResolveLanding(t *testing.T) {
	l, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(l.Dir, LandingDir, "sales")
	for _, f := range []string{"orders/2026-01.csv", "orders/2026-02.csv", "orders/notes.txt", "orders/.upload-x.csv",
		"orders/archive/2025-12.csv", "customers.json", ".hidden/x.csv", "a.csv"} {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x\n"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	abs := func(rel ...string) []string {
		out := make([]string, len(rel))
		for i, r := range rel {
			out[i] = filepath.Join(root, r)
		}
		return out
	}
	cases := map[string][]string{
		"orders/*.csv":       abs("orders/2026-01.csv", "orders/2026-02.csv"),
		"orders/2026-0?.csv": abs("orders/2026-01.csv", "orders/2026-02.csv"),
		"orders/**/*.csv":    abs("orders/2026-01.csv", "orders/2026-02.csv", "orders/archive/2025-12.csv"),
		"**/*.csv":           abs("a.csv", "orders/2026-01.csv", "orders/2026-02.csv", "orders/archive/2025-12.csv"),
		"customers.json":     abs("customers.json"),
		"./a.csv":            abs("a.csv"),
		"orders/.*.csv":      abs("orders/.upload-x.csv"),
		"*":                  abs("a.csv", "customers.json"),
	}
	for glob, want := range cases {
		got, err := l.ResolveLanding("sales", glob)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ResolveLanding(%q) = %q, %v; want %q", glob, got, err, want)
		}
	}

	if _, err := l.ResolveLanding("sales", "orders/*.parquet"); !errors.Is(err, ErrNoFiles) {
		t.Errorf("no match: %v, want ErrNoFiles", err)
	}
	if _, err := l.ResolveLanding("hr", "*.csv"); !errors.Is(err, ErrNoFiles) {
		t.Errorf("a domain without landing: %v, want ErrNoFiles", err)
	}
	for _, glob := range []string{"../*.csv", "/etc/*", "a\x00", "", "orders/[", `..\x`} {
		if _, err := l.ResolveLanding("sales", glob); err == nil || errors.Is(err, ErrNoFiles) {
			t.Errorf("ResolveLanding(%q): %v, want a refusal", glob, err)
		}
	}
	if _, err := l.ResolveLanding("../sales", "*.csv"); err == nil {
		t.Error("a domain with .. was accepted")
	}

	// A symlink planted in landing is refused by name, file or folder.
	secret := filepath.Join(t.TempDir(), "secret.csv")
	os.WriteFile(secret, []byte("TOPSECRET\n"), 0o640)
	if err := os.Symlink(secret, filepath.Join(root, "orders", "2026-03.csv")); err != nil {
		t.Fatal(err)
	}
	_, err = l.ResolveLanding("sales", "orders/*.csv")
	if err == nil || !strings.Contains(err.Error(), "2026-03.csv") || !strings.Contains(err.Error(), "symlink") {
		t.Errorf("symlinked file: %v", err)
	}
	os.Remove(filepath.Join(root, "orders", "2026-03.csv"))
	if err := os.Symlink(filepath.Dir(secret), filepath.Join(root, "linked")); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ResolveLanding("sales", "linked/*.csv"); err == nil || !strings.Contains(err.Error(), "linked") {
		t.Errorf("symlinked folder: %v", err)
	}
	if got, err := l.ResolveLanding("sales", "orders/*.csv"); err != nil || len(got) != 2 {
		t.Errorf("a symlink elsewhere in landing spoils nothing: %v %v", got, err)
	}
	os.Remove(filepath.Join(root, "linked"))

	// Pipes and files named like globs are refused too.
	if err := syscall.Mkfifo(filepath.Join(root, "orders", "pipe.csv"), 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := l.ResolveLanding("sales", "orders/*.csv"); err == nil || !strings.Contains(err.Error(), "pipe.csv") {
		t.Errorf("fifo: %v", err)
	}
	os.Remove(filepath.Join(root, "orders", "pipe.csv"))
	os.WriteFile(filepath.Join(root, "orders", "x*.csv"), nil, 0o640)
	if _, err := l.ResolveLanding("sales", "orders/*.csv"); err == nil || !strings.Contains(err.Error(), "glob character") {
		t.Errorf("a file named like a glob: %v", err)
	}
}

func TestSnapshotAndStagingDirs(t *testing.T) {
	l, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := l.SnapshotDir("sales", "revenue", "daily", "20260101T000000Z-r1"),
		filepath.Join(l.Dir, "products", "sales", "revenue", "daily", "20260101T000000Z-r1"); got != want {
		t.Errorf("SnapshotDir = %q, want %q", got, want)
	}
	for _, args := range [][4]string{{"..", "b", "c", "d"}, {"a", "b/c", "c", "d"}, {"a", "b", "", "d"}, {"a", "b", "c", "x\x00"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("SnapshotDir%q did not panic", args)
				}
			}()
			l.SnapshotDir(args[0], args[1], args[2], args[3])
		}()
	}

	dir, err := l.StagingDir("run-7")
	if err != nil || dir != filepath.Join(l.Dir, "_staging", "run-7") {
		t.Fatalf("StagingDir = %q, %v", dir, err)
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		t.Errorf("staging folder not created: %v", err)
	}
	if again, err := l.StagingDir("run-7"); err != nil || again != dir {
		t.Errorf("StagingDir twice: %q %v", again, err)
	}
	for _, id := range []string{"", "..", "a/b", ".sandbox", "x\x00"} {
		if _, err := l.StagingDir(id); err == nil {
			t.Errorf("StagingDir(%q) accepted", id)
		}
	}
	if got := l.SandboxScratchDir(); got != filepath.Join(l.Dir, "_staging", ".sandbox") {
		t.Errorf("SandboxScratchDir = %q", got)
	}
}
