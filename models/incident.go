package models

// Incidents are the promises a product is breaking now: a port whose
// current snapshot is older than the product's freshness SLA, or a
// blocking quality check that failed a run. One incident stays open per
// product, kind, port and key (a unique index on the open ones) from the
// first time it is seen until it is resolved; each later sighting only
// moves last_seen (and, for a check, names the newest failing run), so
// owners are told once. Resolved incidents stay for history and for the
// quality dashboard.
//
// CheckFreshness (the freshness_check job, every minute) opens and
// resolves freshness incidents; FinishRun opens check incidents for the
// blocking checks a run fails, resolves those it passes, and on publishing
// resolves what is left of the port's incidents, freshness included.

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Kinds of incident.
const (
	IncidentFreshness = "freshness" // the port's current snapshot is older than the SLA allows
	IncidentCheck     = "check"     // a blocking check failed the port's latest run of it
)

// States an IncidentFilter selects.
const (
	IncidentOpen     = "open"
	IncidentResolved = "resolved"
)

// Incident is one breach of a product's promises, open or resolved.
type Incident struct {
	ID         uint       `gorm:"primaryKey"`
	ProductID  uint       `gorm:"not null;index"`
	Product    Product    `gorm:"constraint:OnDelete:CASCADE"`
	Port       string     `gorm:"size:60;not null"`  // the output port concerned; its pipeline builds it
	Kind       string     `gorm:"size:16;not null"`  // IncidentFreshness or IncidentCheck
	Key        string     `gorm:"size:200;not null"` // the check's name; "" for freshness
	FirstSeen  time.Time  `gorm:"not null"`
	LastSeen   time.Time  `gorm:"not null"`
	ResolvedAt *time.Time `gorm:"index"`
	RunID      *uint      `gorm:"index"` // for a check: the newest run that failed it
	Detail     string     `gorm:"type:text"`
}

// Open reports whether the incident is still going on.
func (i *Incident) Open() bool { return i.ResolvedAt == nil }

// IncidentFilter narrows a listing of incidents. Empty fields match
// everything.
type IncidentFilter struct {
	ProductID uint
	Domain    string // a domain's slug
	TeamIDs   []uint // only these teams' products; nil for all
	Kind      string
	State     string // IncidentOpen or IncidentResolved; "" for both
	Limit     int    // 200 when 0
}

// Incidents lists incidents with their product and its domain, newest
// first.
func (s *Store) Incidents(ctx context.Context, f IncidentFilter) ([]Incident, error) {
	q := s.db(ctx).Preload("Product").Preload("Product.Domain").Preload("Product.Team")
	if f.ProductID != 0 {
		q = q.Where("incidents.product_id = ?", f.ProductID)
	}
	if f.Domain != "" || f.TeamIDs != nil {
		q = q.Joins("JOIN products ON products.id = incidents.product_id")
	}
	if f.Domain != "" {
		q = q.Joins("JOIN domains ON domains.id = products.domain_id").Where("domains.slug = ?", f.Domain)
	}
	if f.TeamIDs != nil {
		q = q.Where("products.team_id IN ?", append(f.TeamIDs, 0))
	}
	if f.Kind != "" {
		q = q.Where("incidents.kind = ?", f.Kind)
	}
	switch f.State {
	case IncidentOpen:
		q = q.Where("incidents.resolved_at IS NULL")
	case IncidentResolved:
		q = q.Where("incidents.resolved_at IS NOT NULL")
	}
	if f.Limit <= 0 {
		f.Limit = 200
	}
	var out []Incident
	if err := q.Order("incidents.id DESC").Limit(f.Limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	return out, nil
}

// incidentKey names the one incident that may be open at a time.
type incidentKey struct {
	ProductID uint
	Kind      string
	Port      string
	Key       string
}

func (i *Incident) key() incidentKey { return incidentKey{i.ProductID, i.Kind, i.Port, i.Key} }

func openIncident(tx *gorm.DB, k incidentKey) *gorm.DB {
	return tx.Model(&Incident{}).Where("product_id = ? AND kind = ? AND port = ? AND key = ? AND resolved_at IS NULL",
		k.ProductID, k.Kind, k.Port, k.Key)
}

// raiseIncident opens inc for p inside tx, or, when the same incident is
// already open, moves its last sighting to now (with inc's run and
// detail). Opening one is audited and tells the product's owners. It
// answers whether it opened one.
func (s *Store) raiseIncident(ctx context.Context, tx *gorm.DB, p *Product, inc Incident, now time.Time) (bool, error) {
	inc.ID, inc.ProductID, inc.FirstSeen, inc.LastSeen, inc.ResolvedAt = 0, p.ID, now, now, nil
	seen := map[string]any{"last_seen": now, "detail": inc.Detail}
	if inc.RunID != nil {
		seen["run_id"] = *inc.RunID
	}
	res := openIncident(tx, inc.key()).Updates(seen)
	if res.Error != nil || res.RowsAffected > 0 {
		return false, res.Error
	}
	// DO NOTHING: another writer may have opened it since the update; a
	// failed insert would abort the whole transaction on Postgres.
	res = tx.Omit(clause.Associations).Clauses(clause.OnConflict{DoNothing: true}).Create(&inc)
	if res.Error != nil {
		return false, fmt.Errorf("open incident: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return false, openIncident(tx, inc.key()).Updates(seen).Error
	}
	after := map[string]any{"kind": inc.Kind, "port": inc.Port, "detail": inc.Detail}
	if inc.Key != "" {
		after["check"] = inc.Key
	}
	if inc.RunID != nil {
		after["run"] = *inc.RunID
	}
	if err := s.auditObject(ctx, tx, nil, "incident.open", "product", p.Domain.Slug+"/"+p.Slug, nil, after); err != nil {
		return false, err
	}
	var owners []uint
	if err := tx.Model(&Membership{}).Where("team_id = ? AND role = ?", p.TeamID, RoleOwner).Order("user_id").
		Pluck("user_id", &owners).Error; err != nil {
		return false, err
	}
	n := Notification{Kind: "incident." + inc.Kind, Body: inc.Detail, Link: p.Path() + "#pipelines"}
	if inc.Kind == IncidentFreshness {
		n.Title = fmt.Sprintf("%s is late: port %s has no new data within %s", p.Name, inc.Port, hoursText(p.FreshnessHours))
	} else {
		n.Title = fmt.Sprintf("A blocking check fails on %s: %s", p.Name, inc.Key)
	}
	if len(n.Title) > 300 { // a long check name; cut on a character boundary
		cut := 297
		for !utf8.RuneStart(n.Title[cut]) {
			cut--
		}
		n.Title = n.Title[:cut] + "..."
	}
	return true, s.notifyUsers(ctx, tx, owners, n)
}

// resolveIncidents resolves the open incidents of p that where selects,
// each with an audit event saying why; it answers how many.
func (s *Store) resolveIncidents(ctx context.Context, tx *gorm.DB, p *Product, now time.Time, why string,
	where func(*gorm.DB) *gorm.DB) (int, error) {
	var open []Incident
	if err := where(lockForUpdate(tx).Where("product_id = ? AND resolved_at IS NULL", p.ID)).Order("id").Find(&open).Error; err != nil {
		return 0, err
	}
	for _, inc := range open {
		if err := tx.Model(&Incident{}).Where("id = ? AND resolved_at IS NULL", inc.ID).Update("resolved_at", now).Error; err != nil {
			return 0, fmt.Errorf("resolve incident %d: %w", inc.ID, err)
		}
		after := map[string]any{"kind": inc.Kind, "port": inc.Port, "first_seen": inc.FirstSeen, "why": why}
		if inc.Key != "" {
			after["check"] = inc.Key
		}
		if err := s.auditObject(ctx, tx, nil, "incident.resolve", "product", p.Domain.Slug+"/"+p.Slug, nil, after); err != nil {
			return 0, err
		}
	}
	return len(open), nil
}

// runIncidents records what a finishing run says about its port's
// incidents, inside FinishRun's transaction: every blocking check it
// failed opens (or refreshes) a check incident naming the run, every check
// it passed resolves its own, and a publication resolves whatever else is
// open on the port, freshness included. It answers how many it opened.
func (s *Store) runIncidents(ctx context.Context, tx *gorm.DB, pl *Pipeline, runID uint, out RunOutcome, now time.Time) (int, error) {
	p := &pl.Product
	failing, passed := map[string]bool{}, map[string]bool{}
	for _, c := range out.Checks {
		if c.Passed {
			passed[c.Name] = true
		} else if c.Blocking {
			failing[c.Name] = true
		}
	}
	published := out.Status == RunSucceeded && out.Snapshot != nil
	var open []Incident
	if err := tx.Where("product_id = ? AND port = ? AND resolved_at IS NULL", p.ID, pl.Port).Find(&open).Error; err != nil {
		return 0, err
	}
	var done []uint
	for _, inc := range open {
		if published || (inc.Kind == IncidentCheck && passed[inc.Key] && !failing[inc.Key]) {
			done = append(done, inc.ID)
		}
	}
	if len(done) > 0 {
		why := fmt.Sprintf("run %d passed the check", runID)
		if published {
			why = fmt.Sprintf("run %d published", runID)
		}
		if _, err := s.resolveIncidents(ctx, tx, p, now, why, func(q *gorm.DB) *gorm.DB { return q.Where("id IN ?", done) }); err != nil {
			return 0, err
		}
	}
	opened := 0
	for _, c := range out.Checks {
		if c.Passed || !c.Blocking {
			continue
		}
		detail := fmt.Sprintf("Run %d of port %s: %s.", runID, pl.Port, plural(int(c.FailingRows), "1 failing row", "%d failing rows"))
		if c.Message != "" {
			detail = fmt.Sprintf("Run %d of port %s: %s", runID, pl.Port, c.Message)
		}
		id := runID
		ok, err := s.raiseIncident(ctx, tx, p, Incident{Port: pl.Port, Kind: IncidentCheck, Key: c.Name, RunID: &id, Detail: detail}, now)
		if err != nil {
			return opened, err
		}
		if ok {
			opened++
		}
	}
	return opened, nil
}

// CheckFreshness judges every output port of the published and deprecated
// (still served) products that promise freshness against that promise at
// now: a port whose current snapshot is as old as the SLA's hours or older
// opens a freshness incident (its owners are told), or moves the open
// one's last sighting; open freshness incidents whose port is no longer
// late (a new snapshot, a looser promise, a product retired or back to
// draft) are resolved. Ports never published are not judged. Each
// product's change commits on its own.
func (s *Store) CheckFreshness(ctx context.Context, now time.Time) (opened, resolved int, err error) {
	var ports []struct {
		ProductID      uint
		Port           string
		CreatedAt      time.Time
		FreshnessHours int
	}
	err = s.db(ctx).Table("snapshots").
		Select("snapshots.product_id, snapshots.port, snapshots.created_at, products.freshness_hours").
		Joins("JOIN products ON products.id = snapshots.product_id").
		Joins("JOIN output_ports ON output_ports.product_id = snapshots.product_id AND output_ports.slug = snapshots.port").
		Where("snapshots.current = ? AND products.status IN ? AND products.freshness_hours > 0", true, []string{StatusPublished, StatusDeprecated}).
		Scan(&ports).Error
	if err != nil {
		return 0, 0, fmt.Errorf("check freshness: %w", err)
	}
	late := map[incidentKey]bool{}
	for _, p := range ports {
		if FreshnessOf(&Snapshot{CreatedAt: p.CreatedAt}, p.FreshnessHours, now) == FreshnessStale {
			late[incidentKey{p.ProductID, IncidentFreshness, p.Port, ""}] = true
		}
	}
	var open []Incident
	if err := s.db(ctx).Where("kind = ? AND resolved_at IS NULL", IncidentFreshness).Find(&open).Error; err != nil {
		return 0, 0, fmt.Errorf("check freshness: %w", err)
	}
	var still []uint
	for _, inc := range open {
		k := inc.key()
		if late[k] {
			still = append(still, inc.ID)
			delete(late, k)
			continue
		}
		n, err := s.freshnessChange(ctx, inc.ProductID, func(tx *gorm.DB, p *Product) (int, error) {
			return s.resolveIncidents(ctx, tx, p, now, "fresh again", func(q *gorm.DB) *gorm.DB {
				return q.Where("id = ?", inc.ID)
			})
		})
		if err != nil {
			return opened, resolved, err
		}
		resolved += n
	}
	if len(still) > 0 {
		if err := s.db(ctx).Model(&Incident{}).Where("id IN ? AND resolved_at IS NULL", still).Update("last_seen", now).Error; err != nil {
			return opened, resolved, fmt.Errorf("check freshness: %w", err)
		}
	}
	for k := range late {
		n, err := s.freshnessChange(ctx, k.ProductID, func(tx *gorm.DB, p *Product) (int, error) {
			// Judged again inside the transaction: a run may have
			// published since the list above was read.
			var snap Snapshot
			if err := tx.Where("product_id = ? AND port = ? AND current = ?", p.ID, k.Port, true).Limit(1).Find(&snap).Error; err != nil {
				return 0, err
			}
			if snap.ID == 0 || (p.Status != StatusPublished && p.Status != StatusDeprecated) || FreshnessOf(&snap, p.FreshnessHours, now) != FreshnessStale {
				return 0, nil
			}
			due := snap.CreatedAt.Add(time.Duration(p.FreshnessHours) * time.Hour)
			detail := fmt.Sprintf("The current snapshot of port %s was published %s and new data was due by %s (the owners promise it every %s).",
				k.Port, snap.CreatedAt.UTC().Format("2 Jan 2006 15:04 UTC"), due.UTC().Format("2 Jan 2006 15:04 UTC"), hoursText(p.FreshnessHours))
			ok, err := s.raiseIncident(ctx, tx, p, Incident{Port: k.Port, Kind: IncidentFreshness, Detail: detail}, now)
			if ok {
				return 1, err
			}
			return 0, err
		})
		if err != nil {
			return opened, resolved, err
		}
		opened += n
	}
	if opened > 0 {
		s.mailQueued()
	}
	return opened, resolved, nil
}

// freshnessChange runs change on one product, loaded with its domain, in
// its own transaction.
func (s *Store) freshnessChange(ctx context.Context, productID uint, change func(tx *gorm.DB, p *Product) (int, error)) (int, error) {
	var n int
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var p Product
		if err := tx.Preload("Domain").Limit(1).Find(&p, productID).Error; err != nil || p.ID == 0 {
			return err // a product deleted since: its incidents went with it
		}
		var err error
		n, err = change(tx, &p)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("check freshness of product %d: %w", productID, err)
	}
	return n, nil
}

// hoursText says a number of hours in words: 1 hour, 6 hours, 2 days.
func hoursText(n int) string {
	switch {
	case n%24 == 0 && n >= 48:
		return fmt.Sprintf("%d days", n/24)
	case n == 1:
		return "1 hour"
	}
	return fmt.Sprintf("%d hours", n)
}
