package models

// The marketplace search: full text over data products with facets, sorts,
// paging and typo tolerance. Everything but matching text is shared SQL;
// matching differs by database and lives behind searcher
// (search_sqlite.go: FTS5, search_postgres.go: tsvector).
//
// How it works, in the order a search runs:
//
//   - The user's text is split into words here, in Go (searchWords): runs of
//     letters and digits, lower-cased. Everything else (quotes, *, -, :,
//     parentheses, AND/OR/NOT are just words) is a separator, so no input
//     can reach the database as query syntax. Each word becomes a term that
//     matches as a prefix ("ord" finds "Orders"), with a trailing plural
//     dropped first ("orders" also finds "order"); every term must match.
//   - search_docs holds one row per product: its text in weighted parts
//     (name; summary and tags; description, ports, columns and glossary
//     terms; domain and team names) and copies of what we filter and sort
//     by. The database tokenizes the text. indexProduct rewrites the row in
//     the transaction of every product write; triggers (migration
//     0003_search) follow renames of domains, teams and glossary terms.
//   - One statement counts the total and every facet over the matches; a
//     second one returns the page in the chosen order; two small ones load
//     what the result cards show.
//   - When a query finds nothing, words the index does not know are
//     replaced by the most frequent indexed word one edit away (a
//     deletion, insertion, substitution or swap of neighbours), and the
//     search runs once more; Suggestion then says what was searched.

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
)

// Sorts of search results.
const (
	SortRelevance = "relevance" // best match first; the default with text
	SortUpdated   = "updated"   // recently updated first; the default without text
	SortName      = "name"
	SortUsage     = "usage" // most used first, then by name
)

// SearchSorts lists the sorts a search accepts.
var SearchSorts = []string{SortRelevance, SortUpdated, SortName, SortUsage}

// Facets of a search, the keys of SearchResult.Facets.
const (
	FacetDomain         = "domain"
	FacetTeam           = "team"
	FacetClassification = "classification"
	FacetStatus         = "status"
	FacetTag            = "tag"
)

// Page sizes of a search.
const (
	DefaultSearchPageSize = 20
	MaxSearchPageSize     = 100
	searchTopTags         = 30 // tags listed in the tag facet, besides the selected ones
	maxSearchWords        = 8  // words of a query beyond these are ignored
	maxSearchWordRunes    = 64 // longer words are cut
	maxSearchPage         = 100000
)

// SearchQuery is what a person asks the marketplace. Values within one
// facet OR together, facets AND together. Teams are "<domain>/<team>" (a
// bare team slug matches that slug in every domain).
type SearchQuery struct {
	Text            string
	Domains         []string // domain slugs
	Classifications []string
	Tags            []string
	Statuses        []string
	Teams           []string
	Sort            string // one of SearchSorts; "" picks relevance with text, updated without
	Page            int    // 1-based
	PageSize        int    // default DefaultSearchPageSize, at most MaxSearchPageSize
}

// SearchResult is one page of results with the facet counts of the query.
type SearchResult struct {
	Hits  []ProductHit
	Total int64
	Page  Page   // number, size and total, for the pager
	Sort  string // the sort applied
	// Facets maps each facet to its values. A value's count is the number
	// of results the query would have with that value selected and every
	// other facet's selection kept: selecting more values of one facet
	// widens the results, the other facets narrow them.
	Facets map[string][]FacetCount
	// Suggestion is set when nothing matched the text as typed and the
	// results are for the corrected text it holds ("custmer" -> "customer").
	Suggestion string
}

// FacetCount is one value of a facet.
type FacetCount struct {
	Value    string // what SearchQuery takes: a slug, "<domain>/<team>", a status
	Label    string // what a person reads
	Count    int64
	Selected bool
}

// ProductHit is a product as a result card shows it.
type ProductHit struct {
	ID             uint
	DomainSlug     string
	DomainName     string
	TeamSlug       string
	TeamName       string
	Slug           string
	Name           string
	Summary        string
	Classification string
	Status         string
	Version        string
	Tags           []string
	UpdatedAt      time.Time
	PublishedAt    *time.Time
	FreshnessHours int
	Usage          int64
	// Snippet is a short plain-text passage of the description, or the
	// column, that matched; "" when the name or summary did.
	Snippet string
}

// URN is the product's stable address.
func (h *ProductHit) URN() string { return "urn:plaza:" + h.DomainSlug + ":" + h.Slug }

// Path is the product's page.
func (h *ProductHit) Path() string { return "/products/" + h.DomainSlug + "/" + h.Slug }

// searcher is what differs between SQLite FTS5 and Postgres full text. Both
// read the same search_docs rows; searcherFor picks one by Dialect.
type searcher interface {
	// match restricts search_docs d to the products matching every group
	// of terms (a group matches when any of its terms does) and ranks
	// them: lower rank is better. Without groups it matches every product.
	match(groups [][]searchTerm) textMatch
	// wordCounts returns how many products the index holds each of words
	// in, leaving out words it does not know.
	wordCounts(ctx context.Context, db *gorm.DB, words []string) (map[string]int64, error)
	// knowsPrefix reports whether any indexed word starts with prefix.
	knowsPrefix(ctx context.Context, db *gorm.DB, prefix string) (bool, error)
	// optimize compacts the index after a bulk change.
	optimize(ctx context.Context, db *gorm.DB) error
}

// textMatch is SQL that finds products by text: "SELECT ..., <rank> FROM
// <from> WHERE <where>", where the FROM clause names search_docs "d".
type textMatch struct {
	rank      string
	rankArgs  []any
	from      string
	where     string
	whereArgs []any
}

func searcherFor(db *gorm.DB) searcher {
	if Dialect(db) == "postgres" {
		return postgresSearch{}
	}
	return sqliteSearch{}
}

// searchTerm is one word of a query as the index matches it.
type searchTerm struct {
	word   string
	prefix bool
}

// isWordRune reports whether r belongs to a word: letters, digits and
// combining marks, as FTS5's unicode61 tokenizer counts them.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r)
}

// wordSpan is a word and where it is in the text it was cut from.
type wordSpan struct {
	word       string // lower case
	start, end int    // byte offsets
}

func searchSpans(text string) []wordSpan {
	var out []wordSpan
	start := -1
	for i, r := range text {
		switch {
		case isWordRune(r) && start < 0:
			start = i
		case !isWordRune(r) && start >= 0:
			out = append(out, wordSpan{strings.ToLower(text[start:i]), start, i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, wordSpan{strings.ToLower(text[start:]), start, len(text)})
	}
	return out
}

// searchStopWords are left out of a query that has other words: "orders
// and returns" should not require the word "and", and operators people
// know from other search boxes (AND, OR, NOT, NEAR) are not operators here.
var searchStopWords = map[string]bool{
	"a": true, "an": true, "and": true, "at": true, "by": true, "for": true, "from": true, "in": true, "near": true,
	"not": true, "of": true, "on": true, "or": true, "per": true, "the": true, "to": true, "with": true,
}

// searchWords splits a query into lower-case words, dropping repeats, stop
// words and invalid UTF-8, at most maxSearchWords of them.
func searchWords(text string) []string {
	text = strings.ToValidUTF8(text, " ")
	var all, out []string
	seen := map[string]bool{}
	for _, s := range searchSpans(text) {
		w := s.word
		if utf8.RuneCountInString(w) > maxSearchWordRunes {
			w = string([]rune(w)[:maxSearchWordRunes])
		}
		if seen[w] {
			continue
		}
		seen[w] = true
		all = append(all, w)
		if !searchStopWords[w] {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		out = all // a query of stop words only searches for them
	}
	return out[:min(len(out), maxSearchWords)]
}

// termFor turns a query word into a term. Words of three letters or more
// match as prefixes, after dropping an English plural ending so that
// "orders" also finds "order" and "categories" finds "category"; the last
// word, which may be half typed, matches as a prefix from two letters.
// Shorter words match whole: "a" should not find every word starting with a.
func termFor(word string, last bool) searchTerm {
	stem := stripPlural(word)
	n := utf8.RuneCountInString(stem)
	if n >= 3 || (last && n >= 2) {
		return searchTerm{word: stem, prefix: true}
	}
	return searchTerm{word: word}
}

func stripPlural(w string) string {
	n := len(w)
	switch {
	case n > 4 && strings.HasSuffix(w, "ies"):
		return w[:n-3] // categories -> categor
	case n > 4 && (strings.HasSuffix(w, "sses") || strings.HasSuffix(w, "xes") || strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes")):
		return w[:n-2] // addresses -> address, boxes -> box
	case n > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		return w[:n-1] // orders -> order
	}
	return w
}

func termGroups(words []string) [][]searchTerm {
	groups := make([][]searchTerm, 0, len(words))
	for i, w := range words {
		groups = append(groups, []searchTerm{termFor(w, i == len(words)-1)})
	}
	return groups
}

func (t searchTerm) matches(word string) bool {
	if t.prefix {
		return strings.HasPrefix(word, t.word)
	}
	return word == t.word
}

// SearchProducts runs a marketplace search as u sees it: drafts only
// appear to admins and the owners of the product's team.
func (s *Store) SearchProducts(ctx context.Context, u *User, q SearchQuery) (*SearchResult, error) {
	if err := Authorize(u, ActBrowse, nil); err != nil {
		return nil, err
	}
	db := s.db(ctx)
	sr := searcherFor(db)
	words := searchWords(q.Text)
	page := Page{Number: min(max(q.Page, 1), maxSearchPage), Size: q.PageSize}
	if page.Size <= 0 {
		page.Size = DefaultSearchPageSize
	}
	page.Size = min(page.Size, MaxSearchPageSize)
	sortBy := q.Sort
	if !contains(SearchSorts, sortBy) || (sortBy == SortRelevance && len(words) == 0) {
		sortBy = ""
	}
	if sortBy == "" {
		sortBy = SortUpdated
		if len(words) > 0 {
			sortBy = SortRelevance
		}
	}
	q.Domains, q.Teams, q.Statuses = facetValues(q.Domains, false), facetValues(q.Teams, false), facetValues(q.Statuses, false)
	q.Classifications, q.Tags = facetValues(q.Classifications, false), facetValues(q.Tags, true)
	run := &searchRun{s: s, db: db, sr: sr, q: q, page: page, sort: sortBy}
	if err := run.prepare(ctx, u); err != nil {
		return nil, fmt.Errorf("search %q: %w", q.Text, err)
	}
	res, err := run.search(ctx, words)
	if err == nil && res.Total == 0 && len(words) > 0 {
		var fixed []string
		if fixed, err = s.correct(ctx, db, sr, words); err == nil && fixed != nil {
			var again *SearchResult
			if again, err = run.search(ctx, fixed); err == nil && again.Total > 0 {
				again.Suggestion = strings.Join(fixed, " ")
				res = again
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", q.Text, err)
	}
	return res, nil
}

// maxFacetValues bounds the values of one facet a query may select.
const maxFacetValues = 100

// facetValues cleans the selected values of a facet: trimmed, without
// repeats, and valid text that the database accepts (a NUL byte or
// invalid UTF-8 becomes U+FFFD: such a value selects nothing, but safely).
func facetValues(values []string, lower bool) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range values {
		v = strings.ReplaceAll(strings.ToValidUTF8(strings.TrimSpace(v), "\uFFFD"), "\x00", "\uFFFD")
		if lower {
			v = strings.ToLower(v)
		}
		if v != "" && !seen[v] && len(out) < maxFacetValues {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// searchRun is one search: the query and what it resolved to.
type searchRun struct {
	s    *Store
	db   *gorm.DB
	sr   searcher
	q    SearchQuery
	page Page
	sort string

	visible string // SQL restricting d to what the user may see
	visArgs []any
	filters map[string]sqlPart // facet -> condition on m

	domains map[uint]Domain
	teams   map[uint]teamRef
}

type teamRef struct {
	ref  string // "<domain>/<team>"
	name string
}

type sqlPart struct {
	sql  string
	args []any
}

// prepare works out what the user may see and turns the facet selections
// into conditions on ids.
func (r *searchRun) prepare(ctx context.Context, u *User) error {
	r.visible = "d.status <> ?"
	r.visArgs = []any{StatusDraft}
	if u.IsAdmin {
		r.visible, r.visArgs = "1 = 1", nil
	} else {
		var owned []uint
		if err := r.db.Model(&Membership{}).Where("user_id = ? AND role = ?", u.ID, RoleOwner).Pluck("team_id", &owned).Error; err != nil {
			return err
		}
		if len(owned) > 0 {
			r.visible = "(d.status <> ? OR d.team_id IN ?)"
			r.visArgs = []any{StatusDraft, owned}
		}
	}

	var domains []Domain
	if err := r.db.Select("id", "slug", "name").Find(&domains).Error; err != nil {
		return err
	}
	r.domains = map[uint]Domain{}
	domainIDs := map[string]uint{}
	for _, d := range domains {
		r.domains[d.ID] = d
		domainIDs[d.Slug] = d.ID
	}
	var teams []struct {
		ID         uint
		DomainSlug string
		Slug       string
		Name       string
	}
	if err := r.db.Table("teams").Select("teams.id, domains.slug AS domain_slug, teams.slug, teams.name").
		Joins("JOIN domains ON domains.id = teams.domain_id").Scan(&teams).Error; err != nil {
		return err
	}
	r.teams = map[uint]teamRef{}
	for _, t := range teams {
		r.teams[t.ID] = teamRef{ref: t.DomainSlug + "/" + t.Slug, name: t.Name}
	}

	r.filters = map[string]sqlPart{}
	if len(r.q.Domains) > 0 {
		ids := []uint{0} // no product has id 0: an unknown slug matches nothing
		for _, slug := range r.q.Domains {
			if id, ok := domainIDs[slug]; ok {
				ids = append(ids, id)
			}
		}
		r.filters[FacetDomain] = sqlPart{"m.domain_id IN ?", []any{ids}}
	}
	if len(r.q.Teams) > 0 {
		ids := []uint{0}
		for _, t := range teams {
			for _, want := range r.q.Teams {
				if want == t.DomainSlug+"/"+t.Slug || want == t.Slug {
					ids = append(ids, t.ID)
				}
			}
		}
		r.filters[FacetTeam] = sqlPart{"m.team_id IN ?", []any{ids}}
	}
	if len(r.q.Statuses) > 0 {
		r.filters[FacetStatus] = sqlPart{"m.status IN ?", []any{r.q.Statuses}}
	}
	if len(r.q.Classifications) > 0 {
		r.filters[FacetClassification] = sqlPart{"m.classification IN ?", []any{r.q.Classifications}}
	}
	if len(r.q.Tags) > 0 {
		r.filters[FacetTag] = sqlPart{"m.product_id IN (SELECT product_id FROM product_tags WHERE tag IN ?)", []any{r.q.Tags}}
	}
	return nil
}

// where is the conjunction of every facet's condition but except's.
func (r *searchRun) where(except string) sqlPart {
	conds := []string{"1 = 1"}
	var args []any
	for _, f := range []string{FacetDomain, FacetTeam, FacetStatus, FacetClassification, FacetTag} {
		if p, ok := r.filters[f]; ok && f != except {
			conds = append(conds, p.sql)
			args = append(args, p.args...)
		}
	}
	return sqlPart{strings.Join(conds, " AND "), args}
}

// matches is the common table "m": the visible products matching the text.
func (r *searchRun) matches(tm textMatch, withRank bool, extra string) sqlPart {
	rank, args := "0", []any(nil)
	if withRank {
		rank, args = tm.rank, append(args, tm.rankArgs...)
	}
	args = append(args, tm.whereArgs...)
	args = append(args, r.visArgs...)
	return sqlPart{
		sql: "SELECT d.product_id, d.domain_id, d.team_id, d.status, d.classification" + extra + ", " + rank + " AS rank" +
			" FROM " + tm.from + " WHERE " + tm.where + " AND " + r.visible,
		args: args,
	}
}

func (r *searchRun) search(ctx context.Context, words []string) (*SearchResult, error) {
	groups := termGroups(words)
	tm := r.sr.match(groups)
	res := &SearchResult{Sort: r.sort, Facets: map[string][]FacetCount{}}
	if err := r.countFacets(tm, res); err != nil {
		return nil, err
	}
	res.Page = r.page
	res.Page.Total = res.Total
	if res.Total == 0 || r.page.Offset() >= int(res.Total) {
		return res, nil
	}
	ids, err := r.pageIDs(tm)
	if err != nil {
		return nil, err
	}
	res.Hits, err = r.loadHits(ids, groups)
	return res, err
}

// countFacets counts the results and every facet value in one statement
// over the matches, materialized once.
func (r *searchRun) countFacets(tm textMatch, res *SearchResult) error {
	m := r.matches(tm, false, "")
	var b strings.Builder
	args := append([]any(nil), m.args...)
	b.WriteString("WITH m AS MATERIALIZED (" + m.sql + ")\n")
	all := r.where("")
	b.WriteString("SELECT 'total' AS facet, 0 AS id, '' AS value, COUNT(*) AS n FROM m WHERE " + all.sql)
	args = append(args, all.args...)
	arm := func(facet, id, value, from, group string, extra sqlPart) {
		w := r.where(facet)
		b.WriteString("\nUNION ALL SELECT '" + facet + "', " + id + ", " + value + ", COUNT(*) FROM " + from +
			" WHERE " + w.sql + extra.sql + " GROUP BY " + group)
		args = append(args, w.args...)
		args = append(args, extra.args...)
	}
	arm(FacetDomain, "m.domain_id", "''", "m", "m.domain_id", sqlPart{})
	arm(FacetTeam, "m.team_id", "''", "m", "m.team_id", sqlPart{})
	arm(FacetStatus, "0", "m.status", "m", "m.status", sqlPart{})
	arm(FacetClassification, "0", "m.classification", "m", "m.classification", sqlPart{})
	// CROSS JOIN keeps SQLite from scanning every tag in tag order and
	// probing the matches: the matches are the outer loop. Postgres plans
	// it as the inner join it is.
	w := r.where(FacetTag)
	b.WriteString("\nUNION ALL SELECT * FROM (SELECT 'tag' AS facet, 0 AS id, pt.tag AS value, COUNT(*) AS n" +
		" FROM m CROSS JOIN product_tags pt WHERE pt.product_id = m.product_id AND " + w.sql +
		" GROUP BY pt.tag ORDER BY COUNT(*) DESC, pt.tag LIMIT " + fmt.Sprint(searchTopTags) + ") top_tags")
	args = append(args, w.args...)
	if p, ok := r.filters[FacetTag]; ok {
		arm(FacetTag, "0", "pt.tag", "m CROSS JOIN product_tags pt", "pt.tag",
			sqlPart{" AND pt.product_id = m.product_id AND pt.tag IN ?", p.args})
	}

	var rows []struct {
		Facet string
		ID    uint
		Value string
		N     int64
	}
	if err := r.db.Raw(b.String(), args...).Scan(&rows).Error; err != nil {
		return fmt.Errorf("count: %w", err)
	}
	counts := map[string]map[string]int64{}
	labels := map[string]string{}
	for _, row := range rows {
		value := row.Value
		switch row.Facet {
		case "total":
			res.Total = row.N
			continue
		case FacetDomain:
			d := r.domains[row.ID]
			value, labels[FacetDomain+d.Slug] = d.Slug, d.Name
		case FacetTeam:
			t := r.teams[row.ID]
			value, labels[FacetTeam+t.ref] = t.ref, t.name
		}
		if counts[row.Facet] == nil {
			counts[row.Facet] = map[string]int64{}
		}
		counts[row.Facet][value] = row.N
	}
	selected := map[string][]string{
		FacetDomain: r.q.Domains, FacetTeam: r.q.Teams, FacetStatus: r.q.Statuses,
		FacetClassification: r.q.Classifications, FacetTag: r.q.Tags,
	}
	for facet, values := range selected {
		for _, v := range values {
			if counts[facet] == nil {
				counts[facet] = map[string]int64{}
			}
			if _, ok := counts[facet][v]; !ok {
				counts[facet][v] = 0
			}
		}
	}
	for facet, byValue := range counts {
		list := make([]FacetCount, 0, len(byValue))
		for v, n := range byValue {
			label := labels[facet+v]
			if label == "" {
				label = v
			}
			list = append(list, FacetCount{Value: v, Label: label, Count: n, Selected: contains(selected[facet], v)})
		}
		sortFacet(facet, list)
		res.Facets[facet] = list
	}
	return nil
}

// sortFacet orders a facet's values as people scan them: lifecycle and
// classification in their own order, tags by count, the rest by name.
func sortFacet(facet string, list []FacetCount) {
	order := map[string][]string{FacetStatus: Statuses, FacetClassification: Classifications}[facet]
	pos := func(v string) int {
		for i, o := range order {
			if o == v {
				return i
			}
		}
		return len(order)
	}
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		switch {
		case order != nil && pos(a.Value) != pos(b.Value):
			return pos(a.Value) < pos(b.Value)
		case facet == FacetTag && a.Count != b.Count:
			return a.Count > b.Count
		case a.Label != b.Label:
			return a.Label < b.Label
		}
		return a.Value < b.Value
	})
}

// pageIDs returns the ids of the products on the requested page, in order.
func (r *searchRun) pageIDs(tm textMatch) ([]uint, error) {
	m := r.matches(tm, r.sort == SortRelevance, ", d.updated_at, d.sort_name, d.usage_score")
	w := r.where("")
	order := map[string]string{
		SortRelevance: "m.rank, m.sort_name, m.product_id",
		SortUpdated:   "m.updated_at DESC, m.product_id DESC",
		SortName:      "m.sort_name, m.product_id",
		SortUsage:     "m.usage_score DESC, m.sort_name, m.product_id",
	}[r.sort]
	sql := "WITH m AS (" + m.sql + ") SELECT m.product_id FROM m WHERE " + w.sql + " ORDER BY " + order + " LIMIT ? OFFSET ?"
	args := append(append(append([]any(nil), m.args...), w.args...), r.page.Size, r.page.Offset())
	var ids []uint
	if err := r.db.Raw(sql, args...).Scan(&ids).Error; err != nil {
		return nil, fmt.Errorf("page: %w", err)
	}
	return ids, nil
}

// loadHits loads the result cards of ids, keeping their order.
func (r *searchRun) loadHits(ids []uint, groups [][]searchTerm) ([]ProductHit, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []struct {
		ID             uint
		DomainSlug     string
		DomainName     string
		TeamSlug       string
		TeamName       string
		Slug           string
		Name           string
		Summary        string
		Description    string
		Classification string
		Status         string
		Version        string
		UpdatedAt      time.Time
		PublishedAt    *time.Time
		FreshnessHours int
		UsageScore     int64
	}
	err := r.db.Table("products p").
		Select(`p.id, dm.slug AS domain_slug, dm.name AS domain_name, t.slug AS team_slug, t.name AS team_name,
			p.slug, p.name, p.summary, p.description, p.classification, p.status, p.version, p.updated_at,
			p.published_at, p.freshness_hours, COALESCE(d.usage_score, 0) AS usage_score`).
		Joins("JOIN domains dm ON dm.id = p.domain_id").Joins("JOIN teams t ON t.id = p.team_id").
		Joins("LEFT JOIN search_docs d ON d.product_id = p.id").
		Where("p.id IN ?", ids).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load hits: %w", err)
	}
	var tags []ProductTag
	if err := r.db.Where("product_id IN ?", ids).Order("tag").Find(&tags).Error; err != nil {
		return nil, fmt.Errorf("load tags: %w", err)
	}
	byID := map[uint]*ProductHit{}
	var terms []searchTerm
	for _, g := range groups {
		terms = append(terms, g...)
	}
	var needColumns []uint
	for _, row := range rows {
		h := &ProductHit{ID: row.ID, DomainSlug: row.DomainSlug, DomainName: row.DomainName, TeamSlug: row.TeamSlug,
			TeamName: row.TeamName, Slug: row.Slug, Name: row.Name, Summary: row.Summary, Classification: row.Classification,
			Status: row.Status, Version: row.Version, UpdatedAt: row.UpdatedAt, PublishedAt: row.PublishedAt,
			FreshnessHours: row.FreshnessHours, Usage: row.UsageScore}
		byID[h.ID] = h
		if len(terms) > 0 && !anyMatch(h.Name, terms) && !anyMatch(h.Summary, terms) {
			if h.Snippet = snippet(row.Description, terms); h.Snippet == "" {
				needColumns = append(needColumns, h.ID)
			}
		}
	}
	for _, t := range tags {
		if h := byID[t.ProductID]; h != nil {
			h.Tags = append(h.Tags, t.Tag)
		}
	}
	if err := r.columnSnippets(needColumns, terms, byID); err != nil {
		return nil, err
	}
	hits := make([]ProductHit, 0, len(ids))
	for _, id := range ids {
		if h := byID[id]; h != nil {
			hits = append(hits, *h)
		}
	}
	return hits, nil
}

// columnSnippets names the first matching column of products whose
// description did not match.
func (r *searchRun) columnSnippets(ids []uint, terms []searchTerm, byID map[uint]*ProductHit) error {
	if len(ids) == 0 {
		return nil
	}
	var cols []struct {
		ProductID   uint
		Name        string
		Description string
		Term        string
		Synonyms    string
	}
	err := r.db.Table("columns c").
		Select("op.product_id, c.name, c.description, COALESCE(g.name, '') AS term, COALESCE(g.synonyms, '') AS synonyms").
		Joins("JOIN output_ports op ON op.id = c.port_id").Joins("LEFT JOIN glossary_terms g ON g.id = c.term_id").
		Where("op.product_id IN ?", ids).Order("op.product_id, op.position, c.position").Scan(&cols).Error
	if err != nil {
		return fmt.Errorf("load column snippets: %w", err)
	}
	for _, c := range cols {
		h := byID[c.ProductID]
		if h == nil || h.Snippet != "" {
			continue
		}
		text := "Column " + c.Name
		if c.Description != "" {
			text += ": " + c.Description
		}
		if c.Term != "" {
			text += " (" + c.Term
			if c.Synonyms != "" {
				text += ": " + c.Synonyms
			}
			text += ")"
		}
		if anyMatch(text, terms) {
			h.Snippet = clip(text, 0, len(text))
		}
	}
	return nil
}

func anyMatch(text string, terms []searchTerm) bool {
	for _, s := range searchSpans(text) {
		for _, t := range terms {
			if t.matches(s.word) {
				return true
			}
		}
	}
	return false
}

const snippetBefore, snippetAfter = 60, 140 // bytes of context around the first match

// snippet returns the passage of text around its first word matching one
// of terms, or "".
func snippet(text string, terms []searchTerm) string {
	for _, s := range searchSpans(text) {
		for _, t := range terms {
			if t.matches(s.word) {
				return clip(text, s.start-snippetBefore, s.end+snippetAfter)
			}
		}
	}
	return ""
}

// clip cuts text to [from, to), widened to whole words, on one line, with
// an ellipsis where it was cut.
func clip(text string, from, to int) string {
	from, to = max(from, 0), min(to, len(text))
	for from > 0 && !utf8.RuneStart(text[from]) {
		from++
	}
	for to < len(text) && !utf8.RuneStart(text[to]) {
		to--
	}
	if from > 0 {
		if i := strings.IndexAny(text[from:to], " \t\n"); i >= 0 {
			from += i + 1
		}
	}
	if to < len(text) {
		if i := strings.LastIndexAny(text[from:to], " \t\n"); i > 0 {
			to = from + i
		}
	}
	out := strings.Join(strings.Fields(text[from:to]), " ")
	if from > 0 {
		out = "…" + out
	}
	if to < len(text) {
		out += "…"
	}
	return out
}

// correct returns words with those the index does not know replaced by
// the most frequent indexed word one edit away, or nil when it changed
// nothing. Only words of four letters or more are corrected: shorter ones
// have too many neighbours to guess from.
func (s *Store) correct(ctx context.Context, db *gorm.DB, sr searcher, words []string) ([]string, error) {
	out := append([]string(nil), words...)
	changed := false
	for i, w := range words {
		if utf8.RuneCountInString(w) < 4 || utf8.RuneCountInString(w) > 24 {
			continue
		}
		t := termFor(w, i == len(words)-1)
		known, err := sr.knowsPrefix(ctx, db, t.word)
		if err != nil {
			return nil, err
		}
		if known {
			continue
		}
		counts, err := sr.wordCounts(ctx, db, edits1(w))
		if err != nil {
			return nil, err
		}
		best, bestN := "", int64(0)
		for c, n := range counts {
			if utf8.RuneCountInString(c) < 4 {
				continue // "hand" is not a typo of "and"
			}
			if n > bestN || (n == bestN && c < best) {
				best, bestN = c, n
			}
		}
		if best != "" {
			out[i], changed = best, true
		}
	}
	if !changed {
		return nil, nil
	}
	return out, nil
}

// edits1 lists the words one edit away from w: a letter deleted, two
// neighbours swapped, a letter replaced or inserted. Replacements and
// insertions use a-z, 0-9 and w's own letters, which covers typos in
// English and in words of other scripts that reuse their own letters.
func edits1(w string) []string {
	rs := []rune(w)
	alphabet := []rune("abcdefghijklmnopqrstuvwxyz0123456789")
	for _, r := range rs {
		if !strings.ContainsRune(string(alphabet), r) {
			alphabet = append(alphabet, r)
		}
	}
	seen := map[string]bool{w: true}
	var out []string
	add := func(r []rune) {
		if s := string(r); !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for i := range rs {
		add(append(append([]rune{}, rs[:i]...), rs[i+1:]...))
		if i+1 < len(rs) {
			t := append([]rune{}, rs...)
			t[i], t[i+1] = t[i+1], t[i]
			add(t)
		}
		for _, a := range alphabet {
			t := append([]rune{}, rs...)
			t[i] = a
			add(t)
		}
	}
	for i := 0; i <= len(rs); i++ {
		for _, a := range alphabet {
			add(append(append(append([]rune{}, rs[:i]...), a), rs[i:]...))
		}
	}
	return out
}

// searchDocSQL writes the search_docs rows of the products a WHERE clause
// on p picks: the product's text in its weighted parts and what results
// are filtered and sorted by. Rows whose content did not change are left
// alone, so reindexing an up-to-date index writes nothing. usage_score is
// kept: it is not derived from the product.
const searchDocSQL = `INSERT INTO search_docs (product_id, domain_id, team_id, status, classification, sort_name, updated_at,
	name, summary, tags, description, fields, glossary, owner)
SELECT p.id, p.domain_id, p.team_id, p.status, p.classification, lower(p.name), p.updated_at,
	p.name, COALESCE(p.summary, ''),
	COALESCE((SELECT string_agg(pt.tag, ' ' ORDER BY pt.tag) FROM product_tags pt WHERE pt.product_id = p.id), ''),
	COALESCE(p.description, ''),
	COALESCE((SELECT string_agg(op.name || ' ' || COALESCE(op.description, ''), ' ' ORDER BY op.position)
		FROM output_ports op WHERE op.product_id = p.id), '') || ' ' ||
	COALESCE((SELECT string_agg(c.name || ' ' || COALESCE(c.description, ''), ' ' ORDER BY op.position, c.position)
		FROM columns c JOIN output_ports op ON op.id = c.port_id WHERE op.product_id = p.id), ''),
	COALESCE((SELECT string_agg(g.name || ' ' || COALESCE(g.synonyms, ''), ' ' ORDER BY g.id) FROM glossary_terms g
		WHERE g.id IN (SELECT c.term_id FROM columns c JOIN output_ports op ON op.id = c.port_id WHERE op.product_id = p.id)), ''),
	dm.name || ' ' || t.name
FROM products p JOIN domains dm ON dm.id = p.domain_id JOIN teams t ON t.id = p.team_id
WHERE %s
ON CONFLICT (product_id) DO UPDATE SET domain_id = excluded.domain_id, team_id = excluded.team_id,
	status = excluded.status, classification = excluded.classification, sort_name = excluded.sort_name,
	updated_at = excluded.updated_at, name = excluded.name, summary = excluded.summary, tags = excluded.tags,
	description = excluded.description, fields = excluded.fields, glossary = excluded.glossary, owner = excluded.owner
WHERE search_docs.domain_id IS DISTINCT FROM excluded.domain_id OR search_docs.team_id IS DISTINCT FROM excluded.team_id
	OR search_docs.status IS DISTINCT FROM excluded.status OR search_docs.classification IS DISTINCT FROM excluded.classification
	OR search_docs.sort_name IS DISTINCT FROM excluded.sort_name OR search_docs.updated_at IS DISTINCT FROM excluded.updated_at
	OR search_docs.name IS DISTINCT FROM excluded.name OR search_docs.summary IS DISTINCT FROM excluded.summary
	OR search_docs.tags IS DISTINCT FROM excluded.tags OR search_docs.description IS DISTINCT FROM excluded.description
	OR search_docs.fields IS DISTINCT FROM excluded.fields OR search_docs.glossary IS DISTINCT FROM excluded.glossary
	OR search_docs.owner IS DISTINCT FROM excluded.owner`

// indexProduct brings the search index up to date for one product, inside
// the transaction that changed it. A deleted product's row goes with it
// (ON DELETE CASCADE).
func (s *Store) indexProduct(ctx context.Context, tx *gorm.DB, productID uint) error {
	if err := tx.WithContext(ctx).Exec(fmt.Sprintf(searchDocSQL, "p.id = ?"), productID).Error; err != nil {
		return fmt.Errorf("index product %d: %w", productID, err)
	}
	return nil
}

// reindexBatch is how many products one statement of ReindexAll indexes.
const reindexBatch = 2000

// ReindexAll rebuilds the search index from the products, in batches of
// their ids, each batch in its own transaction. Rows already up to date are
// not rewritten; usage scores are kept.
func (s *Store) ReindexAll(ctx context.Context) error {
	db := s.db(ctx)
	var maxID uint
	if err := db.Model(&Product{}).Select("COALESCE(MAX(id), 0)").Scan(&maxID).Error; err != nil {
		return fmt.Errorf("reindex: %w", err)
	}
	for lo := uint(0); lo < maxID; lo += reindexBatch {
		if err := db.Exec(fmt.Sprintf(searchDocSQL, "p.id > ? AND p.id <= ?"), lo, lo+reindexBatch).Error; err != nil {
			return fmt.Errorf("reindex products %d-%d: %w", lo+1, lo+reindexBatch, err)
		}
	}
	if err := db.Exec("DELETE FROM search_docs WHERE product_id NOT IN (SELECT id FROM products)").Error; err != nil {
		return fmt.Errorf("reindex: %w", err)
	}
	if err := searcherFor(db).optimize(ctx, db); err != nil {
		return fmt.Errorf("reindex: optimize: %w", err)
	}
	return nil
}

// SetProductUsage records how much a product is used; the "usage" sort
// orders by it. Nothing measures usage yet: grants and query history will.
func (s *Store) SetProductUsage(ctx context.Context, productID uint, usage int64) error {
	err := s.db(ctx).Exec("UPDATE search_docs SET usage_score = ? WHERE product_id = ?", usage, productID).Error
	if err != nil {
		return fmt.Errorf("set usage of product %d: %w", productID, err)
	}
	return nil
}
