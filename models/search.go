package models

// The marketplace search: full text over data products with facets, sorts,
// paging and typo tolerance. Both databases hold the same search_docs rows;
// matching, counting, sorting and typo correction run in Go over an
// in-memory copy of them, so both answer alike. What differs by database
// lives behind searcher (search_sqlite.go: FTS5's bm25,
// search_postgres.go: ts_rank): ranking small results.
//
// How a search runs:
//
//   - The user's text is split into words here, in Go (searchWords): runs of
//     letters and digits, lower-cased. Everything else (quotes, *, -, :,
//     parentheses) is a separator and AND, OR, NOT, NEAR are stop words, so
//     no input is query syntax. Each word becomes a term that matches as a
//     prefix ("ord" finds "Orders"), with a trailing plural dropped first
//     ("orders" also finds "order"); every term must match.
//   - search_docs holds one row per product: its text in weighted parts
//     (name; summary and tags; description, ports, columns and glossary
//     terms; domain and team names) and copies of what results are filtered
//     and sorted by. indexProduct rewrites the row in the transaction of
//     every product write; triggers (migration 0003_search) follow renames
//     of domains, teams and glossary terms.
//   - searchCache mirrors search_docs in memory: every row's narrow
//     columns, and an inverted index of its text, cut into words as queries
//     are (eachWord): for each word, the rows that hold it anywhere, in
//     their name, and in their summary or tags, as gap lists or, for common
//     words, bitmaps. Every search first brings it up to date: index writes
//     bump search_state.version and stamp the rows they write, so a refresh
//     reads only those, and rows a rename rewrote are read again when a
//     search sees the new name. A term matches the rows of every indexed
//     word it is a prefix of; at 100,000 products, listing the 48,000 ids
//     a word prefix matches took FTS5 20 ms and the GIN index 40 ms, where
//     the bitmaps take microseconds.
//   - Visibility, facet filters and counts, sorting and paging run in Go
//     over the matches, each read once. Counting facets in SQL means reading
//     every match's row and tags: 150-400 ms for such a query, against a
//     few milliseconds in Go. The database then loads the page's cards.
//   - Relevance is the database's weighted ranking (bm25, ts_rank) when it
//     is cheap: up to searcher.rankLimit matches. Beyond that a product
//     scores by where each word matched: its name, else its summary or
//     tags, else elsewhere; the page is picked by integer keys without
//     sorting every match.
//   - When a query finds nothing, words no product holds are replaced by
//     the word one edit away (a deletion, insertion, substitution or swap of
//     neighbours) that most products hold, found in the in-memory
//     vocabulary, and the search runs once more; Suggestion then says what
//     was searched.

import (
	"bytes"
	"cmp"
	"container/list"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	mathbits "math/bits"
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
	Score          *int // the quality score; nil when not scored
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
	// rankLimit is how many matches rank may be asked to score within a
	// search's budget.
	rankLimit() int
	// rank scores the products matching terms with the database's
	// weighted ranking; lower is better.
	rank(ctx context.Context, db *gorm.DB, terms []searchTerm) (map[uint]float64, error)
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
		if fixed := run.cache.correct(words); fixed != nil {
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

// resultKey names a search's answer: the state of the cache, what drafts
// the user sees, the words, the facet selections, the sort and the page.
func (r *searchRun) resultKey(words []string) string {
	r.cache.mu.RLock()
	epoch := r.cache.epoch
	r.cache.mu.RUnlock()
	var b strings.Builder
	fmt.Fprintf(&b, "%d|%t|", epoch, r.admin)
	owned := make([]uint, 0, len(r.owned))
	for id := range r.owned {
		owned = append(owned, id)
	}
	slices.Sort(owned)
	fmt.Fprint(&b, owned, "|", words, "|", r.q.Domains, r.q.Teams, r.q.Classifications, r.q.Statuses, r.q.Tags,
		"|", r.sort, "|", r.page.Number, "|", r.page.Size)
	return b.String()
}

// resultCache keeps the answers of recent searches; any change to the
// cache (an index write, a rename) changes the epoch in every key, so stale
// answers are never served, only forgotten as new ones push them out.
type resultCache struct {
	mu    sync.Mutex
	order *list.List // most recent first; values are keys
	items map[string]*list.Element
	res   map[string]*SearchResult
}

func (c *resultCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.order, c.items, c.res = nil, nil, nil
}

// ForgetSearchResults empties the cache of recent answers, so the next
// searches are computed; benchmarks call it to measure searches, not the
// cache.
func (s *Store) ForgetSearchResults() { s.searchCache().results.clear() }

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
	names, domains, teams, err := r.cache.named.get(r.db)
	if err != nil {
		return err
	}
	if err := r.cache.refresh(ctx, r.db, names); err != nil {
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

	r.domains = map[uint]Domain{}
	for _, d := range domains {
		r.domains[d.ID] = d
		if contains(r.q.Domains, d.Slug) {
			r.domainIDs = addID(r.domainIDs, d.ID)
		}
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

// search runs the query for words over the cache; the database only
// ranks small results and loads the page's cards.
func (r *searchRun) search(ctx context.Context, words []string) (*SearchResult, error) {
	terms := searchTerms(words)
	c := r.cache
	c.mu.RLock()
	match, epoch := c.alive, c.epoch
	if len(terms) > 0 {
		match = c.match(terms)
	}
	var ranks map[uint]float64
	if n := countBits(match); len(terms) > 0 && r.sort == SortRelevance && n > 0 && n <= r.sr.rankLimit() {
		c.mu.RUnlock() // no database query under the lock
		var err error
		if ranks, err = r.sr.rank(ctx, r.db, terms); err != nil {
			return nil, fmt.Errorf("rank: %w", err)
		}
		c.mu.RLock()
		if c.epoch != epoch {
			match = c.match(terms)
		}
	}
	counts, found := r.filter(match, c.sorter(r.sort, terms, ranks))
	pageDocs := r.order(found)
	page := make([]uint, len(pageDocs))
	tags := make(map[uint][]string, len(pageDocs))
	for i, p := range pageDocs {
		d := &c.docs[p]
		page[i] = d.id
		for _, t := range c.tagsOf(d) {
			tags[d.id] = append(tags[d.id], c.tagList[t])
		}
	}
	res := r.result(int64(len(found)), &counts)
	c.mu.RUnlock()

	var err error
	res.Hits, err = r.loadHits(page, tags, terms)
	return res, err
}

// filter keeps the visible docs among the positions in match that pass
// every facet's selection, with their sort keys, and counts each facet's
// values over the docs that pass every other facet's. It runs for every
// match of a broad query, so selections are slices indexed by id or code
// rather than maps, and each doc is read once.
func (r *searchRun) filter(match []uint64, sorter *sorter) (facetCounts, []sortKey) {
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
	// Drafts are hidden but for the teams whose drafts the user sees.
	draft, hasDraft := c.codes[StatusDraft]
	drafts := make([]bool, c.maxTeam+1)
	for id := range drafts {
		drafts[id] = r.admin || r.owned[uint(id)]
	}
	// Which facet a doc failed, when it failed only one.
	const (
		none = iota
		byDomain
		byTeam
		byStatus
		byClass
		byTag
	)
	found := make([]sortKey, 0, countBits(match))
	for w, word := range match {
		for ; word != 0; word &= word - 1 {
			p := int32(w<<6 + mathbits.TrailingZeros64(word))
			d := &c.docs[p]
			if hasDraft && d.status == draft && !drafts[d.team] {
				continue
			}
			failed, failures := none, 0
			if domains != nil && !domains[d.domain] {
				failed, failures = byDomain, failures+1
			}
			if teams != nil && !teams[d.team] {
				failed, failures = byTeam, failures+1
			}
			if statuses != nil && !statuses[d.status] {
				failed, failures = byStatus, failures+1
			}
			if classes != nil && !classes[d.class] {
				failed, failures = byClass, failures+1
			}
			if tags != nil {
				tagged := false
				for _, t := range c.tagsOf(d) {
					tagged = tagged || tags[t]
				}
				if !tagged {
					failed, failures = byTag, failures+1
				}
			}
			switch {
			case failures == 0:
				a, b := sorter.key(p, d)
				found = append(found, sortKey{a, b, p})
				counts.domains[d.domain]++
				counts.teams[d.team]++
				counts.codes[d.status]++
				counts.codes[d.class]++
				for _, t := range c.tagsOf(d) {
					counts.tags[t]++
				}
			case failures > 1:
			case failed == byDomain:
				counts.domains[d.domain]++
			case failed == byTeam:
				counts.teams[d.team]++
			case failed == byStatus:
				counts.codes[d.status]++
			case failed == byClass:
				counts.codes[d.class]++
			case failed == byTag:
				for _, t := range c.tagsOf(d) {
					counts.tags[t]++
				}
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

// order returns the docs of the requested page of found. Picking the
// page out of tens of thousands of matches compares the integer keys, and
// names only on ties.
func (r *searchRun) order(found []sortKey) []int32 {
	c := r.cache
	less := func(x, y *sortKey) int {
		if x.a != y.a {
			return cmp.Compare(x.a, y.a)
		}
		if x.b != y.b {
			return cmp.Compare(x.b, y.b)
		}
		if n := strings.Compare(c.sortNames[x.pos], c.sortNames[y.pos]); n != 0 {
			return n
		}
		return cmp.Compare(c.docs[x.pos].id, c.docs[y.pos].id)
	}
	from := r.page.Offset()
	if from >= len(found) {
		return nil
	}
	top := smallest(found, from+r.page.Size, less)
	out := make([]int32, 0, len(top)-from)
	for _, k := range top[from:] {
		out = append(out, k.pos)
	}
	return out
}

// sorter gives docs their sort keys for one search's sort.
type sorter struct {
	sort  string
	ranks map[uint]float64 // by product id, when the database ranked
	// Otherwise relevance is by where each term matched: by term, the
	// positions whose name, or summary or tags, it matched.
	inName, inHead [][]uint64
}

func (c *searchCache) sorter(sort string, terms []searchTerm, ranks map[uint]float64) *sorter {
	s := &sorter{sort: sort, ranks: ranks}
	if sort == SortRelevance && ranks == nil {
		s.inName, s.inHead = make([][]uint64, len(terms)), make([][]uint64, len(terms))
		for i, t := range terms {
			s.inName[i], s.inHead[i] = c.termBits(t, c.name), c.termBits(t, c.head)
		}
	}
	return s
}

// key returns the first two keys of d at position p, lower first:
//
//   - relevance: the database's rank, then the name; or else the score by
//     where each term matched, the name (10), else the summary or tags (5),
//     else elsewhere (1), then shorter names, then the name
//   - recently updated: the time, latest first, then the id, highest first
//   - most used: the usage, highest first, then the name
//   - name: the name
//
// Ties are broken by the full name, then the id.
func (s *sorter) key(p int32, d *cachedDoc) (a, b uint64) {
	switch s.sort {
	case SortRelevance:
		if s.ranks != nil {
			rank, ok := s.ranks[d.id]
			if !ok {
				rank = math.Inf(1)
			}
			return ascFloat(rank), d.nameKey
		}
		score := 0
		for t := range s.inName {
			switch {
			case s.inName[t][p>>6]&(1<<(p&63)) != 0:
				score += 10
			case s.inHead[t][p>>6]&(1<<(p&63)) != 0:
				score += 5
			default:
				score++
			}
		}
		return uint64(1000-score)<<8 | uint64(min(d.nName, 99)), d.nameKey
	case SortUpdated:
		return ^ascInt(d.updated), ^uint64(d.id)
	case SortUsage:
		return ^ascInt(d.usage), d.nameKey
	}
	return d.nameKey, 0
}

// sortKey orders a doc: by a, then b, then its full sort name and id.
type sortKey struct {
	a, b uint64
	pos  int32
}

// ascInt maps an int64 to a uint64 in the same order.
func ascInt(v int64) uint64 { return uint64(v) ^ 1<<63 }

// ascFloat maps a float64 to a uint64 in the same order.
func ascFloat(f float64) uint64 {
	b := math.Float64bits(f)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

// nameKey is the first eight bytes of a name, in the order of names.
func nameKey(name string) uint64 {
	var k uint64
	for i := range 8 {
		k <<= 8
		if i < len(name) {
			k |= uint64(name[i])
		}
	}
	return k
}

// smallest returns the k smallest of keys in order. For a first page of a
// large result it keeps a short sorted list, which most keys do not enter,
// instead of sorting everything.
func smallest(keys []sortKey, k int, less func(x, y *sortKey) int) []sortKey {
	if k >= len(keys) || k > 500 {
		slices.SortFunc(keys, func(x, y sortKey) int { return less(&x, &y) })
		return keys[:min(k, len(keys))]
	}
	out := make([]sortKey, 0, k+1)
	for i := range keys {
		key := &keys[i]
		if len(out) == k {
			if last := &out[k-1]; key.a > last.a || key.a == last.a && less(key, last) >= 0 {
				continue
			}
		}
		at, _ := slices.BinarySearchFunc(out, key, func(x sortKey, y *sortKey) int { return less(&x, y) })
		out = slices.Insert(out, at, *key)
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

// loadHits loads the result cards of ids, keeping their order, with their
// tags as the cache holds them (in order, as search_docs lists them). A
// product that became a draft since the cache was refreshed is left out.
func (r *searchRun) loadHits(ids []uint, tags map[uint][]string, terms []searchTerm) ([]ProductHit, error) {
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
		Score          *int
	}
	err := r.db.Table("products p").
		Select(`p.id, dm.slug AS domain_slug, dm.name AS domain_name, p.team_id, t.slug AS team_slug, t.name AS team_name,
			p.slug, p.name, p.summary, p.description, p.classification, p.status, p.version, p.updated_at,
			p.published_at, p.freshness_hours, COALESCE(d.usage_score, 0) AS usage_score, h.score`).
		Joins("JOIN domains dm ON dm.id = p.domain_id").Joins("JOIN teams t ON t.id = p.team_id").
		Joins("LEFT JOIN search_docs d ON d.product_id = p.id").Joins("LEFT JOIN product_health h ON h.product_id = p.id").
		Where("p.id IN ?", ids).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load hits: %w", err)
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
			FreshnessHours: row.FreshnessHours, Usage: row.UsageScore, Score: row.Score, Tags: tags[row.ID]}
		byID[h.ID] = h
		if len(terms) > 0 && !anyMatch(h.Name, terms) && !anyMatch(h.Summary, terms) {
			if h.Snippet = snippet(row.Description, terms); h.Snippet == "" {
				needColumns = append(needColumns, h.ID)
			}
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

// searchCache is an in-memory copy of search_docs: what searches filter,
// count and sort by, and an inverted index of the text, so that neither
// matching nor counting asks the database for every match of a broad
// query. A search first brings it up to date: every index write bumps
// search_state.version and stamps the rows it wrote with it, so a refresh
// reads only those. Two kinds of change reach search_docs without a
// version: the triggers of migration 0003 copy a renamed domain, team or
// glossary term into the rows that name it, and a row may be deleted by
// hand. The cache therefore remembers the names its rows were read with
// (searchNames, which every search reads anyway), and reads again the rows
// of a name that changed; and it reloads whole when the row count differs
// from its own, or when rows read again have left more dead positions than
// it allows.
//
// A product's row lives at a position in docs. Reading a row again appends
// it at a new position and marks the old one dead, so postings only ever
// grow at their end and no position moves until a reload.
//
// At 100,000 generated products (185 MB of text, 3,100 distinct words) it
// holds about 25 MB and loads in a few seconds on the first search after
// the process starts (serve warms it).
type searchCache struct {
	results resultCache // answers of recent searches
	named   namesCache  // the names of domains, teams and terms

	mu      sync.RWMutex
	version int64       // of search_state when last refreshed; -1 before the first load
	epoch   int64       // counts refreshes that changed anything, for result keys
	names   searchNames // as the rows were written when they were read

	docs      []cachedDoc
	sortNames []string // by position in docs
	alive     []uint64 // bitmap of the positions that hold a product's current row
	live      int      // positions alive
	tagIDs    []uint32 // the tags of docs, end to end
	pos       []int32  // by product id: 1 + position in docs, 0 when absent

	maxDomain, maxTeam uint32
	codes              map[string]uint16 // statuses and classifications
	codeList           []string
	tags               map[string]uint32
	tagList            []string

	// The words of every text column, and where they occur: anywhere, in
	// the name, in the summary or tags. By word id.
	words            map[string]uint32
	wordList         []string
	byWord           []uint32 // word ids in the order of the words, for prefixes
	text, name, head []postings
}

// cachedDoc is one product as searches see it. It holds no pointers, so
// the garbage collector does not scan the cache's hundred thousand docs.
type cachedDoc struct {
	id            uint
	domain, team  uint32
	status, class uint16 // codes
	updated       int64  // unix nanoseconds
	usage         int64
	nameKey       uint64 // nameKey of its sort name
	off           uint32 // its tags are tagIDs[off : off+nTags]
	nTags         uint16
	nName         uint16 // distinct words in its name
}

func (c *searchCache) tagsOf(d *cachedDoc) []uint32 { return c.tagIDs[d.off : d.off+uint32(d.nTags)] }

// postings are the positions that hold a word, ascending: gaps as
// uvarints while the word is rare, a bitmap once it is common (in more
// than one doc in 32, where the bitmap is the smaller and the faster).
type postings struct {
	gaps []byte
	bits []uint64
	n    int32 // positions added, dead ones included
	last int32 // the last position added
}

// add records pos, which is not below any position added before, and
// reports whether it was new.
func (p *postings) add(pos int32, docs int) bool {
	if p.n > 0 && p.last == pos {
		return false
	}
	switch {
	case p.bits != nil:
		p.bits = setBit(p.bits, pos)
	case p.n == 0:
		p.gaps = binary.AppendUvarint(p.gaps, uint64(pos))
	default:
		p.gaps = binary.AppendUvarint(p.gaps, uint64(pos-p.last))
	}
	p.n, p.last = p.n+1, pos
	if p.bits == nil && p.n >= 256 && int(p.n)*32 > docs {
		p.bits = make([]uint64, 0, docs/64+1)
		p.each(func(at int32) { p.bits = setBit(p.bits, at) })
		p.gaps = nil
	}
	return true
}

// each calls fn with every position of a rare word's postings.
func (p *postings) each(fn func(pos int32)) {
	pos := int32(0)
	for i, b := 0, p.gaps; len(b) > 0; i++ {
		gap, n := binary.Uvarint(b)
		b = b[n:]
		if i == 0 {
			pos = int32(gap)
		} else {
			pos += int32(gap)
		}
		fn(pos)
	}
}

// orInto adds the positions to the bitmap dst.
func (p *postings) orInto(dst []uint64) {
	if p.bits != nil {
		for i, w := range p.bits[:min(len(p.bits), len(dst))] {
			dst[i] |= w
		}
		return
	}
	p.each(func(pos int32) { dst[pos>>6] |= 1 << (pos & 63) })
}

// hasAlive reports whether a position is alive in both p and alive.
func (p *postings) hasAlive(alive []uint64) bool {
	if p.bits != nil {
		for i, w := range p.bits[:min(len(p.bits), len(alive))] {
			if w&alive[i] != 0 {
				return true
			}
		}
		return false
	}
	found := false
	p.each(func(pos int32) { found = found || hasBit(alive, pos) })
	return found
}

// countAlive counts the positions alive in both p and alive.
func (p *postings) countAlive(alive []uint64) int {
	n := 0
	if p.bits != nil {
		for i, w := range p.bits[:min(len(p.bits), len(alive))] {
			n += mathbits.OnesCount64(w & alive[i])
		}
		return n
	}
	p.each(func(pos int32) {
		if hasBit(alive, pos) {
			n++
		}
	})
	return n
}

func setBit(b []uint64, pos int32) []uint64 {
	for int(pos>>6) >= len(b) {
		b = append(b, 0)
	}
	b[pos>>6] |= 1 << (pos & 63)
	return b
}

func hasBit(b []uint64, pos int32) bool {
	return int(pos>>6) < len(b) && b[pos>>6]&(1<<(pos&63)) != 0
}

func countBits(b []uint64) int {
	n := 0
	for _, w := range b {
		n += mathbits.OnesCount64(w)
	}
	return n
}

// searchNames are the names the rename triggers copy into search_docs:
// domains' and teams' names (owner) and glossary terms' names and
// synonyms (glossary), by id.
type searchNames struct {
	domains, teams, terms map[uint]string
}

// changedSince lists the ids whose name differs from what old holds, or
// that old does not know: rows naming a domain created after old was read
// may have been read with the name it had then.
func (n searchNames) changedSince(old searchNames) (domains, teams, terms []uint) {
	diff := func(now, before map[uint]string) []uint {
		var out []uint
		for id, name := range now {
			if was, ok := before[id]; !ok || was != name {
				out = append(out, id)
			}
		}
		return out
	}
	return diff(n.domains, old.domains), diff(n.teams, old.teams), diff(n.terms, old.terms)
}

// readSearchNames reads the names of domains, teams and glossary terms,
// with what else a search needs of domains and teams.
func readSearchNames(db *gorm.DB) (searchNames, []Domain, []teamRow, error) {
	names := searchNames{domains: map[uint]string{}, teams: map[uint]string{}, terms: map[uint]string{}}
	var domains []Domain
	if err := db.Select("id", "slug", "name").Find(&domains).Error; err != nil {
		return names, nil, nil, err
	}
	var teams []teamRow
	if err := db.Table("teams").Select("teams.id, domains.slug AS domain_slug, teams.slug, teams.name").
		Joins("JOIN domains ON domains.id = teams.domain_id").Scan(&teams).Error; err != nil {
		return names, nil, nil, err
	}
	var terms []struct {
		ID       uint
		Name     string
		Synonyms string
	}
	if err := db.Table("glossary_terms").Select("id, name, COALESCE(synonyms, '') AS synonyms").Scan(&terms).Error; err != nil {
		return names, nil, nil, err
	}
	for _, d := range domains {
		names.domains[d.ID] = d.Name
	}
	for _, t := range teams {
		names.teams[t.ID] = t.Name
	}
	for _, t := range terms {
		names.terms[t.ID] = t.Name + "\x00" + t.Synonyms
	}
	return names, domains, teams, nil
}

// namesCache keeps what readSearchNames read while a stamp of the three
// tables (their row counts and latest updated_at) stays the same: one
// small query a search instead of three that read every row. Every write
// to those tables goes through the models, which set updated_at, so a
// rename, a new row or a deletion changes the stamp, on any instance.
type namesCache struct {
	mu      sync.Mutex
	stamp   string
	names   searchNames
	domains []Domain
	teams   []teamRow
}

const namesStampSQL = `SELECT
 (SELECT COUNT(*) || '/' || COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM domains) || ' ' ||
 (SELECT COUNT(*) || '/' || COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM teams) || ' ' ||
 (SELECT COUNT(*) || '/' || COALESCE(CAST(MAX(updated_at) AS TEXT), '') FROM glossary_terms)`

// get returns the names, reading them again only when the stamp changed.
// Callers must not change what it returns.
func (n *namesCache) get(db *gorm.DB) (searchNames, []Domain, []teamRow, error) {
	var stamp string
	if err := db.Raw(namesStampSQL).Scan(&stamp).Error; err != nil {
		return searchNames{}, nil, nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if stamp != n.stamp || n.names.domains == nil {
		names, domains, teams, err := readSearchNames(db)
		if err != nil {
			return names, nil, nil, err
		}
		n.stamp, n.names, n.domains, n.teams = stamp, names, domains, teams
	}
	return n.names, n.domains, n.teams, nil
}

type teamRow struct {
	ID         uint
	DomainSlug string
	Slug       string
	Name       string
}

// searchCache returns the store's cache of search documents, made on first use.
func (s *Store) searchCache() *searchCache {
	s.searchOnce.Do(func() { s.search = &searchCache{version: -1} })
	return s.search
}

// refresh brings the cache up to date with search_docs, whose rows were
// written with names (read before this call).
func (c *searchCache) refresh(ctx context.Context, db *gorm.DB, names searchNames) error {
	var version int64
	if err := db.Raw("SELECT version FROM search_state").Scan(&version).Error; err != nil {
		return err
	}
	fresh := func() bool {
		d, t, g := names.changedSince(c.names)
		return c.version == version && len(d)+len(t)+len(g) == 0
	}
	c.mu.RLock()
	ok := fresh()
	c.mu.RUnlock()
	if ok {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if fresh() {
		return nil // another search refreshed it meanwhile
	}
	// The version is read before the rows: a write committed in between
	// is read twice, never missed. Likewise the names.
	full := c.version < 0
	if !full && version != c.version {
		var changed int64
		if err := db.Raw("SELECT COUNT(*) FROM search_docs WHERE version > ?", c.version).Scan(&changed).Error; err != nil {
			return err
		}
		full = changed > c.deadAllowed()
	}
	if !full {
		if version != c.version {
			if err := c.load(ctx, db, "version > ?", c.version); err != nil {
				return err
			}
		}
		if err := c.loadRenamed(ctx, db, names); err != nil {
			return err
		}
		var n int64
		if err := db.Raw("SELECT COUNT(*) FROM search_docs").Scan(&n).Error; err != nil {
			return err
		}
		full = n != int64(c.live) || len(c.docs)-c.live > int(c.deadAllowed())
	}
	if full {
		c.reset()
		if err := c.load(ctx, db, ""); err != nil {
			return err
		}
	}
	c.sortWords()
	c.version, c.names, c.epoch = version, names, c.epoch+1
	return nil
}

// deadAllowed is how many dead positions the cache keeps before it
// reloads whole: a quarter of the live ones, and at least 1,024.
func (c *searchCache) deadAllowed() int64 { return int64(c.live/4 + 1024) }

// loadRenamed reads again the rows of the domains, teams and glossary
// terms whose names changed since the cache last read names.
func (c *searchCache) loadRenamed(ctx context.Context, db *gorm.DB, names searchNames) error {
	domains, teams, terms := names.changedSince(c.names)
	var where []string
	var args []any
	if len(domains) > 0 {
		where, args = append(where, "domain_id IN ?"), append(args, domains)
	}
	if len(teams) > 0 {
		where, args = append(where, "team_id IN ?"), append(args, teams)
	}
	if len(terms) > 0 {
		where = append(where, `product_id IN (SELECT op.product_id FROM columns c JOIN output_ports op ON op.id = c.port_id
			WHERE c.term_id IN ?)`)
		args = append(args, terms)
	}
	if len(where) == 0 {
		return nil
	}
	return c.load(ctx, db, strings.Join(where, " OR "), args...)
}

func (c *searchCache) reset() {
	c.version = -1
	c.docs, c.sortNames, c.alive, c.live, c.tagIDs, c.pos, c.maxDomain, c.maxTeam = nil, nil, nil, 0, nil, nil, 0, 0
	c.codes, c.codeList = map[string]uint16{}, nil
	c.tags, c.tagList = map[string]uint32{}, nil
	c.words, c.wordList, c.byWord, c.text, c.name, c.head = map[string]uint32{}, nil, nil, nil, nil, nil
}

// load reads the rows a WHERE clause picks (every row when where is ""),
// each as the product's current row. Reading rows and indexing their words
// take about as long as each other, so they run side by side: this
// goroutine reads batches of rows, another indexes them.
func (c *searchCache) load(ctx context.Context, db *gorm.DB, where string, args ...any) error {
	query := `SELECT product_id, domain_id, team_id, status, classification, updated_at, sort_name, usage_score,
		name, summary, tags, description, fields, glossary, owner FROM search_docs`
	if where != "" {
		query += " WHERE " + where
	}
	rows, err := db.WithContext(ctx).Raw(query, args...).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	full, free := make(chan *rowBatch, 2), make(chan *rowBatch, 3)
	for range cap(free) {
		free <- &rowBatch{}
	}
	indexed := make(chan struct{})
	go func() {
		defer close(indexed)
		var word []byte
		for b := range full {
			word = c.index(b, word)
			free <- b
		}
	}()
	err = readRows(rows, full, free)
	close(full)
	<-indexed
	return err
}

// rowBatch is rows of search_docs as read: the text is held as raw bytes,
// end to end, and only its words are kept (185 MB of it at 100,000
// generated products).
type rowBatch struct {
	docs  []cachedDoc // id, domain, team, updated and usage set
	spans [][rowTexts][2]int32
	buf   []byte
}

// The texts of a row in a rowBatch, in this order.
const (
	rowStatus = iota
	rowClass
	rowSortName
	rowName
	rowSummary
	rowTags
	rowDescription
	rowFields
	rowGlossary
	rowOwner
	rowTexts
)

func (b *rowBatch) text(i, t int) []byte { return b.buf[b.spans[i][t][0]:b.spans[i][t][1]] }

// readRows reads rows into batches taken from free and sends them to full.
func readRows(rows *sql.Rows, full, free chan *rowBatch) error {
	var texts [rowTexts]sql.RawBytes
	dest := []any{nil, nil, nil, &texts[rowStatus], &texts[rowClass], nil, &texts[rowSortName], nil,
		&texts[rowName], &texts[rowSummary], &texts[rowTags], &texts[rowDescription], &texts[rowFields], &texts[rowGlossary], &texts[rowOwner]}
	b := <-free
	b.docs, b.spans, b.buf = b.docs[:0], b.spans[:0], b.buf[:0]
	for rows.Next() {
		var d cachedDoc
		var updated time.Time
		dest[0], dest[1], dest[2], dest[5], dest[7] = &d.id, &d.domain, &d.team, &updated, &d.usage
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		d.updated = updated.UnixNano()
		var spans [rowTexts][2]int32
		for t, text := range texts {
			spans[t][0] = int32(len(b.buf))
			b.buf = append(b.buf, text...)
			spans[t][1] = int32(len(b.buf))
		}
		b.docs, b.spans = append(b.docs, d), append(b.spans, spans)
		if len(b.docs) == 256 || len(b.buf) > 1<<20 {
			full <- b
			b = <-free
			b.docs, b.spans, b.buf = b.docs[:0], b.spans[:0], b.buf[:0]
		}
	}
	if len(b.docs) > 0 {
		full <- b
	}
	return rows.Err()
}

// index adds the rows of a batch, with word as scratch space.
func (c *searchCache) index(b *rowBatch, word []byte) []byte {
	for i := range b.docs {
		d := b.docs[i]
		sortName := string(b.text(i, rowSortName))
		d.status, d.class, d.nameKey = c.code(b.text(i, rowStatus)), c.code(b.text(i, rowClass)), nameKey(sortName)
		c.maxDomain, c.maxTeam = max(c.maxDomain, d.domain), max(c.maxTeam, d.team)
		p := c.place(d.id)
		d.off = uint32(len(c.tagIDs))
		for _, t := range bytes.Fields(b.text(i, rowTags)) {
			c.tagIDs = append(c.tagIDs, c.internTag(t))
		}
		d.nTags = uint16(len(c.tagIDs) - int(d.off))
		docs := int(p) + 1
		word = eachWord(b.text(i, rowName), word, func(w []byte) {
			id := c.wordID(w)
			c.text[id].add(p, docs)
			if c.name[id].add(p, docs) && d.nName < math.MaxUint16 {
				d.nName++
			}
		})
		for _, head := range []int{rowSummary, rowTags} {
			word = eachWord(b.text(i, head), word, func(w []byte) {
				id := c.wordID(w)
				c.text[id].add(p, docs)
				c.head[id].add(p, docs)
			})
		}
		for _, rest := range []int{rowDescription, rowFields, rowGlossary, rowOwner} {
			word = eachWord(b.text(i, rest), word, func(w []byte) { c.text[c.wordID(w)].add(p, docs) })
		}
		c.docs, c.sortNames = append(c.docs, d), append(c.sortNames, sortName)
	}
	return word
}

// place gives product id a new position, the next one, and marks its old
// position dead.
func (c *searchCache) place(id uint) int32 {
	p := int32(len(c.docs))
	if id >= uint(len(c.pos)) {
		c.pos = slices.Grow(c.pos, int(id)+1-len(c.pos))[:id+1]
	}
	if old := c.pos[id]; old > 0 {
		c.alive[(old-1)>>6] &^= 1 << ((old - 1) & 63)
		c.live--
	}
	c.pos[id] = p + 1
	c.alive = setBit(c.alive, p)
	c.live++
	return p
}

func (c *searchCache) code(b []byte) uint16 {
	code, ok := c.codes[string(b)]
	if !ok {
		code = uint16(len(c.codeList))
		c.codes[string(b)] = code
		c.codeList = append(c.codeList, string(b))
	}
	return code
}

func (c *searchCache) internTag(b []byte) uint32 {
	id, ok := c.tags[string(b)]
	if !ok {
		id = uint32(len(c.tagList))
		c.tags[string(b)] = id
		c.tagList = append(c.tagList, string(b))
	}
	return id
}

func (c *searchCache) wordID(w []byte) uint32 {
	id, ok := c.words[string(w)]
	if !ok {
		id = uint32(len(c.wordList))
		c.words[string(w)] = id
		c.wordList = append(c.wordList, string(w))
		c.text, c.name, c.head = append(c.text, postings{}), append(c.name, postings{}), append(c.head, postings{})
	}
	return id
}

// sortWords adds the words read since the last call to byWord.
func (c *searchCache) sortWords() {
	if len(c.byWord) == len(c.wordList) {
		return
	}
	byWord := func(a, b uint32) int { return strings.Compare(c.wordList[a], c.wordList[b]) }
	added := make([]uint32, 0, len(c.wordList)-len(c.byWord))
	for id := len(c.byWord); id < len(c.wordList); id++ {
		added = append(added, uint32(id))
	}
	slices.SortFunc(added, byWord)
	merged := make([]uint32, 0, len(c.wordList))
	i, j := 0, 0
	for i < len(c.byWord) && j < len(added) {
		if byWord(c.byWord[i], added[j]) < 0 {
			merged, i = append(merged, c.byWord[i]), i+1
		} else {
			merged, j = append(merged, added[j]), j+1
		}
	}
	c.byWord = append(append(merged, c.byWord[i:]...), added[j:]...)
}

// eachWord calls fn with each word of text, cut and lower-cased as
// searchSpans does, in buf (returned for reuse): fn must not keep it.
func eachWord(text, buf []byte, fn func(word []byte)) []byte {
	buf = buf[:0]
	for i := 0; i < len(text); {
		if b := text[i]; b < utf8.RuneSelf {
			i++
			switch {
			case 'a' <= b && b <= 'z' || '0' <= b && b <= '9':
				buf = append(buf, b)
				continue
			case 'A' <= b && b <= 'Z':
				buf = append(buf, b+'a'-'A')
				continue
			}
		} else {
			r, size := utf8.DecodeRune(text[i:])
			i += size
			if isWordRune(r) {
				buf = utf8.AppendRune(buf, unicode.ToLower(r))
				continue
			}
		}
		if len(buf) > 0 {
			fn(buf)
			buf = buf[:0]
		}
	}
	if len(buf) > 0 {
		fn(buf)
	}
	return buf
}

// wordsOf returns the ids of the indexed words t matches.
func (c *searchCache) wordsOf(t searchTerm) []uint32 {
	if !t.prefix {
		if id, ok := c.words[t.word]; ok {
			return []uint32{id}
		}
		return nil
	}
	lo, _ := slices.BinarySearchFunc(c.byWord, t.word, func(id uint32, w string) int { return strings.Compare(c.wordList[id], w) })
	hi := lo
	for hi < len(c.byWord) && strings.HasPrefix(c.wordList[c.byWord[hi]], t.word) {
		hi++
	}
	return c.byWord[lo:hi]
}

// termBits returns the positions whose words in lists (text, name or head)
// match t, dead ones included.
func (c *searchCache) termBits(t searchTerm, lists []postings) []uint64 {
	out := make([]uint64, len(c.alive))
	for _, id := range c.wordsOf(t) {
		lists[id].orInto(out)
	}
	return out
}

// match returns the live positions whose text matches every term.
func (c *searchCache) match(terms []searchTerm) []uint64 {
	out := slices.Clone(c.alive)
	for _, t := range terms {
		for i, w := range c.termBits(t, c.text) {
			out[i] &= w
		}
	}
	return out
}

// knows reports whether some product holds a word t matches.
func (c *searchCache) knows(t searchTerm) bool {
	for _, id := range c.wordsOf(t) {
		if c.text[id].hasAlive(c.alive) {
			return true
		}
	}
	return false
}

// correct returns words with those the index does not know replaced by
// the word one edit away that most products hold, or nil when it changed
// nothing. Only words of four letters or more are corrected: shorter ones
// have too many neighbours to guess from.
func (c *searchCache) correct(words []string) []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := append([]string(nil), words...)
	changed := false
	for i, w := range words {
		if n := utf8.RuneCountInString(w); n < 4 || n > 24 || c.knows(termFor(w, i == len(words)-1)) {
			continue
		}
		best, bestN := "", 0
		for _, e := range edits1(w) {
			id, ok := c.words[e]
			if !ok || utf8.RuneCountInString(e) < 4 { // "hand" is not a typo of "and"
				continue
			}
			if n := c.text[id].countAlive(c.alive); n > bestN || (n == bestN && n > 0 && e < best) {
				best, bestN = e, n
			}
		}
		if best != "" {
			out[i], changed = best, true
		}
	}
	if !changed {
		return nil
	}
	return out
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
	db := s.DB.WithContext(ctx)
	names, _, _, err := readSearchNames(db)
	if err != nil {
		return err
	}
	return s.searchCache().refresh(ctx, db, names)
}
