// Package dashboards renders the ownership, quality, usage, platform and
// my-products dashboards. Every table is a Table value, so that the page
// and its CSV export are the same rows.
package dashboards

import (
	"fmt"
	"net/url"
	"strconv"

	"plaza/models"
	"plaza/views/components"
)

// Boards are the dashboards' tabs, in order; Admin ones only for admins.
var Boards = []Board{
	{Key: "mine", Title: "My products", Path: "/dashboards/mine"},
	{Key: "ownership", Title: "Ownership", Path: "/dashboards/ownership"},
	{Key: "quality", Title: "Quality", Path: "/dashboards/quality"},
	{Key: "usage", Title: "Usage", Path: "/dashboards/usage"},
	{Key: "platform", Title: "Platform", Path: "/dashboards/platform", Admin: true},
}

// Board is one dashboard tab.
type Board struct {
	Key, Title, Path string
	Admin            bool
}

// Cell is one table cell: text, an optional link, and how to show it.
type Cell struct {
	Text  string
	Href  string
	Num   bool   // right-aligned figure
	Tone  string // a badge: success, warning, danger, neutral, info
	Muted bool
	Raw   string // the CSV's value where it differs from Text: 1234, not 1,234
}

// CSV is the cell's value in an export.
func (c Cell) CSV() string {
	if c.Raw != "" {
		return c.Raw
	}
	return c.Text
}

// Table is a dashboard table: shown on the page, exported as CSV.
type Table struct {
	ID    string // the export's name: ?export=<ID>
	Title string
	Hint  string // a line under the title
	Head  []string
	Nums  []bool // which columns hold figures
	Rows  [][]Cell
	Empty string // what the empty table says, and what to do
	More  int64  // rows not shown (the page shows the first ones)
	Half  bool   // laid out beside another half table
	// MoreNote follows "and N more"; "" says the export has the rows shown.
	MoreNote string
}

// Filter is the filter bar: choices and what is chosen.
type Filter struct {
	Board   string
	Domain  string // slug
	Team    string // slug, within Domain
	Range   int
	Domains []components.Option
	Teams   []TeamOption
	Error   string // an unknown domain or team, said on the page
	Scoped  bool   // the board does not filter by domain and team
}

// TeamOption is a team in the filter, with its domain so the browser can
// hide teams of other domains.
type TeamOption struct {
	Domain, Slug, Name string
}

// Query is the filter as URL parameters, with extra ones added.
func (f Filter) Query(extra ...string) string {
	v := url.Values{}
	if f.Domain != "" {
		v.Set("domain", f.Domain)
	}
	if f.Team != "" {
		v.Set("team", f.Team)
	}
	if f.Range != 0 && f.Range != 30 {
		v.Set("range", strconv.Itoa(f.Range))
	}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// ExportHref is the CSV export of one of the board's tables.
func (f Filter) ExportHref(board, table string) string {
	return "/dashboards/" + board + f.Query("export", table)
}

// RangeLabel says the range in words.
func (f Filter) RangeLabel() string { return "last " + strconv.Itoa(f.Range) + " days" }

func text(s string) Cell       { return Cell{Text: s} }
func link(s, href string) Cell { return Cell{Text: s, Href: href} }
func num(n int64) Cell {
	return Cell{Text: components.Number(n), Num: true, Raw: strconv.FormatInt(n, 10)}
}
func badge(s, tone string) Cell        { return Cell{Text: s, Tone: tone} }
func muted(s string) Cell              { return Cell{Text: s, Muted: true} }
func product(r models.ProductRef) Cell { return link(r.Name, r.Path()) }

func percentCell(r float64) Cell {
	c := Cell{Text: components.Percent(r), Num: true}
	if r >= 0 {
		c.Raw = strconv.FormatFloat(r, 'f', 4, 64)
	}
	switch {
	case r < 0:
		c.Muted = true
	case r < 0.8:
		c.Tone = "danger"
	case r < 0.95:
		c.Tone = "warning"
	}
	return c
}

func scoreCell(score *int) Cell {
	if score == nil {
		return muted("not scored")
	}
	return Cell{Text: strconv.Itoa(*score), Tone: components.ScoreTone(*score), Num: true}
}

// Duration shows milliseconds as "850 ms", "12.4 s" or "3 min 5 s".
func Duration(ms float64) string {
	switch {
	case ms < 0:
		return "–"
	case ms < 1000:
		return fmt.Sprintf("%.0f ms", ms)
	case ms < 60_000:
		return fmt.Sprintf("%.1f s", ms/1000)
	}
	s := int64(ms / 1000)
	return fmt.Sprintf("%d min %d s", s/60, s%60)
}

// Hours shows a number of hours as "45 min", "5.2 h" or "3.1 days".
func Hours(h float64) string {
	switch {
	case h < 1:
		return fmt.Sprintf("%.0f min", h*60)
	case h < 48:
		return fmt.Sprintf("%.1f h", h)
	}
	return fmt.Sprintf("%.1f days", h/24)
}
