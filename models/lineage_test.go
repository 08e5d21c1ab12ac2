package models_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"plaza/models"
	"plaza/models/dbtest"
)

// TestLineageFollowsPipelines: a product's lineage shows what its
// pipelines read, and the upstream shows who builds on it, even when
// nobody declared the input on the product.
func TestLineageFollowsPipelines(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		f := newAccessFixture(t, db)
		up := f.products[models.ClassPublic]
		down := f.products[models.ClassInternal]
		if _, err := f.s.SavePipeline(f.ctx, f.owner, down, models.PipelineSpec{Port: "daily", SQL: "SELECT order_id FROM src",
			Inputs: []models.PipelineInputSpec{{Name: "src", Upstream: "sales/public-orders/daily"}}}); err != nil {
			t.Fatal(err)
		}
		ups, _, err := f.s.Lineage(f.ctx, down)
		if err != nil || len(ups) != 1 || ups[0].ProductSlug != "public-orders" || ups[0].Port != "daily" {
			t.Fatalf("upstreams of the pipeline's product: %+v, %v", ups, err)
		}
		_, downs, err := f.s.Lineage(f.ctx, up)
		if err != nil || len(downs) != 1 || downs[0].ProductSlug != "internal-orders" {
			t.Fatalf("downstreams of the upstream: %+v, %v", downs, err)
		}
	})
}

// lineageWorld is a small company whose lineage has two domains, declared
// inputs and pipelines, landing folders and a cycle:
//
//	sales/pos/orders-*.csv -> orders -> order-lines -> daily-sales
//	                          orders ------------------> daily-sales -> pnl -> board-pack -> archive
//	finance/erp/gl/*.csv -> ledger -----------------------------------> pnl -> forecast -> daily-sales (the cycle)
//
// orders also declares the landing folder pos/, which its pipeline makes
// moot; ledger has no pipeline, so its declared landing folder counts.
type lineageWorld struct {
	*fixture
	products map[string]*models.Product
}

func newLineageWorld(t *testing.T, db *gorm.DB) *lineageWorld {
	t.Helper()
	w := &lineageWorld{fixture: newFixture(t, db), products: map[string]*models.Product{}}
	w.domain(t, "finance", "Finance")
	w.team(t, "finance", "reporting", "Reporting")
	w.product(t, "sales", "orders", "Orders", models.InputPortInput{Landing: "pos/"})
	w.pipeline(t, "orders", models.PipelineInputSpec{Name: "tills", Landing: "pos/orders-*.csv"})
	w.product(t, "sales", "order-lines", "Order lines", models.InputPortInput{Upstream: "sales/orders/daily"})
	w.product(t, "sales", "daily-sales", "Daily sales", models.InputPortInput{Upstream: "sales/orders/daily"})
	w.product(t, "finance", "ledger", "General ledger", models.InputPortInput{Landing: "erp/gl/*.csv"})
	w.product(t, "finance", "pnl", "Profit and loss",
		models.InputPortInput{Upstream: "sales/daily-sales/daily"}, models.InputPortInput{Upstream: "finance/ledger"})
	w.product(t, "finance", "board-pack", "Board pack", models.InputPortInput{Upstream: "finance/pnl/daily"})
	w.product(t, "finance", "archive", "Archive", models.InputPortInput{Upstream: "finance/board-pack/daily"})
	w.product(t, "sales", "forecast", "Forecast")
	w.pipeline(t, "forecast", models.PipelineInputSpec{Name: "pnl", Upstream: "finance/pnl/daily"})
	w.pipeline(t, "daily-sales", models.PipelineInputSpec{Name: "lines", Upstream: "sales/order-lines/daily"},
		models.PipelineInputSpec{Name: "forecast", Upstream: "sales/forecast/daily"})
	return w
}

// product creates a draft product with one output port, daily, as the admin.
func (w *lineageWorld) product(t *testing.T, domain, slug, name string, inputs ...models.InputPortInput) {
	t.Helper()
	team := map[string]string{"sales": "orders", "finance": "reporting"}[domain]
	p, err := w.s.CreateProduct(w.ctx, w.admin, domain, models.ProductInput{Slug: slug, Name: name, Team: team,
		Classification: models.ClassInternal, Version: "1.0.0", InputPorts: inputs,
		OutputPorts: []models.PortInput{{Slug: "daily", Name: "Daily", Format: "parquet", Columns: []models.ColumnInput{{Name: "id", Type: "string"}}}}})
	if err != nil {
		t.Fatalf("create %s/%s: %v", domain, slug, err)
	}
	w.products[slug] = p
}

// pipeline defines the daily port's pipeline of a product.
func (w *lineageWorld) pipeline(t *testing.T, slug string, inputs ...models.PipelineInputSpec) {
	t.Helper()
	if _, err := w.s.SavePipeline(w.ctx, w.admin, w.products[slug], models.PipelineSpec{Port: "daily", SQL: "SELECT 1 AS id", Inputs: inputs}); err != nil {
		t.Fatalf("pipeline of %s: %v", slug, err)
	}
}

// statements counts the SQL statements a store runs.
type statements struct {
	logger.Interface
	n atomic.Int64
}

func (c *statements) LogMode(logger.LogLevel) logger.Interface { return c }
func (c *statements) Trace(context.Context, time.Time, func() (string, int64), error) {
	c.n.Add(1)
}

// TestLineageGraph walks two levels up and down from several products of
// one small company: levels, landing folders, a cycle, cross-domain edges,
// and the cap on nodes, in a fixed order and with a fixed number of queries.
func TestLineageGraph(t *testing.T) {
	const landingPOS, landingGL = "landing:sales/pos/orders-*.csv", "landing:finance/erp/gl/*.csv"
	const orders, lines, daily, forecast = "product:sales/orders", "product:sales/order-lines", "product:sales/daily-sales", "product:sales/forecast"
	const ledger, pnl, board, archive = "product:finance/ledger", "product:finance/pnl", "product:finance/board-pack", "product:finance/archive"
	cases := []struct {
		name    string
		focus   string
		max     int
		nodes   []string // "<level> <key>", in the graph's order
		edges   []string // "<from> -> <to> <ports>"
		omitted int
	}{
		{
			name: "two levels each way through a cycle", focus: "daily-sales",
			nodes: []string{"-2 " + landingPOS, "-1 " + forecast, "-1 " + lines, "-1 " + orders, "0 " + daily, "1 " + pnl, "2 " + board},
			edges: []string{
				landingPOS + " -> " + orders + " []",
				pnl + " -> " + board + " [daily]",
				pnl + " -> " + forecast + " [daily]", // closes the cycle: forecast is drawn upstream
				daily + " -> " + pnl + " [daily]",
				forecast + " -> " + daily + " [daily]",
				lines + " -> " + daily + " [daily]",
				orders + " -> " + daily + " [daily]",
				orders + " -> " + lines + " [daily]",
			},
		},
		{
			name: "declared landing counts where no pipeline runs", focus: "pnl",
			nodes: []string{"-2 " + lines, "-2 " + orders, "-2 " + landingGL, "-1 " + ledger, "-1 " + daily, "0 " + pnl, "1 " + board, "1 " + forecast, "2 " + archive},
			edges: []string{
				landingGL + " -> " + ledger + " []",
				board + " -> " + archive + " [daily]",
				ledger + " -> " + pnl + " []", // declared without a port
				pnl + " -> " + board + " [daily]",
				pnl + " -> " + forecast + " [daily]",
				daily + " -> " + pnl + " [daily]",
				forecast + " -> " + daily + " [daily]",
				lines + " -> " + daily + " [daily]",
				orders + " -> " + daily + " [daily]",
			},
		},
		{
			name: "a pipeline's landing input, not the declared folder", focus: "orders",
			nodes: []string{"-1 " + landingPOS, "0 " + orders, "1 " + daily, "1 " + lines, "2 " + pnl},
			edges: []string{
				landingPOS + " -> " + orders + " []",
				daily + " -> " + pnl + " [daily]",
				lines + " -> " + daily + " [daily]",
				orders + " -> " + daily + " [daily]",
				orders + " -> " + lines + " [daily]",
			},
		},
		{
			name: "the cap keeps the nearer level whole", focus: "daily-sales", max: 5,
			nodes: []string{"-1 " + forecast, "-1 " + lines, "-1 " + orders, "0 " + daily, "1 " + pnl},
			edges: []string{
				pnl + " -> " + forecast + " [daily]",
				daily + " -> " + pnl + " [daily]",
				forecast + " -> " + daily + " [daily]",
				lines + " -> " + daily + " [daily]",
				orders + " -> " + daily + " [daily]",
				orders + " -> " + lines + " [daily]",
			},
			omitted: 2, // the landing folder and the board pack
		},
		{
			name: "the cap within a level goes by domain and name", focus: "daily-sales", max: 3,
			nodes: []string{"-1 " + forecast, "0 " + daily, "1 " + pnl},
			edges: []string{
				pnl + " -> " + forecast + " [daily]",
				daily + " -> " + pnl + " [daily]",
				forecast + " -> " + daily + " [daily]",
			},
			omitted: 3, // order lines and orders, then the board pack
		},
	}
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newLineageWorld(t, db)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				count := &statements{Interface: logger.Discard}
				s := models.NewStore(db.Session(&gorm.Session{Logger: count}))
				p, err := s.ProductByID(w.ctx, w.products[tc.focus].ID)
				if err != nil {
					t.Fatal(err)
				}
				count.n.Store(0)
				g, err := s.LineageGraph(w.ctx, p, tc.max)
				if err != nil {
					t.Fatal(err)
				}
				if n := count.n.Load(); n > 3*models.LineageDepth {
					t.Errorf("%d queries, want at most 6 (3 per level)", n)
				}
				var nodes, edges []string
				for _, n := range g.Nodes {
					nodes = append(nodes, fmt.Sprintf("%d %s", n.Level, n.Key))
				}
				for _, e := range g.Edges {
					edges = append(edges, fmt.Sprintf("%s -> %s %v", e.From, e.To, e.Ports))
				}
				if !slices.Equal(nodes, tc.nodes) {
					t.Errorf("nodes\n got %q\nwant %q", nodes, tc.nodes)
				}
				if !slices.Equal(edges, tc.edges) {
					t.Errorf("edges\n got %q\nwant %q", edges, tc.edges)
				}
				if g.Omitted != tc.omitted {
					t.Errorf("omitted %d, want %d", g.Omitted, tc.omitted)
				}
				self, ok := g.Node("product:" + p.Domain.Slug + "/" + p.Slug)
				if !ok || !self.Current() || self.URL != p.Path() || self.Label != p.Name || self.Classification != models.ClassInternal || self.Status != models.StatusDraft {
					t.Errorf("the product's own node: %+v", self)
				}
			})
		}
		// Nodes carry what the page links to and shows.
		g, err := w.s.LineageGraph(w.ctx, w.products["pnl"], 0)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := g.Node(landingGL); n.Kind != models.LineageLanding || n.Label != "erp/gl/*.csv" || n.Domain != "finance" || n.URL != "/landing/finance" || n.Path() != "finance/erp/gl/*.csv" {
			t.Errorf("landing node %+v", n)
		}
		if n, _ := g.Node(ledger); n.Kind != models.LineageProduct || n.Label != "General ledger" || n.URL != "/products/finance/ledger" {
			t.Errorf("product node %+v", n)
		}
		var sources []string
		for _, n := range g.Sources(daily) {
			sources = append(sources, n.Label)
		}
		if !slices.Equal(sources, []string{"Order lines", "Orders", "Forecast"}) {
			t.Errorf("sources of daily sales: %q", sources)
		}
	})
}

// TestLineageGraphAlone: a product nobody reads and that reads nothing is a
// graph of one node.
func TestLineageGraphAlone(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newLineageWorld(t, db)
		w.product(t, "sales", "alone", "Alone")
		g, err := w.s.LineageGraph(w.ctx, w.products["alone"], 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(g.Nodes) != 1 || len(g.Edges) != 0 || g.Omitted != 0 || !g.Nodes[0].Current() {
			t.Errorf("graph %+v", g)
		}
	})
}

// TestLineageHidesOthersDrafts: someone outside finance's team sees its
// draft products in a lineage graph as unnamed drafts without links, their
// edges kept; the team's own drafts and everything admins see keep their
// names.
func TestLineageHidesOthersDrafts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newLineageWorld(t, db)
		seller := w.person(t, "sam@example.com", "Sam Seller")
		if _, err := w.s.AddMember(w.ctx, w.admin, w.orders, seller.Email, models.RoleMember); err != nil {
			t.Fatal(err)
		}
		graph := func(u *models.User) *models.LineageGraph {
			g, err := w.s.LineageGraph(w.ctx, w.products["daily-sales"], 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.s.HideDrafts(w.ctx, u, g); err != nil {
				t.Fatal(err)
			}
			return g
		}
		g := graph(seller)
		keys := map[string]bool{}
		var labels []string
		for _, n := range g.Nodes {
			keys[n.Key] = true
			labels = append(labels, n.Label)
		}
		if got := strings.Join(labels, ", "); got != "pos/orders-*.csv, Forecast, Order lines, Orders, Daily sales, A draft product, A draft product" {
			t.Errorf("Sam sees %s", got)
		}
		for _, e := range g.Edges {
			if !keys[e.From] || !keys[e.To] {
				t.Errorf("edge %s -> %s lost a node", e.From, e.To)
			}
		}
		if n, _ := g.Node("product:finance/draft-1"); n.URL != "/domains/finance" {
			t.Errorf("a hidden draft links to %q", n.URL)
		}
		for _, n := range graph(w.admin).Nodes {
			if n.Label == "A draft product" {
				t.Errorf("an admin is shown a hidden draft")
			}
		}
	})
}
