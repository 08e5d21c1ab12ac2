package e2e

import (
	"os"
	"path/filepath"
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
		{"coming", "/query"},
		{"product", "/products/customer/customer-360"},
		{"product-deprecated", "/products/sales/daily-store-sales-v1"},
		{"product-edit", "/products/sales/orders/edit"},
		{"glossary", "/glossary"},
		{"term", "/glossary/customer/customer"},
		{"notfound", "/domains/nope"},
	} {
		shoot(p.name, p.path, 1280)
	}
	shoot("marketplace-mobile", "/", 390)
	shoot("team-mobile", "/domains/sales/teams/sales-analytics", 390)
}
