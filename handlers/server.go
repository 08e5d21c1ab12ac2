// Package handlers is Plaza's web layer: the echo routes (routes.go is the
// map of the site), middleware, and one file per resource. Handlers parse,
// authorize through models.Authorize, call models, and render views or JSON.
// It imports models and views; only cmd imports it.
package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/labstack/echo/v4"
	"github.com/markbates/goth"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"plaza/lake"
	"plaza/models"
)

// Options is what the web layer needs from the configuration.
type Options struct {
	BaseURL       string // scheme://host[:port], for OAuth callbacks
	Demo          bool   // seeded demo company; enables the persona sign-in
	DevLogin      bool   // persona sign-in without demo data (PLAZA_DEV_LOGIN)
	AdminEmails   []string
	SessionSecret []byte // at least 32 bytes; signs and encrypts cookies
	SecureCookies bool   // set Secure on cookies (behind https)
	Version       string
	Providers     []ProviderConfig
	Logger        *slog.Logger
	Runs          RunQueue      // starts pipeline runs; nil: runs stay queued (tests without jobs)
	Sandbox       *lake.Sandbox // reads landing files for their schema and preview; nil: not shown
	MaxUpload     int64         // largest landing upload in bytes; 0: 1 GiB
	Query         QueryLimits   // bounds of federated queries; zero fields: defaults
}

// RunQueue starts the job of a run that models.Store.EnqueueRun recorded
// (jobs.Runner in serve).
type RunQueue interface {
	Enqueue(ctx context.Context, runID uint) error
}

// Server holds the dependencies every handler needs.
type Server struct {
	Store        *models.Store
	Lake         *lake.Lake
	Opts         Options
	cookies      *securecookie.SecureCookie
	providers    []providerEntry
	registry     *prometheus.Registry
	landingStats landingStatsCache
	queries      queryGate
	log          *slog.Logger
	echo         *echo.Echo
}

// New builds a Server; it fails when the options cannot work (a short
// secret, a provider that cannot be set up).
func New(store *models.Store, lk *lake.Lake, opts Options) (*Server, error) {
	if len(opts.SessionSecret) < 32 {
		return nil, errors.New("session secret must be at least 32 bytes")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Version == "" {
		opts.Version = "dev"
	}
	hashKey, blockKey := deriveKeys(opts.SessionSecret)
	sc := securecookie.New(hashKey, blockKey)
	sc.MaxAge(int(models.SessionLifetime / time.Second))
	s := &Server{Store: store, Lake: lk, Opts: opts, cookies: sc, log: opts.Logger, registry: prometheus.NewRegistry()}
	s.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, pc := range opts.Providers {
		p, err := pc.build(opts.BaseURL)
		if err != nil {
			return nil, fmt.Errorf("sign-in provider %s: %w", pc.Name, err)
		}
		s.providers = append(s.providers, providerEntry{cfg: pc, provider: p})
	}
	s.echo = echo.New()
	s.echo.HideBanner = true
	s.echo.HidePort = true
	s.echo.HTTPErrorHandler = s.handleError
	s.routes(s.echo)
	return s, nil
}

// Handler returns the whole site as an http.Handler.
func (s *Server) Handler() http.Handler { return s.echo }

// Routes lists every registered route.
func (s *Server) Routes() []*echo.Route { return s.echo.Routes() }

type providerEntry struct {
	cfg      ProviderConfig
	provider goth.Provider
}

func (s *Server) provider(name string) (goth.Provider, bool) {
	for _, p := range s.providers {
		if p.cfg.Name == name {
			return p.provider, true
		}
	}
	return nil, false
}

// personaLogin reports whether the persona picker is on.
func (s *Server) personaLogin() bool { return s.Opts.Demo || s.Opts.DevLogin }
