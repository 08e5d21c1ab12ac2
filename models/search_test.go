package models_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"gorm.io/gorm"

	"plaza/bench/catalog"
	"plaza/models"
	"plaza/models/dbtest"
)

// searchWorld is a small marketplace built on the fixture's company (admin
// Ada; Olga owns and Max is a member of sales/orders; Otto is in no team):
// six published or deprecated products over three domains and a draft.
type searchWorld struct {
	*fixture
	products map[string]*models.Product // by "<domain>/<slug>"
	term     *models.GlossaryTerm
}

// The products' statuses and what a search of all of them as Otto counts.
var searchProducts = []struct {
	domain, status string
	in             models.ProductInput
}{
	{"sales", models.StatusPublished, models.ProductInput{
		Slug: "orders", Name: "Orders", Team: "orders", Classification: models.ClassInternal,
		Summary:     "Every order placed in a store or the web shop.",
		Description: "One row per order, updated hourly from the till systems. Feeds the revenue reports.",
		Tags:        []string{"core", "sales"},
		OutputPorts: []models.PortInput{{Name: "orders", Format: "parquet", Columns: []models.ColumnInput{
			{Name: "order_id", Type: "string", Description: "Order identifier", PrimaryKey: true},
			{Name: "customer_id", Type: "string", Description: "Who ordered", Term: "customer/customer"},
			{Name: "amount_eur", Type: "decimal", Description: "Total paid"},
			{Name: "placed_at", Type: "timestamp"},
		}}},
	}},
	{"sales", models.StatusPublished, models.ProductInput{
		Slug: "daily-revenue", Name: "Daily revenue", Team: "analytics", Classification: models.ClassInternal,
		Summary:     "Net takings per shop and day.",
		Description: "Sums the orders and returns of each shop, every night.",
		Tags:        []string{"finance", "kpi"},
		OutputPorts: []models.PortInput{{Name: "daily", Format: "table", Columns: []models.ColumnInput{
			{Name: "shop_id", Type: "string"},
			{Name: "revenue_eur", Type: "decimal"},
			{Name: "business_date", Type: "date", Description: "The trading day"},
		}}},
	}},
	{"customer", models.StatusPublished, models.ProductInput{
		Slug: "profiles", Name: "Customer profiles", Team: "profiles", Classification: models.ClassConfidential,
		Summary:     "One profile per person who bought something.",
		Description: "Merged from the loyalty app and web accounts.",
		Tags:        []string{"core", "pii"},
		OutputPorts: []models.PortInput{{Name: "profiles", Format: "parquet", Columns: []models.ColumnInput{
			{Name: "customer_id", Type: "string", PrimaryKey: true, Term: "customer/customer"},
			{Name: "email", Type: "string", PII: true},
			{Name: "loyalty_tier", Type: "string"},
		}}},
	}},
	{"supply-chain", models.StatusPublished, models.ProductInput{
		Slug: "stock", Name: "Stock on hand", Team: "inventory", Classification: models.ClassPublic,
		Summary:     "Units in every warehouse, hourly.",
		Description: "Counted by the warehouse management system.",
		Tags:        []string{"core"},
		OutputPorts: []models.PortInput{{Name: "stock", Format: "table", Columns: []models.ColumnInput{
			{Name: "sku", Type: "string"},
			{Name: "warehouse_code", Type: "string"},
			{Name: "units", Type: "integer"},
		}}},
	}},
	{"supply-chain", models.StatusDeprecated, models.ProductInput{
		Slug: "shipments", Name: "Shipments", Team: "logistics", Classification: models.ClassRestricted,
		Summary:     "Parcels sent to shops.",
		Description: "Carrier events from our delivery partners.",
		Tags:        []string{"delivery"},
		OutputPorts: []models.PortInput{{Name: "events", Format: "stream", Columns: []models.ColumnInput{
			{Name: "shipment_id", Type: "string"},
			{Name: "carrier", Type: "string"},
			{Name: "delivered_at", Type: "timestamp"},
		}}},
	}},
	{"supply-chain", models.StatusPublished, models.ProductInput{
		Slug: "footfall", Name: "Hourly footfall", Team: "inventory", Classification: models.ClassPublic,
		Summary:     "Visitors counted at shop doors.",
		Description: "Door sensors, summed per shop.",
		Tags:        []string{"shops"},
		OutputPorts: []models.PortInput{{Name: "visits", Format: "table", Columns: []models.ColumnInput{
			{Name: "shop_id", Type: "string"},
			{Name: "visitors", Type: "integer"},
		}}},
	}},
	{"sales", models.StatusDraft, models.ProductInput{
		Slug: "refunds", Name: "Refunds", Team: "orders", Classification: models.ClassInternal,
		Summary:     "Money paid back.",
		Description: "Work in progress, codename zanzibar.",
		Tags:        []string{"returns"},
		OutputPorts: []models.PortInput{{Name: "refunds", Format: "table", Columns: []models.ColumnInput{
			{Name: "refund_id", Type: "string"},
		}}},
	}},
}

func newSearchWorld(t *testing.T, db *gorm.DB) *searchWorld {
	t.Helper()
	w := &searchWorld{fixture: newFixture(t, db), products: map[string]*models.Product{}}
	w.team(t, "sales", "analytics", "Sales Analytics")
	w.domain(t, "customer", "Customer")
	w.team(t, "customer", "profiles", "Customer 360")
	w.domain(t, "supply-chain", "Supply Chain")
	w.team(t, "supply-chain", "inventory", "Inventory")
	w.team(t, "supply-chain", "logistics", "Logistics")
	analytics, err := w.s.TeamBySlug(w.ctx, "sales", "analytics")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.s.AddMember(w.ctx, w.admin, analytics, w.owner.Email, models.RoleOwner); err != nil {
		t.Fatal(err)
	}
	w.term, err = w.s.CreateTerm(w.ctx, w.admin, "customer", models.TermInput{
		Name: "Customer", Definition: "Someone who bought from us.", Synonyms: "client, shopper"})
	if err != nil {
		t.Fatal(err)
	}
	for _, sp := range searchProducts {
		p, err := w.s.CreateProduct(w.ctx, w.admin, sp.domain, sp.in)
		if err != nil {
			t.Fatalf("create %s/%s: %v", sp.domain, sp.in.Slug, err)
		}
		if sp.status != models.StatusDraft {
			if p, err = w.s.SetProductStatus(w.ctx, w.admin, p, models.StatusPublished, ""); err != nil {
				t.Fatal(err)
			}
		}
		if sp.status == models.StatusDeprecated {
			if p, err = w.s.SetProductStatus(w.ctx, w.admin, p, models.StatusDeprecated, ""); err != nil {
				t.Fatal(err)
			}
		}
		w.products[sp.domain+"/"+sp.in.Slug] = p
	}
	return w
}

func (w *searchWorld) search(t *testing.T, u *models.User, q models.SearchQuery) *models.SearchResult {
	t.Helper()
	res, err := w.s.SearchProducts(w.ctx, u, q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	return res
}

func refs(res *models.SearchResult) []string {
	out := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		out[i] = h.DomainSlug + "/" + h.Slug
	}
	return out
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	slices.Sort(out)
	return out
}

// facetCounts turns a facet into "value=count" strings, selected ones
// marked with *.
func facetCounts(res *models.SearchResult, facet string) []string {
	var out []string
	for _, f := range res.Facets[facet] {
		s := fmt.Sprintf("%s=%d", f.Value, f.Count)
		if f.Selected {
			s += "*"
		}
		out = append(out, s)
	}
	return out
}

// TestSearch runs one table of searches on each database: what a person
// types and selects, who they are, and the products they should see.
func TestSearch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newSearchWorld(t, db)
		users := map[string]*models.User{"admin": w.admin, "owner": w.owner, "member": w.member, "outsider": w.outsider}
		cases := []struct {
			name    string
			as      string // default outsider
			q       models.SearchQuery
			want    []string // in this order
			anyWant []string // in any order
			first   string   // only the first hit is checked
			total   int64    // checked when not 0
			suggest string
		}{
			{name: "exact name", q: models.SearchQuery{Text: "Shipments"}, want: []string{"supply-chain/shipments"}},
			{name: "name in another case", q: models.SearchQuery{Text: "sHIPMENTS"}, want: []string{"supply-chain/shipments"}},
			{name: "prefix as you type", q: models.SearchQuery{Text: "shipm"}, want: []string{"supply-chain/shipments"}},
			{name: "two-letter prefix", q: models.SearchQuery{Text: "fo"}, want: []string{"supply-chain/footfall"}},
			{name: "prefix of a name ranks it first", q: models.SearchQuery{Text: "ord"}, first: "sales/orders"},
			{name: "plural finds singular", q: models.SearchQuery{Text: "visitors doors"}, want: []string{"supply-chain/footfall"}},
			{name: "two words must both match", q: models.SearchQuery{Text: "customer email"}, want: []string{"customer/profiles"}},
			{name: "typo", q: models.SearchQuery{Text: "custmer"}, suggest: "customer",
				anyWant: []string{"customer/profiles", "sales/orders"}},
			{name: "swapped letters", q: models.SearchQuery{Text: "shipmnets"}, suggest: "shipments", want: []string{"supply-chain/shipments"}},
			{name: "typo next to a right word", q: models.SearchQuery{Text: "hourly footfal"}, want: []string{"supply-chain/footfall"}},
			{name: "typo in one of two words", q: models.SearchQuery{Text: "warehuose units"}, suggest: "warehouse units",
				want: []string{"supply-chain/stock"}},
			{name: "column name", q: models.SearchQuery{Text: "warehouse_code"}, want: []string{"supply-chain/stock"}},
			{name: "column description", q: models.SearchQuery{Text: "trading day"}, want: []string{"sales/daily-revenue"}},
			{name: "glossary term", q: models.SearchQuery{Text: "customer"}, anyWant: []string{"customer/profiles", "sales/orders"}},
			{name: "glossary synonym", q: models.SearchQuery{Text: "shopper"}, anyWant: []string{"customer/profiles", "sales/orders"}},
			{name: "domain name", q: models.SearchQuery{Text: "supply chain"},
				anyWant: []string{"supply-chain/footfall", "supply-chain/shipments", "supply-chain/stock"}},
			{name: "team name", q: models.SearchQuery{Text: "360"}, want: []string{"customer/profiles"}},
			{name: "tag", q: models.SearchQuery{Text: "kpi"}, want: []string{"sales/daily-revenue"}},
			{name: "name beats summary beats description", q: models.SearchQuery{Text: "hourly"},
				want: []string{"supply-chain/footfall", "supply-chain/stock", "sales/orders"}},
			{name: "name beats description", q: models.SearchQuery{Text: "revenue"},
				want: []string{"sales/daily-revenue", "sales/orders"}},
			{name: "unknown word", q: models.SearchQuery{Text: "xylophone"}, want: []string{}},

			{name: "browse everything", q: models.SearchQuery{Sort: models.SortName}, want: []string{
				"customer/profiles", "sales/daily-revenue", "supply-chain/footfall", "sales/orders", "supply-chain/shipments", "supply-chain/stock"}},
			{name: "one domain", q: models.SearchQuery{Domains: []string{"supply-chain"}},
				anyWant: []string{"supply-chain/footfall", "supply-chain/shipments", "supply-chain/stock"}},
			{name: "two domains", q: models.SearchQuery{Domains: []string{"sales", "customer"}},
				anyWant: []string{"customer/profiles", "sales/daily-revenue", "sales/orders"}},
			{name: "domains and classification", q: models.SearchQuery{Domains: []string{"sales", "customer"}, Classifications: []string{models.ClassInternal}},
				anyWant: []string{"sales/daily-revenue", "sales/orders"}},
			{name: "two tags", q: models.SearchQuery{Tags: []string{"core", "kpi"}},
				anyWant: []string{"customer/profiles", "sales/daily-revenue", "sales/orders", "supply-chain/stock"}},
			{name: "tag and domain", q: models.SearchQuery{Tags: []string{"core"}, Domains: []string{"supply-chain"}}, want: []string{"supply-chain/stock"}},
			{name: "team", q: models.SearchQuery{Teams: []string{"supply-chain/inventory"}},
				anyWant: []string{"supply-chain/footfall", "supply-chain/stock"}},
			{name: "team by bare slug", q: models.SearchQuery{Teams: []string{"logistics"}}, want: []string{"supply-chain/shipments"}},
			{name: "status", q: models.SearchQuery{Statuses: []string{models.StatusDeprecated}}, want: []string{"supply-chain/shipments"}},
			{name: "text and facet", q: models.SearchQuery{Text: "shop", Domains: []string{"sales"}},
				anyWant: []string{"sales/daily-revenue", "sales/orders"}},
			{name: "unknown domain", q: models.SearchQuery{Domains: []string{"nowhere"}}, want: []string{}},

			{name: "sort by name", q: models.SearchQuery{Text: "shop", Sort: models.SortName}, // shopper is a synonym of Customer
				want: []string{"customer/profiles", "sales/daily-revenue", "supply-chain/footfall", "sales/orders", "supply-chain/shipments"}},
			{name: "page 2", q: models.SearchQuery{Sort: models.SortName, PageSize: 2, Page: 2}, total: 6,
				want: []string{"supply-chain/footfall", "sales/orders"}},
			{name: "page 3", q: models.SearchQuery{Sort: models.SortName, PageSize: 2, Page: 3}, total: 6,
				want: []string{"supply-chain/shipments", "supply-chain/stock"}},
			{name: "past the last page", q: models.SearchQuery{Sort: models.SortName, PageSize: 2, Page: 9}, total: 6, want: []string{}},

			{name: "draft hidden from outsiders", q: models.SearchQuery{Text: "refunds"}, want: []string{}},
			{name: "draft hidden from team members", as: "member", q: models.SearchQuery{Text: "refunds"}, want: []string{}},
			{name: "draft shown to its owner", as: "owner", q: models.SearchQuery{Text: "refunds"}, want: []string{"sales/refunds"}},
			{name: "draft shown to admins", as: "admin", q: models.SearchQuery{Text: "refunds"}, want: []string{"sales/refunds"}},
			{name: "draft filtered as owner", as: "owner", q: models.SearchQuery{Statuses: []string{models.StatusDraft}}, want: []string{"sales/refunds"}},
			{name: "draft words suggest nothing to outsiders", q: models.SearchQuery{Text: "zanzibr"}, want: []string{}},
			{name: "draft words corrected for the owner", as: "owner", q: models.SearchQuery{Text: "zanzibr"}, suggest: "zanzibar",
				want: []string{"sales/refunds"}},
			{name: "drafts counted for the owner", as: "owner", q: models.SearchQuery{}, total: 7},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				u := users[c.as]
				if u == nil {
					u = w.outsider
				}
				res := w.search(t, u, c.q)
				got := refs(res)
				switch {
				case c.want != nil && !reflect.DeepEqual(got, c.want):
					t.Errorf("hits = %v, want %v", got, c.want)
				case c.anyWant != nil && !reflect.DeepEqual(sortedCopy(got), sortedCopy(c.anyWant)):
					t.Errorf("hits = %v, want %v in any order", got, c.anyWant)
				case c.first != "" && (len(got) == 0 || got[0] != c.first):
					t.Errorf("hits = %v, want %s first", got, c.first)
				}
				if res.Suggestion != c.suggest {
					t.Errorf("suggestion = %q, want %q", res.Suggestion, c.suggest)
				}
				if c.total != 0 && res.Total != c.total {
					t.Errorf("total = %d, want %d", res.Total, c.total)
				}
				if c.total == 0 && c.want != nil && c.q.PageSize == 0 && res.Total != int64(len(c.want)) {
					t.Errorf("total = %d, want %d", res.Total, len(c.want))
				}
			})
		}
	})
}

// TestSearchFacets checks the counts beside each filter: the query with
// every other facet's selection applied.
func TestSearchFacets(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newSearchWorld(t, db)
		res := w.search(t, w.outsider, models.SearchQuery{})
		want := map[string][]string{
			models.FacetDomain:         {"customer=1", "sales=2", "supply-chain=3"},
			models.FacetTeam:           {"customer/profiles=1", "supply-chain/inventory=2", "supply-chain/logistics=1", "sales/orders=1", "sales/analytics=1"},
			models.FacetStatus:         {"published=5", "deprecated=1"},
			models.FacetClassification: {"public=2", "internal=2", "confidential=1", "restricted=1"},
			models.FacetTag:            {"core=3", "delivery=1", "finance=1", "kpi=1", "pii=1", "sales=1", "shops=1"},
		}
		for facet, w := range want {
			if got := facetCounts(res, facet); !reflect.DeepEqual(got, w) {
				t.Errorf("everything: %s = %v, want %v", facet, got, w)
			}
		}
		if res.Total != 6 || res.Sort != models.SortUpdated {
			t.Errorf("everything: total %d, sort %s; want 6, updated", res.Total, res.Sort)
		}
		if f := res.Facets[models.FacetTeam]; len(f) > 0 && f[0].Label != "Customer 360" {
			t.Errorf("first team label = %q, want Customer 360", f[0].Label)
		}

		// Selecting a domain narrows the other facets, not its own.
		res = w.search(t, w.outsider, models.SearchQuery{Domains: []string{"supply-chain"}})
		want = map[string][]string{
			models.FacetDomain:         {"customer=1", "sales=2", "supply-chain=3*"},
			models.FacetStatus:         {"published=2", "deprecated=1"},
			models.FacetClassification: {"public=2", "restricted=1"},
			models.FacetTag:            {"core=1", "delivery=1", "shops=1"},
		}
		for facet, w := range want {
			if got := facetCounts(res, facet); !reflect.DeepEqual(got, w) {
				t.Errorf("supply chain: %s = %v, want %v", facet, got, w)
			}
		}

		// Text, two facets and a selected value nothing has.
		res = w.search(t, w.outsider, models.SearchQuery{Text: "shop", Domains: []string{"sales", "customer"},
			Classifications: []string{models.ClassInternal}, Tags: []string{"nothing-has-this"}})
		want = map[string][]string{
			models.FacetDomain:         {"customer=0*", "sales=0*"},
			models.FacetClassification: {"internal=0*"},
			models.FacetTag:            {"core=1", "finance=1", "kpi=1", "sales=1", "nothing-has-this=0*"},
		}
		for facet, w := range want {
			if got := facetCounts(res, facet); !reflect.DeepEqual(got, w) {
				t.Errorf("shop: %s = %v, want %v", facet, got, w)
			}
		}
		if res.Total != 0 || len(res.Hits) != 0 {
			t.Errorf("shop with a tag nothing has: %d results", res.Total)
		}
	})
}

// TestSearchSorts checks the recently updated and most used orders.
func TestSearchSorts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newSearchWorld(t, db)
		stock := w.products["supply-chain/stock"]
		in, err := w.s.InputOf(w.ctx, stock)
		if err != nil {
			t.Fatal(err)
		}
		in.Summary = "Units in every warehouse, every hour."
		if _, err := w.s.UpdateProduct(w.ctx, w.admin, stock, in); err != nil {
			t.Fatal(err)
		}
		res := w.search(t, w.outsider, models.SearchQuery{Sort: models.SortUpdated})
		if got := refs(res); len(got) != 6 || got[0] != "supply-chain/stock" {
			t.Errorf("recently updated = %v, want the stock first", got)
		}
		for i := 1; i < len(res.Hits); i++ {
			if res.Hits[i].UpdatedAt.After(res.Hits[i-1].UpdatedAt) {
				t.Errorf("recently updated: %s after %s", res.Hits[i].Slug, res.Hits[i-1].Slug)
			}
		}

		if err := w.s.SetProductUsage(w.ctx, w.products["supply-chain/shipments"].ID, 50); err != nil {
			t.Fatal(err)
		}
		if err := w.s.SetProductUsage(w.ctx, w.products["sales/orders"].ID, 10); err != nil {
			t.Fatal(err)
		}
		res = w.search(t, w.outsider, models.SearchQuery{Sort: models.SortUsage})
		want := []string{"supply-chain/shipments", "sales/orders", "customer/profiles", "sales/daily-revenue", "supply-chain/footfall", "supply-chain/stock"}
		if got := refs(res); !reflect.DeepEqual(got, want) {
			t.Errorf("most used = %v, want %v", got, want)
		}
		if res.Hits[0].Usage != 50 {
			t.Errorf("usage of the first = %d, want 50", res.Hits[0].Usage)
		}

		// Relevance without text makes no sense: it falls back to recently updated.
		if res = w.search(t, w.outsider, models.SearchQuery{Sort: models.SortRelevance}); res.Sort != models.SortUpdated {
			t.Errorf("relevance without text sorted by %s", res.Sort)
		}
		if res = w.search(t, w.outsider, models.SearchQuery{Text: "shop", Sort: "bogus"}); res.Sort != models.SortRelevance {
			t.Errorf("unknown sort with text sorted by %s", res.Sort)
		}
	})
}

// TestSearchHits checks what a result card gets.
func TestSearchHits(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newSearchWorld(t, db)
		res := w.search(t, w.outsider, models.SearchQuery{Text: "orders"})
		if len(res.Hits) == 0 || res.Hits[0].Slug != "orders" {
			t.Fatalf("hits = %v", refs(res))
		}
		h := res.Hits[0]
		if h.DomainName != "Sales" || h.TeamSlug != "orders" || h.TeamName != "Orders" || h.Status != models.StatusPublished ||
			h.Classification != models.ClassInternal || h.Version != "1.0.0" || h.PublishedAt == nil ||
			!reflect.DeepEqual(h.Tags, []string{"core", "sales"}) || h.Path() != "/products/sales/orders" || h.Snippet != "" {
			t.Errorf("hit = %+v", h)
		}
		res = w.search(t, w.outsider, models.SearchQuery{Text: "till"})
		if len(res.Hits) != 1 || res.Hits[0].Snippet != "One row per order, updated hourly from the till systems. Feeds the revenue reports." {
			t.Errorf("description snippet: %+v", res.Hits)
		}
		res = w.search(t, w.outsider, models.SearchQuery{Text: "shopper"})
		for _, h := range res.Hits {
			if h.Snippet != "Column customer_id: Who ordered (Customer: client, shopper)" && h.Snippet != "Column customer_id (Customer: client, shopper)" {
				t.Errorf("%s: column snippet %q", h.Slug, h.Snippet)
			}
		}
		if _, err := w.s.SearchProducts(w.ctx, nil, models.SearchQuery{Text: "orders"}); !errors.Is(err, models.ErrUnauthenticated) {
			t.Errorf("nobody signed in: %v", err)
		}
	})
}

// TestSearchHostileInput feeds query syntax, quotes and garbage: each
// search returns results or nothing, never an error.
func TestSearchHostileInput(t *testing.T) {
	inputs := []string{
		`"`, `""`, `"""`, `'`, `''`, `*`, `**`, `-`, `--`, `:`, `(`, `)`, `()`, `^`, `+`, `{`, `}`, `[`, `]`, `\`, `\\`, `\'`, `%`, `_`, `&`, `|`, `!`, `<->`, `:*`,
		`AND`, `OR`, `NOT`, `AND OR NOT`, `NEAR`, `NEAR(`, `NEAR(orders customer, 2)`, `orders NOT`, `OR orders`,
		`"orders`, `orders"`, `"orders"`, `orders*`, `*orders`, `-orders`, `orders -customer`, `name:orders`, `{name}: orders`,
		`name : orders`, `^orders`, `orders +shop`, `(orders OR`, `orders) AND (`, `'orders'`, `orders'`, `o'brien`, `orders & shop`,
		`orders | shop`, `!orders`, `orders:*`, `'orders':* & !`, `\"orders\"`, `orders\`, `%orders%`, `orders_`, `_orders`,
		`'; DROP TABLE products; --`, `" OR 1=1 --`, `$1`, `?`, `@name`, `:name`,
		"orders\x00shop", "\x00", "\xff\xfe", "orders\xff", "\t\n\r", "ｏｒｄｅｒｓ", "Ørders", "日本語のデータ", "😀", "orders 😀 shop",
		"e\u0301", "\u0301", "\u200b", "\u202e", "ﷺ", "ǅ", "𞤀𞤁", "orders 𞤀", "ﬁnance", "İstanbul", "Ⓐ", "x²", strings.Repeat("a", 5000), strings.Repeat("orders ", 500),
		strings.Repeat(`"(`, 300), strings.Repeat("ab ", 50),
	}
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newSearchWorld(t, db)
		for _, in := range inputs {
			for _, sort := range []string{"", models.SortName} {
				res, err := w.s.SearchProducts(w.ctx, w.outsider, models.SearchQuery{Text: in, Sort: sort, Tags: []string{"no-such-tag" + in}})
				if err != nil {
					t.Errorf("%q: %v", in, err)
					continue
				}
				if res.Total != 0 || res.Suggestion != "" && !utf8.ValidString(res.Suggestion) {
					t.Errorf("%q with an impossible tag: %d results, suggestion %q", in, res.Total, res.Suggestion)
				}
				if _, err := w.s.SearchProducts(w.ctx, w.outsider, models.SearchQuery{Text: in, Sort: sort}); err != nil {
					t.Errorf("%q: %v", in, err)
				}
			}
		}
		// Operators are words like any other: quoting or starring a name still finds it.
		for _, in := range []string{`"orders"`, `orders*`, `NEAR(orders`, `-orders`, `{orders}`, `'orders'`, `orders:*`, `(orders)`} {
			res := w.search(t, w.outsider, models.SearchQuery{Text: in})
			if got := refs(res); len(got) == 0 || got[0] != "sales/orders" {
				t.Errorf("%q: %v, want orders first", in, got)
			}
		}
	})
}

// TestSearchFollowsChanges checks that the index follows every write:
// renames (old words stop matching), status changes, a team, domain or
// glossary term renamed, and a full reindex.
func TestSearchFollowsChanges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newSearchWorld(t, db)
		find := func(text string) []string { return refs(w.search(t, w.outsider, models.SearchQuery{Text: text})) }
		want := func(text string, refs ...string) {
			t.Helper()
			if got := find(text); !reflect.DeepEqual(sortedCopy(got), sortedCopy(refs)) {
				t.Errorf("%q finds %v, want %v", text, got, refs)
			}
		}

		stock := w.products["supply-chain/stock"]
		in, err := w.s.InputOf(w.ctx, stock)
		if err != nil {
			t.Fatal(err)
		}
		in.Name, in.Slug = "Warehouse positions", "warehouse-positions"
		in.OutputPorts[0].Columns[1].Name = "bin_location"
		if _, err := w.s.UpdateProduct(w.ctx, w.admin, stock, in); err != nil {
			t.Fatal(err)
		}
		want("positions", "supply-chain/warehouse-positions")
		want("hand")
		want("warehouse_code")
		want("bin_location", "supply-chain/warehouse-positions")

		refunds := w.products["sales/refunds"]
		want("refunds")
		if _, err := w.s.SetProductStatus(w.ctx, w.owner, refunds, models.StatusPublished, ""); err != nil {
			t.Fatal(err)
		}
		want("refunds", "sales/refunds")
		res := w.search(t, w.outsider, models.SearchQuery{Statuses: []string{models.StatusPublished}})
		if res.Total != 6 {
			t.Errorf("published after publishing the draft: %d, want 6", res.Total)
		}

		// Searched before each rename, so a remembered answer would show.
		want("360", "customer/profiles")
		want("supply chain", "supply-chain/footfall", "supply-chain/shipments", "supply-chain/warehouse-positions")
		want("shopper", "customer/profiles", "sales/orders")

		profiles, err := w.s.TeamBySlug(w.ctx, "customer", "profiles")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.UpdateTeam(w.ctx, w.admin, profiles, models.TeamInput{Slug: "profiles", Name: "Customer Hub"}); err != nil {
			t.Fatal(err)
		}
		want("hub", "customer/profiles")
		want("360")

		if _, err := w.s.UpdateDomain(w.ctx, w.admin, "supply-chain", models.DomainInput{Slug: "supply-chain", Name: "Operations"}); err != nil {
			t.Fatal(err)
		}
		want("operations", "supply-chain/footfall", "supply-chain/shipments", "supply-chain/warehouse-positions")
		want("supply chain")

		if _, err := w.s.UpdateTerm(w.ctx, w.admin, w.term, models.TermInput{Slug: "customer", Name: "Customer",
			Definition: w.term.Definition, Synonyms: "client, patron"}); err != nil {
			t.Fatal(err)
		}
		want("patron", "customer/profiles", "sales/orders")
		want("shopper")
		if res := w.search(t, w.outsider, models.SearchQuery{Text: "patrn"}); res.Suggestion != "patron" || res.Total != 2 {
			t.Errorf("typo of a new synonym: suggestion %q, %d results", res.Suggestion, res.Total)
		}

		// Plaza does not delete products, but a row deleted by hand must not linger.
		if err := db.Delete(&models.Product{}, w.products["supply-chain/footfall"].ID).Error; err != nil {
			t.Fatal(err)
		}
		want("footfall")
		if res := w.search(t, w.outsider, models.SearchQuery{}); res.Total != 6 {
			t.Errorf("after deleting a product: %d results, want 6", res.Total)
		}

		if err := w.s.SetProductUsage(w.ctx, w.products["sales/orders"].ID, 7); err != nil {
			t.Fatal(err)
		}
		before := w.search(t, w.admin, models.SearchQuery{Sort: models.SortName})
		if err := w.s.ReindexAll(w.ctx); err != nil {
			t.Fatal(err)
		}
		after := w.search(t, w.admin, models.SearchQuery{Sort: models.SortName})
		if !reflect.DeepEqual(refs(before), refs(after)) || !reflect.DeepEqual(before.Facets, after.Facets) {
			t.Errorf("after reindexing: %v, want %v", refs(after), refs(before))
		}
		want("patron", "customer/profiles", "sales/orders")
		if res := w.search(t, w.admin, models.SearchQuery{Sort: models.SortUsage}); res.Hits[0].Slug != "orders" || res.Hits[0].Usage != 7 {
			t.Errorf("usage lost by reindexing: %+v", res.Hits[0])
		}
	})
}

// TestSearchDemoCatalog searches the demo company's catalog for every
// product's name, as typed and with a letter missing: the product must be
// among the first three results.
func TestSearchDemoCatalog(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		s, admin, _ := seeded(t, db)
		var products []models.Product
		if err := db.Preload("Domain").Find(&products).Error; err != nil {
			t.Fatal(err)
		}
		if len(products) == 0 {
			t.Skip("the demo has no products")
		}
		for _, p := range products {
			ref := p.Domain.Slug + "/" + p.Slug
			texts := []string{p.Name}
			longest := ""
			for _, word := range strings.Fields(p.Name) {
				if utf8.RuneCountInString(word) > utf8.RuneCountInString(longest) {
					longest = word
				}
			}
			if r := []rune(longest); len(r) >= 6 {
				texts = append(texts, strings.Replace(p.Name, longest, string(r[:len(r)/2])+string(r[len(r)/2+1:]), 1))
			}
			for _, text := range texts {
				res, err := s.SearchProducts(t.Context(), admin, models.SearchQuery{Text: text, PageSize: 3})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Contains(refs(res), ref) {
					t.Errorf("%q: %v (suggestion %q), want %s among them", text, refs(res), res.Suggestion, ref)
				}
			}
		}
	})
}

// TestSearchWhileWriting searches from several goroutines while products
// change, for the race detector and the cache's refresh.
func TestSearchWhileWriting(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newSearchWorld(t, db)
		done := make(chan struct{})
		errs := make(chan error, 4)
		for range 3 {
			go func() {
				for {
					select {
					case <-done:
						errs <- nil
						return
					default:
					}
					if _, err := w.s.SearchProducts(w.ctx, w.outsider, models.SearchQuery{Text: "shop", Tags: []string{"core"}}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		stock := w.products["supply-chain/stock"]
		for i := range 10 {
			in, err := w.s.InputOf(w.ctx, stock)
			if err != nil {
				t.Fatal(err)
			}
			in.Summary = fmt.Sprintf("Units in every warehouse, revision %d.", i)
			if stock, err = w.s.UpdateProduct(w.ctx, w.admin, stock, in); err != nil {
				t.Fatal(err)
			}
		}
		close(done)
		for range 3 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if got := refs(w.search(t, w.outsider, models.SearchQuery{Text: "revision 9"})); !reflect.DeepEqual(got, []string{"supply-chain/stock"}) {
			t.Errorf("after the last update: %v", got)
		}
	})
}

// TestSearchRanksBroadQueries checks the ranking used when a query matches
// too many products for the database to rank: on a generated catalog, the
// first page of a word in a third of the products holds products with the
// word in their name.
func TestSearchRanksBroadQueries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := t.Context()
		s := models.NewStore(db)
		u, err := catalog.Generate(ctx, s, 4000)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ReindexAll(ctx); err != nil {
			t.Fatal(err)
		}
		res, err := s.SearchProducts(ctx, u, models.SearchQuery{Text: "cust"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total < 1500 || len(res.Hits) != models.DefaultSearchPageSize {
			t.Fatalf("%d results, %d hits: want a broad query", res.Total, len(res.Hits))
		}
		for _, h := range res.Hits {
			if !strings.Contains(strings.ToLower(h.Name), "cust") {
				t.Errorf("%q on the first page of %d results, without the word in its name", h.Name, res.Total)
			}
		}
	})
}

// TestSearchCacheAfterWrites compares, after each of a series of writes,
// the searches of a store whose cache followed every write with those of a
// new store, which reads the whole index afresh: hits, totals, facets and
// suggestions must be the same.
func TestSearchCacheAfterWrites(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newSearchWorld(t, db)
		queries := []models.SearchQuery{
			{}, {Sort: models.SortName}, {Text: "shop"}, {Text: "hourly"}, {Text: "customer"}, {Text: "orders", Sort: models.SortUpdated},
			{Text: "wa"}, {Text: "shopper"}, {Text: "custmer"}, {Text: "warehouse units"}, {Text: "sales"}, {Text: "returns"},
			{Text: "shop", Tags: []string{"core"}, Domains: []string{"sales"}}, {Tags: []string{"delivery", "kpi"}},
			{Statuses: []string{models.StatusDraft}}, {Text: "ledger"}, {Text: "revision"},
		}
		users := []*models.User{w.outsider, w.owner, w.admin}
		check := func(step string) {
			t.Helper()
			fresh := models.NewStore(db)
			for _, u := range users {
				for _, q := range queries {
					got, err := w.s.SearchProducts(w.ctx, u, q)
					if err != nil {
						t.Fatal(err)
					}
					want, err := fresh.SearchProducts(w.ctx, u, q)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(refs(got), refs(want)) || got.Total != want.Total || got.Suggestion != want.Suggestion ||
						!reflect.DeepEqual(got.Facets, want.Facets) {
						t.Errorf("%s, %s searching %+v:\n got %v (%d, %q) %v\nwant %v (%d, %q) %v", step, u.Email, q,
							refs(got), got.Total, got.Suggestion, got.Facets, refs(want), want.Total, want.Suggestion, want.Facets)
					}
				}
			}
		}
		check("at first")

		update := func(ref string, change func(in *models.ProductInput)) {
			t.Helper()
			p, err := w.s.ProductBySlug(w.ctx, strings.Split(ref, "/")[0], strings.Split(ref, "/")[1])
			if err != nil {
				t.Fatal(err)
			}
			in, err := w.s.InputOf(w.ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			change(&in)
			if _, err := w.s.UpdateProduct(w.ctx, w.admin, p, in); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 12 {
			update("supply-chain/stock", func(in *models.ProductInput) {
				in.Summary = fmt.Sprintf("Units in every warehouse, revision %d.", i)
				in.Tags = []string{"core", fmt.Sprintf("rev-%d", i%3)}
			})
			check(fmt.Sprintf("after revision %d", i))
		}
		update("sales/orders", func(in *models.ProductInput) {
			in.Name, in.Description = "Order ledger", "Every order, as the ledger books it."
			in.OutputPorts[0].Columns[1].Term = ""
		})
		check("after renaming orders")
		update("supply-chain/footfall", func(in *models.ProductInput) { in.Team = "logistics"; in.Tags = []string{"delivery"} })
		check("after moving footfall to another team")
		if _, err := w.s.SetProductStatus(w.ctx, w.owner, w.products["sales/refunds"], models.StatusPublished, ""); err != nil {
			t.Fatal(err)
		}
		check("after publishing the draft")
		if err := w.s.SetProductUsage(w.ctx, w.products["customer/profiles"].ID, 3); err != nil {
			t.Fatal(err)
		}
		check("after recording usage")
		if _, err := w.s.UpdateDomain(w.ctx, w.admin, "sales", models.DomainInput{Slug: "sales", Name: "Retail Sales"}); err != nil {
			t.Fatal(err)
		}
		check("after renaming a domain")
		if _, err := w.s.UpdateTerm(w.ctx, w.admin, w.term, models.TermInput{Slug: "customer", Name: "Customer",
			Definition: w.term.Definition, Synonyms: "client, shopper, warehouse"}); err != nil {
			t.Fatal(err)
		}
		check("after changing a glossary term")
		if err := w.s.ReindexAll(w.ctx); err != nil {
			t.Fatal(err)
		}
		check("after reindexing")
	})
}

// TestSearchWordsOfAnyScript checks that the words of a product's text
// are cut and lower-cased as the words of a query are: each word of the
// text, typed as it is written, finds the product.
func TestSearchWordsOfAnyScript(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		w := newSearchWorld(t, db)
		text := "Ørders ÜBER-Straße café e\u0301t\u00e9 İstanbul ǅemal ΣΟΦΊΑ 日本語のデータ x² ﬁnance Ⓐnd naïve_fold 𞤀𞤁 a\u200bb"
		in := models.ProductInput{Slug: "unicode", Name: "Unicode words", Team: "orders", Classification: models.ClassInternal,
			Summary: "Words of many scripts.", Description: text}
		if _, err := w.s.CreateProduct(w.ctx, w.admin, "sales", in); err != nil {
			t.Fatal(err)
		}
		for _, word := range strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == '-' || r == '_' }) {
			res := w.search(t, w.admin, models.SearchQuery{Text: word}) // a draft, which admins see
			if !slices.Contains(refs(res), "sales/unicode") {
				t.Errorf("%q finds %v, want sales/unicode among them", word, refs(res))
			}
		}
	})
}
