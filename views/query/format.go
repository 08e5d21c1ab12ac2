package query

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"plaza/views/components"
)

// domainGroup is the schema browser's tables of one domain, in the order
// the handler gave them.
type domainGroup struct {
	Domain string
	Tables []Table
}

func byDomain(tables []Table) []domainGroup {
	var groups []domainGroup
	at := map[string]int{}
	for _, t := range tables {
		i, ok := at[t.Domain]
		if !ok {
			i = len(groups)
			at[t.Domain] = i
			groups = append(groups, domainGroup{Domain: t.Domain})
		}
		groups[i].Tables = append(groups[i].Tables, t)
	}
	return groups
}

var plainIdent = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// ident is a column name as SQL must write it: quoted when it is not a
// plain lower-case identifier.
func ident(name string) string {
	if plainIdent.MatchString(name) {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// searchText is what the schema browser's filter matches a table against.
func searchText(t Table) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(t.View + " " + t.Product + " " + t.Domain + " " + t.Port))
	for _, c := range t.Columns {
		b.WriteString(" ")
		b.WriteString(strings.ToLower(c.Name))
	}
	return b.String()
}

// basisBadge is the tone and text of why the reader may query a table.
func basisBadge(t Table) (tone, text, title string) {
	switch t.Basis {
	case "team":
		return "info", "team", "Your team owns this product"
	case "open":
		return "success", "open", "Its classification needs no access request"
	case "grant":
		if t.GrantExpires != nil {
			return "warning", "grant", "Your grant ends " + components.DateTime(*t.GrantExpires)
		}
		return "warning", "grant", "You hold a grant"
	}
	return "neutral", t.Basis, ""
}

// rowsText is "1 row", "120,345 rows".
func rowsText(n int64) string {
	if n == 1 {
		return "1 row"
	}
	return components.Number(n) + " rows"
}

// Took writes a query's duration: 42 ms, 3.2 s, 1 m 04 s.
func Took(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Second:
		return strconv.FormatInt(max(d.Milliseconds(), 1), 10) + " ms"
	case d < 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + " s"
	}
	return fmt.Sprintf("%d m %02d s", int(d/time.Minute), int(d%time.Minute/time.Second))
}

// LimitsText is the limits line under the editor:
// "60 s, 1,000 rows shown, 512MB, 2 at a time".
func LimitsText(l Limits) string {
	var parts []string
	if l.Timeout > 0 {
		if l.Timeout >= 2*time.Minute && l.Timeout%time.Minute == 0 {
			parts = append(parts, strconv.Itoa(int(l.Timeout/time.Minute))+" min")
		} else {
			parts = append(parts, strconv.Itoa(int(math.Ceil(l.Timeout.Seconds())))+" s")
		}
	}
	if l.MaxRows > 0 {
		parts = append(parts, components.Number(int64(l.MaxRows))+" rows shown")
	}
	if l.Memory != "" {
		parts = append(parts, l.Memory)
	}
	if l.Concurrent > 0 {
		parts = append(parts, strconv.Itoa(l.Concurrent)+" at a time")
	}
	return strings.Join(parts, ", ")
}

// firstLine is a query's first non-empty line, cut to n runes.
func firstLine(sql string, n int) string {
	line := ""
	for _, l := range strings.Split(sql, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			line = l
			break
		}
	}
	more := strings.Count(strings.TrimSpace(sql), "\n") > 0
	r := []rune(line)
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	if more {
		return line + " …"
	}
	return line
}

// statusTone is the badge tone of a query status.
func statusTone(status string) string {
	switch status {
	case "succeeded":
		return "success"
	case "failed":
		return "danger"
	case "refused":
		return "warning"
	case "running":
		return "info"
	}
	return "neutral"
}

// errorTitle heads the error box of a failed run.
func errorTitle(kind string) string {
	switch kind {
	case "sql":
		return "The query failed"
	case "limit":
		return "The query hit a limit"
	case "access":
		return "No access"
	case "busy":
		return "Too many queries at once"
	case "cancelled":
		return "Cancelled"
	case "input":
		return "Check the query"
	}
	return "The query failed"
}

// errorTone is the alert class of an error box: a cancel the reader asked
// for, or a wait for a free slot, is not a failure.
func errorTone(kind string) string {
	switch kind {
	case "cancelled":
		return "alert-info"
	case "busy":
		return "alert-warning"
	}
	return "alert-error"
}

// numericType reports whether a DuckDB type holds numbers (right-aligned).
func numericType(t string) bool {
	t = strings.ToUpper(t)
	switch t {
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
		"UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "REAL", "INT", "DECIMAL", "NUMERIC":
		return true
	}
	return strings.HasPrefix(t, "DECIMAL(") || strings.HasPrefix(t, "NUMERIC(")
}

// cell writes one result value as text; the sandbox gives nil, bool,
// string, int64, float64, json.Number, or lists and maps.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		if math.Abs(x) >= 1e21 || (x != 0 && math.Abs(x) < 1e-6) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case []any, map[string]any:
		b, err := json.Marshal(x)
		if err == nil {
			return string(b)
		}
	}
	return fmt.Sprint(v)
}

// numericValue reports whether a value is a number (right-aligned).
func numericValue(v any) bool {
	switch v.(type) {
	case int64, float64, json.Number, int, int32, uint64:
		return true
	}
	return false
}

func savedPath(token string) string { return "/query/s/" + token }

func pageHref(q string, page int) string {
	v := "/admin/queries?page=" + strconv.Itoa(page)
	if q != "" {
		v += "&q=" + url.QueryEscape(q)
	}
	return v
}

// placeholder is the empty editor's hint, on a table the reader may query.
func placeholder(tables []Table) string {
	return "select * from " + firstView(tables) + " limit 10"
}

// firstView names a table the reader may query, for the examples.
func firstView(tables []Table) string {
	if len(tables) > 0 {
		return tables[0].View
	}
	return "sales.orders"
}

// breakable cuts a name after each dot and underscore, where a narrow
// column may wrap it: "customer.", "customer_", "consent_", "current".
func breakable(name string) []string {
	var parts []string
	start := 0
	for i, r := range name {
		if (r == '.' || r == '_') && i+1 < len(name) {
			parts = append(parts, name[start:i+1])
			start = i + 1
		}
	}
	return append(parts, name[start:])
}
