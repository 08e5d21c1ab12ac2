package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"plaza/models"
)

// A form post without the right CSRF token is refused with a page that says
// what happened, and changes nothing.
func TestCSRFRefusesForms(t *testing.T) {
	t.Parallel()
	e := freshEnv(t)
	admin := e.as(adminEmail)
	other := e.anon() // another browser, with its own token
	form := "name=Store+Operations&slug=store-ops"
	cases := []struct {
		name   string
		body   string
		header http.Header
	}{
		{"no token", form, nil},
		{"empty token", form + "&_csrf=", nil},
		{"wrong token", form + "&_csrf=not-the-token", nil},
		{"another browser's token", form + "&_csrf=" + url.QueryEscape(other.csrf), nil},
		{"wrong header token", form, http.Header{"X-Csrf-Token": {"not-the-token"}}},
	}
	domains, audits := e.count(&models.Domain{}, ""), e.count(&models.AuditEvent{}, "")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
			for k, v := range tc.header {
				h[k] = v
			}
			p := admin.read(admin.do("POST", "/admin/domains", strings.NewReader(tc.body), h))
			wantStatus(t, tc.name, p, http.StatusForbidden)
			if p.Text("error-status") != "403" || !strings.Contains(p.Text("error-page"), "This form expired or was sent from another site.") {
				t.Errorf("error page %q, want 403 saying the form expired", p.Text("error-page"))
			}
		})
	}
	// A browser that says the post comes from another site is refused too.
	p := admin.read(admin.do("POST", "/admin/domains", strings.NewReader(form+"&_csrf="+url.QueryEscape(admin.csrf)),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Sec-Fetch-Site": {"cross-site"}}))
	if p.Status != http.StatusForbidden {
		t.Errorf("cross-site post: %d, want 403", p.Status)
	}
	if n := e.count(&models.Domain{}, ""); n != domains {
		t.Errorf("domains %d -> %d after refused posts", domains, n)
	}
	if n := e.count(&models.AuditEvent{}, ""); n != audits {
		t.Errorf("audit events %d -> %d after refused posts", audits, n)
	}

	// The right token, in the form or in htmx's header, works.
	p = admin.read(admin.do("POST", "/admin/domains", strings.NewReader(form),
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Csrf-Token": {admin.csrf}}))
	wantRedirect(t, "header token", p, "/domains/store-ops")
}

// An expired session sends the browser to sign in again, and says so.
func TestSessionExpired(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		leo := e.as(userEmail)
		if p := leo.get("/profile"); p.Status != http.StatusOK {
			t.Fatalf("profile before: %d", p.Status)
		}
		leoID := e.user(userEmail).ID
		err := e.DB.Model(&models.Session{}).Where("user_id = ?", leoID).
			Update("expires_at", time.Now().UTC().Add(-time.Minute)).Error
		if err != nil {
			t.Fatal(err)
		}

		p := leo.get("/profile")
		wantRedirect(t, "expired session", p, "/signin?next=%2Fprofile")
		signin := leo.get(p.Location)
		wantStatus(t, "sign-in page", signin, http.StatusOK)
		wantFlash(t, signin, "info", "Your session expired. Sign in again to continue.")
		if got := signin.Text("page-title"); got != "Sign in to Plaza" {
			t.Errorf("page title %q", got)
		}
		if leo.jarCookie(sessionCookie) != "" {
			t.Error("the expired session's cookie was not cleared")
		}

		// A form posted with an expired session is refused, not saved.
		leo = e.as(userEmail)
		e.DB.Model(&models.Session{}).Where("user_id = ?", leoID).Update("expires_at", time.Now().UTC().Add(-time.Minute))
		p = leo.post("/profile/tokens", f("name", "after expiry"))
		if p.Status != http.StatusUnauthorized {
			t.Errorf("post with an expired session: %d, want 401", p.Status)
		}
		if n := e.count(&models.APIToken{}, "name = ?", "after expiry"); n != 0 {
			t.Error("a token was created with an expired session")
		}
	})
}

// The same, with the store's clock moved past the session lifetime.
func TestSessionLifetime(t *testing.T) {
	t.Parallel()
	db := freshSQLite(t)
	store := models.NewStore(db)
	e := serveStore(t, db, store)
	leo := e.as(userEmail)
	if p := leo.get("/"); p.Status != http.StatusOK {
		t.Fatalf("home before: %d", p.Status)
	}
	store.Now = func() time.Time { return time.Now().Add(models.SessionLifetime - time.Minute) }
	if p := leo.get("/"); p.Status != http.StatusOK {
		t.Errorf("home a minute before the end of the lifetime: %d, want 200", p.Status)
	}
	store.Now = func() time.Time { return time.Now().Add(models.SessionLifetime + time.Minute) }
	p := leo.get("/")
	wantRedirect(t, "home after the lifetime", p, "/signin?next=%2F")
	wantFlash(t, leo.get(p.Location), "info", "Your session expired.")
}

// Signing out ends the session on the server: the old cookie is worthless.
func TestSignOut(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		leo := e.as(userEmail)
		leoID := e.user(userEmail).ID
		stolen := leo.jarCookie(sessionCookie)
		if stolen == "" || e.count(&models.Session{}, "user_id = ?", leoID) != 1 {
			t.Fatal("no session to sign out of")
		}
		page := leo.get("/")
		if !page.Has("signout") || !strings.HasSuffix(page.Text("current-user"), "Leo Martins") {
			t.Fatalf("home shows user %q, sign-out %v", page.Text("current-user"), page.Has("signout"))
		}

		p := leo.post("/signout", nil)
		wantRedirect(t, "sign out", p, "/signin")
		wantFlash(t, leo.get("/signin"), "info", "You are signed out.")
		if n := e.count(&models.Session{}, "user_id = ?", leoID); n != 0 {
			t.Errorf("%d session rows left after sign-out", n)
		}
		if leo.jarCookie(sessionCookie) != "" {
			t.Error("the browser still holds the session cookie")
		}

		replay := e.anon()
		replay.putCookie(sessionCookie, stolen)
		for _, path := range []string{"/", "/profile", "/domains"} {
			if p := replay.get(path); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/signin") {
				t.Errorf("replayed cookie on %s: %d to %q, want 303 to /signin", path, p.Status, p.Location)
			}
		}
		replay.putCookie(sessionCookie, stolen)
		if p := replay.post("/profile/tokens", f("name", "replayed")); p.Status != http.StatusUnauthorized {
			t.Errorf("replayed cookie posting: %d, want 401", p.Status)
		}
		if n := e.count(&models.APIToken{}, "name = ?", "replayed"); n != 0 {
			t.Error("a replayed cookie created a token")
		}
	})
}

// A session cookie that was tampered with is no session.
func TestTamperedSessionCookie(t *testing.T) {
	t.Parallel()
	e := freshEnv(t)
	c := e.anon()
	secret, err := e.Store.CreateSession(t.Context(), e.user(adminEmail), "test")
	if err != nil {
		t.Fatal(err)
	}
	for name, value := range map[string]string{
		"the raw secret":      secret,
		"garbage":             "garbage",
		"signed with another": mustEncode(t, secret),
	} {
		c.putCookie(sessionCookie, value)
		if p := c.get("/admin"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/signin") {
			t.Errorf("%s: /admin %d to %q, want 303 to /signin", name, p.Status, p.Location)
		}
	}
}

// mustEncode encodes a session cookie with a different server's keys.
func mustEncode(t *testing.T, secret string) string {
	t.Helper()
	other := freshEnvWithSecret(t, strings.Repeat("z", 32))
	v, err := other.Srv.cookies.Encode(sessionCookie, secret)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func freshEnvWithSecret(t *testing.T, secret string) *env {
	t.Helper()
	db := freshSQLite(t)
	return serveStore(t, db, models.NewStore(db), func(o *Options) { o.SessionSecret = []byte(secret) })
}

// API tokens: revoked, garbage, missing or the wrong scheme get 401 JSON.
func TestAPITokensRefused(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		leo := e.as(userEmail)
		tok, secret, err := e.Store.CreateToken(t.Context(), e.user(userEmail), "script")
		if err != nil {
			t.Fatal(err)
		}
		if r := leo.call("GET", "/api/v1/me", secret, ""); r.Status != http.StatusOK {
			t.Fatalf("token before revoking: %d %s", r.Status, r.Body)
		}
		if n := e.count(&models.APIToken{}, "id = ? AND last_used_at IS NOT NULL", tok.ID); n != 1 {
			t.Error("the token's last use was not recorded")
		}

		p := leo.post(tokenRevokePath(tok.ID), nil)
		wantRedirect(t, "revoke", p, "/profile")
		profile := leo.get("/profile")
		wantFlash(t, profile, "success", "Token revoked.")
		if row := profile.Text("token-" + tok.Prefix); !strings.Contains(row, "revoked") {
			t.Errorf("token row %q does not say revoked", row)
		}
		if n := e.count(&models.APIToken{}, "id = ? AND revoked_at IS NOT NULL", tok.ID); n != 1 {
			t.Fatal("revoked_at is not set")
		}

		// Someone else's token cannot be revoked by id.
		other, _, err := e.Store.CreateToken(t.Context(), e.user(adminEmail), "admin script")
		if err != nil {
			t.Fatal(err)
		}
		if p := leo.post(tokenRevokePath(other.ID), nil); p.Status != http.StatusNotFound {
			t.Errorf("revoking another person's token: %d, want 404", p.Status)
		}
		if n := e.count(&models.APIToken{}, "id = ? AND revoked_at IS NULL", other.ID); n != 1 {
			t.Error("another person's token was revoked")
		}

		cases := []struct{ name, authorization string }{
			{"revoked token", "Bearer " + secret},
			{"garbage token", "Bearer garbage"},
			{"unknown plz_ token", "Bearer plz_" + strings.Repeat("a", 32)},
			{"empty bearer", "Bearer "},
			{"no header", ""},
			{"basic auth", "Basic YWxleDpzZWNyZXQ="},
		}
		for _, tc := range cases {
			h := http.Header{"Accept": {"application/json"}}
			if tc.authorization != "" {
				h.Set("Authorization", tc.authorization)
			}
			resp := leo.do("GET", "/api/v1/me", nil, h)
			p := leo.read(resp)
			r := apiResp{Status: p.Status, Header: resp.Header, Body: p.Body}
			if r.Status != http.StatusUnauthorized {
				t.Errorf("%s: %d, want 401", tc.name, r.Status)
				continue
			}
			body := apiErrorOf(t, r)
			if body.Code != "unauthenticated" || body.RequestID != r.Header.Get("X-Request-Id") {
				t.Errorf("%s: error %+v, want code unauthenticated and the request id", tc.name, body)
			}
			if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: WWW-Authenticate %q", tc.name, r.Header.Get("WWW-Authenticate"))
			}
		}

		// A browser's session cookie does not open the API: only tokens do.
		if r := leo.call("GET", "/api/v1/me", "", ""); r.Status != http.StatusUnauthorized {
			t.Errorf("session cookie on the API: %d, want 401", r.Status)
		}
		if r := e.as(adminEmail).call("POST", "/api/v1/domains", "", `{"slug":"by-cookie","name":"By cookie"}`); r.Status != http.StatusUnauthorized {
			t.Errorf("admin's session cookie posting to the API: %d, want 401", r.Status)
		}
		if _, ok := e.domain("by-cookie"); ok {
			t.Error("the API accepted a session cookie")
		}
	})
}

func tokenRevokePath(id uint) string { return "/profile/tokens/" + idStr(id) + "/revoke" }

// Fields a form does not have are ignored: no crafted field makes anyone an
// admin, picks an id, or moves a team.
func TestMassAssignment(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		admin, owner, leo := e.as(adminEmail), e.as(ownerEmail), e.as(userEmail)
		admins := e.count(&models.User{}, "is_admin = ?", true)

		p := admin.post("/admin/domains", f("name", "Store Operations", "slug", "store-ops",
			"is_admin", "true", "id", "999", "ID", "999", "archived_at", "2020-01-01T00:00:00Z", "created_at", "2001-01-01T00:00:00Z"))
		wantRedirect(t, "create with extra fields", p, "/domains/store-ops")
		d, _ := e.domain("store-ops")
		if d.ID == 999 || d.Archived() || d.CreatedAt.Year() == 2001 {
			t.Errorf("extra fields reached the row: id %d archived %v created %v", d.ID, d.Archived(), d.CreatedAt)
		}
		if e.count(&models.Domain{}, "id = ?", 999) != 0 {
			t.Error("a domain with id 999 exists")
		}

		p = admin.post("/admin/people", f("email", "crafty@northwind.example", "is_admin", "true", "IsAdmin", "true",
			"deactivated_at", "2020-01-01T00:00:00Z"))
		wantRedirect(t, "add person with extra fields", p, "/admin/people")
		if u := e.user("crafty@northwind.example"); u.IsAdmin || !u.Active() {
			t.Errorf("extra fields reached the person: admin %v active %v", u.IsAdmin, u.Active())
		}

		customer, _ := e.domain("customer")
		p = owner.post(salesAnalytics, f("name", "Sales Analytics", "slug", "sales-analytics", "description", "Same.",
			"domain_id", idStr(customer.ID), "DomainID", idStr(customer.ID), "id", "1", "archived_at", "2020-01-01T00:00:00Z"))
		wantRedirect(t, "team edit with extra fields", p, salesAnalytics)
		sa, err := e.Store.TeamBySlug(t.Context(), "sales", "sales-analytics")
		if err != nil || sa.Domain.Slug != "sales" || sa.Archived() || sa.Description != "Same." {
			t.Errorf("team after edit with extra fields: %+v %v", sa, err)
		}

		p = leo.post("/profile/tokens", f("name", "mine", "user_id", idStr(e.user(adminEmail).ID), "UserID", idStr(e.user(adminEmail).ID)))
		if p.Status != http.StatusCreated {
			t.Fatalf("token create: %d", p.Status)
		}
		if n := e.count(&models.APIToken{}, "name = ? AND user_id = ?", "mine", e.user(userEmail).ID); n != 1 {
			t.Error("the token was not created for its creator")
		}
		secret := p.Text("token-secret")
		if r := leo.call("GET", "/api/v1/me", secret, ""); r.Status != http.StatusOK || decode[meJSON](t, r.Body).Email != userEmail {
			t.Errorf("the new token acts as %s, want Leo", r.Body)
		}

		p = leo.post("/signin/demo", f("email", userEmail, "is_admin", "true"))
		if p.Status != http.StatusSeeOther {
			t.Errorf("sign-in with extra fields: %d", p.Status)
		}
		if n := e.count(&models.User{}, "is_admin = ?", true); n != admins {
			t.Errorf("admins %d -> %d", admins, n)
		}
	})
}

// The JSON API refuses bodies it cannot read, naming what is wrong.
func TestAPIRefusesBadJSON(t *testing.T) {
	t.Parallel()
	e := freshEnv(t)
	c := e.anon()
	token := e.token(adminEmail)
	domains, audits := e.count(&models.Domain{}, ""), e.count(&models.AuditEvent{}, "")
	cases := []struct {
		name, method, path, body, want string
	}{
		{"unknown field", "POST", "/api/v1/domains", `{"slug":"x","name":"X","is_admin":true}`, `unknown field "is_admin"`},
		{"unknown field on patch", "PATCH", "/api/v1/domains/sales", `{"name":"X","id":7}`, `unknown field "id"`},
		{"unknown field on team", "POST", "/api/v1/domains/sales/teams", `{"slug":"xx","name":"X","domain_id":2}`, `unknown field "domain_id"`},
		{"unknown field on member", "PUT", "/api/v1/domains/sales/teams/sales-analytics/members/" + userEmail, `{"role":"member","admin":true}`, `unknown field "admin"`},
		{"malformed", "POST", "/api/v1/domains", `{"slug":`, "bad JSON"},
		{"not an object", "POST", "/api/v1/domains", `["slug"]`, "bad JSON"},
		{"wrong type", "POST", "/api/v1/domains", `{"slug":5,"name":"X"}`, "slug"},
		{"empty body", "POST", "/api/v1/domains", "", "the request body is empty"},
	}
	for _, tc := range cases {
		r := c.call(tc.method, tc.path, token, tc.body)
		if r.Status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", tc.name, r.Status, r.Body)
			continue
		}
		body := apiErrorOf(t, r)
		if body.Code != "bad_request" || !strings.Contains(body.Message, tc.want) {
			t.Errorf("%s: error %+v, want code bad_request and a message naming %q", tc.name, body, tc.want)
		}
	}
	if n := e.count(&models.Domain{}, ""); n != domains {
		t.Errorf("domains %d -> %d", domains, n)
	}
	if n := e.count(&models.AuditEvent{}, ""); n != audits {
		t.Errorf("audit events %d -> %d", audits, n)
	}
	if d, _ := e.domain("sales"); d.Name != "Sales" {
		t.Errorf("sales renamed to %q", d.Name)
	}
	if e.membership("sales", "sales-analytics", userEmail) != "" {
		t.Error("Leo was added by a refused body")
	}
}

// Requests larger than the limit are refused before any handler reads them.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	e := freshEnv(t)
	c := e.anon()
	big := `{"slug":"big","name":"Big","description":"` + strings.Repeat("x", 5<<20) + `"}`
	r := c.call("POST", "/api/v1/domains", e.token(adminEmail), big)
	if r.Status != http.StatusRequestEntityTooLarge || apiErrorOf(t, r).Code != "too_large" {
		t.Errorf("5 MB body: %d %.200s, want 413 too_large", r.Status, r.Body)
	}
	if _, ok := e.domain("big"); ok {
		t.Error("the big domain was created")
	}
}

// Every response names its request, and error pages never show internals.
func TestRequestIDAndErrorPages(t *testing.T) {
	t.Parallel()
	e := freshEnv(t)
	leo := e.as(userEmail)
	seen := map[string]bool{}
	for _, path := range []string{"/", "/domains/sales", "/domains/nope", "/admin", "/healthz", "/signin", "/static/plaza.css"} {
		resp := leo.do("GET", path, nil, nil)
		resp.Body.Close()
		id := resp.Header.Get("X-Request-Id")
		if len(id) < 16 || seen[id] {
			t.Errorf("GET %s: X-Request-Id %q, want a fresh id", path, id)
		}
		seen[id] = true
	}
	r := leo.call("GET", "/api/v1/me", e.token(userEmail), "")
	if r.Header.Get("X-Request-Id") == "" {
		t.Error("the API answers without X-Request-Id")
	}
	if p := leo.get("/domains/nope"); p.Has("request-id") {
		t.Errorf("a 404 page shows a request id %q; only 500s need one", p.Text("request-id"))
	}

	// Security headers on every page.
	resp := leo.do("GET", "/", nil, nil)
	resp.Body.Close()
	for k, want := range map[string]string{
		"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
}

// An unexpected failure (here: the database is gone) shows a plain page with
// the request id, never the error or a stack trace; the API answers the same in JSON.
func TestInternalErrorShowsNoInternals(t *testing.T) {
	t.Parallel()
	e := freshEnv(t)
	leo := e.as(userEmail)
	token := e.token(userEmail)
	sqlDB, err := e.DB.DB()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB.Close()

	p, h := leo.send("GET", "/domains", nil, nil)
	wantStatus(t, "with the database closed", p, http.StatusInternalServerError)
	if p.Text("error-status") != "500" || !strings.Contains(p.Text("error-page"), "Something went wrong on our side.") {
		t.Errorf("error page %q", p.Text("error-page"))
	}
	if id := p.Text("request-id"); id == "" || id != h.Get("X-Request-Id") {
		t.Errorf("request id shown %q, header %q; want the same", id, h.Get("X-Request-Id"))
	}
	r := leo.call("GET", "/api/v1/domains", token, "")
	if r.Status != http.StatusInternalServerError {
		t.Errorf("API with the database closed: %d", r.Status)
	}
	body := apiErrorOf(t, r)
	if body.Code != "internal" || body.RequestID != r.Header.Get("X-Request-Id") || body.Fields != nil {
		t.Errorf("API error %+v", body)
	}
	for _, text := range []string{p.Body, r.Body} {
		for _, leak := range []string{"goroutine", ".go:", "database is closed", "sql:", "panic", "gorm"} {
			if strings.Contains(text, leak) {
				t.Errorf("an error response shows %q", leak)
			}
		}
	}
}

// The persona sign-in exists only in demo or dev-login mode, and only for personas.
func TestDemoSignIn(t *testing.T) {
	t.Parallel()
	t.Run("off", func(t *testing.T) {
		t.Parallel()
		db := freshSQLite(t)
		e := serveStore(t, db, models.NewStore(db), func(o *Options) { o.Demo, o.DevLogin = false, false })
		c := e.anon()
		page := c.get("/signin")
		if page.Has("personas") || !page.Has("no-signin") {
			t.Error("the sign-in page offers personas with demo and dev login off")
		}
		sessions := e.count(&models.Session{}, "")
		p := c.post("/signin/demo", f("email", adminEmail))
		if p.Status != http.StatusNotFound || p.Text("error-status") != "404" {
			t.Errorf("demo sign-in with demo off: %d, want a 404 page", p.Status)
		}
		if n := e.count(&models.Session{}, ""); n != sessions {
			t.Errorf("sessions %d -> %d", sessions, n)
		}
		if p := c.get("/admin"); p.Status != http.StatusSeeOther {
			t.Errorf("after the refused sign-in /admin: %d, want 303 to sign in", p.Status)
		}
	})
	t.Run("dev login", func(t *testing.T) {
		t.Parallel()
		db := freshSQLite(t)
		e := serveStore(t, db, models.NewStore(db), func(o *Options) { o.Demo, o.DevLogin = false, true })
		c := e.anon()
		if !c.get("/signin").Has("persona-" + userEmail) {
			t.Error("dev login does not offer the personas")
		}
		wantRedirect(t, "dev login", c.post("/signin/demo", f("email", userEmail)), "/")
	})
	t.Run("demo", func(t *testing.T) {
		t.Parallel()
		e := freshEnv(t)
		sessions := e.count(&models.Session{}, "")
		for _, email := range []string{"new.hire@northwind.example", "", "alex.morgan@northwind.example.evil.test"} {
			c := e.anon()
			p := c.post("/signin/demo", f("email", email))
			if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Text("error-page"), "Pick one of the demo personas.") {
				t.Errorf("demo sign-in as %q: %d %q, want 422 asking for a persona", email, p.Status, p.Text("error-page"))
			}
		}
		if n := e.count(&models.Session{}, ""); n != sessions {
			t.Errorf("sessions %d -> %d after refused sign-ins", sessions, n)
		}
		if e.count(&models.User{}, "email = ?", "new.hire@northwind.example") != 0 {
			t.Error("a refused sign-in created a person")
		}

		// After sign-in, next is followed only when it stays on this site.
		for next, want := range map[string]string{
			"":                      "/",
			"/domains/sales":        "/domains/sales",
			"//evil.example/":       "/",
			"https://evil.example/": "/",
			"/\\evil.example":       "/",
			"domains":               "/",
		} {
			c := e.anon()
			p := c.post("/signin/demo", f("email", ownerEmail, "next", next))
			wantRedirect(t, "next="+next, p, want)
			home := c.get(want)
			wantFlash(t, home, "success", "Welcome, Sofia Rossi.")
			if !strings.HasSuffix(home.Text("current-user"), "Sofia Rossi") {
				t.Errorf("signed in as %q", home.Text("current-user"))
			}
		}
	})
}

// A request id sent by the client (or a proxy) is kept when it is a sane
// token and replaced otherwise; either way the audit log can store it.
func TestIncomingRequestID(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, e *env) {
		admin := e.as(adminEmail)
		cases := []struct {
			name, sent string
			kept       bool
		}{
			{"from a proxy", "edge-7f3a9c.42", true},
			{"too long", strings.Repeat("r", 200), false},
			{"odd characters", "<script>alert(1)</script>", false},
		}
		for i, tc := range cases {
			slug := "from-proxy-" + string(rune('a'+i))
			p, h := admin.send("POST", "/admin/domains", f("name", "From a proxy", "slug", slug), http.Header{"X-Request-Id": {tc.sent}})
			wantRedirect(t, tc.name, p, "/domains/"+slug)
			got := h.Get("X-Request-Id")
			if tc.kept != (got == tc.sent) || got == "" || len(got) > 64 {
				t.Errorf("%s: sent %.20q, answered %q; want it kept: %v", tc.name, tc.sent, got, tc.kept)
			}
			if evs := e.audits("domain.create", slug); len(evs) != 1 || evs[0].RequestID != got {
				t.Errorf("%s: audit events %+v, want one with request id %q", tc.name, evs, got)
			}
		}
	})
}
