package handlers

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// /healthz reports the database and the lake, in JSON, without signing in.
func TestHealthz(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		r := e.anon().call("GET", "/healthz", "", "")
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("healthz: %d %q %s", r.Status, r.Header.Get("Content-Type"), r.Body)
		}
		got := decode[healthReport](t, r.Body)
		want := healthReport{Status: "ok", Database: "ok", Lake: "ok", Version: "test"}
		if got != want {
			t.Errorf("healthz = %+v, want %+v", got, want)
		}
	})
}

// With the database gone, /healthz says so with 503.
func TestHealthzDatabaseDown(t *testing.T) {
	t.Parallel()
	e := freshEnv(t)
	sqlDB, err := e.DB.DB()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB.Close()
	r := e.anon().call("GET", "/healthz", "", "")
	got := decode[healthReport](t, r.Body)
	if r.Status != http.StatusServiceUnavailable || got.Status != "unavailable" || got.Database == "ok" || got.Lake != "ok" {
		t.Errorf("healthz with the database closed: %d %+v, want 503 naming the database", r.Status, got)
	}
}

// /metrics counts requests by route pattern, not by address, and leaves
// static files out.
func TestMetrics(t *testing.T) {
	t.Parallel()
	e := freshEnv(t)
	leo := e.as(userEmail)
	for _, path := range []string{"/domains/sales", "/domains/customer", "/domains/nope", "/static/plaza.css"} {
		leo.get(path)
	}
	r := e.anon().call("GET", "/metrics", "", "")
	if r.Status != http.StatusOK {
		t.Fatalf("metrics: %d", r.Status)
	}
	var ours []string
	for _, line := range strings.Split(r.Body, "\n") {
		if strings.HasPrefix(line, "plaza_http_requests_total{") {
			ours = append(ours, line)
		}
	}
	has := func(parts ...string) bool {
		for _, l := range ours {
			ok := true
			for _, p := range parts {
				ok = ok && strings.Contains(l, p)
			}
			if ok {
				return true
			}
		}
		return false
	}
	if !has(`code="200"`, `method="GET"`, `url="/domains/:domain"`, "} 2") {
		t.Errorf("no count of 2 for GET /domains/:domain with 200 in\n%s", strings.Join(ours, "\n"))
	}
	if !has(`code="404"`, `url="/domains/:domain"`, "} 1") {
		t.Errorf("the 404 is not counted under its route in\n%s", strings.Join(ours, "\n"))
	}
	for _, bad := range []string{`url="/domains/sales"`, `url="/static/*"`, `url="/static/plaza.css"`} {
		if has(bad) {
			t.Errorf("metrics carry %s: addresses or static files would blow up the series", bad)
		}
	}
	if !strings.Contains(r.Body, "go_goroutines") || !strings.Contains(r.Body, "process_") {
		t.Error("the Go and process collectors are missing")
	}
}

// Static files are served with a long cache lifetime; sources are not.
func TestStaticFiles(t *testing.T) {
	t.Parallel()
	e := freshEnv(t)
	c := e.anon()
	for _, tc := range []struct{ path, contentType string }{
		{"/static/plaza.css?v=test", "text/css"},
		{"/static/htmx.min.js", "javascript"},
		{"/static/favicon.svg", "image/svg+xml"},
	} {
		resp := c.do("GET", tc.path, nil, nil)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(body) == 0 {
			t.Errorf("%s: %d with %d bytes", tc.path, resp.StatusCode, len(body))
		}
		if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, tc.contentType) {
			t.Errorf("%s: Content-Type %q, want %s", tc.path, ct, tc.contentType)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=86400" {
			t.Errorf("%s: Cache-Control %q", tc.path, cc)
		}
	}
	for _, path := range []string{"/static/static.go", "/static/nope.css", "/static/../handlers/routes.go"} {
		resp := c.do("GET", path, nil, nil)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || strings.Contains(string(body), "package ") {
			t.Errorf("%s: %d, want 404 without source", path, resp.StatusCode)
		}
	}
}

// An address nobody serves is a 404 page for people signed in; anonymous
// visitors are asked to sign in first (nothing is revealed), and the API answers in JSON.
func TestNotFound(t *testing.T) {
	t.Parallel()
	e := freshEnv(t)
	leo := e.as(userEmail)
	for _, path := range []string{"/no-such-page", "/domains/sales/nothing/here", "/admin/nope"} {
		p := leo.get(path)
		if path == "/admin/nope" {
			if p.Status != http.StatusForbidden {
				t.Errorf("%s as a user: %d, want 403 (the admin area)", path, p.Status)
			}
			continue
		}
		if p.Status != http.StatusNotFound || p.Text("error-status") != "404" || !strings.Contains(p.Text("error-page"), "Page not found") {
			t.Errorf("%s: %d %q, want the 404 page", path, p.Status, p.Text("error-page"))
		}
		if !strings.HasPrefix(p.Doc.Find("title").Text(), "Page not found") {
			t.Errorf("%s: title %q", path, p.Doc.Find("title").Text())
		}
	}
	if p := e.as(adminEmail).get("/admin/nope"); p.Status != http.StatusNotFound {
		t.Errorf("/admin/nope as admin: %d, want 404", p.Status)
	}
	if p := e.anon().get("/no-such-page"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/signin") {
		t.Errorf("anonymous /no-such-page: %d to %q, want 303 to sign in", p.Status, p.Location)
	}
	r := leo.call("GET", "/api/v1/nope", e.token(userEmail), "")
	if r.Status != http.StatusNotFound || apiErrorOf(t, r).Code != "not_found" {
		t.Errorf("/api/v1/nope: %d %s, want 404 JSON", r.Status, r.Body)
	}
}

// HEAD is answered like GET, without a body.
func TestHead(t *testing.T) {
	t.Parallel()
	e := freshEnv(t)
	leo := e.as(userEmail)
	cases := []struct {
		c      *client
		path   string
		status int
	}{
		{e.anon(), "/healthz", http.StatusOK},
		{e.anon(), "/static/plaza.css", http.StatusOK},
		{e.anon(), "/signin", http.StatusOK},
		{e.anon(), "/", http.StatusSeeOther},
		{leo, "/", http.StatusOK},
		{leo, "/domains/sales", http.StatusOK},
		{leo, "/domains/nope", http.StatusNotFound},
		{leo, "/no-such-page", http.StatusNotFound},
		{leo, "/admin", http.StatusForbidden},
	}
	for _, tc := range cases {
		resp := tc.c.do("HEAD", tc.path, nil, nil)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status || len(body) != 0 {
			t.Errorf("HEAD %s: %d with %d bytes, want %d without a body", tc.path, resp.StatusCode, len(body), tc.status)
		}
		if resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("HEAD %s: no X-Request-Id", tc.path)
		}
	}
	// HEAD never changes anything, even on addresses that take posts.
	if resp := leo.do("HEAD", "/signout", nil, nil); resp.StatusCode < 400 {
		t.Errorf("HEAD /signout: %d", resp.StatusCode)
	}
	if p := leo.get("/profile"); p.Status != http.StatusOK {
		t.Errorf("still signed in after HEAD /signout? profile %d", p.Status)
	}
}
