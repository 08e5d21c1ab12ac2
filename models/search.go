package models

// The marketplace search: full text over data products with facets, sorts,
// paging and typo tolerance. Matching text differs by database and lives
// behind searcher (search_sqlite.go: FTS5, search_postgres.go: tsvector);
// the rest is shared.
//
// How a search runs:
//
//   - The user's text is split into words here, in Go (searchWords): runs of
//     letters and digits, lower-cased. Everything else (quotes, *, -, :,
//     parentheses) is a separator and AND, OR, NOT, NEAR are stop words, so
//     no input reaches the database as query syntax. Each word becomes a
//     term that matches as a prefix ("ord" finds "Orders"), with a trailing
//     plural dropped first ("orders" also finds "order"); every term must
//     match.
//   - search_docs holds one row per product: its text in weighted parts
//     (name; summary and tags; description, ports, columns and glossary
//     terms; domain and team names), which the database tokenizes and
//     indexes, and copies of what results are filtered and sorted by.
//     indexProduct rewrites the row in the transaction of every product
//     write; triggers (migration 0003_search) follow renames of domains,
//     teams and glossary terms.
//   - The database returns the ids of the matching products, nothing else.
//     Visibility, facet filters and counts, sorting and paging run in Go
//     over searchCache, an in-memory copy of search_docs' narrow columns
//     that every search first brings up to date (search_state.version
//     counts index writes). Counting facets in SQL means reading every
//     match's row and tags: at 100,000 products a query matching half of
//     them took 150 ms on SQLite and 400 ms on Postgres; in Go it takes
//     a few milliseconds.
//   - Relevance is the database's weighted ranking (bm25, ts_rank) when it
//     is cheap: up to searcher.rankLimit matches. Beyond that, where a word
//     matches much of the catalog, a product scores by where each word
//     matched: its name, else its summary or tags, else elsewhere.
//   - When a query finds nothing, words the index does not know are
//     replaced by the most frequent indexed word one edit away (a
//     deletion, insertion, substitution or swap of neighbours), and the
//     search runs once more; Suggestion then says what was searched.

import (
	"cmp"
	"container/list"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
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
	// matches returns the ids of the products whose text matches every term.
	matches(ctx context.Context, db *gorm.DB, terms []searchTerm) ([]uint, error)
	// rankLimit is how many matches rank may be asked to score within a
	// search's budget.
	rankLimit() int
	// rank scores the products matching terms with the database's
	// weighted ranking; lower is better.
	rank(ctx context.Context, db *gorm.DB, terms []searchTerm) (map[uint]float64, error)
	// wordCounts returns how many products the index holds each of words
	// in, leaving out words it does not know.
	wordCounts(ctx context.Context, db *gorm.DB, words []string) (map[string]int64, error)
	// knowsPrefix reports whether any indexed word starts with prefix.
	knowsPrefix(ctx context.Context, db *gorm.DB, prefix string) (bool, error)
	// analyze refreshes the planner's statistics before a bulk change.
	analyze(ctx context.Context, db *gorm.DB) error
	// optimize compacts the index and refreshes statistics after a bulk change.
	optimize(ctx context.Context, db *gorm.DB) error
}

func searcherFor(db *gorm.DB) searcher {
	if Dialect(db) == "postgres" {
		return postgresSearch{}
	}
	return sqliteSearch{}
}

// parseIDs reads a comma-separated list of ids, as both databases
// aggregate them: one string crosses the driver much faster than a row
// per match.
func parseIDs(list *string) []uint {
	if list == nil || *list == "" {
		return nil
	}
	ids := make([]uint, 0, strings.Count(*list, ",")+1)
	var n uint
	for i := 0; i < len(*list); i++ {
		if c := (*list)[i]; c == ',' {
			ids = append(ids, n)
			n = 0
		} else {
			n = n*10 + uint(c-'0')
		}
	}
	return append(ids, n)
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

func searchTerms(words []string) []searchTerm {
	terms := make([]searchTerm, len(words))
	for i, w := range words {
		terms[i] = termFor(w, i == len(words)-1)
	}
	return terms
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
	run := &searchRun{db: db, sr: searcherFor(db), q: q, page: page, sort: sortBy, cache: s.searchCache()}
	var res *SearchResult
	err := run.start(ctx, u)
	key := ""
	if err == nil {
		// The same search by someone who sees the same drafts, against the
		// same version of the index, has the same answer.
		key = run.resultKey(words)
		if cached, ok := run.cache.results.get(key); ok {
			return cached, nil
		}
		res, err = run.search(ctx, words)
	}
	if err == nil && res.Total == 0 && len(words) > 0 {
		var fixed []string
		if fixed, err = correct(ctx, db, run.sr, words); err == nil && fixed != nil {
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
	run.cache.results.put(key, res)
	return res, nil
}

// resultKey names a search's answer: the index version, what drafts the
// user sees, the words, the facet selections, the sort and the page.
func (r *searchRun) resultKey(words []string) string {
	r.cache.mu.RLock()
	version := r.cache.version
	r.cache.mu.RUnlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%d|%t|", version, r.admin)
	owned := make([]uint, 0, len(r.owned))
	for id := range r.owned {
		owned = append(owned, id)
	}
	slices.Sort(owned)
	fmt.Fprint(&b, owned, "|", words, "|", r.q.Domains, r.q.Teams, r.q.Classifications, r.q.Statuses, r.q.Tags,
		"|", r.sort, "|", r.page.Number, "|", r.page.Size)
	return b.String()
}

// resultCache keeps the answers of recent searches; an index write changes
// the version in every key, so stale answers are never served, only
// forgotten as new ones push them out.
type resultCache struct {
	mu    sync.Mutex
	order *list.List // most recent first; values are keys
	items map[string]*list.Element
	res   map[string]*SearchResult
}

// resultCacheSize is how many answers are kept.
const resultCacheSize = 512

func (c *resultCache) get(key string) (*SearchResult, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return c.res[key], true
}

func (c *resultCache) put(key string, res *SearchResult) {
	if key == "" || res == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil {
		c.order, c.items, c.res = list.New(), map[string]*list.Element{}, map[string]*SearchResult{}
	}
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		c.res[key] = res
		return
	}
	c.items[key] = c.order.PushFront(key)
	c.res[key] = res
	for c.order.Len() > resultCacheSize {
		last := c.order.Back()
		k := last.Value.(string)
		c.order.Remove(last)
		delete(c.items, k)
		delete(c.res, k)
	}
}

// maxFacetValues bounds the values of one facet a query may select.
const maxFacetValues = 100

// facetValues cleans the selected values of a facet: trimmed, without
// repeats, and valid text (a NUL byte or invalid UTF-8 becomes U+FFFD:
// such a value selects nothing, but safely).
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
	db    *gorm.DB
	sr    searcher
	cache *searchCache
	q     SearchQuery
	page  Page
	sort  string

	admin   bool
	owned   map[uint]bool // teams whose drafts the user sees
	domains map[uint]Domain
	teams   map[uint]teamRef
	// The facet selections by domain and team id; nil when a facet selects
	// nothing.
	domainIDs, teamIDs map[uint]bool
}

type teamRef struct {
	ref  string // "<domain>/<team>"
	name string
}

// start brings the cache up to date, works out what the user may see and
// turns the facet selections into sets of ids.
func (r *searchRun) start(ctx context.Context, u *User) error {
	if err := r.cache.refresh(ctx, r.db); err != nil {
		return fmt.Errorf("refresh: %w", err)
	}
	r.admin = u.IsAdmin
	var owned []uint
	if err := r.db.Model(&Membership{}).Where("user_id = ? AND role = ?", u.ID, RoleOwner).Pluck("team_id", &owned).Error; err != nil {
		return err
	}
	r.owned = map[uint]bool{}
	for _, id := range owned {
		r.owned[id] = true
	}

	var domains []Domain
	if err := r.db.Select("id", "slug", "name").Find(&domains).Error; err != nil {
		return err
	}
	r.domains = map[uint]Domain{}
	for _, d := range domains {
		r.domains[d.ID] = d
		if contains(r.q.Domains, d.Slug) {
			r.domainIDs = addID(r.domainIDs, d.ID)
		}
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
		if contains(r.q.Teams, t.DomainSlug+"/"+t.Slug) || contains(r.q.Teams, t.Slug) {
			r.teamIDs = addID(r.teamIDs, t.ID)
		}
	}
	// A selection that names nothing known selects nothing.
	if len(r.q.Domains) > 0 && r.domainIDs == nil {
		r.domainIDs = map[uint]bool{}
	}
	if len(r.q.Teams) > 0 && r.teamIDs == nil {
		r.teamIDs = map[uint]bool{}
	}
	return nil
}

func addID(set map[uint]bool, id uint) map[uint]bool {
	if set == nil {
		set = map[uint]bool{}
	}
	set[id] = true
	return set
}

// visible reports whether the user may see a product with this status
// and team.
func (r *searchRun) visible(status string, team uint) bool {
	return status != StatusDraft || r.admin || r.owned[team]
}

// facetCounts are the counts of one search, by domain id, team id,
// status or classification code and tag id.
type facetCounts struct {
	domains, teams, codes, tags []int64
}

// search runs the query for words: matches from the database, the rest
// over the cache.
func (r *searchRun) search(ctx context.Context, words []string) (*SearchResult, error) {
	terms := searchTerms(words)
	var ids []uint
	var ranks map[uint]float64
	if len(terms) > 0 {
		var err error
		if ids, err = r.sr.matches(ctx, r.db, terms); err != nil {
			return nil, fmt.Errorf("match: %w", err)
		}
		if len(ids) == 0 {
			return r.result(0, nil), nil
		}
		if r.sort == SortRelevance && len(ids) <= r.sr.rankLimit() {
			if ranks, err = r.sr.rank(ctx, r.db, terms); err != nil {
				return nil, fmt.Errorf("rank: %w", err)
			}
		}
	}

	c := r.cache
	c.mu.RLock()
	counts, found := r.filter(ids, len(terms) == 0)
	pageDocs := r.order(found, terms, ranks)
	page := make([]uint, len(pageDocs))
	for i, d := range pageDocs {
		page[i] = c.docs[d].id
	}
	res := r.result(int64(len(found)), &counts)
	c.mu.RUnlock()

	var err error
	res.Hits, err = r.loadHits(page, terms)
	return res, err
}

// filter keeps the visible docs among ids (every doc when all) that pass
// every facet's selection, and counts each facet's values over the docs
// that pass every other facet's. It runs for every match of a broad query,
// so selections are slices indexed by id or code rather than maps.
func (r *searchRun) filter(ids []uint, all bool) (facetCounts, []int32) {
	c := r.cache
	counts := facetCounts{domains: make([]int64, c.maxDomain+1), teams: make([]int64, c.maxTeam+1),
		codes: make([]int64, len(c.codeList)), tags: make([]int64, len(c.tagList))}
	selected := func(n int, ids map[uint]bool) []bool {
		if ids == nil {
			return nil
		}
		sel := make([]bool, n)
		for id := range ids {
			if int(id) < n {
				sel[id] = true
			}
		}
		return sel
	}
	domains, teams := selected(len(counts.domains), r.domainIDs), selected(len(counts.teams), r.teamIDs)
	codes := func(values []string) []bool {
		if len(values) == 0 {
			return nil
		}
		sel := make([]bool, len(c.codeList))
		for _, v := range values {
			if code, ok := c.codes[v]; ok {
				sel[code] = true
			}
		}
		return sel
	}
	statuses, classes := codes(r.q.Statuses), codes(r.q.Classifications)
	var tags []bool
	if len(r.q.Tags) > 0 {
		tags = make([]bool, len(c.tagList))
		for _, t := range r.q.Tags {
			if id, ok := c.tags[t]; ok {
				tags[id] = true
			}
		}
	}
	draft, hasDraft := c.codes[StatusDraft]

	var found []int32
	consider := func(i int32) {
		d := &c.docs[i]
		if hasDraft && d.status == draft && !r.admin && !r.owned[uint(d.team)] {
			return
		}
		failed, failures := "", 0
		if domains != nil && !domains[d.domain] {
			failed, failures = FacetDomain, failures+1
		}
		if teams != nil && !teams[d.team] {
			failed, failures = FacetTeam, failures+1
		}
		if statuses != nil && !statuses[d.status] {
			failed, failures = FacetStatus, failures+1
		}
		if classes != nil && !classes[d.class] {
			failed, failures = FacetClassification, failures+1
		}
		if tags != nil {
			tagged := false
			for _, t := range c.tagsOf(d) {
				tagged = tagged || tags[t]
			}
			if !tagged {
				failed, failures = FacetTag, failures+1
			}
		}
		switch {
		case failures == 0:
			found = append(found, i)
			counts.domains[d.domain]++
			counts.teams[d.team]++
			counts.codes[d.status]++
			counts.codes[d.class]++
			for _, t := range c.tagsOf(d) {
				counts.tags[t]++
			}
		case failures > 1:
		case failed == FacetDomain:
			counts.domains[d.domain]++
		case failed == FacetTeam:
			counts.teams[d.team]++
		case failed == FacetStatus:
			counts.codes[d.status]++
		case failed == FacetClassification:
			counts.codes[d.class]++
		case failed == FacetTag:
			for _, t := range c.tagsOf(d) {
				counts.tags[t]++
			}
		}
	}
	if all {
		for i := range c.docs {
			consider(int32(i))
		}
	} else {
		for _, id := range ids {
			// A product indexed after the cache was refreshed waits for the next search.
			if id < uint(len(c.pos)) && c.pos[id] > 0 {
				consider(c.pos[id] - 1)
			}
		}
	}
	return counts, found
}

// result builds a result without hits: total, page and facets.
func (r *searchRun) result(total int64, counts *facetCounts) *SearchResult {
	res := &SearchResult{Total: total, Page: r.page, Sort: r.sort, Facets: map[string][]FacetCount{}}
	res.Page.Total = total
	if counts == nil {
		counts = &facetCounts{}
	}
	add := func(facet, value, label string, n int64, selected []string) {
		res.Facets[facet] = append(res.Facets[facet], FacetCount{Value: value, Label: label, Count: n, Selected: contains(selected, value)})
	}
	for id, n := range counts.domains {
		if d, ok := r.domains[uint(id)]; ok && n > 0 {
			add(FacetDomain, d.Slug, d.Name, n, r.q.Domains)
		}
	}
	for id, n := range counts.teams {
		if t, ok := r.teams[uint(id)]; ok && n > 0 {
			_, slug, _ := strings.Cut(t.ref, "/")
			add(FacetTeam, t.ref, t.name, n, r.q.Teams)
			if l := res.Facets[FacetTeam]; contains(r.q.Teams, slug) {
				l[len(l)-1].Selected = true
			}
		}
	}
	for code, n := range counts.codes {
		if v := r.cache.codeList[code]; n > 0 && contains(Statuses, v) {
			add(FacetStatus, v, v, n, r.q.Statuses)
		} else if n > 0 {
			add(FacetClassification, v, v, n, r.q.Classifications)
		}
	}
	var tags []FacetCount
	for id, n := range counts.tags {
		if n > 0 {
			tags = append(tags, FacetCount{Value: r.cache.tagList[id], Label: r.cache.tagList[id], Count: n,
				Selected: contains(r.q.Tags, r.cache.tagList[id])})
		}
	}
	sortFacet(FacetTag, tags)
	res.Facets[FacetTag] = tags[:min(len(tags), searchTopTags)]
	for _, t := range tags[min(len(tags), searchTopTags):] {
		if t.Selected {
			res.Facets[FacetTag] = append(res.Facets[FacetTag], t)
		}
	}
	// Selected values stay listed, with 0, so they can be unselected.
	selected := map[string][]string{FacetDomain: r.q.Domains, FacetTeam: r.q.Teams, FacetStatus: r.q.Statuses,
		FacetClassification: r.q.Classifications, FacetTag: r.q.Tags}
	for facet, values := range selected {
		for _, v := range values {
			if !slices.ContainsFunc(res.Facets[facet], func(f FacetCount) bool { return f.Selected && (f.Value == v || strings.HasSuffix(f.Value, "/"+v)) }) {
				res.Facets[facet] = append(res.Facets[facet], FacetCount{Value: v, Label: v, Selected: true})
			}
		}
	}
	for facet, list := range res.Facets {
		sortFacet(facet, list)
	}
	return res
}

// order sorts found by the run's sort and returns the docs of the
// requested page. Only as many as the page needs are sorted.
func (r *searchRun) order(found []int32, terms []searchTerm, ranks map[uint]float64) []int32 {
	c := r.cache
	var score []float64 // by position in found, for relevance
	if r.sort == SortRelevance {
		score = make([]float64, len(found))
		if ranks != nil {
			for i, d := range found {
				rank, ok := ranks[c.docs[d].id]
				if !ok {
					rank = math.Inf(1)
				}
				score[i] = rank
			}
		} else {
			c.scoreByField(found, terms, score)
		}
	}
	pos := make([]int32, len(found)) // positions in found
	for i := range pos {
		pos[i] = int32(i)
	}
	less := func(a, b int32) int {
		x, y := &c.docs[found[a]], &c.docs[found[b]]
		switch r.sort {
		case SortRelevance:
			if n := cmp.Compare(score[a], score[b]); n != 0 {
				return n
			}
		case SortUpdated:
			if n := cmp.Compare(y.updated, x.updated); n != 0 {
				return n
			}
			return cmp.Compare(y.id, x.id)
		case SortUsage:
			if n := cmp.Compare(y.usage, x.usage); n != 0 {
				return n
			}
		}
		if n := strings.Compare(c.names[found[a]], c.names[found[b]]); n != 0 {
			return n
		}
		return cmp.Compare(x.id, y.id)
	}
	from := r.page.Offset()
	if from >= len(pos) {
		return nil
	}
	top := smallest(pos, from+r.page.Size, less)
	out := make([]int32, 0, len(top)-from)
	for _, p := range top[from:] {
		out = append(out, found[p])
	}
	return out
}

// smallest returns the k smallest of items in order. For a first page of a
// large result it keeps a short sorted list instead of sorting everything.
func smallest(items []int32, k int, less func(a, b int32) int) []int32 {
	if k >= len(items) || k > 500 {
		slices.SortFunc(items, less)
		return items[:min(k, len(items))]
	}
	out := make([]int32, 0, k+1)
	for _, it := range items {
		if len(out) == k && less(it, out[k-1]) >= 0 {
			continue
		}
		at, _ := slices.BinarySearchFunc(out, it, less)
		out = slices.Insert(out, at, it)
		if len(out) > k {
			out = out[:k]
		}
	}
	return out
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

// loadHits loads the result cards of ids, keeping their order. A product
// that became a draft since the cache was refreshed is left out.
func (r *searchRun) loadHits(ids []uint, terms []searchTerm) ([]ProductHit, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []struct {
		ID             uint
		DomainSlug     string
		DomainName     string
		TeamID         uint
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
		Select(`p.id, dm.slug AS domain_slug, dm.name AS domain_name, p.team_id, t.slug AS team_slug, t.name AS team_name,
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
	var needColumns []uint
	for _, row := range rows {
		if !r.visible(row.Status, row.TeamID) {
			continue
		}
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

// searchCache is an in-memory copy of what searches filter, count and sort
// by: search_docs' narrow columns, and the words of names, summaries and
// tags for ranking broad queries. A search first brings it up to date: every
// index write bumps search_state.version and stamps the rows it wrote with
// it, so a refresh reads only those. Products are not deleted by Plaza; when
// the row count shows one went anyway, the cache is reloaded whole, as it
// is when replaced versions take more room than current ones.
//
// At 100,000 products it holds about 20 MB and loads in two seconds on
// SQLite, one on Postgres, on the first search after the process starts.
type searchCache struct {
	results resultCache // answers of recent searches

	mu      sync.RWMutex
	version int64 // of search_state when last refreshed; -1 before the first load
	docs    []cachedDoc
	names   []string // sort names, by position in docs
	ids     []uint32 // the tags and words of docs, end to end
	live    int      // how much of ids the docs use; the rest held replaced versions
	pos     []int32  // by product id: 1 + position in docs, 0 when absent

	maxDomain, maxTeam uint32
	codes              map[string]uint16 // statuses and classifications
	codeList           []string
	words              map[string]uint32 // words of names, summaries and tags
	wordList           []string
	tags               map[string]uint32
	tagList            []string
}

// cachedDoc is one product as searches see it. It holds no pointers, so
// the garbage collector does not scan the cache's hundred thousand docs.
type cachedDoc struct {
	id            uint
	domain, team  uint32
	status, class uint16 // codes
	updated       int64  // unix nanoseconds
	usage         int64
	// In ids from off: its tags, the words of its name, the words of its
	// summary and tags.
	off                 uint32
	nTags, nName, nHead uint16
}

func (c *searchCache) tagsOf(d *cachedDoc) []uint32 { return c.ids[d.off : d.off+uint32(d.nTags)] }
func (c *searchCache) nameOf(d *cachedDoc) []uint32 {
	from := d.off + uint32(d.nTags)
	return c.ids[from : from+uint32(d.nName)]
}
func (c *searchCache) headOf(d *cachedDoc) []uint32 {
	from := d.off + uint32(d.nTags) + uint32(d.nName)
	return c.ids[from : from+uint32(d.nHead)]
}

// searchCache returns the store's cache of search documents, made on first use.
func (s *Store) searchCache() *searchCache {
	s.searchOnce.Do(func() { s.search = &searchCache{version: -1} })
	return s.search
}

// refresh brings the cache up to date with search_docs.
func (c *searchCache) refresh(ctx context.Context, db *gorm.DB) error {
	var version int64
	if err := db.Raw("SELECT version FROM search_state").Scan(&version).Error; err != nil {
		return err
	}
	c.mu.RLock()
	fresh := c.version == version
	c.mu.RUnlock()
	if fresh {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version == version {
		return nil // another search refreshed it meanwhile
	}
	// Read the version before the rows: a write committed in between is
	// read twice, never missed.
	if c.version < 0 {
		c.reset()
	}
	if err := c.load(ctx, db, c.version); err != nil {
		return err
	}
	if c.version >= 0 {
		var n int64
		if err := db.Raw("SELECT COUNT(*) FROM search_docs").Scan(&n).Error; err != nil {
			return err
		}
		if n != int64(len(c.docs)) || len(c.ids) > 2*c.live+1<<16 {
			c.reset()
			if err := c.load(ctx, db, -1); err != nil {
				return err
			}
		}
	}
	c.version = version
	return nil
}

func (c *searchCache) reset() {
	c.docs, c.names, c.ids, c.live, c.pos, c.maxDomain, c.maxTeam = nil, nil, nil, 0, nil, 0, 0
	c.codes, c.codeList = map[string]uint16{}, nil
	c.words, c.wordList = map[string]uint32{}, nil
	c.tags, c.tagList = map[string]uint32{}, nil
}

// load reads the rows written after version.
func (c *searchCache) load(ctx context.Context, db *gorm.DB, after int64) error {
	rows, err := db.WithContext(ctx).Raw(`SELECT product_id, domain_id, team_id, status, classification, updated_at,
		sort_name, usage_score, name, summary, tags FROM search_docs WHERE version > ?`, after).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var d cachedDoc
		var updated time.Time
		var status, class, sortName, name, summary, tags string
		if err := rows.Scan(&d.id, &d.domain, &d.team, &status, &class, &updated, &sortName, &d.usage,
			&name, &summary, &tags); err != nil {
			return err
		}
		d.status, d.class, d.updated = c.code(status), c.code(class), updated.UnixNano()
		c.maxDomain, c.maxTeam = max(c.maxDomain, d.domain), max(c.maxTeam, d.team)
		d.off = uint32(len(c.ids))
		for _, t := range strings.Fields(tags) {
			c.ids = append(c.ids, c.internTag(t))
		}
		d.nTags = uint16(len(c.ids) - int(d.off))
		n := len(c.ids)
		c.ids = c.wordIDs(c.ids, name)
		d.nName = uint16(len(c.ids) - n)
		n = len(c.ids)
		c.ids = c.wordIDs(c.ids, summary+" "+tags)
		d.nHead = uint16(len(c.ids) - n)
		if d.id >= uint(len(c.pos)) {
			c.pos = slices.Grow(c.pos, int(d.id)+1-len(c.pos))[:d.id+1]
		}
		c.live += len(c.ids) - int(d.off)
		if i := c.pos[d.id]; i > 0 {
			old := &c.docs[i-1]
			c.live -= int(old.nTags) + int(old.nName) + int(old.nHead)
			c.docs[i-1], c.names[i-1] = d, sortName
		} else {
			c.docs, c.names = append(c.docs, d), append(c.names, sortName)
			c.pos[d.id] = int32(len(c.docs))
		}
	}
	return rows.Err()
}

func (c *searchCache) code(s string) uint16 {
	code, ok := c.codes[s]
	if !ok {
		code = uint16(len(c.codeList))
		c.codes[s] = code
		c.codeList = append(c.codeList, s)
	}
	return code
}

func (c *searchCache) internTag(t string) uint32 {
	id, ok := c.tags[t]
	if !ok {
		id = uint32(len(c.tagList))
		c.tags[t] = id
		c.tagList = append(c.tagList, t)
	}
	return id
}

// wordIDs appends to ids the distinct words of text, interned.
func (c *searchCache) wordIDs(ids []uint32, text string) []uint32 {
	from := len(ids)
	for _, s := range searchSpans(text) {
		id, ok := c.words[s.word]
		if !ok {
			id = uint32(len(c.wordList))
			c.words[s.word] = id
			c.wordList = append(c.wordList, s.word)
		}
		if !slices.Contains(ids[from:], id) && len(ids)-from < 1000 {
			ids = append(ids, id)
		}
	}
	return ids
}

// scoreByField ranks found for terms without the database: each term
// scores by the best place it matched, the name (10), else the summary or
// tags (5), else elsewhere (1), and shorter names win ties. Lower is
// better, as with the database's ranks.
func (c *searchCache) scoreByField(found []int32, terms []searchTerm, score []float64) {
	matched := make([][]bool, len(terms)) // by term, by word id
	for t, term := range terms {
		matched[t] = make([]bool, len(c.wordList))
		for id, w := range c.wordList {
			matched[t][id] = term.matches(w)
		}
	}
	in := func(words []uint32, matched []bool) bool {
		for _, w := range words {
			if matched[w] {
				return true
			}
		}
		return false
	}
	for i, di := range found {
		d := &c.docs[di]
		s := 0
		for t := range terms {
			switch {
			case in(c.nameOf(d), matched[t]):
				s += 10
			case in(c.headOf(d), matched[t]):
				s += 5
			default:
				s++
			}
		}
		score[i] = -float64(s) + float64(min(d.nName, 99))/100
	}
}

// correct returns words with those the index does not know replaced by
// the most frequent indexed word one edit away, or nil when it changed
// nothing. Only words of four letters or more are corrected: shorter ones
// have too many neighbours to guess from.
func correct(ctx context.Context, db *gorm.DB, sr searcher, words []string) ([]string, error) {
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
// are filtered and sorted by, stamped with the version bumpIndexVersion
// set. Rows whose content did not change are left alone, so reindexing an
// up-to-date index writes nothing. usage_score is kept: it is not derived
// from the product.
const searchDocSQL = `INSERT INTO search_docs (product_id, domain_id, team_id, status, classification, sort_name, updated_at,
	version, name, summary, tags, description, fields, glossary, owner)
SELECT p.id, p.domain_id, p.team_id, p.status, p.classification, lower(p.name), p.updated_at,
	(SELECT version FROM search_state),
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
	updated_at = excluded.updated_at, version = excluded.version, name = excluded.name, summary = excluded.summary, tags = excluded.tags,
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
	tx = tx.WithContext(ctx)
	if err := bumpIndexVersion(tx); err != nil {
		return fmt.Errorf("index product %d: %w", productID, err)
	}
	if err := tx.Exec(fmt.Sprintf(searchDocSQL, "p.id = ?"), productID).Error; err != nil {
		return fmt.Errorf("index product %d: %w", productID, err)
	}
	return nil
}

// bumpIndexVersion counts a write to the index, so searches know to
// refresh their cache. On Postgres the row stays locked until the
// transaction ends, which orders index writes by commit: a search that
// read version v has seen every row stamped v or less.
func bumpIndexVersion(tx *gorm.DB) error {
	return tx.Exec("UPDATE search_state SET version = version + 1").Error
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
	sr := searcherFor(db)
	if err := sr.analyze(ctx, db); err != nil {
		return fmt.Errorf("reindex: %w", err)
	}
	for lo := uint(0); lo < maxID; lo += reindexBatch {
		err := db.Transaction(func(tx *gorm.DB) error {
			if err := bumpIndexVersion(tx); err != nil {
				return err
			}
			return tx.Exec(fmt.Sprintf(searchDocSQL, "p.id > ? AND p.id <= ?"), lo, lo+reindexBatch).Error
		})
		if err != nil {
			return fmt.Errorf("reindex products %d-%d: %w", lo+1, lo+reindexBatch, err)
		}
	}
	if err := db.Exec("DELETE FROM search_docs WHERE product_id NOT IN (SELECT id FROM products)").Error; err != nil {
		return fmt.Errorf("reindex: %w", err)
	}
	if err := sr.optimize(ctx, db); err != nil {
		return fmt.Errorf("reindex: optimize: %w", err)
	}
	return nil
}

// SetProductUsage records how much a product is used; the "usage" sort
// orders by it. Nothing measures usage yet: grants and query history will.
func (s *Store) SetProductUsage(ctx context.Context, productID uint, usage int64) error {
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := bumpIndexVersion(tx); err != nil {
			return err
		}
		return tx.Exec("UPDATE search_docs SET usage_score = ?, version = (SELECT version FROM search_state) WHERE product_id = ?",
			usage, productID).Error
	})
	if err != nil {
		return fmt.Errorf("set usage of product %d: %w", productID, err)
	}
	return nil
}

// WarmSearch loads the search cache, so the first search after a start does
// not pay for it (about a second at 100,000 products).
func (s *Store) WarmSearch(ctx context.Context) error {
	return s.searchCache().refresh(ctx, s.DB.WithContext(ctx))
}
