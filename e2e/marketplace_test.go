package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A business user types in the search box (results follow as they type),
// narrows by a facet, opens a product and copies its URN.
func TestBusinessUserFindsAProduct(t *testing.T) {
	s := startServer(t)
	ctx := newBrowser(t)
	signIn(t, ctx, s, "maya.johnson@northwind.example")

	run(t, ctx,
		chromedp.Navigate(s.URL+"/"),
		chromedp.WaitVisible(sel("search-input")),
		chromedp.SendKeys(sel("search-input"), "custo"),
		chromedp.WaitVisible(sel("facets")), // htmx swapped in the results
		chromedp.WaitVisible(sel("product-customer-customer-360")),
	)
	loc := get(t, ctx, chromedp.Location())
	if !strings.Contains(loc, "q=custo") {
		t.Fatalf("the URL does not hold the search: %s", loc)
	}

	run(t, ctx,
		chromedp.Click(sel("facet-classification-restricted")),
		chromedp.WaitVisible(`[data-testid="facet-classification-restricted"][aria-pressed="true"]`),
	)
	cards := get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="product-grid"] > li')].map(li => li.dataset.testid)`))
	if len(cards) == 0 {
		t.Fatal("no results after choosing the restricted facet")
	}
	for _, c := range cards {
		if c != "product-customer-customer-360" && c != "product-customer-customer-consent" {
			t.Errorf("restricted filter shows %s", c)
		}
	}
	if got := text(t, ctx, "result-count"); !strings.HasPrefix(got, "2 data products") {
		t.Errorf("result count = %q, want 2 data products", got)
	}

	// Reload keeps the whole state.
	run(t, ctx, chromedp.Reload(), chromedp.WaitVisible(`[data-testid="facet-classification-restricted"][aria-pressed="true"]`))
	if v := get(t, ctx, chromedp.Value(sel("search-input"))); v != "custo" {
		t.Errorf("after reload the search box holds %q", v)
	}

	run(t, ctx,
		chromedp.Click(`[data-testid="product-customer-customer-360"] a`),
		chromedp.WaitVisible(sel("urn")),
	)
	if got := text(t, ctx, "urn"); got != "urn:plaza:customer:customer-360" {
		t.Fatalf("URN = %q", got)
	}
	if got := text(t, ctx, "access"); !strings.Contains(got, "no access") {
		t.Errorf("access card = %q, want it to say Maya has no access yet", got)
	}
	// Copy the URN. Headless chromium has no system clipboard, so the test
	// listens to what the page hands to the Clipboard API.
	run(t, ctx,
		chromedp.Evaluate[chromedp.Void](`navigator.clipboard.writeText = (t) => { window.copied = t; return Promise.resolve(); }`),
		chromedp.Click(sel("copy-urn")),
		chromedp.Sleep(200*time.Millisecond),
	)
	if got := text(t, ctx, "copy-urn"); got != "Copied" {
		t.Errorf("copy button says %q after a click", got)
	}
	if clip := get(t, ctx, chromedp.Evaluate[string](`window.copied`)); clip != "urn:plaza:customer:customer-360" {
		t.Errorf("the page copied %q", clip)
	}
}

// An owner edits a product's schema: adds a column with the editor, moves
// it up, removes another, saves, and sees the new schema on the page.
func TestOwnerEditsTheSchema(t *testing.T) {
	s := startServer(t)
	ctx := newBrowser(t)
	signIn(t, ctx, s, "sofia.rossi@northwind.example")

	run(t, ctx,
		chromedp.Navigate(s.URL+"/products/sales/returns"),
		chromedp.Click(sel("edit-product")),
		chromedp.WaitVisible(sel("schema-editor")),
		chromedp.Click(sel("add-column-0")),
	)
	// The new row is the last one of port 0; fill it and move it to the top.
	run(t, ctx,
		chromedp.Evaluate[chromedp.Void](`(() => {
			const rows = document.querySelectorAll('[data-testid="port-editor-0"] [data-columns] [data-column]');
			const row = rows[rows.length - 1];
			row.querySelector('input[name$=".name"]').value = 'refund_reason_code';
			row.querySelector('input[name$=".type"]').value = 'string';
			row.querySelector('input[name$=".description"]').value = 'Why the money went back.';
			row.dataset.testid = 'new-row';
		})()`),
	)
	rows := get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="port-editor-0"] [data-columns] [data-column]').length`))
	for i := 0; i < rows; i++ {
		// A script click: the row may sit under the sticky save bar.
		run(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="new-row"] [data-move="up"]').click()`))
	}
	first := get(t, ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="port-editor-0"] [data-columns] [data-column] input').value`))
	if first != "refund_reason_code" {
		t.Fatalf("after moving up, the first column is %q", first)
	}
	// Remove the second column (was the first before).
	removed := get(t, ctx, chromedp.Evaluate[string](`(() => {
		const row = document.querySelectorAll('[data-testid="port-editor-0"] [data-columns] [data-column]')[1];
		row.querySelector('[data-remove-column]').click();
		return row.querySelector('input').value;
	})()`))
	run(t, ctx,
		chromedp.Click(sel("save")),
		chromedp.WaitVisible(sel("flash")),
	)
	schema := text(t, ctx, "schema-daily")
	if !strings.Contains(schema, "refund_reason_code") {
		t.Fatalf("schema after save lacks the new column:\n%s", schema)
	}
	if strings.Contains(schema, removed+" ") {
		t.Errorf("removed column %s is still in the schema", removed)
	}
	firstCol := get(t, ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="schema-daily"] tbody tr code').textContent`))
	if firstCol != "refund_reason_code" {
		t.Errorf("first column on the page is %q, want the one moved to the top", firstCol)
	}
	if got := text(t, ctx, "activity"); !strings.Contains(got, "product.update") {
		t.Errorf("activity lacks the update: %s", got)
	}
}
