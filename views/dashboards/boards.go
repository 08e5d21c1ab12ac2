package dashboards

import (
	"math"
	"strconv"
	"strings"
	"time"

	"plaza/models"
	"plaza/views/components"
)

// PageData is one dashboard: its figures, charts and tables. One template
// renders every board.
type PageData struct {
	Board  Board
	Admin  bool
	Filter Filter
	Stats  []Stat
	Charts []ChartCard
	Tables []Table
	Note   string // under the tabs: what the numbers are and how fresh
}

// Stat is one headline figure, with its trend over the range when it has one.
type Stat struct {
	Label, Value, Hint, Tone string
	Trend                    []float64
}

// ChartCard is one chart with its title and the same numbers as a table.
type ChartCard struct {
	ID    string
	Title string
	Hint  string
	Kind  string // line, bar, stacked
	Chart components.Chart
}

// TableByID finds one of the page's tables, for its CSV export.
func (d PageData) TableByID(id string) (Table, bool) {
	for _, t := range d.Tables {
		if t.ID == id {
			return t, true
		}
	}
	return Table{}, false
}

// BoardByKey finds a dashboard tab.
func BoardByKey(key string) Board {
	for _, b := range Boards {
		if b.Key == key {
			return b
		}
	}
	return Boards[0]
}

func labels(days []models.DayStat) []string {
	out := make([]string, len(days))
	for i, d := range days {
		out[i] = d.Day
	}
	return out
}

// series maps the days through v; a negative v is no data.
func series(days []models.DayStat, v func(models.DayStat) float64) []float64 {
	out := make([]float64, len(days))
	for i, d := range days {
		out[i] = v(d)
		if out[i] < 0 {
			out[i] = math.NaN()
		}
	}
	return out
}

func pct(r float64) float64 {
	if r < 0 {
		return -1
	}
	return r * 100
}

func rangeSum(days []models.DayStat, v func(models.DayStat) int) int {
	n := 0
	for _, d := range days {
		n += v(d)
	}
	return n
}

func ratio(a, b int) float64 {
	if b == 0 {
		return -1
	}
	return float64(a) / float64(b)
}

func ago(t time.Time, now time.Time) string { return components.Ago(t, now) }

// Ownership is the ownership board.
func Ownership(d *models.OwnershipDash, f Filter, now time.Time) PageData {
	byStatus := map[string]int64{}
	for _, c := range d.ByStatus {
		byStatus[c.Status] += c.N
	}
	oldest := "none waiting"
	if len(d.Pending) > 0 {
		oldest = "oldest " + ago(d.Pending[0].CreatedAt, now)
	}
	p := PageData{Filter: f, Stats: []Stat{
		{Label: "Products", Value: components.Number(d.Products), Hint: components.Number(byStatus[models.StatusPublished]) + " published"},
		{Label: "Without an active owner", Value: components.Number(d.UnownedTotal), Hint: components.Count(int64(len(d.TeamsWithoutOwner)), "team", "teams") + " without one", Tone: toneIf(d.UnownedTotal > 0, "danger")},
		{Label: "Stale", Value: components.Number(d.StaleTotal), Hint: "late against their SLA now", Tone: toneIf(d.StaleTotal > 0, "warning")},
		{Label: "Access requests waiting", Value: components.Number(d.PendingTotal), Hint: oldest, Tone: toneIf(d.PendingTotal > 0, "info")},
	}}

	statuses := []string{models.StatusDraft, models.StatusPublished, models.StatusDeprecated, models.StatusRetired}
	stack := components.Chart{Title: "Products by status and classification", Labels: statuses}
	for _, class := range models.Classifications {
		vals := make([]float64, len(statuses))
		for _, c := range d.ByStatus {
			if c.Classification == class {
				for i, st := range statuses {
					if c.Status == st {
						vals[i] += float64(c.N)
					}
				}
			}
		}
		stack.Series = append(stack.Series, components.Series{Name: class, Values: vals})
	}
	decisions := components.Chart{Title: "Median time to decide an access request", Unit: " h"}
	decided := components.Series{Name: "Median hours"}
	for _, dt := range d.Decisions {
		decisions.Labels = append(decisions.Labels, dt.DomainName)
		decided.Values = append(decided.Values, math.Round(dt.MedianHours*10)/10)
	}
	decisions.Series = []components.Series{decided}
	p.Charts = []ChartCard{
		{ID: "by-status", Title: "Products by status", Hint: "Each bar split by classification.", Kind: "stacked", Chart: stack},
		{ID: "decision-time", Title: "Time to decision", Hint: "Median hours from request to grant or denial, " + f.RangeLabel() + ".", Kind: "bar", Chart: decisions},
	}

	unowned := Table{ID: "unowned", Title: "Products without an active owner", Hint: "Their team has no owner, or only deactivated ones.",
		Head: []string{"Product", "Team", "Status", "Why"}, More: d.UnownedTotal - int64(len(d.Unowned)),
		Empty: "Every product has an active owner."}
	for _, g := range d.Unowned {
		why := "the team has no owner"
		if g.Deactivated {
			why = "its owners are deactivated"
		}
		unowned.Rows = append(unowned.Rows, []Cell{product(g.ProductRef), text(g.TeamName), badge(g.Status, statusTone(g.Status)), text(why)})
	}
	teams := Table{ID: "teams-without-owner", Title: "Teams without an active owner", Hint: "Add an owner on the team's page.",
		Head: []string{"Team", "Domain", "Products", "Why"}, Nums: []bool{false, false, true, false}, Empty: "Every team has an active owner."}
	for _, t := range d.TeamsWithoutOwner {
		why := "no owner"
		if t.Deactivated {
			why = "owners deactivated"
		}
		teams.Rows = append(teams.Rows, []Cell{link(t.Name, t.Path()), text(t.DomainSlug), num(t.Products), text(why)})
	}
	stale := Table{ID: "stale", Title: "Stale products", Hint: "No new snapshot within the SLA: an open freshness incident.",
		Head: []string{"Product", "Team", "Port", "Late since", "SLA"}, More: d.StalePorts - int64(len(d.Stale)),
		Empty: "Every product with an SLA published on time."}
	for _, s := range d.Stale {
		stale.Rows = append(stale.Rows, []Cell{product(s.ProductRef), text(s.TeamName), text(s.Port),
			badge(ago(s.Since, now), "warning"), text(strconv.Itoa(s.FreshnessHours) + " h")})
	}
	deprecated := Table{ID: "deprecated-in-use", Title: "Deprecated products still consumed",
		Hint: "Active grants, or queries and downloads " + f.RangeLabel() + ": tell these consumers about the replacement.",
		Head: []string{"Product", "Team", "Active grants", "Reads", "Consumers"}, Nums: []bool{false, false, true, true, false},
		Empty: "No deprecated product is still in use."}
	for _, u := range d.DeprecatedUsed {
		who := "–"
		if len(u.Consumers) > 0 {
			who = strings.Join(u.Consumers, ", ")
		}
		deprecated.Rows = append(deprecated.Rows, []Cell{product(u.ProductRef), text(u.TeamName), num(u.Grants), num(u.Reads), text(who)})
	}
	pending := Table{ID: "pending", Title: "Access requests waiting", Hint: "The oldest first. Owners and stewards decide them in their inbox; requesters are named to admins and stewards.",
		Head: []string{"Product", "Requester", "Waiting"}, More: d.PendingTotal - int64(len(d.Pending)), Empty: "No request is waiting for a decision."}
	for _, r := range d.Pending {
		tone := "neutral"
		if now.Sub(r.CreatedAt) > 72*time.Hour {
			tone = "warning"
		}
		who := muted("hidden")
		if r.Requester != "" {
			who = text(r.Requester)
		}
		pending.Rows = append(pending.Rows, []Cell{product(r.ProductRef), who,
			{Text: ago(r.CreatedAt, now), Href: "/access/requests/" + strconv.FormatUint(uint64(r.ID), 10), Tone: tone}})
	}
	decisionsT := Table{ID: "decisions", Title: "Time to decision per domain", Hint: "Requests granted or denied " + f.RangeLabel() + ".",
		Head: []string{"Domain", "Decided", "Median time"}, Nums: []bool{false, true, true}, Empty: "No request was decided in this range."}
	for _, dt := range d.Decisions {
		decisionsT.Rows = append(decisionsT.Rows, []Cell{link(dt.DomainName, "/domains/"+dt.DomainSlug), num(int64(dt.Decided)), {Text: Hours(dt.MedianHours), Num: true}})
	}
	granted := productCounts("most-granted", "Most granted products", "Active grants now.", "Active grants", d.MostGranted, "No product has an active grant.")
	top := productCounts("top-products", "Most queried products", "Federated queries "+f.RangeLabel()+".", "Queries", d.TopProducts, "No product was queried in this range.")
	p.Tables = []Table{unowned, teams, stale, deprecated, pending, decisionsT, granted, top}
	for i := range p.Tables {
		p.Tables[i].Half = true
	}
	if d.TopConsumers != nil {
		p.Tables = append(p.Tables, consumers(d.TopConsumers, f))
	}
	return p
}

func toneIf(cond bool, tone string) string {
	if cond {
		return tone
	}
	return ""
}

func statusTone(status string) string {
	switch status {
	case models.StatusPublished:
		return "success"
	case models.StatusDeprecated:
		return "warning"
	case models.StatusRetired:
		return "neutral"
	}
	return "info"
}

func productCounts(id, title, hint, what string, rows []models.ProductCount, empty string) Table {
	t := Table{ID: id, Title: title, Hint: hint, Head: []string{"Product", "Team", what}, Nums: []bool{false, false, true}, Empty: empty}
	for _, r := range rows {
		t.Rows = append(t.Rows, []Cell{product(r.ProductRef), text(r.TeamName), num(r.N)})
	}
	return t
}

func consumers(rows []models.UserCount, f Filter) Table {
	t := Table{ID: "top-consumers", Title: "Top consumers", Hint: "Queries and downloads " + f.RangeLabel() + ". Only admins and stewards see names.",
		Head: []string{"Person", "Email", "Queries", "Downloads"}, Nums: []bool{false, false, true, true}, Empty: "Nobody read these products in this range."}
	for _, u := range rows {
		t.Rows = append(t.Rows, []Cell{text(u.Name), muted(u.Email), num(u.Queries), num(u.Downloads)})
	}
	return t
}

// Quality is the quality board.
func Quality(d *models.QualityDash, f Filter, now time.Time) PageData {
	checks := rangeSum(d.Days, func(s models.DayStat) int { return s.Checks })
	passed := rangeSum(d.Days, func(s models.DayStat) int { return s.ChecksPassed })
	runs := rangeSum(d.Days, func(s models.DayStat) int { return s.Runs })
	ok := rangeSum(d.Days, func(s models.DayStat) int { return s.RunsOK })
	onTime := d.RangeOnTime(now)
	p := PageData{Filter: f, Stats: []Stat{
		{Label: "Checks passed", Value: components.Percent(ratio(passed, checks)), Hint: components.Number(int64(checks)) + " check results", Tone: rateTone(ratio(passed, checks)),
			Trend: series(d.Days, func(s models.DayStat) float64 { return pct(s.CheckRate()) })},
		{Label: "On time", Value: components.Percent(onTime), Hint: components.Count(d.SLAProducts, "product", "products") + " with an SLA", Tone: rateTone(onTime),
			Trend: series(d.Days, func(s models.DayStat) float64 { return pct(d.OnTimeRate(s, now)) })},
		{Label: "Runs succeeded", Value: components.Percent(ratio(ok, runs)), Hint: components.Number(int64(runs)) + " runs", Tone: rateTone(ratio(ok, runs)),
			Trend: series(d.Days, func(s models.DayStat) float64 { return pct(s.RunRate()) })},
		{Label: "Open incidents", Value: components.Number(d.OpenIncidents), Hint: "failing checks and late data", Tone: toneIf(d.OpenIncidents > 0, "danger")},
	}}
	days := labels(d.Days)
	rates := components.Chart{Title: "Checks passed and runs succeeded per day", Labels: days, Unit: "%", YMax: 100, Series: []components.Series{
		{Name: "Checks passed", Values: series(d.Days, func(s models.DayStat) float64 { return pct(s.CheckRate()) }), Tone: "ok"},
		{Name: "Runs succeeded", Values: series(d.Days, func(s models.DayStat) float64 { return pct(s.RunRate()) }), Tone: "info"},
	}}
	fresh := components.Chart{Title: "Freshness on time per day", Labels: days, Unit: "%", YMax: 100, Series: []components.Series{
		{Name: "On time", Values: series(d.Days, func(s models.DayStat) float64 { return pct(d.OnTimeRate(s, now)) }), Tone: "ok"},
	}}
	runsChart := components.Chart{Title: "Runs per day", Labels: days, Series: []components.Series{
		{Name: "Succeeded", Values: series(d.Days, func(s models.DayStat) float64 { return float64(s.RunsOK) }), Tone: "ok"},
		{Name: "Failed", Values: series(d.Days, func(s models.DayStat) float64 { return float64(s.RunsFailed) }), Tone: "bad"},
		{Name: "Cancelled", Values: series(d.Days, func(s models.DayStat) float64 { return float64(s.Runs - s.RunsOK - s.RunsFailed) }), Tone: "muted"},
	}}
	duration := components.Chart{Title: "Mean run duration per day", Labels: days, Unit: " s", Series: []components.Series{
		{Name: "Mean duration", Values: series(d.Days, func(s models.DayStat) float64 {
			if ms := s.AvgRunMS(); ms >= 0 {
				return math.Round(ms/100) / 10
			}
			return -1
		}), Tone: "info"},
	}}
	results := components.Chart{Title: "Check results per day", Labels: days, Series: []components.Series{
		{Name: "Passed", Values: series(d.Days, func(s models.DayStat) float64 { return float64(s.ChecksPassed) }), Tone: "ok"},
		{Name: "Failed", Values: series(d.Days, func(s models.DayStat) float64 { return float64(s.Checks - s.ChecksPassed) }), Tone: "bad"},
	}}
	bands := components.Chart{Title: "Products by quality score", Series: []components.Series{{Name: "Products"}}}
	for _, b := range d.Bands {
		bands.Labels = append(bands.Labels, b.Label)
		bands.Series[0].Values = append(bands.Series[0].Values, float64(b.N))
	}
	p.Charts = []ChartCard{
		{ID: "rates", Title: "Check pass rate and run success", Hint: "Share of check results passed and of runs succeeded, per day.", Kind: "line", Chart: rates},
		{ID: "freshness", Title: "Freshness on time", Hint: "Share of the SLA-bound products' time within their SLA, per day.", Kind: "line", Chart: fresh},
		{ID: "runs", Title: "Runs", Hint: "Finished runs per day, by outcome.", Kind: "stacked", Chart: runsChart},
		{ID: "duration", Title: "Run duration trend", Hint: "Mean duration of the day's finished runs.", Kind: "line", Chart: duration},
		{ID: "results", Title: "Check results", Hint: "Results of the day's runs, passed and failed.", Kind: "stacked", Chart: results},
		{ID: "scores", Title: "Quality scores", Hint: "Published and deprecated products by score today.", Kind: "bar", Chart: bands},
	}

	incidents := Table{ID: "incidents", Title: "Incidents", Hint: "Open ones first, then those resolved " + f.RangeLabel() + ".",
		Head: []string{"Product", "Kind", "What", "First seen", "Last seen", "Resolved", "Run"}, Empty: "No incident in this range: checks passed and data arrived on time."}
	for _, i := range d.Incidents {
		what := "port " + i.Port + " late"
		if i.Kind == models.IncidentCheck {
			what = i.Key
		}
		resolved := badge("open", "danger")
		if i.ResolvedAt != nil {
			resolved = text(components.DateTime(*i.ResolvedAt))
		}
		run := muted("–")
		if i.RunID != nil {
			run = link("run "+strconv.FormatUint(uint64(*i.RunID), 10), "/runs/"+strconv.FormatUint(uint64(*i.RunID), 10))
		}
		incidents.Rows = append(incidents.Rows, []Cell{product(i.Ref), badge(i.Kind, kindTone(i.Kind)), text(what),
			text(components.DateTime(i.FirstSeen)), text(components.DateTime(i.LastSeen)), resolved, run})
	}
	incidents.More = d.ListedTotal - int64(len(d.Incidents))
	scopeTitle, scopeHead := "Quality per domain", "Domain"
	if f.Domain != "" {
		scopeTitle, scopeHead = "Quality per team", "Team"
	}
	scopes := Table{ID: "scopes", Title: scopeTitle, Hint: "Over the " + f.RangeLabel() + "; mean scores are today's.",
		Head: []string{scopeHead, "Checks passed", "On time", "Runs succeeded", "Open incidents", "Mean score"},
		Nums: []bool{false, true, true, true, true, true}, Empty: "No domain yet."}
	for _, s := range d.Scopes {
		score := muted("not scored")
		if s.Scored > 0 {
			v := int(math.Round(s.AvgScore))
			score = Cell{Text: strconv.Itoa(v), Tone: components.ScoreTone(v), Num: true}
		}
		scopes.Rows = append(scopes.Rows, []Cell{link(s.Name, s.Path), percentCell(s.CheckRate()), percentCell(s.OnTimeRate(f.Range, now)),
			percentCell(s.RunRate()), num(s.OpenIncidents), score})
	}
	lowest := Table{ID: "lowest", Title: "Lowest scores", Hint: "Where quality slips: the products to look at first. Scores, checks and on-time are over the last 7 days.",
		Head: []string{"Product", "Team", "Score", "Checks passed", "On time"}, Nums: []bool{false, false, true, true, true},
		Empty: "Every scored product scores 100, or none has a score yet (scores need checks or an SLA)."}
	for _, s := range d.Lowest {
		score := s.Score
		lowest.Rows = append(lowest.Rows, []Cell{product(s.ProductRef), text(s.TeamName), scoreCell(&score), percentCell(rateOf(s.CheckRate)), percentCell(rateOf(s.OnTimeRate))})
	}
	p.Tables = []Table{incidents, scopes, lowest}
	return p
}

func rateOf(r *float64) float64 {
	if r == nil {
		return -1
	}
	return *r
}

func rateTone(r float64) string {
	switch {
	case r < 0:
		return ""
	case r < 0.8:
		return "danger"
	case r < 0.95:
		return "warning"
	}
	return "success"
}

func kindTone(kind string) string {
	if kind == models.IncidentCheck {
		return "danger"
	}
	return "warning"
}

// Usage is the usage board.
func Usage(d *models.UsageDash, f Filter) PageData {
	var pipelines int64
	for _, s := range d.Scopes {
		pipelines += s.Pipelines
	}
	p := PageData{Filter: f, Stats: []Stat{
		{Label: "Queries", Value: components.Number(int64(d.Queries)), Hint: "federated queries, " + f.RangeLabel(),
			Trend: series(d.Days, func(s models.DayStat) float64 { return float64(s.Queries) })},
		{Label: "Consumers", Value: components.Number(d.Users), Hint: "distinct people who queried or downloaded",
			Trend: series(d.Days, func(s models.DayStat) float64 { return float64(s.Users) })},
		{Label: "Downloads", Value: components.Number(int64(d.Downloads)), Hint: "snapshot downloads",
			Trend: series(d.Days, func(s models.DayStat) float64 { return float64(s.Downloads) })},
		{Label: "Downstream pipelines", Value: components.Number(pipelines), Hint: "other teams' pipelines reading these products"},
	}}
	days := labels(d.Days)
	p.Charts = []ChartCard{
		{ID: "reads", Title: "Queries and downloads", Hint: "Per day.", Kind: "line", Chart: components.Chart{Title: "Queries and downloads per day", Labels: days,
			Series: []components.Series{
				{Name: "Queries", Values: series(d.Days, func(s models.DayStat) float64 { return float64(s.Queries) }), Tone: "info"},
				{Name: "Downloads", Values: series(d.Days, func(s models.DayStat) float64 { return float64(s.Downloads) }), Tone: "ok"},
			}}},
		{ID: "users", Title: "Consumers per day", Hint: "Distinct people who queried that day.", Kind: "bar", Chart: components.Chart{Title: "Consumers per day", Labels: days,
			Series: []components.Series{{Name: "Consumers", Values: series(d.Days, func(s models.DayStat) float64 { return float64(s.Users) })}}}},
	}
	scopeHead := "Domain"
	if f.Domain != "" {
		scopeHead = "Team"
	}
	scopes := Table{ID: "scopes", Title: "Usage per " + lower(scopeHead), Hint: "Over the " + f.RangeLabel() + "; products and pipelines as they are now.",
		Head: []string{scopeHead, "Queries", "Downloads", "Consumers", "Published products", "Downstream pipelines"},
		Nums: []bool{false, true, true, true, true, true}, Empty: "No domain yet."}
	for _, s := range d.Scopes {
		scopes.Rows = append(scopes.Rows, []Cell{link(s.Name, s.Path), num(int64(s.Queries)), num(int64(s.Downloads)), num(s.Users), num(s.Products), num(s.Pipelines)})
	}
	top := productCounts("top-products", "Most queried products", "Federated queries "+f.RangeLabel()+".", "Queries", d.TopProducts, "No product was queried in this range. Analysts query from the Query page.")
	downloaded := productCounts("top-downloaded", "Most downloaded products", "Snapshot downloads "+f.RangeLabel()+".", "Downloads", d.TopDownloaded, "No product was downloaded in this range.")
	top.Half, downloaded.Half = true, true
	p.Tables = []Table{scopes, top, downloaded}
	if d.TopConsumers != nil {
		p.Tables = append(p.Tables, consumers(d.TopConsumers, f))
	}
	return p
}

func lower(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

// Platform is the admins' platform board.
func Platform(d *models.PlatformDash, f Filter, now time.Time) PageData {
	var bytes, snaps int64
	for _, l := range d.Lake {
		bytes += l.Bytes
		snaps += l.Snapshots
	}
	queued := components.Number(d.RunsQueued)
	p := PageData{Filter: f, Stats: []Stat{
		{Label: "Lake size", Value: components.Bytes(bytes), Hint: components.Count(snaps, "snapshot", "snapshots") + " kept"},
		{Label: "Runs queued", Value: queued, Hint: components.Count(d.StuckQueued, "run", "runs") + " waiting over 10 minutes", Tone: toneIf(d.StuckQueued > 0, "warning")},
		{Label: "Runs running", Value: components.Number(d.RunsRunning), Hint: components.Count(d.Pipelines, "pipeline", "pipelines") + ", " + components.Number(d.PausedCount) + " paused"},
		{Label: "Runs failed", Value: components.Number(int64(d.RunsFailed)), Hint: f.RangeLabel(), Tone: toneIf(d.RunsFailed > 0, "danger"),
			Trend: series(d.Days, func(s models.DayStat) float64 { return float64(s.RunsFailed) })},
	}}
	if !d.RolledUpAt.IsZero() {
		p.Note = "Rollups as of " + ago(d.RolledUpAt, now) + "."
	}
	days := labels(d.Days)
	lake := components.Chart{Title: "Lake size per domain", Unit: " MB", Series: []components.Series{{Name: "Size"}}}
	for _, l := range d.Lake {
		lake.Labels = append(lake.Labels, l.DomainName)
		lake.Series[0].Values = append(lake.Series[0].Values, math.Round(float64(l.Bytes)/1e5)/10)
	}
	p.Charts = []ChartCard{
		{ID: "runs", Title: "Runs", Hint: "Finished runs per day, by outcome.", Kind: "stacked", Chart: components.Chart{Title: "Runs per day", Labels: days,
			Series: []components.Series{
				{Name: "Succeeded", Values: series(d.Days, func(s models.DayStat) float64 { return float64(s.RunsOK) }), Tone: "ok"},
				{Name: "Failed", Values: series(d.Days, func(s models.DayStat) float64 { return float64(s.RunsFailed) }), Tone: "bad"},
			}}},
		{ID: "lake", Title: "Lake size", Hint: "Snapshots kept, per domain.", Kind: "bar", Chart: lake},
	}
	lakeT := Table{ID: "lake", Title: "Lake per domain", Hint: "Snapshots kept by retention.",
		Head: []string{"Domain", "Products", "Snapshots", "Rows", "Size"}, Nums: []bool{false, true, true, true, true}, Empty: "The lake is empty: no pipeline has published yet."}
	for _, l := range d.Lake {
		lakeT.Rows = append(lakeT.Rows, []Cell{link(l.DomainName, "/domains/"+l.DomainSlug), num(l.Products), num(l.Snapshots), num(l.Rows), {Text: components.Bytes(l.Bytes), Num: true}})
	}
	slow := Table{ID: "slowest", Title: "Slowest pipelines", Hint: "By their longest run " + f.RangeLabel() + ".",
		Head: []string{"Product", "Team", "Runs", "Mean", "Longest"}, Nums: []bool{false, false, true, true, true}, Empty: "No run finished in this range."}
	for _, s := range d.Slowest {
		slow.Rows = append(slow.Rows, []Cell{link(s.Name, s.Path()+"#pipelines"), text(s.TeamName), num(int64(s.Runs)),
			{Text: Duration(float64(s.AvgMS)), Num: true}, {Text: Duration(float64(s.MaxMS)), Num: true}})
	}
	jobs := Table{ID: "jobs", Title: "Background jobs", Hint: "River's jobs by kind and state: sweeps, checks, rollups, runs, mail.",
		Head: []string{"Kind", "State", "Jobs"}, Nums: []bool{false, false, true}, Empty: "No background job has run yet."}
	for _, j := range d.Jobs {
		tone := "neutral"
		switch j.State {
		case "discarded", "cancelled":
			tone = "danger"
		case "retryable":
			tone = "warning"
		case "running":
			tone = "info"
		case "completed":
			tone = "success"
		}
		jobs.Rows = append(jobs.Rows, []Cell{text(j.Kind), badge(j.State, tone), num(j.Count)})
	}
	p.Tables = []Table{lakeT, slow, jobs}
	return p
}

// Mine is an owner's overview of their products.
func Mine(rows []models.MyProduct, tot models.MyTotals, now time.Time) PageData {
	t := Table{ID: "mine", Title: "My products", Hint: "Everything your teams own, what needs you first.",
		More: tot.Products - int64(len(rows)), MoreNote: "they need nothing from you now, and the export has them all.",
		Head:  []string{"Product", "Status", "Score", "Freshness", "Last run", "Failing checks", "Requests", "Grants ending"},
		Nums:  []bool{false, false, true, false, false, true, true, true},
		Empty: "You are not in a team that owns products. An admin can add you to a team; meanwhile, browse the marketplace."}
	for _, m := range rows {
		fresh := muted("no SLA")
		switch {
		case m.Late:
			fresh = badge("late", "danger")
		case m.PublishedAt == nil:
			fresh = muted("never published")
		case m.FreshnessHours > 0:
			fresh = badge("on time · "+ago(*m.PublishedAt, now), "success")
		default:
			fresh = text(ago(*m.PublishedAt, now))
		}
		run := muted("no runs")
		if m.LastRun != nil {
			when := m.LastRun.QueuedAt
			if m.LastRun.FinishedAt != nil {
				when = *m.LastRun.FinishedAt
			}
			run = Cell{Text: m.LastRun.Status + " · " + ago(when, now), Href: m.LastRunPath, Tone: runTone(m.LastRun.Status)}
		}
		var score *int
		if m.Health != nil {
			score = m.Health.Score
		}
		t.Rows = append(t.Rows, []Cell{product(m.ProductRef), badge(m.Status, statusTone(m.Status)), scoreCell(score), fresh, run,
			attention(m.FailingChecks, m.Path()+"#pipelines", "danger"), attention(m.PendingRequests, "/inbox", "info"),
			attention(m.ExpiringGrants, m.Path()+"#access", "warning")})
	}
	return PageData{Stats: []Stat{
		{Label: "Products", Value: components.Number(tot.Products), Hint: "owned by your teams"},
		{Label: "Late", Value: components.Number(tot.Late), Hint: "past their SLA now", Tone: toneIf(tot.Late > 0, "danger")},
		{Label: "Failing checks", Value: components.Number(tot.Failing), Hint: "open check incidents", Tone: toneIf(tot.Failing > 0, "danger")},
		{Label: "Waiting for you", Value: components.Number(tot.Pending), Hint: components.Count(tot.Expiring, "grant ends", "grants end") + " within 14 days", Tone: toneIf(tot.Pending > 0, "info")},
	}, Tables: []Table{t}}
}

func attention(n int64, href, tone string) Cell {
	if n == 0 {
		return Cell{Text: "0", Num: true, Muted: true}
	}
	return Cell{Text: components.Number(n), Href: href, Tone: tone, Num: true}
}

func runTone(status string) string {
	switch status {
	case models.RunSucceeded:
		return "success"
	case models.RunFailed:
		return "danger"
	case models.RunRunning, models.RunQueued:
		return "info"
	}
	return "neutral"
}
