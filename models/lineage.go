package models

// A product's lineage as a graph: the products and landing folders it is
// built from, two levels up, and the products built on it, two levels down.
// Both what owners declare (input ports) and what pipelines read count, as
// in Store.Lineage. The graph is walked one level at a time, one query per
// direction and level plus one for the products found, so a wide lineage
// costs the same handful of queries as a narrow one.

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Kinds of lineage node.
const (
	LineageProduct = "product"
	LineageLanding = "landing" // files in a domain's landing folder, matched by a glob
)

// LineageDepth is how many levels the graph reaches up and down.
const LineageDepth = 2

// LineageMaxNodes is how many nodes a product page draws at most.
const LineageMaxNodes = 40

// LineageNode is a product or a landing folder in a lineage graph.
type LineageNode struct {
	Key            string // unique in the graph: product:<domain>/<slug> or landing:<domain>/<glob>
	Kind           string // LineageProduct or LineageLanding
	Label          string // the product's name, or the landing glob
	Domain         string // domain slug: the product's, or the landing folder's
	URL            string // the product's page, or the domain's landing folder
	Classification string // products only
	Status         string // products only
	Level          int    // <0 upstream, 0 the product itself, >0 downstream
}

// Current reports whether the node is the product the graph is about.
func (n LineageNode) Current() bool { return n.Level == 0 }

// Path names the node the way people write it: domain/product or domain/glob.
func (n LineageNode) Path() string {
	_, p, _ := strings.Cut(n.Key, ":")
	return p
}

// LineageEdge says that To reads From.
type LineageEdge struct {
	From  string   // node key of the source
	To    string   // node key of the consumer
	Ports []string // the source's output ports read, when named; sorted
}

// LineageGraph is a product's lineage, ready to draw.
type LineageGraph struct {
	Nodes   []LineageNode // by level, then products before landing, domain, label
	Edges   []LineageEdge // by From, then To
	Omitted int           // nodes found but left out to keep the graph small
}

// Node returns the node with key, if the graph holds it.
func (g *LineageGraph) Node(key string) (LineageNode, bool) {
	for _, n := range g.Nodes {
		if n.Key == key {
			return n, true
		}
	}
	return LineageNode{}, false
}

// Sources lists the nodes that key reads, in the graph's order.
func (g *LineageGraph) Sources(key string) []LineageNode {
	from := map[string]bool{}
	for _, e := range g.Edges {
		if e.To == key {
			from[e.From] = true
		}
	}
	var out []LineageNode
	for _, n := range g.Nodes {
		if from[n.Key] {
			out = append(out, n)
		}
	}
	return out
}

// lineageLink is one input of a product: an upstream product's port or a
// landing glob, declared on the product or read by one of its pipelines.
type lineageLink struct {
	ConsumerID uint
	UpstreamID *uint
	Port       string
	Landing    string
	Piped      int // 1 when a pipeline reads it
}

// The inputs of some products, and the inputs that read some products.
// Landing globs are kept only by the upstream query: landing is where
// lineage starts.
const (
	lineageUpSQL = `SELECT product_id AS consumer_id, upstream_product_id AS upstream_id,
	COALESCE(upstream_port, '') AS port, COALESCE(landing, '') AS landing, 0 AS piped
FROM input_ports WHERE product_id IN ?
UNION ALL
SELECT pipelines.product_id, pipeline_inputs.upstream_product_id,
	COALESCE(pipeline_inputs.upstream_port, ''), COALESCE(pipeline_inputs.landing, ''), 1
FROM pipeline_inputs JOIN pipelines ON pipelines.id = pipeline_inputs.pipeline_id
WHERE pipelines.product_id IN ?`
	lineageDownSQL = `SELECT product_id AS consumer_id, upstream_product_id AS upstream_id,
	COALESCE(upstream_port, '') AS port, '' AS landing, 0 AS piped
FROM input_ports WHERE upstream_product_id IN ?
UNION ALL
SELECT pipelines.product_id, pipeline_inputs.upstream_product_id,
	COALESCE(pipeline_inputs.upstream_port, ''), '', 1
FROM pipeline_inputs JOIN pipelines ON pipelines.id = pipeline_inputs.pipeline_id
WHERE pipeline_inputs.upstream_product_id IN ?`
)

// LineageGraph walks p's lineage LineageDepth levels up and down and keeps
// at most maxNodes nodes (LineageMaxNodes when maxNodes <= 0), nearer levels
// first. A product reached both ways, or twice through a cycle, appears once,
// at the level where it was first found (upstream wins a tie); edges that
// close a cycle are kept. A product's landing inputs are those its pipelines
// read; for a product without pipelines in Plaza, those its owners declared.
// It costs at most 3 queries per level (2 x LineageDepth levels).
func (s *Store) LineageGraph(ctx context.Context, p *Product, maxNodes int) (*LineageGraph, error) {
	if maxNodes <= 0 {
		maxNodes = LineageMaxNodes
	}
	w := lineageWalk{
		nodes: map[string]*LineageNode{}, keyOf: map[uint]string{}, left: map[string]bool{},
		edges: map[[2]string]map[string]bool{}, max: maxNodes,
	}
	self := productNode(p.ID, p.Domain.Slug, p.Slug, p.Name, p.Classification, p.Status, 0)
	w.admit(p.ID, self)

	up, down := []uint{p.ID}, []uint{p.ID}
	for level := 1; level <= LineageDepth && (len(up) > 0 || len(down) > 0); level++ {
		var ups, downs []lineageLink
		if len(up) > 0 {
			if err := s.db(ctx).Raw(lineageUpSQL, up, up).Scan(&ups).Error; err != nil {
				return nil, fmt.Errorf("lineage of %s, %d up: %w", p.Slug, level, err)
			}
		}
		if len(down) > 0 {
			if err := s.db(ctx).Raw(lineageDownSQL, down, down).Scan(&downs).Error; err != nil {
				return nil, fmt.Errorf("lineage of %s, %d down: %w", p.Slug, level, err)
			}
		}
		ups = pipelineLandingOnly(ups)

		// The products met for the first time, loaded in one query.
		var ids []uint
		for _, l := range ups {
			if l.UpstreamID != nil {
				ids = append(ids, *l.UpstreamID)
			}
		}
		for _, l := range downs {
			ids = append(ids, l.ConsumerID)
		}
		found, err := s.lineageProducts(ctx, w.unknown(ids))
		if err != nil {
			return nil, fmt.Errorf("lineage of %s, %d levels: %w", p.Slug, level, err)
		}

		// Candidates for this level: upstream first, so a product both
		// reads and feeds p is drawn upstream.
		cands := map[string]lineageCand{}
		for _, l := range ups {
			switch {
			case l.UpstreamID != nil:
				if n, ok := found[*l.UpstreamID]; ok {
					n.Level = -level
					cands[n.Key] = lineageCand{id: *l.UpstreamID, node: n}
				}
			case l.Landing != "":
				consumer := w.nodes[w.keyOf[l.ConsumerID]]
				n := landingNode(consumer.Domain, l.Landing, -level)
				if w.nodes[n.Key] == nil && !w.left[n.Key] {
					cands[n.Key] = lineageCand{node: n}
				}
			}
		}
		for _, l := range downs {
			if n, ok := found[l.ConsumerID]; ok {
				if _, seen := cands[n.Key]; !seen {
					n.Level = level
					cands[n.Key] = lineageCand{id: l.ConsumerID, node: n}
				}
			}
		}
		up, down = w.admitAll(cands)

		for _, l := range ups {
			to := w.keyOf[l.ConsumerID]
			if l.UpstreamID != nil {
				w.edge(w.keyOf[*l.UpstreamID], to, l.Port)
			} else if l.Landing != "" {
				w.edge(landingKey(w.nodes[to].Domain, l.Landing), to, "")
			}
		}
		for _, l := range downs {
			w.edge(w.keyOf[*l.UpstreamID], w.keyOf[l.ConsumerID], l.Port)
		}
	}
	return w.graph(), nil
}

// lineageProducts loads the products with ids as nodes (level 0), by id.
func (s *Store) lineageProducts(ctx context.Context, ids []uint) (map[uint]LineageNode, error) {
	out := map[uint]LineageNode{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID             uint
		DomainSlug     string
		Slug           string
		Name           string
		Classification string
		Status         string
	}
	err := s.db(ctx).Table("products").
		Select("products.id, domains.slug AS domain_slug, products.slug, products.name, products.classification, products.status").
		Joins("JOIN domains ON domains.id = products.domain_id").
		Where("products.id IN ?", ids).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = productNode(r.ID, r.DomainSlug, r.Slug, r.Name, r.Classification, r.Status, 0)
	}
	return out, nil
}

// pipelineLandingOnly drops the declared landing inputs of products whose
// pipelines say what they read: what runs is the truth, and declared globs
// often name the same files more loosely.
func pipelineLandingOnly(links []lineageLink) []lineageLink {
	piped := map[uint]bool{}
	for _, l := range links {
		if l.Piped == 1 {
			piped[l.ConsumerID] = true
		}
	}
	out := links[:0]
	for _, l := range links {
		if l.Landing != "" && l.Piped == 0 && piped[l.ConsumerID] {
			continue
		}
		out = append(out, l)
	}
	return out
}

func productNode(id uint, domain, slug, name, class, status string, level int) LineageNode {
	return LineageNode{
		Key: "product:" + domain + "/" + slug, Kind: LineageProduct, Label: name, Domain: domain,
		URL: "/products/" + domain + "/" + slug, Classification: class, Status: status, Level: level,
	}
}

func landingKey(domain, glob string) string { return "landing:" + domain + "/" + glob }

func landingNode(domain, glob string, level int) LineageNode {
	return LineageNode{Key: landingKey(domain, glob), Kind: LineageLanding, Label: glob, Domain: domain,
		URL: "/landing/" + domain, Level: level}
}

// lineageCand is a node found on a level, before the cap is applied.
type lineageCand struct {
	id   uint // product id; 0 for landing
	node LineageNode
}

// lineageWalk is the graph as it grows, level by level.
type lineageWalk struct {
	nodes   map[string]*LineageNode
	keyOf   map[uint]string // product id -> key, for admitted products
	left    map[string]bool // keys left out by the cap: never admitted later
	edges   map[[2]string]map[string]bool
	max     int
	omitted int
}

func (w *lineageWalk) admit(id uint, n LineageNode) {
	w.nodes[n.Key] = &n
	if id != 0 {
		w.keyOf[id] = n.Key
	}
}

// unknown lists the ids of ids not in the graph yet, once each.
func (w *lineageWalk) unknown(ids []uint) []uint {
	seen := map[uint]bool{}
	var out []uint
	for _, id := range ids {
		if _, ok := w.keyOf[id]; !ok && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// admitAll adds the candidates of one level while there is room, products
// before landing folders, then by domain and label, and returns the
// products added upstream and downstream: the next level's starting points.
func (w *lineageWalk) admitAll(cands map[string]lineageCand) (up, down []uint) {
	list := make([]lineageCand, 0, len(cands))
	for _, c := range cands {
		if w.nodes[c.node.Key] == nil && !w.left[c.node.Key] {
			list = append(list, c)
		}
	}
	sort.Slice(list, func(i, j int) bool { return nodeLess(list[i].node, list[j].node) })
	for _, c := range list {
		if len(w.nodes) >= w.max {
			w.left[c.node.Key] = true
			w.omitted++
			continue
		}
		w.admit(c.id, c.node)
		switch {
		case c.id == 0:
		case c.node.Level < 0:
			up = append(up, c.id)
		default:
			down = append(down, c.id)
		}
	}
	return up, down
}

// edge records that to reads from, when both are in the graph.
func (w *lineageWalk) edge(from, to, port string) {
	if from == "" || to == "" || from == to || w.nodes[from] == nil || w.nodes[to] == nil {
		return
	}
	k := [2]string{from, to}
	if w.edges[k] == nil {
		w.edges[k] = map[string]bool{}
	}
	if port != "" {
		w.edges[k][port] = true
	}
}

func (w *lineageWalk) graph() *LineageGraph {
	g := &LineageGraph{Omitted: w.omitted}
	for _, n := range w.nodes {
		g.Nodes = append(g.Nodes, *n)
	}
	sort.Slice(g.Nodes, func(i, j int) bool {
		a, b := g.Nodes[i], g.Nodes[j]
		if a.Level != b.Level {
			return a.Level < b.Level
		}
		return nodeLess(a, b)
	})
	for k, ports := range w.edges {
		e := LineageEdge{From: k[0], To: k[1]}
		for p := range ports {
			e.Ports = append(e.Ports, p)
		}
		sort.Strings(e.Ports)
		g.Edges = append(g.Edges, e)
	}
	sort.Slice(g.Edges, func(i, j int) bool {
		if g.Edges[i].From != g.Edges[j].From {
			return g.Edges[i].From < g.Edges[j].From
		}
		return g.Edges[i].To < g.Edges[j].To
	})
	return g
}

// nodeLess orders nodes of one level: products first, then by domain,
// label and key.
func nodeLess(a, b LineageNode) bool {
	if a.Kind != b.Kind {
		return a.Kind == LineageProduct
	}
	if a.Domain != b.Domain {
		return a.Domain < b.Domain
	}
	if a.Label != b.Label {
		return a.Label < b.Label
	}
	return a.Key < b.Key
}

// HideDrafts masks the draft products in g that u may not see (drafts are
// their team's and the admins' until published): such a node keeps its
// place and edges but loses its name and link.
func (s *Store) HideDrafts(ctx context.Context, u *User, g *LineageGraph) error {
	if u.IsAdmin {
		return nil
	}
	var drafts []string
	for _, n := range g.Nodes {
		if n.Kind == LineageProduct && n.Status == StatusDraft && !n.Current() {
			drafts = append(drafts, n.Path())
		}
	}
	if len(drafts) == 0 {
		return nil
	}
	var mine []string
	err := s.db(ctx).Table("products").Select("domains.slug || '/' || products.slug").
		Joins("JOIN domains ON domains.id = products.domain_id").
		Joins("JOIN memberships ON memberships.team_id = products.team_id AND memberships.user_id = ?", u.ID).
		Where("domains.slug || '/' || products.slug IN ?", drafts).Scan(&mine).Error
	if err != nil {
		return err
	}
	renamed := map[string]string{}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if n.Kind != LineageProduct || n.Status != StatusDraft || n.Current() || slices.Contains(mine, n.Path()) {
			continue
		}
		key := fmt.Sprintf("product:%s/draft-%d", n.Domain, len(renamed)+1)
		renamed[n.Key] = key
		n.Key, n.Label, n.URL, n.Classification = key, "A draft product", "/domains/"+n.Domain, ""
	}
	for i := range g.Edges {
		if k, ok := renamed[g.Edges[i].From]; ok {
			g.Edges[i].From = k
		}
		if k, ok := renamed[g.Edges[i].To]; ok {
			g.Edges[i].To = k
		}
	}
	return nil
}
