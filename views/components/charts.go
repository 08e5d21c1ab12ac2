package components

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Dashboard charts (line, bar, stacked bar, sparkline) are drawn here as SVG
// on the server; charts.templ writes the elements. Everything is laid out
// in a drawing 640 units wide that CSS scales to its container, so a chart
// has the same proportions everywhere and its text never stretches. Numbers
// are written with fixed precision, so the same data always draws the same
// bytes.
const (
	chartW        = 640 // the drawing's width; CSS scales it to the container
	chartDefaultH = 180
	chartMinH     = 80
	chartTop      = 10 // above the plot: room for the top tick's label
	chartBottom   = 24 // below the plot: the x labels
	chartCharW    = 7  // about the widest digit of the 12 px axis font
	chartMaxX     = 8  // x labels at most
	chartBarMax   = 40 // the widest bar
	chartDotGap   = 24 // points closer than this get no dots until hovered
	sparkW        = 120
	sparkH        = 28
	sparkPad      = 3
)

// Series is one named line or bar stack layer.
type Series struct {
	Name   string
	Values []float64 // one per label; math.NaN() = no data (line gap, no bar)
	Tone   string    // "" = automatic palette; else one of "ok", "bad", "warn", "info", "muted"
}

// Chart is the data of a line or bar chart: categories along x, one value
// per category and series.
type Chart struct {
	Title  string   // accessible title (aria-label)
	Labels []string // x categories, e.g. days "2026-11-01", shown as "Nov 1"
	Series []Series
	Unit   string  // appended to values in tooltips and y ticks: "%", " ms", ""
	YMax   float64 // the y axis reaches at least this; 0 = from the data, 100 for percentages
	Height int     // of the drawing at its natural 640 px width; 0 = 180
}

// value is series s's value at label i, NaN where it has none.
func (c Chart) value(s, i int) float64 {
	vs := c.Series[s].Values
	if i >= len(vs) || math.IsInf(vs[i], 0) {
		return math.NaN()
	}
	return vs[i]
}

// empty says whether c has nothing to draw: no labels or no value.
func (c Chart) empty() bool {
	for s := range c.Series {
		for i := range c.Labels {
			if !math.IsNaN(c.value(s, i)) {
				return false
			}
		}
	}
	return true
}

func (c Chart) height() int {
	if c.Height <= 0 {
		return chartDefaultH
	}
	return max(c.Height, chartMinH)
}

func (c Chart) title() string {
	if c.Title == "" {
		return "Chart"
	}
	return c.Title
}

// chartTones are the tones a series may ask for; any other gets the palette.
var chartTones = map[string]bool{"ok": true, "bad": true, "warn": true, "info": true, "muted": true}

const chartPalette = 6 // chart-s0 .. chart-s5 in plaza.css

// seriesClasses gives each series its colour class: its tone, or the next
// colour of the palette.
func seriesClasses(series []Series) []string {
	out := make([]string, len(series))
	auto := 0
	for i, s := range series {
		if chartTones[s.Tone] {
			out[i] = "chart-" + s.Tone
			continue
		}
		out[i] = "chart-s" + strconv.Itoa(auto%chartPalette)
		auto++
	}
	return out
}

// chartTick is one label on an axis, with its gridline for y.
type chartTick struct {
	At     string // x or y in the drawing
	Text   string
	Anchor string // text-anchor of an x label
	Zero   bool   // the y = 0 line, drawn darker
}

// chartKey is one entry of a legend.
type chartKey struct {
	Class, Name string
}

// chartFrame is what every chart has around its marks: the plot area, the
// y scale with its ticks, the x labels and the legend.
type chartFrame struct {
	W, H                     int
	Left, Right, Top, Bottom float64 // the plot area
	Lo, Hi                   float64 // the y scale
	YTicks, XTicks           []chartTick
	Legend                   []chartKey
	Classes                  []string // per series
	Labels                   []string // the labels as shown in tooltips
	Bands                    bool     // categories are bands (bars), not points (lines)
	Empty                    bool
}

func (f chartFrame) viewBox() string {
	return "0 0 " + strconv.Itoa(f.W) + " " + strconv.Itoa(f.H)
}

// y is where value v is drawn.
func (f chartFrame) y(v float64) float64 {
	return f.Bottom - (v-f.Lo)/(f.Hi-f.Lo)*(f.Bottom-f.Top)
}

// band is the width of one category.
func (f chartFrame) band() float64 {
	return (f.Right - f.Left) / float64(len(f.Labels))
}

// x is the middle of category i.
func (f chartFrame) x(i int) float64 {
	n := len(f.Labels)
	switch {
	case f.Bands:
		return f.Left + (float64(i)+0.5)*f.band()
	case n == 1:
		return (f.Left + f.Right) / 2
	}
	return f.Left + float64(i)*(f.Right-f.Left)/float64(n-1)
}

// newChartFrame lays out the axes of c for values from lo to hi.
func newChartFrame(c Chart, lo, hi float64, bands bool) chartFrame {
	f := chartFrame{W: chartW, H: c.height(), Bands: bands, Classes: seriesClasses(c.Series)}
	if c.empty() {
		f.Empty = true
		return f
	}
	if len(c.Series) > 1 {
		for i, s := range c.Series {
			f.Legend = append(f.Legend, chartKey{Class: f.Classes[i], Name: seriesName(s)})
		}
	}
	ticks, step := niceTicks(lo, max(hi, c.YMax))
	f.Lo, f.Hi = ticks[0], ticks[len(ticks)-1]
	f.Top, f.Bottom = chartTop, float64(f.H-chartBottom)

	// The y labels sit right-aligned left of the plot.
	texts := make([]string, len(ticks))
	widest := 0
	for i, t := range ticks {
		texts[i] = tickText(t, step) + c.Unit
		widest = max(widest, len([]rune(texts[i])))
	}
	f.Left = math.Round(float64(widest)*chartCharW + 10)
	f.Right = chartW - 4

	short := shortLabels(c.Labels)
	f.Labels = short
	if !bands {
		// The first and last points sit on the plot's edges and their
		// labels are centred under them: leave room for half a label.
		first := float64(len([]rune(short[0])))*chartCharW/2 + 2
		last := float64(len([]rune(short[len(short)-1])))*chartCharW/2 + 2
		f.Left = max(f.Left, math.Round(first))
		f.Right = chartW - max(12, math.Round(last))
	}
	for i, t := range ticks {
		f.YTicks = append(f.YTicks, chartTick{At: coord(f.y(t)), Text: texts[i], Zero: t == 0})
	}
	f.XTicks = f.xTicks(short)
	return f
}

// xTicks picks the labels shown under the plot: at most chartMaxX, as many
// as fit, evenly spaced, always the first and the last, each cut to the
// room it has.
func (f chartFrame) xTicks(short []string) []chartTick {
	n := len(short)
	widest := 0
	for _, s := range short {
		widest = max(widest, len([]rune(s)))
	}
	plotW := f.Right - f.Left
	fit := int(plotW/(min(float64(widest), 14)*chartCharW+14)) + 1
	idx := xTickIndices(n, min(max(fit, 2), chartMaxX))

	// The room of a label is the distance to its nearest neighbour; a
	// single label has the whole plot.
	room := plotW
	if f.Bands {
		room = f.band() * float64(n)
	}
	for k := 1; k < len(idx); k++ {
		room = min(room, f.x(idx[k])-f.x(idx[k-1]))
	}
	chars := max(int((room-8)/chartCharW), 3)
	var out []chartTick
	for _, i := range idx {
		out = append(out, chartTick{At: coord(f.x(i)), Text: cut(short[i], chars), Anchor: "middle"})
	}
	return out
}

// xTickIndices chooses at most k of n labels, evenly spaced, with the first
// and the last; when the last regular one would crowd the last, it goes.
func xTickIndices(n, k int) []int {
	if n <= 0 {
		return nil
	}
	if n <= k || n == 1 {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	k = max(k, 2)
	step := (n - 2 + k - 1) / (k - 1) // ceil((n-1)/(k-1))
	var out []int
	for i := 0; i < n-1; i += step {
		out = append(out, i)
	}
	if last := out[len(out)-1]; len(out) > 1 && float64(n-1-last) < 0.6*float64(step) {
		out = out[:len(out)-1]
	}
	return append(out, n-1)
}

// niceTicks is a y scale from lo to hi on round numbers: the smallest step
// of 1, 2, 2.5 or 5 times a power of ten that covers the range in at most
// four intervals. 0..97 gives 0, 25, 50, 75, 100; 0..1234 gives 0, 500,
// 1000, 1500. It returns the ticks and the step.
func niceTicks(lo, hi float64) ([]float64, float64) {
	lo, hi = min(lo, 0), max(hi, 0)
	if hi-lo <= 0 {
		hi = 4 // all zeros: a scale of small counts
	}
	const eps = 1e-9
	mag := math.Pow(10, math.Floor(math.Log10(hi-lo))-1)
	var step float64
	var from, to int
	for _, m := range []float64{1, 2, 2.5, 5, 10, 20, 25, 50, 100} {
		step = m * mag
		from = int(math.Floor(lo/step + eps))
		to = int(math.Ceil(hi/step - eps))
		if to-from <= 4 {
			break
		}
	}
	ticks := make([]float64, 0, to-from+1)
	for k := from; k <= to; k++ {
		// Multiplying, not adding, keeps 0.1+0.2 errors out of the labels.
		t := float64(k) * step
		if math.Abs(t) < step*eps {
			t = 0
		}
		ticks = append(ticks, t)
	}
	return ticks, step
}

// tickText writes a tick compactly, with as many decimals as its step needs.
func tickText(v, step float64) string {
	if math.Abs(v) >= 1000 {
		return compactNumber(v)
	}
	d := 0
	for d < 6 && math.Abs(step*math.Pow(10, float64(d))-math.Round(step*math.Pow(10, float64(d)))) > 1e-6 {
		d++
	}
	return trimZeros(strconv.FormatFloat(v, 'f', d, 64))
}

// compactNumber writes v short, for axes and summaries: 1234 is "1.2k",
// 3400000 "3.4M", 97.53 "97.5", 0.25 "0.25".
func compactNumber(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	a := math.Abs(v)
	if a < 1000 {
		d := 2
		switch {
		case a >= 100:
			d = 0
		case a >= 10:
			d = 1
		case a > 0 && a < 0.1:
			return trimZeros(strconv.FormatFloat(v, 'g', 2, 64))
		}
		s := trimZeros(strconv.FormatFloat(v, 'f', d, 64))
		if s != "1000" && s != "-1000" {
			return s
		}
	}
	for i, suffix := range []string{"k", "M", "B", "T"} {
		scaled := v / math.Pow(1000, float64(i+1))
		d := 1
		if math.Abs(scaled) >= 99.95 {
			d = 0
		}
		s := trimZeros(strconv.FormatFloat(scaled, 'f', d, 64))
		if n, _ := strconv.ParseFloat(s, 64); math.Abs(n) < 1000 || suffix == "T" {
			return s + suffix
		}
	}
	return "" // not reached
}

// valueText writes a value exactly, for tooltips and tables: thousands
// separated, at most two decimals, one for a percentage: "1,234", "97.5%".
func valueText(v float64, unit string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "no data"
	}
	d := 2
	if strings.TrimSpace(unit) == "%" {
		d = 1
	}
	s := trimZeros(strconv.FormatFloat(v, 'f', d, 64))
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	n, _ := strconv.ParseInt(whole, 10, 64)
	s = Number(n)
	if frac != "" {
		s += "." + frac
	}
	if neg {
		s = "-" + s
	}
	return s + unit
}

// trimZeros drops a decimal number's trailing zeros, and "-0".
func trimZeros(s string) string {
	if strings.ContainsRune(s, '.') && !strings.ContainsAny(s, "eE") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		return "0"
	}
	return s
}

// coord writes a position in the drawing to a tenth of a unit.
func coord(v float64) string {
	return trimZeros(strconv.FormatFloat(v, 'f', 1, 64))
}

// shortLabels shows days ("2026-11-01") as "Nov 1" and months ("2026-11")
// as "Nov 2026"; days get their year when the labels span several. Other
// labels stay as they are.
func shortLabels(labels []string) []string {
	out := make([]string, len(labels))
	days := make([]time.Time, len(labels))
	years := map[int]bool{}
	for i, l := range labels {
		out[i] = l
		if t, err := time.Parse("2006-01-02", l); err == nil {
			days[i] = t
			years[t.Year()] = true
		} else if t, err := time.Parse("2006-01", l); err == nil {
			out[i] = t.Format("Jan 2006")
		}
	}
	for i, t := range days {
		switch {
		case t.IsZero():
		case len(years) > 1:
			out[i] = t.Format("Jan 2, 2006")
		default:
			out[i] = t.Format("Jan 2")
		}
	}
	return out
}

// labelKind names the label column of a chart's table.
func labelKind(labels []string) string {
	for _, l := range labels {
		if _, err := time.Parse("2006-01-02", l); err != nil {
			if _, err := time.Parse("2006-01", l); err == nil {
				return "Month"
			}
			return ""
		}
	}
	return "Day"
}

func seriesName(s Series) string {
	if s.Name == "" {
		return "Value"
	}
	return s.Name
}

// pointTitle is a value's tooltip: "Nov 3 · Pass rate: 97.5%".
func pointTitle(label string, s Series, v float64, unit string) string {
	if s.Name == "" {
		return label + " · " + valueText(v, unit)
	}
	return label + " · " + s.Name + ": " + valueText(v, unit)
}

// chartDot is one point of a line, with its tooltip.
type chartDot struct {
	X, Y, Title string
	Alone       bool // between two gaps: it has no line, so it is always drawn
}

// chartLine is one series of a line chart.
type chartLine struct {
	Class  string
	Points []string // one polyline for each run of values without a gap
	Areas  []string // the area under each run, when the chart has one series
	Dots   []chartDot
}

type lineLayout struct {
	chartFrame
	Lines []chartLine
	Dense bool // points too close for dots: they show on hover
}

func layoutLineChart(c Chart) lineLayout {
	lo, hi := chartRange(c)
	lay := lineLayout{chartFrame: newChartFrame(c, lo, hi, false)}
	if lay.Empty {
		return lay
	}
	n := len(c.Labels)
	lay.Dense = n > 1 && (lay.Right-lay.Left)/float64(n-1) < chartDotGap
	base := coord(lay.y(max(lay.Lo, 0)))
	for s, series := range c.Series {
		line := chartLine{Class: lay.Classes[s]}
		var run []string
		var runX []string
		flush := func() {
			if len(run) > 1 {
				line.Points = append(line.Points, strings.Join(run, " "))
				if len(c.Series) == 1 {
					area := runX[0] + "," + base + " " + strings.Join(run, " ") + " " + runX[len(runX)-1] + "," + base
					line.Areas = append(line.Areas, area)
				}
			} else if len(run) == 1 {
				line.Dots[len(line.Dots)-1].Alone = true
			}
			run, runX = nil, nil
		}
		for i := range n {
			v := c.value(s, i)
			if math.IsNaN(v) {
				flush()
				continue
			}
			x, y := coord(lay.x(i)), coord(lay.y(v))
			run, runX = append(run, x+","+y), append(runX, x)
			line.Dots = append(line.Dots, chartDot{X: x, Y: y, Title: pointTitle(lay.Labels[i], series, v, c.Unit)})
		}
		flush()
		lay.Lines = append(lay.Lines, line)
	}
	return lay
}

// chartRange is the smallest and largest value of c.
func chartRange(c Chart) (lo, hi float64) {
	for s := range c.Series {
		for i := range c.Labels {
			if v := c.value(s, i); !math.IsNaN(v) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	return lo, hi
}

// chartBar is one bar or one segment of a stack.
type chartBar struct {
	Class, D, Title string
	Zero            bool // a segment of no height: no outline either
}

type barLayout struct {
	chartFrame
	Groups [][]chartBar // per series, so each series is one <g> with its colour
}

// barWidths splits a category's band among k bars side by side: each bar's
// width and the gap between bars in a group.
func barWidths(band float64, k int) (w, gap float64) {
	group := band * 0.7
	gap = 0
	if k > 1 {
		gap = min(2, group*0.1/float64(k-1))
	}
	w = min((group-gap*float64(k-1))/float64(k), chartBarMax)
	return w, gap
}

func layoutBarChart(c Chart) barLayout {
	lo, hi := chartRange(c)
	lay := barLayout{chartFrame: newChartFrame(c, lo, hi, true)}
	if lay.Empty {
		return lay
	}
	k := len(c.Series)
	w, gap := barWidths(lay.band(), k)
	group := float64(k)*w + float64(k-1)*gap
	zero := lay.y(0)
	for s, series := range c.Series {
		var bars []chartBar
		for i := range c.Labels {
			v := c.value(s, i)
			if math.IsNaN(v) {
				continue
			}
			x := lay.x(i) - group/2 + float64(s)*(w+gap)
			top, bottom := min(lay.y(v), zero), max(lay.y(v), zero)
			d := barPath(x, top, w, bottom-top, v >= 0)
			bars = append(bars, chartBar{D: d, Title: pointTitle(lay.Labels[i], series, v, c.Unit)})
		}
		lay.Groups = append(lay.Groups, bars)
	}
	return lay
}

// barPath is a bar from (x, y) down h units, its top corners rounded by 2
// (its bottom ones when it hangs below zero), less when it is small.
func barPath(x, y, w, h float64, up bool) string {
	r := min(2, w/2, h)
	if r < 0.5 {
		return "M" + coord(x) + " " + coord(y) + "h" + coord(w) + "v" + coord(h) + "h" + coord(-w) + "z"
	}
	if up {
		return "M" + coord(x) + " " + coord(y+h) +
			"V" + coord(y+r) + "Q" + coord(x) + " " + coord(y) + " " + coord(x+r) + " " + coord(y) +
			"H" + coord(x+w-r) + "Q" + coord(x+w) + " " + coord(y) + " " + coord(x+w) + " " + coord(y+r) +
			"V" + coord(y+h) + "z"
	}
	return "M" + coord(x) + " " + coord(y) +
		"V" + coord(y+h-r) + "Q" + coord(x) + " " + coord(y+h) + " " + coord(x+r) + " " + coord(y+h) +
		"H" + coord(x+w-r) + "Q" + coord(x+w) + " " + coord(y+h) + " " + coord(x+w) + " " + coord(y+h-r) +
		"V" + coord(y) + "z"
}

// chartStack is the bar of one category in a stacked chart.
type chartStack struct {
	Title string // the category and its total
	Segs  []chartBar
}

type stackLayout struct {
	chartFrame
	Stacks []chartStack
}

// stackTotal adds up category i's values; negative ones are not stacked.
func stackTotal(c Chart, i int) (total float64, ok bool) {
	for s := range c.Series {
		if v := c.value(s, i); !math.IsNaN(v) {
			total += max(v, 0)
			ok = true
		}
	}
	return total, ok
}

func layoutStackedBarChart(c Chart) stackLayout {
	hi := 0.0
	for i := range c.Labels {
		t, _ := stackTotal(c, i)
		hi = max(hi, t)
	}
	lay := stackLayout{chartFrame: newChartFrame(c, 0, hi, true)}
	if lay.Empty {
		return lay
	}
	w, _ := barWidths(lay.band(), 1)
	for i := range c.Labels {
		total, ok := stackTotal(c, i)
		if !ok {
			continue
		}
		label := lay.Labels[i]
		st := chartStack{Title: label + " · Total: " + valueText(total, c.Unit)}
		top := -1 // the last segment with height: only it gets round corners
		for s := range c.Series {
			if v := c.value(s, i); !math.IsNaN(v) && v > 0 {
				top = s
			}
		}
		sum := 0.0
		x := lay.x(i) - w/2
		for s, series := range c.Series {
			v := c.value(s, i)
			if math.IsNaN(v) {
				continue
			}
			y0, y1 := lay.y(sum+max(v, 0)), lay.y(sum)
			sum += max(v, 0)
			var d string
			if s == top {
				d = barPath(x, y0, w, y1-y0, true)
			} else {
				d = "M" + coord(x) + " " + coord(y0) + "h" + coord(w) + "v" + coord(y1-y0) + "h" + coord(-w) + "z"
			}
			st.Segs = append(st.Segs, chartBar{
				Class: lay.Classes[s],
				Zero:  v <= 0,
				D:     d,
				Title: pointTitle(label, series, v, c.Unit) + " · Total: " + valueText(total, c.Unit),
			})
		}
		lay.Stacks = append(lay.Stacks, st)
	}
	return lay
}

// sparkLayout is a sparkline: a line scaled to its own range, no axes.
type sparkLayout struct {
	Points  []string // one polyline per run without a gap
	Areas   []string
	LastX   string
	LastY   string
	Summary string
	Empty   bool
}

func layoutSparkline(values []float64, title string) sparkLayout {
	var lay sparkLayout
	prefix := ""
	if title != "" {
		prefix = title + ": "
	}
	lo, hi, last, count := math.Inf(1), math.Inf(-1), math.NaN(), 0
	for _, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		lo, hi, last, count = min(lo, v), max(hi, v), v, count+1
	}
	if count == 0 {
		lay.Empty = true
		lay.Summary = prefix + "no data"
		return lay
	}
	lay.Summary = prefix + "last " + compactNumber(last) + " · min " + compactNumber(lo) + " · max " + compactNumber(hi) + " · " + Count(int64(count), "value", "values")
	x := func(i int) float64 {
		if len(values) == 1 {
			return sparkW / 2
		}
		return sparkPad + float64(i)*(sparkW-2*sparkPad)/float64(len(values)-1)
	}
	y := func(v float64) float64 {
		if hi == lo {
			return sparkH / 2
		}
		return sparkH - sparkPad - (v-lo)/(hi-lo)*(sparkH-2*sparkPad)
	}
	base := coord(sparkH)
	var run []string
	var first, prev string
	flush := func() {
		if len(run) > 1 {
			lay.Points = append(lay.Points, strings.Join(run, " "))
			lay.Areas = append(lay.Areas, first+","+base+" "+strings.Join(run, " ")+" "+prev+","+base)
		}
		run = nil
	}
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			flush()
			continue
		}
		sx, sy := coord(x(i)), coord(y(v))
		if len(run) == 0 {
			first = sx
		}
		prev = sx
		run = append(run, sx+","+sy)
		lay.LastX, lay.LastY = sx, sy
	}
	flush()
	return lay
}

// chartTableRow is one category of a chart's table.
type chartTableRow struct {
	Label    string
	Datetime string // for <time> when the label is a day or month
	Cells    []string
}

// chartTableRows are c's values as text, one row per label.
func chartTableRows(c Chart) []chartTableRow {
	short := shortLabels(c.Labels)
	rows := make([]chartTableRow, len(c.Labels))
	for i, l := range c.Labels {
		rows[i] = chartTableRow{Label: short[i]}
		if short[i] != l {
			rows[i].Datetime = l
		}
		for s := range c.Series {
			v := c.value(s, i)
			cell := "–"
			if !math.IsNaN(v) {
				cell = valueText(v, c.Unit)
			}
			rows[i].Cells = append(rows[i].Cells, cell)
		}
	}
	return rows
}
