package models

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// DashRanges are the time ranges the dashboards offer, in days.
var DashRanges = []int{7, 30, 90}

// DashFilter narrows a dashboard to a domain or a team and a range of
// days ending today. Zero IDs mean the whole company.
type DashFilter struct {
	DomainID uint
	TeamID   uint
	Days     int
}

// days is the range's days, oldest first, ending today.
func (f DashFilter) days(now time.Time) []string {
	n := f.Days
	if n <= 0 {
		n = 30
	}
	out := make([]string, n)
	for i := range n {
		out[i] = Day(now.AddDate(0, 0, i-n+1))
	}
	return out
}

// window is the range in days, as product_windows keeps it.
func (f DashFilter) window() int {
	if slices.Contains(windowDays, f.Days) {
		return f.Days
	}
	return 30
}

// scope limits q to the filter's domain or team; col prefixes the columns
// ("p." for products p, "" for the day tables).
func (f DashFilter) scope(q *gorm.DB, col string) *gorm.DB {
	if f.TeamID != 0 {
		return q.Where(col+"team_id = ?", f.TeamID)
	}
	if f.DomainID != 0 {
		return q.Where(col+"domain_id = ?", f.DomainID)
	}
	return q
}

// ProductRef names a product for a dashboard row and its link.
type ProductRef struct {
	ID         uint
	DomainSlug string
	Slug       string
	Name       string
	TeamName   string
	Status     string
}

// Path is the product's page.
func (r ProductRef) Path() string { return "/products/" + r.DomainSlug + "/" + r.Slug }

// DayStat is the sum of the counters of a dashboard's scope on one day.
type DayStat struct {
	Day string
	Counters
}

// CheckRate is the share of checks passed, or -1 without checks.
func (d DayStat) CheckRate() float64 { return ratio(d.ChecksPassed, d.Checks) }

// RunRate is the share of runs that succeeded, or -1 without runs.
func (d DayStat) RunRate() float64 { return ratio(d.RunsOK, d.Runs) }

// AvgRunMS is the mean duration of the runs that succeeded or failed, or
// -1 without any.
func (d DayStat) AvgRunMS() float64 {
	if n := d.RunsOK + d.RunsFailed; n > 0 {
		return float64(d.RunMS) / float64(n)
	}
	return -1
}

func ratio(a, b int) float64 {
	if b == 0 {
		return -1
	}
	return float64(a) / float64(b)
}

// dayStats sums team_days over the filter's range, one DayStat per day,
// zeros where nothing happened.
func (s *Store) dayStats(ctx context.Context, f DashFilter, days []string) ([]DayStat, error) {
	var rows []DayStat
	q := s.db(ctx).Model(&TeamDay{}).Select(`day, SUM(runs) AS runs, SUM(runs_ok) AS runs_ok, SUM(runs_failed) AS runs_failed,
		SUM(run_ms) AS run_ms, MAX(run_ms_max) AS run_ms_max, SUM(checks) AS checks, SUM(checks_passed) AS checks_passed,
		SUM(breach_minutes) AS breach_minutes, SUM(queries) AS queries, SUM(users) AS users, SUM(downloads) AS downloads`).
		Where("day >= ?", days[0]).Group("day")
	if err := f.scope(q, "").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read team days: %w", err)
	}
	byDay := map[string]DayStat{}
	for _, r := range rows {
		byDay[r.Day] = r
	}
	out := make([]DayStat, len(days))
	for i, d := range days {
		out[i] = byDay[d]
		out[i].Day = d
	}
	return out, nil
}

// productRefs loads the names of products by id.
func (s *Store) productRefs(ctx context.Context, ids []uint) (map[uint]ProductRef, error) {
	out := map[uint]ProductRef{}
	for chunk := range slices.Chunk(ids, 500) {
		var rows []ProductRef
		err := s.db(ctx).Table("products p").
			Select("p.id, d.slug AS domain_slug, p.slug, p.name, t.name AS team_name, p.status").
			Joins("JOIN domains d ON d.id = p.domain_id").Joins("JOIN teams t ON t.id = p.team_id").
			Where("p.id IN ?", chunk).Scan(&rows).Error
		if err != nil {
			return nil, fmt.Errorf("read products: %w", err)
		}
		for _, r := range rows {
			out[r.ID] = r
		}
	}
	return out, nil
}

// ProductCount is a product and a number: its grants, its queries.
type ProductCount struct {
	ProductRef
	N int64
}

// UserCount is a person and how much they used the scope's products.
type UserCount struct {
	UserID    uint
	Name      string
	Email     string
	Queries   int64
	Downloads int64
}

// topProducts ranks the scope's products by col (queries, downloads)
// over the range, from product_windows.
func (s *Store) topProducts(ctx context.Context, f DashFilter, col string, limit int) ([]ProductCount, error) {
	var rows []struct {
		ProductID uint
		N         int64
	}
	q := s.db(ctx).Model(&ProductWindow{}).Select("product_id, "+col+" AS n").
		Where("days = ? AND "+col+" > 0", f.window()).Order(col + " DESC, product_id").Limit(limit)
	if err := f.scope(q, "").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("rank products: %w", err)
	}
	counts := make([]ProductCount, len(rows))
	for i, r := range rows {
		counts[i] = ProductCount{ProductRef: ProductRef{ID: r.ProductID}, N: r.N}
	}
	return s.named(ctx, counts)
}

// named fills in the names of counted products, in order, dropping those
// deleted since.
func (s *Store) named(ctx context.Context, counts []ProductCount) ([]ProductCount, error) {
	ids := make([]uint, len(counts))
	for i, c := range counts {
		ids[i] = c.ID
	}
	refs, err := s.productRefs(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := counts[:0]
	for _, c := range counts {
		if r, ok := refs[c.ID]; ok {
			c.ProductRef = r
			out = append(out, c)
		}
	}
	return out, nil
}

// topConsumers ranks people by their queries and downloads of the scope's
// products over the range, from user_windows.
func (s *Store) topConsumers(ctx context.Context, f DashFilter, limit int) ([]UserCount, error) {
	var rows []UserCount
	q := s.db(ctx).Table("user_windows w").
		Select("w.user_id, u.name, u.email, SUM(w.queries) AS queries, SUM(w.downloads) AS downloads").
		Joins("JOIN users u ON u.id = w.user_id").
		Where("w.days = ?", f.window()).Group("w.user_id, u.name, u.email").
		Order("SUM(w.queries) + SUM(w.downloads) DESC, w.user_id").Limit(limit)
	if err := f.scope(q, "w.").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("rank consumers: %w", err)
	}
	return rows, nil
}

// distinctUsers counts the people who queried or downloaded the scope's
// products over the range.
func (s *Store) distinctUsers(ctx context.Context, f DashFilter) (int64, error) {
	var n int64
	q := s.db(ctx).Model(&UserWindow{}).Where("days = ?", f.window()).Distinct("user_id")
	err := f.scope(q, "").Count(&n).Error
	return n, err
}

// StatusCount is how many of the scope's products have a status and a
// classification.
type StatusCount struct {
	Status         string
	Classification string
	N              int64
}

// OwnerGap is a product whose team has no active owner.
type OwnerGap struct {
	ProductRef
	Deactivated bool // it has owners, all deactivated
}

// TeamGap is a team without an active owner.
type TeamGap struct {
	ID          uint
	DomainSlug  string
	Slug        string
	Name        string
	Products    int64
	Deactivated bool
}

// Path is the team's page.
func (t TeamGap) Path() string { return "/domains/" + t.DomainSlug + "/teams/" + t.Slug }

// StaleProduct is a product with an open freshness incident.
type StaleProduct struct {
	ProductRef
	Port           string
	Since          time.Time
	FreshnessHours int
}

// DeprecatedUse is a deprecated product still read: its active grants,
// its queries in the range, and who.
type DeprecatedUse struct {
	ProductRef
	Grants    int64
	Reads     int64 // queries and downloads in the range
	Consumers []string
}

// PendingRequest is an access request waiting for a decision; Requester
// is "" unless the viewer may see people.
type PendingRequest struct {
	ID uint
	ProductRef
	Requester string
	CreatedAt time.Time
}

// DecisionTime is how long a domain took to decide access requests in
// the range.
type DecisionTime struct {
	DomainSlug  string
	DomainName  string
	Decided     int
	MedianHours float64
}

// OwnershipDash is the ownership dashboard: who owns what, where
// ownership is missing, what waits for owners.
type OwnershipDash struct {
	Filter            DashFilter
	Products          int64
	ByStatus          []StatusCount
	Unowned           []OwnerGap
	UnownedTotal      int64
	TeamsWithoutOwner []TeamGap
	Stale             []StaleProduct // one a late port
	StaleTotal        int64          // products late
	StalePorts        int64          // ports late: the rows Stale would have
	DeprecatedUsed    []DeprecatedUse
	Pending           []PendingRequest
	PendingTotal      int64
	Decisions         []DecisionTime
	MostGranted       []ProductCount
	TopProducts       []ProductCount
	TopConsumers      []UserCount // nil unless the viewer may see people
}

// dashListLimit bounds each dashboard list; the totals say how many more.
const dashListLimit = 20

// Ownership computes the ownership dashboard. People (top consumers, who
// still reads deprecated products) are named only when names is set.
func (s *Store) Ownership(ctx context.Context, f DashFilter, names bool) (*OwnershipDash, error) {
	now := s.now()
	from := f.days(now)[0]
	d := &OwnershipDash{Filter: f}
	db := s.db(ctx)

	q := f.scope(db.Model(&TeamProduct{}), "").Select("status, classification, SUM(products) AS n").Group("status, classification")
	if err := q.Scan(&d.ByStatus).Error; err != nil {
		return nil, fmt.Errorf("count products: %w", err)
	}
	for _, c := range d.ByStatus {
		d.Products += c.N
	}

	gaps, err := s.ownerlessTeams(ctx, f)
	if err != nil {
		return nil, err
	}
	d.TeamsWithoutOwner = gaps
	if len(gaps) > 0 {
		ids := make([]uint, len(gaps))
		deactivated := map[uint]bool{}
		for i, g := range gaps {
			ids[i] = g.ID
			deactivated[g.ID] = g.Deactivated
		}
		for _, g := range gaps {
			d.UnownedTotal += g.Products
		}
		type member struct{ ID, TeamID uint }
		var rows []member
		q := db.Model(&Product{}).Where("team_id IN ? AND status <> ?", ids, StatusRetired)
		if err := q.Select("id, team_id").Order("id DESC").Limit(dashListLimit).Scan(&rows).Error; err != nil {
			return nil, err
		}
		refs, err := s.productRefs(ctx, pluckIDs(rows, func(r member) uint { return r.ID }))
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			d.Unowned = append(d.Unowned, OwnerGap{ProductRef: refs[r.ID], Deactivated: deactivated[r.TeamID]})
		}
	}

	if d.Stale, d.StaleTotal, d.StalePorts, err = s.staleProducts(ctx, f); err != nil {
		return nil, err
	}
	if d.DeprecatedUsed, err = s.deprecatedUse(ctx, f, from, names); err != nil {
		return nil, err
	}
	if d.Pending, d.PendingTotal, err = s.pendingRequests(ctx, f, names); err != nil {
		return nil, err
	}
	if d.Decisions, err = s.decisionTimes(ctx, f, dayStart(from)); err != nil {
		return nil, err
	}
	var granted []struct {
		ProductID uint
		N         int64
	}
	gq := db.Table("grants g").Select("g.product_id, COUNT(*) AS n").Joins("JOIN products p ON p.id = g.product_id").
		Where("g.status = ? AND g.expires_at > ?", GrantActive, now).Group("g.product_id").Order("n DESC, g.product_id").Limit(10)
	if err := f.scope(gq, "p.").Scan(&granted).Error; err != nil {
		return nil, fmt.Errorf("count grants: %w", err)
	}
	counts := make([]ProductCount, len(granted))
	for i, g := range granted {
		counts[i] = ProductCount{ProductRef: ProductRef{ID: g.ProductID}, N: g.N}
	}
	if d.MostGranted, err = s.named(ctx, counts); err != nil {
		return nil, err
	}
	if d.TopProducts, err = s.topProducts(ctx, f, "queries", 10); err != nil {
		return nil, err
	}
	if names {
		if d.TopConsumers, err = s.topConsumers(ctx, f, 10); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func pluckIDs[T any](rows []T, id func(T) uint) []uint {
	out := make([]uint, len(rows))
	for i, r := range rows {
		out[i] = id(r)
	}
	return out
}

// ownerlessTeams are the scope's unarchived teams without an active owner.
func (s *Store) ownerlessTeams(ctx context.Context, f DashFilter) ([]TeamGap, error) {
	var rows []TeamGap
	q := s.db(ctx).Table("teams t").
		Select(`t.id, d.slug AS domain_slug, t.slug, t.name,
			(SELECT COALESCE(SUM(tp.products), 0) FROM team_products tp WHERE tp.team_id = t.id AND tp.status <> ?) AS products,
			EXISTS (SELECT 1 FROM memberships m WHERE m.team_id = t.id AND m.role = ?) AS deactivated`, StatusRetired, RoleOwner).
		Joins("JOIN domains d ON d.id = t.domain_id").
		Where("t.archived_at IS NULL AND d.archived_at IS NULL").
		Where(`NOT EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.team_id = t.id AND m.role = ? AND u.deactivated_at IS NULL)`, RoleOwner).
		Order("d.slug, t.slug")
	if f.TeamID != 0 {
		q = q.Where("t.id = ?", f.TeamID)
	} else if f.DomainID != 0 {
		q = q.Where("t.domain_id = ?", f.DomainID)
	}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("find teams without owners: %w", err)
	}
	return rows, nil
}

// staleProducts are the scope's products with an open freshness
// incident, the longest late first.
func (s *Store) staleProducts(ctx context.Context, f DashFilter) ([]StaleProduct, int64, int64, error) {
	q := s.db(ctx).Table("incidents i").Joins("JOIN products p ON p.id = i.product_id").
		Where("i.kind = ? AND i.resolved_at IS NULL", IncidentFreshness)
	q = f.scope(q, "p.")
	var total, ports int64
	if err := q.Distinct("i.product_id").Count(&total).Error; err != nil {
		return nil, 0, 0, fmt.Errorf("count stale products: %w", err)
	}
	q = f.scope(s.db(ctx).Table("incidents i").Joins("JOIN products p ON p.id = i.product_id").
		Where("i.kind = ? AND i.resolved_at IS NULL", IncidentFreshness), "p.")
	if err := q.Count(&ports).Error; err != nil {
		return nil, 0, 0, fmt.Errorf("count late ports: %w", err)
	}
	type late struct {
		ProductID      uint
		Port           string
		FirstSeen      time.Time
		FreshnessHours int
	}
	var rows []late
	q = s.db(ctx).Table("incidents i").Joins("JOIN products p ON p.id = i.product_id").
		Where("i.kind = ? AND i.resolved_at IS NULL", IncidentFreshness)
	err := f.scope(q, "p.").Select("i.product_id, i.port, i.first_seen, p.freshness_hours").
		Order("i.first_seen, i.id").Limit(dashListLimit).Scan(&rows).Error
	if err != nil {
		return nil, 0, 0, fmt.Errorf("list stale products: %w", err)
	}
	refs, err := s.productRefs(ctx, pluckIDs(rows, func(r late) uint { return r.ProductID }))
	if err != nil {
		return nil, 0, 0, err
	}
	out := make([]StaleProduct, 0, len(rows))
	for _, r := range rows {
		out = append(out, StaleProduct{ProductRef: refs[r.ProductID], Port: r.Port, Since: r.FirstSeen, FreshnessHours: r.FreshnessHours})
	}
	return out, total, ports, nil
}

// deprecatedUse lists the scope's deprecated products that still have
// active grants or were queried in the range, the most used first.
func (s *Store) deprecatedUse(ctx context.Context, f DashFilter, from string, names bool) ([]DeprecatedUse, error) {
	now := s.now()
	type use struct {
		ID      uint
		Grants  int64
		Queries int64
	}
	found := map[uint]*use{}
	at := func(id uint) *use {
		if found[id] == nil {
			found[id] = &use{ID: id}
		}
		return found[id]
	}
	var counts []struct {
		ProductID uint
		N         int64
	}
	gq := s.db(ctx).Table("grants g").Joins("JOIN products p ON p.id = g.product_id").Select("g.product_id, COUNT(*) AS n").
		Where("p.status = ? AND g.status = ? AND g.expires_at > ?", StatusDeprecated, GrantActive, now).Group("g.product_id")
	if err := f.scope(gq, "p.").Scan(&counts).Error; err != nil {
		return nil, fmt.Errorf("find deprecated products granted: %w", err)
	}
	for _, c := range counts {
		at(c.ProductID).Grants = c.N
	}
	counts = counts[:0]
	wq := s.db(ctx).Table("product_windows w").Joins("JOIN products p ON p.id = w.product_id").
		Select("w.product_id, w.queries + w.downloads AS n").
		Where("w.days = ? AND p.status = ? AND w.queries + w.downloads > 0", f.window(), StatusDeprecated)
	if err := f.scope(wq, "p.").Scan(&counts).Error; err != nil {
		return nil, fmt.Errorf("find deprecated products read: %w", err)
	}
	for _, c := range counts {
		at(c.ProductID).Queries = c.N
	}
	rows := make([]use, 0, len(found))
	for _, u := range found {
		rows = append(rows, *u)
	}
	rows = slices.DeleteFunc(rows, func(r use) bool {
		return r.Grants == 0 && r.Queries == 0
	})
	slices.SortFunc(rows, func(a, b use) int {
		if a.Queries+a.Grants != b.Queries+b.Grants {
			return int(b.Queries + b.Grants - a.Queries - a.Grants)
		}
		return int(a.ID) - int(b.ID)
	})
	rows = rows[:min(len(rows), dashListLimit)]
	ids := make([]uint, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	refs, err := s.productRefs(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]DeprecatedUse, 0, len(rows))
	for _, r := range rows {
		u := DeprecatedUse{ProductRef: refs[r.ID], Grants: r.Grants, Reads: r.Queries}
		if names {
			err := s.db(ctx).Raw(`SELECT u.name FROM users u WHERE u.id IN (
					SELECT g.user_id FROM grants g WHERE g.product_id = ? AND g.status = ? AND g.expires_at > ?
					UNION SELECT qr.user_id FROM query_reads qr WHERE qr.product_id = ? AND qr.read_at >= ?
					UNION SELECT dl.user_id FROM downloads dl WHERE dl.product_id = ? AND dl.at >= ?)
				ORDER BY u.name LIMIT 5`, r.ID, GrantActive, now, r.ID, dayStart(from), r.ID, dayStart(from)).Scan(&u.Consumers).Error
			if err != nil {
				return nil, fmt.Errorf("consumers of product %d: %w", r.ID, err)
			}
		}
		out = append(out, u)
	}
	return out, nil
}

// pendingRequests are the scope's access requests waiting for a
// decision, the oldest first.
func (s *Store) pendingRequests(ctx context.Context, f DashFilter, names bool) ([]PendingRequest, int64, error) {
	base := func() *gorm.DB {
		q := s.db(ctx).Table("access_requests r").Joins("JOIN products p ON p.id = r.product_id").
			Where("r.status = ?", RequestPending)
		return f.scope(q, "p.")
	}
	var total int64
	if err := base().Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count pending requests: %w", err)
	}
	var rows []struct {
		ID, ProductID uint
		Requester     string
		CreatedAt     time.Time
	}
	err := base().Joins("JOIN users u ON u.id = r.requester_id").Select("r.id, r.product_id, u.name AS requester, r.created_at").
		Order("r.created_at, r.id").Limit(dashListLimit).Scan(&rows).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list pending requests: %w", err)
	}
	ids := make([]uint, len(rows))
	for i, r := range rows {
		ids[i] = r.ProductID
	}
	refs, err := s.productRefs(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	out := make([]PendingRequest, len(rows))
	for i, r := range rows {
		out[i] = PendingRequest{ID: r.ID, ProductRef: refs[r.ProductID], CreatedAt: r.CreatedAt}
		if names {
			out[i].Requester = r.Requester
		}
	}
	return out, total, nil
}

// decisionTimes is the median time from request to decision per domain,
// of the requests granted or denied since from.
func (s *Store) decisionTimes(ctx context.Context, f DashFilter, from time.Time) ([]DecisionTime, error) {
	var rows []struct {
		DomainSlug, DomainName string
		CreatedAt              time.Time
		ClosedAt               time.Time
	}
	q := s.db(ctx).Table("access_requests r").Joins("JOIN products p ON p.id = r.product_id").
		Joins("JOIN domains d ON d.id = p.domain_id").
		Select("d.slug AS domain_slug, d.name AS domain_name, r.created_at, r.closed_at").
		Where("r.status IN ? AND r.closed_at >= ?", []string{RequestGranted, RequestDenied}, from)
	if err := f.scope(q, "p.").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read decisions: %w", err)
	}
	hours := map[string][]float64{}
	names := map[string]string{}
	for _, r := range rows {
		hours[r.DomainSlug] = append(hours[r.DomainSlug], r.ClosedAt.Sub(r.CreatedAt).Hours())
		names[r.DomainSlug] = r.DomainName
	}
	out := make([]DecisionTime, 0, len(hours))
	for slug, hs := range hours {
		out = append(out, DecisionTime{DomainSlug: slug, DomainName: names[slug], Decided: len(hs), MedianHours: median(hs)})
	}
	slices.SortFunc(out, func(a, b DecisionTime) int { return strings.Compare(a.DomainName, b.DomainName) })
	return out, nil
}

func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

// ScopeQuality is one domain's or team's quality over the range.
type ScopeQuality struct {
	ID            uint
	Slug          string
	Name          string
	Path          string
	Checks        int
	ChecksPassed  int
	Runs          int
	RunsOK        int
	BreachMinutes int
	SLAProducts   int64
	Scored        int64
	AvgScore      float64 // of the scored products
	OpenIncidents int64
}

// CheckRate is the share of checks passed, or -1 without checks.
func (q ScopeQuality) CheckRate() float64 { return ratio(q.ChecksPassed, q.Checks) }

// RunRate is the share of runs that succeeded, or -1 without runs.
func (q ScopeQuality) RunRate() float64 { return ratio(q.RunsOK, q.Runs) }

// OnTimeRate is the share of the SLA-bound products' time within their
// SLA over the range of days ending now, or -1 without such products.
func (q ScopeQuality) OnTimeRate(days int, now time.Time) float64 {
	return onTime(q.SLAProducts, q.BreachMinutes, rangeMinutes(days, now))
}

// rangeMinutes is the minutes of a range of days ending now: whole days,
// and today so far.
func rangeMinutes(days int, now time.Time) float64 {
	return float64(days-1)*1440 + max(1, now.Sub(dayStart(Day(now))).Minutes())
}

func onTime(products int64, breach int, minutes float64) float64 {
	if products == 0 {
		return -1
	}
	return max(0, 1-float64(breach)/(float64(products)*minutes))
}

// RangeOnTime is OnTimeRate over the whole range, for the company or the
// filtered scope.
func (q *QualityDash) RangeOnTime(now time.Time) float64 {
	breach := 0
	for _, d := range q.Days {
		breach += d.BreachMinutes
	}
	return onTime(q.SLAProducts, breach, rangeMinutes(len(q.Days), now))
}

// IncidentRow is an incident with its product.
type IncidentRow struct {
	Incident
	Ref ProductRef
}

// ScoredProduct is a product and its quality.
type ScoredProduct struct {
	ProductRef
	Score      int
	CheckRate  *float64
	OnTimeRate *float64
}

// ScoreBand is how many products score within a band, or have no score.
type ScoreBand struct {
	Label string
	N     int64
}

// QualityDash is the quality dashboard: checks, freshness, runs and
// incidents over the range, per domain (or per team inside a domain).
type QualityDash struct {
	Filter        DashFilter
	Days          []DayStat
	SLAProducts   int64 // published or deprecated products with an SLA: the on-time denominator
	Scopes        []ScopeQuality
	Incidents     []IncidentRow // open ones, then those resolved in the range, newest first
	ListedTotal   int64         // the incidents the list would show without its limit
	OpenIncidents int64
	Lowest        []ScoredProduct
	Bands         []ScoreBand
}

// OnTimeRate is the share of the SLA-bound products' time within their
// SLA on a day, or -1 without such products. Today counts the minutes
// so far.
func (q *QualityDash) OnTimeRate(d DayStat, now time.Time) float64 {
	minutes := 1440.0
	if d.Day == Day(now) {
		minutes = rangeMinutes(1, now)
	}
	return onTime(q.SLAProducts, d.BreachMinutes, minutes)
}

var scoreBands = []ScoreBand{
	{Label: "90–100"},
	{Label: "70–89"},
	{Label: "50–69"},
	{Label: "0–49"},
	{Label: "Not scored"},
}

// Quality computes the quality dashboard.
func (s *Store) Quality(ctx context.Context, f DashFilter) (*QualityDash, error) {
	now := s.now()
	days := f.days(now)
	d := &QualityDash{Filter: f}
	var err error
	if d.Days, err = s.dayStats(ctx, f, days); err != nil {
		return nil, err
	}
	db := s.db(ctx)
	live := []string{StatusPublished, StatusDeprecated}
	var counts struct {
		SLAProducts, Products, Scored, Band0, Band1, Band2, Band3 int64
	}
	q := f.scope(db.Model(&TeamProduct{}), "").Where("status IN ?", live).
		Select(`COALESCE(SUM(sla_products), 0) AS sla_products, COALESCE(SUM(products), 0) AS products, COALESCE(SUM(scored), 0) AS scored,
			COALESCE(SUM(band0), 0) AS band0, COALESCE(SUM(band1), 0) AS band1, COALESCE(SUM(band2), 0) AS band2, COALESCE(SUM(band3), 0) AS band3`)
	if err := q.Scan(&counts).Error; err != nil {
		return nil, fmt.Errorf("count products: %w", err)
	}
	d.SLAProducts = counts.SLAProducts
	d.Bands = slices.Clone(scoreBands)
	for i, n := range []int64{counts.Band0, counts.Band1, counts.Band2, counts.Band3, counts.Products - counts.Scored} {
		d.Bands[i].N = n
	}
	if d.Scopes, err = s.scopeQuality(ctx, f, days[0]); err != nil {
		return nil, err
	}

	var open []IncidentRow
	iq := db.Table("incidents i").Joins("JOIN products p ON p.id = i.product_id")
	if err := f.scope(iq, "p.").Where("i.resolved_at IS NULL").Count(&d.OpenIncidents).Error; err != nil {
		return nil, err
	}
	iq = f.scope(db.Table("incidents i").Joins("JOIN products p ON p.id = i.product_id"), "p.").
		Where("i.resolved_at IS NULL OR i.resolved_at >= ?", dayStart(days[0]))
	if err := iq.Count(&d.ListedTotal).Error; err != nil {
		return nil, err
	}
	iq = db.Table("incidents i").Joins("JOIN products p ON p.id = i.product_id").Select("i.*").
		Where("i.resolved_at IS NULL OR i.resolved_at >= ?", dayStart(days[0])).
		Order("CASE WHEN i.resolved_at IS NULL THEN 0 ELSE 1 END, i.last_seen DESC, i.id DESC").Limit(dashListLimit * 2)
	var incs []Incident
	if err := f.scope(iq, "p.").Scan(&incs).Error; err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	refs, err := s.productRefs(ctx, pluckIDs(incs, func(i Incident) uint { return i.ProductID }))
	if err != nil {
		return nil, err
	}
	for _, i := range incs {
		open = append(open, IncidentRow{Incident: i, Ref: refs[i.ProductID]})
	}
	d.Incidents = open

	type scored struct {
		ProductID  uint
		Score      int
		CheckRate  *float64
		OnTimeRate *float64
	}
	var low []scored
	// CROSS JOIN keeps SQLite walking the score index first, stopping at
	// ten; joined, it would walk a domain's products (100 ms at 12,000).
	// Postgres plans it as any join.
	lq := db.Table("product_health h").Joins("CROSS JOIN products p").
		Select("h.product_id, h.score, h.check_rate, h.on_time_rate").
		Where("p.id = h.product_id AND h.score < 100 AND p.status IN ?", live).Order("h.score, h.product_id").Limit(10)
	if err := f.scope(lq, "p.").Scan(&low).Error; err != nil {
		return nil, fmt.Errorf("list lowest scores: %w", err)
	}
	refs, err = s.productRefs(ctx, pluckIDs(low, func(r scored) uint { return r.ProductID }))
	if err != nil {
		return nil, err
	}
	for _, r := range low {
		d.Lowest = append(d.Lowest, ScoredProduct{ProductRef: refs[r.ProductID], Score: r.Score, CheckRate: r.CheckRate, OnTimeRate: r.OnTimeRate})
	}

	return d, nil
}

// scopeQuality breaks quality down per domain, or per team when the
// filter names a domain or a team.
func (s *Store) scopeQuality(ctx context.Context, f DashFilter, from string) ([]ScopeQuality, error) {
	db := s.db(ctx)
	by, scopes := "domain_id", []ScopeQuality{}
	if f.DomainID != 0 || f.TeamID != 0 {
		by = "team_id"
		var teams []struct {
			ID              uint
			Slug, Name, Dom string
		}
		q := db.Table("teams t").Select("t.id, t.slug, t.name, d.slug AS dom").Joins("JOIN domains d ON d.id = t.domain_id").
			Where("t.archived_at IS NULL").Order("t.name")
		if f.TeamID != 0 {
			q = q.Where("t.id = ?", f.TeamID)
		} else {
			q = q.Where("t.domain_id = ?", f.DomainID)
		}
		if err := q.Scan(&teams).Error; err != nil {
			return nil, err
		}
		for _, t := range teams {
			scopes = append(scopes, ScopeQuality{ID: t.ID, Slug: t.Slug, Name: t.Name, Path: "/domains/" + t.Dom + "/teams/" + t.Slug})
		}
	} else {
		var domains []Domain
		if err := db.Where("archived_at IS NULL").Order("name").Find(&domains).Error; err != nil {
			return nil, err
		}
		for _, dm := range domains {
			scopes = append(scopes, ScopeQuality{ID: dm.ID, Slug: dm.Slug, Name: dm.Name, Path: "/domains/" + dm.Slug})
		}
	}
	index := map[uint]*ScopeQuality{}
	for i := range scopes {
		index[scopes[i].ID] = &scopes[i]
	}
	var sums []struct {
		ID                                                uint
		Checks, ChecksPassed, Runs, RunsOK, BreachMinutes int
	}
	err := f.scope(db.Model(&TeamDay{}), "").Select(by+` AS id, SUM(checks) AS checks, SUM(checks_passed) AS checks_passed,
		SUM(runs) AS runs, SUM(runs_ok) AS runs_ok, SUM(breach_minutes) AS breach_minutes`).
		Where("day >= ?", from).Group(by).Scan(&sums).Error
	if err != nil {
		return nil, fmt.Errorf("sum team days: %w", err)
	}
	for _, r := range sums {
		if sq := index[r.ID]; sq != nil {
			sq.Checks, sq.ChecksPassed, sq.Runs, sq.RunsOK, sq.BreachMinutes = r.Checks, r.ChecksPassed, r.Runs, r.RunsOK, r.BreachMinutes
		}
	}
	var prods []struct {
		ID          uint
		SLAProducts int64
		Scored      int64
		ScoreSum    int64
	}
	err = f.scope(db.Model(&TeamProduct{}), "").
		Select(by+" AS id, SUM(sla_products) AS sla_products, SUM(scored) AS scored, SUM(score_sum) AS score_sum").
		Where("status IN ?", []string{StatusPublished, StatusDeprecated}).Group(by).Scan(&prods).Error
	if err != nil {
		return nil, fmt.Errorf("sum product health: %w", err)
	}
	for _, r := range prods {
		if sq := index[r.ID]; sq != nil && r.Scored > 0 {
			sq.SLAProducts, sq.Scored, sq.AvgScore = r.SLAProducts, r.Scored, float64(r.ScoreSum)/float64(r.Scored)
		} else if sq != nil {
			sq.SLAProducts = r.SLAProducts
		}
	}
	var incs []struct {
		ID uint
		N  int64
	}
	err = f.scope(db.Table("incidents i").Joins("JOIN products p ON p.id = i.product_id"), "p.").
		Select("p." + by + " AS id, COUNT(*) AS n").Where("i.resolved_at IS NULL").Group("p." + by).Scan(&incs).Error
	if err != nil {
		return nil, fmt.Errorf("count open incidents: %w", err)
	}
	for _, r := range incs {
		if sq := index[r.ID]; sq != nil {
			sq.OpenIncidents = r.N
		}
	}
	return scopes, nil
}

// ScopeUsage is one domain's or team's use over the range.
type ScopeUsage struct {
	ID        uint
	Slug      string
	Name      string
	Path      string
	Queries   int
	Downloads int
	Users     int64 // distinct people over the range
	Products  int64 // published products
	Pipelines int64 // other teams' pipelines reading its products
}

// UsageDash is the usage dashboard: queries, downloads and consumers over
// the range, and who depends on the scope's products.
type UsageDash struct {
	Filter        DashFilter
	Days          []DayStat
	Queries       int
	Downloads     int
	Users         int64
	Scopes        []ScopeUsage
	TopProducts   []ProductCount
	TopDownloaded []ProductCount
	TopConsumers  []UserCount // nil unless the viewer may see people
}

// Usage computes the usage dashboard. People are named only when names
// is set.
func (s *Store) Usage(ctx context.Context, f DashFilter, names bool) (*UsageDash, error) {
	now := s.now()
	days := f.days(now)
	d := &UsageDash{Filter: f}
	var err error
	if d.Days, err = s.dayStats(ctx, f, days); err != nil {
		return nil, err
	}
	for _, day := range d.Days {
		d.Queries += day.Queries
		d.Downloads += day.Downloads
	}
	if f.TeamID == 0 { // people are distinct per team in team_days; per domain and company here
		var rows []DomainDay
		if err := s.db(ctx).Where("domain_id = ? AND day >= ?", f.DomainID, days[0]).Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("read domain days: %w", err)
		}
		users := map[string]int{}
		for _, r := range rows {
			users[r.Day] = r.Users
		}
		for i := range d.Days {
			d.Days[i].Users = users[d.Days[i].Day]
		}
	}
	if d.Users, err = s.distinctUsers(ctx, f); err != nil {
		return nil, err
	}
	if d.TopProducts, err = s.topProducts(ctx, f, "queries", 10); err != nil {
		return nil, err
	}
	if d.TopDownloaded, err = s.topProducts(ctx, f, "downloads", 10); err != nil {
		return nil, err
	}
	if names {
		if d.TopConsumers, err = s.topConsumers(ctx, f, 10); err != nil {
			return nil, err
		}
	}
	quality, err := s.scopeQuality(ctx, DashFilter{DomainID: f.DomainID, TeamID: f.TeamID}, days[0])
	if err != nil {
		return nil, err
	}
	by := "domain_id"
	if f.DomainID != 0 || f.TeamID != 0 {
		by = "team_id"
	}
	index := map[uint]int{}
	for i, q := range quality {
		d.Scopes = append(d.Scopes, ScopeUsage{ID: q.ID, Slug: q.Slug, Name: q.Name, Path: q.Path})
		index[q.ID] = i
	}
	db := s.db(ctx)
	var sums []struct {
		ID                 uint
		Queries, Downloads int
	}
	err = f.scope(db.Model(&TeamDay{}), "").Select(by+" AS id, SUM(queries) AS queries, SUM(downloads) AS downloads").
		Where("day >= ?", days[0]).Group(by).Scan(&sums).Error
	if err != nil {
		return nil, err
	}
	for _, r := range sums {
		if i, ok := index[r.ID]; ok {
			d.Scopes[i].Queries, d.Scopes[i].Downloads = r.Queries, r.Downloads
		}
	}
	var counts []struct {
		ID uint
		N  int64
	}
	for _, c := range []struct {
		q   *gorm.DB
		set func(*ScopeUsage, int64)
	}{
		{f.scope(db.Model(&UserWindow{}), "").Select(by+" AS id, COUNT(DISTINCT user_id) AS n").Where("days = ?", f.window()).Group(by),
			func(u *ScopeUsage, n int64) { u.Users = n }},
		{f.scope(db.Model(&TeamProduct{}), "").Select(by+" AS id, SUM(products) AS n").Where("status = ?", StatusPublished).Group(by),
			func(u *ScopeUsage, n int64) { u.Products = n }},
		{f.scope(db.Table("pipeline_inputs i").Joins("JOIN products p ON p.id = i.upstream_product_id").
			Joins("JOIN pipelines pl ON pl.id = i.pipeline_id").Joins("JOIN products dp ON dp.id = pl.product_id"), "p.").
			Select("p." + by + " AS id, COUNT(DISTINCT i.pipeline_id) AS n").Where("dp.team_id <> p.team_id").Group("p." + by),
			func(u *ScopeUsage, n int64) { u.Pipelines = n }},
	} {
		counts = counts[:0]
		if err := c.q.Scan(&counts).Error; err != nil {
			return nil, fmt.Errorf("count usage: %w", err)
		}
		for _, r := range counts {
			if i, ok := index[r.ID]; ok {
				c.set(&d.Scopes[i], r.N)
			}
		}
	}
	return d, nil
}

// LakeUse is one domain's share of the lake: the snapshots kept.
type LakeUse struct {
	DomainSlug string
	DomainName string
	Products   int64
	Snapshots  int64
	Bytes      int64
	Rows       int64
}

// SlowPipeline is a product's pipeline runs over the range, the slowest
// first.
type SlowPipeline struct {
	ProductRef
	Runs  int
	AvgMS int64
	MaxMS int64
}

// JobCount is how many background jobs of a kind are in a state.
type JobCount struct {
	Kind  string
	State string
	Count int64
}

// PlatformDash is the admins' view of the platform: lake size, runs and
// jobs.
type PlatformDash struct {
	Filter      DashFilter
	Days        []DayStat
	Lake        []LakeUse
	RunsQueued  int64
	RunsRunning int64
	RunsFailed  int // in the range
	Slowest     []SlowPipeline
	Jobs        []JobCount
	RolledUpAt  time.Time // the stats rollup's watermark
	Pipelines   int64
	PausedCount int64
	StuckQueued int64 // runs queued for more than 10 minutes
}

// Platform computes the platform dashboard. River's job table is read
// when it exists (serve creates it; some tests do not).
func (s *Store) Platform(ctx context.Context, f DashFilter) (*PlatformDash, error) {
	now := s.now()
	days := f.days(now)
	d := &PlatformDash{Filter: f}
	var err error
	if d.Days, err = s.dayStats(ctx, f, days); err != nil {
		return nil, err
	}
	for _, day := range d.Days {
		d.RunsFailed += day.RunsFailed
	}
	db := s.db(ctx)
	lq := db.Table("snapshots s").Joins("JOIN products p ON p.id = s.product_id").Joins("JOIN domains d ON d.id = p.domain_id").
		Select(`d.slug AS domain_slug, d.name AS domain_name, COUNT(DISTINCT s.product_id) AS products,
			COUNT(*) AS snapshots, COALESCE(SUM(s.bytes), 0) AS bytes, COALESCE(SUM(s.rows), 0) AS rows`).
		Where("s.deleted_at IS NULL").Group("d.slug, d.name").Order("bytes DESC, d.slug")
	if err := f.scope(lq, "p.").Scan(&d.Lake).Error; err != nil {
		return nil, fmt.Errorf("sum the lake: %w", err)
	}
	runs := func() *gorm.DB {
		return f.scope(db.Table("runs r").Joins("JOIN pipelines pl ON pl.id = r.pipeline_id").
			Joins("JOIN products p ON p.id = pl.product_id"), "p.")
	}
	for _, c := range []struct {
		where string
		args  []any
		n     *int64
	}{
		{"r.status = ?", []any{RunQueued}, &d.RunsQueued},
		{"r.status = ?", []any{RunRunning}, &d.RunsRunning},
		{"r.status = ? AND r.queued_at < ?", []any{RunQueued, now.Add(-10 * time.Minute)}, &d.StuckQueued},
	} {
		if err := runs().Where(c.where, c.args...).Count(c.n).Error; err != nil {
			return nil, fmt.Errorf("count runs: %w", err)
		}
	}
	pq := f.scope(db.Table("pipelines pl").Joins("JOIN products p ON p.id = pl.product_id"), "p.")
	if err := pq.Count(&d.Pipelines).Error; err != nil {
		return nil, err
	}
	pq = f.scope(db.Table("pipelines pl").Joins("JOIN products p ON p.id = pl.product_id"), "p.")
	if err := pq.Where("pl.paused").Count(&d.PausedCount).Error; err != nil {
		return nil, err
	}

	var slow []struct {
		ProductID uint
		Runs      int
		RunMS     int64
		MaxMS     int64
	}
	sq := db.Model(&ProductWindow{}).Select("product_id, runs, run_ms, run_ms_max AS max_ms").
		Where("days = ? AND runs > 0", f.window()).Order("run_ms_max DESC, product_id").Limit(10)
	if err := f.scope(sq, "").Scan(&slow).Error; err != nil {
		return nil, fmt.Errorf("rank slow pipelines: %w", err)
	}
	refs, err := s.productRefs(ctx, pluckIDs(slow, func(r struct {
		ProductID uint
		Runs      int
		RunMS     int64
		MaxMS     int64
	}) uint {
		return r.ProductID
	}))
	if err != nil {
		return nil, err
	}
	for _, r := range slow {
		d.Slowest = append(d.Slowest, SlowPipeline{ProductRef: refs[r.ProductID], Runs: r.Runs, AvgMS: r.RunMS / int64(max(1, r.Runs)), MaxMS: r.MaxMS})
	}

	if db.Migrator().HasTable("river_job") {
		err := db.Raw(`SELECT kind, state, COUNT(*) AS count FROM river_job GROUP BY kind, state ORDER BY kind, state`).Scan(&d.Jobs).Error
		if err != nil {
			return nil, fmt.Errorf("count jobs: %w", err)
		}
	}
	var st RollupState
	if err := db.Where("name = ?", "stats").Limit(1).Find(&st).Error; err != nil {
		return nil, err
	}
	d.RolledUpAt = st.Watermark
	return d, nil
}

// MyProduct is one product in its owner's overview.
type MyProduct struct {
	ProductRef
	Classification  string
	FreshnessHours  int
	PublishedAt     *time.Time // the newest snapshot
	Late            bool       // an open freshness incident
	LastRun         *Run       // without log
	LastRunPath     string
	FailingChecks   int64 // open check incidents
	PendingRequests int64
	ExpiringGrants  int64 // active grants ending within ExpiringWithin
	Health          *ProductHealth
}

// ExpiringWithin is how soon a grant's end counts as "expiring soon".
const ExpiringWithin = 14 * 24 * time.Hour

// MyTotals counts over all of a person's products what MyProducts lists.
type MyTotals struct {
	Products, Late, Failing, Pending, Expiring int64
}

// MyProducts lists the products of u's teams (not retired) with what
// their owners watch: freshness, the last run, failing checks, requests
// waiting and grants ending soon. With a limit, it lists that many: those
// that need their owners first (late, failing, waiting, ending), then by
// name, and lists them in that order; the totals are always over all of
// them.
func (s *Store) MyProducts(ctx context.Context, u *User, limit int) ([]MyProduct, MyTotals, error) {
	var tot MyTotals
	roles, err := s.TeamRolesOf(ctx, u.ID)
	if err != nil || len(roles) == 0 {
		return nil, tot, err
	}
	teams := make([]uint, 0, len(roles))
	for id := range roles {
		teams = append(teams, id)
	}
	db := s.db(ctx)
	now := s.now()
	mine := db.Model(&Product{}).Select("id").Where("team_id IN ? AND status <> ?", teams, StatusRetired)
	if err := db.Model(&Product{}).Where("team_id IN ? AND status <> ?", teams, StatusRetired).Count(&tot.Products).Error; err != nil {
		return nil, tot, fmt.Errorf("count my products: %w", err)
	}
	counts := func(q *gorm.DB) (map[uint]int64, error) {
		var rows []struct {
			ProductID uint
			N         int64
		}
		if err := q.Select("product_id, COUNT(*) AS n").Where("product_id IN (?)", mine).Group("product_id").Scan(&rows).Error; err != nil {
			return nil, err
		}
		out := map[uint]int64{}
		for _, r := range rows {
			out[r.ProductID] = r.N
		}
		return out, nil
	}
	var open []struct {
		ProductID uint
		Kind      string
	}
	err = db.Model(&Incident{}).Select("product_id, kind").Where("resolved_at IS NULL AND product_id IN (?)", mine).Scan(&open).Error
	if err != nil {
		return nil, tot, err
	}
	late, failing := map[uint]int64{}, map[uint]int64{}
	for _, i := range open {
		if i.Kind == IncidentFreshness {
			late[i.ProductID]++
		} else {
			failing[i.ProductID]++
		}
	}
	pending, err := counts(db.Model(&AccessRequest{}).Where("status = ?", RequestPending))
	if err != nil {
		return nil, tot, err
	}
	expiring, err := counts(db.Model(&Grant{}).Where("status = ? AND expires_at > ? AND expires_at <= ?", GrantActive, now, now.Add(ExpiringWithin)))
	if err != nil {
		return nil, tot, err
	}
	attention := map[uint]int{}
	for _, m := range []struct {
		counts map[uint]int64
		weight int
		total  *int64
	}{{late, 8, &tot.Late}, {failing, 4, &tot.Failing}, {pending, 2, &tot.Pending}, {expiring, 1, &tot.Expiring}} {
		for id, n := range m.counts {
			attention[id] += m.weight
			if m.weight == 8 {
				*m.total++ // late products, not late ports
			} else {
				*m.total += n
			}
		}
	}

	q := db.Table("products p").Joins("JOIN domains d ON d.id = p.domain_id").Joins("JOIN teams t ON t.id = p.team_id").
		Joins("LEFT JOIN product_health h ON h.product_id = p.id").
		Select(`p.id, d.slug AS domain_slug, p.slug, p.name, t.name AS team_name, p.status, p.team_id, p.classification,
			p.freshness_hours, p.published_at, h.product_id IS NOT NULL AS scored, h.score, h.check_rate, h.on_time_rate`)
	if limit > 0 {
		// Those that need their owners, then the first by name: a team of
		// thousands of products is not read whole for one page.
		picked := slices.Collect(maps.Keys(attention))
		slices.SortFunc(picked, func(a, b uint) int {
			if attention[a] != attention[b] {
				return attention[b] - attention[a]
			}
			return int(a) - int(b)
		})
		picked = picked[:min(len(picked), limit)]
		var first []uint
		if err := mine.Session(&gorm.Session{}).Order("name, id").Limit(limit).Pluck("id", &first).Error; err != nil {
			return nil, tot, fmt.Errorf("read my products: %w", err)
		}
		for _, id := range first {
			if len(picked) < limit && attention[id] == 0 {
				picked = append(picked, id)
			}
		}
		q = q.Where("p.id IN ?", append(picked, 0))
	} else {
		q = q.Where("p.team_id IN ? AND p.status <> ?", teams, StatusRetired)
	}
	var prods []struct {
		ProductRef
		TeamID         uint
		Classification string
		FreshnessHours int
		PublishedAt    *time.Time
		Scored         bool // has a health row
		Score          *int
		CheckRate      *float64
		OnTimeRate     *float64
	}
	if err := q.Order("p.name, p.id").Scan(&prods).Error; err != nil {
		return nil, tot, fmt.Errorf("read my products: %w", err)
	}
	if len(prods) == 0 {
		return nil, tot, nil
	}
	ids := make([]uint, len(prods))
	for i, p := range prods {
		ids[i] = p.ID
	}
	// The newest run of each product: its pipelines first, then each
	// pipeline's newest run through the (pipeline_id, id) index.
	var pls []struct{ ID, ProductID uint }
	if err := db.Model(&Pipeline{}).Select("id, product_id").Where("product_id IN ?", ids).Scan(&pls).Error; err != nil {
		return nil, tot, fmt.Errorf("read my pipelines: %w", err)
	}
	productOf := map[uint]uint{}
	for _, pl := range pls {
		productOf[pl.ID] = pl.ProductID
	}
	var lastRuns []Run
	if len(pls) > 0 {
		var newest []uint
		err = db.Model(&Run{}).Where("pipeline_id IN ?", slices.Collect(maps.Keys(productOf))).Group("pipeline_id").
			Pluck("MAX(id)", &newest).Error
		if err != nil {
			return nil, tot, fmt.Errorf("read last runs: %w", err)
		}
		if err := db.Omit("log").Where("id IN ?", append(newest, 0)).Find(&lastRuns).Error; err != nil {
			return nil, tot, fmt.Errorf("read last runs: %w", err)
		}
	}
	lastOf := map[uint]*Run{}
	for i := range lastRuns {
		r := &lastRuns[i]
		if prev := lastOf[productOf[r.PipelineID]]; prev == nil || r.ID > prev.ID {
			lastOf[productOf[r.PipelineID]] = r
		}
	}
	out := make([]MyProduct, len(prods))
	for i, p := range prods {
		m := MyProduct{
			ProductRef:      p.ProductRef,
			Classification:  p.Classification,
			FreshnessHours:  p.FreshnessHours,
			PublishedAt:     p.PublishedAt,
			Late:            late[p.ID] > 0,
			FailingChecks:   failing[p.ID],
			PendingRequests: pending[p.ID],
			ExpiringGrants:  expiring[p.ID],
		}
		if p.Scored {
			m.Health = &ProductHealth{ProductID: p.ID, Score: p.Score, CheckRate: p.CheckRate, OnTimeRate: p.OnTimeRate}
		}
		if r := lastOf[p.ID]; r != nil {
			m.LastRun = r
			m.LastRunPath = fmt.Sprintf("/runs/%d", r.ID)
		}
		out[i] = m
	}
	// What needs the owners first, then by name (the order read).
	slices.SortStableFunc(out, func(a, b MyProduct) int { return attention[b.ID] - attention[a.ID] })
	return out, tot, nil
}

// ProductStats is a product's own health and use over a range of days,
// for its page.
type ProductStats struct {
	Days       []DayStat
	Health     *ProductHealth // nil before the first rollup that saw it
	Queries    int
	Downloads  int
	Users      int64 // distinct people who queried it in the range
	Downstream int64 // pipelines reading it
}

// ProductStats reads a product's days, health and consumers.
func (s *Store) ProductStats(ctx context.Context, p *Product, days int) (*ProductStats, error) {
	labels := DashFilter{Days: days}.days(s.now())
	var rows []DayStat
	err := s.db(ctx).Model(&ProductDay{}).Select("*").Where("product_id = ? AND day >= ?", p.ID, labels[0]).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read product days: %w", err)
	}
	byDay := map[string]DayStat{}
	for _, r := range rows {
		byDay[r.Day] = r
	}
	st := &ProductStats{Days: make([]DayStat, len(labels))}
	for i, d := range labels {
		st.Days[i] = byDay[d]
		st.Days[i].Day = d
		st.Queries += st.Days[i].Queries
		st.Downloads += st.Days[i].Downloads
	}
	if st.Health, err = s.HealthOf(ctx, p.ID); err != nil {
		return nil, err
	}
	from := dayStart(labels[0])
	err = s.db(ctx).Model(&QueryRead{}).Where("product_id = ? AND read_at >= ?", p.ID, from).Distinct("user_id").Count(&st.Users).Error
	if err != nil {
		return nil, fmt.Errorf("count consumers: %w", err)
	}
	err = s.db(ctx).Model(&PipelineInput{}).Where("upstream_product_id = ?", p.ID).Distinct("pipeline_id").Count(&st.Downstream).Error
	if err != nil {
		return nil, fmt.Errorf("count downstream pipelines: %w", err)
	}
	return st, nil
}
