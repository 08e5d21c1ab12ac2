package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// An admin creates a domain, a team in it, adds a member, and sees each listed.
func TestAdminBuildsDomainTeamAndMembers(t *testing.T) {
	s := startServer(t)
	ctx := newBrowser(t)
	signIn(t, ctx, s, "alex.morgan@northwind.example")

	run(t, ctx,
		chromedp.Navigate(s.URL+"/admin/domains"),
		chromedp.Click(sel("new-domain")),
		chromedp.WaitVisible(sel("domain-form")),
		// First a mistake: a slug that is taken. The form comes back with the
		// message beside the field and what was typed kept.
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Store Operations"),
		chromedp.SetValue(chromedp.CSS(`#f-slug`), "sales"),
		chromedp.SendKeys(chromedp.CSS(`#f-description`), "Opening hours, staffing and shrink in the stores."),
		chromedp.Click(sel("save")),
		chromedp.WaitVisible(sel("error-slug")),
	)
	if msg := text(t, ctx, "error-slug"); !strings.Contains(msg, "taken") {
		t.Fatalf("slug error = %q, want it to say the slug is taken", msg)
	}
	name := get(t, ctx, chromedp.Value(chromedp.CSS(`#f-name`)))
	if name != "Store Operations" {
		t.Fatalf("name field after the failed save = %q, want what was typed", name)
	}

	run(t, ctx,
		chromedp.SetValue(chromedp.CSS(`#f-slug`), "store-ops"),
		chromedp.Click(sel("save")),
		chromedp.WaitVisible(sel("new-team")),
	)
	if got := text(t, ctx, "page-title"); got != "Store Operations" {
		t.Fatalf("after creating, page title = %q", got)
	}

	run(t, ctx,
		chromedp.Click(sel("new-team")),
		chromedp.WaitVisible(sel("team-form")),
		chromedp.SendKeys(chromedp.CSS(`#f-name`), "Shrink Analytics"),
		chromedp.Click(sel("save")),
		chromedp.WaitVisible(sel("add-member")),
	)
	// The slug followed the name.
	loc := get(t, ctx, chromedp.Location())
	if !strings.HasSuffix(loc, "/domains/store-ops/teams/shrink-analytics") {
		t.Fatalf("team page at %s", loc)
	}

	run(t, ctx,
		chromedp.SendKeys(chromedp.CSS(`#f-email`), "leo.martins@northwind.example"),
		chromedp.SetValue(chromedp.CSS(`#f-role`), "owner"),
		chromedp.Click(sel("add-member-submit")),
		chromedp.WaitVisible(sel("member-leo.martins@northwind.example")),
	)
	if row := text(t, ctx, "member-leo.martins@northwind.example"); !strings.Contains(row, "Leo Martins") || !strings.Contains(row, "owner") {
		t.Fatalf("member row = %q", row)
	}

	// The domain lists its new team, the admin table lists the domain.
	run(t, ctx, chromedp.Navigate(s.URL+"/domains/store-ops"), chromedp.WaitVisible(sel("team-shrink-analytics")))
	run(t, ctx, chromedp.Navigate(s.URL+"/admin/domains"), chromedp.WaitVisible(sel("row-store-ops")))

	// And the audit log recorded all of it.
	run(t, ctx, chromedp.Navigate(s.URL+"/admin/audit?object=store-ops"), chromedp.WaitVisible(sel("audit")))
	log := text(t, ctx, "audit")
	for _, want := range []string{"domain.create", "team.create", "member.add"} {
		if !strings.Contains(log, want) {
			t.Errorf("audit log lacks %s:\n%s", want, log)
		}
	}
}

// A business user has no Admin menu and gets the 403 page on admin URLs.
func TestBusinessUserIsRefusedAdminPages(t *testing.T) {
	s := startServer(t)
	ctx := newBrowser(t)
	signIn(t, ctx, s, "maya.johnson@northwind.example")

	adminLinks := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="nav-admin"]').length`))
	if adminLinks != 0 {
		t.Fatal("a business user sees the Admin menu")
	}
	for _, path := range []string{"/admin", "/admin/domains/new", "/admin/people", "/admin/audit"} {
		run(t, ctx, chromedp.Navigate(s.URL+path), chromedp.WaitVisible(sel("error-page")))
		if got := text(t, ctx, "error-status"); got != "403" {
			t.Errorf("%s shows status %q, want 403", path, got)
		}
	}
}
