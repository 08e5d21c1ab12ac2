// Command plaza is the Plaza data mesh portal: one binary that serves the
// web app and the API, migrates the database and seeds the demo company.
//
//	plaza serve [--demo]      run the server and its background jobs
//	plaza migrate             apply database migrations
//	plaza demo                seed the demo company
//	plaza token create --email E [--name N]
//	plaza audit verify        check the audit log's hash chain
//	plaza version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"plaza/handlers"
	"plaza/jobs"
	"plaza/lake"
	"plaza/models"
)

// version is set at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

const usage = `Plaza, the data mesh portal.

Usage:
  plaza serve [--demo] [--addr ADDR] [--data DIR]   run the web server and the jobs
  plaza migrate                                     apply database migrations
  plaza demo                                        seed the demo company
  plaza token create --email E [--name N]           print a new API token
  plaza audit verify                                check that no audit event was altered
  plaza version                                     print the version

Run "plaza <command> -h" for a command's flags. Every flag has a PLAZA_*
environment variable; see README.md.
`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "plaza:", err)
		os.Exit(1)
	}
}

// run executes one subcommand; main is only its exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, args, stdout, stderr)
	case "migrate":
		return migrate(ctx, args, stdout)
	case "demo":
		return demo(ctx, args, stdout)
	case "token":
		return token(ctx, args, stdout)
	case "audit":
		return audit(ctx, args, stdout)
	case "__sandbox": // hidden: a child that runs user SQL for lake.Sandbox
		lake.SandboxMain() // exits
		return nil
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "plaza", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// parse reads the shared flags plus any extra ones a command registers.
func parse(name string, args []string, extra func(*flag.FlagSet)) (*Config, error) {
	fs := flag.NewFlagSet("plaza "+name, flag.ContinueOnError)
	var c Config
	c.bindFlags(fs)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return &c, c.finish()
}

// openStore connects to the database and applies migrations, Plaza's and
// then River's (the job queue's tables live in the same database).
func openStore(ctx context.Context, c *Config) (*models.Store, func(), error) {
	db, err := models.Open(c.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	closeDB := func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	}
	if err := models.Migrate(ctx, db); err != nil {
		closeDB()
		return nil, nil, err
	}
	if err := jobs.Migrate(ctx, db); err != nil {
		closeDB()
		return nil, nil, err
	}
	return models.NewStore(db), closeDB, nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parse("serve", args, nil)
	if err != nil {
		return err
	}
	log := newLogger(c.LogFormat, stderr)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	store, closeDB, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer closeDB()
	if c.Demo {
		if err := store.SeedDemo(ctx); err != nil {
			return fmt.Errorf("seed demo company: %w", err)
		}
	}
	go func() {
		if err := store.WarmSearch(ctx); err != nil && ctx.Err() == nil {
			log.Warn("warm the search cache", "err", err)
		}
	}()
	lk, err := lake.Open(c.LakeDir)
	if err != nil {
		return err
	}
	key, err := c.sessionKey()
	if err != nil {
		return err
	}
	// User SQL (pipelines, checks, previews) runs in child processes of
	// this same binary: see lake/sandbox.go.
	idle := c.SandboxIdle
	if idle <= 0 {
		idle = -1 // SandboxConfig's "none"; its 0 is the default
	}
	sandbox := lake.NewSandbox(lake.SandboxConfig{ScratchDir: lk.SandboxScratchDir(), Idle: idle})
	defer sandbox.Close()
	lineage, err := jobs.NewLineageEmitter(jobs.LineageConfig{File: c.LineageFile, URL: c.LineageURL, BaseURL: c.BaseURL, Logger: log})
	if err != nil {
		return err
	}
	defer func() {
		// After the runner: the last runs' events still go out.
		if err := lineage.Close(); err != nil {
			log.Warn("send the last OpenLineage events", "err", err)
		}
	}()
	runner, err := jobs.Start(ctx, store, jobs.Config{BaseURL: c.BaseURL, SMTP: c.SMTP, Logger: log, Lake: lk, Sandbox: sandbox, Lineage: lineage})
	if err != nil {
		return err
	}
	defer func() {
		// After the server: no request can queue email or runs any more.
		stopCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := runner.Stop(stopCtx); err != nil {
			log.Warn("stop the jobs", "err", err)
		}
	}()
	srv, err := handlers.New(store, lk, handlers.Options{
		BaseURL: c.BaseURL, Demo: c.Demo, DevLogin: c.DevLogin, AdminEmails: c.AdminEmails,
		SessionSecret: key, SecureCookies: strings.HasPrefix(c.BaseURL, "https://"),
		Version: version, Providers: c.Providers, Logger: log, Runs: runner,
		Sandbox: sandbox, MaxUpload: int64(c.MaxUploadMB) << 20,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // uploads
		IdleTimeout:       2 * time.Minute,
	}
	printWelcome(stdout, c, ln.Addr().String())
	mail := "off"
	if c.SMTP != nil {
		mail = c.SMTP.String()
	}
	log.Info("serving", "addr", ln.Addr().String(), "database", models.Dialect(store.DB), "lake", lk.Dir, "demo", c.Demo, "mail", mail)

	if c.Demo && c.DemoData {
		// The demo's landing files and first pipeline runs take a minute or
		// so: the site serves meanwhile, and products appear as they publish.
		go func() {
			if err := runner.RunDemoData(ctx, lk); err != nil && ctx.Err() == nil {
				log.Warn("demo data", "err", err)
			}
		}()
	}
	if c.PprofAddr != "" {
		// Profiling stays off the public listener: a separate address,
		// meant for loopback, only when asked for.
		go func() {
			if err := http.ListenAndServe(c.PprofAddr, pprofMux()); err != nil {
				log.Warn("pprof listener", "addr", c.PprofAddr, "err", err)
			}
		}()
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// pprofMux serves Go's runtime profiles (/debug/pprof/...).
func pprofMux() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	return mux
}

func printWelcome(w io.Writer, c *Config, addr string) {
	url := c.BaseURL
	if strings.HasPrefix(url, "http://") && strings.HasSuffix(c.Addr, ":0") {
		url = "http://" + addr // a random port was asked for: say which one
	}
	fmt.Fprintf(w, "Plaza %s is running at %s\n", version, url)
	if c.Demo || c.DevLogin {
		fmt.Fprintf(w, "\nDemo sign-in (%s): open %s/signin and pick a persona, no password needed:\n", models.DemoCompany, url)
		for _, p := range models.DemoPersonas {
			fmt.Fprintf(w, "  %-34s %s\n", p.Email, p.Title)
		}
	}
	fmt.Fprintln(w)
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

func migrate(ctx context.Context, args []string, stdout io.Writer) error {
	c, err := parse("migrate", args, nil)
	if err != nil {
		return err
	}
	_, closeDB, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	closeDB()
	fmt.Fprintln(stdout, "database is up to date")
	return nil
}

func demo(ctx context.Context, args []string, stdout io.Writer) error {
	c, err := parse("demo", args, nil)
	if err != nil {
		return err
	}
	store, closeDB, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer closeDB()
	if err := store.SeedDemo(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded the %s demo company\n", models.DemoCompany)
	return nil
}

func token(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New(`usage: plaza token create --email E [--name N]`)
	}
	var email, name, label string
	c, err := parse("token create", args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "whose token (created when absent)")
		fs.StringVar(&name, "name", "", "the person's name, when they are created")
		fs.StringVar(&label, "label", "created with plaza token create", "what the token is for")
	})
	if err != nil {
		return err
	}
	if email == "" {
		return errors.New("--email is required")
	}
	store, closeDB, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer closeDB()
	u, err := store.EnsureUser(ctx, email, name, c.AdminEmails)
	if err != nil {
		return describe(err)
	}
	_, secret, err := store.CreateToken(ctx, u, label)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintln(stdout, secret)
	return nil
}

// audit runs `plaza audit verify`: it walks the hash chain of the audit log
// and fails, naming the first event that does not fit, when someone with
// access to the database changed, removed or inserted events.
func audit(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New("usage: plaza audit verify")
	}
	c, err := parse("audit verify", args[1:], nil)
	if err != nil {
		return err
	}
	store, closeDB, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer closeDB()
	res, err := store.VerifyAudit(ctx, nil)
	if err != nil {
		return err
	}
	if !res.OK {
		return fmt.Errorf("audit log broken at event %d: %s (%d events checked)", res.BadID, res.Reason, res.Checked)
	}
	fmt.Fprintf(stdout, "audit log intact: %d events checked\n", res.Checked)
	return nil
}

// describe turns a validation error into a one-line message for the terminal.
func describe(err error) error {
	var v *models.ValidationError
	if errors.As(err, &v) {
		f, msg := v.First()
		return fmt.Errorf("--%s: %s", f, msg)
	}
	return err
}
