package models

import (
	"strings"
	"unicode"
)

// sqlRef is a two-part name in a query's text, "sales.orders", with the
// snapshot pin that may follow it ("sales.orders@20261127T0930Z-r42" or
// "sales.orders@2026-11-20"), and where it stands in the text.
type sqlRef struct {
	Schema, Name string // as written, unquoted, lower-cased
	Pin          string // after "@"; "" for the current snapshot
	Start, End   int    // byte span of the whole reference, pin included
}

// View is the reference as a view name.
func (r sqlRef) View() string { return r.Schema + "." + r.Name }

// sqlRefs finds the two-part names in sql outside string literals, quoted
// text and comments. It does not parse SQL: a name it finds that is no
// product is left for DuckDB to judge; a product it misses is simply not
// there for the query (the sandbox holds nothing else), so a miss can
// only fail a query, never widen what it reads.
func sqlRefs(sql string) []sqlRef {
	var refs []sqlRef
	type part struct {
		text       string
		start, end int
	}
	var prev []part // the dotted name being read
	flush := func(pin string, end int) {
		if len(prev) == 2 {
			refs = append(refs, sqlRef{Schema: strings.ToLower(prev[0].text), Name: strings.ToLower(prev[1].text),
				Pin: pin, Start: prev[0].start, End: end})
		}
		prev = prev[:0]
	}
	i := 0
	for i < len(sql) {
		c := sql[i]
		switch {
		case c == '\'':
			flush("", 0)
			i = skipQuoted(sql, i, '\'')
		case c == '$' && i+1 < len(sql) && sql[i+1] == '$':
			flush("", 0)
			if j := strings.Index(sql[i+2:], "$$"); j >= 0 {
				i += j + 4
			} else {
				i = len(sql)
			}
		case c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			flush("", 0)
			if j := strings.IndexByte(sql[i:], '\n'); j >= 0 {
				i += j
			} else {
				i = len(sql)
			}
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			flush("", 0)
			if j := strings.Index(sql[i+2:], "*/"); j >= 0 {
				i += j + 4
			} else {
				i = len(sql)
			}
		case c == '"' || isIdentStart(rune(c)):
			start := i
			var text string
			if c == '"' {
				i = skipQuoted(sql, i, '"')
				text = strings.ReplaceAll(sql[start+1:max(start+1, i-1)], `""`, `"`)
			} else {
				for i < len(sql) && isIdentPart(rune(sql[i])) {
					i++
				}
				text = sql[start:i]
			}
			// A name continues only right after a dot.
			if len(prev) > 0 && !(start > 0 && sql[start-1] == '.') {
				flush("", 0)
			}
			prev = append(prev, part{text, start, i})
			switch {
			case i < len(sql) && sql[i] == '.':
				i++ // the next part follows
			case i < len(sql) && sql[i] == '@' && len(prev) == 2:
				j := i + 1
				for j < len(sql) && isPinChar(sql[j]) {
					j++
				}
				flush(sql[i+1:j], j)
				i = j
			default:
				flush("", i)
			}
		default:
			if len(prev) > 0 {
				flush("", 0)
			}
			i++
		}
	}
	flush("", len(sql))
	return refs
}

// skipQuoted returns the index after the quoted text that starts at i
// (a doubled quote stands for one).
func skipQuoted(s string, i int, q byte) int {
	for j := i + 1; j < len(s); j++ {
		if s[j] == q {
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

func isIdentStart(r rune) bool { return r == '_' || r < 128 && unicode.IsLetter(r) }
func isIdentPart(r rune) bool  { return isIdentStart(r) || r >= '0' && r <= '9' }

// isPinChar: snapshot names (20261127T093000Z-r42) and times
// (2026-11-20, 2026-11-20T10:00:00Z, +01:00).
func isPinChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == ':' || c == '+' || c == '_' || c == '.'
}
