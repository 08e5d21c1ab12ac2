package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"plaza/handlers"
	"plaza/jobs"
	"plaza/models"
	"plaza/models/dbtest"
)

// TestMain lets a test run this binary as plaza itself (see plazaExit):
// with PLAZA_TEST_MAIN=1 it is main, exit code and all.
func TestMain(m *testing.M) {
	if os.Getenv("PLAZA_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// plazaExit runs the command line in a process of its own and returns its
// output and exit code.
func plazaExit(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), os.Args[0], args...)
	cmd.Env = append(os.Environ(), "PLAZA_TEST_MAIN=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

// cleanEnv blanks every PLAZA_* variable of the environment running the
// tests (restored afterwards), so only what a test sets is in play. The
// configuration treats an empty variable as unset.
func cleanEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "PLAZA_") && !strings.HasPrefix(name, "PLAZA_TEST_") {
			t.Setenv(name, "")
		}
	}
}

// plaza runs the command line and returns what it printed.
func plaza(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(t.Context(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

// mustPlaza runs the command line and fails the test on an error.
func mustPlaza(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := plaza(t, args...)
	if err != nil {
		t.Fatalf("plaza %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// openDB opens a database the command line wrote to.
func openDB(t *testing.T, dsn string) *gorm.DB {
	t.Helper()
	db, err := models.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	})
	return db
}

func count(t *testing.T, db *gorm.DB, model any, where string, args ...any) int64 {
	t.Helper()
	var n int64
	q := db.Model(model)
	if where != "" {
		q = q.Where(where, args...)
	}
	if err := q.Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// target is a database the commands are pointed at: the default SQLite
// file in the data folder, or a scratch Postgres schema.
type target struct {
	args []string // flags that select it
	dsn  string   // what models.Open needs to read it back
}

// eachTarget runs fn on a fresh SQLite data folder and, when
// PLAZA_TEST_DATABASE_URL is set, on a fresh Postgres schema.
func eachTarget(t *testing.T, fn func(t *testing.T, tg target)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		cleanEnv(t)
		data := t.TempDir()
		fn(t, target{args: []string{"--data", data}, dsn: filepath.Join(data, "plaza.db")})
	})
	t.Run("postgres", func(t *testing.T) {
		base := os.Getenv(dbtest.EnvPostgres)
		if base == "" {
			t.Skipf("%s is not set", dbtest.EnvPostgres)
		}
		cleanEnv(t)
		dsn, drop := dbtest.Schema(t, base)
		t.Cleanup(drop)
		fn(t, target{args: []string{"--data", t.TempDir(), "--database-url", dsn}, dsn: dsn})
	})
}

func TestVersionAndHelp(t *testing.T) {
	cleanEnv(t)
	for _, arg := range []string{"version", "--version", "-v"} {
		if out := mustPlaza(t, arg); out != "plaza dev\n" {
			t.Errorf("plaza %s printed %q, want %q", arg, out, "plaza dev\n")
		}
	}
	if out := mustPlaza(t, "help"); !strings.Contains(out, "Usage:") || !strings.Contains(out, "plaza token create") {
		t.Errorf("plaza help printed %q, want the usage", out)
	}
}

func TestBadCommandLines(t *testing.T) {
	for _, tc := range []struct {
		name       string
		args       []string
		err        string
		usageShown bool
	}{
		{"no command", nil, "no command given", true},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`, true},
		{"unknown flag", []string{"migrate", "--no-such-flag"}, "flag provided but not defined", false},
		{"stray argument", []string{"migrate", "extra"}, `unexpected argument "extra"`, false},
		{"token alone", []string{"token"}, "usage: plaza token create", false},
		{"token list", []string{"token", "list"}, "usage: plaza token create", false},
		{"token without email", []string{"token", "create"}, "--email is required", false},
		{"token bad email", []string{"token", "create", "--email", "not-an-email"}, "--email: ", false},
		{"token long name", []string{"token", "create", "--email", "a@b.example", "--name", strings.Repeat("n", 121)}, "--name: ", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cleanEnv(t)
			args := tc.args
			if len(args) > 1 && args[0] == "token" {
				args = append(args, "--data", t.TempDir())
			}
			out, errOut, err := plaza(t, args...)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want one containing %q", err, tc.err)
			}
			if tc.usageShown != strings.Contains(errOut, "Usage:") {
				t.Errorf("usage on stderr = %v, want %v: %q", !tc.usageShown, tc.usageShown, errOut)
			}
			if out != "" {
				t.Errorf("stdout = %q, want nothing", out)
			}
		})
	}
}

func TestMigrate(t *testing.T) {
	cleanEnv(t)
	data := filepath.Join(t.TempDir(), "new") // not there yet: migrate makes it
	for range 2 {                             // the second run finds nothing to do
		if out := mustPlaza(t, "migrate", "--data", data); out != "database is up to date\n" {
			t.Errorf("migrate printed %q", out)
		}
	}
	db := openDB(t, filepath.Join(data, "plaza.db"))
	for _, m := range []any{&models.User{}, &models.Identity{}, &models.Session{}, &models.APIToken{}, &models.Domain{}} {
		if !db.Migrator().HasTable(m) {
			t.Errorf("no table for %T", m)
		}
	}
	if n := count(t, db, &models.Domain{}, ""); n != 0 {
		t.Errorf("migrate seeded %d domains, want none", n)
	}
	if !db.Migrator().HasTable("river_job") {
		t.Error("no river_job table: River's migrations did not run")
	}
}

func TestDemoSeedsOnce(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg target) {
		var users int64
		for i := range 2 {
			out := mustPlaza(t, append([]string{"demo"}, tg.args...)...)
			if !strings.Contains(out, "seeded the "+models.DemoCompany+" demo company") {
				t.Errorf("demo printed %q", out)
			}
			db := openDB(t, tg.dsn)
			if n := count(t, db, &models.Domain{}, ""); n != 5 {
				t.Errorf("run %d: domains = %d, want 5", i+1, n)
			}
			n := count(t, db, &models.User{}, "")
			if i == 1 && n != users {
				t.Errorf("the second demo run changed the users from %d to %d", users, n)
			}
			users = n
		}
		if users != int64(len(models.DemoPersonas)) {
			t.Errorf("users = %d, want the %d personas", users, len(models.DemoPersonas))
		}
	})
}

func TestTokenCreate(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg target) {
		create := func(email string, extra ...string) string {
			t.Helper()
			out := mustPlaza(t, append(append([]string{"token", "create", "--email", email}, extra...), tg.args...)...)
			if !strings.HasPrefix(out, "plz_") || !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
				t.Fatalf("token create printed %q, want one line starting with plz_", out)
			}
			return strings.TrimSuffix(out, "\n")
		}

		secret := create("New@X.example", "--name", "New Person")
		store := models.NewStore(openDB(t, tg.dsn))
		u, err := store.UserByToken(t.Context(), secret)
		if err != nil {
			t.Fatalf("the printed token does not authenticate: %v", err)
		}
		if u.Email != "new@x.example" || u.Name != "New Person" || u.IsAdmin {
			t.Errorf("created %q %q admin=%v, want new@x.example, New Person, not admin", u.Email, u.Name, u.IsAdmin)
		}

		// A second token for the same person reuses them.
		again := create("new@x.example")
		if again == secret {
			t.Error("the second token is the first one again")
		}
		if u2, err := store.UserByToken(t.Context(), again); err != nil || u2.ID != u.ID {
			t.Errorf("second token: user %v, err %v; want user %d", u2, err, u.ID)
		}
		if n := count(t, store.DB, &models.User{}, ""); n != 1 {
			t.Errorf("users = %d, want 1", n)
		}

		// An address in PLAZA_ADMIN_EMAILS is created an admin.
		t.Setenv("PLAZA_ADMIN_EMAILS", "someone@else.example, Boss@X.example")
		boss, err := store.UserByToken(t.Context(), create("boss@x.example"))
		if err != nil {
			t.Fatal(err)
		}
		if !boss.IsAdmin || boss.Name != "boss" {
			t.Errorf("boss@x.example: admin=%v name %q, want an admin named boss", boss.IsAdmin, boss.Name)
		}
	})
}

func TestConfigPrecedence(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want func(c *Config) (got, want any)
	}{
		{"addr default", nil, nil,
			func(c *Config) (any, any) { return c.Addr, "127.0.0.1:8080" }},
		{"addr from variable", map[string]string{"PLAZA_ADDR": "0.0.0.0:9000"}, nil,
			func(c *Config) (any, any) { return c.Addr, "0.0.0.0:9000" }},
		{"addr flag beats variable", map[string]string{"PLAZA_ADDR": "0.0.0.0:9000"}, []string{"--addr", ":7000"},
			func(c *Config) (any, any) { return c.Addr, ":7000" }},
		{"base url from addr", map[string]string{"PLAZA_ADDR": "0.0.0.0:9000"}, nil,
			func(c *Config) (any, any) { return c.BaseURL, "http://0.0.0.0:9000" }},
		{"base url trimmed", map[string]string{"PLAZA_BASE_URL": "https://plaza.example.com/"}, nil,
			func(c *Config) (any, any) { return c.BaseURL, "https://plaza.example.com" }},
		{"data default", nil, nil,
			func(c *Config) (any, any) {
				return []string{c.DataDir, c.DatabaseURL, c.LakeDir}, []string{"./data", filepath.Join("data", "plaza.db"), filepath.Join("data", "lake")}
			}},
		{"data from variable", map[string]string{"PLAZA_DATA": "/srv/plaza"}, nil,
			func(c *Config) (any, any) {
				return []string{c.DataDir, c.DatabaseURL, c.LakeDir}, []string{"/srv/plaza", "/srv/plaza/plaza.db", "/srv/plaza/lake"}
			}},
		{"data flag beats variable", map[string]string{"PLAZA_DATA": "/srv/plaza"}, []string{"--data", "/tmp/p"},
			func(c *Config) (any, any) { return c.DataDir, "/tmp/p" }},
		{"database url and lake beat data", map[string]string{"PLAZA_DATABASE_URL": "postgres://db/plaza", "PLAZA_LAKE_DIR": "/mnt/lake"}, []string{"--data", "/tmp/p"},
			func(c *Config) (any, any) {
				return []string{c.DatabaseURL, c.LakeDir}, []string{"postgres://db/plaza", "/mnt/lake"}
			}},
		{"demo from variable", map[string]string{"PLAZA_DEMO": "yes"}, nil,
			func(c *Config) (any, any) { return c.Demo, true }},
		{"demo flag beats variable", map[string]string{"PLAZA_DEMO": "1"}, []string{"--demo=false"},
			func(c *Config) (any, any) { return c.Demo, false }},
		{"admin emails", map[string]string{"PLAZA_ADMIN_EMAILS": " A@X.example ,,b@x.example"}, nil,
			func(c *Config) (any, any) { return c.AdminEmails, []string{"a@x.example", "b@x.example"} }},
		{"sandbox idle default", nil, nil,
			func(c *Config) (any, any) { return c.SandboxIdle, 32 }},
		{"sandbox idle flag beats variable", map[string]string{"PLAZA_SANDBOX_IDLE": "8"}, []string{"--sandbox-idle", "0"},
			func(c *Config) (any, any) { return c.SandboxIdle, 0 }},
		{"log format default", nil, nil,
			func(c *Config) (any, any) { return c.LogFormat, "text" }},
		{"oidc from issuer", map[string]string{"PLAZA_OIDC_CLIENT_ID": "id", "PLAZA_OIDC_CLIENT_SECRET": "s", "PLAZA_OIDC_ISSUER": "https://sso.example/"}, nil,
			func(c *Config) (any, any) {
				return c.Providers, []handlers.ProviderConfig{{Name: "oidc", Kind: "oidc", Label: "single sign-on",
					ClientID: "id", ClientSecret: "s", DiscoveryURL: "https://sso.example/.well-known/openid-configuration"}}
			}},
		{"oidc discovery url beats issuer", map[string]string{"PLAZA_OIDC_CLIENT_ID": "id", "PLAZA_OIDC_ISSUER": "https://sso.example", "PLAZA_OIDC_DISCOVERY_URL": "https://d.example/conf", "PLAZA_OIDC_LABEL": "Acme"}, nil,
			func(c *Config) (any, any) {
				return c.Providers, []handlers.ProviderConfig{{Name: "oidc", Kind: "oidc", Label: "Acme", ClientID: "id", DiscoveryURL: "https://d.example/conf"}}
			}},
		{"github", map[string]string{"PLAZA_GITHUB_CLIENT_ID": "gh", "PLAZA_GITHUB_CLIENT_SECRET": "ghs"}, nil,
			func(c *Config) (any, any) {
				return c.Providers, []handlers.ProviderConfig{{Name: "github", Kind: "github", Label: "GitHub", ClientID: "gh", ClientSecret: "ghs"}}
			}},
		{"no providers", map[string]string{"PLAZA_GOOGLE_CLIENT_SECRET": "orphan"}, nil,
			func(c *Config) (any, any) { return len(c.Providers), 0 }},
		{"no smtp", nil, nil,
			func(c *Config) (any, any) { return c.SMTP, (*jobs.SMTP)(nil) }},
		{"smtp url", map[string]string{"PLAZA_SMTP_URL": "smtps://plaza%40x.example:pw@mail.x.example?from=Plaza+%3Cplaza@x.example%3E"}, nil,
			func(c *Config) (any, any) {
				return c.SMTP, &jobs.SMTP{Host: "mail.x.example", Port: 465, Username: "plaza@x.example", Password: "pw",
					From: "Plaza <plaza@x.example>", TLS: jobs.TLSImplicit}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cleanEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c, err := parse("serve", tc.args, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := tc.want(c); !reflect.DeepEqual(got, want) {
				t.Errorf("got %#v, want %#v", got, want)
			}
		})
	}
}

func TestBadSMTPURL(t *testing.T) {
	cleanEnv(t)
	t.Setenv("PLAZA_SMTP_URL", "smtp://user:secret@mail.example")
	out, _, err := plaza(t, "migrate", "--data", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "PLAZA_SMTP_URL needs the sender address") || strings.Contains(err.Error(), "secret") {
		t.Errorf("err = %v, want the missing from named (and no password)", err)
	}
	if out != "" {
		t.Errorf("stdout = %q, want nothing", out)
	}
}

// TestAuditVerify: the command vouches for an untouched log, and names the
// event someone changed behind the app's back, with exit code 1.
func TestAuditVerify(t *testing.T) {
	eachTarget(t, func(t *testing.T, tg target) {
		for _, e := range []string{"a@x.example", "b@x.example"} {
			mustPlaza(t, append([]string{"token", "create", "--email", e}, tg.args...)...)
		}
		db := openDB(t, tg.dsn)
		var ids []uint
		if err := db.Model(&models.AuditEvent{}).Order("id").Pluck("id", &ids).Error; err != nil || len(ids) < 4 {
			t.Fatalf("audit events %v (err %v), want at least 4", ids, err)
		}

		out, errOut, code := plazaExit(t, append([]string{"audit", "verify"}, tg.args...)...)
		if want := fmt.Sprintf("audit log intact: %d events checked\n", len(ids)); out != want || code != 0 {
			t.Fatalf("intact log: exit %d, stdout %q, stderr %q; want exit 0 and %q", code, out, errOut, want)
		}

		// Lift the append-only trigger, as someone with the database's
		// password could, and rewrite history.
		drop := `DROP TRIGGER audit_events_no_update`
		if models.IsPostgres(tg.dsn) {
			drop = `DROP TRIGGER audit_events_append_only ON audit_events`
		}
		if err := db.Exec(drop).Error; err != nil {
			t.Fatal(err)
		}
		bad := ids[1]
		if err := db.Exec(`UPDATE audit_events SET actor_email = ? WHERE id = ?`, "someone@else.example", bad).Error; err != nil {
			t.Fatal(err)
		}
		out, errOut, code = plazaExit(t, append([]string{"audit", "verify"}, tg.args...)...)
		want := fmt.Sprintf("audit log broken at event %d: its contents do not match its hash", bad)
		if code != 1 || out != "" || !strings.Contains(errOut, want) {
			t.Errorf("tampered log: exit %d, stdout %q, stderr %q; want exit 1 and %q", code, out, errOut, want)
		}
	})
}

func TestAuditUsage(t *testing.T) {
	cleanEnv(t)
	for _, args := range [][]string{{"audit"}, {"audit", "list"}} {
		if _, _, err := plaza(t, args...); err == nil || !strings.Contains(err.Error(), "usage: plaza audit verify") {
			t.Errorf("plaza %v: err = %v, want the usage", args, err)
		}
	}
}

// TestDataFlagBeatsVariable checks precedence through a real command: the
// database goes where the flag says, not where PLAZA_DATA says.
func TestDataFlagBeatsVariable(t *testing.T) {
	cleanEnv(t)
	fromEnv, fromFlag := t.TempDir(), t.TempDir()
	t.Setenv("PLAZA_DATA", fromEnv)
	mustPlaza(t, "migrate", "--data", fromFlag)
	if _, err := os.Stat(filepath.Join(fromFlag, "plaza.db")); err != nil {
		t.Errorf("no database in the --data folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(fromEnv, "plaza.db")); err == nil {
		t.Error("a database was made in the PLAZA_DATA folder despite --data")
	}
	mustPlaza(t, "migrate")
	if _, err := os.Stat(filepath.Join(fromEnv, "plaza.db")); err != nil {
		t.Errorf("without --data, no database in the PLAZA_DATA folder: %v", err)
	}
}

func TestSessionKey(t *testing.T) {
	t.Run("generated once and reused", func(t *testing.T) {
		cleanEnv(t)
		data := t.TempDir()
		c, err := parse("serve", []string{"--data", data}, nil)
		if err != nil {
			t.Fatal(err)
		}
		first, err := c.sessionKey()
		if err != nil {
			t.Fatal(err)
		}
		if len(first) < 32 {
			t.Errorf("generated key has %d bytes, want at least 32", len(first))
		}
		stored, err := os.ReadFile(filepath.Join(data, "session.key"))
		if err != nil || !bytes.Equal(stored, first) {
			t.Fatalf("session.key holds %q (err %v), want the key returned", stored, err)
		}
		if fi, err := os.Stat(filepath.Join(data, "session.key")); err == nil && fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("session.key mode %v, want readable by its owner only", fi.Mode().Perm())
		}
		second, err := c.sessionKey()
		if err != nil || !bytes.Equal(second, first) {
			t.Errorf("second call: %q (err %v), want the stored key", second, err)
		}
	})
	t.Run("configured secret is used as is", func(t *testing.T) {
		cleanEnv(t)
		data := t.TempDir()
		secret := strings.Repeat("s", 32)
		t.Setenv("PLAZA_SESSION_SECRET", secret)
		c, err := parse("serve", []string{"--data", data}, nil)
		if err != nil {
			t.Fatal(err)
		}
		key, err := c.sessionKey()
		if err != nil || string(key) != secret {
			t.Errorf("key %q (err %v), want the configured secret", key, err)
		}
		if _, err := os.Stat(filepath.Join(data, "session.key")); err == nil {
			t.Error("session.key written although a secret is configured")
		}
	})
	t.Run("short secret refused", func(t *testing.T) {
		cleanEnv(t)
		t.Setenv("PLAZA_SESSION_SECRET", strings.Repeat("s", 31))
		c, err := parse("serve", []string{"--data", t.TempDir()}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.sessionKey(); err == nil || !strings.Contains(err.Error(), "PLAZA_SESSION_SECRET") {
			t.Errorf("err = %v, want one naming PLAZA_SESSION_SECRET", err)
		}
		// serve refuses to start with it.
		_, _, err = plaza(t, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "PLAZA_SESSION_SECRET must be at least 32 characters") {
			t.Errorf("serve: err = %v, want the short secret refused", err)
		}
	})
}

// syncBuffer is a bytes.Buffer safe to write from the server's goroutines
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServeUntilCancelled(t *testing.T) {
	cleanEnv(t)
	data := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()

	outR, outW := io.Pipe()
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"serve", "--demo", "--addr", "127.0.0.1:0", "--data", data}, outW, &stderr)
		outW.Close()
		done <- err
	}()

	// Read the welcome until it says where the server is, then keep
	// draining so the server never blocks on its stdout.
	urlc := make(chan string, 1)
	var welcome syncBuffer
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			line := sc.Text()
			welcome.Write([]byte(line + "\n"))
			if _, after, ok := strings.Cut(line, " is running at "); ok {
				urlc <- strings.TrimSpace(after)
			}
		}
		close(urlc)
	}()

	var base string
	select {
	case u, ok := <-urlc:
		if !ok {
			t.Fatalf("serve stopped without saying where it runs: %v\nstderr: %s", <-done, stderr.String())
		}
		base = u
	case err := <-done:
		t.Fatalf("serve returned early: %v\nstderr: %s", err, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not start\nstderr: %s", stderr.String())
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") || strings.HasSuffix(base, ":0") {
		t.Errorf("welcome names %q, want the real loopback port", base)
	}

	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	var health struct{ Status, Database, Lake, Version string }
	err = json.NewDecoder(resp.Body).Decode(&health)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || err != nil || health.Status != "ok" || health.Version != "dev" {
		t.Errorf("GET /healthz: %d %+v (decode err %v), want 200 ok", resp.StatusCode, health, err)
	}
	if _, err := os.Stat(filepath.Join(data, "session.key")); err != nil {
		t.Errorf("serve made no session key in the data folder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(data, "lake")); err != nil {
		t.Errorf("serve made no lake in the data folder: %v", err)
	}
	// The jobs run: the access sweep runs once at start.
	db := openDB(t, filepath.Join(data, "plaza.db"))
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var n int64
		if err := db.Table("river_job").Where("kind = ? AND state = ?", "access_sweep", "completed").Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve ran no access sweep\nstderr: %s", stderr.String())
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v after cancel, want nil", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop after its context was cancelled")
	}
	for range urlc { // the reader is done once the pipe is closed
	}
	if !strings.Contains(stderr.String(), "shutting down") {
		t.Errorf("no shutdown in the log: %s", stderr.String())
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the server still answers after shutdown")
	}
	// The demo welcome lists the personas to sign in as.
	for _, p := range models.DemoPersonas {
		if !strings.Contains(welcome.String(), p.Email) {
			t.Errorf("welcome does not list %s:\n%s", p.Email, welcome.String())
			break
		}
	}
}
