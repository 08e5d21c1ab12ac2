package models

// The demo company's past: sixty days of pipeline runs with their check
// results, the incidents those runs caused, and the personas' queries and
// downloads, so the ownership, quality and usage dashboards draw real
// 30-day charts on first start. seedDemoHistory makes it up once,
// deterministically (a fixed seed, times relative to the store's clock),
// and writes it straight into the tables in one transaction: none of it
// happened through the Store's methods, so it writes no audit events (the
// audit log is append-only and hash-chained) and no notifications, and no
// run references a snapshot (no files were kept).
//
// What the history tells:
//   - every demo pipeline ran on its schedule; pipelines that run more often
//     than every six hours are thinned to three runs a day, and pipelines
//     triggered upstream run after each publication of their first upstream
//     pipeline. Durations and row counts grow slowly; a few runs crash and
//     succeed on a second attempt, a few fail where one missed run stays
//     within the product's freshness promise.
//   - the warnings that fail in the live demo (see demo_pipelines.go)
//     failed all along; the other checks passed (the loyalty platform's
//     re-sent batch is news of today).
//   - supply-chain/inventory-snapshots had a bad week: a new interface of
//     the warehouse system booked some transfers out twice, the blocking
//     range check on on_hand_units failed every run from 8 to 4 days ago and
//     nothing was published, until the SQL was fixed.
//   - supply-chain/purchase-orders missed two runs when the ERP export was
//     late (33 days ago), and marketing/web-sessions one when a landing
//     file was cut short (18 days ago).
//   - the incidents follow from the runs as FinishRun and CheckFreshness
//     would have recorded them: a check incident per failing blocking check
//     (naming the last failing run) and a freshness incident per gap longer
//     than the promise, all resolved by the next publication.
//   - the personas queried the published products (and the deprecated old
//     versions, which some never left) they could read on the day (their
//     team's, public ones, and those they held a grant on, from its start
//     to its end), mostly on weekdays and more each week, the
//     popular products far more than the rest; a few queries failed or were
//     refused. They downloaded about one snapshot for every eight queries.

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

const (
	demoHistoryDays = 60
	// demoHistoryMark starts the log of every made-up run; finding one
	// means the history was written.
	demoHistoryMark = "Demo history:"
	// demoThinAbove: a pipeline firing more often than this many times a
	// day runs demoThinTo times a day in the history.
	demoThinAbove = 4
	demoThinTo    = 3
)

// demoHistorySeed seeds the history's random numbers: the same clock gives
// the same history.
var demoHistorySeed = [2]uint64{0x6e6f72746877696e, 0x686973746f7279}

// demoBadWeek is the check that failed for a week.
var demoBadWeek = struct {
	product, port, kind, column string
	from, to                    int // days before today, both included
}{"supply-chain/inventory-snapshots", "daily", "range", "on_hand_units", 8, 4}

// demoOutages are the times a product's pipelines failed for want of
// input: runs due from..to hours into the day, days before today.
var demoOutages = []struct {
	product  string
	daysAgo  int
	from, to int // hours
	fault    string
}{
	{"supply-chain/purchase-orders", 33, 5, 13, "late"},
	{"marketing/web-sessions", 18, 11, 13, "truncated"},
}

// demoReaders are the personas who query, with how many queries they run
// on an ordinary weekday halfway through the history, and the share they
// send through the API.
var demoReaders = []struct {
	email       string
	perDay, api float64
}{
	{demoAlex, 0.5, 0.1},
	{demoSofia, 2.5, 0.05},
	{demoDaniel, 2.5, 0.05},
	{demoPriya, 2.5, 0.05},
	{demoTom, 3, 0.1},
	{demoMarco, 2.5, 0.05},
	{demoHannah, 8, 0.4},
	{demoMaya, 9, 0.05},
	{demoLeo, 6, 0.05},
	{demoGrace, 0.7, 0},
}

// demoPopular ranks the products people query most; the others follow in
// catalog order.
var demoPopular = []string{
	"sales/orders", "sales/daily-store-sales", "supply-chain/product-catalogue", "supply-chain/inventory-snapshots",
	"marketing/campaign-performance", "sales/order-lines", "finance/fiscal-calendar", "customer/customer-segments",
	"marketing/web-sessions", "sales/revenue-by-channel", "marketing/conversion-funnel", "supply-chain/purchase-orders",
	"customer/loyalty-members", "finance/general-ledger", "sales/returns", "supply-chain/stock-movements",
}

// Activity by weekday (Sunday first) and hour of the day (UTC).
var (
	demoWeekday = [7]float64{0.08, 1.0, 1.1, 1.05, 1.0, 0.75, 0.12}
	demoHours   = []float64{8: 0.5, 9: 1.3, 10: 1.5, 11: 1.3, 12: 0.6, 13: 0.9, 14: 1.3, 15: 1.3, 16: 1.1, 17: 0.6, 18: 0.2}
)

type histPipeline struct {
	pl       *Pipeline
	ref      string // domain/slug
	rules    []QualityRule
	cadence  time.Duration // the usual time between runs
	derive   bool          // judged for freshness: it runs at least as often as it promises
	sporadic bool          // may fail now and then: one missed run stays within the promise
	landing  *PipelineInput
	owner    *uint   // who runs it by hand, when its schedule is manual
	rows     float64 // at the start of the history
	rowBytes float64
	seconds  float64
	runs     []*histRun // by due time
	ok       []*histRun // the runs that published
}

type histRun struct {
	run    Run
	checks []CheckResult
}

// snapshot names the snapshot the run would have published.
func (hr *histRun) snapshot() string {
	return hr.run.FinishedAt.UTC().Format("20060102T150405Z") + fmt.Sprintf("-r%d", hr.run.ID)
}

type demoHistory struct {
	r          *rand.Rand
	first, end time.Time // the first day of the history, and the day after its last
	pipelines  []*histPipeline
	byPort     map[string]*histPipeline // by product id and port
}

func (h *demoHistory) progress(t time.Time) float64 {
	return min(1, max(0, t.Sub(h.first).Hours()/(24*demoHistoryDays)))
}

func (h *demoHistory) daysAgo(t time.Time) int {
	return int(h.end.Sub(t.Truncate(24*time.Hour)).Hours()) / 24
}

func (h *demoHistory) between(lo, hi float64) float64 { return lo + (hi-lo)*h.r.Float64() }

// logUniform draws between lo and hi, small values as likely as large ones.
func (h *demoHistory) logUniform(lo, hi float64) float64 {
	return math.Exp(h.between(math.Log(lo), math.Log(hi)))
}

func (h *demoHistory) jitter(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(h.r.Int64N(int64(hi-lo)))
}

// poisson draws how many events happen when mean are expected.
func (h *demoHistory) poisson(mean float64) int {
	limit, p, n := math.Exp(-mean), 1.0, 0
	for {
		p *= h.r.Float64()
		if p <= limit {
			return n
		}
		n++
	}
}

// pick draws an index with the given weights.
func (h *demoHistory) pick(weights []float64) int {
	var sum float64
	for _, w := range weights {
		sum += w
	}
	x := h.r.Float64() * sum
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// seedDemoHistory writes the demo company's history, unless it was
// written before. On a database that already has activity, the history
// ends the day that activity began, so the two never overlap.
func (s *Store) seedDemoHistory(ctx context.Context) error {
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var marked []uint
		if err := tx.Model(&Run{}).Where("log LIKE ?", "%"+demoHistoryMark+"%").Limit(1).Pluck("id", &marked).Error; err != nil {
			return err
		}
		if len(marked) > 0 {
			return nil
		}
		end := s.now().Truncate(24 * time.Hour)
		for _, src := range [][2]string{{"runs", "queued_at"}, {"queries", "started_at"}, {"downloads", "at"}, {"incidents", "first_seen"}} {
			var first []time.Time
			if err := tx.Table(src[0]).Order(src[1]).Limit(1).Pluck(src[1], &first).Error; err != nil {
				return fmt.Errorf("read %s: %w", src[0], err)
			}
			if len(first) == 1 && first[0].Before(end) {
				end = first[0].UTC().Truncate(24 * time.Hour)
			}
		}
		h := &demoHistory{r: rand.New(rand.NewPCG(demoHistorySeed[0], demoHistorySeed[1])),
			first: end.AddDate(0, 0, -demoHistoryDays), end: end,
			byPort: map[string]*histPipeline{}}
		if err := h.load(tx); err != nil {
			return err
		}
		runs := h.makeRuns()
		if err := h.insertRuns(tx, runs); err != nil {
			return err
		}
		if incidents := h.incidents(); len(incidents) > 0 {
			if err := tx.Omit(clause.Associations).CreateInBatches(incidents, 200).Error; err != nil {
				return fmt.Errorf("write incidents: %w", err)
			}
		}
		return h.usage(tx)
	})
	if err != nil {
		return fmt.Errorf("seed demo history: %w", err)
	}
	return nil
}

// load reads the demo pipelines with their products' rules and ports.
func (h *demoHistory) load(tx *gorm.DB) error {
	demo := map[string]bool{}
	for _, dp := range DemoPipelines() {
		demo[dp.Product+"#"+dp.Spec.Port] = true
	}
	var pls []Pipeline
	err := tx.Preload("Product").Preload("Product.Domain").
		Preload("Product.OutputPorts", func(db *gorm.DB) *gorm.DB { return db.Order("position") }).
		Preload("Product.OutputPorts.Columns", func(db *gorm.DB) *gorm.DB { return db.Order("position") }).
		Preload("Product.Quality", func(db *gorm.DB) *gorm.DB { return db.Order("position") }).
		Preload("Inputs", func(db *gorm.DB) *gorm.DB { return db.Order("position") }).
		Where("paused = ?", false).Order("id").Find(&pls).Error
	if err != nil {
		return fmt.Errorf("read pipelines: %w", err)
	}
	for i := range pls {
		pl := &pls[i]
		ref := pl.Product.Domain.Slug + "/" + pl.Product.Slug
		if !demo[ref+"#"+pl.Port] || pl.Product.Status == StatusRetired {
			continue
		}
		p := &histPipeline{pl: pl, ref: ref, rowBytes: h.between(28, 160), seconds: h.logUniform(2, 30)}
		for _, rule := range pl.Product.Quality {
			if rule.Port == "" || rule.Port == pl.Port {
				p.rules = append(p.rules, rule)
			}
		}
		for j := range pl.Inputs {
			if pl.Inputs[j].Landing != "" && p.landing == nil {
				p.landing = &pl.Inputs[j]
			}
		}
		if pl.Schedule == ScheduleManual {
			var ids []uint
			err := tx.Model(&Membership{}).Where("team_id = ? AND role = ?", pl.Product.TeamID, RoleOwner).
				Order("user_id").Limit(1).Pluck("user_id", &ids).Error
			if err != nil {
				return fmt.Errorf("read owners: %w", err)
			}
			if len(ids) == 1 {
				p.owner = &ids[0]
			}
		}
		p.rows = h.logUniform(3_000, 900_000)
		for _, rule := range p.rules {
			if least := rowCountMin(rule); least > 0 && demoKnownFailure(ref, rule) == "" {
				p.rows = max(p.rows, least*h.between(1.15, 1.6))
			}
		}
		if ref == "customer/customer-360" {
			p.rows = 58_000 // the demo company's known customers; its row_count check says 2.4 million
		}
		h.pipelines = append(h.pipelines, p)
		h.byPort[fmt.Sprint(pl.ProductID, "/", pl.Port)] = p
	}
	return nil
}

// rowCountMin is the least number of rows a row_count rule accepts, or 0.
func rowCountMin(rule QualityRule) float64 {
	if rule.Kind != "row_count" {
		return 0
	}
	var spec CheckSpec
	if json.Unmarshal([]byte(rule.Spec), &spec) != nil {
		return 0
	}
	switch {
	case spec.Min != nil:
		return *spec.Min
	case spec.MustBeGreaterOrEqualTo != nil:
		return *spec.MustBeGreaterOrEqualTo
	case spec.MustBeGreaterThan != nil:
		return *spec.MustBeGreaterThan + 1
	}
	return 0
}

// demoKnownFailure names how a check fails in the live demo ("" when it
// passes there): the history keeps it failing.
func demoKnownFailure(product string, rule QualityRule) string {
	switch product + "|" + CheckName(rule) {
	case "customer/customer-360|About 2.4 million known customers.":
		return "row_count"
	case "sales/revenue-by-channel|Reconciliation differences stay under 1% of net revenue.":
		return "marketplace"
	case "finance/monthly-pnl|Net revenue matches the ledger's revenue accounts.":
		return "no_table"
	}
	return ""
}

type histDue struct {
	at      time.Time
	trigger string
	by      *uint
}

// makeRuns makes every pipeline's runs, upstream pipelines first, and
// returns them all in the order they were queued.
func (h *demoHistory) makeRuns() []*histRun {
	done := map[*histPipeline]bool{}
	var all []*histRun
	for range h.pipelines { // at most one pass per pipeline resolves any order of dependencies
		progressed := false
		for _, p := range h.pipelines {
			if done[p] {
				continue
			}
			dues, ok := h.schedule(p, done)
			if !ok {
				continue
			}
			for _, d := range dues {
				if hr := h.makeRun(p, d); hr != nil {
					p.runs = append(p.runs, hr)
					if hr.run.Status == RunSucceeded {
						p.ok = append(p.ok, hr)
					}
					all = append(all, hr)
				}
			}
			done[p], progressed = true, true
		}
		if !progressed {
			break
		}
	}
	slices.SortStableFunc(all, func(a, b *histRun) int { return a.run.QueuedAt.Compare(b.run.QueuedAt) })
	return all
}

// schedule lists when p's runs were due, or false while the pipeline it
// follows has no runs yet.
func (h *demoHistory) schedule(p *histPipeline, done map[*histPipeline]bool) ([]histDue, bool) {
	var out []histDue
	sla := time.Duration(p.pl.Product.FreshnessHours) * time.Hour
	switch p.pl.Schedule {
	case ScheduleCron:
		c, err := ParseCron(p.pl.Cron)
		if err != nil {
			return nil, true
		}
		var perDay int
		for day := h.first; day.Before(h.end); day = day.AddDate(0, 0, 1) {
			var times []time.Time
			for t := c.Next(day.Add(-time.Second)); t.Before(day.AddDate(0, 0, 1)); t = c.Next(t) {
				times = append(times, t)
			}
			if len(times) > demoThinAbove {
				thin := make([]time.Time, demoThinTo)
				for i := range thin {
					thin[i] = times[i*len(times)/demoThinTo]
				}
				times = thin
			}
			perDay = max(perDay, len(times))
			for _, t := range times {
				out = append(out, histDue{at: t, trigger: TriggerSchedule})
			}
		}
		p.cadence = 7 * 24 * time.Hour
		if perDay > 1 || len(out) > demoHistoryDays/2 {
			p.cadence = 24 * time.Hour / time.Duration(max(perDay, 1))
		}
	case ScheduleUpstream:
		var follows *histPipeline
		for _, in := range p.pl.Inputs {
			if in.UpstreamProductID == nil {
				continue
			}
			if up := h.byPort[fmt.Sprint(*in.UpstreamProductID, "/", in.UpstreamPort)]; up != nil {
				follows = up
				break
			}
		}
		if follows != nil && !done[follows] {
			return nil, false
		}
		if follows == nil { // nothing to follow: once a day, after the nightly loads
			for day := h.first; day.Before(h.end); day = day.AddDate(0, 0, 1) {
				out = append(out, histDue{at: day.Add(7 * time.Hour), trigger: TriggerUpstream})
			}
			p.cadence = 24 * time.Hour
			break
		}
		for _, up := range follows.ok {
			out = append(out, histDue{at: up.run.FinishedAt.Add(h.jitter(50*time.Millisecond, 500*time.Millisecond)), trigger: TriggerUpstream})
		}
		p.cadence = follows.cadence
	default: // manual: its owners try it out on some weekdays of the last month
		for day := h.end.AddDate(0, 0, -25); day.Before(h.end); day = day.AddDate(0, 0, 1) {
			if wd := day.Weekday(); wd != time.Saturday && wd != time.Sunday && h.r.Float64() < 0.3 {
				out = append(out, histDue{at: day.Add(h.jitter(9*time.Hour+30*time.Minute, 17*time.Hour)), trigger: TriggerManual, by: p.owner})
			}
		}
	}
	if sla > 0 && p.cadence > 0 {
		p.derive = p.cadence <= sla+10*time.Minute
		p.sporadic = !p.derive || 2*p.cadence <= sla
	} else {
		p.sporadic = true
	}
	return out, true
}

// makeRun makes one run due at d: its outcome, checks and log. It returns
// nil for a run that would finish today or later.
func (h *demoHistory) makeRun(p *histPipeline, d histDue) *histRun {
	prog := h.progress(d.at)
	ago := h.daysAgo(d.at)
	hr := &histRun{}
	r := &hr.run
	r.PipelineID, r.Trigger, r.RequestedByID, r.Attempt = p.pl.ID, d.trigger, d.by, 1
	r.QueuedAt = d.at
	if d.trigger == TriggerSchedule {
		due := d.at
		r.DueAt = &due
	}
	started := d.at.Add(h.jitter(300*time.Millisecond, 2500*time.Millisecond))
	seconds := p.seconds * (0.85 + 0.35*prog) * h.between(0.88, 1.15)
	if h.r.Float64() < 0.02 {
		seconds *= 1.8 // a busy sandbox
	}
	took := time.Duration(min(seconds, 170) * float64(time.Second))
	rows := int64(p.rows * (1 + 0.15*prog) * h.between(0.98, 1.02))
	var log []string
	line := func(at time.Time, text string) {
		log = append(log, at.Format("15:04:05.000")+"  "+text+"\n")
	}
	kind := map[string]string{TriggerSchedule: "A scheduled", TriggerUpstream: "An upstream", TriggerManual: "A manual"}[d.trigger]
	line(started, fmt.Sprintf("%s %s run of %s port %s, made up by the demo seed: no files were kept.", demoHistoryMark, strings.ToLower(kind), p.ref, p.pl.Port))

	fail := ""
	for _, o := range demoOutages {
		if o.product == p.ref && o.daysAgo == ago && d.at.Hour() >= o.from && d.at.Hour() < o.to {
			fail = o.fault
		}
	}
	if fail == "" && p.sporadic && h.r.Float64() < 0.004 {
		fail = "crash"
		if p.landing != nil {
			fail = "late"
		}
	} else if fail == "" && h.r.Float64() < 0.01 {
		line(started.Add(took/3), "The sandbox stopped: the SQL sandbox process stopped unexpectedly (signal: killed). Retrying.")
		r.Attempt = 2
		started = started.Add(took/3 + 10*time.Second)
	}
	switch fail {
	case "late", "truncated", "crash":
		r.Status = RunFailed
		took = h.jitter(200*time.Millisecond, 1500*time.Millisecond)
		switch {
		case fail == "crash":
			r.Attempt, took = 3, took+2*time.Minute
			r.Error = "the SQL sandbox process stopped unexpectedly (signal: killed)"
		case fail == "truncated" && p.landing != nil:
			file := strings.ReplaceAll(p.landing.Landing, "*", d.at.AddDate(0, 0, -1).Format("20060102"))
			r.Error = fmt.Sprintf("The SQL failed: Invalid Input Error: Malformed JSON in file \"landing/%s/%s\", at byte 52731 in record 1804: unexpected end of data.",
				p.pl.Product.Domain.Slug, file)
		case p.landing != nil:
			r.Error = fmt.Sprintf("Input %s: no landing file matches", p.landing.Name)
		default:
			r.Error = "The SQL failed: IO Error: an upstream snapshot could not be read"
		}
	default:
		var blocking []string
		for i, rule := range p.rules {
			c := h.check(p, rule, d.at, ago, rows)
			c.Position = i
			hr.checks = append(hr.checks, c)
			if c.Passed {
				r.ChecksPassed++
			} else {
				r.ChecksFailed++
				if c.Blocking {
					blocking = append(blocking, c.Name)
				}
			}
		}
		r.Status = RunSucceeded
		if len(blocking) > 0 {
			r.Status = RunFailed
			r.Error = fmt.Sprintf("Blocking checks failed: %s. Nothing was published.", strings.Join(blocking, "; "))
		} else {
			r.Rows, r.Bytes = rows, int64(float64(rows)*p.rowBytes)
		}
	}
	finished := started.Add(took)
	if !finished.Before(h.end) {
		return nil
	}
	r.StartedAt, r.FinishedAt = &started, &finished
	switch {
	case r.Status == RunSucceeded:
		line(finished, fmt.Sprintf("Published %d rows (%d bytes); %d of %d checks passed.", r.Rows, r.Bytes, r.ChecksPassed, len(hr.checks)))
	case r.Error != "":
		line(finished, r.Error)
		line(finished, "Failed. The previous snapshot stays current.")
	}
	r.Log = strings.Join(log, "")
	return hr
}

// check is one quality rule's result in a run of p.
func (h *demoHistory) check(p *histPipeline, rule QualityRule, at time.Time, ago int, rows int64) CheckResult {
	c := CheckResult{Name: CheckName(rule), Kind: rule.Kind, Column: rule.Column, Blocking: rule.Blocking, Passed: true}
	sample := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	day := at.AddDate(0, 0, -1).Format(dayLayout)
	switch demoKnownFailure(p.ref, rule) {
	case "row_count":
		c.Passed, c.FailingRows, c.Sample = false, 1, sample([]map[string]any{{"row_count": rows}})
	case "marketplace":
		c.Passed, c.FailingRows = false, rows/4
		var rs []map[string]any
		for i := range 3 {
			net := math.Round(h.between(38_000, 52_000)*100) / 100
			rs = append(rs, map[string]any{"revenue_date": at.AddDate(0, 0, -1-i).Format(dayLayout), "channel": "marketplace",
				"net_revenue": net, "reconciliation_adjustment": math.Round(-net*h.between(0.18, 0.22)*100) / 100})
		}
		c.Sample = sample(rs)
	case "no_table":
		c.Passed, c.Message = false, "The check's SQL failed: Catalog Error: Table with name ledger_revenue does not exist!"
	}
	bad := demoBadWeek
	if p.ref == bad.product && p.pl.Port == bad.port && rule.Kind == bad.kind && rule.Column == bad.column && ago <= bad.from && ago >= bad.to {
		c.Passed = false
		c.FailingRows = int64(140+60*(bad.from-ago)) + h.r.Int64N(40)
		var rs []map[string]any
		for i := range 3 {
			wh := fmt.Sprintf("WH%02d", 1+h.r.IntN(4))
			rs = append(rs, map[string]any{"snapshot_date": day, "location_id": wh, "sku": fmt.Sprint(10_000_000 + h.r.IntN(400_000)),
				"location_type": "warehouse", "warehouse_id": wh, "on_hand_units": -1 - h.r.IntN(24+8*i)})
		}
		c.Sample = sample(rs)
	}
	return c
}

// insertRuns writes the runs in the order they were queued, so their ids
// follow time as real ones do, then their check results.
func (h *demoHistory) insertRuns(tx *gorm.DB, all []*histRun) error {
	runs := make([]Run, len(all))
	for i, hr := range all {
		runs[i] = hr.run
	}
	if len(runs) > 0 {
		if err := tx.Omit(clause.Associations).CreateInBatches(runs, 200).Error; err != nil {
			return fmt.Errorf("write runs: %w", err)
		}
	}
	var checks []CheckResult
	for i, hr := range all {
		hr.run.ID = runs[i].ID
		for _, c := range hr.checks {
			c.RunID = hr.run.ID
			checks = append(checks, c)
		}
	}
	if len(checks) > 0 {
		if err := tx.CreateInBatches(checks, 500).Error; err != nil {
			return fmt.Errorf("write check results: %w", err)
		}
	}
	return nil
}

// incidents are what the runs would have opened and resolved, in the
// order they were first seen.
func (h *demoHistory) incidents() []Incident {
	var out []Incident
	for _, p := range h.pipelines {
		// Check incidents, as runIncidents records them.
		open := map[string]*Incident{}
		for _, hr := range p.runs {
			at := *hr.run.FinishedAt
			failing, passed := map[string]bool{}, map[string]bool{}
			for _, c := range hr.checks {
				if c.Passed {
					passed[c.Name] = true
				} else if c.Blocking {
					failing[c.Name] = true
				}
			}
			for _, name := range slices.Sorted(maps.Keys(open)) {
				if hr.run.Status == RunSucceeded || passed[name] && !failing[name] {
					open[name].ResolvedAt = &at
					out = append(out, *open[name])
					delete(open, name)
				}
			}
			for _, c := range hr.checks {
				if c.Passed || !c.Blocking {
					continue
				}
				detail := fmt.Sprintf("Run %d of port %s: %s.", hr.run.ID, p.pl.Port, plural(int(c.FailingRows), "1 failing row", "%d failing rows"))
				if c.Message != "" {
					detail = fmt.Sprintf("Run %d of port %s: %s", hr.run.ID, p.pl.Port, c.Message)
				}
				id := hr.run.ID
				if inc := open[c.Name]; inc != nil {
					inc.LastSeen, inc.RunID, inc.Detail = at, &id, detail
					continue
				}
				open[c.Name] = &Incident{ProductID: p.pl.ProductID, Port: p.pl.Port, Kind: IncidentCheck, Key: c.Name,
					FirstSeen: at, LastSeen: at, RunID: &id, Detail: detail}
			}
		}
		for _, name := range slices.Sorted(maps.Keys(open)) {
			out = append(out, *open[name]) // still failing when the history ends
		}

		// Freshness incidents, as CheckFreshness records them, for the
		// pipelines that run as often as they promise.
		hours := p.pl.Product.FreshnessHours
		if !p.derive || hours <= 0 {
			continue
		}
		sla := time.Duration(hours) * time.Hour
		for i := 1; i < len(p.ok); i++ {
			published, next := *p.ok[i-1].run.FinishedAt, *p.ok[i].run.FinishedAt
			due := published.Add(sla)
			if next.Sub(due) < 30*time.Minute {
				continue
			}
			resolved := next
			out = append(out, Incident{ProductID: p.pl.ProductID, Port: p.pl.Port, Kind: IncidentFreshness,
				FirstSeen: due.Add(h.jitter(time.Second, time.Minute)), LastSeen: next.Add(-h.jitter(time.Second, time.Minute)),
				ResolvedAt: &resolved,
				Detail: fmt.Sprintf("The current snapshot of port %s was published %s and new data was due by %s (the owners promise it every %s).",
					p.pl.Port, published.UTC().Format("2 Jan 2006 15:04 UTC"), due.UTC().Format("2 Jan 2006 15:04 UTC"), hoursText(hours))})
		}
	}
	slices.SortStableFunc(out, func(a, b Incident) int { return a.FirstSeen.Compare(b.FirstSeen) })
	return out
}

// histPort is a published product's port someone could read.
type histPort struct {
	p       *histPipeline
	product *Product
	port    *OutputPort
	view    string
	rank    float64 // popularity weight
}

// histReader is a persona and what they may read.
type histReader struct {
	user        *User
	perDay, api float64
	teams       map[uint]bool
	grants      map[uint][]Grant // by product
}

// basis says why r may read port at t, with the grant that allows it; ""
// when they may not.
func (r *histReader) basis(hp *histPort, open map[string]bool, t time.Time) (string, *uint) {
	switch {
	case r.teams[hp.product.TeamID]:
		return BasisTeam, nil
	case open[hp.product.Classification]:
		return BasisOpen, nil
	}
	var best *Grant
	for i := range r.grants[hp.product.ID] {
		g := &r.grants[hp.product.ID][i]
		end := g.ExpiresAt
		if g.EndedAt != nil && g.EndedAt.Before(end) {
			end = *g.EndedAt
		}
		if !t.Before(g.StartsAt) && t.Before(end) && g.Covers(hp.port.Slug) && (best == nil || g.ExpiresAt.After(best.ExpiresAt)) {
			best = g
		}
	}
	if best == nil {
		return "", nil
	}
	return BasisGrant, &best.ID
}

// published is the run whose snapshot was current for readers at t.
func (hp *histPort) published(t time.Time) *histRun {
	i, _ := slices.BinarySearchFunc(hp.p.ok, t, func(hr *histRun, t time.Time) int { return hr.run.FinishedAt.Compare(t) })
	if i == 0 {
		return nil
	}
	return hp.p.ok[i-1]
}

// usage makes the personas' queries and downloads and writes them.
func (h *demoHistory) usage(tx *gorm.DB) error {
	var policies []AccessPolicy
	if err := tx.Find(&policies).Error; err != nil {
		return fmt.Errorf("read access policies: %w", err)
	}
	open := map[string]bool{}
	for _, pol := range policies {
		open[pol.Classification] = !pol.RequestRequired
	}
	rank := map[string]int{}
	for i, ref := range demoPopular {
		rank[ref] = i
	}
	var ports []*histPort
	for _, p := range h.pipelines {
		if p.pl.Product.Status != StatusPublished && p.pl.Product.Status != StatusDeprecated { // some still read the old versions
			continue
		}
		prod := &p.pl.Product
		for j := range prod.OutputPorts {
			op := &prod.OutputPorts[j]
			if op.Slug != p.pl.Port {
				continue
			}
			r, ok := rank[p.ref]
			if !ok {
				r = len(demoPopular) + int(prod.ID)
			}
			ports = append(ports, &histPort{p: p, product: prod, port: op, rank: 1 / math.Pow(float64(r+1), 1.1),
				view: UpstreamViewName(prod.Domain.Slug, prod.Slug, op.Slug, len(prod.OutputPorts))})
		}
	}
	var readers []*histReader
	for _, dr := range demoReaders {
		var u User
		if err := tx.Where("email = ?", dr.email).Limit(1).Find(&u).Error; err != nil {
			return err
		}
		if u.ID == 0 || !u.Active() {
			continue
		}
		r := &histReader{user: &u, perDay: dr.perDay, api: dr.api, teams: map[uint]bool{}, grants: map[uint][]Grant{}}
		var teams []uint
		if err := tx.Model(&Membership{}).Where("user_id = ?", u.ID).Pluck("team_id", &teams).Error; err != nil {
			return err
		}
		for _, t := range teams {
			r.teams[t] = true
		}
		var grants []Grant
		if err := tx.Where("user_id = ?", u.ID).Order("id").Find(&grants).Error; err != nil {
			return err
		}
		for _, g := range grants {
			r.grants[g.ProductID] = append(r.grants[g.ProductID], g)
		}
		readers = append(readers, r)
	}

	var queries []Query
	var downloads []Download
	for day := h.first; day.Before(h.end); day = day.AddDate(0, 0, 1) {
		factor := demoWeekday[day.Weekday()] * (0.55 + 0.9*h.progress(day))
		for _, rd := range readers {
			for range h.poisson(rd.perDay * factor) {
				if q, ok := h.query(rd, ports, open, h.timeOfDay(day)); ok {
					queries = append(queries, q)
				}
			}
			for range h.poisson(rd.perDay * factor / 8) {
				if d, ok := h.download(rd, ports, open, h.timeOfDay(day)); ok {
					downloads = append(downloads, d)
				}
			}
		}
	}
	slices.SortStableFunc(queries, func(a, b Query) int { return a.StartedAt.Compare(b.StartedAt) })
	slices.SortStableFunc(downloads, func(a, b Download) int { return a.At.Compare(b.At) })
	if len(queries) > 0 {
		if err := tx.Omit(clause.Associations).CreateInBatches(queries, 300).Error; err != nil {
			return fmt.Errorf("write queries: %w", err)
		}
		var reads []QueryRead
		for _, q := range queries {
			for _, rd := range q.Reads {
				rd.QueryID = q.ID
				reads = append(reads, rd)
			}
		}
		if len(reads) > 0 {
			if err := tx.CreateInBatches(reads, 500).Error; err != nil {
				return fmt.Errorf("write query reads: %w", err)
			}
		}
	}
	if len(downloads) > 0 {
		if err := tx.CreateInBatches(downloads, 500).Error; err != nil {
			return fmt.Errorf("write downloads: %w", err)
		}
	}
	return nil
}

// timeOfDay draws a time in day's working hours.
func (h *demoHistory) timeOfDay(day time.Time) time.Time {
	return day.Add(time.Duration(h.pick(demoHours))*time.Hour + h.jitter(0, time.Hour))
}

type histChoice struct {
	hp    *histPort
	basis string
	grant *uint
	snap  *histRun
}

// choose draws a port rd could read at t, popular ones and their own
// team's more often; skip excludes a product.
func (h *demoHistory) choose(rd *histReader, ports []*histPort, open map[string]bool, t time.Time, skip uint, fits func(*histPort) bool) (histChoice, bool) {
	var cands []histChoice
	var weights []float64
	for _, hp := range ports {
		if hp.product.ID == skip || fits != nil && !fits(hp) {
			continue
		}
		basis, grant := rd.basis(hp, open, t)
		snap := hp.published(t)
		if basis == "" || snap == nil {
			continue
		}
		w := hp.rank
		if basis == BasisTeam {
			w *= 2
		}
		cands = append(cands, histChoice{hp, basis, grant, snap})
		weights = append(weights, w)
	}
	if len(cands) == 0 {
		return histChoice{}, false
	}
	return cands[h.pick(weights)], true
}

// query makes one of rd's queries at t.
func (h *demoHistory) query(rd *histReader, ports []*histPort, open map[string]bool, t time.Time) (Query, bool) {
	q := Query{UserID: rd.user.ID, Source: QuerySourceBrowser, StartedAt: t}
	if h.r.Float64() < rd.api {
		q.Source = QuerySourceAPI
	}
	if h.r.Float64() < 0.015 { // a product they cannot read: refused at once
		var closed []*histPort
		for _, hp := range ports {
			if b, _ := rd.basis(hp, open, t); b == "" && hp.published(t) != nil {
				closed = append(closed, hp)
			}
		}
		if len(closed) > 0 {
			hp := closed[h.r.IntN(len(closed))]
			q.SQL = fmt.Sprintf("SELECT *\nFROM %s\nLIMIT 100", hp.view)
			deny := &NoAccessError{Product: hp.product.Domain.Slug + "." + hp.product.Slug, Path: hp.product.Path()}
			q.Status, q.Error, q.FinishedAt = QueryRefused, deny.Error(), &t
			return q, true
		}
	}
	a, ok := h.choose(rd, ports, open, t, 0, nil)
	if !ok {
		return q, false
	}
	tables := []histChoice{a}
	if h.r.Float64() < 0.25 {
		if b, ok := h.choose(rd, ports, open, t, a.hp.product.ID, func(hp *histPort) bool { return sharedKey(a.hp.port, hp.port) != "" }); ok {
			tables = append(tables, b)
		}
	}
	var rows int64
	var lo, hi float64
	q.SQL, rows, lo, hi = h.querySQL(tables)
	q.Status, q.Rows = QuerySucceeded, min(rows, tables[0].snap.run.Rows)
	if h.r.Float64() < 0.03 {
		q.Status, q.Rows, hi = QueryFailed, 0, lo*2
		if col := firstColumn(a.hp.port, "string"); col != "" && strings.HasPrefix(q.SQL, "SELECT "+col) {
			q.SQL = strings.Replace(q.SQL, col, col+"s", 1) // a typo in the first column
			q.Error = fmt.Sprintf("Binder Error: Referenced column \"%ss\" not found in FROM clause!", col)
		} else {
			q.SQL = strings.Replace(q.SQL, "FROM", "FORM", 1)
			q.Error = "Parser Error: syntax error at or near \"FORM\""
		}
	}
	q.DurationMS = int64(h.logUniform(lo, hi))
	finished := t.Add(time.Duration(q.DurationMS)*time.Millisecond + h.jitter(20*time.Millisecond, 200*time.Millisecond))
	q.FinishedAt = &finished
	for _, c := range tables {
		q.Reads = append(q.Reads, QueryRead{ProductID: c.hp.product.ID, ReadAt: t, UserID: rd.user.ID, Port: c.hp.port.Slug,
			View: c.hp.view, Snapshot: c.snap.snapshot(), Basis: c.basis, GrantID: c.grant})
	}
	return q, true
}

// download makes one of rd's downloads at t.
func (h *demoHistory) download(rd *histReader, ports []*histPort, open map[string]bool, t time.Time) (Download, bool) {
	c, ok := h.choose(rd, ports, open, t, 0, nil)
	if !ok {
		return Download{}, false
	}
	format := "parquet"
	if h.r.Float64() < 0.45 {
		format = "csv"
	}
	return Download{ProductID: c.hp.product.ID, UserID: rd.user.ID, Port: c.hp.port.Slug, Snapshot: c.snap.snapshot(),
		Format: format, Rows: c.snap.run.Rows, At: t}, true
}

// querySQL writes a query over the tables as an analyst would, with the
// rows it returns and the range of its duration in milliseconds.
func (h *demoHistory) querySQL(tables []histChoice) (string, int64, float64, float64) {
	a := tables[0].hp
	if len(tables) == 2 {
		b := tables[1].hp
		key := sharedKey(a.port, b.port)
		if m := firstColumn(b.port, "measure"); m != "" && m != key {
			return fmt.Sprintf("SELECT a.%s, count(*) AS n, sum(b.%s) AS %s\nFROM %s a\nJOIN %s b USING (%s)\nGROUP BY 1\nORDER BY n DESC\nLIMIT 50",
				key, m, m, a.view, b.view, key), 50, 400, 7000
		}
		return fmt.Sprintf("SELECT a.%s, count(*) AS n\nFROM %s a\nJOIN %s b USING (%s)\nGROUP BY 1\nORDER BY n DESC\nLIMIT 50",
			key, a.view, b.view, key), 50, 400, 7000
	}
	dim, measure, date := firstColumn(a.port, "string"), firstColumn(a.port, "measure"), firstColumn(a.port, "date")
	var shapes []func() (string, int64, float64, float64)
	shapes = append(shapes, func() (string, int64, float64, float64) {
		return fmt.Sprintf("SELECT *\nFROM %s\nLIMIT 100", a.view), 100, 40, 400
	})
	if dim != "" {
		shapes = append(shapes, func() (string, int64, float64, float64) {
			return fmt.Sprintf("SELECT %s, count(*) AS n\nFROM %s\nGROUP BY %s\nORDER BY n DESC", dim, a.view, dim), 3 + h.r.Int64N(40), 120, 2500
		})
		if measure != "" {
			shapes = append(shapes, func() (string, int64, float64, float64) {
				return fmt.Sprintf("SELECT %s, sum(%s) AS %s\nFROM %s\nGROUP BY 1\nORDER BY 2 DESC\nLIMIT 20", dim, measure, measure, a.view), 20, 120, 2500
			})
		}
	}
	if date != "" {
		shapes = append(shapes, func() (string, int64, float64, float64) {
			return fmt.Sprintf("SELECT count(*) AS row_count, min(%s) AS earliest, max(%s) AS latest\nFROM %s", date, date, a.view), 1, 60, 900
		})
		if measure != "" {
			shapes = append(shapes, func() (string, int64, float64, float64) {
				return fmt.Sprintf("SELECT CAST(%s AS DATE) AS day, sum(%s) AS %s\nFROM %s\nWHERE %s >= current_date - INTERVAL 28 DAY\nGROUP BY 1\nORDER BY 1",
					date, measure, measure, a.view, date), 28, 150, 3000
			})
		}
	}
	return shapes[h.r.IntN(len(shapes))]()
}

// firstColumn is the port's first column of a kind: "string" (a
// dimension: no key, no personal data), "measure" (a number that is not a
// key) or "date" (a date or timestamp).
func firstColumn(port *OutputPort, kind string) string {
	for _, c := range port.Columns {
		switch {
		case kind == "string" && c.Type == "string" && !c.PrimaryKey && !c.PII && !strings.HasSuffix(c.Name, "_id"),
			kind == "measure" && (c.Type == "integer" || c.Type == "decimal" || c.Type == "number") && !c.PrimaryKey,
			kind == "date" && (c.Type == "date" || c.Type == "timestamp"):
			return c.Name
		}
	}
	return ""
}

// sharedKey is a column two ports could be joined on: the first key or id
// column of a that b also has.
func sharedKey(a, b *OutputPort) string {
	has := map[string]bool{}
	for _, c := range b.Columns {
		has[c.Name] = true
	}
	for _, c := range a.Columns {
		if has[c.Name] && (c.PrimaryKey || strings.HasSuffix(c.Name, "_id") || c.Name == "sku") && c.Type == "string" {
			return c.Name
		}
	}
	return ""
}
