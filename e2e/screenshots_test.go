package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestScreenshots saves full-page screenshots of the main pages into the
// folder named by PLAZA_SCREENSHOTS (docs/screenshots for the README). It
// does nothing when the variable is unset.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("PLAZA_SCREENSHOTS")
	if dir == "" {
		t.Skip("set PLAZA_SCREENSHOTS=<folder> to take screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := startServer(t)
	ctx := newBrowser(t)
	shoot := func(name, path string, width int64) {
		t.Helper()
		run(t, ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(s.URL+path))
		buf := get(t, ctx, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shoot("signin", "/signin", 1280)
	shoot("signin-mobile", "/signin", 390)
	signIn(t, ctx, s, "alex.morgan@northwind.example")
	waitRollup(t, ctx, s) // the dashboards draw from the rollups
	for _, p := range []struct{ name, path string }{
		{"marketplace", "/"},
		{"search", "/?q=customer"},
		{"search-facets", "/?q=orders&class=internal"},
		{"search-typo", "/?q=custmer"},
		{"search-empty", "/?q=zzzzqqq"},
		{"domains", "/domains"},
		{"domain", "/domains/sales"},
		{"team", "/domains/sales/teams/sales-analytics"},
		{"admin", "/admin"},
		{"admin-domains", "/admin/domains"},
		{"domain-new", "/admin/domains/new"},
		{"people", "/admin/people"},
		{"audit", "/admin/audit"},
		{"profile", "/profile"},
		{"dashboards-ownership", "/dashboards/ownership"},
		{"dashboards-quality", "/dashboards/quality"},
		{"dashboards-usage", "/dashboards/usage"},
		{"dashboards-platform", "/dashboards/platform"},
		{"query-empty", "/query"},
		{"product", "/products/customer/customer-360"},
		{"product-deprecated", "/products/sales/daily-store-sales-v1"},
		{"product-edit", "/products/sales/orders/edit"},
		{"glossary", "/glossary"},
		{"term", "/glossary/customer/customer"},
		{"notfound", "/domains/nope"},
	} {
		shoot(p.name, p.path, 1280)
	}
	// A product's health and usage, in view below the sticky top bar: the
	// section is halfway down a long page.
	run(t, ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(s.URL+"/products/sales/orders"), chromedp.WaitVisible(sel("health")),
		chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, document.querySelector('[data-testid="health"]').getBoundingClientRect().top + window.scrollY
			- document.querySelector('.topbar').offsetHeight - 24)`))
	if err := os.WriteFile(filepath.Join(dir, "product-health.png"), get(t, ctx, chromedp.CaptureScreenshot()), 0o644); err != nil {
		t.Fatal(err)
	}
	shoot("marketplace-mobile", "/", 390)
	shoot("team-mobile", "/domains/sales/teams/sales-analytics", 390)

	// Federated governance: the admins' pages, then each side of a request
	// as the demo people who live it.
	shoot("policy", "/admin/policy", 1280)
	shoot("audit-verify", "/admin/audit/verify", 1280)
	shoot("domain-stewards", "/domains/customer", 1280)
	as := func(email string) {
		t.Helper()
		run(t, ctx, chromedp.EmulateViewport(1280, 900)) // the sign-out button is in the wide top bar
		switchUser(t, ctx, s, email)
	}
	as("maya.johnson@northwind.example") // pending, active, expiring, withdrawn and revoked
	shoot("access", "/access", 1280)
	shoot("notifications", "/notifications", 1280)
	shoot("request-form", "/products/customer/customer-360/access", 1280)
	shoot("access-mobile", "/access", 390)
	as("leo.martins@northwind.example")
	shoot("product-granted", "/products/supply-chain/purchase-orders", 1280)
	as("daniel.kim@northwind.example")
	shoot("inbox-owner", "/inbox", 1280)
	shoot("consumers", "/products/customer/customer-consent/consumers", 1280)
	shoot("consumers-ended", "/products/customer/loyalty-transactions/consumers", 1280) // Maya's, revoked
	as("grace.okafor@northwind.example")
	shoot("inbox-steward", "/inbox", 1280)
	// Maya's consent request: the owner approved, it waits for Grace.
	item := get(t, ctx, chromedp.Evaluate[string](`(() => {
		const it = [...document.querySelectorAll('[data-testid="inbox-requests"] > article')].find(a => a.textContent.includes('Maya Johnson'));
		return it ? it.dataset.testid : '';
	})()`))
	if item == "" {
		t.Fatal("Grace's inbox has no request of Maya's")
	}
	shoot("request", "/access/requests/"+strings.TrimPrefix(item, "inbox-"), 1280)
	shoot("inbox-mobile", "/inbox", 390)

	// Pipelines: Sofia brings a file in, defines the pipeline of a new
	// product, runs it, then runs it again over a file that breaks a
	// blocking check.
	shootWhen := func(name, path string, ready ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		run(t, ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(s.URL+path))
		run(t, ctx, ready...)
		buf := get(t, ctx, chromedp.FullScreenshot(100))
		if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	as(tillOwner)
	shoot("dashboards-mine", "/dashboards/mine", 1280)
	files := t.TempDir()
	importContract(t, ctx, s, tillOrdersContract)
	uploadLanding(t, ctx, s, "sales", tillFolder, writeFile(t, files, tillFileName, firstOrders))
	// Every row's count and columns loaded, any demo files' too.
	shootWhen("landing", "/landing/sales", chromedp.WaitVisible(sel("landing-files")), chromedp.WaitNotPresent(`[data-testid="landing-files"] td[hx-get]`))
	shoot("landing-file", "/landing/sales/file?path="+tillOrdersFile, 1280)
	shoot("pipeline-form", tillOrders+"/pipelines/daily", 1280)
	pipeline := definePipeline(t, ctx, s, tillOrders, "daily", "orders", tillGlob, tillSQL)
	good, _ := runNow(t, ctx, s, pipeline)
	shoot("run", good, 1280)
	uploadLanding(t, ctx, s, "sales", tillFolder, writeFile(t, files, tillFileName, duplicateOrders))
	bad, _ := runNow(t, ctx, s, pipeline)
	shootWhen("run-failed", bad, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('details.sample').forEach(d => d.open = true)`))
	shoot("pipeline", pipeline, 1280)
	shoot("pipelines", "/pipelines", 1280)
	// Lineage shows the inputs the product declares, which its pipeline's
	// inputs do not fill in yet.
	declareInputs(t, ctx, s, tillOrders, "landing:"+tillGlob)
	// The Data card's preview loads when it scrolls into view.
	shootWhen("product-pipelines", tillOrders,
		chromedp.ScrollIntoView(sel("data-daily")),
		chromedp.WaitVisible(`[data-testid="preview-daily"] [data-testid="preview"]`),
		chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
}
