package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"plaza/models"
)

// The restricted demo product the access flow runs on: owned by
// customer/customer-360, whose owner is otherOwner; restricted products
// need a product owner and a steward.
const restrictedProduct = "customer/customer-360"

// A requester no seed knows, so no demo request gets in the way.
const (
	requesterEmail = "ines.ortega@northwind.example"
	requesterName  = "Ines Ortega"
)

// wantAPI fails the test unless the answer has the status; an error answer
// must be JSON.
func wantAPI(t *testing.T, what string, r apiResp, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: %d, want %d; %s", what, r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); r.Body != "" && !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s: Content-Type %q, want JSON", what, ct)
	}
}

// wantAPIError fails the test unless the answer is an error with status
// and code, naming field when one is given.
func wantAPIError(t *testing.T, what string, r apiResp, status int, code, field string) apiErrorBody {
	t.Helper()
	wantAPI(t, what, r, status)
	e := apiErrorOf(t, r)
	if e.Code != code || e.Field != field || e.Message == "" {
		t.Fatalf("%s: code %q field %q message %q, want code %q field %q; %s", what, e.Code, e.Field, e.Message, code, field, r.Body)
	}
	return e
}

func requestIDs(t *testing.T, body string) []uint {
	t.Helper()
	var ids []uint
	for _, r := range decode[struct{ Requests []accessRequestJSON }](t, body).Requests {
		ids = append(ids, r.ID)
	}
	return ids
}

func keysOf(t *testing.T, body string) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestAPIAccessFlow: a request for a restricted product through the API,
// approved by its owner and a steward, listed, and revoked; nobody decides
// their own request, and nobody else's request or grant is reachable by
// changing the id.
func TestAPIAccessFlow(t *testing.T) {
	eachDB(t, apiAccessFlow)
}

func apiAccessFlow(t *testing.T, e *env) {
	e.person(t, requesterEmail, requesterName)
	e.steward(t, "customer", stewardMail)
	c := e.anon()
	requester, owner, steward := e.token(requesterEmail), e.token(otherOwner), e.token(stewardMail)
	outsider := e.token(analystMail)

	ask := `{"product":"` + restrictedProduct + `","ports":["current"],"purpose":"Churn model for the retention team.","duration_days":30,"accept_terms":true}`
	res := c.call("POST", "/api/v1/access-requests", requester, ask)
	wantAPI(t, "request", res, http.StatusCreated)
	r := decode[accessRequestJSON](t, res.Body)
	path := "/api/v1/access-requests/" + idStr(r.ID)
	if res.Header.Get("Location") != path {
		t.Errorf("Location %q, want %q", res.Header.Get("Location"), path)
	}
	if got, want := keysOf(t, res.Body), []string{"classification", "closed_at", "created_at", "decisions", "duration_days", "grant", "id",
		"needs", "ports", "product", "purpose", "renewal_of", "requester", "status", "waiting_for"}; !slices.Equal(got, want) {
		t.Errorf("request keys %v, want %v", got, want)
	}
	if r.Status != models.RequestPending || r.Classification != models.ClassRestricted || r.Needs != (approvalsJSON{1, 1}) ||
		r.Product.URN != "urn:plaza:customer:customer-360" || r.Product.Domain != "customer" || r.Product.Slug != "customer-360" ||
		r.Requester.Email != requesterEmail || r.Requester.Name != requesterName || !slices.Equal(r.Ports, []string{"current"}) ||
		r.DurationDays != 30 || r.Grant != nil || r.ClosedAt != nil || r.RenewalOf != nil || len(r.Decisions) != 0 ||
		r.WaitingFor != "a product owner's approval and a steward's approval" {
		t.Fatalf("new request: %s", res.Body)
	}

	// Asking again answers 409 and names the open request.
	res = c.call("POST", "/api/v1/access-requests", requester, ask)
	dup := wantAPIError(t, "duplicate", res, http.StatusConflict, "exists", "")
	if dup.Existing == nil || dup.Existing.Request != r.ID || dup.Existing.Status != models.RequestPending ||
		!strings.Contains(dup.Message, "request "+idStr(r.ID)) {
		t.Fatalf("duplicate does not name request %d: %s", r.ID, res.Body)
	}

	// The requester cannot decide their own request, however the call is made.
	wantAPIError(t, "own approval", c.call("POST", path+"/approve", requester, `{"comment":"Looks fine to me."}`), http.StatusForbidden, "forbidden", "")
	wantAPIError(t, "own denial", c.call("POST", path+"/deny", requester, `{"comment":"Never mind."}`), http.StatusForbidden, "forbidden", "")

	// Someone else's request does not exist for an outsider.
	wantAPIError(t, "outsider reads", c.call("GET", path, outsider, ""), http.StatusNotFound, "not_found", "")
	wantAPIError(t, "outsider approves", c.call("POST", path+"/approve", outsider, `{}`), http.StatusNotFound, "not_found", "")
	wantAPIError(t, "outsider denies", c.call("POST", path+"/deny", outsider, `{"comment":"No."}`), http.StatusNotFound, "not_found", "")
	wantAPIError(t, "outsider withdraws", c.call("POST", path+"/withdraw", outsider, ""), http.StatusNotFound, "not_found", "")
	res = c.call("GET", "/api/v1/access-requests?view=mine", outsider, "")
	wantAPI(t, "outsider's requests", res, http.StatusOK)
	if slices.Contains(requestIDs(t, res.Body), r.ID) {
		t.Fatalf("the outsider's requests list request %d", r.ID)
	}
	res = c.call("GET", "/api/v1/access-requests", requester, "")
	wantAPI(t, "requester's requests", res, http.StatusOK)
	if ids := requestIDs(t, res.Body); len(ids) != 1 || ids[0] != r.ID {
		t.Fatalf("the requester's requests: %v, want [%d]", ids, r.ID)
	}

	// Both deciders find it waiting for them.
	for who, token := range map[string]string{"owner": owner, "steward": steward} {
		res = c.call("GET", "/api/v1/access-requests?view=decide", token, "")
		wantAPI(t, who+"'s decisions", res, http.StatusOK)
		if !slices.Contains(requestIDs(t, res.Body), r.ID) {
			t.Fatalf("the %s's decisions lack request %d: %s", who, r.ID, res.Body)
		}
	}

	// A denial needs a reason.
	wantAPIError(t, "deny without comment", c.call("POST", path+"/deny", owner, `{"comment":"  "}`), http.StatusUnprocessableEntity, "invalid", "comment")
	wantAPIError(t, "deny without body", c.call("POST", path+"/deny", owner, ""), http.StatusUnprocessableEntity, "invalid", "comment")

	// The owner approves; it waits for the steward.
	res = c.call("POST", path+"/approve", owner, `{"comment":"Fine from the product side."}`)
	wantAPI(t, "owner approves", res, http.StatusOK)
	r = decode[accessRequestJSON](t, res.Body)
	if r.Status != models.RequestPending || r.WaitingFor != "a steward's approval" || len(r.Decisions) != 1 ||
		r.Decisions[0].Decider.Email != otherOwner || r.Decisions[0].As != "owner" || r.Decisions[0].Verdict != models.VerdictApprove ||
		r.Decisions[0].Comment != "Fine from the product side." || r.Decisions[0].At.IsZero() {
		t.Fatalf("after the owner: %s", res.Body)
	}
	conflict := wantAPIError(t, "owner approves again", c.call("POST", path+"/approve", owner, ""), http.StatusConflict, "conflict", "")
	if conflict.Message != "You already decided on this request." {
		t.Errorf("conflict message %q: want the model's own words, unwrapped", conflict.Message)
	}
	res = c.call("GET", "/api/v1/access-requests?view=decide", owner, "")
	if slices.Contains(requestIDs(t, res.Body), r.ID) {
		t.Errorf("the owner still has request %d to decide", r.ID)
	}

	// The steward's approval grants access.
	res = c.call("POST", path+"/approve", steward, "")
	wantAPI(t, "steward approves", res, http.StatusOK)
	r = decode[accessRequestJSON](t, res.Body)
	if r.Status != models.RequestGranted || r.ClosedAt == nil || r.WaitingFor != "" || len(r.Decisions) != 2 ||
		r.Decisions[1].As != "steward" || r.Grant == nil {
		t.Fatalf("after the steward: %s", res.Body)
	}
	g := *r.Grant
	if g.Status != models.GrantActive || g.RequestID != r.ID || g.Holder.Email != requesterEmail ||
		g.Product.URN != r.Product.URN || !slices.Equal(g.Ports, []string{"current"}) || !g.ExpiresAt.After(g.StartsAt) ||
		g.EndedAt != nil || g.EndedBy != nil {
		t.Fatalf("grant in the request: %+v", g)
	}

	// The requester sees the grant; the owner sees the consumer.
	res = c.call("GET", "/api/v1/grants", requester, "")
	wantAPI(t, "my grants", res, http.StatusOK)
	mine := decode[struct{ Grants []grantJSON }](t, res.Body).Grants
	if len(mine) != 1 || mine[0].ID != g.ID || mine[0].Status != models.GrantActive || mine[0].Holder.Email != requesterEmail ||
		mine[0].Product.URN != g.Product.URN || mine[0].Purpose != "Churn model for the retention team." {
		t.Fatalf("my grants: %s", res.Body)
	}
	raw := decode[struct{ Grants []json.RawMessage }](t, res.Body).Grants
	if got, want := keysOf(t, string(raw[0])), []string{"end_reason", "ended_at", "ended_by", "expires_at", "holder", "id",
		"ports", "product", "purpose", "request_id", "review_due_at", "starts_at", "status"}; !slices.Equal(got, want) {
		t.Errorf("grant keys %v, want %v", got, want)
	}
	consumers := "/api/v1/products/" + restrictedProduct + "/grants"
	res = c.call("GET", consumers, owner, "")
	wantAPI(t, "consumers", res, http.StatusOK)
	if !slices.ContainsFunc(decode[struct{ Grants []grantJSON }](t, res.Body).Grants, func(x grantJSON) bool {
		return x.ID == g.ID && x.Holder.Email == requesterEmail
	}) {
		t.Fatalf("consumers lack grant %d: %s", g.ID, res.Body)
	}
	wantAPIError(t, "requester lists consumers", c.call("GET", consumers, requester, ""), http.StatusForbidden, "forbidden", "")

	// Revocation: the owner's, with a reason; not the holder's, not an outsider's.
	revoke := "/api/v1/grants/" + idStr(g.ID) + "/revoke"
	wantAPIError(t, "holder revokes", c.call("POST", revoke, requester, `{"reason":"Done."}`), http.StatusForbidden, "forbidden", "")
	wantAPIError(t, "outsider revokes", c.call("POST", revoke, outsider, `{"reason":"Done."}`), http.StatusNotFound, "not_found", "")
	wantAPIError(t, "revoke without reason", c.call("POST", revoke, owner, `{}`), http.StatusUnprocessableEntity, "invalid", "reason")
	res = c.call("POST", revoke, owner, `{"reason":"The churn model is in production; it reads the segments now."}`)
	wantAPI(t, "revoke", res, http.StatusOK)
	revoked := decode[grantJSON](t, res.Body)
	if revoked.Status != models.GrantRevoked || revoked.EndedAt == nil || revoked.EndedBy == nil || revoked.EndedBy.Email != otherOwner ||
		revoked.EndReason != "The churn model is in production; it reads the segments now." {
		t.Fatalf("revoked: %s", res.Body)
	}
	wantAPIError(t, "revoke again", c.call("POST", revoke, owner, `{"reason":"Again."}`), http.StatusConflict, "conflict", "")
	res = c.call("GET", "/api/v1/grants", requester, "")
	if mine := decode[struct{ Grants []grantJSON }](t, res.Body).Grants; len(mine) != 1 || mine[0].Status != models.GrantRevoked {
		t.Fatalf("my grants after revocation: %s", res.Body)
	}
	if n := e.count(&models.Grant{}, "id = ? AND status = ?", g.ID, models.GrantRevoked); n != 1 {
		t.Fatalf("grant %d is not revoked in the database", g.ID)
	}
	res = c.call("GET", path, requester, "")
	wantAPI(t, "request after revocation", res, http.StatusOK)
	if r := decode[accessRequestJSON](t, res.Body); r.Grant == nil || r.Grant.Status != models.GrantRevoked {
		t.Fatalf("request after revocation: %s", res.Body)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAPIAccessWithdrawAndRenew: a withdrawn request cannot be decided; an
// active grant makes a new request a duplicate naming the grant, but not a
// renewal of it.
func TestAPIAccessWithdrawAndRenew(t *testing.T) {
	e := freshEnv(t)
	e.person(t, requesterEmail, requesterName)
	c := e.anon()
	requester, owner := e.token(requesterEmail), e.token(ownerEmail)
	walk := "sales/" + walkProduct
	ask := `{"product":"` + walk + `","ports":["daily"],"purpose":"Weekly revenue checks.","duration_days":30}`

	res := c.call("POST", "/api/v1/access-requests", requester, ask)
	wantAPI(t, "request", res, http.StatusCreated)
	path := "/api/v1/access-requests/" + idStr(decode[accessRequestJSON](t, res.Body).ID)
	res = c.call("POST", path+"/withdraw", requester, "")
	wantAPI(t, "withdraw", res, http.StatusOK)
	if r := decode[accessRequestJSON](t, res.Body); r.Status != models.RequestWithdrawn || r.ClosedAt == nil {
		t.Fatalf("withdrawn: %s", res.Body)
	}
	wantAPIError(t, "withdraw again", c.call("POST", path+"/withdraw", requester, `{}`), http.StatusConflict, "conflict", "")
	late := wantAPIError(t, "approve withdrawn", c.call("POST", path+"/approve", owner, ""), http.StatusConflict, "conflict", "")
	if late.Message != "This request was already withdrawn; it cannot be decided again." {
		t.Errorf("message %q", late.Message)
	}

	g := e.grantFor(t, requesterEmail, walk)
	res = c.call("POST", "/api/v1/access-requests", requester, ask)
	dup := wantAPIError(t, "request while holding a grant", res, http.StatusConflict, "exists", "")
	if dup.Existing == nil || dup.Existing.Grant != g.ID || dup.Existing.Request != 0 || dup.Existing.ExpiresAt == nil {
		t.Fatalf("duplicate does not name grant %d: %s", g.ID, res.Body)
	}

	renew := `{"product":"` + walk + `","purpose":"Weekly revenue checks, another quarter.","duration_days":90,"renewal_of":` + idStr(g.ID) + `}`
	res = c.call("POST", "/api/v1/access-requests", requester, renew)
	wantAPI(t, "renewal", res, http.StatusCreated)
	if r := decode[accessRequestJSON](t, res.Body); r.RenewalOf == nil || *r.RenewalOf != g.ID || !slices.Equal(r.Ports, []string{"daily"}) {
		t.Fatalf("renewal: %s", res.Body)
	}
	wantAPIError(t, "renewal of another's grant", c.call("POST", "/api/v1/access-requests", e.token(userEmail), renew),
		http.StatusUnprocessableEntity, "invalid", "renewal_of")
}

// TestAPIAccessBadInput: malformed or invalid input answers 400 or 422 in
// JSON, with the field named, never 500.
func TestAPIAccessBadInput(t *testing.T) {
	e := freshEnv(t)
	e.person(t, requesterEmail, requesterName)
	c := e.anon()
	requester, owner, admin := e.token(requesterEmail), e.token(ownerEmail), e.token(adminEmail)
	analyst := e.token(analystMail)
	r := e.accessRequest(t, analystMail, "sales/"+walkProduct)
	g := e.grantFor(t, "tom.becker@northwind.example", "sales/"+walkProduct)
	reqPath := "/api/v1/access-requests/" + idStr(r.ID)
	revoke := "/api/v1/grants/" + idStr(g.ID) + "/revoke"
	draft := `{"slug":"walk-draft","name":"Walk draft","team":"sales-analytics","classification":"internal"}`
	wantAPI(t, "draft", c.call("POST", "/api/v1/products/sales", owner, draft), http.StatusCreated)
	valid := func(product, extra string) string {
		return `{"product":"` + product + `","ports":["daily"],"purpose":"Weekly revenue checks.","duration_days":30` + extra + `}`
	}

	cases := []struct {
		name, method, path, token, body string
		status                          int
		code, field                     string
	}{
		{"empty body", "POST", "/api/v1/access-requests", requester, "", 400, "bad_request", ""},
		{"broken JSON", "POST", "/api/v1/access-requests", requester, `{"product":`, 400, "bad_request", ""},
		{"not an object", "POST", "/api/v1/access-requests", requester, `[1,2]`, 400, "bad_request", ""},
		{"unknown field", "POST", "/api/v1/access-requests", requester, valid("sales/"+walkProduct, `,"status":"granted"`), 400, "bad_request", ""},
		{"wrong type", "POST", "/api/v1/access-requests", requester, `{"product":"sales/walk-orders","duration_days":"thirty"}`, 400, "bad_request", ""},
		{"negative renewal", "POST", "/api/v1/access-requests", requester, valid("sales/"+walkProduct, `,"renewal_of":-1`), 400, "bad_request", ""},
		{"no product", "POST", "/api/v1/access-requests", requester, `{"purpose":"Weekly revenue checks."}`, 422, "invalid", "product"},
		{"product not a path", "POST", "/api/v1/access-requests", requester, valid("walk-orders", ""), 422, "invalid", "product"},
		{"product too deep", "POST", "/api/v1/access-requests", requester, valid("sales/walk-orders/daily", ""), 422, "invalid", "product"},
		{"unknown product", "POST", "/api/v1/access-requests", requester, valid("sales/nothing-here", ""), 422, "invalid", "product"},
		{"someone's draft", "POST", "/api/v1/access-requests", requester, valid("sales/walk-draft", ""), 422, "invalid", "product"},
		{"unknown port", "POST", "/api/v1/access-requests", requester, `{"product":"sales/walk-orders","ports":["hourly"],"purpose":"Weekly revenue checks.","duration_days":30}`, 422, "invalid", "ports"},
		{"short purpose", "POST", "/api/v1/access-requests", requester, `{"product":"sales/walk-orders","ports":["daily"],"purpose":"stuff","duration_days":30}`, 422, "invalid", "purpose"},
		{"long duration", "POST", "/api/v1/access-requests", requester, `{"product":"sales/walk-orders","ports":["daily"],"purpose":"Weekly revenue checks.","duration_days":4000}`, 422, "invalid", "duration_days"},
		{"terms not accepted", "POST", "/api/v1/access-requests", requester, `{"product":"customer/customer-360","ports":["current"],"purpose":"Weekly revenue checks.","duration_days":30}`, 422, "invalid", "accept_terms"},
		{"own team's product", "POST", "/api/v1/access-requests", owner, valid("sales/"+walkProduct, ""), 409, "conflict", ""},
		{"unknown view", "GET", "/api/v1/access-requests?view=all", requester, "", 422, "invalid", "view"},
		{"id not a number", "GET", "/api/v1/access-requests/abc", requester, "", 404, "not_found", ""},
		{"id zero", "GET", "/api/v1/access-requests/0", requester, "", 404, "not_found", ""},
		{"id too large", "GET", "/api/v1/access-requests/99999999999999999999999", requester, "", 404, "not_found", ""},
		{"id of nothing", "POST", "/api/v1/access-requests/987654/approve", owner, "", 404, "not_found", ""},
		{"comment not text", "POST", reqPath + "/approve", owner, `{"comment":5}`, 400, "bad_request", ""},
		{"decision with extra field", "POST", reqPath + "/approve", owner, `{"comment":"ok","as":"steward"}`, 400, "bad_request", ""},
		{"long comment", "POST", reqPath + "/approve", owner, `{"comment":"` + strings.Repeat("x", 2001) + `"}`, 422, "invalid", "comment"},
		{"withdraw with a body", "POST", reqPath + "/withdraw", analyst, `{"why":"no"}`, 400, "bad_request", ""},
		{"revoke without reason", "POST", revoke, owner, `{"reason":""}`, 422, "invalid", "reason"},
		{"revoke reason not text", "POST", revoke, owner, `{"reason":["a"]}`, 400, "bad_request", ""},
		{"revoke a grant of nothing", "POST", "/api/v1/grants/987654/revoke", owner, `{"reason":"x"}`, 404, "not_found", ""},
		{"grants of an unknown product", "GET", "/api/v1/products/sales/nothing-here/grants", owner, "", 404, "not_found", ""},
		{"policy of nothing", "PUT", "/api/v1/policies/secret", admin, `{"request_required":true,"owner_approvals":1,"max_days":30}`, 422, "invalid", "classification"},
		{"policy without max", "PUT", "/api/v1/policies/internal", admin, `{"request_required":true,"owner_approvals":1}`, 422, "invalid", "max_days"},
		{"policy without approvers", "PUT", "/api/v1/policies/internal", admin, `{"request_required":true,"max_days":30}`, 422, "invalid", "owner_approvals"},
		{"policy wrong type", "PUT", "/api/v1/policies/internal", admin, `{"max_days":"a month"}`, 400, "bad_request", ""},
		{"policy empty", "PUT", "/api/v1/policies/internal", admin, "", 400, "bad_request", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantAPIError(t, tc.name, c.call(tc.method, tc.path, tc.token, tc.body), tc.status, tc.code, tc.field)
		})
	}
	// Nothing above changed the request, the grant or the policies.
	if n := e.count(&models.AccessRequest{}, "id = ? AND status = ?", r.ID, models.RequestPending); n != 1 {
		t.Errorf("request %d changed", r.ID)
	}
	if n := e.count(&models.Grant{}, "id = ? AND status = ?", g.ID, models.GrantActive); n != 1 {
		t.Errorf("grant %d changed", g.ID)
	}
	if n := e.count(&models.AccessRequest{}, "requester_id = ?", e.user(requesterEmail).ID); n != 0 {
		t.Errorf("%d requests were created from bad input", n)
	}
}

// TestAPIAccessPolicies: everyone signed in reads the policies; admins
// change them, with what GET answered as the body.
func TestAPIAccessPolicies(t *testing.T) {
	e := freshEnv(t)
	c := e.anon()
	res := c.call("GET", "/api/v1/policies", e.token(userEmail), "")
	wantAPI(t, "policies", res, http.StatusOK)
	list := decode[struct{ Policies []policyJSON }](t, res.Body).Policies
	var classes []string
	for _, p := range list {
		classes = append(classes, p.Classification)
	}
	if !slices.Equal(classes, models.Classifications) {
		t.Fatalf("policies for %v, want %v", classes, models.Classifications)
	}
	restricted := list[slices.Index(classes, models.ClassRestricted)]
	if !restricted.RequestRequired || restricted.OwnerApprovals != 1 || restricted.StewardApprovals != 1 || !restricted.RequireTerms ||
		!slices.Equal(restricted.DurationChoices, []int{7, 30, 90}) {
		t.Fatalf("restricted policy: %+v", restricted)
	}

	internal := list[slices.Index(classes, models.ClassInternal)]
	internal.MaxDays, internal.ReviewDays = 120, 60
	body := string(mustJSON(t, internal))
	wantAPIError(t, "owner edits", c.call("PUT", "/api/v1/policies/internal", e.token(ownerEmail), body), http.StatusForbidden, "forbidden", "")
	res = c.call("PUT", "/api/v1/policies/internal", e.token(adminEmail), body)
	wantAPI(t, "admin edits", res, http.StatusOK)
	got := decode[policyJSON](t, res.Body)
	if got.MaxDays != 120 || got.ReviewDays != 60 || !slices.Equal(got.DurationChoices, []int{7, 30, 90, 120}) {
		t.Fatalf("edited policy: %s", res.Body)
	}
	if n := e.count(&models.AccessPolicy{}, "classification = ? AND max_days = ?", models.ClassInternal, 120); n != 1 {
		t.Fatalf("policy not saved")
	}
	if evs := e.audits("policy.update", models.ClassInternal); len(evs) != 1 {
		t.Fatalf("%d policy.update events", len(evs))
	}
	// New requests follow it.
	e.person(t, requesterEmail, requesterName)
	ask := `{"product":"sales/walk-orders","ports":["daily"],"purpose":"Weekly revenue checks.","duration_days":180}`
	wantAPIError(t, "longer than the policy", c.call("POST", "/api/v1/access-requests", e.token(requesterEmail), ask),
		http.StatusUnprocessableEntity, "invalid", "duration_days")
}

// TestAPIAccessErrorClasses: the access errors of models keep their own
// words in the answer, without the context wrapped around them.
func TestAPIAccessErrorClasses(t *testing.T) {
	until := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		err     error
		status  int
		code    string
		message string
	}{
		{fmt.Errorf("query: %w", &models.NoAccessError{Product: "sales.orders", Path: "/products/sales/orders"}),
			http.StatusForbidden, "no_access", "No access to sales.orders: request it at /products/sales/orders."},
		{fmt.Errorf("request access: %w", &models.ExistingAccessError{Grant: &models.Grant{ID: 7, Status: models.GrantActive, ExpiresAt: until}}),
			http.StatusConflict, "exists", "You already hold access (grant 7) until 2 Jan 2030."},
		{fmt.Errorf("request access: %w", &models.ExistingAccessError{Request: &models.AccessRequest{ID: 9, Status: models.RequestPending}}),
			http.StatusConflict, "exists", "You already asked for this (request 9, pending)."},
		{fmt.Errorf("revoke grant: %w", models.ErrConflict), http.StatusConflict, "conflict", "This changed in the meantime. Reload it and try again."},
		{models.ErrConflict, http.StatusConflict, "conflict", "This changed in the meantime. Reload it and try again."},
	}
	for _, tc := range cases {
		status, body := classify(tc.err)
		if status != tc.status || body.Code != tc.code || body.Message != tc.message {
			t.Errorf("%v: %d %q %q, want %d %q %q", tc.err, status, body.Code, body.Message, tc.status, tc.code, tc.message)
		}
	}
	if _, body := classify(cases[1].err); body.Existing == nil || body.Existing.Grant != 7 || body.Existing.ExpiresAt == nil {
		t.Errorf("existing grant not named: %+v", body.Existing)
	}
}
