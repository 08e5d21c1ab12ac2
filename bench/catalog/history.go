package catalog

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"plaza/models"
)

// HistoryOptions says how much activity GenerateHistory writes. Zero
// fields take the defaults of issue 8's benchmark: a year of daily runs of
// 2,000 pipelines, and a million queries by 2,000 people.
type HistoryOptions struct {
	Days      int       // days of history, the last one being Now's; 365 when 0
	Pipelines int       // published products that get a daily pipeline; 2,000 when 0
	Users     int       // people who query and download; 2,000 when 0
	Queries   int       // federated queries over the whole period; 1,000,000 when 0
	Now       time.Time // the end of the history; time.Now() when zero
}

// HistoryReport counts the rows GenerateHistory wrote, per table.
type HistoryReport struct {
	From, To       time.Time // the period: From is the first day's midnight, To is Now
	Users          int
	Ports          int // output ports created for published products that had none
	Pipelines      int
	PipelineInputs int
	Rules          int // quality rules, three per pipeline
	Runs           int
	Checks         int // check results
	Queries        int
	Reads          int // query reads
	Downloads      int
	Incidents      int
	OpenIncidents  int // of Incidents, those not resolved at Now
}

// Rows is the number of rows written in all.
func (r HistoryReport) Rows() int {
	return r.Users + r.Ports + r.Pipelines + r.PipelineInputs + r.Rules + r.Runs + r.Checks +
		r.Queries + r.Reads + r.Downloads + r.Incidents
}

func (r HistoryReport) String() string {
	return fmt.Sprintf("%d users, %d ports, %d pipelines, %d inputs, %d rules, %d runs, %d check results, "+
		"%d queries, %d query reads, %d downloads, %d incidents (%d open): %d rows",
		r.Users, r.Ports, r.Pipelines, r.PipelineInputs, r.Rules, r.Runs, r.Checks,
		r.Queries, r.Reads, r.Downloads, r.Incidents, r.OpenIncidents, r.Rows())
}

// historyProduct is a published product as the history uses it.
type historyProduct struct {
	ID             int
	Slug           string
	DomainSlug     string
	Classification string
	FreshnessHours int
	port           string // its first output port
	ports          int
	view           string // how a query names that port
}

// GenerateHistory writes opt.Days days of activity up to opt.Now over
// the published products of a generated catalog, fast, for the dashboard
// benchmarks: consumers; a daily pipeline (with three quality rules) for
// opt.Pipelines products and its runs with their check results; the
// freshness and check incidents the failed runs caused; queries and their
// reads by Zipf-active people over Zipf-popular products; and downloads,
// one for every ten queries. It writes rows with multi-row INSERTs, as
// Generate does, and leaves the day tables to Store.RollupStats. The
// same options and Now give the same rows. It refuses a database it has
// already filled.
func GenerateHistory(ctx context.Context, s *models.Store, opt HistoryOptions) (HistoryReport, error) {
	if opt.Days <= 0 {
		opt.Days = 365
	}
	if opt.Pipelines <= 0 {
		opt.Pipelines = 2000
	}
	if opt.Users <= 0 {
		opt.Users = 2000
	}
	if opt.Queries <= 0 {
		opt.Queries = 1000000
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	now := opt.Now.UTC().Truncate(time.Second)
	first := now.Truncate(24*time.Hour).AddDate(0, 0, -(opt.Days - 1))
	rep := HistoryReport{From: first, To: now}

	var n int64
	if err := s.DB.WithContext(ctx).Model(&models.User{}).Where("email = ?", consumerEmail(1)).Count(&n).Error; err != nil {
		return rep, err
	}
	if n > 0 {
		return rep, fmt.Errorf("generate history: %s exists: this database has a history already", consumerEmail(1))
	}
	products, err := loadPublished(ctx, s)
	if err != nil {
		return rep, fmt.Errorf("generate history: %w", err)
	}
	if len(products) == 0 {
		return rep, fmt.Errorf("generate history: no published products")
	}

	l, err := openLoader(ctx, s)
	if err != nil {
		return rep, fmt.Errorf("generate history: %w", err)
	}
	defer l.close()
	h := &history{l: l, opt: opt, now: now, first: first, products: products, rep: &rep}
	for _, step := range []struct {
		name string
		fn   func() error
	}{
		{"users", h.writeUsers},
		{"pipelines", h.writePipelines},
		{"runs", h.writeRuns},
		{"queries", h.writeQueries},
		{"downloads", h.writeDownloads},
	} {
		if err := step.fn(); err != nil {
			return rep, fmt.Errorf("generate history: %s: %w", step.name, err)
		}
		if err := l.commit(); err != nil {
			return rep, fmt.Errorf("generate history: %s: %w", step.name, err)
		}
	}
	if l.pg {
		// The rows carry their ids: move the sequences past them.
		for _, table := range []string{"users", "output_ports", "pipelines", "pipeline_inputs", "quality_rules", "runs",
			"check_results", "incidents", "queries", "query_reads", "downloads"} {
			q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%[1]s', 'id'), (SELECT MAX(id) FROM %[1]s))`, table)
			if _, err := l.tx.ExecContext(ctx, q); err != nil {
				return rep, fmt.Errorf("generate history: %s sequence: %w", table, err)
			}
		}
		// Plan the dashboards' queries with the new rows counted: a server
		// without autovacuum (this machine's) would never analyze them.
		if _, err := l.tx.ExecContext(ctx, "ANALYZE users, pipelines, runs, check_results, incidents, queries, query_reads, downloads"); err != nil {
			return rep, fmt.Errorf("generate history: analyze: %w", err)
		}
		if err := l.commit(); err != nil {
			return rep, fmt.Errorf("generate history: %w", err)
		}
	}
	return rep, nil
}

func consumerEmail(i int) string { return fmt.Sprintf("consumer-%d@example.com", i) }

// loadPublished reads the published products with their first output
// port.
func loadPublished(ctx context.Context, s *models.Store) ([]*historyProduct, error) {
	var products []*historyProduct
	err := s.DB.WithContext(ctx).Table("products p").
		Select("p.id, p.slug, d.slug AS domain_slug, p.classification, p.freshness_hours").
		Joins("JOIN domains d ON d.id = p.domain_id").
		Where("p.status = ?", models.StatusPublished).Order("p.id").Scan(&products).Error
	if err != nil {
		return nil, fmt.Errorf("read products: %w", err)
	}
	byID := make(map[int]*historyProduct, len(products))
	for _, p := range products {
		byID[p.ID] = p
	}
	var ports []struct {
		ProductID int
		Slug      string
	}
	err = s.DB.WithContext(ctx).Table("output_ports").Select("product_id, slug").Order("product_id, position, id").Scan(&ports).Error
	if err != nil {
		return nil, fmt.Errorf("read output ports: %w", err)
	}
	for _, op := range ports {
		if p := byID[op.ProductID]; p != nil {
			if p.ports == 0 {
				p.port = op.Slug
			}
			p.ports++
		}
	}
	return products, nil
}

// history is one run of GenerateHistory.
type history struct {
	l         *loader
	opt       HistoryOptions
	now       time.Time
	first     time.Time // the first day's midnight
	products  []*historyProduct
	users     []int // ids, most active first
	pipes     []*pipe
	rep       *HistoryReport
	dayWeight []float64 // the share of the period's queries and downloads each day gets
}

var consumerFirst = strings.Fields(`Ada Ben Chloe Dev Elif Femi Greta Hugo Ines Jonas Kofi Lena Mateo Nora Omar Priya Quentin Rosa Sven Tara Umar Vera Wen Ximena Yusuf Zoe`)
var consumerLast = strings.Fields(`Novak Okafor Lindqvist Moreau Tanaka Silva Kowalski Haddad Fischer Rossi Nguyen Oduya Petrov Garcia Brennan Costa Eriksen Kaur`)
var consumerTitles = []string{"Data analyst", "Analytics engineer", "Data scientist", "Business analyst", "Product manager", "Controller"}

// writeUsers writes the consumers, and orders them by how much they query:
// the first one most.
func (h *history) writeUsers() error {
	rng := rand.New(rand.NewPCG(11, 1))
	id, err := h.l.nextID("users")
	if err != nil {
		return err
	}
	t := h.l.table("users", nil, "id", "email", "name", "title", "is_admin", "created_at", "updated_at")
	for i := 1; i <= h.opt.Users; i++ {
		name := consumerFirst[rng.IntN(len(consumerFirst))] + " " + consumerLast[rng.IntN(len(consumerLast))]
		created := h.first.Add(-time.Duration(1+rng.IntN(500*24)) * time.Hour)
		if err := t.add(id, consumerEmail(i), name, consumerTitles[rng.IntN(len(consumerTitles))], false, created, created); err != nil {
			return err
		}
		h.users = append(h.users, id)
		id++
	}
	rng.Shuffle(len(h.users), func(i, j int) { h.users[i], h.users[j] = h.users[j], h.users[i] })
	if err := t.flush(); err != nil {
		return err
	}
	h.rep.Users = t.rows
	return nil
}

// pipe is a generated pipeline and, while runs are generated, its state.
type pipe struct {
	id        int
	product   *historyProduct
	checks    [3]string // row count and not null (blocking), unique (a warning)
	column    string    // of the not null and unique checks
	at        time.Duration
	medianMS  float64
	failP     float64
	rows      float64
	freshness time.Duration

	lastOK time.Time // when the current snapshot was published
	streak *streak   // the failures since then
}

// streak is a pipeline's consecutive failed runs of one blocking check.
type streak struct {
	check           int // its position
	firstAt, lastAt time.Time
	lastRun, rows   int // the newest failed run and its failing rows
}

// writePipelines gives an output port to the published products that
// have none, for queries to read, and to opt.Pipelines published products
// without a pipeline or quality rules a daily pipeline on their first
// output port, with three quality rules.
func (h *history) writePipelines() error {
	rng := rand.New(rand.NewPCG(12, 1))
	taken := map[int]bool{}
	for _, q := range []string{"SELECT product_id FROM pipelines", "SELECT product_id FROM quality_rules"} {
		ids, err := h.l.ints(q)
		if err != nil {
			return err
		}
		for _, id := range ids {
			taken[id] = true
		}
	}
	var chosen []*historyProduct
	for _, i := range rng.Perm(len(h.products)) {
		if p := h.products[i]; !taken[p.ID] {
			chosen = append(chosen, p)
		}
		if len(chosen) == h.opt.Pipelines {
			break
		}
	}
	slices.SortFunc(chosen, func(a, b *historyProduct) int { return a.ID - b.ID })

	portID, err := h.l.nextID("output_ports")
	if err != nil {
		return err
	}
	ports := h.l.table("output_ports", nil, "id", "product_id", "slug", "name", "format", "description", "position")
	for _, p := range h.products {
		if p.ports == 0 {
			p.port, p.ports = "data", 1
			if err := ports.add(portID, p.ID, p.port, "Data", "parquet", "The product's data.", 0); err != nil {
				return err
			}
			portID++
		}
		p.view = models.UpstreamViewName(p.DomainSlug, p.Slug, p.port, p.ports)
	}
	if err := ports.flush(); err != nil {
		return err
	}
	h.rep.Ports = ports.rows

	// The not null and unique checks are on the port's first column.
	type portKey struct {
		product int
		port    string
	}
	keys := map[portKey]string{}
	rows, err := h.l.tx.QueryContext(h.l.ctx, `SELECT o.product_id, o.slug, c.name FROM columns c
		JOIN output_ports o ON o.id = c.port_id WHERE c.position = 0`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int
		var port, col string
		if err := rows.Scan(&id, &port, &col); err != nil {
			rows.Close()
			return err
		}
		keys[portKey{id, port}] = col
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	id, err := h.l.nextID("pipelines")
	if err != nil {
		return err
	}
	inputID, err := h.l.nextID("pipeline_inputs")
	if err != nil {
		return err
	}
	ruleID, err := h.l.nextID("quality_rules")
	if err != nil {
		return err
	}
	pipelines := h.l.table("pipelines", nil, "id", "product_id", "port", "sql", "schedule", "cron", "timeout_seconds",
		"memory_mb", "retention", "paused", "next_run_at", "created_at", "updated_at")
	inputs := h.l.table("pipeline_inputs", pipelines, "id", "pipeline_id", "position", "name", "landing", "format")
	rules := h.l.table("quality_rules", nil, "id", "product_id", "position", "port", "column", "kind", "spec", "blocking")
	created := h.first.AddDate(0, 0, -30)
	for _, p := range chosen {
		col := keys[portKey{p.ID, p.port}]
		if col == "" {
			col = "id"
		}
		// Most fail rarely, some now and then, a few often.
		failP := 0.001
		switch r := rng.Float64(); {
		case r < 0.03:
			failP = 0.05
		case r < 0.15:
			failP = 0.01
		}
		pl := &pipe{id: id, product: p, failP: failP, freshness: time.Duration(p.FreshnessHours) * time.Hour, column: col,
			checks: [3]string{"row count", "not null on " + col, "unique on " + col},
			// Nightly, between 01:00 and 06:00 UTC.
			at:       time.Duration(60+rng.IntN(300))*time.Minute + time.Duration(rng.IntN(60))*time.Second,
			medianMS: 20000 * math.Exp(rng.Float64()*math.Log(40)), // 20 s to 13 minutes
			rows:     math.Exp(7 + rng.Float64()*9),                // 1,000 to 9 million
		}
		h.pipes = append(h.pipes, pl)
		hour, minute := int(pl.at.Hours()), int(pl.at.Minutes())%60
		next := h.now.Truncate(24 * time.Hour).Add(pl.at)
		if !next.After(h.now) {
			next = next.AddDate(0, 0, 1)
		}
		raw := strings.ReplaceAll(p.Slug, "-", "_")
		if err := pipelines.add(id, p.ID, p.port, "SELECT * FROM raw_"+truncate(raw, 40), models.ScheduleCron,
			fmt.Sprintf("%d %d * * *", minute, hour), models.DefaultPipelineTimeout, models.DefaultPipelineMemory,
			models.DefaultRetention, false, next, created, created); err != nil {
			return err
		}
		if err := inputs.add(inputID, id, 0, "raw_"+truncate(raw, 40), p.Slug+"/*.csv", "csv"); err != nil {
			return err
		}
		inputID++
		for i, r := range []struct {
			col, kind, spec string
			blocking        bool
		}{{"", checkKinds[0], `{"min":1}`, true}, {col, checkKinds[1], "", true}, {col, checkKinds[2], "", false}} {
			if err := rules.add(ruleID, p.ID, i, p.port, r.col, r.kind, r.spec, r.blocking); err != nil {
				return err
			}
			ruleID++
		}
		id++
	}
	if err := h.l.flush(pipelines, inputs, rules); err != nil {
		return err
	}
	h.rep.Pipelines, h.rep.PipelineInputs, h.rep.Rules = pipelines.rows, inputs.rows, rules.rows
	return nil
}

func truncate(s string, n int) string { return strings.TrimSuffix(s[:min(len(s), n)], "_") }

// checkKinds are the kinds of a pipeline's three checks.
var checkKinds = [3]string{"row_count", "not_null", "unique"}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// run is one generated run before it has its id.
type run struct {
	p                         *pipe
	status                    string
	due, queued, started, end time.Time
	failing                   int // the blocking check that failed it; -1 for none
	warning                   bool
	rows                      int
}

// writeRuns writes each pipeline's daily scheduled run, its check
// results and the incidents its failures caused, day after day, so that
// ids grow with time as they do in a real store. A failed run fails one blocking
// check; the next one fails it again often. From a failure until the next
// success the check's incident is open, and the port's freshness
// incident from when its snapshot became older than the product's SLA.
// (Runs that merely finish a little later than the day before breach the
// SLA for minutes in real life; the history leaves those out.)
func (h *history) writeRuns() error {
	rng := rand.New(rand.NewPCG(13, 1))
	runID, err := h.l.nextID("runs")
	if err != nil {
		return err
	}
	checkID, err := h.l.nextID("check_results")
	if err != nil {
		return err
	}
	runs := h.l.table("runs", nil, "id", "pipeline_id", "status", "trigger", "due_at", "accept_schema", "cancel_requested",
		"attempt", "queued_at", "started_at", "finished_at", "rows", "bytes", "error", "log", "checks_passed", "checks_failed")
	checks := h.l.table("check_results", runs, "id", "run_id", "position", "name", "kind", "column", "blocking", "passed",
		"failing_rows", "sample", "message")
	var incidents []incident
	for _, p := range h.pipes {
		p.lastOK = h.first.AddDate(0, 0, -1).Add(p.at + time.Duration(p.medianMS)*time.Millisecond)
	}
	day := make([]run, 0, len(h.pipes))
	for d := range h.opt.Days {
		midnight := h.first.AddDate(0, 0, d)
		day = day[:0]
		for _, p := range h.pipes {
			r := run{p: p, status: models.RunSucceeded, failing: -1, due: midnight.Add(p.at)}
			r.queued = r.due.Add(time.Duration(rng.IntN(3000)) * time.Millisecond)
			wait := 500 + rng.ExpFloat64()*4000
			if rng.IntN(50) == 0 { // a busy night: the run waits for a worker
				wait += rng.Float64() * 20 * 60000
			}
			r.started = r.queued.Add(time.Duration(wait) * time.Millisecond)
			ms := p.medianMS * math.Exp(0.25*rng.NormFloat64())
			if rng.IntN(100) == 0 {
				ms *= 3 + 5*rng.Float64()
			}
			r.end = r.started.Add(time.Duration(ms) * time.Millisecond)
			r.rows = int(p.rows * (0.95 + 0.1*rng.Float64()) * (0.8 + 0.4*float64(d)/float64(h.opt.Days)))
			failP := p.failP
			if p.streak != nil {
				failP = 0.45
			}
			switch x := rng.Float64(); {
			case x < failP:
				r.status = models.RunFailed
				switch {
				case p.streak != nil:
					r.failing = p.streak.check
				case rng.IntN(10) < 3:
					r.failing = 0
				default:
					r.failing = 1
				}
			case x < failP+0.002:
				r.status = models.RunCancelled
				r.end = r.started.Add(time.Duration(ms*rng.Float64()) * time.Millisecond)
				r.rows = 0
			}
			r.warning = rng.IntN(40) == 0
			if r.end.After(h.now) {
				continue // not finished yet: the history holds finished runs only
			}
			day = append(day, r)
		}
		slices.SortStableFunc(day, func(a, b run) int { return a.queued.Compare(b.queued) })
		for _, r := range day {
			p := r.p
			var errText any = ""
			passed, failed := 0, 0
			if r.status != models.RunCancelled {
				failed = btoi(r.failing >= 0) + btoi(r.warning)
				passed = len(p.checks) - failed
			}
			switch r.status {
			case models.RunFailed:
				errText = fmt.Sprintf("Blocking checks failed: %s. Nothing was published.", p.checks[r.failing])
			case models.RunCancelled:
				errText = "Cancelled."
			}
			bytes := r.rows * (40 + p.id%80)
			if err := runs.add(runID, p.id, r.status, models.TriggerSchedule, r.due, false, r.status == models.RunCancelled,
				1, r.queued, r.started, r.end, r.rows, bytes, errText, "", passed, failed); err != nil {
				return err
			}
			failingRows := 0
			for i := range p.checks {
				if r.status == models.RunCancelled {
					break
				}
				ok := i != r.failing && (i != 2 || !r.warning)
				n := 0
				if !ok && i > 0 { // a failed row count is an empty output: no rows
					n = 1 + int(rng.ExpFloat64()*float64(r.rows)/1000)
				}
				if i == r.failing {
					failingRows = n
				}
				column := p.column
				if i == 0 {
					column = ""
				}
				if err := checks.add(checkID, runID, i, p.checks[i], checkKinds[i], column, i < 2, ok, n, "", ""); err != nil {
					return err
				}
				checkID++
			}
			switch r.status {
			case models.RunFailed:
				if p.streak == nil {
					p.streak = &streak{check: r.failing, firstAt: r.end}
				}
				p.streak.lastAt, p.streak.lastRun, p.streak.rows = r.end, runID, failingRows
			case models.RunSucceeded:
				if p.streak != nil {
					incidents = append(incidents, p.incidents(r.end, h.now)...)
					p.streak = nil
				}
				p.lastOK = r.end
			}
			runID++
		}
		if err := h.l.maybeCommit(runs, checks); err != nil {
			return err
		}
	}
	for _, p := range h.pipes {
		if p.streak != nil {
			incidents = append(incidents, p.incidents(time.Time{}, h.now)...)
		}
	}
	if err := h.l.flush(runs, checks); err != nil {
		return err
	}
	h.rep.Runs, h.rep.Checks = runs.rows, checks.rows

	// Incidents in the order they were first seen, as the store opens them.
	slices.SortStableFunc(incidents, func(a, b incident) int { return a.firstSeen.Compare(b.firstSeen) })
	id, err := h.l.nextID("incidents")
	if err != nil {
		return err
	}
	t := h.l.table("incidents", nil, "id", "product_id", "port", "kind", "key", "first_seen", "last_seen", "resolved_at", "run_id", "detail")
	for _, in := range incidents {
		var resolved, runRef any
		if !in.resolved.IsZero() {
			resolved = in.resolved
		} else {
			h.rep.OpenIncidents++
		}
		if in.run != 0 {
			runRef = in.run
		}
		if err := t.add(id, in.product, in.port, in.kind, in.key, in.firstSeen, in.lastSeen, resolved, runRef, in.detail); err != nil {
			return err
		}
		id++
	}
	if err := t.flush(); err != nil {
		return err
	}
	h.rep.Incidents = t.rows
	return nil
}

// incident is one generated incident.
type incident struct {
	product                       int
	port, kind, key, detail       string
	firstSeen, lastSeen, resolved time.Time // resolved zero: still open
	run                           int
}

// incidents are the check and freshness incidents of p's failure streak:
// resolved by the run that published at ok, or open at now when ok is
// zero.
func (p *pipe) incidents(ok, now time.Time) []incident {
	st, port := p.streak, p.product.port
	check := incident{product: p.product.ID, port: port, kind: models.IncidentCheck, key: p.checks[st.check],
		firstSeen: st.firstAt, lastSeen: st.lastAt, resolved: ok, run: st.lastRun,
		detail: fmt.Sprintf("Run %d of port %s: %d failing rows.", st.lastRun, port, st.rows)}
	if st.check == 0 {
		check.detail = fmt.Sprintf("Run %d of port %s: the output was empty.", st.lastRun, port)
	}
	out := []incident{check}
	if p.freshness == 0 {
		return out
	}
	// The freshness check runs every minute: it sees the breach at the
	// first whole minute past the due time and last sees it the minute
	// before the snapshot that resolves it, or at now.
	due := p.lastOK.Add(p.freshness)
	seen := due.Truncate(time.Minute).Add(time.Minute)
	last := now.Truncate(time.Minute)
	if !ok.IsZero() {
		last = ok.Add(-time.Minute).Truncate(time.Minute)
	}
	if last.Before(seen) {
		return out // published again before anyone noticed
	}
	return append(out, incident{product: p.product.ID, port: port, kind: models.IncidentFreshness,
		firstSeen: seen, lastSeen: last, resolved: ok,
		detail: fmt.Sprintf("The current snapshot of port %s was published %s and new data was due by %s (the owners promise it every %d hours).",
			port, p.lastOK.Format("2 Jan 2006 15:04 UTC"), due.Format("2 Jan 2006 15:04 UTC"), int(p.freshness.Hours()))})
}

// dayWeights spreads the period's queries and downloads over its days:
// weekends are quiet, use grows over the year, and the last day only has
// the part before Now.
func (h *history) dayWeights() []float64 {
	if h.dayWeight != nil {
		return h.dayWeight
	}
	rng := rand.New(rand.NewPCG(14, 1))
	w := make([]float64, h.opt.Days)
	for d := range w {
		day := h.first.AddDate(0, 0, d)
		w[d] = (0.7 + 0.6*float64(d)/float64(max(1, h.opt.Days-1))) * max(0.5, 1+0.1*rng.NormFloat64())
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			w[d] *= 0.3
		}
	}
	w[len(w)-1] *= h.now.Sub(h.first.AddDate(0, 0, h.opt.Days-1)).Hours() / 24
	h.dayWeight = w
	return w
}

// perDay splits total over the days by their weights, exactly.
func (h *history) perDay(total int) []int {
	w := h.dayWeights()
	var sum float64
	for _, x := range w {
		sum += x
	}
	out := make([]int, len(w))
	var cum float64
	prev := 0
	for d, x := range w {
		cum += x
		upto := int(math.Round(cum / sum * float64(total)))
		out[d], prev = upto-prev, upto
	}
	return out
}

// hourWeights is when, in UTC, people query: office hours in Europe and
// the Americas.
var hourWeights = []float64{1, 0.6, 0.4, 0.4, 0.5, 1, 2, 4, 7, 9, 9, 8, 6, 8, 9, 9, 8, 7, 5, 4, 3, 2, 1.5, 1.2}

// atInDay draws a time of people's activity in the day starting at
// midnight, before Now.
func (h *history) atInDay(rng *rand.Rand, midnight time.Time, cum []float64) time.Time {
	x := rng.Float64() * cum[len(cum)-1]
	hour, _ := slices.BinarySearch(cum, x)
	at := time.Duration(hour)*time.Hour + time.Duration(rng.Int64N(int64(time.Hour)))
	at = at.Truncate(time.Millisecond)
	if midnight.Add(at).After(h.now) || midnight.Add(at).Equal(h.now) {
		// Today: squeeze the day's activity into the part before Now.
		at = time.Duration(float64(at) * float64(h.now.Sub(midnight)) / float64(24*time.Hour)).Truncate(time.Millisecond)
	}
	return midnight.Add(at)
}

func cumulative(w []float64) []float64 {
	out := make([]float64, len(w))
	var sum float64
	for i, x := range w {
		sum += x
		out[i] = sum
	}
	return out
}

// popularity draws products and users: a few are very popular or very
// active, most rarely, as in any marketplace.
type popularity struct {
	products, users *rand.Zipf
	order           []int // product index by popularity rank
}

func (h *history) popularity(seed uint64) popularity {
	rng := rand.New(rand.NewPCG(seed, 2))
	return popularity{
		products: rand.NewZipf(rng, 1.1, 3, uint64(len(h.products)-1)),
		users:    rand.NewZipf(rng, 1.2, 2, uint64(len(h.users)-1)),
		order:    rand.New(rand.NewPCG(15, 1)).Perm(len(h.products)), // the same ranking for queries and downloads
	}
}

func (pop popularity) product(h *history) *historyProduct {
	return h.products[pop.order[pop.products.Uint64()]]
}

// writeQueries writes the federated queries, day after day, each with a read
// of every product it names. Refused queries read nothing.
func (h *history) writeQueries() error {
	rng := rand.New(rand.NewPCG(16, 1))
	pop := h.popularity(17)
	queryID, err := h.l.nextID("queries")
	if err != nil {
		return err
	}
	readID, err := h.l.nextID("query_reads")
	if err != nil {
		return err
	}
	queries := h.l.table("queries", nil, "id", "user_id", "sql", "source", "status", "error", "rows", "duration_ms", "started_at", "finished_at")
	reads := h.l.table("query_reads", queries, "id", "query_id", "product_id", "read_at", "user_id", "port", "view", "pinned", "basis")
	cum := cumulative(hourWeights)
	type query struct {
		at    time.Time
		user  int
		reads []*historyProduct
	}
	var day []query
	for d, n := range h.perDay(h.opt.Queries) {
		midnight := h.first.AddDate(0, 0, d)
		day = day[:0]
		for range n {
			q := query{at: h.atInDay(rng, midnight, cum), user: h.users[pop.users.Uint64()]}
			k := 1
			if x := rng.IntN(100); x >= 96 {
				k = 3
			} else if x >= 80 {
				k = 2
			}
			for len(q.reads) < k {
				if p := pop.product(h); !slices.Contains(q.reads, p) {
					q.reads = append(q.reads, p)
				}
			}
			day = append(day, q)
		}
		slices.SortStableFunc(day, func(a, b query) int { return a.at.Compare(b.at) })
		for _, q := range day {
			views := make([]string, len(q.reads))
			for i, p := range q.reads {
				views[i] = p.view
			}
			var text string
			switch len(views) {
			case 1:
				text = [...]string{"SELECT * FROM %s LIMIT 100", "SELECT count(*) FROM %s", "SELECT * FROM %s ORDER BY 1 DESC LIMIT 1000"}[rng.IntN(3)]
				text = fmt.Sprintf(text, views[0])
			case 2:
				text = fmt.Sprintf("SELECT * FROM %s a JOIN %s b USING (id) LIMIT 1000", views[0], views[1])
			default:
				text = fmt.Sprintf("SELECT * FROM %s a JOIN %s b USING (id) JOIN %s c USING (id) LIMIT 1000", views[0], views[1], views[2])
			}
			source := models.QuerySourceBrowser
			if rng.IntN(4) == 0 {
				source = models.QuerySourceAPI
			}
			status, msg := models.QuerySucceeded, ""
			ms := int64(math.Exp(6 + 1.2*rng.NormFloat64())) // about 400 ms, a long tail
			rows := int64(rng.IntN(1000))
			switch x := rng.IntN(1000); {
			case x < 10:
				status, msg, ms, rows = models.QueryRefused, "You have no access to "+views[0]+".", 0, 0
				q.reads = nil
			case x < 50:
				status, msg, rows = models.QueryFailed, "Binder Error: Referenced column \"id\" not found", 0
			case x < 55:
				status, msg, rows = models.QueryCancelled, "cancelled", 0
			}
			end := q.at.Add(time.Duration(ms) * time.Millisecond)
			if err := queries.add(queryID, q.user, text, source, status, msg, rows, ms, q.at, end); err != nil {
				return err
			}
			for i, p := range q.reads {
				basis := models.BasisGrant
				if p.Classification == models.ClassPublic {
					basis = models.BasisOpen
				}
				if err := reads.add(readID, queryID, p.ID, q.at, q.user, p.port, views[i], rng.IntN(50) == 0, basis); err != nil {
					return err
				}
				readID++
			}
			queryID++
		}
		if err := h.l.maybeCommit(queries, reads); err != nil {
			return err
		}
	}
	if err := h.l.flush(queries, reads); err != nil {
		return err
	}
	h.rep.Queries, h.rep.Reads = queries.rows, reads.rows
	return nil
}

// writeDownloads writes one download for every ten queries, of the same
// popular products.
func (h *history) writeDownloads() error {
	rng := rand.New(rand.NewPCG(18, 1))
	pop := h.popularity(19)
	id, err := h.l.nextID("downloads")
	if err != nil {
		return err
	}
	t := h.l.table("downloads", nil, "id", "product_id", "user_id", "port", "snapshot", "format", "rows", "at")
	cum := cumulative(hourWeights)
	type download struct {
		at      time.Time
		user    int
		product *historyProduct
	}
	var day []download
	for d, n := range h.perDay(h.opt.Queries / 10) {
		midnight := h.first.AddDate(0, 0, d)
		day = day[:0]
		for range n {
			day = append(day, download{at: h.atInDay(rng, midnight, cum), user: h.users[pop.users.Uint64()], product: pop.product(h)})
		}
		slices.SortStableFunc(day, func(a, b download) int { return a.at.Compare(b.at) })
		// The snapshot of the night before.
		snapshot := midnight.Add(-21 * time.Hour).Format("20060102T150405Z")
		for _, x := range day {
			format := "parquet"
			if rng.IntN(5) < 2 {
				format = "csv"
			}
			if err := t.add(id, x.product.ID, x.user, x.product.port, snapshot+"-r"+strconv.Itoa(x.product.ID), format,
				int64(math.Exp(7+rng.Float64()*8)), x.at); err != nil {
				return err
			}
			id++
		}
		if err := h.l.maybeCommit(t); err != nil {
			return err
		}
	}
	if err := t.flush(); err != nil {
		return err
	}
	h.rep.Downloads = t.rows
	return nil
}

// loader writes rows with multi-row INSERTs on one connection, in
// transactions of about commitRows rows.
type loader struct {
	ctx     context.Context
	conn    *sql.Conn
	tx      *sql.Tx
	pg      bool
	pending int // rows written in the open transaction
}

// commitRows is how many rows a transaction writes: enough to amortize
// the commit, few enough to keep SQLite's write-ahead log small.
const commitRows = 200000

func openLoader(ctx context.Context, s *models.Store) (*loader, error) {
	db, err := s.DB.DB()
	if err != nil {
		return nil, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	l := &loader{ctx: ctx, conn: conn, pg: models.Dialect(s.DB) == "postgres"}
	if !l.pg {
		// The indexes on products and times take random pages: keep
		// them in memory (256 MB) rather than re-read them. Each
		// statement journals the pages it changes, so that it can be
		// undone alone: in memory too, not in a temporary file.
		for _, pragma := range []string{"PRAGMA cache_size = -262144", "PRAGMA temp_store = MEMORY"} {
			if _, err := conn.ExecContext(ctx, pragma); err != nil {
				conn.Close()
				return nil, err
			}
		}
	}
	if l.tx, err = conn.BeginTx(ctx, nil); err != nil {
		conn.Close()
		return nil, err
	}
	return l, nil
}

// close rolls back what was not committed and gives the connection back.
func (l *loader) close() {
	if l.tx != nil {
		l.tx.Rollback()
	}
	if !l.pg {
		l.conn.ExecContext(context.Background(), "PRAGMA cache_size = -2000")
		l.conn.ExecContext(context.Background(), "PRAGMA temp_store = DEFAULT")
	}
	l.conn.Close()
}

func (l *loader) commit() error {
	if err := l.tx.Commit(); err != nil {
		l.tx = nil
		return err
	}
	l.pending = 0
	var err error
	l.tx, err = l.conn.BeginTx(l.ctx, nil)
	return err
}

// maybeCommit writes the tables' buffered rows and commits when the
// transaction is big enough.
func (l *loader) maybeCommit(tables ...*table) error {
	if l.pending < commitRows {
		return nil
	}
	if err := l.flush(tables...); err != nil {
		return err
	}
	return l.commit()
}

func (l *loader) flush(tables ...*table) error {
	for _, t := range tables {
		if err := t.flush(); err != nil {
			return err
		}
	}
	return nil
}

// nextID is the id after the table's largest.
func (l *loader) nextID(table string) (int, error) {
	var id int
	err := l.tx.QueryRowContext(l.ctx, "SELECT COALESCE(MAX(id), 0) FROM "+table).Scan(&id)
	return id + 1, err
}

func (l *loader) ints(query string) ([]int, error) {
	rows, err := l.tx.QueryContext(l.ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// table buffers rows of one table and writes them a statement at a time.
type table struct {
	l      *loader
	name   string
	cols   []string
	parent *table // written first, for the foreign keys
	per    int    // rows per statement
	full   string // the statement for per rows
	args   []any
	rows   int // rows written
}

// Bind variables per statement. Postgres allows 65,535 and SQLite 32,766,
// but the SQLite driver binds them in time quadratic in their number, and
// Postgres too plans statements of tens of thousands more slowly: a few
// hundred for SQLite and a few thousand for Postgres write fastest here.
const (
	pgVars     = 4000
	sqliteVars = 250
)

func (l *loader) table(name string, parent *table, cols ...string) *table {
	vars := sqliteVars
	if l.pg {
		vars = pgVars
	}
	t := &table{l: l, name: name, cols: cols, parent: parent, per: max(1, vars/len(cols))}
	t.full = t.insert(t.per)
	return t
}

// insert is the INSERT of n rows.
func (t *table) insert(n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + t.name + " (")
	for i, c := range t.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"` + c + `"`)
	}
	b.WriteString(") VALUES ")
	v := 1
	for r := range n {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range t.cols {
			if c > 0 {
				b.WriteString(", ")
			}
			if t.l.pg {
				b.WriteString("$" + strconv.Itoa(v))
				v++
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}

func (t *table) add(vals ...any) error {
	t.args = append(t.args, vals...)
	if len(t.args) == t.per*len(t.cols) {
		return t.flush()
	}
	return nil
}

// flush writes the buffered rows, after its parent's.
func (t *table) flush() error {
	if len(t.args) == 0 {
		return nil
	}
	if t.parent != nil {
		if err := t.parent.flush(); err != nil {
			return err
		}
	}
	n := len(t.args) / len(t.cols)
	q := t.full
	if n != t.per {
		q = t.insert(n)
	}
	if _, err := t.l.tx.ExecContext(t.l.ctx, q, t.args...); err != nil {
		return fmt.Errorf("insert into %s: %w", t.name, err)
	}
	t.rows += n
	t.l.pending += n
	t.args = t.args[:0]
	return nil
}
