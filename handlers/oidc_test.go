package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oauth2-proxy/mockoidc"
	"gorm.io/gorm"

	"plaza/lake"
	"plaza/models"
	"plaza/models/dbtest"
)

// oidcEnv is a Plaza server whose only sign-in is a generic OpenID Connect
// provider, played by mockoidc in the same process on its own port.
type oidcEnv struct {
	*env
	idp *mockoidc.MockOIDC
}

// newOIDCEnv starts mockoidc and a Plaza server (no demo data, no persona
// sign-in) configured with it as "Acme SSO". The Plaza listener is opened
// before the server is built because the callback URL is fixed at New().
func newOIDCEnv(t *testing.T, db *gorm.DB, opts ...func(*Options)) *oidcEnv {
	t.Helper()
	idp, err := mockoidc.Run()
	if err != nil {
		t.Fatalf("start mockoidc: %v", err)
	}
	t.Cleanup(func() { idp.Shutdown() })

	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	baseURL := "http://" + ts.Listener.Addr().String()
	cfg := idp.Config()
	o := Options{
		BaseURL: baseURL, SessionSecret: []byte(strings.Repeat("o", 32)), Version: "test", Logger: quietLog,
		Providers: []ProviderConfig{{
			Name: "oidc", Kind: "oidc", Label: "Acme SSO",
			ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, DiscoveryURL: idp.DiscoveryEndpoint(),
		}},
	}
	for _, f := range opts {
		f(&o)
	}
	lk, err := lake.Open(filepath.Join(t.TempDir(), "lake"))
	if err != nil {
		t.Fatal(err)
	}
	store := models.NewStore(db)
	srv, err := New(store, lk, o)
	if err != nil {
		ts.Close()
		t.Fatalf("new server: %v", err)
	}
	ts.Config.Handler = srv.Handler()
	ts.Start()
	t.Cleanup(ts.Close)
	if ts.URL != baseURL {
		t.Fatalf("test server at %s, callbacks built for %s", ts.URL, baseURL)
	}
	return &oidcEnv{env: &env{t: t, DB: db, Store: store, Srv: srv, HTTP: ts}, idp: idp}
}

// getURL fetches an absolute URL (on either host) with the client's cookie
// jar and without following redirects.
func (c *client) getURL(rawURL string) *page {
	c.t.Helper()
	resp, err := c.http.Get(rawURL)
	if err != nil {
		c.t.Fatalf("GET %s: %v", rawURL, err)
	}
	return c.read(resp)
}

// toCallback starts the SSO sign-in at start (/auth/oidc, perhaps with a
// ?next=) and lets the identity provider authenticate the next queued user;
// it returns the callback URL the provider sends the browser back to, not
// yet visited.
func (e *oidcEnv) toCallback(c *client, start string) *url.URL {
	e.t.Helper()
	begin := c.get(start)
	if begin.Status != http.StatusFound || !strings.HasPrefix(begin.Location, e.idp.AuthorizationEndpoint()+"?") {
		e.t.Fatalf("GET %s: %d to %q, want 302 to %s", start, begin.Status, begin.Location, e.idp.AuthorizationEndpoint())
	}
	authz, _ := url.Parse(begin.Location)
	q := authz.Query()
	if got, want := q.Get("redirect_uri"), e.HTTP.URL+"/auth/oidc/callback"; got != want {
		e.t.Errorf("redirect_uri = %q, want %q", got, want)
	}
	if q.Get("client_id") != e.idp.ClientID || q.Get("state") == "" || q.Get("response_type") != "code" {
		e.t.Errorf("authorize request lacks client_id, state or response_type=code: %s", authz.RawQuery)
	}
	for _, scope := range []string{"openid", "email", "profile"} {
		if !strings.Contains(" "+q.Get("scope")+" ", " "+scope+" ") {
			e.t.Errorf("scope %q does not ask for %s", q.Get("scope"), scope)
		}
	}

	back := c.getURL(begin.Location)
	if back.Status != http.StatusFound || !strings.HasPrefix(back.Location, e.HTTP.URL+"/auth/oidc/callback?") {
		e.t.Fatalf("identity provider answered %d to %q, want 302 to the callback: %s", back.Status, back.Location, back.Body)
	}
	cb, _ := url.Parse(back.Location)
	if cb.Query().Get("code") == "" || cb.Query().Get("state") != q.Get("state") {
		e.t.Fatalf("callback %s lacks the code or the state we sent (%s)", back.Location, q.Get("state"))
	}
	return cb
}

// signIn runs the whole SSO sign-in for the next queued user and returns
// the user it signed in.
func (e *oidcEnv) signIn(c *client, email string) *models.User {
	e.t.Helper()
	cb := e.toCallback(c, "/auth/oidc")
	done := c.getURL(cb.String())
	if done.Status != http.StatusSeeOther || done.Location != "/" {
		e.t.Fatalf("callback: %d to %q, want 303 to /: %s", done.Status, done.Location, done.Body)
	}
	return e.user(email)
}

// cookie returns the value of a cookie the jar holds for the Plaza host.
func (c *client) cookie(name string) string {
	u, _ := url.Parse(c.e.HTTP.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

func TestOIDCSignInAndOut(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newOIDCEnv(t, db)
		e.idp.QueueUser(&mockoidc.MockUser{
			Subject: "acme-0042", Email: "Pat.Lee@Acme.example", EmailVerified: true, PreferredUsername: "plee",
		})
		c := e.anon()

		p := c.get("/signin")
		if p.Status != http.StatusOK {
			t.Fatalf("GET /signin: %d", p.Status)
		}
		if got := p.Text("sso-oidc"); got != "Sign in with Acme SSO" {
			t.Errorf("SSO button = %q, want %q", got, "Sign in with Acme SSO")
		}
		if href, _ := p.Doc.Find(`[data-testid="sso-oidc"]`).Attr("href"); !strings.HasPrefix(href, "/auth/oidc") {
			t.Errorf("SSO button links to %q, want /auth/oidc", href)
		}

		u := e.signIn(c, "pat.lee@acme.example")
		if u.Name != "pat.lee" || u.IsAdmin {
			t.Errorf("new user: name %q admin %v, want name from the email and no admin", u.Name, u.IsAdmin)
		}
		if n := e.count(&models.Identity{}, "user_id = ? AND provider = ? AND subject = ?", u.ID, "oidc", "acme-0042"); n != 1 {
			t.Errorf("identities for oidc/acme-0042 = %d, want 1", n)
		}
		if n := e.count(&models.Session{}, "user_id = ? AND provider = ?", u.ID, "oidc"); n != 1 {
			t.Errorf("oidc sessions = %d, want 1", n)
		}
		if c.cookie(sessionCookie) == "" {
			t.Error("no session cookie after the callback")
		}
		if c.cookie(oauthCookie) != "" {
			t.Error("the sign-in state cookie outlived the callback")
		}

		home := c.get("/")
		if home.Status != http.StatusOK {
			t.Fatalf("GET / after sign-in: %d", home.Status)
		}
		if got := home.Text("current-user"); !strings.Contains(got, "pat.lee") {
			t.Errorf("current user = %q, want pat.lee", got)
		}
		if title, _ := home.Doc.Find(`[data-testid="current-user"]`).Attr("title"); title != "pat.lee@acme.example" {
			t.Errorf("current user's title = %q, want the email", title)
		}
		if got := home.Text("flash"); !strings.Contains(got, "Welcome, pat.lee.") {
			t.Errorf("flash = %q, want the welcome", got)
		}

		csrf := c.cookie("plaza_csrf")
		out := c.post("/signout", url.Values{"_csrf": {csrf}})
		if out.Status != http.StatusSeeOther || out.Location != "/signin" {
			t.Fatalf("POST /signout: %d to %q, want 303 to /signin", out.Status, out.Location)
		}
		if n := e.count(&models.Session{}, "user_id = ?", u.ID); n != 0 {
			t.Errorf("sessions after sign-out = %d, want 0", n)
		}
		if again := c.get("/"); again.Status != http.StatusSeeOther || !strings.HasPrefix(again.Location, "/signin") {
			t.Errorf("GET / after sign-out: %d to %q, want 303 to /signin", again.Status, again.Location)
		}
	})
}

func TestOIDCCallbackRejects(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(q url.Values, c *client, e *oidcEnv)
		flash string
	}{
		{"wrong state", func(q url.Values, _ *client, _ *oidcEnv) { q.Set("state", "forged") }, "took too long or was started elsewhere"},
		{"no state", func(q url.Values, _ *client, _ *oidcEnv) { q.Del("state") }, "took too long or was started elsewhere"},
		{"no sign-in cookie", func(_ url.Values, c *client, e *oidcEnv) {
			u, _ := url.Parse(e.HTTP.URL)
			c.http.Jar.SetCookies(u, []*http.Cookie{{Name: oauthCookie, Value: "", Path: "/", MaxAge: -1}})
		}, "took too long or was started elsewhere"},
		{"provider error", func(q url.Values, _ *client, _ *oidcEnv) { q.Del("code"); q.Set("error", "access_denied") }, "refused the sign-in: access_denied"},
		{"unknown code", func(q url.Values, _ *client, _ *oidcEnv) { q.Set("code", "not-a-code") }, "did not confirm the sign-in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newOIDCEnv(t, dbtest.SQLite(t))
			e.idp.QueueUser(&mockoidc.MockUser{Subject: "mallory-1", Email: "mallory@acme.example", EmailVerified: true})
			c := e.anon()
			cb := e.toCallback(c, "/auth/oidc")
			q := cb.Query()
			tc.spoil(q, c, e)
			cb.RawQuery = q.Encode()

			p := c.getURL(cb.String())
			if p.Status != http.StatusSeeOther || p.Location != "/signin" {
				t.Fatalf("callback: %d to %q, want 303 to /signin", p.Status, p.Location)
			}
			if c.cookie(sessionCookie) != "" {
				t.Error("a session cookie was set")
			}
			for _, m := range []any{&models.User{}, &models.Identity{}, &models.Session{}} {
				if n := e.count(m, ""); n != 0 {
					t.Errorf("%T rows = %d, want 0", m, n)
				}
			}
			signin := c.get("/signin")
			if got := signin.Text("flash"); !strings.Contains(got, tc.flash) {
				t.Errorf("flash = %q, want %q", got, tc.flash)
			}
			if signin.Has("current-user") {
				t.Error("signed in after a rejected callback")
			}
		})
	}
}

func TestOIDCAdminEmailsOnFirstSignIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newOIDCEnv(t, db, func(o *Options) { o.AdminEmails = []string{"Boss@Acme.example"} })
		e.idp.QueueUser(&mockoidc.MockUser{Subject: "boss", Email: "boss@acme.example", EmailVerified: true})
		e.idp.QueueUser(&mockoidc.MockUser{Subject: "staff", Email: "staff@acme.example", EmailVerified: true})

		if u := e.signIn(e.anon(), "boss@acme.example"); !u.IsAdmin {
			t.Error("boss@acme.example is in AdminEmails but is not an admin")
		}
		if u := e.signIn(e.anon(), "staff@acme.example"); u.IsAdmin {
			t.Error("staff@acme.example is not in AdminEmails but is an admin")
		}
	})
}

func TestOIDCSecondSignInReusesUser(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		e := newOIDCEnv(t, db)
		e.idp.QueueUser(&mockoidc.MockUser{Subject: "acme-7", Email: "sam@acme.example", EmailVerified: true})
		e.idp.QueueUser(&mockoidc.MockUser{Subject: "acme-7", Email: "sam@acme.example", EmailVerified: true})

		first := e.signIn(e.anon(), "sam@acme.example")
		second := e.signIn(e.anon(), "sam@acme.example")
		if first.ID != second.ID {
			t.Errorf("second sign-in is user %d, want %d", second.ID, first.ID)
		}
		if n := e.count(&models.User{}, ""); n != 1 {
			t.Errorf("users = %d, want 1", n)
		}
		if n := e.count(&models.Identity{}, "provider = ? AND subject = ?", "oidc", "acme-7"); n != 1 {
			t.Errorf("identities = %d, want 1", n)
		}
		if n := e.count(&models.Session{}, "user_id = ?", first.ID); n != 2 {
			t.Errorf("sessions = %d, want 2 (one per browser)", n)
		}
	})
}

func TestOIDCReturnsToNext(t *testing.T) {
	for _, tc := range []struct{ name, next, want string }{
		{"none", "", "/"},
		{"a page", "/domains/sales", "/domains/sales"},
		{"protocol-relative", "//evil.example/x", "/"},
		{"absolute", "https://evil.example/x", "/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newOIDCEnv(t, dbtest.SQLite(t)) // mockoidc signs in its default user
			c := e.anon()
			cb := e.toCallback(c, "/auth/oidc?next="+url.QueryEscape(tc.next))
			if p := c.getURL(cb.String()); p.Status != http.StatusSeeOther || p.Location != tc.want {
				t.Errorf("callback: %d to %q, want 303 to %q", p.Status, p.Location, tc.want)
			}
		})
	}
}

func TestEmailUnverified(t *testing.T) {
	cases := []struct {
		claims map[string]any
		want   bool
	}{
		{map[string]any{"email_verified": false}, true},
		{map[string]any{"email_verified": "false"}, true},
		{map[string]any{"email_verified": true}, false},
		{map[string]any{"email_verified": "true"}, false},
		{map[string]any{}, false}, // providers that do not send the claim
		{nil, false},
	}
	for _, tc := range cases {
		if got := emailUnverified(tc.claims); got != tc.want {
			t.Errorf("emailUnverified(%v) = %v, want %v", tc.claims, got, tc.want)
		}
	}
}
