package models

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Counters are what the dashboards count for one day: a product's, or
// summed over a team's products. Users is the distinct people who queried
// that day; it does not sum over days.
type Counters struct {
	Runs          int   `gorm:"not null"` // finished runs: succeeded, failed or cancelled
	RunsOK        int   `gorm:"not null"`
	RunsFailed    int   `gorm:"not null"`
	RunMS         int64 `gorm:"not null"` // total duration of the runs that succeeded or failed
	RunMSMax      int64 `gorm:"not null"`
	Checks        int   `gorm:"not null"` // check results of the finished runs
	ChecksPassed  int   `gorm:"not null"`
	BreachMinutes int   `gorm:"not null"` // minutes of the day past the freshness SLA
	Queries       int   `gorm:"not null"` // federated queries that read it
	Users         int   `gorm:"not null"`
	Downloads     int   `gorm:"not null"`
}

func (c *Counters) add(o Counters) {
	c.Runs += o.Runs
	c.RunsOK += o.RunsOK
	c.RunsFailed += o.RunsFailed
	c.RunMS += o.RunMS
	c.RunMSMax = max(c.RunMSMax, o.RunMSMax)
	c.Checks += o.Checks
	c.ChecksPassed += o.ChecksPassed
	c.BreachMinutes += o.BreachMinutes
	c.Queries += o.Queries
	c.Users += o.Users
	c.Downloads += o.Downloads
}

// ProductDay is one product's activity on one UTC day. The rollup job
// writes it; only days with activity have a row.
type ProductDay struct {
	Day       string `gorm:"primaryKey;size:10"` // 2026-11-27, UTC
	ProductID uint   `gorm:"primaryKey;autoIncrement:false;index"`
	DomainID  uint   `gorm:"not null;index:idx_product_day_domain"`
	TeamID    uint   `gorm:"not null;index:idx_product_day_team"`
	Counters  `gorm:"embedded"`
}

// TeamDay sums a team's ProductDays, so that company and domain charts
// read one row per team and day. Users is the team's distinct consumers.
type TeamDay struct {
	Day      string `gorm:"primaryKey;size:10"`
	TeamID   uint   `gorm:"primaryKey;autoIncrement:false"`
	DomainID uint   `gorm:"not null;index"`
	Counters `gorm:"embedded"`
}

// UserDay is one person's use of one team's products on one day: the
// source of top consumers and distinct users over a range.
type UserDay struct {
	Day       string `gorm:"primaryKey;size:10"`
	UserID    uint   `gorm:"primaryKey;autoIncrement:false"`
	TeamID    uint   `gorm:"primaryKey;autoIncrement:false"`
	DomainID  uint   `gorm:"not null"`
	Queries   int    `gorm:"not null"`
	Downloads int    `gorm:"not null"`
}

// DomainDay is the distinct people who queried a domain's products on a
// day; DomainID 0 is the whole company. (A team's are in TeamDay.)
type DomainDay struct {
	Day      string `gorm:"primaryKey;size:10"`
	DomainID uint   `gorm:"primaryKey;autoIncrement:false"`
	Users    int    `gorm:"not null"`
}

// ProductHealth is a product's quality score and recent use, recomputed by
// the rollup job. See QualityScore for how the score is computed.
type ProductHealth struct {
	ProductID   uint     `gorm:"primaryKey;autoIncrement:false"`
	Score       *int     // 0..100; nil when there is nothing to score (no checks, no SLA)
	CheckRate   *float64 // checks passed over the last 7 days, 0..1; nil without checks
	OnTimeRate  *float64 // the share of the last 7 days within the SLA, 0..1; nil without an SLA
	Checks      int      `gorm:"not null"` // check results in the last 7 days
	Runs        int      `gorm:"not null"` // finished runs in the last 7 days
	RunsOK      int      `gorm:"not null"`
	Queries30   int      `gorm:"not null"`
	Downloads30 int      `gorm:"not null"`
	ComputedAt  time.Time
}

// TableName is product_health: "health" has no plural.
func (ProductHealth) TableName() string { return "product_health" }

// RollupState is the rollup job's watermark: activity before it is in the
// day tables. HealthDay is the day the scores were last recomputed for
// every product.
type RollupState struct {
	Name          string `gorm:"primaryKey;size:32"`
	Watermark     time.Time
	HealthDay     string `gorm:"size:10"`
	ProductsStamp string `gorm:"size:80"` // the products' count and newest change when team_products was written
}

// Download is one download of a product's snapshot, by the browser or the API.
type Download struct {
	ID        uint      `gorm:"primaryKey"`
	ProductID uint      `gorm:"not null;index:idx_download_product"`
	UserID    uint      `gorm:"not null"`
	Port      string    `gorm:"size:60;not null"`
	Snapshot  string    `gorm:"size:80;not null"`
	Format    string    `gorm:"size:16;not null"`
	Rows      int64     `gorm:"not null"`
	At        time.Time `gorm:"not null;index:idx_download_product;index"`
}

const (
	dayLayout = "2006-01-02"
	// ScoreWindowDays is how far back the quality score looks.
	ScoreWindowDays = 7
	// rollupSlack re-reads activity this far behind the watermark, for
	// transactions that committed late.
	rollupSlack = 2 * time.Minute
	// rollupBackfill is how far back a first rollup reads.
	rollupBackfill = 400 * 24 * time.Hour
)

// Day is t's UTC day as the day tables key it.
func Day(t time.Time) string { return t.UTC().Format(dayLayout) }

func dayStart(day string) time.Time {
	t, _ := time.Parse(dayLayout, day)
	return t
}

// RollupReport says what a rollup did.
type RollupReport struct {
	Days     int // days recomputed
	Products int // product-day rows written
	Health   int // product health rows written
}

// RollupStats brings the day tables and product health up to date: it
// recomputes, from the runs, query reads, downloads and freshness
// incidents, every day from the watermark (less a slack) to today, then
// the health of the products active in those days, or of every product
// once a day, when the 7-day window moves. A first rollup reads back
// 400 days. It is idempotent: a day is replaced, never added to.
func (s *Store) RollupStats(ctx context.Context) (RollupReport, error) {
	now := s.now()
	var rep RollupReport
	var st RollupState
	err := s.db(ctx).Where("name = ?", "stats").Limit(1).Find(&st).Error
	if err != nil {
		return rep, fmt.Errorf("read rollup state: %w", err)
	}
	from := st.Watermark.Add(-rollupSlack)
	if st.Watermark.IsZero() {
		from = now.Add(-rollupBackfill)
		earliest := now
		for _, src := range [][2]string{{"runs", "finished_at"}, {"query_reads", "read_at"}, {"downloads", "at"}, {"incidents", "first_seen"}} {
			var first []time.Time
			err := s.db(ctx).Table(src[0]).Where(src[1]+" IS NOT NULL AND "+src[1]+" > ?", from).
				Order(src[1]).Limit(1).Pluck(src[1], &first).Error
			if err != nil {
				return rep, fmt.Errorf("read %s: %w", src[0], err)
			}
			if len(first) == 1 && first[0].Before(earliest) {
				earliest = first[0]
			}
		}
		from = earliest
	}
	for day := Day(from); day <= Day(now); day = Day(dayStart(day).AddDate(0, 0, 1)) {
		n, err := s.rollupDay(ctx, day, now)
		if err != nil {
			return rep, fmt.Errorf("rollup %s: %w", day, err)
		}
		rep.Days++
		rep.Products += n
	}
	// Scores and windows move for the products whose sources changed or
	// that changed themselves (status, SLA, team), and for every product
	// when the day turns.
	full := st.HealthDay != Day(now)
	stamp, err := s.productsStamp(ctx)
	if err != nil {
		return rep, err
	}
	var ids []uint
	if !full {
		if ids, err = s.changedProducts(ctx, from); err != nil {
			return rep, err
		}
		if stamp != st.ProductsStamp {
			var edited []uint
			err := s.db(ctx).Model(&Product{}).Where("updated_at > ?", stampTime(st.ProductsStamp)).Pluck("id", &edited).Error
			if err != nil {
				return rep, fmt.Errorf("find changed products: %w", err)
			}
			ids = append(ids, edited...)
			slices.Sort(ids)
			ids = slices.Compact(ids)
		}
	}
	if full || len(ids) > 0 {
		if rep.Health, err = s.refreshHealth(ctx, now, ids, full); err != nil {
			return rep, err
		}
		if err := s.refreshWindows(ctx, now, ids, full); err != nil {
			return rep, err
		}
	}
	var users []uint
	if !full {
		if users, err = s.changedUsers(ctx, from); err != nil {
			return rep, err
		}
	}
	if full || len(users) > 0 {
		if err := s.refreshUserWindows(ctx, now, users, full); err != nil {
			return rep, err
		}
	}
	// Team counts move when a product or a score does.
	switch {
	case full || stamp != st.ProductsStamp:
		if err := s.refreshTeamProducts(ctx, nil); err != nil {
			return rep, err
		}
		st.ProductsStamp = stamp
	case len(ids) > 0:
		var teams []uint
		if err := s.db(ctx).Model(&Product{}).Where("id IN ?", ids).Distinct().Pluck("team_id", &teams).Error; err != nil {
			return rep, err
		}
		if err := s.refreshTeamProducts(ctx, append(teams, 0)); err != nil {
			return rep, err
		}
	}
	st.Name, st.Watermark = "stats", now
	if full {
		st.HealthDay = Day(now)
	}
	if err := s.db(ctx).Save(&st).Error; err != nil {
		return rep, fmt.Errorf("save rollup state: %w", err)
	}
	return rep, nil
}

// rollupDay recomputes one day's rows of product_days, team_days and
// user_days from the sources.
func (s *Store) rollupDay(ctx context.Context, day string, now time.Time) (int, error) {
	start := dayStart(day)
	end := start.AddDate(0, 0, 1)
	db := s.db(ctx)
	products := map[uint]*Counters{}
	at := func(id uint) *Counters {
		c := products[id]
		if c == nil {
			c = &Counters{}
			products[id] = c
		}
		return c
	}

	var runs []struct {
		PipelineID   uint
		Status       string
		StartedAt    *time.Time
		FinishedAt   time.Time
		ChecksPassed int
		ChecksFailed int
	}
	// By finished_at alone: joined to pipelines, the planner may walk every
	// pipeline's runs instead.
	err := db.Model(&Run{}).Select("pipeline_id, status, started_at, finished_at, checks_passed, checks_failed").
		Where("finished_at >= ? AND finished_at < ?", start, end).Scan(&runs).Error
	if err != nil {
		return 0, fmt.Errorf("read runs: %w", err)
	}
	pipelines := map[uint]uint{}
	for _, r := range runs {
		pipelines[r.PipelineID] = 0
	}
	if err := s.pipelineProducts(ctx, pipelines); err != nil {
		return 0, err
	}
	for _, r := range runs {
		c := at(pipelines[r.PipelineID])
		c.Runs++
		switch r.Status {
		case RunSucceeded:
			c.RunsOK++
		case RunFailed:
			c.RunsFailed++
		}
		// Durations are of the runs that finished: a cancelled run may
		// never have started.
		if r.StartedAt != nil && (r.Status == RunSucceeded || r.Status == RunFailed) {
			ms := r.FinishedAt.Sub(*r.StartedAt).Milliseconds()
			c.RunMS += ms
			c.RunMSMax = max(c.RunMSMax, ms)
		}
		c.Checks += r.ChecksPassed + r.ChecksFailed
		c.ChecksPassed += r.ChecksPassed
	}

	type use struct{ product, user uint }
	uses := map[use]*UserDay{}
	var reads []struct {
		ProductID, UserID uint
		N                 int
	}
	err = db.Table("query_reads").Select("product_id, user_id, COUNT(*) AS n").
		Where("read_at >= ? AND read_at < ?", start, end).Group("product_id, user_id").Scan(&reads).Error
	if err != nil {
		return 0, fmt.Errorf("read queries: %w", err)
	}
	for _, r := range reads {
		at(r.ProductID).Queries += r.N
		at(r.ProductID).Users++
		uses[use{r.ProductID, r.UserID}] = &UserDay{Queries: r.N}
	}
	var downloads []struct {
		ProductID, UserID uint
		N                 int
	}
	err = db.Table("downloads").Select("product_id, user_id, COUNT(*) AS n").
		Where("at >= ? AND at < ?", start, end).Group("product_id, user_id").Scan(&downloads).Error
	if err != nil {
		return 0, fmt.Errorf("read downloads: %w", err)
	}
	for _, r := range downloads {
		at(r.ProductID).Downloads += r.N
		u := uses[use{r.ProductID, r.UserID}]
		if u == nil {
			u = &UserDay{}
			uses[use{r.ProductID, r.UserID}] = u
		}
		u.Downloads += r.N
	}

	var breaches []struct {
		ProductID  uint
		FirstSeen  time.Time
		ResolvedAt *time.Time
	}
	err = db.Model(&Incident{}).Select("product_id, first_seen, resolved_at").
		Where("kind = ? AND first_seen < ? AND (resolved_at IS NULL OR resolved_at >= ?)", IncidentFreshness, end, start).
		Scan(&breaches).Error
	if err != nil {
		return 0, fmt.Errorf("read incidents: %w", err)
	}
	// A product breached by two ports at once counts each minute once.
	spans := map[uint][][2]time.Time{}
	for _, b := range breaches {
		to := earlier(now, end)
		if b.ResolvedAt != nil {
			to = earlier(*b.ResolvedAt, to)
		}
		if from := later(b.FirstSeen, start); to.After(from) {
			spans[b.ProductID] = append(spans[b.ProductID], [2]time.Time{from, to})
		}
	}
	for id, sp := range spans {
		at(id).BreachMinutes = unionMinutes(sp)
	}

	ids := make([]uint, 0, len(products))
	for id := range products {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	owners := map[uint][2]uint{} // product -> team, domain
	for chunk := range slices.Chunk(ids, 500) {
		var rows []struct{ ID, TeamID, DomainID uint }
		if err := db.Model(&Product{}).Select("id, team_id, domain_id").Where("id IN ?", chunk).Scan(&rows).Error; err != nil {
			return 0, err
		}
		for _, r := range rows {
			owners[r.ID] = [2]uint{r.TeamID, r.DomainID}
		}
	}

	pdays := make([]ProductDay, 0, len(ids))
	teams := map[uint]*TeamDay{}
	teamUsers := map[[2]uint]*UserDay{} // team, user
	for _, id := range ids {
		o, ok := owners[id]
		if !ok {
			continue // deleted since
		}
		c := *products[id]
		pdays = append(pdays, ProductDay{Day: day, ProductID: id, TeamID: o[0], DomainID: o[1], Counters: c})
		t := teams[o[0]]
		if t == nil {
			t = &TeamDay{Day: day, TeamID: o[0], DomainID: o[1]}
			teams[o[0]] = t
		}
		c.Users = 0 // distinct per team, below
		t.add(c)
	}
	for k, u := range uses {
		o, ok := owners[k.product]
		if !ok {
			continue
		}
		tu := teamUsers[[2]uint{o[0], k.user}]
		if tu == nil {
			tu = &UserDay{Day: day, UserID: k.user, TeamID: o[0], DomainID: o[1]}
			teamUsers[[2]uint{o[0], k.user}] = tu
			if u.Queries > 0 {
				teams[o[0]].Users++
			}
		} else if tu.Queries == 0 && u.Queries > 0 {
			teams[o[0]].Users++
		}
		tu.Queries += u.Queries
		tu.Downloads += u.Downloads
	}
	people := map[uint]map[uint]bool{} // domain (0: the company) -> people who queried
	for k, u := range uses {
		o, ok := owners[k.product]
		if !ok || u.Queries == 0 {
			continue
		}
		for _, d := range []uint{0, o[1]} {
			if people[d] == nil {
				people[d] = map[uint]bool{}
			}
			people[d][k.user] = true
		}
	}
	ddays := make([]DomainDay, 0, len(people))
	for d, set := range people {
		ddays = append(ddays, DomainDay{Day: day, DomainID: d, Users: len(set)})
	}
	tdays := make([]TeamDay, 0, len(teams))
	for _, t := range teams {
		tdays = append(tdays, *t)
	}
	udays := make([]UserDay, 0, len(teamUsers))
	for _, u := range teamUsers {
		udays = append(udays, *u)
	}
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := replaceDay(tx, day, pdays, func(d ProductDay) uint { return d.ProductID }, 15); err != nil {
			return err
		}
		if err := replaceDay(tx, day, tdays, func(d TeamDay) uint { return d.TeamID }, 14); err != nil {
			return err
		}
		if err := replaceDay(tx, day, ddays, func(d DomainDay) uint { return d.DomainID }, 3); err != nil {
			return err
		}
		return replaceDay(tx, day, udays, func(d UserDay) [2]uint { return [2]uint{d.UserID, d.TeamID} }, 6)
	})
	return len(pdays), err
}

// replaceDay makes a day's rows of a day table equal to rows, writing
// only the differences: a minute's rollup of today rewrites the few rows
// that moved, not the whole day.
func replaceDay[T comparable, K comparable](tx *gorm.DB, day string, rows []T, key func(T) K, cols int) error {
	var old []T
	if err := tx.Where("day = ?", day).Find(&old).Error; err != nil {
		return err
	}
	have := make(map[K]T, len(old))
	for _, r := range old {
		have[key(r)] = r
	}
	var write []T
	for _, r := range rows {
		k := key(r)
		if o, ok := have[k]; !ok || o != r {
			write = append(write, r)
		}
		delete(have, k)
	}
	for _, gone := range have {
		if err := tx.Delete(&gone).Error; err != nil {
			return err
		}
	}
	if len(write) == 0 {
		return nil
	}
	return tx.Clauses(clause.OnConflict{UpdateAll: true}).CreateInBatches(write, batchRows(tx, cols)).Error
}

// unionMinutes is the whole minutes covered by spans, overlaps counted once.
func unionMinutes(spans [][2]time.Time) int {
	slices.SortFunc(spans, func(a, b [2]time.Time) int { return a[0].Compare(b[0]) })
	var total time.Duration
	var cur [2]time.Time
	for i, sp := range spans {
		if i == 0 || sp[0].After(cur[1]) {
			total += cur[1].Sub(cur[0])
			cur = sp
			continue
		}
		cur[1] = later(cur[1], sp[1])
	}
	total += cur[1].Sub(cur[0])
	return int(math.Round(total.Minutes()))
}

// pipelineProducts fills in the product of each pipeline in m.
func (s *Store) pipelineProducts(ctx context.Context, m map[uint]uint) error {
	ids := make([]uint, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	for chunk := range slices.Chunk(ids, 500) {
		var rows []struct{ ID, ProductID uint }
		if err := s.db(ctx).Model(&Pipeline{}).Select("id, product_id").Where("id IN ?", chunk).Scan(&rows).Error; err != nil {
			return fmt.Errorf("read pipelines: %w", err)
		}
		for _, r := range rows {
			m[r.ID] = r.ProductID
		}
	}
	return nil
}

// changedProducts are the products with runs, query reads or downloads
// since from, or a freshness incident open or resolved since.
func (s *Store) changedProducts(ctx context.Context, from time.Time) ([]uint, error) {
	ids, err := unionIDs(
		// Not DISTINCT: the planner would walk a product index to dedupe
		// instead of the time index; the rows since from are few.
		s.db(ctx).Model(&Pipeline{}).Where("id IN (?)", s.db(ctx).Model(&Run{}).Where("finished_at >= ?", from).Select("pipeline_id")).
			Select("product_id"),
		s.db(ctx).Table("query_reads").Where("read_at >= ?", from).Select("product_id"),
		s.db(ctx).Table("downloads").Where("at >= ?", from).Select("product_id"),
		s.db(ctx).Table("incidents").Where("kind = ? AND (resolved_at IS NULL OR resolved_at >= ?)", IncidentFreshness, from).Select("product_id"),
	)
	if err != nil {
		return nil, fmt.Errorf("find changed products: %w", err)
	}
	return ids, nil
}

// unionIDs runs queries of one id column each and returns their ids,
// sorted, each once.
func unionIDs(queries ...*gorm.DB) ([]uint, error) {
	var out []uint
	for _, q := range queries {
		var ids []uint
		if err := q.Scan(&ids).Error; err != nil {
			return nil, err
		}
		out = append(out, ids...)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// batchRows is how many rows of cols columns one INSERT should carry:
// SQLite's driver binds parameters in time quadratic in their number, so
// it gets about 250; Postgres about 4,000.
func batchRows(db *gorm.DB, cols int) int {
	if Dialect(db) == "postgres" {
		return 4000 / cols
	}
	return max(1, 250/cols)
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// refreshHealth recomputes the health of the given products, or of every
// published or deprecated product when all is set.
func (s *Store) refreshHealth(ctx context.Context, now time.Time, ids []uint, all bool) (int, error) {
	db := s.db(ctx)
	var prods []struct {
		ID             uint
		FreshnessHours int
	}
	q := db.Model(&Product{}).Select("id, freshness_hours").
		Where("status IN ?", []string{StatusPublished, StatusDeprecated})
	if !all {
		q = q.Where("id IN ?", append(ids, 0))
	}
	if err := q.Order("id").Scan(&prods).Error; err != nil {
		return 0, fmt.Errorf("read products: %w", err)
	}
	if len(prods) == 0 {
		return 0, nil
	}
	week := Day(now.AddDate(0, 0, -(ScoreWindowDays - 1)))
	month := Day(now.AddDate(0, 0, -29))
	type sums struct {
		ProductID                                         uint
		Runs, RunsOK, Checks, ChecksPassed, BreachMinutes int
	}
	recent := map[uint]sums{}
	usage := map[uint][2]int{}
	for chunk := range slices.Chunk(prods, 2000) {
		ids := make([]uint, len(chunk))
		for i, p := range chunk {
			ids[i] = p.ID
		}
		var rows []sums
		err := db.Model(&ProductDay{}).
			Select("product_id, SUM(runs) AS runs, SUM(runs_ok) AS runs_ok, SUM(checks) AS checks, SUM(checks_passed) AS checks_passed, SUM(breach_minutes) AS breach_minutes").
			Where("product_id IN ? AND day >= ?", ids, week).Group("product_id").Scan(&rows).Error
		if err != nil {
			return 0, fmt.Errorf("read product days: %w", err)
		}
		for _, r := range rows {
			recent[r.ProductID] = r
		}
		var use []struct {
			ProductID          uint
			Queries, Downloads int
		}
		err = db.Model(&ProductDay{}).Select("product_id, SUM(queries) AS queries, SUM(downloads) AS downloads").
			Where("product_id IN ? AND day >= ?", ids, month).Group("product_id").Scan(&use).Error
		if err != nil {
			return 0, fmt.Errorf("read product days: %w", err)
		}
		for _, u := range use {
			usage[u.ProductID] = [2]int{u.Queries, u.Downloads}
		}
	}
	// The window is whole days: from the start of the day six days ago to now.
	span := max(1, now.Sub(dayStart(week)).Minutes())
	rows := make([]ProductHealth, 0, len(prods))
	for _, p := range prods {
		r := recent[p.ID]
		h := ProductHealth{ProductID: p.ID, Checks: r.Checks, Runs: r.Runs, RunsOK: r.RunsOK,
			Queries30: usage[p.ID][0], Downloads30: usage[p.ID][1], ComputedAt: now}
		if r.Checks > 0 {
			rate := float64(r.ChecksPassed) / float64(r.Checks)
			h.CheckRate = &rate
		}
		if p.FreshnessHours > 0 {
			rate := max(0, 1-float64(r.BreachMinutes)/span)
			h.OnTimeRate = &rate
		}
		h.Score = QualityScore(h.CheckRate, h.OnTimeRate)
		rows = append(rows, h)
	}
	err := db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "product_id"}}, UpdateAll: true}).
		CreateInBatches(rows, batchRows(db, 11)).Error
	if err != nil {
		return 0, fmt.Errorf("write product health: %w", err)
	}
	return len(rows), nil
}

// QualityScore is the product's score out of 100: the average of the share
// of checks passed and the share of time within the freshness SLA, over
// the last ScoreWindowDays days, counting only the parts the product has.
// A product without checks and without an SLA has no score.
func QualityScore(checkRate, onTimeRate *float64) *int {
	var sum float64
	var n int
	for _, r := range []*float64{checkRate, onTimeRate} {
		if r != nil {
			sum += *r
			n++
		}
	}
	if n == 0 {
		return nil
	}
	score := int(math.Round(100 * sum / float64(n)))
	return &score
}

// HealthOf returns a product's health, or nil before the first rollup
// that saw it.
func (s *Store) HealthOf(ctx context.Context, productID uint) (*ProductHealth, error) {
	var h ProductHealth
	err := s.db(ctx).Where("product_id = ?", productID).Limit(1).Find(&h).Error
	if err != nil || h.ProductID == 0 {
		return nil, err
	}
	return &h, nil
}

// TeamProduct is one team's products of one status and classification:
// how many, how many promise freshness, and their scores (count, sum and
// bands: 90-100, 70-89, 50-69, 0-49). The rollup rewrites the table each
// run, so the dashboards count products without reading the catalog.
type TeamProduct struct {
	TeamID         uint   `gorm:"primaryKey;autoIncrement:false"`
	Status         string `gorm:"primaryKey;size:16"`
	Classification string `gorm:"primaryKey;size:16"`
	DomainID       uint   `gorm:"not null;index"`
	Products       int64  `gorm:"not null"`
	SLAProducts    int64  `gorm:"not null"`
	Scored         int64  `gorm:"not null"`
	ScoreSum       int64  `gorm:"not null"`
	Band0          int64  `gorm:"not null"`
	Band1          int64  `gorm:"not null"`
	Band2          int64  `gorm:"not null"`
	Band3          int64  `gorm:"not null"`
}

// ProductWindow is a product's use and runs over the last Days days (7,
// 30 or 90), for the dashboards' top lists; only products with some
// activity have one.
type ProductWindow struct {
	Days      int  `gorm:"primaryKey;autoIncrement:false"`
	ProductID uint `gorm:"primaryKey;autoIncrement:false"`
	TeamID    uint
	DomainID  uint
	Queries   int64
	Downloads int64
	Runs      int64
	RunMS     int64
	RunMSMax  int64
}

// productsStamp changes whenever a product is added, changed or removed.
func (s *Store) productsStamp(ctx context.Context) (string, error) {
	var n int64
	if err := s.db(ctx).Model(&Product{}).Count(&n).Error; err != nil {
		return "", err
	}
	var last []time.Time
	if err := s.db(ctx).Model(&Product{}).Order("updated_at DESC").Limit(1).Pluck("updated_at", &last).Error; err != nil {
		return "", err
	}
	stamp := fmt.Sprint(n)
	if len(last) == 1 {
		stamp += " " + last[0].UTC().Format(time.RFC3339Nano)
	}
	return stamp, nil
}

// UserWindow is one person's queries and downloads of one team's products
// over the last Days days, for top consumers and distinct consumers.
type UserWindow struct {
	Days      int  `gorm:"primaryKey;autoIncrement:false"`
	UserID    uint `gorm:"primaryKey;autoIncrement:false"`
	TeamID    uint `gorm:"primaryKey;autoIncrement:false"`
	DomainID  uint
	Queries   int64
	Downloads int64
}

// refreshUserWindows recomputes the windows of the given people, or of
// everyone when all is set.
func (s *Store) refreshUserWindows(ctx context.Context, now time.Time, ids []uint, all bool) error {
	return rewriteWindows(ctx, s, now, ids, all, "user_id", 6, func(from string) *gorm.DB {
		return s.db(ctx).Model(&UserDay{}).
			Select("user_id, team_id, MAX(domain_id) AS domain_id, SUM(queries) AS queries, SUM(downloads) AS downloads").
			Where("day >= ?", from).Group("user_id, team_id")
	}, func(w *UserWindow, days int) { w.Days = days })
}

// rewriteWindows recomputes a window table (T: ProductWindow or
// UserWindow) for each of windowDays: sum gives the rows of a window
// starting on a day; only the rows whose key is in ids are replaced,
// unless all.
func rewriteWindows[T any](ctx context.Context, s *Store, now time.Time, ids []uint, all bool, key string, cols int,
	sum func(from string) *gorm.DB, setDays func(*T, int)) error {
	chunks := [][]uint{nil}
	if !all {
		chunks = slices.Collect(slices.Chunk(ids, 500))
	}
	for _, days := range windowDays {
		from := Day(now.AddDate(0, 0, -(days - 1)))
		for _, chunk := range chunks {
			q := sum(from)
			if !all {
				q = q.Where(key+" IN ?", chunk)
			}
			var rows []T
			if err := q.Scan(&rows).Error; err != nil {
				return fmt.Errorf("sum windows: %w", err)
			}
			for i := range rows {
				setDays(&rows[i], days)
			}
			err := s.db(ctx).Transaction(func(tx *gorm.DB) error {
				del := tx.Where("days = ?", days)
				if !all {
					del = del.Where(key+" IN ?", chunk)
				}
				if err := del.Delete(new(T)).Error; err != nil {
					return err
				}
				if len(rows) == 0 {
					return nil
				}
				return tx.CreateInBatches(rows, batchRows(tx, cols)).Error
			})
			if err != nil {
				return fmt.Errorf("write windows: %w", err)
			}
		}
	}
	return nil
}

// changedUsers are the people who queried or downloaded since from.
func (s *Store) changedUsers(ctx context.Context, from time.Time) ([]uint, error) {
	ids, err := unionIDs(
		s.db(ctx).Table("query_reads").Where("read_at >= ?", from).Select("user_id"),
		s.db(ctx).Table("downloads").Where("at >= ?", from).Select("user_id"),
	)
	if err != nil {
		return nil, fmt.Errorf("find changed users: %w", err)
	}
	return ids, nil
}

// stampTime is the newest change a products stamp saw; zero for none.
func stampTime(stamp string) time.Time {
	_, at, _ := strings.Cut(stamp, " ")
	t, _ := time.Parse(time.RFC3339Nano, at)
	return t
}

// refreshTeamProducts rewrites team_products from the products and their
// health: of the given teams, or of every team when teams is nil.
func (s *Store) refreshTeamProducts(ctx context.Context, teams []uint) error {
	var rows []TeamProduct
	q := s.db(ctx).Table("products p").Joins("LEFT JOIN product_health h ON h.product_id = p.id")
	if teams != nil {
		q = q.Where("p.team_id IN ?", teams)
	}
	err := q.
		Select(`p.team_id, p.status, p.classification, p.domain_id, COUNT(*) AS products,
			SUM(CASE WHEN p.freshness_hours > 0 THEN 1 ELSE 0 END) AS sla_products,
			COUNT(h.score) AS scored, COALESCE(SUM(h.score), 0) AS score_sum,
			SUM(CASE WHEN h.score >= 90 THEN 1 ELSE 0 END) AS band0,
			SUM(CASE WHEN h.score >= 70 AND h.score < 90 THEN 1 ELSE 0 END) AS band1,
			SUM(CASE WHEN h.score >= 50 AND h.score < 70 THEN 1 ELSE 0 END) AS band2,
			SUM(CASE WHEN h.score < 50 THEN 1 ELSE 0 END) AS band3`).
		Group("p.team_id, p.status, p.classification, p.domain_id").Scan(&rows).Error
	if err != nil {
		return fmt.Errorf("count team products: %w", err)
	}
	return s.db(ctx).Transaction(func(tx *gorm.DB) error {
		del := tx.Where("1 = 1")
		if teams != nil {
			del = tx.Where("team_id IN ?", teams)
		}
		if err := del.Delete(&TeamProduct{}).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		return tx.CreateInBatches(rows, batchRows(tx, 12)).Error
	})
}

// windowDays are the windows product_windows keeps: the dashboards' ranges.
var windowDays = []int{7, 30, 90}

// refreshWindows recomputes the windows of the given products, or of every
// product when all is set.
func (s *Store) refreshWindows(ctx context.Context, now time.Time, ids []uint, all bool) error {
	return rewriteWindows(ctx, s, now, ids, all, "product_id", 9, func(from string) *gorm.DB {
		return s.db(ctx).Table("product_days d").Joins("JOIN products p ON p.id = d.product_id").
			Select(`d.product_id, p.team_id, p.domain_id, SUM(d.queries) AS queries, SUM(d.downloads) AS downloads,
				SUM(d.runs_ok + d.runs_failed) AS runs, SUM(d.run_ms) AS run_ms, MAX(d.run_ms_max) AS run_ms_max`).
			Where("d.day >= ?", from).Group("d.product_id, p.team_id, p.domain_id")
	}, func(w *ProductWindow, days int) { w.Days = days })
}
