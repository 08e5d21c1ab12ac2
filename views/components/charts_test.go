package components

import (
	"bytes"
	"context"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

// render writes c and parses it, so the tests select what a browser sees.
func render(t *testing.T, c templ.Component) (*goquery.Document, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		t.Fatalf("render: %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc, buf.String()
}

func titles(sel *goquery.Selection) []string {
	var out []string
	sel.Each(func(_ int, s *goquery.Selection) { out = append(out, s.ChildrenFiltered("title").Text()) })
	return out
}

var nan = math.NaN()

func days(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "2026-11-" + string(rune('0'+(i+1)/10)) + string(rune('0'+(i+1)%10))
	}
	return out
}

func TestNiceTicks(t *testing.T) {
	cases := []struct {
		lo, hi float64
		want   []float64
	}{
		{0, 97, []float64{0, 25, 50, 75, 100}},
		{0, 100, []float64{0, 25, 50, 75, 100}},
		{0, 1234, []float64{0, 500, 1000, 1500}},
		{0, 8, []float64{0, 2, 4, 6, 8}},
		{0, 0.9, []float64{0, 0.25, 0.5, 0.75, 1}},
		{0, 2_900_000, []float64{0, 1e6, 2e6, 3e6}},
		{0, 0, []float64{0, 1, 2, 3, 4}},
		{-30, 70, []float64{-50, 0, 50, 100}},
	}
	for _, tc := range cases {
		got, _ := niceTicks(tc.lo, tc.hi)
		if !slices.Equal(got, tc.want) {
			t.Errorf("niceTicks(%v, %v) = %v, want %v", tc.lo, tc.hi, got, tc.want)
		}
		if len(got) < 3 || len(got) > 5 {
			t.Errorf("niceTicks(%v, %v) has %d ticks, want 3 to 5", tc.lo, tc.hi, len(got))
		}
	}
}

func TestCompactNumber(t *testing.T) {
	cases := map[float64]string{
		0:         "0",
		7:         "7",
		97.53:     "97.5",
		3.14159:   "3.14",
		0.25:      "0.25",
		999:       "999",
		999.7:     "1k",
		1000:      "1k",
		1234:      "1.2k",
		15000:     "15k",
		250000:    "250k",
		999_999:   "1M",
		3_400_000: "3.4M",
		2e9:       "2B",
		-1500:     "-1.5k",
	}
	for v, want := range cases {
		if got := compactNumber(v); got != want {
			t.Errorf("compactNumber(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestValueText(t *testing.T) {
	cases := []struct {
		v    float64
		unit string
		want string
	}{
		{97.53, "%", "97.5%"},
		{100, "%", "100%"},
		{1234567, "", "1,234,567"},
		{1234.5, " ms", "1,234.5 ms"},
		{0.126, "", "0.13"},
		{-2500, "", "-2,500"},
	}
	for _, tc := range cases {
		if got := valueText(tc.v, tc.unit); got != tc.want {
			t.Errorf("valueText(%v, %q) = %q, want %q", tc.v, tc.unit, got, tc.want)
		}
	}
}

func TestXTickIndices(t *testing.T) {
	cases := []struct {
		n, k int
		want []int
	}{
		{5, 8, []int{0, 1, 2, 3, 4}},
		{31, 8, []int{0, 5, 10, 15, 20, 25, 30}},
		{30, 8, []int{0, 5, 10, 15, 20, 25, 29}},
		{14, 8, []int{0, 2, 4, 6, 8, 10, 13}}, // 12 would crowd 13
		{1, 8, []int{0}},
	}
	for _, tc := range cases {
		if got := xTickIndices(tc.n, tc.k); !slices.Equal(got, tc.want) {
			t.Errorf("xTickIndices(%d, %d) = %v, want %v", tc.n, tc.k, got, tc.want)
		}
	}
}

func TestLineChart(t *testing.T) {
	c := Chart{
		Title:  "Pass rate",
		Labels: days(5),
		Series: []Series{{Name: "Pass rate", Values: []float64{99, 98, 97.54, 96, 100}}},
		Unit:   "%",
		YMax:   100,
	}
	doc, _ := render(t, LineChart(c))
	svg := doc.Find(`[data-testid="line-chart"] svg`)
	if role, _ := svg.Attr("role"); role != "img" {
		t.Errorf("role = %q, want img", role)
	}
	if label, _ := svg.Attr("aria-label"); label != "Pass rate" {
		t.Errorf("aria-label = %q, want the title", label)
	}
	if vb, _ := svg.Attr("viewBox"); vb != "0 0 640 180" {
		t.Errorf("viewBox = %q, want 0 0 640 180", vb)
	}
	if n := doc.Find("polyline.chart-line").Length(); n != 1 {
		t.Errorf("%d polylines, want 1", n)
	}
	dots := titles(doc.Find("circle.chart-dot"))
	if len(dots) != 5 {
		t.Fatalf("%d dots, want one per value (5)", len(dots))
	}
	if dots[2] != "Nov 3 · Pass rate: 97.5%" {
		t.Errorf("third dot's tooltip = %q, want %q", dots[2], "Nov 3 · Pass rate: 97.5%")
	}
	var ticks []string
	doc.Find(".chart-axis text[text-anchor=end]").Each(func(_ int, s *goquery.Selection) { ticks = append(ticks, s.Text()) })
	if want := []string{"0%", "25%", "50%", "75%", "100%"}; !slices.Equal(ticks, want) {
		t.Errorf("y ticks = %v, want %v", ticks, want)
	}
	if doc.Find(`[data-testid="chart-legend"]`).Length() != 0 {
		t.Error("a chart of one series has a legend")
	}
}

func TestLineChartGaps(t *testing.T) {
	c := Chart{
		Title:  "Rows",
		Labels: days(7),
		Series: []Series{
			{Name: "Orders", Values: []float64{1, 2, nan, 4, 5, nan, 7}},
			{Name: "Returns", Values: []float64{1, 1, 1}}, // shorter than the labels: the rest is missing
		},
	}
	doc, _ := render(t, LineChart(c))
	orders := doc.Find(".chart-series").Eq(0)
	if n := orders.Find("polyline.chart-line").Length(); n != 2 {
		t.Errorf("orders: %d polylines, want 2: the gap at Nov 3 splits the line and Nov 7 stands alone", n)
	}
	if n := orders.Find("circle.chart-dot").Length(); n != 5 {
		t.Errorf("orders: %d dots, want 5, one per value", n)
	}
	alone := orders.Find("circle.chart-dot.is-alone")
	if alone.Length() != 1 || !strings.HasPrefix(titles(alone)[0], "Nov 7 ·") {
		t.Errorf("the point between a gap and the end is not marked alone: %v", titles(alone))
	}
	for _, p := range titles(orders.Find("circle.chart-dot")) {
		if strings.Contains(p, "Nov 3") || strings.Contains(p, "Nov 6") {
			t.Errorf("a missing value has a dot: %q", p)
		}
	}
	returns := doc.Find(".chart-series").Eq(1)
	if n := returns.Find("circle.chart-dot").Length(); n != 3 {
		t.Errorf("returns: %d dots, want 3", n)
	}
	var legend []string
	doc.Find(`[data-testid="chart-legend"] li`).Each(func(_ int, s *goquery.Selection) { legend = append(legend, s.Text()) })
	if !slices.Equal(legend, []string{"Orders", "Returns"}) {
		t.Errorf("legend = %v, want both series", legend)
	}
}

func TestBarChart(t *testing.T) {
	single := Chart{
		Title:  "Rows by product",
		Labels: []string{"orders", "customers", "returns"},
		Series: []Series{{Name: "Rows", Values: []float64{1234, 900, nan}}},
	}
	doc, _ := render(t, BarChart(single))
	bars := titles(doc.Find("path.chart-bar"))
	if len(bars) != 2 {
		t.Fatalf("%d bars, want 2: the missing value has none", len(bars))
	}
	if bars[0] != "orders · Rows: 1,234" {
		t.Errorf("first bar's tooltip = %q", bars[0])
	}
	var ticks []string
	doc.Find(".chart-axis text[text-anchor=end]").Each(func(_ int, s *goquery.Selection) { ticks = append(ticks, s.Text()) })
	if want := []string{"0", "500", "1k", "1.5k"}; !slices.Equal(ticks, want) {
		t.Errorf("y ticks = %v, want %v", ticks, want)
	}

	grouped := Chart{
		Title:  "Reads",
		Labels: days(4),
		Series: []Series{{Name: "This week", Values: []float64{1, 2, 3, 4}}, {Name: "Last week", Values: []float64{4, 3, 2, 1}, Tone: "muted"}},
		Unit:   " reads",
	}
	doc, _ = render(t, BarChart(grouped))
	if n := doc.Find("path.chart-bar").Length(); n != 8 {
		t.Errorf("%d bars, want 8", n)
	}
	if n := doc.Find(".chart-series.chart-s0 path.chart-bar").Length(); n != 4 {
		t.Errorf("%d bars in the palette's first colour, want 4", n)
	}
	if n := doc.Find(".chart-series.chart-muted path.chart-bar").Length(); n != 4 {
		t.Errorf("%d bars in the muted tone, want 4", n)
	}
	if got := titles(doc.Find(".chart-muted path.chart-bar"))[1]; got != "Nov 2 · Last week: 3 reads" {
		t.Errorf("tooltip = %q", got)
	}
	// Side by side: the two bars of a day do not overlap.
	first := barX(t, doc.Find(".chart-s0 path.chart-bar").First())
	second := barX(t, doc.Find(".chart-muted path.chart-bar").First())
	if second <= first {
		t.Errorf("the second series' bar starts at %v, not right of the first's at %v", second, first)
	}
}

var moveTo = regexp.MustCompile(`^M([-0-9.]+) `)

func barX(t *testing.T, s *goquery.Selection) float64 {
	t.Helper()
	d, _ := s.Attr("d")
	m := moveTo.FindStringSubmatch(d)
	if m == nil {
		t.Fatalf("bar path %q", d)
	}
	x, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestStackedBarChart(t *testing.T) {
	c := Chart{
		Title:  "Runs",
		Labels: days(3),
		Series: []Series{
			{Name: "Succeeded", Values: []float64{40, 30, nan}, Tone: "ok"},
			{Name: "Failed", Values: []float64{2, nan, nan}, Tone: "bad"},
			{Name: "Skipped", Values: []float64{1, 5, nan}},
		},
	}
	doc, _ := render(t, StackedBarChart(c))
	stacks := doc.Find("g.chart-stack")
	if stacks.Length() != 2 {
		t.Fatalf("%d stacks, want 2: Nov 3 has no values", stacks.Length())
	}
	if got := stacks.First().ChildrenFiltered("title").Text(); got != "Nov 1 · Total: 43" {
		t.Errorf("stack title = %q", got)
	}
	if n := doc.Find("path.chart-seg").Length(); n != 5 {
		t.Errorf("%d segments, want 5, one per value", n)
	}
	segs := titles(stacks.First().Find("path.chart-seg"))
	if segs[1] != "Nov 1 · Failed: 2 · Total: 43" {
		t.Errorf("segment tooltip = %q", segs[1])
	}
	if cls, _ := stacks.First().Find("path.chart-seg").Eq(1).Attr("class"); !strings.Contains(cls, "chart-bad") {
		t.Errorf("Failed segment class = %q, want its tone", cls)
	}
	// The automatic palette counts only series without a tone.
	if cls, _ := stacks.First().Find("path.chart-seg").Eq(2).Attr("class"); !strings.Contains(cls, "chart-s0") {
		t.Errorf("Skipped segment class = %q, want chart-s0", cls)
	}
	// The scale reaches the largest total (43 -> 60), not the largest value (40).
	var top string
	doc.Find(".chart-axis text[text-anchor=end]").Each(func(_ int, s *goquery.Selection) { top = s.Text() })
	if top != "60" {
		t.Errorf("top tick = %q, want 60", top)
	}
}

func TestChartsEmpty(t *testing.T) {
	cases := map[string]Chart{
		"no labels":  {Title: "Runs", Series: []Series{{Name: "a", Values: []float64{1}}}},
		"all NaN":    {Title: "Runs", Labels: days(3), Series: []Series{{Name: "a", Values: []float64{nan, nan, nan}}}},
		"no values":  {Title: "Runs", Labels: days(3), Series: []Series{{Name: "a"}}},
		"no series":  {Title: "Runs", Labels: days(3)},
		"taller one": {Title: "Runs", Labels: days(3), Height: 240},
	}
	for name, c := range cases {
		for kind, comp := range map[string]templ.Component{"line": LineChart(c), "bar": BarChart(c), "stacked": StackedBarChart(c)} {
			doc, _ := render(t, comp)
			empty := doc.Find(`[data-testid="chart-empty"]`)
			if empty.Length() != 1 || !strings.Contains(empty.Text(), "No data in this range") {
				t.Errorf("%s, %s: no empty state", name, kind)
			}
			want := "0 0 640 180"
			if c.Height == 240 {
				want = "0 0 640 240"
			}
			if vb, _ := empty.Attr("viewBox"); vb != want {
				t.Errorf("%s, %s: empty state viewBox = %q, want %q, the chart's size", name, kind, vb, want)
			}
			if doc.Find(".chart-bar, .chart-seg, .chart-line, .chart-axis").Length() != 0 {
				t.Errorf("%s, %s: the empty state draws marks or axes", name, kind)
			}
		}
		doc, _ := render(t, ChartTable(c))
		if doc.Find("table").Length() != 0 || !strings.Contains(doc.Text(), "No data in this range") {
			t.Errorf("%s: table of an empty chart", name)
		}
	}
}

func TestXLabels(t *testing.T) {
	c := Chart{Title: "t", Labels: days(30), Series: []Series{{Name: "a", Values: make([]float64, 30)}}}
	doc, _ := render(t, LineChart(c))
	var xs []string
	doc.Find(".chart-axis text[text-anchor=middle]").Each(func(_ int, s *goquery.Selection) { xs = append(xs, s.Text()) })
	if len(xs) > 8 || xs[0] != "Nov 1" || xs[len(xs)-1] != "Nov 30" {
		t.Errorf("x labels = %v, want at most 8 from Nov 1 to Nov 30", xs)
	}
	// Thirty points are too close for dots: they appear on hover.
	if cls, _ := doc.Find("svg").Attr("class"); !strings.Contains(cls, "is-dense") {
		t.Errorf("svg class = %q, want is-dense", cls)
	}

	long := Chart{Title: "t", Labels: []string{"a_very_long_product_name_indeed", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"}, Series: []Series{{Values: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}}}
	doc, _ = render(t, BarChart(long))
	first := doc.Find(".chart-axis text[text-anchor=middle]").First().Text()
	if !strings.HasSuffix(first, "…") || len([]rune(first)) > 14 {
		t.Errorf("a long label is not cut to its band: %q", first)
	}
	if got := titles(doc.Find("path.chart-bar"))[0]; got != "a_very_long_product_name_indeed · 1" {
		t.Errorf("tooltip of a series without a name = %q, want the whole label", got)
	}
}

func TestShortLabels(t *testing.T) {
	got := shortLabels([]string{"2026-11-01", "2026-11-02"})
	if !slices.Equal(got, []string{"Nov 1", "Nov 2"}) {
		t.Errorf("days = %v", got)
	}
	got = shortLabels([]string{"2026-12-31", "2027-01-01"})
	if !slices.Equal(got, []string{"Dec 31, 2026", "Jan 1, 2027"}) {
		t.Errorf("days over a new year = %v", got)
	}
	got = shortLabels([]string{"2026-11", "orders"})
	if !slices.Equal(got, []string{"Nov 2026", "orders"}) {
		t.Errorf("month and name = %v", got)
	}
}

func TestSparkline(t *testing.T) {
	doc, _ := render(t, Sparkline([]float64{3, 5, nan, 4, 1234}, "Reads"))
	svg := doc.Find(`svg[data-testid="sparkline"]`)
	if vb, _ := svg.Attr("viewBox"); vb != "0 0 120 28" {
		t.Errorf("viewBox = %q", vb)
	}
	if n := svg.Find("polyline").Length(); n != 2 {
		t.Errorf("%d polylines, want 2 around the gap", n)
	}
	if svg.Find("circle.chart-spark-last").Length() != 1 {
		t.Error("the last point is not marked")
	}
	want := "Reads: last 1.2k · min 3 · max 1.2k · 4 values"
	if got := svg.ChildrenFiltered("title").Text(); got != want {
		t.Errorf("title = %q, want %q", got, want)
	}
	if cx, _ := svg.Find("circle.chart-spark-last").Attr("cx"); cx != "117" {
		t.Errorf("last point at x = %q, want 117, the right end", cx)
	}
	if cy, _ := svg.Find("circle.chart-spark-last").Attr("cy"); cy != "3" {
		t.Errorf("last point at y = %q, want 3, the top (it is the maximum)", cy)
	}

	doc, _ = render(t, Sparkline(nil, "Reads"))
	if got := doc.Find("svg title").Text(); got != "Reads: no data" {
		t.Errorf("empty sparkline title = %q", got)
	}
	if doc.Find("polyline").Length() != 0 {
		t.Error("an empty sparkline draws a line")
	}
}

func TestChartTable(t *testing.T) {
	c := Chart{
		Title:  "Pass rate",
		Labels: days(3),
		Series: []Series{{Name: "Pass rate", Values: []float64{99.04, nan, 1234.5}}, {Name: "Runs", Values: []float64{10, 12, 14}}},
		Unit:   "%",
	}
	doc, _ := render(t, ChartTable(c))
	var head []string
	doc.Find("thead th").Each(func(_ int, s *goquery.Selection) { head = append(head, s.Text()) })
	if !slices.Equal(head, []string{"Day", "Pass rate", "Runs"}) {
		t.Errorf("head = %v", head)
	}
	if doc.Find("caption").Text() != "Pass rate" {
		t.Errorf("caption = %q", doc.Find("caption").Text())
	}
	rows := doc.Find("tbody tr")
	if rows.Length() != 3 {
		t.Fatalf("%d rows, want 3", rows.Length())
	}
	var cells []string
	rows.Each(func(_ int, r *goquery.Selection) {
		r.Children().Each(func(_ int, s *goquery.Selection) { cells = append(cells, strings.TrimSpace(s.Text())) })
	})
	want := []string{"Nov 1", "99%", "10%", "Nov 2", "–", "12%", "Nov 3", "1,234.5%", "14%"}
	if !slices.Equal(cells, want) {
		t.Errorf("cells = %v, want %v", cells, want)
	}
	if dt, _ := rows.First().Find("time").Attr("datetime"); dt != "2026-11-01" {
		t.Errorf("datetime = %q", dt)
	}
}

var longCoord = regexp.MustCompile(` (points|d|cx|cy|x|y|x1|x2|y1|y2)="[^"]*\d\.\d\d`)

// Output is deterministic: the same chart renders the same bytes.
func TestChartsDeterministic(t *testing.T) {
	c := Chart{Title: "t", Labels: days(9), Series: []Series{{Name: "a", Values: []float64{1.0 / 3, 2.0 / 3, 1, nan, 0.1 + 0.2, 5, 6, 7, 8}}, {Name: "b", Values: []float64{3, 2, 1}}}}
	for _, comp := range []func(Chart) templ.Component{LineChart, BarChart, StackedBarChart} {
		_, a := render(t, comp(c))
		_, b := render(t, comp(c))
		if a != b {
			t.Error("two renders differ")
		}
		if m := longCoord.FindString(a); m != "" || strings.Contains(a, "NaN") {
			t.Errorf("a coordinate with more than one decimal, or NaN: %q", m)
		}
	}
}
