package handlers

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"plaza/models"
)

// The roles a route is walked with, in the order of routeRule.want.
var walkRoles = []struct{ name, email string }{
	{"anonymous", ""},
	{"signed-in user", userEmail},
	{"team member", memberEmail},
	{"team owner", ownerEmail},
	{"admin", adminEmail},
}

// routeRule says what each role gets from one route, and what to send.
type routeRule struct {
	form url.Values // browser form fields for POST
	json string     // API body
	want [5]int     // anonymous, user, member, owner, admin
}

const (
	ok      = http.StatusOK
	created = http.StatusCreated
	gone    = http.StatusNoContent
	see     = http.StatusSeeOther
	unauth  = http.StatusUnauthorized
	denied  = http.StatusForbidden
	missing = http.StatusNotFound
)

func f(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// routeRules lists every route the server registers. A route missing here
// fails TestEveryRouteHasARule: a new route must say who may call it.
var routeRules = map[string]routeRule{
	// Public.
	"GET /healthz":                          {want: [5]int{ok, ok, ok, ok, ok}},
	"GET /metrics":                          {want: [5]int{ok, ok, ok, ok, ok}},
	"GET /static/*":                         {want: [5]int{ok, ok, ok, ok, ok}},
	"GET /signin":                           {want: [5]int{ok, see, see, see, see}},
	"POST /signin/demo":                     {form: f("email", userEmail), want: [5]int{see, see, see, see, see}},
	"GET /auth/:provider":                   {want: [5]int{missing, missing, missing, missing, missing}},
	"GET /auth/:provider/callback":          {want: [5]int{missing, missing, missing, missing, missing}},
	"POST /signout":                         {want: [5]int{see, see, see, see, see}},
	"GET /":                                 {want: [5]int{see, ok, ok, ok, ok}},
	"GET /pipelines":                        {want: [5]int{see, ok, ok, ok, ok}},
	"GET /domains":                          {want: [5]int{see, ok, ok, ok, ok}},
	"GET /domains/:domain":                  {want: [5]int{see, ok, ok, ok, ok}},
	"GET /domains/:domain/teams/:team":      {want: [5]int{see, ok, ok, ok, ok}},
	"GET /domains/:domain/teams/:team/edit": {want: [5]int{see, denied, denied, ok, ok}},
	"POST /domains/:domain/teams/:team": {form: f("name", "Sales Analytics", "slug", "sales-analytics", "description", "Renamed"),
		want: [5]int{unauth, denied, denied, see, see}},
	"POST /domains/:domain/teams/:team/members": {form: f("email", userEmail, "role", "member"),
		want: [5]int{unauth, denied, denied, see, see}},
	"POST /domains/:domain/teams/:team/members/remove": {form: f("email", memberEmail),
		want: [5]int{unauth, denied, denied, see, see}},
	"GET /products/new":                               {want: [5]int{see, denied, denied, ok, ok}},
	"POST /products":                                  {form: walkProductForm("walk-new"), want: [5]int{unauth, denied, denied, see, see}},
	"POST /products/preview":                          {form: f("description", "# Hello"), want: [5]int{unauth, ok, ok, ok, ok}},
	"GET /products/import":                            {want: [5]int{see, denied, denied, ok, ok}},
	"POST /products/import":                           {form: f("contract", walkContract), want: [5]int{unauth, denied, denied, see, see}},
	"GET /products/:domain/:product":                  {want: [5]int{see, ok, ok, ok, ok}},
	"GET /products/:domain/:product/ports/:port":      {want: [5]int{see, see, see, see, see}},
	"GET /products/:domain/:product/edit":             {want: [5]int{see, denied, denied, ok, ok}},
	"POST /products/:domain/:product":                 {form: walkProductForm(walkProduct), want: [5]int{unauth, denied, denied, see, see}},
	"POST /products/:domain/:product/status":          {form: f("status", "deprecated"), want: [5]int{unauth, denied, denied, see, see}},
	"GET /glossary":                                   {want: [5]int{see, ok, ok, ok, ok}},
	"GET /glossary/new":                               {want: [5]int{see, denied, denied, ok, ok}},
	"POST /glossary":                                  {form: f("domain", "sales", "name", "Basket", "definition", "All lines of one order."), want: [5]int{unauth, denied, denied, see, see}},
	"GET /glossary/:domain/:term":                     {want: [5]int{see, ok, ok, ok, ok}},
	"GET /glossary/:domain/:term/edit":                {want: [5]int{see, denied, denied, ok, ok}},
	"POST /glossary/:domain/:term":                    {form: f("name", "Walk term", "slug", walkTerm, "definition", "Changed."), want: [5]int{unauth, denied, denied, see, see}},
	"GET /products/:domain/:product/pipelines/:port":  {want: [5]int{see, denied, denied, ok, ok}},
	"POST /products/:domain/:product/pipelines/:port": {form: walkPipelineForm(), want: [5]int{unauth, denied, denied, see, see}},
	"GET /pipelines/:id":                              {want: [5]int{see, ok, ok, ok, ok}},
	"POST /pipelines/:id/runs":                        {want: [5]int{unauth, denied, see, see, see}},
	"GET /runs/:id":                                   {want: [5]int{see, ok, ok, ok, ok}},
	"GET /runs/:id/log":                               {want: [5]int{see, ok, ok, ok, ok}},
	"POST /runs/:id/cancel":                           {want: [5]int{unauth, denied, see, see, see}},
	"GET /profile":                                    {want: [5]int{see, ok, ok, ok, ok}},
	// Queries: the walk server has no sandbox, so a run shows why in its
	// fragment and an export is refused as input; the saved query is the owner's.
	"GET /query": {want: [5]int{see, ok, ok, ok, ok}},
	// Dashboards: everyone signed in; /dashboards picks a board; the
	// platform board is for admins.
	"GET /dashboards":                                 {want: [5]int{see, see, see, see, see}},
	"GET /dashboards/mine":                            {want: [5]int{see, ok, ok, ok, ok}},
	"GET /dashboards/ownership":                       {want: [5]int{see, ok, ok, ok, ok}},
	"GET /dashboards/quality":                         {want: [5]int{see, ok, ok, ok, ok}},
	"GET /dashboards/usage":                           {want: [5]int{see, ok, ok, ok, ok}},
	"GET /dashboards/platform":                        {want: [5]int{see, denied, denied, denied, ok}},
	"POST /query/run":                                 {form: f("sql", "SELECT 1", "run", "walk"), want: [5]int{unauth, ok, ok, ok, ok}},
	"POST /query/cancel":                              {form: f("run", "walk"), want: [5]int{unauth, gone, gone, gone, gone}},
	"POST /query/export":                              {form: f("sql", "SELECT 1", "format", "csv"), want: [5]int{unauth, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity}},
	"POST /query/saved":                               {form: f("name", "Walk", "sql", "SELECT 1"), want: [5]int{unauth, ok, ok, ok, ok}},
	"POST /query/saved/:token/delete":                 {want: [5]int{unauth, denied, denied, see, see}},
	"GET /query/s/:token":                             {want: [5]int{see, ok, ok, ok, ok}},
	"POST /profile/tokens":                            {form: f("name", "script"), want: [5]int{unauth, created, created, created, created}},
	"POST /profile/tokens/:id/revoke":                 {want: [5]int{unauth, see, see, see, see}},
	"GET /admin":                                      {want: [5]int{see, denied, denied, denied, ok}},
	"GET /admin/domains":                              {want: [5]int{see, denied, denied, denied, ok}},
	"GET /admin/domains/new":                          {want: [5]int{see, denied, denied, denied, ok}},
	"POST /admin/domains":                             {form: f("name", "Store Operations", "slug", "store-ops"), want: [5]int{unauth, denied, denied, denied, see}},
	"GET /admin/domains/:domain/edit":                 {want: [5]int{see, denied, denied, denied, ok}},
	"POST /admin/domains/:domain":                     {form: f("name", "Sales", "slug", "sales"), want: [5]int{unauth, denied, denied, denied, see}},
	"POST /admin/domains/:domain/archive":             {want: [5]int{unauth, denied, denied, denied, see}},
	"POST /admin/domains/:domain/restore":             {want: [5]int{unauth, denied, denied, denied, see}},
	"POST /admin/domains/:domain/delete":              {want: [5]int{unauth, denied, denied, denied, see}},
	"GET /admin/domains/:domain/teams/new":            {want: [5]int{see, denied, denied, denied, ok}},
	"POST /admin/domains/:domain/teams":               {form: f("name", "Pricing", "slug", "pricing"), want: [5]int{unauth, denied, denied, denied, see}},
	"POST /admin/domains/:domain/teams/:team/archive": {want: [5]int{unauth, denied, denied, denied, see}},
	"POST /admin/domains/:domain/teams/:team/restore": {want: [5]int{unauth, denied, denied, denied, see}},
	"GET /admin/people":                               {want: [5]int{see, denied, denied, denied, ok}},
	"POST /admin/people":                              {form: f("email", "new.hire@northwind.example"), want: [5]int{unauth, denied, denied, denied, see}},
	"POST /admin/people/:id/admin":                    {form: f("admin", "true"), want: [5]int{unauth, denied, denied, denied, see}},
	"POST /admin/people/:id/active":                   {form: f("active", "false"), want: [5]int{unauth, denied, denied, denied, see}},
	"GET /admin/audit":                                {want: [5]int{see, denied, denied, denied, ok}},
	"GET /admin/queries":                              {want: [5]int{see, denied, denied, denied, ok}},
	// Access in the browser: the walk request is walkRequester's on the walk
	// product (internal: one owner approves); the team's people already have access.
	"GET /products/:domain/:product/access":    {want: [5]int{see, ok, ok, ok, ok}},
	"POST /products/:domain/:product/access":   {form: f("ports", "daily", "purpose", "Weekly revenue checks.", "duration_days", "30"), want: [5]int{unauth, see, see, see, see}},
	"GET /products/:domain/:product/consumers": {want: [5]int{see, denied, denied, ok, ok}},
	"GET /access":                                     {want: [5]int{see, ok, ok, ok, ok}},
	"GET /access/requests/:id":                        {want: [5]int{see, missing, missing, ok, ok}},
	"POST /access/requests/:id/decide":                {form: f("verdict", "approve"), want: [5]int{unauth, missing, missing, see, denied}},
	"POST /access/requests/:id/withdraw":              {want: [5]int{unauth, missing, missing, missing, missing}},
	"GET /access/grants/:id/renew":                    {want: [5]int{see, missing, missing, missing, missing}},
	"POST /access/grants/:id/renew":                   {form: f("purpose", "Weekly revenue checks.", "duration_days", "30"), want: [5]int{unauth, missing, missing, missing, missing}},
	"POST /access/grants/:id/revoke":                  {form: f("reason", "The analysis is done."), want: [5]int{unauth, missing, missing, see, see}},
	"POST /access/grants/:id/confirm":                 {want: [5]int{unauth, missing, missing, see, see}},
	"GET /inbox":                                      {want: [5]int{see, ok, ok, ok, ok}},
	"GET /notifications":                              {want: [5]int{see, ok, ok, ok, ok}},
	"GET /notifications/:id/open":                     {want: [5]int{see, see, see, see, see}},
	"POST /notifications/read":                        {want: [5]int{unauth, see, see, see, see}},
	"GET /admin/policy":                               {want: [5]int{see, denied, denied, denied, ok}},
	"POST /admin/policy/:classification":              {form: f("request_required", "true", "owner_approvals", "1", "max_days", "180"), want: [5]int{unauth, denied, denied, denied, see}},
	"POST /admin/domains/:domain/stewards":            {form: f("email", userEmail), want: [5]int{unauth, denied, denied, denied, see}},
	"POST /admin/domains/:domain/stewards/:id/remove": {want: [5]int{unauth, denied, denied, denied, see}},
	"GET /admin/audit.csv":                            {want: [5]int{see, denied, denied, denied, ok}},
	"GET /admin/audit/verify":                         {want: [5]int{see, denied, denied, denied, ok}},
	// Data of the walk product (internal, nothing published): outsiders see
	// a message instead of rows and are refused downloads.
	"GET /products/:domain/:product/ports/:port/preview":  {want: [5]int{see, ok, ok, ok, ok}},
	"GET /products/:domain/:product/ports/:port/download": {want: [5]int{see, denied, missing, missing, denied}}, // admins hold no grant
	// Landing: the sales domain's team members and admins.
	"GET /landing":                 {want: [5]int{see, ok, ok, ok, ok}},
	"GET /landing/:domain":         {want: [5]int{see, denied, ok, ok, ok}},
	"POST /landing/:domain":        {form: f("folder", "x"), want: [5]int{unauth, denied, http.StatusBadRequest, http.StatusBadRequest, http.StatusBadRequest}},
	"POST /landing/:domain/remove": {form: f("path", "nope.csv"), want: [5]int{unauth, denied, missing, missing, missing}},
	"GET /landing/:domain/stats":   {want: [5]int{see, denied, missing, missing, missing}},
	"GET /landing/:domain/file":    {want: [5]int{see, denied, missing, missing, missing}},
	// API: bearer tokens; anonymous means no token.
	"GET /api/v1/openapi.json":                                  {want: [5]int{ok, ok, ok, ok, ok}},
	"GET /api/v1/me":                                            {want: [5]int{unauth, ok, ok, ok, ok}},
	"GET /api/v1/domains":                                       {want: [5]int{unauth, ok, ok, ok, ok}},
	"POST /api/v1/domains":                                      {json: `{"slug":"store-ops","name":"Store Operations"}`, want: [5]int{unauth, denied, denied, denied, created}},
	"GET /api/v1/domains/:domain":                               {want: [5]int{unauth, ok, ok, ok, ok}},
	"PATCH /api/v1/domains/:domain":                             {json: `{"description":"Orders and revenue."}`, want: [5]int{unauth, denied, denied, denied, ok}},
	"DELETE /api/v1/domains/:domain":                            {want: [5]int{unauth, denied, denied, denied, ok}},
	"GET /api/v1/domains/:domain/teams":                         {want: [5]int{unauth, ok, ok, ok, ok}},
	"POST /api/v1/domains/:domain/teams":                        {json: `{"slug":"pricing","name":"Pricing"}`, want: [5]int{unauth, denied, denied, denied, created}},
	"GET /api/v1/domains/:domain/teams/:team":                   {want: [5]int{unauth, ok, ok, ok, ok}},
	"PATCH /api/v1/domains/:domain/teams/:team":                 {json: `{"description":"Revenue analysis."}`, want: [5]int{unauth, denied, denied, ok, ok}},
	"DELETE /api/v1/domains/:domain/teams/:team":                {want: [5]int{unauth, denied, denied, denied, ok}},
	"GET /api/v1/domains/:domain/teams/:team/members":           {want: [5]int{unauth, ok, ok, ok, ok}},
	"PUT /api/v1/domains/:domain/teams/:team/members/:email":    {json: `{"role":"owner"}`, want: [5]int{unauth, denied, denied, ok, ok}},
	"DELETE /api/v1/domains/:domain/teams/:team/members/:email": {want: [5]int{unauth, denied, denied, gone, gone}},
	"GET /api/v1/products":                                      {want: [5]int{unauth, ok, ok, ok, ok}},
	"POST /api/v1/products/:domain":                             {json: `{"slug":"walk-new","name":"Walk new","team":"sales-analytics","classification":"internal"}`, want: [5]int{unauth, denied, denied, created, created}},
	"GET /api/v1/products/:domain/:product":                     {want: [5]int{unauth, ok, ok, ok, ok}},
	"PUT /api/v1/products/:domain/:product":                     {json: `{"slug":"walk-orders","name":"Walk orders","team":"sales-analytics","classification":"internal","output_ports":[{"name":"daily","format":"parquet","columns":[{"name":"order_id","type":"string"}]}]}`, want: [5]int{unauth, denied, denied, ok, ok}},
	"GET /api/v1/products/:domain/:product/contract":            {want: [5]int{unauth, ok, ok, ok, ok}},
	"GET /api/v1/products/:domain/:product/odps":                {want: [5]int{unauth, ok, ok, ok, ok}},
	"POST /api/v1/contracts":                                    {json: walkContract, want: [5]int{unauth, denied, denied, ok, ok}},
	"GET /api/v1/glossary":                                      {want: [5]int{unauth, ok, ok, ok, ok}},
	"POST /api/v1/glossary":                                     {json: `{"domain":"sales","name":"Basket","definition":"All lines of one order."}`, want: [5]int{unauth, denied, denied, created, created}},
	"GET /api/v1/glossary/:domain/:term":                        {want: [5]int{unauth, ok, ok, ok, ok}},
	"GET /api/v1/audit":                                         {want: [5]int{unauth, denied, denied, denied, ok}},
	// Access: requests are by walkRequester on the walk product (internal:
	// one owner approves); the team's people already have access (409).
	"POST /api/v1/access-requests":                 {json: `{"product":"sales/walk-orders","ports":["daily"],"purpose":"Weekly revenue checks.","duration_days":30}`, want: [5]int{unauth, created, http.StatusConflict, http.StatusConflict, created}},
	"GET /api/v1/access-requests":                  {want: [5]int{unauth, ok, ok, ok, ok}},
	"GET /api/v1/access-requests/:id":              {want: [5]int{unauth, missing, missing, ok, ok}},
	"POST /api/v1/access-requests/:id/approve":     {json: `{"comment":"Fine."}`, want: [5]int{unauth, missing, missing, ok, denied}},
	"POST /api/v1/access-requests/:id/deny":        {json: `{"comment":"Not for this purpose."}`, want: [5]int{unauth, missing, missing, ok, denied}},
	"POST /api/v1/access-requests/:id/withdraw":    {want: [5]int{unauth, missing, missing, missing, missing}},
	"GET /api/v1/grants":                           {want: [5]int{unauth, ok, ok, ok, ok}},
	"POST /api/v1/grants/:id/revoke":               {json: `{"reason":"The analysis is done."}`, want: [5]int{unauth, missing, missing, ok, ok}},
	"GET /api/v1/products/:domain/:product/grants": {want: [5]int{unauth, denied, denied, ok, ok}},
	"GET /api/v1/policies":                         {want: [5]int{unauth, ok, ok, ok, ok}},
	"PUT /api/v1/policies/:classification":         {json: `{"request_required":true,"owner_approvals":1,"steward_approvals":0,"require_terms":false,"max_days":180,"review_days":0}`, want: [5]int{unauth, denied, denied, denied, ok}},
	// Landing, pipelines, runs and snapshots over the API: the sales domain's
	// landing (an upload without ?path= is refused after authorization), the
	// walk product's pipeline (none yet for PUT), a fresh walk run, and the
	// walk product's data (nothing published: outsiders and admins hold no grant).
	"GET /api/v1/landing/:domain":                                {want: [5]int{unauth, denied, ok, ok, ok}},
	"POST /api/v1/landing/:domain":                               {json: "order_id\nA1\n", want: [5]int{unauth, denied, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity}},
	"GET /api/v1/pipelines":                                      {want: [5]int{unauth, ok, ok, ok, ok}},
	"GET /api/v1/pipelines/:id":                                  {want: [5]int{unauth, ok, ok, ok, ok}},
	"PUT /api/v1/products/:domain/:product/pipelines/:port":      {json: `{"sql":"SELECT order_id FROM orders","inputs":[{"name":"orders","landing":"pos/*.csv"}]}`, want: [5]int{unauth, denied, denied, created, created}},
	"POST /api/v1/pipelines/:id/runs":                            {want: [5]int{unauth, denied, http.StatusAccepted, http.StatusAccepted, http.StatusAccepted}},
	"GET /api/v1/runs":                                           {want: [5]int{unauth, ok, ok, ok, ok}},
	"GET /api/v1/runs/:id":                                       {want: [5]int{unauth, ok, ok, ok, ok}},
	"POST /api/v1/runs/:id/cancel":                               {want: [5]int{unauth, denied, ok, ok, ok}},
	"GET /api/v1/products/:domain/:product/snapshots":            {want: [5]int{unauth, ok, ok, ok, ok}},
	"GET /api/v1/products/:domain/:product/ports/:port/download": {want: [5]int{unauth, denied, missing, missing, denied}},
	"POST /api/v1/query":                                         {json: `{"sql":"SELECT 1"}`, want: [5]int{unauth, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity, http.StatusUnprocessableEntity}},
	"GET /api/v1/queries":                                        {want: [5]int{unauth, ok, ok, ok, ok}},
}

// TestEveryRouteHasARule walks every registered route with every role, on a
// fresh copy of the seeded database each time, and checks the status.
func TestEveryRouteHasARule(t *testing.T) {
	e := freshEnv(t)
	seen := map[string]bool{}
	var keys []string
	for _, r := range e.Srv.Routes() {
		key := r.Method + " " + r.Path
		if seen[key] || strings.HasPrefix(r.Method, "echo_route") {
			continue
		}
		seen[key] = true
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		rule, ok := routeRules[key]
		if !ok {
			t.Errorf("route %s has no rule in routeRules: say who may call it", key)
			continue
		}
		method, path, _ := strings.Cut(key, " ")
		for i, role := range walkRoles {
			t.Run(key+"/"+role.name, func(t *testing.T) {
				e := freshEnv(t)
				got := e.call(method, path, role.email, rule)
				if got != rule.want[i] {
					t.Errorf("%s as %s: status %d, want %d", key, role.name, got, rule.want[i])
				}
			})
		}
	}
	for key := range routeRules {
		if !seen[key] {
			t.Errorf("routeRules has %s, which is not a route", key)
		}
	}
}

// call requests a route with its parameters filled in, as the persona.
func (e *env) call(method, pattern, email string, rule routeRule) int {
	e.t.Helper()
	c := e.anon()
	if email != "" {
		c = e.as(email)
	}
	path := e.fillParams(pattern, email)
	if strings.HasPrefix(path, "/api/") {
		token := ""
		if email != "" {
			token = e.token(email)
		}
		status, _ := c.api(method, path, token, rule.json)
		return status
	}
	if method == http.MethodGet {
		return c.get(path).Status
	}
	return c.post(path, rule.form).Status
}

// walkRequester asks for access in the walk: in no walk role and no team
// of the walk product, so what each role may do with the request is fixed.
const walkRequester = analystMail

// fillParams puts real objects of the demo company into a route pattern.
func (e *env) fillParams(pattern, email string) string {
	e.t.Helper()
	r := strings.NewReplacer(
		":domain", "sales", ":team", "sales-analytics", ":provider", "nope",
		":email", memberEmail, "*", "plaza.css", ":product", walkProduct, ":port", "daily", ":term", walkTerm,
		":classification", models.ClassInternal,
	)
	path := r.Replace(pattern)
	if strings.Contains(path, ":token") {
		sq, err := e.Store.SaveQuery(context.Background(), e.user(ownerEmail), "", "Walk query", "SELECT 1")
		if err != nil {
			e.t.Fatal(err)
		}
		path = strings.Replace(path, ":token", sq.Token, 1)
	}
	if strings.Contains(path, ":id") {
		id := e.user(memberEmail).ID
		switch {
		case strings.HasPrefix(path, "/profile/tokens/") && email != "":
			tok, _, err := e.Store.CreateToken(context.Background(), e.user(email), "walk")
			if err != nil {
				e.t.Fatal(err)
			}
			id = tok.ID
		case strings.HasPrefix(path, "/notifications/") && email != "":
			// A notification of the caller's own: the demo's access stories
			// wrote some; for whoever has none, a request of theirs does.
			if e.count(&models.Notification{}, "user_id = ?", e.user(email).ID) == 0 {
				e.accessRequest(e.t, email, "sales/"+walkProduct)
			}
			var n models.Notification
			if err := e.DB.Where("user_id = ?", e.user(email).ID).Order("id DESC").First(&n).Error; err != nil {
				e.t.Fatal(err)
			}
			id = n.ID
		case strings.HasPrefix(path, "/admin/domains/") && strings.Contains(path, "/stewards/"):
			e.steward(e.t, "sales", userEmail)
			id = e.user(userEmail).ID
		case strings.HasPrefix(path, "/access/requests/"):
			id = e.accessRequest(e.t, walkRequester, "sales/"+walkProduct).ID
		case strings.HasPrefix(path, "/access/grants/"):
			id = e.grantFor(e.t, walkRequester, "sales/"+walkProduct).ID
		case strings.HasPrefix(path, "/api/v1/access-requests/"):
			id = e.accessRequest(e.t, walkRequester, "sales/"+walkProduct).ID
		case strings.HasPrefix(path, "/api/v1/grants/"):
			id = e.grantFor(e.t, walkRequester, "sales/"+walkProduct).ID
		case strings.HasPrefix(path, "/pipelines/"), strings.HasPrefix(path, "/api/v1/pipelines/"):
			id = e.walkPipeline(e.t).ID
		case strings.HasPrefix(path, "/runs/"), strings.HasPrefix(path, "/api/v1/runs/"):
			id = e.walkRun(e.t).ID
		}
		path = strings.Replace(path, ":id", strconv.FormatUint(uint64(id), 10), 1)
	}
	return path
}

// walkContract updates the walk product from an ODCS contract.
const walkContract = `apiVersion: v3.1.0
kind: DataContract
id: walk-orders
version: 1.0.0
status: active
domain: sales
dataProduct: walk-orders
name: Walk orders
team:
  name: sales-analytics
schema:
  - name: daily
    physicalType: parquet
    properties:
      - name: order_id
        logicalType: string
`
