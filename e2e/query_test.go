package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// apiToken creates a personal access token for email with plaza's CLI.
func apiToken(t *testing.T, s *server, email string) string {
	t.Helper()
	cmd := exec.Command(binary, "token", "create", "--data", s.Data, "--email", email)
	cmd.Env = append(os.Environ(), "PLAZA_DATABASE_URL=")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("token create for %s: %v", email, err)
	}
	return strings.TrimSpace(string(out))
}

// call calls the JSON API, wants status (0: any success), and decodes the answer into out.
func call(t *testing.T, s *server, token, method, path, body string, want int, out any) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if strings.HasPrefix(body, "{") {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want && !(want == 0 && resp.StatusCode/100 == 2) {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.NewDecoder(bytes.NewReader(b)).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// publishByAPI lands csv for product's port, defines its pipeline over it
// and runs it (adopting the file's schema), as the product's owner.
func publishByAPI(t *testing.T, s *server, owner, product, port, csv string) {
	t.Helper()
	domain, _, _ := strings.Cut(product, "/")
	folder := strings.ReplaceAll(product, "/", "-")
	call(t, s, owner, "POST", "/api/v1/landing/"+domain+"?path="+folder+"/data.csv", csv, http.StatusCreated, nil)
	var pl struct {
		ID uint `json:"id"`
	}
	call(t, s, owner, "PUT", "/api/v1/products/"+product+"/pipelines/"+port,
		`{"sql":"SELECT * FROM src","inputs":[{"name":"src","landing":"`+folder+`/*.csv"}]}`, 0, &pl) // the demo may have defined it
	var r struct {
		ID     uint   `json:"id"`
		Status string `json:"status"`
		Error  string `json:"error"`
	}
	call(t, s, owner, "POST", fmt.Sprintf("/api/v1/pipelines/%d/runs", pl.ID), `{"accept_schema":true}`, http.StatusAccepted, &r)
	for deadline := time.Now().Add(runTimeout); r.Status == "queued" || r.Status == "running"; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the run of %s is still %s", product, r.Status)
		}
		call(t, s, owner, "GET", fmt.Sprintf("/api/v1/runs/%d", r.ID), "", http.StatusOK, &r)
	}
	if r.Status != "succeeded" {
		t.Fatalf("the run of %s: %s %s", product, r.Status, r.Error)
	}
}

// grantByAPI has requester ask for product and its owner approve.
func grantByAPI(t *testing.T, s *server, requester, owner, product string) {
	t.Helper()
	var req struct {
		ID uint `json:"id"`
	}
	call(t, s, requester, "POST", "/api/v1/access-requests",
		`{"product":"`+product+`","purpose":"Which campaigns bring returns, for the spring review.","duration_days":30}`, http.StatusCreated, &req)
	call(t, s, owner, "POST", fmt.Sprintf("/api/v1/access-requests/%d/approve", req.ID), `{"comment":"Fine."}`, http.StatusOK, nil)
}

// TestAnalystJoinsTwoDomains: Leo, granted sales.returns and
// marketing.campaigns, finds both in the schema browser, writes a join,
// runs it, sees the rows and the snapshots read, exports
// the result as CSV and saves the query.
func TestAnalystJoinsTwoDomains(t *testing.T) {
	s := startServer(t)
	sofia, marco := apiToken(t, s, "sofia.rossi@northwind.example"), apiToken(t, s, "marco.silva@northwind.example")
	leo := apiToken(t, s, "leo.martins@northwind.example")
	publishByAPI(t, s, sofia, "sales/returns", "daily", "return_id,order_id,amount\nR1,A1,10\nR2,A2,20\nR3,A3,5\n")
	publishByAPI(t, s, marco, "marketing/campaigns", "current", "campaign_id,order_id,campaign,budget_amount\nC1,A1,spring,100\nC2,A2,summer,200\n")
	grantByAPI(t, s, leo, sofia, "sales/returns")
	grantByAPI(t, s, leo, marco, "marketing/campaigns")

	ctx := newBrowser(t)
	signIn(t, ctx, s, "leo.martins@northwind.example")
	const sql = "SELECT r.order_id, c.campaign, r.amount\nFROM sales.returns r\nJOIN marketing.campaigns c USING (order_id)\nORDER BY 1"
	run(t, ctx,
		chromedp.Navigate(s.URL+"/query"),
		chromedp.WaitVisible(`[data-testid="schema-table"][data-view="sales.returns"]`),
		chromedp.WaitVisible(`[data-testid="schema-table"][data-view="marketing.campaigns"]`),
		chromedp.SetValue(`#sql-editor`, sql),
		chromedp.Click(sel("run-query")),
		chromedp.WaitVisible(sel("query-rows")),
	)
	rows := text(t, ctx, "query-rows")
	if !strings.Contains(rows, "spring") || !strings.Contains(rows, "summer") || strings.Contains(rows, "A3") {
		t.Errorf("the results: %q", rows)
	}
	if reads := text(t, ctx, "query-reads"); !strings.Contains(reads, "sales.returns") || !strings.Contains(reads, "marketing.campaigns") {
		t.Errorf("the snapshots read: %q", reads)
	}

	// The export the CSV button sends, made from the page with its session.
	csv := get(t, ctx, chromedp.Evaluate[string](`(async () => {
		const form = new FormData(document.getElementById('query-form'));
		form.set('format', 'csv');
		const resp = await fetch('/query/export', {method: 'POST', body: form});
		return resp.headers.get('Content-Disposition') + '\n' + await resp.text();
	})()`, chromedp.EvalAwaitPromise))
	if !strings.Contains(csv, "attachment") || !strings.Contains(csv, "order_id,campaign,amount\nA1,spring,10\nA2,summer,20\n") {
		t.Errorf("the CSV export: %q", csv)
	}

	run(t, ctx,
		chromedp.SetValue(`#query-save-name`, "Returns by campaign"),
		chromedp.Click(sel("save-query")),
		chromedp.WaitReady(sel("saved-item")),
		chromedp.Click(sel("tab-saved")),
		chromedp.WaitVisible(sel("saved-item")),
	)
	if name := text(t, ctx, "saved-name"); name != "Returns by campaign" {
		t.Errorf("the saved query is named %q", name)
	}
}
