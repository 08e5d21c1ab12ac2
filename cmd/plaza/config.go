package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"plaza/handlers"
	"plaza/jobs"
)

// Config is everything Plaza reads from flags and PLAZA_* variables. A flag
// beats its variable; the variable beats the default. README's
// configuration table lists each one.
type Config struct {
	Addr          string
	DataDir       string
	DatabaseURL   string
	LakeDir       string
	BaseURL       string
	AdminEmails   []string
	SessionSecret string
	Demo          bool
	DevLogin      bool
	LogFormat     string
	Providers     []handlers.ProviderConfig
	SMTP          *jobs.SMTP // from PLAZA_SMTP_URL; nil: no email
	MaxUploadMB   int        // largest landing upload
	SandboxIdle   int        // sandbox children kept for their person's next query; 0 keeps none
	DemoData      bool       // with Demo: generate landing files and run the demo pipelines
	LineageFile   string     // OpenLineage events of pipeline runs, one JSON object a line; "": none
	LineageURL    string     // where those events are also POSTed; "": nowhere
	PprofAddr     string     // PLAZA_PPROF_ADDR: Go profiles served there; "": off
}

// env returns the variable's value, or def when unset or empty.
func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func envBool(name string) bool {
	switch strings.ToLower(os.Getenv(name)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// bindFlags registers the flags every subcommand shares.
func (c *Config) bindFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", env("PLAZA_ADDR", "127.0.0.1:8080"), "listen address (PLAZA_ADDR)")
	fs.StringVar(&c.DataDir, "data", env("PLAZA_DATA", "./data"), "data folder: plaza.db, the lake, the session key (PLAZA_DATA)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("PLAZA_DATABASE_URL", ""), "SQLite file path or postgres:// URL (PLAZA_DATABASE_URL; default <data>/plaza.db)")
	fs.StringVar(&c.LakeDir, "lake", env("PLAZA_LAKE_DIR", ""), "lake folder (PLAZA_LAKE_DIR; default <data>/lake)")
	fs.StringVar(&c.BaseURL, "base-url", env("PLAZA_BASE_URL", ""), "public URL, for sign-in callbacks (PLAZA_BASE_URL; default http://<addr>)")
	fs.BoolVar(&c.Demo, "demo", envBool("PLAZA_DEMO"), "seed the demo company and allow persona sign-in (PLAZA_DEMO)")
	c.DemoData = env("PLAZA_DEMO_DATA", "on") != "off"
	maxUpload, _ := strconv.Atoi(env("PLAZA_MAX_UPLOAD_MB", "1024"))
	fs.IntVar(&c.MaxUploadMB, "max-upload-mb", maxUpload, "largest landing upload in MiB (PLAZA_MAX_UPLOAD_MB)")
	idle, _ := strconv.Atoi(env("PLAZA_SANDBOX_IDLE", "32"))
	fs.IntVar(&c.SandboxIdle, "sandbox-idle", idle, "query sandboxes kept for their person's next query, about 70 MB each; 0 keeps none (PLAZA_SANDBOX_IDLE)")
}

// finish fills in defaults that depend on other settings and reads the
// settings that have no flag.
func (c *Config) finish() error {
	if c.DatabaseURL == "" {
		c.DatabaseURL = filepath.Join(c.DataDir, "plaza.db")
	}
	if c.LakeDir == "" {
		c.LakeDir = filepath.Join(c.DataDir, "lake")
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Addr
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	for _, e := range strings.Split(os.Getenv("PLAZA_ADMIN_EMAILS"), ",") {
		if e = strings.TrimSpace(e); e != "" {
			c.AdminEmails = append(c.AdminEmails, strings.ToLower(e))
		}
	}
	c.SessionSecret = os.Getenv("PLAZA_SESSION_SECRET")
	c.DevLogin = envBool("PLAZA_DEV_LOGIN")
	c.LogFormat = env("PLAZA_LOG_FORMAT", "text")
	c.Providers = providersFromEnv()
	// No flag: a password on the command line shows in ps.
	if raw := os.Getenv("PLAZA_SMTP_URL"); raw != "" {
		smtp, err := jobs.ParseSMTPURL(raw)
		if err != nil {
			return err
		}
		c.SMTP = smtp
	}
	// No flags: an endpoint's URL may carry a password.
	c.LineageFile = env("PLAZA_OPENLINEAGE_FILE", filepath.Join(c.DataDir, "openlineage.jsonl"))
	if c.LineageFile == "off" {
		c.LineageFile = ""
	}
	c.LineageURL = os.Getenv("PLAZA_OPENLINEAGE_URL")
	c.PprofAddr = os.Getenv("PLAZA_PPROF_ADDR")
	return nil
}

// providersFromEnv configures each single sign-on provider whose client id is set.
func providersFromEnv() []handlers.ProviderConfig {
	var ps []handlers.ProviderConfig
	if id := os.Getenv("PLAZA_OIDC_CLIENT_ID"); id != "" {
		discovery := os.Getenv("PLAZA_OIDC_DISCOVERY_URL")
		if discovery == "" {
			if issuer := os.Getenv("PLAZA_OIDC_ISSUER"); issuer != "" {
				discovery = strings.TrimRight(issuer, "/") + "/.well-known/openid-configuration"
			}
		}
		ps = append(ps, handlers.ProviderConfig{Name: "oidc", Kind: "oidc", Label: env("PLAZA_OIDC_LABEL", "single sign-on"),
			ClientID: id, ClientSecret: os.Getenv("PLAZA_OIDC_CLIENT_SECRET"), DiscoveryURL: discovery})
	}
	for _, p := range []struct{ kind, env, label string }{
		{"github", "GITHUB", "GitHub"}, {"google", "GOOGLE", "Google"}, {"microsoft", "MICROSOFT", "Microsoft"},
	} {
		if id := os.Getenv("PLAZA_" + p.env + "_CLIENT_ID"); id != "" {
			ps = append(ps, handlers.ProviderConfig{Name: p.kind, Kind: p.kind, Label: p.label,
				ClientID: id, ClientSecret: os.Getenv("PLAZA_" + p.env + "_CLIENT_SECRET")})
		}
	}
	return ps
}

// sessionKey returns the configured secret or, when none is, the one kept in
// <data>/session.key, generating it on first start.
func (c *Config) sessionKey() ([]byte, error) {
	if c.SessionSecret != "" {
		if len(c.SessionSecret) < 32 {
			return nil, errors.New("PLAZA_SESSION_SECRET must be at least 32 characters")
		}
		return []byte(c.SessionSecret), nil
	}
	path := filepath.Join(c.DataDir, "session.key")
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) < 32 {
			// Replacing it would sign everyone out without a word: say so instead.
			return nil, fmt.Errorf("%s holds %d bytes; a session key needs at least 32 (delete the file to generate a new one)", path, len(b))
		}
		return b, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read session key: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	key := []byte(hex.EncodeToString(raw))
	if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("write session key: %w", err)
	}
	return key, nil
}
