package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"plaza/models"
)

const (
	danielEmail = "daniel.kim@northwind.example"   // owner of customer/customer-360
	graceEmail  = "grace.okafor@northwind.example" // steward of customer
	ritaEmail   = "rita.requester@northwind.example"
	restricted  = "customer/customer-360"
)

// accessRoles are the people the access matrix walks each route with.
var accessRoles = []struct{ name, email string }{
	{"anonymous", ""},
	{"requester", ritaEmail},
	{"other user", userEmail},
	{"product owner", danielEmail},
	{"steward", graceEmail},
	{"admin", adminEmail},
}

// accessCase is one route of the access feature and what each role gets.
type accessCase struct {
	method, path string // path may hold {request} and {grant}
	form         url.Values
	json         string
	want         [6]int // anonymous, requester, other, owner, steward, admin
}

// TestAccessMatrix walks every route of the access feature with the six
// roles of issue 5, each on a fresh copy of the seeded database holding a
// pending request and an active grant of rita's on a restricted product.
// Naming someone else's request or grant by id gets a 404, never its data.
func TestAccessMatrix(t *testing.T) {
	reason := f("reason", "The project ended.")
	cases := []accessCase{
		{"GET", "/access", nil, "", [6]int{see, ok, ok, ok, ok, ok}},
		{"GET", "/inbox", nil, "", [6]int{see, ok, ok, ok, ok, ok}},
		{"GET", "/notifications", nil, "", [6]int{see, ok, ok, ok, ok, ok}},
		{"GET", "/products/" + restricted + "/access", nil, "", [6]int{see, ok, ok, ok, ok, ok}},
		{"GET", "/products/" + restricted + "/consumers", nil, "", [6]int{see, denied, denied, ok, ok, ok}},
		{"GET", "/access/requests/{request}", nil, "", [6]int{see, ok, missing, ok, ok, ok}},
		{"POST", "/access/requests/{request}/decide", f("verdict", "approve"), "", [6]int{unauth, denied, missing, see, see, denied}},
		{"POST", "/access/requests/{request}/decide", f("verdict", "deny", "comment", "No."), "", [6]int{unauth, denied, missing, see, see, denied}},
		{"POST", "/access/requests/{request}/withdraw", nil, "", [6]int{unauth, see, missing, missing, missing, missing}},
		{"GET", "/access/grants/{grant}/renew", nil, "", [6]int{see, ok, missing, missing, missing, missing}},
		{"POST", "/access/grants/{grant}/renew", f("purpose", fixturePurpose, "duration_days", "30", "accept_terms", "true"), "", [6]int{unauth, see, missing, missing, missing, missing}},
		{"POST", "/access/grants/{grant}/revoke", reason, "", [6]int{unauth, denied, missing, see, see, see}},
		{"POST", "/access/grants/{grant}/confirm", nil, "", [6]int{unauth, missing, missing, see, see, see}},
		{"GET", "/admin/policy", nil, "", [6]int{see, denied, denied, denied, denied, ok}},
		{"POST", "/admin/policy/restricted", f("request_required", "true", "owner_approvals", "1", "steward_approvals", "1", "max_days", "60", "review_days", "30"), "", [6]int{unauth, denied, denied, denied, denied, see}},
		{"POST", "/admin/domains/customer/stewards", f("email", userEmail), "", [6]int{unauth, denied, denied, denied, denied, see}},
		{"GET", "/admin/audit.csv", nil, "", [6]int{see, denied, denied, denied, denied, ok}},
		{"GET", "/admin/audit/verify", nil, "", [6]int{see, denied, denied, denied, denied, ok}},
		{"GET", "/api/v1/access-requests/{request}", nil, "", [6]int{unauth, ok, missing, ok, ok, ok}},
		{"POST", "/api/v1/access-requests/{request}/approve", nil, `{"comment":"ok"}`, [6]int{unauth, denied, missing, ok, ok, denied}},
		{"POST", "/api/v1/access-requests/{request}/withdraw", nil, `{}`, [6]int{unauth, ok, missing, missing, missing, missing}},
		{"POST", "/api/v1/grants/{grant}/revoke", nil, `{"reason":"The project ended."}`, [6]int{unauth, denied, missing, ok, ok, ok}},
		{"GET", "/api/v1/products/" + restricted + "/grants", nil, "", [6]int{unauth, denied, denied, ok, ok, ok}},
	}
	for _, tc := range cases {
		for i, role := range accessRoles {
			t.Run(tc.method+" "+tc.path+"/"+role.name, func(t *testing.T) {
				e := freshEnv(t)
				e.person(t, ritaEmail, "Rita Requester")
				e.steward(t, "customer", graceEmail)
				g := e.grantFor(t, ritaEmail, "customer/customer-consent")
				r := e.accessRequest(t, ritaEmail, restricted)
				path := strings.NewReplacer("{request}", fmt.Sprint(r.ID), "{grant}", fmt.Sprint(g.ID)).Replace(tc.path)
				if strings.HasSuffix(path, "/consumers") || strings.HasSuffix(path, "/grants") {
					path = strings.Replace(path, restricted, "customer/customer-consent", 1)
				}
				got := e.call(tc.method, path, role.email, routeRule{form: tc.form, json: tc.json})
				if got != tc.want[i] {
					t.Errorf("%s %s as %s: %d, want %d", tc.method, path, role.name, got, tc.want[i])
				}
			})
		}
	}
}

// TestRequestAccessInTheBrowser goes through the pages as the people
// would: the form refuses bad input with messages, a second request shows
// the first, the owner and the steward decide from their inboxes (htmx),
// the requester sees the grant, and the owner revokes it.
func TestRequestAccessInTheBrowser(t *testing.T) {
	eachDB(t, requestAccessInTheBrowser)
}

func requestAccessInTheBrowser(t *testing.T, e *env) {
	e.person(t, ritaEmail, "Rita Requester")
	e.steward(t, "customer", graceEmail)
	rita, daniel, grace := e.as(ritaEmail), e.as(danielEmail), e.as(graceEmail)
	product := "/products/" + restricted

	if p := rita.get(product); p.Text("access-text") == "" || !p.Has("request-access") {
		t.Fatalf("product page offers no request: %q", p.Text("access"))
	}
	form := rita.get(product + "/access")
	if form.Status != http.StatusOK || !form.Has("field-purpose") || !form.Has("field-accept_terms") {
		t.Fatalf("request form: %d", form.Status)
	}
	// The longest grant offered is the policy's 90 days for restricted data.
	if opts := form.Doc.Find(`select[name="duration_days"] option`); opts.Last().AttrOr("value", "") != "90" {
		t.Errorf("durations offered end at %s, want 90", opts.Last().AttrOr("value", ""))
	}
	bad := rita.post(product+"/access", f("purpose", "", "duration_days", "365", "ports", "profiles"))
	if bad.Status != http.StatusUnprocessableEntity || bad.Text("error-purpose") == "" || bad.Text("error-duration_days") == "" ||
		!strings.Contains(bad.Text("field-accept_terms"), "accept the product's terms") {
		t.Fatalf("bad request: %d, purpose %q duration %q terms %q", bad.Status, bad.Text("error-purpose"), bad.Text("error-duration_days"), bad.Text("field-accept_terms"))
	}
	if n := e.count(&models.AccessRequest{}, "requester_id = ?", e.user(ritaEmail).ID); n != 0 {
		t.Fatalf("a refused form wrote %d requests", n)
	}
	good := f("purpose", "Churn model for the retention team.", "duration_days", "30", "accept_terms", "true")
	form.Doc.Find(`input[name="ports"][checked]`).Each(func(_ int, s *goquery.Selection) { good.Add("ports", s.AttrOr("value", "")) })
	if len(good["ports"]) == 0 {
		t.Fatalf("the form checks no port")
	}
	sent := rita.post(product+"/access", good)
	if sent.Status != http.StatusSeeOther || !strings.HasPrefix(sent.Location, "/access#request-") {
		t.Fatalf("send: %d to %q", sent.Status, sent.Location)
	}
	id := strings.TrimPrefix(sent.Location, "/access#request-")
	mine := rita.get("/access")
	if !strings.Contains(mine.Text("request-"+id), "Waiting for a product owner's approval and a steward's approval") {
		t.Errorf("My access shows %q", mine.Text("request-"+id))
	}
	again := rita.post(product+"/access", good)
	if again.Location != "/access?highlight="+id+"#request-"+id {
		t.Errorf("second request went to %q, want the first one", again.Location)
	}

	// The owner's inbox: a badge, and the request with the requester's purpose.
	inbox := daniel.get("/inbox")
	if inbox.Text("inbox-count") == "" || !strings.Contains(inbox.Text("inbox-"+id), "Churn model for the retention team.") {
		t.Fatalf("owner's inbox: badge %q, item %q", inbox.Text("inbox-count"), inbox.Text("inbox-"+id))
	}
	htmx := func(c *client, path string, form url.Values) *page {
		form.Set("_csrf", c.csrf)
		return c.read(c.do("POST", path, strings.NewReader(form.Encode()),
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "HX-Request": {"true"}}))
	}
	denyBlank := htmx(daniel, "/access/requests/"+id+"/decide", f("verdict", "deny"))
	if denyBlank.Status != http.StatusOK || !strings.Contains(denyBlank.Text("decide-error"), "Say why you deny") {
		t.Fatalf("deny without a reason: %d %q", denyBlank.Status, denyBlank.Text("decide-error"))
	}
	approved := htmx(daniel, "/access/requests/"+id+"/decide", f("verdict", "approve", "comment", "Fine for churn work."))
	if !strings.Contains(approved.Text("inbox-"+id), "now waits for a steward's approval") {
		t.Fatalf("after the owner: %q", approved.Text("inbox-"+id))
	}
	if daniel.get("/inbox").Has("inbox-" + id) {
		t.Errorf("the request stays in the owner's inbox after deciding")
	}
	granted := htmx(grace, "/access/requests/"+id+"/decide", f("verdict", "approve"))
	if !strings.Contains(granted.Text("inbox-"+id), "access is granted") {
		t.Fatalf("after the steward: %q", granted.Text("inbox-"+id))
	}
	mine = rita.get("/access")
	if !mine.Has("grants") || !strings.Contains(mine.Text("grants"), "Customer 360") {
		t.Fatalf("My access grants: %q", mine.Text("grants"))
	}
	if p := rita.get(product); !p.Has("access-grant") {
		t.Errorf("product page does not show the grant: %q", p.Text("access"))
	}

	// The owner revokes from the consumers page; a reason is required.
	var g models.Grant
	if err := e.Store.DB.Where("request_id = ?", id).First(&g).Error; err != nil {
		t.Fatal(err)
	}
	gid := fmt.Sprint(g.ID)
	if c := daniel.get(product + "/consumers"); !c.Has("consumer-" + gid) {
		t.Fatalf("consumers page lacks the grant")
	}
	if p := daniel.post("/access/grants/"+gid+"/revoke", f("reason", " ")); p.Status != http.StatusUnprocessableEntity {
		t.Errorf("revoke without a reason: %d", p.Status)
	}
	if p := daniel.post("/access/grants/"+gid+"/revoke", f("reason", "The churn project ended.")); p.Status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", p.Status)
	}
	if _, err := e.Store.CheckAccess(context.Background(), e.user(ritaEmail), e.productAt(t, restricted), ""); err == nil {
		t.Fatalf("access survived revocation")
	}
	mine = rita.get("/access")
	if mine.Has("grant-"+gid) || !strings.Contains(mine.Text("request-"+id), "The churn project ended.") {
		t.Errorf("after revocation My access shows grant %v, request %q", mine.Has("grant-"+gid), mine.Text("request-"+id))
	}
	notes := rita.get("/notifications")
	if !strings.Contains(notes.Text("notifications"), "revoked your access to Customer 360") {
		t.Errorf("notifications: %q", notes.Text("notifications"))
	}
	if rita.post("/notifications/read", nil).Status != http.StatusSeeOther || rita.get("/notifications").Has("unread-count") {
		t.Errorf("mark all read left unread notifications")
	}
}

// TestPolicyAndStewardsInTheBrowser: admins edit a policy (bad numbers are
// refused by field) and assign a steward; the audit log exports and verifies.
func TestPolicyAndStewardsInTheBrowser(t *testing.T) {
	e := freshEnv(t)
	admin := e.as(adminEmail)
	p := admin.post("/admin/policy/internal", f("request_required", "true", "owner_approvals", "0", "max_days", "0"))
	if p.Status != http.StatusUnprocessableEntity || p.Text("error-owner_approvals") == "" || p.Text("error-max_days") == "" {
		t.Fatalf("bad policy: %d %q %q", p.Status, p.Text("error-owner_approvals"), p.Text("error-max_days"))
	}
	p = admin.post("/admin/policy/internal", f("request_required", "true", "owner_approvals", "2", "max_days", "60", "review_days", "0"))
	if p.Status != http.StatusSeeOther {
		t.Fatalf("save policy: %d", p.Status)
	}
	pol, _ := e.Store.AccessPolicyFor(context.Background(), models.ClassInternal)
	if pol.OwnerApprovals != 2 || pol.MaxDays != 60 {
		t.Errorf("policy saved as %+v", pol)
	}
	if p := admin.post("/admin/policy/secret", f("max_days", "10")); p.Status != http.StatusNotFound {
		t.Errorf("unknown classification: %d", p.Status)
	}
	if p := admin.post("/admin/domains/marketing/stewards", f("email", "nobody@northwind.example")); p.Status != http.StatusSeeOther {
		t.Errorf("unknown steward: %d", p.Status)
	}
	admin.post("/admin/domains/marketing/stewards", f("email", userEmail))
	if d := admin.get("/domains/marketing"); !d.Has("steward-" + userEmail) {
		t.Errorf("domain page lacks the new steward: %q", d.Text("stewards"))
	}
	csv := admin.get("/admin/audit.csv?action=policy")
	if !strings.HasPrefix(csv.Body, "id,at,actor,action") || !strings.Contains(csv.Body, "policy.update") || strings.Contains(csv.Body, "domain.create") {
		t.Errorf("audit CSV:\n%s", csv.Body)
	}
	if v := admin.get("/admin/audit/verify"); !v.Has("verify-ok") {
		t.Errorf("verify: %q", v.Text("page-title"))
	}
	if a := admin.get("/admin/audit?product=customer/customer-consent"); a.Status != http.StatusOK || !strings.Contains(a.Body, "access.request") {
		t.Errorf("audit filtered by product lacks the access events")
	}
}
