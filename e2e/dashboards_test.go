package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestDashboards: an owner lands on her products, an admin filters the
// quality board through the URL and exports a table, and a business user
// is kept off the admins' board and the consumers' names. One server and
// one browser for the three, which sign in in turn.
func TestDashboards(t *testing.T) {
	s := startServer(t)
	ctx := newBrowser(t)

	t.Run("owner lands on her products", func(t *testing.T) {
		signIn(t, ctx, s, "sofia.rossi@northwind.example")
		run(t, ctx, chromedp.Click(sel("nav-dashboards")), chromedp.WaitVisible(sel("table-mine")))
		if loc := get(t, ctx, chromedp.Location()); !strings.HasSuffix(loc, "/dashboards/mine") {
			t.Fatalf("Dashboards opened %s, want My products", loc)
		}
		products := get(t, ctx, chromedp.Evaluate[[]string](
			`[...document.querySelectorAll('[data-testid="table-mine"] tbody td:first-child a')].map(a => a.getAttribute('href'))`))
		if len(products) == 0 {
			t.Fatal("My products lists no product")
		}
		for _, p := range products { // Sofia's teams are both in Sales
			if !strings.HasPrefix(p, "/products/sales/") {
				t.Errorf("My products lists %s, which is not Sofia's", p)
			}
		}
		run(t, ctx,
			chromedp.Click(`[data-testid="table-mine"] tbody a[href="`+products[0]+`"]`),
			chromedp.WaitVisible(sel("health")),
		)
		if loc := get(t, ctx, chromedp.Location()); !strings.HasSuffix(loc, products[0]) {
			t.Errorf("the row's link opened %s, want %s", loc, products[0])
		}
	})

	t.Run("admin filters the quality board", func(t *testing.T) {
		switchUser(t, ctx, s, "alex.morgan@northwind.example")
		if v := waitRollup(t, ctx, s); !strings.HasSuffix(v, "%") {
			t.Errorf("Checks passed shows %q, want a share", v)
		}
		if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="dash-tabs"] a[href^="/dashboards/platform"]').length`)); n != 1 {
			t.Errorf("an admin sees %d Platform tabs, want 1", n)
		}
		if !get(t, ctx, chromedp.Evaluate[bool](`document.querySelector('[data-testid="filter-team"]').disabled`)) {
			t.Error("the team filter is enabled before a domain is chosen")
		}

		choose(t, ctx, "filter-domain", "supply-chain")
		run(t, ctx, chromedp.WaitReady(`[data-testid="filter-domain"] option[value="supply-chain"][selected]`))
		if loc := get(t, ctx, chromedp.Location()); !strings.Contains(loc, "domain=supply-chain") {
			t.Errorf("after choosing a domain the URL is %s", loc)
		}
		teams := get(t, ctx, chromedp.Evaluate[[]string](
			`[...document.querySelector('[data-testid="filter-team"]').options].map(o => o.value)`))
		if want := []string{"", "inventory", "logistics"}; !slices.Equal(teams, want) {
			t.Errorf("the team filter offers %q, want Supply Chain's teams %q", teams, want)
		}
		if got := tableTitle(t, ctx, "table-scopes"); got != "Quality per team" {
			t.Errorf("with a domain chosen the scopes table is %q, want Quality per team", got)
		}

		choose(t, ctx, "filter-team", "inventory")
		run(t, ctx, chromedp.WaitReady(`[data-testid="filter-team"] option[value="inventory"][selected]`))
		choose(t, ctx, "filter-range", "7")
		run(t, ctx, chromedp.WaitReady(`[data-testid="filter-range"] option[value="7"][selected]`))
		loc := get(t, ctx, chromedp.Location())
		for _, want := range []string{"domain=supply-chain", "team=inventory", "range=7"} {
			if !strings.Contains(loc, want) {
				t.Errorf("the URL %s lacks %s", loc, want)
			}
		}

		// The filters live in the URL, so a reload keeps them.
		run(t, ctx, chromedp.Reload(), chromedp.WaitVisible(sel("table-scopes")))
		for testid, want := range map[string]string{"filter-domain": "supply-chain", "filter-team": "inventory", "filter-range": "7"} {
			if v := get(t, ctx, chromedp.Value(sel(testid))); v != want {
				t.Errorf("after reload %s holds %q, want %q", testid, v, want)
			}
		}
		if got := tableTitle(t, ctx, "table-scopes"); got != "Quality per team" {
			t.Errorf("after reload the scopes table is %q", got)
		}

		// The export the link downloads, fetched from the page with its session.
		type export struct {
			Href, Type, Body string
			Head             []string
		}
		e := get(t, ctx, chromedp.Evaluate[export](`(async () => {
			const a = document.querySelector('[data-testid="export-scopes"]');
			const resp = await fetch(a.href);
			return {href: a.getAttribute('href'), type: resp.headers.get('Content-Type'), body: await resp.text(),
				head: [...document.querySelectorAll('[data-testid="table-scopes"] thead th')].map(th => th.textContent.trim())};
		})()`, chromedp.EvalAwaitPromise))
		for _, want := range []string{"export=scopes", "domain=supply-chain", "team=inventory", "range=7"} {
			if !strings.Contains(e.Href, want) {
				t.Errorf("the export link %s lacks %s", e.Href, want)
			}
		}
		if !strings.HasPrefix(e.Type, "text/csv") {
			t.Errorf("the export is %q, want text/csv", e.Type)
		}
		lines := strings.Split(strings.TrimSpace(e.Body), "\n")
		if len(e.Head) == 0 || lines[0] != strings.Join(e.Head, ",") {
			t.Errorf("the CSV starts %q, want the table's header %q", lines[0], strings.Join(e.Head, ","))
		}
		if len(lines) != 2 || !strings.HasPrefix(lines[1], "Inventory,") {
			t.Errorf("the CSV of one team's quality:\n%s", e.Body)
		}

		// Admins see who consumes; the business user below must not.
		run(t, ctx, chromedp.Navigate(s.URL+"/dashboards/usage"), chromedp.WaitVisible(sel("table-top-consumers")))
	})

	t.Run("business user sees no platform and no names", func(t *testing.T) {
		switchUser(t, ctx, s, "leo.martins@northwind.example")
		run(t, ctx, chromedp.Navigate(s.URL+"/dashboards/usage"), chromedp.WaitVisible(sel("table-scopes")))
		if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="dash-tabs"] a[href^="/dashboards/platform"]').length`)); n != 0 {
			t.Error("a business user sees the Platform tab")
		}
		if n := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="table-top-consumers"]').length`)); n != 0 {
			t.Error("a business user sees the Top consumers table")
		}
		run(t, ctx, chromedp.Navigate(s.URL+"/dashboards/platform"), chromedp.WaitVisible(sel("error-page")))
		if got := text(t, ctx, "error-status"); got != "403" {
			t.Errorf("/dashboards/platform shows status %q, want 403", got)
		}
	})
}

// waitRollup opens the quality board until the stats rollup, which runs
// when plaza starts, has filled it in: before, Checks passed shows "–".
// It returns that figure.
func waitRollup(t *testing.T, ctx context.Context, s *server) string {
	t.Helper()
	for deadline := time.Now().Add(stepTimeout); ; time.Sleep(250 * time.Millisecond) {
		run(t, ctx, chromedp.Navigate(s.URL+"/dashboards/quality"), chromedp.WaitVisible(sel("dash-stat-Checks passed")))
		if v := text(t, ctx, "dash-stat-Checks passed"); v != "–" {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("the quality board still shows no Checks passed %s after start: did the stats rollup run?", stepTimeout)
		}
	}
}

// choose picks an option of the select with a data-testid as a person
// would: the value changes and the select fires its change event.
func choose(t *testing.T, ctx context.Context, testid, value string) {
	t.Helper()
	run(t, ctx, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const s = document.querySelector('[data-testid=%q]');
		if (s.disabled) throw new Error('the select is disabled');
		if (![...s.options].some(o => o.value === %q)) throw new Error('no option %s');
		s.value = %q;
		s.dispatchEvent(new Event('change', {bubbles: true}));
	})()`, testid, value, value, value)))
}

// tableTitle is the heading of a dashboard table.
func tableTitle(t *testing.T, ctx context.Context, testid string) string {
	t.Helper()
	return strings.TrimSpace(get(t, ctx, chromedp.Text(`[data-testid="`+testid+`"] h2`)))
}
