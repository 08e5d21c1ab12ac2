package models

import (
	"context"
	"strings"

	"gorm.io/gorm"
)

// sqliteSearch matches with the FTS5 table search_fts, an index over
// search_docs' text kept in sync by triggers (migration 0003_search).
type sqliteSearch struct{}

// sqliteWeights are the bm25 weights of search_fts' columns: name,
// summary, tags, description, fields (ports and columns), glossary, owner
// (domain and team names). A name match outranks a summary or tag match,
// which outranks one in the description or schema.
const sqliteWeights = "10.0, 5.0, 5.0, 2.0, 2.0, 2.0, 1.0"

// match builds an FTS5 query from the terms: each one a quoted string, so
// nothing in it is query syntax, with * when it matches as a prefix.
func (sqliteSearch) match(groups [][]searchTerm) textMatch {
	if len(groups) == 0 {
		return textMatch{rank: "0", from: "search_docs d INDEXED BY idx_search_docs_facets", where: "1 = 1"}
	}
	parts := make([]string, 0, len(groups))
	for _, g := range groups {
		alts := make([]string, 0, len(g))
		for _, t := range g {
			alt := `"` + strings.ReplaceAll(t.word, `"`, `""`) + `"`
			if t.prefix {
				alt += "*"
			}
			alts = append(alts, alt)
		}
		parts = append(parts, "("+strings.Join(alts, " OR ")+")")
	}
	return textMatch{
		rank:      "bm25(search_fts, " + sqliteWeights + ")",
		from:      "search_fts JOIN search_docs d INDEXED BY idx_search_docs_facets ON d.product_id = search_fts.rowid",
		where:     "search_fts MATCH ?",
		whereArgs: []any{strings.Join(parts, " AND ")},
	}
}

// wordCounts reads the FTS5 vocabulary (search_vocab, an fts5vocab table),
// which FTS5 keeps up to date by itself.
func (sqliteSearch) wordCounts(ctx context.Context, db *gorm.DB, words []string) (map[string]int64, error) {
	var rows []struct {
		Term string
		Doc  int64
	}
	if err := db.WithContext(ctx).Raw("SELECT term, doc FROM search_vocab WHERE term IN ?", words).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Term] = r.Doc
	}
	return out, nil
}

func (sqliteSearch) knowsPrefix(ctx context.Context, db *gorm.DB, prefix string) (bool, error) {
	var terms []string
	err := db.WithContext(ctx).Raw("SELECT term FROM search_vocab WHERE term >= ? AND term < ? LIMIT 1",
		prefix, prefix+string(rune(0x10FFFF))).Scan(&terms).Error
	return len(terms) > 0, err
}

// optimize merges the FTS5 index into one segment, which makes queries
// after a bulk load faster.
func (sqliteSearch) optimize(ctx context.Context, db *gorm.DB) error {
	return db.WithContext(ctx).Exec("INSERT INTO search_fts(search_fts) VALUES ('optimize')").Error
}
