package handlers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"plaza/models"
)

// Small helpers shared by the scenario tests (domains, teams, people, audit,
// security, API, health). The harness itself lives in harness_test.go.

// send makes a request with an optional form body (the CSRF token added as
// post does) and returns the parsed page with the response headers.
func (c *client) send(method, path string, form url.Values, header http.Header) (*page, http.Header) {
	c.t.Helper()
	h := http.Header{}
	for k, v := range header {
		h[k] = v
	}
	var resp *http.Response
	if form == nil {
		resp = c.do(method, path, nil, h)
	} else {
		form = cloneValues(form)
		if _, ok := form["_csrf"]; !ok {
			form.Set("_csrf", c.csrf)
		}
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		resp = c.do(method, path, strings.NewReader(form.Encode()), h)
	}
	return c.read(resp), resp.Header
}

// postH submits a form like post and also returns the response headers.
func (c *client) postH(path string, form url.Values) (*page, http.Header) {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	return c.send(http.MethodPost, path, form, nil)
}

// apiResp is one answer of the JSON API.
type apiResp struct {
	Status int
	Header http.Header
	Body   string
}

// call calls the JSON API with a bearer token ("" for none) and keeps the headers.
func (c *client) call(method, path, token, body string) apiResp {
	c.t.Helper()
	h := http.Header{"Accept": {"application/json"}}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	var resp *http.Response
	if body != "" {
		h.Set("Content-Type", "application/json")
		resp = c.do(method, path, strings.NewReader(body), h)
	} else {
		resp = c.do(method, path, nil, h)
	}
	p := c.read(resp)
	return apiResp{Status: p.Status, Header: resp.Header, Body: p.Body}
}

// decode unmarshals a JSON body into a T, failing the test when it cannot.
func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decode %T from %q: %v", v, body, err)
	}
	return v
}

// apiErrorOf decodes the error body every API error carries.
func apiErrorOf(t *testing.T, r apiResp) apiErrorBody {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error Content-Type %q, want JSON; body %s", ct, r.Body)
	}
	return decode[apiError](t, r.Body).Error
}

// flashes returns the texts of the flash messages on a page, with their kind.
func (p *page) flashes() []string {
	var out []string
	p.Doc.Find(`[data-testid="flash"]`).Each(func(_ int, s *goquery.Selection) {
		kind := ""
		for _, c := range strings.Fields(s.AttrOr("class", "")) {
			if k, ok := strings.CutPrefix(c, "alert-"); ok {
				kind = k
			}
		}
		out = append(out, kind+": "+strings.TrimSpace(s.Text()))
	})
	return out
}

// value returns what a form input (or textarea) named name holds.
func (p *page) value(name string) string { return p.valueIn("", name) }

// valueIn is value within the element with the data-testid (a form).
func (p *page) valueIn(testid, name string) string {
	scope := p.Doc.Selection
	if testid != "" {
		scope = p.Doc.Find(`[data-testid="` + testid + `"]`)
	}
	sel := scope.Find(`input[name="` + name + `"], textarea[name="` + name + `"]`).First()
	if goquery.NodeName(sel) == "textarea" {
		return sel.Text()
	}
	return sel.AttrOr("value", "")
}

// audits returns the audit events with action about objectID, oldest first.
func (e *env) audits(action, objectID string) []models.AuditEvent {
	e.t.Helper()
	var evs []models.AuditEvent
	if err := e.DB.Where("action = ? AND object_id = ?", action, objectID).Order("id").Find(&evs).Error; err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// domain loads a domain row by slug; ok is false when there is none.
func (e *env) domain(slug string) (models.Domain, bool) {
	e.t.Helper()
	var d models.Domain
	n := e.DB.Where("slug = ?", slug).Limit(1).Find(&d).RowsAffected
	return d, n == 1
}

// membership returns the role of email in domain/team, "" when not a member.
func (e *env) membership(domain, team, email string) string {
	e.t.Helper()
	var roles []string
	err := e.DB.Table("memberships").Select("memberships.role").
		Joins("JOIN teams ON teams.id = memberships.team_id").
		Joins("JOIN domains ON domains.id = teams.domain_id").
		Joins("JOIN users ON users.id = memberships.user_id").
		Where("domains.slug = ? AND teams.slug = ? AND users.email = ?", domain, team, email).
		Pluck("memberships.role", &roles).Error
	if err != nil {
		e.t.Fatal(err)
	}
	if len(roles) == 0 {
		return ""
	}
	return roles[0]
}

// personPath is the address of an admin action on a person: admin or active.
func personPath(id uint, action string) string {
	return "/admin/people/" + idStr(id) + "/" + action
}

// idStr formats a database id for a URL or a form.
func idStr(id uint) string { return strconv.FormatUint(uint64(id), 10) }

// jarCookie returns the value of the named cookie in the client's jar.
func (c *client) jarCookie(name string) string {
	u, _ := url.Parse(c.e.HTTP.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// putCookie puts a cookie into the client's jar, as a browser that kept it would.
func (c *client) putCookie(name, value string) {
	u, _ := url.Parse(c.e.HTTP.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// wantStatus fails the test when the page's status is not want.
func wantStatus(t *testing.T, what string, p *page, want int) {
	t.Helper()
	if p.Status != want {
		t.Fatalf("%s: status %d, want %d; flashes %q, error %q", what, p.Status, want, p.flashes(), p.Text("error-page"))
	}
}

// wantRedirect fails the test unless the page is a 303 to location.
func wantRedirect(t *testing.T, what string, p *page, location string) {
	t.Helper()
	if p.Status != http.StatusSeeOther || p.Location != location {
		t.Fatalf("%s: %d to %q, want 303 to %q; errors %q %q", what, p.Status, p.Location, location,
			p.Text("form-error"), p.Text("error-page"))
	}
}

// wantFlash fails the test unless the page shows exactly one flash of kind containing text.
func wantFlash(t *testing.T, p *page, kind, text string) {
	t.Helper()
	fs := p.flashes()
	if len(fs) != 1 || !strings.HasPrefix(fs[0], kind+": ") || !strings.Contains(fs[0], text) {
		t.Fatalf("flashes %q, want one %s flash containing %q", fs, kind, text)
	}
}
