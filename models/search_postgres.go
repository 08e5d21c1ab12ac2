package models

import (
	"context"
	"strings"

	"gorm.io/gorm"
)

// postgresSearch matches with search_docs.document, a tsvector generated
// from the row's text with weights A (name), B (summary, tags), C
// (description, ports, columns, glossary terms) and D (domain and team
// names), under a GIN index (migration 0003_search).
type postgresSearch struct{}

// postgresWeights are ts_rank's weights of D, C, B and A.
const postgresWeights = "'{0.1, 0.2, 0.4, 1.0}'"

// match builds a tsquery from the terms: each one a quoted lexeme, so
// nothing in it is query syntax, with :* when it matches as a prefix. The
// text is cast, not parsed by to_tsquery, so it means exactly the words
// we tokenized.
func (postgresSearch) match(groups [][]searchTerm) textMatch {
	if len(groups) == 0 {
		return textMatch{rank: "0", from: "search_docs d", where: "1 = 1"}
	}
	parts := make([]string, 0, len(groups))
	for _, g := range groups {
		alts := make([]string, 0, len(g))
		for _, t := range g {
			alt := "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(t.word) + "'"
			if t.prefix {
				alt += ":*"
			}
			alts = append(alts, alt)
		}
		parts = append(parts, "("+strings.Join(alts, " | ")+")")
	}
	q := strings.Join(parts, " & ")
	return textMatch{
		rank:      "-ts_rank(" + postgresWeights + ", d.document, CAST(? AS tsquery))",
		rankArgs:  []any{q},
		from:      "search_docs d",
		where:     "d.document @@ CAST(? AS tsquery)",
		whereArgs: []any{q},
	}
}

// wordCounts reads search_words, which a trigger on search_docs keeps.
func (postgresSearch) wordCounts(ctx context.Context, db *gorm.DB, words []string) (map[string]int64, error) {
	var rows []struct {
		Word string
		Docs int64
	}
	if err := db.WithContext(ctx).Raw("SELECT word, docs FROM search_words WHERE word IN ? AND docs > 0", words).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Word] = r.Docs
	}
	return out, nil
}

func (postgresSearch) knowsPrefix(ctx context.Context, db *gorm.DB, prefix string) (bool, error) {
	var words []string
	err := db.WithContext(ctx).Raw("SELECT word FROM search_words WHERE word >= ? AND word < ? AND docs > 0 LIMIT 1",
		prefix, prefix+string(rune(0x10FFFF))).Scan(&words).Error
	return len(words) > 0, err
}

// optimize drops words no product holds any more and refreshes the
// planner's statistics.
func (postgresSearch) optimize(ctx context.Context, db *gorm.DB) error {
	db = db.WithContext(ctx)
	if err := db.Exec("DELETE FROM search_words WHERE docs <= 0").Error; err != nil {
		return err
	}
	return db.Exec("ANALYZE search_docs, search_words").Error
}
