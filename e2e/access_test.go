package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The demo people of the access stories.
const (
	leo    = "leo.martins@northwind.example"
	daniel = "daniel.kim@northwind.example"
	grace  = "grace.okafor@northwind.example"
)

// switchUser signs the browser out and in again as another persona.
func switchUser(t *testing.T, ctx context.Context, s *server, email string) {
	t.Helper()
	run(t, ctx,
		chromedp.Click(sel("signout")),
		chromedp.WaitVisible(sel("persona-"+email)),
	)
	signIn(t, ctx, s, email)
}

// requestAccess fills in and sends the request form of a product, leaving
// out the ports named in skip, and returns the new request's id from the
// My access address it lands on.
func requestAccess(t *testing.T, ctx context.Context, s *server, product, purpose, days string, skip ...string) string {
	t.Helper()
	run(t, ctx,
		chromedp.Navigate(s.URL+product),
		chromedp.Click(sel("request-access")),
		chromedp.WaitVisible(sel("request-form")),
	)
	for _, port := range skip {
		run(t, ctx, chromedp.Click(`[data-testid="field-ports"] input[value="`+port+`"]`))
	}
	run(t, ctx,
		chromedp.SendKeys(chromedp.CSS(`#f-purpose`), purpose),
		chromedp.SetValue(chromedp.CSS(`#f-duration_days`), days),
		chromedp.Click(`[data-testid="field-accept_terms"] input[name="accept_terms"]`),
		chromedp.Click(sel("submit-request")),
		chromedp.WaitVisible(sel("flash")),
	)
	if msg := text(t, ctx, "flash"); !strings.HasPrefix(msg, "Request sent") {
		t.Fatalf("after sending the request the page says %q", msg)
	}
	loc := get(t, ctx, chromedp.Location())
	_, id, ok := strings.Cut(loc, "/access#request-")
	if !ok {
		t.Fatalf("after sending the request the browser is at %s, want My access", loc)
	}
	if _, err := strconv.Atoi(id); err != nil {
		t.Fatalf("no request id in %s", loc)
	}
	run(t, ctx, chromedp.WaitVisible(sel("request-"+id)))
	return id
}

// inboxBadge is the number on the Inbox link; 0 when there is no badge.
func inboxBadge(t *testing.T, ctx context.Context) int {
	t.Helper()
	s := get(t, ctx, chromedp.Evaluate[string](`(document.querySelector('[data-testid="inbox-count"]') || {textContent: "0"}).textContent.trim()`))
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("inbox badge says %q", s)
	}
	return n
}

// inboxItems counts the requests and reviews listed on the Inbox page.
func inboxItems(t *testing.T, ctx context.Context) int {
	t.Helper()
	return get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="inbox-requests"] > article:not(.decided), [data-testid="inbox-reviews"] tbody tr').length`))
}

// The story: an analyst requests a restricted product, its owner
// approves, the domain's steward approves, the analyst sees the grant with
// its expiry; the owner revokes and the analyst sees it ended.
func TestAccessRequestApprovedByOwnerAndStewardThenRevoked(t *testing.T) {
	s := startServer(t)
	ctx := newBrowser(t)

	// Leo Martins, in no team, has never asked for Customer Consent in the
	// demo (Maya Johnson and Marco Silva have).
	const product = "/products/customer/customer-consent"
	signIn(t, ctx, s, leo)
	run(t, ctx, chromedp.Navigate(s.URL+product), chromedp.WaitVisible(sel("request-access")))
	if got := text(t, ctx, "access"); !strings.Contains(got, "steward") {
		t.Errorf("access card of a restricted product = %q, want it to say a steward approves too", got)
	}
	purpose := "Markdown planning: check which customers in the outlet clusters consented to email before the clearance mailing."
	id := requestAccess(t, ctx, s, product, purpose, "30", "events")

	card := "request-" + id
	if got := get(t, ctx, chromedp.Text(`[data-testid="`+card+`"] [data-testid="request-status"]`)); strings.TrimSpace(got) != "pending" {
		t.Errorf("new request's status = %q, want pending", got)
	}
	waiting := get(t, ctx, chromedp.Text(`[data-testid="`+card+`"] [data-kind="waiting"]`))
	if !strings.Contains(waiting, "Waiting for a product owner's approval and a steward's approval") {
		t.Errorf("timeline's last step = %q, want it waiting for an owner and a steward", waiting)
	}
	if got := text(t, ctx, card); !strings.Contains(got, "Leo Martins asked for port current for 30 days") || !strings.Contains(got, purpose) {
		t.Errorf("request card lacks what was asked:\n%s", got)
	}

	// The owner sees the request counted on the Inbox link and approves it inline.
	switchUser(t, ctx, s, daniel)
	run(t, ctx, chromedp.Navigate(s.URL+"/inbox"), chromedp.WaitVisible(sel("inbox-"+id)), chromedp.WaitVisible(sel("inbox-count")))
	before := inboxBadge(t, ctx)
	if items := inboxItems(t, ctx); before != items {
		t.Errorf("inbox badge says %d, the inbox lists %d items", before, items)
	}
	if got := text(t, ctx, "approve-"+id); got != "Approve as owner" {
		t.Errorf("owner's approve button says %q", got)
	}
	run(t, ctx,
		chromedp.SendKeys(chromedp.CSS(`#comment-`+id), "Approved as owner; the current port only."),
		chromedp.Click(sel("approve-"+id)),
		chromedp.WaitVisible(`[data-testid="inbox-`+id+`"].decided`),
	)
	if got := text(t, ctx, "inbox-"+id); !strings.Contains(got, "You approved Leo Martins’s request for Customer Consent. It now waits for a steward's approval.") {
		t.Errorf("after the owner's approval the inbox item says %q", got)
	}
	run(t, ctx, chromedp.Reload(), chromedp.WaitVisible(sel("page-title")))
	if after := inboxBadge(t, ctx); after != before-1 {
		t.Errorf("inbox badge after approving = %d, want %d", after, before-1)
	}
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="inbox-`+id+`"]').length`)); n != 0 {
		t.Error("the request the owner approved is still in the owner's inbox")
	}

	// The steward of the customer domain gives the second approval.
	switchUser(t, ctx, s, grace)
	run(t, ctx, chromedp.Navigate(s.URL+"/inbox"), chromedp.WaitVisible(sel("approve-"+id)))
	if got := text(t, ctx, "approve-"+id); got != "Approve as steward" {
		t.Errorf("steward's approve button says %q", got)
	}
	if got := text(t, ctx, "inbox-"+id); !strings.Contains(got, "Daniel Kim approved as owner") {
		t.Errorf("steward's inbox item does not show the owner's approval:\n%s", got)
	}
	run(t, ctx,
		chromedp.Click(sel("approve-"+id)),
		chromedp.WaitVisible(`[data-testid="inbox-`+id+`"].decided`),
	)
	if got := text(t, ctx, "inbox-"+id); !strings.Contains(got, "access is granted") {
		t.Errorf("after the steward's approval the inbox item says %q", got)
	}

	// The analyst holds the grant until 30 days from now.
	switchUser(t, ctx, s, leo)
	run(t, ctx, chromedp.Navigate(s.URL+"/access"), chromedp.WaitVisible(sel("grants")))
	grant := get(t, ctx, chromedp.Evaluate[string](`(() => {
		const row = [...document.querySelectorAll('[data-testid="grants"] tr[data-testid^="grant-"]')].find(tr => tr.textContent.includes('Customer Consent'));
		return row ? row.dataset.testid : '';
	})()`))
	if grant == "" {
		t.Fatalf("My access lists no grant of Customer Consent:\n%s", text(t, ctx, "grants"))
	}
	gid := strings.TrimPrefix(grant, "grant-")
	row := text(t, ctx, grant)
	expiry := expiryDates(30)
	if !strings.Contains(row, expiry[0]) && !strings.Contains(row, expiry[1]) {
		t.Errorf("grant row = %q, want it to end on %s", row, expiry[0])
	}
	if !strings.Contains(row, "current") || strings.Contains(row, "events") {
		t.Errorf("grant row = %q, want the current port only", row)
	}
	if got := get(t, ctx, chromedp.Text(`[data-testid="`+card+`"] [data-testid="request-status"]`)); strings.TrimSpace(got) != "active" {
		t.Errorf("granted request's status = %q, want active", got)
	}
	run(t, ctx, chromedp.Navigate(s.URL+product), chromedp.WaitVisible(sel("access-grant")))
	if got := text(t, ctx, "access-text"); !strings.Contains(got, "You have access through a grant") {
		t.Errorf("access card says %q", got)
	}
	if got := text(t, ctx, "access-grant"); !strings.Contains(got, "granted") || (!strings.Contains(got, expiry[0]) && !strings.Contains(got, expiry[1])) {
		t.Errorf("access card's grant = %q, want granted until %s", got, expiry[0])
	}

	// The owner revokes it from the product's consumers, with a reason.
	switchUser(t, ctx, s, daniel)
	reason := "The clearance mailing is cancelled; ask again for the spring campaign."
	run(t, ctx,
		chromedp.Navigate(s.URL+product+"/consumers"),
		chromedp.WaitVisible(sel("consumer-"+gid)),
		chromedp.SendKeys(sel("reason-"+gid), reason),
		chromedp.Click(sel("revoke-"+gid)), // confirm() is answered yes
		chromedp.WaitVisible(sel("flash")),
	)
	if got := text(t, ctx, "flash"); !strings.Contains(got, "Access revoked: Leo Martins can no longer use Customer Consent.") {
		t.Errorf("after revoking the page says %q", got)
	}
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="consumer-`+gid+`"]').length`)); n != 0 {
		t.Error("the revoked grant is still among the consumers")
	}
	if got := text(t, ctx, "ended-grants"); !strings.Contains(got, "Leo Martins") || !strings.Contains(got, reason) {
		t.Errorf("ended grants lack Leo's, with its reason:\n%s", got)
	}

	// The analyst sees it ended, and why.
	switchUser(t, ctx, s, leo)
	run(t, ctx, chromedp.Navigate(s.URL+"/access"), chromedp.WaitVisible(sel(card)))
	if got := get(t, ctx, chromedp.Text(`[data-testid="`+card+`"] [data-testid="request-status"]`)); strings.TrimSpace(got) != "revoked" {
		t.Errorf("revoked request's status = %q, want revoked", got)
	}
	revoked := get(t, ctx, chromedp.Text(`[data-testid="`+card+`"] [data-kind="revoked"]`))
	if !strings.Contains(revoked, "Daniel Kim revoked access") || !strings.Contains(revoked, reason) {
		t.Errorf("timeline's revoked step = %q, want who revoked and why", revoked)
	}
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="`+grant+`"]').length`)); n != 0 {
		t.Error("the revoked grant is still among Leo's active grants")
	}
	run(t, ctx, chromedp.Navigate(s.URL+product), chromedp.WaitVisible(sel("request-access")))
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="access-grant"]').length`)); n != 0 {
		t.Errorf("after the revocation the access card still shows a grant: %s", text(t, ctx, "access"))
	}
}

// expiryDates are the dates, as the pages write them, of a grant of days
// starting now: today's, and tomorrow's in case the day turns during the test.
func expiryDates(days int) [2]string {
	now := time.Now().UTC()
	return [2]string{now.AddDate(0, 0, days).Format("2 Jan 2006"), now.AddDate(0, 0, days+1).Format("2 Jan 2006")}
}

// Nobody decides their own request. Grace Okafor stewards the customer
// domain, so a request for a restricted customer product needs her kind of
// approval; when the request is her own, no page offers her a decision and
// the server refuses one forced with a crafted POST.
func TestAccessSelfApprovalIsRefused(t *testing.T) {
	s := startServer(t)
	ctx := newBrowser(t)
	signIn(t, ctx, s, grace)

	id := requestAccess(t, ctx, s, "/products/customer/customer-360",
		"Audit of the golden record: check that erased customers no longer appear in any port.", "30")

	// Her own request is not in her inbox, and its page offers no decision.
	run(t, ctx, chromedp.Navigate(s.URL+"/inbox"), chromedp.WaitVisible(sel("page-title")))
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="inbox-`+id+`"]').length`)); n != 0 {
		t.Error("a steward's own request is in her inbox")
	}
	run(t, ctx, chromedp.Navigate(s.URL+"/access/requests/"+id), chromedp.WaitVisible(sel("request-"+id)))
	offered := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('form[action$="/decide"], [data-testid="decide-`+id+`"], [data-testid="approve-`+id+`"], [data-testid="deny-`+id+`"]').length`))
	if offered != 0 {
		t.Fatal("the requester's own request page offers a decision")
	}
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="withdraw-`+id+`"]').length`)); n != 1 {
		t.Error("the requester's own pending request offers no Withdraw")
	}

	// A crafted POST from the page, with the page's CSRF token, is refused.
	// A bad token would be refused too, so the answer must be the rule's,
	// not the CSRF check's.
	type answer struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
	}
	res := get(t, ctx, chromedp.Evaluate[answer](fmt.Sprintf(`(async () => {
		const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
		const body = new URLSearchParams({verdict: 'approve', comment: 'Looks fine to me.', _csrf: token});
		const res = await fetch('/access/requests/%s/decide', {method: 'POST', body, headers: {'X-CSRF-Token': token}, redirect: 'manual'});
		return {status: res.status, body: await res.text()};
	})()`, id), chromedp.EvalAwaitPromise))
	if res.Status != 403 && res.Status != 404 {
		t.Fatalf("a self-approval POST answered %d, want 403 or 404", res.Status)
	}
	if strings.Contains(res.Body, "This form expired") {
		t.Fatal("the crafted POST was refused by the CSRF check, so the test proves nothing about self-approval")
	}
	run(t, ctx, chromedp.Reload(), chromedp.WaitVisible(sel("request-"+id)))
	if got := get(t, ctx, chromedp.Text(`[data-testid="request-`+id+`"] [data-testid="request-status"]`)); strings.TrimSpace(got) != "pending" {
		t.Errorf("after the crafted POST the request is %q, want pending", got)
	}
	if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="request-`+id+`"] [data-kind="approved"]').length`)); n != 0 {
		t.Error("the crafted POST recorded an approval")
	}
	waiting := get(t, ctx, chromedp.Text(`[data-testid="request-`+id+`"] [data-kind="waiting"]`))
	if !strings.Contains(waiting, "a product owner's approval and a steward's approval") {
		t.Errorf("after the crafted POST the request waits for %q", waiting)
	}
}
