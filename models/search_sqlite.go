package models

import (
	"context"
	"strings"

	"gorm.io/gorm"
)

// sqliteSearch ranks small results with bm25 over the FTS5 table
// search_fts, an index over search_docs' text kept in sync by triggers
// (migration 0003_search). Matching itself runs over searchCache; the
// fts5vocab table search_vocab is no longer read.
type sqliteSearch struct{}

// sqliteWeights are the bm25 weights of search_fts' columns: name,
// summary, tags, description, fields (ports and columns), glossary, owner
// (domain and team names). A name match outranks a summary or tag match,
// which outranks one in the description or schema.
const sqliteWeights = "10.0, 5.0, 5.0, 2.0, 2.0, 2.0, 1.0"

// query builds an FTS5 query from the terms: each one a quoted string, so
// nothing in it is query syntax, with * when it matches as a prefix.
func (sqliteSearch) query(terms []searchTerm) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = `"` + strings.ReplaceAll(t.word, `"`, `""`) + `"`
		if t.prefix {
			parts[i] += "*"
		}
	}
	return strings.Join(parts, " AND ")
}

// rankLimit: bm25 and the row that carries it cost 3 to 25 µs a match
// (more for common words and for several), so 200 matches cost up to 5 ms.
func (sqliteSearch) rankLimit() int { return 200 }

func (q sqliteSearch) rank(ctx context.Context, db *gorm.DB, terms []searchTerm) (map[uint]float64, error) {
	rows, err := db.WithContext(ctx).Raw("SELECT rowid, bm25(search_fts, "+sqliteWeights+") FROM search_fts WHERE search_fts MATCH ?",
		q.query(terms)).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ranks := map[uint]float64{}
	for rows.Next() {
		var id uint
		var rank float64
		if err := rows.Scan(&id, &rank); err != nil {
			return nil, err
		}
		ranks[id] = rank
	}
	return ranks, rows.Err()
}

// optimize merges the FTS5 index into one segment, which makes queries
// after a bulk load faster.
func (sqliteSearch) optimize(ctx context.Context, db *gorm.DB) error {
	return db.WithContext(ctx).Exec("INSERT INTO search_fts(search_fts) VALUES ('optimize')").Error
}

// analyze does nothing: SQLite plans these statements well without statistics.
func (sqliteSearch) analyze(context.Context, *gorm.DB) error { return nil }
