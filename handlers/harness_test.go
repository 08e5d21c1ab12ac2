package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"gorm.io/gorm"

	"plaza/lake"
	"plaza/models"
	"plaza/models/dbtest"
)

// The demo personas the tests act as, one per role.
const (
	adminEmail  = "alex.morgan@northwind.example"        // admin
	ownerEmail  = "sofia.rossi@northwind.example"        // owner of sales/order-management and sales/sales-analytics
	memberEmail = "hannah.weber@northwind.example"       // member of sales/sales-analytics
	userEmail   = "leo.martins@northwind.example"        // signed in, no team
	otherOwner  = "daniel.kim@northwind.example"         // owner in another domain (customer)
	stewardMail = "grace.okafor@northwind.example"       // no team
	analystMail = "maya.johnson@northwind.example"       // member of marketing/campaigns
	_           = stewardMail + analystMail + otherOwner // keep the cast list in one place
)

// env is a real Plaza server on a real database, seeded with the demo company.
type env struct {
	t     *testing.T
	DB    *gorm.DB
	Store *models.Store
	Srv   *Server
	HTTP  *httptest.Server
}

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// newEnv starts a server on db, seeded with the demo company.
func newEnv(t *testing.T, db *gorm.DB, opts ...func(*Options)) *env {
	t.Helper()
	store := models.NewStore(db)
	if err := store.SeedDemo(context.Background()); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return serveStore(t, db, store, opts...)
}

func serveStore(t *testing.T, db *gorm.DB, store *models.Store, opts ...func(*Options)) *env {
	t.Helper()
	lk, err := lake.Open(filepath.Join(t.TempDir(), "lake"))
	if err != nil {
		t.Fatal(err)
	}
	o := Options{
		BaseURL: "http://plaza.test", Demo: true, SessionSecret: []byte(strings.Repeat("k", 32)),
		Version: "test", Logger: quietLog,
	}
	for _, f := range opts {
		f(&o)
	}
	srv, err := New(store, lk, o)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &env{t: t, DB: db, Store: store, Srv: srv, HTTP: ts}
}

// freshEnv starts a server on a fresh copy of the seeded SQLite template.
func freshEnv(t *testing.T) *env {
	t.Helper()
	db := freshSQLite(t)
	return serveStore(t, db, models.NewStore(db))
}

// seededTemplate is a migrated SQLite file with the demo company, made once
// and copied for each test that needs a pristine database quickly.
var seededTemplate struct {
	once sync.Once
	path string
	err  error
}

// freshSQLite returns a copy of the seeded template database.
func freshSQLite(t *testing.T) *gorm.DB {
	t.Helper()
	seededTemplate.once.Do(func() {
		dir, err := os.MkdirTemp("", "plaza-handlers-")
		if err != nil {
			seededTemplate.err = err
			return
		}
		seededTemplate.path = filepath.Join(dir, "template.db")
		db, err := models.Open(seededTemplate.path)
		if err == nil {
			err = models.Migrate(context.Background(), db)
		}
		if err == nil {
			err = models.NewStore(db).SeedDemo(context.Background())
		}
		if err == nil {
			err = seedWalkFixtures(models.NewStore(db))
		}
		if err == nil {
			// Fold the WAL into the main file so one copy carries everything.
			err = db.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error
		}
		if sqlDB, derr := db.DB(); derr == nil {
			sqlDB.Close()
		}
		seededTemplate.err = err
	})
	if seededTemplate.err != nil {
		t.Fatalf("template database: %v", seededTemplate.err)
	}
	b, err := os.ReadFile(seededTemplate.path)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "plaza.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := models.Open(path)
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

// user loads a persona.
func (e *env) user(email string) *models.User {
	e.t.Helper()
	u, err := e.Store.UserByEmail(context.Background(), email)
	if err != nil {
		e.t.Fatalf("user %s: %v", email, err)
	}
	return u
}

// client is a browser: a cookie jar, no automatic redirects, and the CSRF
// token the server handed out.
type client struct {
	t    *testing.T
	e    *env
	http *http.Client
	csrf string
}

// anon returns a client that is not signed in.
func (e *env) anon() *client {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{t: e.t, e: e, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	// Any page hands out the CSRF cookie; the token is its value.
	resp := c.do("GET", "/signin", nil, nil)
	resp.Body.Close()
	u, _ := url.Parse(e.HTTP.URL)
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "plaza_csrf" {
			c.csrf = ck.Value
		}
	}
	if c.csrf == "" {
		e.t.Fatal("no CSRF cookie handed out")
	}
	return c
}

// as returns a client signed in as the persona with email, through a real
// session in the database and a real signed, encrypted cookie.
func (e *env) as(email string) *client {
	e.t.Helper()
	c := e.anon()
	secret, err := e.Store.CreateSession(context.Background(), e.user(email), "test")
	if err != nil {
		e.t.Fatal(err)
	}
	value, err := e.Srv.cookies.Encode(sessionCookie, secret)
	if err != nil {
		e.t.Fatal(err)
	}
	u, _ := url.Parse(e.HTTP.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: value, Path: "/"}})
	return c
}

// token creates a personal access token for the persona.
func (e *env) token(email string) string {
	e.t.Helper()
	_, secret, err := e.Store.CreateToken(context.Background(), e.user(email), "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return secret
}

func (c *client) do(method, path string, body io.Reader, header http.Header) *http.Response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.e.HTTP.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// page is a response with its HTML parsed.
type page struct {
	Status   int
	Location string
	Type     string // Content-Type
	Doc      *goquery.Document
	Body     string
}

// Text returns the trimmed text of the elements with a data-testid.
func (p *page) Text(testid string) string {
	return strings.TrimSpace(p.Doc.Find(`[data-testid="` + testid + `"]`).Text())
}

// Has reports whether an element with the data-testid exists.
func (p *page) Has(testid string) bool {
	return p.Doc.Find(`[data-testid="`+testid+`"]`).Length() > 0
}

func (c *client) read(resp *http.Response) *page {
	c.t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(b)))
	if err != nil {
		c.t.Fatal(err)
	}
	return &page{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Type: resp.Header.Get("Content-Type"), Doc: doc, Body: string(b)}
}

// get fetches a page.
func (c *client) get(path string) *page {
	c.t.Helper()
	return c.read(c.do("GET", path, nil, nil))
}

// post submits a form with the CSRF token, as the browser would.
func (c *client) post(path string, form url.Values) *page {
	c.t.Helper()
	form = cloneValues(form)
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", c.csrf)
	}
	return c.read(c.do("POST", path, strings.NewReader(form.Encode()),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}))
}

// api calls the JSON API with a bearer token ("" for none).
func (c *client) api(method, path, token, body string) (int, string) {
	c.t.Helper()
	h := http.Header{"Accept": {"application/json"}}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
		h.Set("Content-Type", "application/json")
	}
	resp := c.do(method, path, r, h)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// count returns the number of rows of model matching a condition.
func (e *env) count(model any, where string, args ...any) int64 {
	e.t.Helper()
	var n int64
	q := e.DB.Model(model)
	if where != "" {
		q = q.Where(where, args...)
	}
	if err := q.Count(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return n
}

// eachDB runs fn on a fresh seeded server over SQLite and, when configured, Postgres.
func eachDB(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) { fn(t, newEnv(t, db)) })
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// The product and term the route walk acts on: owned by sales/sales-analytics,
// whose owner is ownerEmail and whose member is memberEmail.
const (
	walkProduct = "walk-orders"
	walkTerm    = "walk-term"
)

func walkProductForm(slug string) url.Values {
	return f("name", "Walk orders", "slug", slug, "team", "sales/sales-analytics", "classification", "internal",
		"version", "1.0.0", "output_ports[0].name", "daily", "output_ports[0].format", "parquet",
		"output_ports[0].columns[0].name", "order_id", "output_ports[0].columns[0].type", "string")
}

func seedWalkFixtures(s *models.Store) error {
	ctx := context.Background()
	admin, err := s.UserByEmail(ctx, adminEmail)
	if err != nil {
		return err
	}
	if _, err := s.CreateTerm(ctx, admin, "sales", models.TermInput{Slug: walkTerm, Name: "Walk term", Definition: "A term for the route walk."}); err != nil {
		return err
	}
	p, err := s.CreateProduct(ctx, admin, "sales", models.ProductInput{Slug: walkProduct, Name: "Walk orders", Team: "sales-analytics",
		Classification: models.ClassInternal, OutputPorts: []models.PortInput{{Name: "daily", Format: "parquet",
			Columns: []models.ColumnInput{{Name: "order_id", Type: "string", Term: walkTerm}}}}})
	if err != nil {
		return err
	}
	_, err = s.SetProductStatus(ctx, admin, p, models.StatusPublished, "")
	return err
}
