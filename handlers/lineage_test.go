package handlers

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// TestProductLineageGraph: a product page draws its lineage as SVG, two
// steps up and down, each product linking to its page and the product
// itself highlighted, with the same nodes in a table; a product with no
// lineage says so instead.
func TestProductLineageGraph(t *testing.T) {
	e := freshEnv(t)
	c := e.as(userEmail)
	cases := []struct {
		name    string
		product string
		current string            // the highlighted node's label
		want    map[string]string // node key -> a line of its label
		absent  []string          // node keys that must not be drawn
	}{
		{
			name: "built on sales, read by finance", product: "/products/sales/daily-store-sales", current: "Daily Store Sales",
			want: map[string]string{
				"product:sales/orders":                     "Orders",
				"product:sales/order-lines":                "Order Lines",
				"product:sales/returns":                    "Returns",
				"product:supply-chain/inventory-snapshots": "Inventory",
				"product:finance/fiscal-calendar":          "Fiscal Calendar",
				"landing:sales/footfall/counters-*.csv":    "sales/footfall/",
				"landing:sales/pos/orders-*.csv":           "sales/pos/",
				"product:sales/revenue-by-channel":         "Revenue by Channel",
				"product:finance/monthly-pnl":              "Monthly P&L",
			},
		},
		{name: "no lineage", product: "/products/sales/" + walkProduct},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := c.get(tc.product)
			wantStatus(t, tc.product, p, 200)
			card := p.Doc.Find(`[data-testid="lineage"]`)
			svg := card.Find(`svg[data-testid="lineage-graph"]`)
			if tc.want == nil {
				if svg.Length() != 0 || !p.Has("lineage-empty") {
					t.Fatalf("a product without lineage draws a graph:\n%s", p.Text("lineage"))
				}
				return
			}
			if svg.Length() != 1 {
				t.Fatalf("the lineage card has %d graphs:\n%s", svg.Length(), p.Text("lineage"))
			}
			nodes := map[string]*goquery.Selection{}
			svg.Find(`[data-testid="lineage-node"]`).Each(func(_ int, n *goquery.Selection) {
				nodes[n.AttrOr("data-key", "")] = n
			})
			current := svg.Find(`[aria-current="page"]`)
			if current.Length() != 1 || !strings.Contains(labelOf(current), tc.current) || current.Is("a") {
				t.Errorf("the highlighted node: %q", current.Text())
			}
			for key, label := range tc.want {
				n, ok := nodes[key]
				if !ok {
					t.Errorf("no node %s among %d", key, len(nodes))
					continue
				}
				if got := labelOf(n); !strings.Contains(got, label) {
					t.Errorf("node %s reads %q, want %q in it", key, got, label)
				}
				kind, path, _ := strings.Cut(key, ":")
				href := "/products/" + path
				if kind == "landing" {
					href = "/landing/" + strings.SplitN(path, "/", 2)[0]
				}
				if got := n.AttrOr("href", ""); !n.Is("a") || got != href {
					t.Errorf("node %s links to %q, want %q", key, got, href)
				}
				if full := n.Find("title").Text(); !strings.Contains(full, path) {
					t.Errorf("node %s's tooltip %q lacks %s", key, full, path)
				}
			}
			if edges := svg.Find("path.lineage-edge").Length(); edges < len(tc.want) {
				t.Errorf("%d edges for %d nodes", edges, len(tc.want))
			}
			if rows := card.Find(`[data-testid="lineage-table"] tbody tr`).Length(); rows != len(nodes) {
				t.Errorf("the table has %d rows for %d nodes", rows, len(nodes))
			}
		})
	}
}

// labelOf is the label of a drawn node, whose lines a long label wraps over.
func labelOf(node *goquery.Selection) string {
	return strings.Join(node.Find("text.lineage-label").Map(func(_ int, l *goquery.Selection) string { return l.Text() }), " ")
}
