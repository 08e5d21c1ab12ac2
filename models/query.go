package models

// Federated queries: a person's SQL over the products they may read now.
// PlanQuery finds the product names in the SQL, checks each with
// CheckAccess at that moment (so a revoked or expired grant is refused on
// the next query) and resolves each to a snapshot: the current one, or a
// pinned one ("sales.orders@20261120T093000Z-r42", or "@2026-11-20" for the
// snapshot current at that time). The caller hands the plan's inputs to
// the sandbox, which holds those files and nothing else. Every query is
// recorded (Query, with a QueryRead per product: snapshot and the grant
// that allowed it), refused ones included; owners see their products'
// usage from the reads, admins every query.

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Query sources and statuses.
const (
	QuerySourceBrowser = "browser"
	QuerySourceAPI     = "api"

	QueryRunning   = "running"
	QuerySucceeded = "succeeded"
	QueryFailed    = "failed"
	QueryCancelled = "cancelled"
	QueryRefused   = "refused" // no access to a product it names
)

// Why a reader may read a product.
const (
	BasisTeam  = "team"  // the owning team's people
	BasisOpen  = "open"  // its classification needs no request
	BasisGrant = "grant" // an active grant
)

// Query is one run of someone's SQL.
type Query struct {
	ID           uint   `gorm:"primaryKey"`
	UserID       uint   `gorm:"not null;index:idx_query_user"`
	User         User   `gorm:"constraint:OnDelete:CASCADE"`
	SQL          string `gorm:"type:text;not null"`
	Source       string `gorm:"size:16;not null"`
	SavedQueryID *uint
	Status       string    `gorm:"size:16;not null"`
	Error        string    `gorm:"type:text"`
	Rows         int64     // rows returned or exported
	DurationMS   int64     // in the sandbox
	StartedAt    time.Time `gorm:"not null;index:idx_query_user;index"`
	FinishedAt   *time.Time
	Reads        []QueryRead `gorm:"constraint:OnDelete:CASCADE"`
}

// QueryRead is a product port one query read.
type QueryRead struct {
	ID         uint      `gorm:"primaryKey"`
	QueryID    uint      `gorm:"not null;index"`
	ProductID  uint      `gorm:"not null;index:idx_query_read_product"`
	ReadAt     time.Time `gorm:"not null;index:idx_query_read_product"` // the query's start
	UserID     uint      `gorm:"not null"`
	Port       string    `gorm:"size:60;not null"`
	View       string    `gorm:"size:200;not null"`
	SnapshotID *uint
	Snapshot   string `gorm:"size:80"`
	Pinned     bool   `gorm:"not null"`
	Basis      string `gorm:"size:16;not null"`
	GrantID    *uint
}

// SavedQuery is a named query with a shareable link. Whoever opens it
// runs it with their own grants.
type SavedQuery struct {
	ID        uint   `gorm:"primaryKey"`
	Token     string `gorm:"size:32;not null;uniqueIndex"`
	UserID    uint   `gorm:"not null;index"`
	User      User   `gorm:"constraint:OnDelete:CASCADE"`
	Name      string `gorm:"size:120;not null"`
	SQL       string `gorm:"type:text;not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// QueryTable is a product port as a reader's SQL sees it.
type QueryTable struct {
	View     string // sales.orders, or sales.orders_daily when the product has several ports
	Product  *Product
	Port     *OutputPort
	Snapshot *Snapshot // the one the query reads
	Pinned   bool
	Basis    string
	Grant    *Grant // when Basis is BasisGrant
}

// QueryPlan is what a query reads, checked.
type QueryPlan struct {
	SQL    string // the SQL with pinned names rewritten to their views
	Tables []QueryTable
}

// maxQuerySQL bounds the text of one query.
const maxQuerySQL = 100_000

// PlanQuery checks sql's product names against u's access now and
// resolves each to a snapshot. A product u may not read is a
// *NoAccessError naming it; a bad pin is invalid input on "sql".
func (s *Store) PlanQuery(ctx context.Context, u *User, sql string, pins map[string]string) (*QueryPlan, error) {
	if !u.Active() {
		return nil, ErrUnauthenticated
	}
	if strings.TrimSpace(sql) == "" {
		return nil, Invalid("sql", "Write a query.")
	}
	if len(sql) > maxQuerySQL {
		return nil, Invalid("sql", fmt.Sprintf("The query is longer than %d characters.", maxQuerySQL))
	}
	refs := sqlRefs(sql)
	for view, pin := range pins { // pins given beside the SQL (API) apply to every use of the name
		view = strings.ToLower(strings.TrimSpace(view))
		for i := range refs {
			if refs[i].View() == view && refs[i].Pin == "" {
				refs[i].Pin = strings.TrimSpace(pin)
			}
		}
	}
	plan := &QueryPlan{}
	seen := map[string]int{} // view (+pin) -> index in plan.Tables
	var b strings.Builder
	last := 0
	for _, ref := range refs {
		key := ref.View() + "@" + ref.Pin
		idx, ok := seen[key]
		if !ok {
			t, err := s.queryTable(ctx, u, ref)
			if err != nil {
				return nil, err
			}
			if t == nil {
				continue // not a product: DuckDB judges the name
			}
			plan.Tables = append(plan.Tables, *t)
			idx = len(plan.Tables) - 1
			seen[key] = idx
		}
		if ref.Pin != "" && ref.End > ref.Start {
			b.WriteString(sql[last:ref.Start])
			b.WriteString(plan.Tables[idx].View)
			last = ref.End
		}
	}
	b.WriteString(sql[last:])
	plan.SQL = b.String()
	return plan, nil
}

// queryTable resolves one reference: nil when it names no product.
func (s *Store) queryTable(ctx context.Context, u *User, ref sqlRef) (*QueryTable, error) {
	p, port, err := s.productByView(ctx, ref.Schema, ref.Name)
	if err != nil || p == nil {
		return nil, err
	}
	if port == nil {
		names := make([]string, len(p.OutputPorts))
		for i, op := range p.OutputPorts {
			names[i] = UpstreamViewName(p.Domain.Slug, p.Slug, op.Slug, len(p.OutputPorts))
		}
		if len(names) == 0 {
			return nil, Invalid("sql", fmt.Sprintf("%s has no output port to query.", ref.View()))
		}
		return nil, Invalid("sql", fmt.Sprintf("%s has several output ports: name one of %s.", ref.View(), strings.Join(names, ", ")))
	}
	t, err := s.readable(ctx, u, p, port)
	if err != nil || t == nil {
		return nil, err
	}
	if ref.Pin == "" {
		if t.Snapshot, err = s.CurrentSnapshot(ctx, p.ID, port.Slug); IsNotFound(err) {
			return nil, Invalid("sql", fmt.Sprintf("%s has no published snapshot yet.", t.View))
		}
		return t, err
	}
	t.Pinned = true
	if t.Snapshot, err = s.snapshotAt(ctx, p.ID, port.Slug, ref.Pin); err != nil {
		return nil, err
	}
	t.View += "_at_" + strings.ToLower(strings.NewReplacer("-", "_", ":", "", "+", "_", ".", "_").Replace(t.Snapshot.Name))
	return t, nil
}

// readable checks that u may read port of p now, and why: nil when p is a
// draft u cannot see (no product to them), a *NoAccessError when u may
// not read it.
func (s *Store) readable(ctx context.Context, u *User, p *Product, port *OutputPort) (*QueryTable, error) {
	grant, err := s.CheckAccess(ctx, u, p, port.Slug)
	var deny *NoAccessError
	if errors.As(err, &deny) && p.Status == StatusDraft {
		scope, serr := s.ProductScope(ctx, u, p)
		if serr != nil {
			return nil, serr
		}
		if !p.Visible(u, scope) {
			return nil, nil
		}
	}
	if err != nil {
		return nil, err
	}
	t := &QueryTable{View: UpstreamViewName(p.Domain.Slug, p.Slug, port.Slug, len(p.OutputPorts)), Product: p, Port: port, Grant: grant}
	switch {
	case grant != nil:
		t.Basis = BasisGrant
	case s.isTeamMember(ctx, u, p.TeamID):
		t.Basis = BasisTeam
	default:
		t.Basis = BasisOpen
	}
	return t, nil
}

func (s *Store) isTeamMember(ctx context.Context, u *User, teamID uint) bool {
	var n int64
	s.db(ctx).Model(&Membership{}).Where("team_id = ? AND user_id = ?", teamID, u.ID).Count(&n)
	return n > 0
}

// snapshotAt resolves a pin: a snapshot's name, or a time (RFC 3339, or a
// date meaning its end in UTC) for the snapshot that was current then.
func (s *Store) snapshotAt(ctx context.Context, productID uint, port, pin string) (*Snapshot, error) {
	if snap, err := s.SnapshotNamed(ctx, productID, port, pin); err == nil {
		return snap, nil
	} else if !IsNotFound(err) {
		return nil, err
	}
	at, ok := parsePinTime(pin)
	if !ok {
		return nil, Invalid("sql", fmt.Sprintf("@%s is neither a snapshot of %s nor a time (2026-11-20 or 2026-11-20T10:00:00Z).", pin, port))
	}
	var snap Snapshot
	err := s.db(ctx).Where("product_id = ? AND port = ? AND created_at <= ?", productID, port, at).
		Order("created_at DESC").Order("id DESC").First(&snap).Error
	if IsNotFound(notFound(err)) {
		return nil, Invalid("sql", fmt.Sprintf("%s had no snapshot yet at %s.", port, at.Format(time.RFC3339)))
	}
	if err != nil {
		return nil, err
	}
	if snap.DeletedAt != nil {
		return nil, Invalid("sql", fmt.Sprintf("The snapshot current at %s (%s) is past the product's retention and no longer kept.", at.Format(time.RFC3339), snap.Name))
	}
	return &snap, nil
}

func parsePinTime(pin string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, pin); err == nil {
			return t.UTC(), true
		}
	}
	if d, err := time.Parse("2006-01-02", pin); err == nil {
		return d.Add(24*time.Hour - time.Nanosecond), true
	}
	return time.Time{}, false
}

// productByView finds the product and port a view name stands for: the
// port is nil when the name is the product's and it has several ports.
func (s *Store) productByView(ctx context.Context, schema, name string) (*Product, *OutputPort, error) {
	if !viewNamePattern.MatchString(schema + "." + name) {
		return nil, nil, nil
	}
	domain := strings.ReplaceAll(schema, "_", "-")
	// "orders_daily" is product orders-daily, or product orders' port daily,
	// or any other split at an underscore.
	slugs := []string{strings.ReplaceAll(name, "_", "-")}
	for i := range len(name) {
		if name[i] == '_' {
			slugs = append(slugs, strings.ReplaceAll(name[:i], "_", "-"))
		}
	}
	var ps []Product
	err := s.db(ctx).Joins("Domain").Preload("OutputPorts", func(db *gorm.DB) *gorm.DB { return db.Order("position") }).
		Preload("OutputPorts.Columns", func(db *gorm.DB) *gorm.DB { return db.Order("position") }).
		Where(`"Domain".slug = ? AND products.slug IN ?`, domain, slugs).Find(&ps).Error
	if err != nil {
		return nil, nil, err
	}
	for i := range ps {
		p := &ps[i]
		for j := range p.OutputPorts {
			if UpstreamViewName(p.Domain.Slug, p.Slug, p.OutputPorts[j].Slug, len(p.OutputPorts)) == schema+"."+name {
				return p, &p.OutputPorts[j], nil
			}
		}
		if len(p.OutputPorts) != 1 && strings.ReplaceAll(p.Slug, "-", "_") == name {
			return p, nil, nil
		}
	}
	return nil, nil, nil
}

// QueryCatalog lists the product ports u may query now, with a published
// snapshot, sorted by view name: the workbench's schema browser.
func (s *Store) QueryCatalog(ctx context.Context, u *User) ([]QueryTable, error) {
	var snaps []Snapshot
	if err := s.db(ctx).Where("current = ?", true).Find(&snaps).Error; err != nil {
		return nil, err
	}
	byProduct := map[uint][]Snapshot{}
	var ids []uint
	for _, sn := range snaps {
		if _, ok := byProduct[sn.ProductID]; !ok {
			ids = append(ids, sn.ProductID)
		}
		byProduct[sn.ProductID] = append(byProduct[sn.ProductID], sn)
	}
	var ps []Product
	if len(ids) > 0 {
		err := s.db(ctx).Preload("Domain").Preload("OutputPorts", func(db *gorm.DB) *gorm.DB { return db.Order("position") }).
			Preload("OutputPorts.Columns", func(db *gorm.DB) *gorm.DB { return db.Order("position") }).
			Where("id IN ? AND status <> ?", ids, StatusRetired).Find(&ps).Error
		if err != nil {
			return nil, err
		}
	}
	var out []QueryTable
	for i := range ps {
		p := &ps[i]
		for j := range p.OutputPorts {
			port := &p.OutputPorts[j]
			var snap *Snapshot
			for k := range byProduct[p.ID] {
				if byProduct[p.ID][k].Port == port.Slug {
					snap = &byProduct[p.ID][k]
				}
			}
			if snap == nil {
				continue
			}
			t, err := s.readable(ctx, u, p, port)
			var deny *NoAccessError
			if errors.As(err, &deny) || t == nil && err == nil {
				continue
			}
			if err != nil {
				return nil, err
			}
			t.Snapshot = snap
			out = append(out, *t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].View < out[j].View })
	return out, nil
}

// QueryRecord is what the caller tells RecordQuery about a query that
// started.
type QueryRecord struct {
	SQL     string
	Source  string
	SavedID *uint
	Plan    *QueryPlan // nil when planning refused it
	Refused error      // why it was refused; the query is recorded finished
}

// RecordQuery writes the query and its reads as running (or as refused).
func (s *Store) RecordQuery(ctx context.Context, u *User, rec QueryRecord) (*Query, error) {
	now := s.now()
	q := &Query{UserID: u.ID, SQL: rec.SQL, Source: rec.Source, SavedQueryID: rec.SavedID, Status: QueryRunning, StartedAt: now}
	if rec.Refused != nil {
		q.Status, q.Error, q.FinishedAt = QueryRefused, rec.Refused.Error(), &now
	}
	if rec.Plan != nil {
		for _, t := range rec.Plan.Tables {
			r := QueryRead{ProductID: t.Product.ID, ReadAt: now, UserID: u.ID, Port: t.Port.Slug, View: t.View, Pinned: t.Pinned, Basis: t.Basis}
			if t.Snapshot != nil {
				r.SnapshotID, r.Snapshot = &t.Snapshot.ID, t.Snapshot.Name
			}
			if t.Grant != nil {
				r.GrantID = &t.Grant.ID
			}
			q.Reads = append(q.Reads, r)
		}
	}
	if err := s.db(ctx).Create(q).Error; err != nil {
		return nil, fmt.Errorf("record query: %w", err)
	}
	return q, nil
}

// FinishQuery records how a query ended.
func (s *Store) FinishQuery(ctx context.Context, q *Query, status string, rows int64, took time.Duration, msg string) error {
	now := s.now()
	q.Status, q.Rows, q.DurationMS, q.Error, q.FinishedAt = status, rows, took.Milliseconds(), msg, &now
	return s.db(ctx).Model(&Query{}).Where("id = ?", q.ID).Updates(map[string]any{
		"status": status, "rows": rows, "duration_ms": q.DurationMS, "error": msg, "finished_at": now}).Error
}

// QueryFilter narrows a listing of queries.
type QueryFilter struct {
	UserID uint   // 0: everyone's (admins)
	Text   string // in the SQL or the person's name or email
	Page   int    // from 1
	Per    int    // 50 when 0
}

// Queries lists queries newest first with their reads and people, and
// the number of pages.
func (s *Store) Queries(ctx context.Context, f QueryFilter) ([]Query, int, error) {
	if f.Per <= 0 {
		f.Per = 50
	}
	if f.Page < 1 {
		f.Page = 1
	}
	q := s.db(ctx).Model(&Query{})
	if f.UserID != 0 {
		q = q.Where("queries.user_id = ?", f.UserID)
	}
	if t := strings.TrimSpace(f.Text); t != "" {
		like := "%" + likeEscape(strings.ToLower(t)) + "%"
		q = q.Joins("JOIN users ON users.id = queries.user_id").
			Where(`LOWER(queries.sql) LIKE ? ESCAPE '\' OR LOWER(users.name) LIKE ? ESCAPE '\' OR LOWER(users.email) LIKE ? ESCAPE '\'`, like, like, like)
	}
	var n int64
	if err := q.Count(&n).Error; err != nil {
		return nil, 0, err
	}
	var out []Query
	err := q.Preload("User").Preload("Reads").Order("queries.id DESC").Offset((f.Page - 1) * f.Per).Limit(f.Per).Find(&out).Error
	return out, int((n + int64(f.Per) - 1) / int64(f.Per)), err
}

// QueryByID returns one query with its reads.
func (s *Store) QueryByID(ctx context.Context, id uint) (*Query, error) {
	var q Query
	if err := s.db(ctx).Preload("User").Preload("Reads").First(&q, id).Error; err != nil {
		return nil, fmt.Errorf("query %d: %w", id, notFound(err))
	}
	return &q, nil
}

// SaveQuery saves sql under name for u: a new saved query, or, with
// token, u's own one changed.
func (s *Store) SaveQuery(ctx context.Context, u *User, token, name, sql string) (*SavedQuery, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return nil, Invalid("name", "Give the query a name.")
	case len(name) > 120:
		return nil, Invalid("name", "Keep the name under 120 characters.")
	case strings.TrimSpace(sql) == "":
		return nil, Invalid("sql", "There is no SQL to save.")
	case len(sql) > maxQuerySQL:
		return nil, Invalid("sql", fmt.Sprintf("The query is longer than %d characters.", maxQuerySQL))
	}
	if token == "" {
		sq := &SavedQuery{Token: NewSecret(9), UserID: u.ID, Name: name, SQL: sql}
		if err := s.db(ctx).Create(sq).Error; err != nil {
			return nil, fmt.Errorf("save query: %w", err)
		}
		sq.User = *u
		return sq, nil
	}
	sq, err := s.SavedQueryByToken(ctx, token)
	if err != nil {
		return nil, err
	}
	if sq.UserID != u.ID {
		return nil, fmt.Errorf("change %q: %w", sq.Name, ErrForbidden)
	}
	sq.Name, sq.SQL = name, sql
	return sq, s.db(ctx).Model(&SavedQuery{}).Where("id = ?", sq.ID).Updates(map[string]any{"name": name, "sql": sql, "updated_at": s.now()}).Error
}

// SavedQueryByToken finds a saved query by its link.
func (s *Store) SavedQueryByToken(ctx context.Context, token string) (*SavedQuery, error) {
	var sq SavedQuery
	if err := s.db(ctx).Preload("User").Where("token = ?", token).First(&sq).Error; err != nil {
		return nil, fmt.Errorf("saved query: %w", notFound(err))
	}
	return &sq, nil
}

// SavedQueriesByID returns the saved queries with these ids that still
// exist, by id: the names a query history shows beside runs of them.
func (s *Store) SavedQueriesByID(ctx context.Context, ids []uint) (map[uint]SavedQuery, error) {
	out := map[uint]SavedQuery{}
	if len(ids) == 0 {
		return out, nil
	}
	var list []SavedQuery
	if err := s.db(ctx).Where("id IN ?", ids).Find(&list).Error; err != nil {
		return nil, fmt.Errorf("saved queries: %w", err)
	}
	for _, sq := range list {
		out[sq.ID] = sq
	}
	return out, nil
}

// SavedQueries lists u's saved queries, most recently changed first.
func (s *Store) SavedQueries(ctx context.Context, u *User) ([]SavedQuery, error) {
	var out []SavedQuery
	err := s.db(ctx).Preload("User").Where("user_id = ?", u.ID).Order("updated_at DESC").Limit(200).Find(&out).Error
	return out, err
}

// DeleteSavedQuery removes u's saved query; its link stops working.
func (s *Store) DeleteSavedQuery(ctx context.Context, u *User, token string) error {
	sq, err := s.SavedQueryByToken(ctx, token)
	if err != nil {
		return err
	}
	if sq.UserID != u.ID && !u.IsAdmin {
		return fmt.Errorf("delete %q: %w", sq.Name, ErrForbidden)
	}
	return s.db(ctx).Delete(&SavedQuery{}, sq.ID).Error
}

// missingTable finds the name in DuckDB's "Table with name ... does not
// exist" error, with or without its schema and quotes.
var missingTable = regexp.MustCompile(`Table with name "?([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)?)"? does not exist`)

// ExplainMissingTable rewrites DuckDB's error for a table that is not there
// (a misspelled product, or a name without its domain) into one that says
// what names are, with the closest product view as a suggestion (DuckDB's
// own are among the few views of the query, or its system tables). It
// answers "" when msg is another error.
func (s *Store) ExplainMissingTable(ctx context.Context, msg string) (string, error) {
	m := missingTable.FindStringSubmatch(msg)
	if m == nil {
		return "", nil
	}
	name := strings.ToLower(m[1])
	schema, _, dotted := strings.Cut(name, ".")
	type row struct {
		Domain, Product string
		Ports           int
		Port            string
	}
	q := s.db(ctx).Table("products").Select("domains.slug AS domain, products.slug AS product, output_ports.slug AS port, "+
		"(SELECT count(*) FROM output_ports op WHERE op.product_id = products.id) AS ports").
		Joins("JOIN domains ON domains.id = products.domain_id").Joins("JOIN output_ports ON output_ports.product_id = products.id").
		Where("products.status IN ?", []string{StatusPublished, StatusDeprecated}).Limit(5000)
	if dotted {
		q = q.Where("domains.slug = ?", strings.ReplaceAll(schema, "_", "-"))
	}
	var rows []row
	if err := q.Scan(&rows).Error; err != nil {
		return "", err
	}
	best, bestDist := "", 0
	for _, r := range rows {
		view := UpstreamViewName(r.Domain, r.Product, r.Port, r.Ports)
		against := view
		if !dotted { // "orders" against the product part of sales.orders
			_, against, _ = strings.Cut(view, ".")
		}
		if d := editDistance(name, against); best == "" || d < bestDist {
			best, bestDist = view, d
		}
	}
	out := name + " is not a data product you can query here."
	if !dotted {
		out = name + " is not a data product: products are named <domain>.<product>."
	}
	if best != "" && bestDist <= max(2, len(name)/4) {
		out += " Did you mean " + best + "?"
	}
	return out + " The Tables list of the query page names the products you may query.", nil
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
