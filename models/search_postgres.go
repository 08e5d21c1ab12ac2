package models

import (
	"context"
	"strings"

	"gorm.io/gorm"
)

// postgresSearch ranks small results with ts_rank over
// search_docs.document, a tsvector generated from the row's text with
// weights A (name), B (summary, tags), C (description, ports, columns,
// glossary terms) and D (domain and team names), under a GIN index
// (migration 0003_search). Matching itself runs over searchCache; the
// table search_words, which a trigger still keeps, is no longer read.
type postgresSearch struct{}

// postgresWeights are ts_rank's weights of D, C, B and A.
const postgresWeights = "'{0.1, 0.2, 0.4, 1.0}'"

// query builds a tsquery from the terms: each one a quoted lexeme, so
// nothing in it is query syntax, with :* when it matches as a prefix. The
// text is cast, not parsed by to_tsquery, so it means exactly the words we
// tokenized.
func (postgresSearch) query(terms []searchTerm) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(t.word) + "'"
		if t.prefix {
			parts[i] += ":*"
		}
	}
	return strings.Join(parts, " & ")
}

// rankLimit: ts_rank reads each match's whole tsvector from TOAST
// storage, 5 to 25 µs a match, so 200 matches cost up to 5 ms.
func (postgresSearch) rankLimit() int { return 200 }

func (q postgresSearch) rank(ctx context.Context, db *gorm.DB, terms []searchTerm) (map[uint]float64, error) {
	var rows []struct {
		ProductID uint
		Rank      float64
	}
	tsq := q.query(terms)
	err := db.WithContext(ctx).Raw("SELECT product_id, -ts_rank("+postgresWeights+", document, CAST(? AS tsquery)) AS rank"+
		" FROM search_docs WHERE document @@ CAST(? AS tsquery)", tsq, tsq).Scan(&rows).Error
	ranks := make(map[uint]float64, len(rows))
	for _, r := range rows {
		ranks[r.ProductID] = r.Rank
	}
	return ranks, err
}

// analyze refreshes the statistics of the tables the index is built from:
// after a bulk load without them, indexing 100,000 products takes half an
// hour instead of a minute.
func (postgresSearch) analyze(ctx context.Context, db *gorm.DB) error {
	return db.WithContext(ctx).Exec("ANALYZE products, product_tags, output_ports, columns, glossary_terms").Error
}

// optimize drops words no product holds any more and refreshes the
// index's statistics.
func (postgresSearch) optimize(ctx context.Context, db *gorm.DB) error {
	db = db.WithContext(ctx)
	if err := db.Exec("DELETE FROM search_words WHERE docs <= 0").Error; err != nil {
		return err
	}
	return db.Exec("ANALYZE search_docs, search_words").Error
}
