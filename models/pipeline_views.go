package models

// Read-only queries behind the pipeline pages (handlers/pipelines.go) and
// the product page's "Pipelines & freshness" card. Nothing here writes.

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// PipelineOfPort returns the pipeline that builds one port of a product,
// with everything PipelineByID loads; ErrNotFound when the port has none.
func (s *Store) PipelineOfPort(ctx context.Context, productID uint, port string) (*Pipeline, error) {
	var pl Pipeline
	if err := s.pipelineQuery(ctx).Where("product_id = ? AND port = ?", productID, port).First(&pl).Error; err != nil {
		return nil, fmt.Errorf("pipeline of port %s: %w", port, notFound(err))
	}
	return &pl, nil
}

// TeamRolesOf maps the ids of the active teams u belongs to onto u's role
// in each.
func (s *Store) TeamRolesOf(ctx context.Context, userID uint) (map[uint]string, error) {
	var rows []struct {
		TeamID uint
		Role   string
	}
	err := s.db(ctx).Table("memberships").Select("memberships.team_id, memberships.role").
		Joins("JOIN teams ON teams.id = memberships.team_id").
		Where("memberships.user_id = ? AND teams.archived_at IS NULL", userID).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("team roles of user %d: %w", userID, err)
	}
	out := make(map[uint]string, len(rows))
	for _, r := range rows {
		out[r.TeamID] = r.Role
	}
	return out, nil
}

// PortSnapshots lists the kept snapshots of one port, newest first.
func (s *Store) PortSnapshots(ctx context.Context, productID uint, port string, limit int) ([]Snapshot, error) {
	var out []Snapshot
	err := s.db(ctx).Where("product_id = ? AND port = ? AND deleted_at IS NULL", productID, port).
		Order("id DESC").Limit(limit).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("snapshots of %s: %w", port, err)
	}
	return out, nil
}

// PortRef names an output port a pipeline may read, for pickers.
type PortRef struct {
	DomainSlug  string
	ProductSlug string
	ProductName string
	Port        string
	PortName    string
}

// Ref is the port as a pipeline input names it: domain/product/port.
func (r PortRef) Ref() string { return r.DomainSlug + "/" + r.ProductSlug + "/" + r.Port }

// PortRefs lists the output ports a pipeline of one of team's products may
// name as inputs: every published or deprecated product's, and the team's
// own products' whatever their status; never those of exclude (the
// pipeline's own product). Grants are checked when a run starts, not here.
func (s *Store) PortRefs(ctx context.Context, teamID, exclude uint) ([]PortRef, error) {
	var out []PortRef
	err := s.db(ctx).Table("output_ports").
		Select("domains.slug AS domain_slug, products.slug AS product_slug, products.name AS product_name, output_ports.slug AS port, output_ports.name AS port_name").
		Joins("JOIN products ON products.id = output_ports.product_id").
		Joins("JOIN domains ON domains.id = products.domain_id").
		Where("products.id <> ? AND (products.status IN ? OR products.team_id = ?)", exclude, []string{StatusPublished, StatusDeprecated}, teamID).
		Order("domains.slug, products.slug, output_ports.position").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("port list: %w", err)
	}
	return out, nil
}

// PortRules lists the quality rules a run of port checks: the port's own
// and the product-wide ones (no port named).
func PortRules(p *Product, port string) []QualityRule {
	var out []QualityRule
	for _, r := range p.Quality {
		if r.Port == port || r.Port == "" {
			out = append(out, r)
		}
	}
	return out
}

// FailedOnSchema reports whether a run failed because its output drifted
// from the port's schema, which the owner may accept by running again with
// RunRequest.AcceptSchema. The runner says so in the run's error, which
// names the schema (see SchemaDrift), or with a failed check of kind
// "schema".
func (r *Run) FailedOnSchema() bool {
	if r.Status != RunFailed {
		return false
	}
	for _, c := range r.Checks {
		if c.Kind == "schema" && !c.Passed {
			return true
		}
	}
	msg := strings.ToLower(r.Error)
	return strings.Contains(msg, "schema") && (strings.Contains(msg, "drift") || strings.Contains(msg, "contract says") ||
		strings.Contains(msg, "is missing") || strings.Contains(msg, "is new"))
}

// Freshness of a port against its product's SLA.
const (
	FreshnessUnpublished = "unpublished" // no snapshot yet
	FreshnessFresh       = "fresh"       // the current snapshot is younger than the SLA's hours
	FreshnessStale       = "stale"       // older than the SLA allows
	FreshnessUnpromised  = "unpromised"  // published, but the product promises no freshness
)

// FreshnessOf judges a port's current snapshot (nil: none) against a
// freshness SLA of hours (0: none promised) at now.
func FreshnessOf(current *Snapshot, hours int, now time.Time) string {
	switch {
	case current == nil:
		return FreshnessUnpublished
	case hours <= 0:
		return FreshnessUnpromised
	case now.Sub(current.CreatedAt) < time.Duration(hours)*time.Hour:
		return FreshnessFresh
	}
	return FreshnessStale
}

// PortFreshness is what the product page says about one output port: who
// builds it, what is published and how the last run went.
type PortFreshness struct {
	Port      OutputPort
	Pipeline  *Pipeline // nil when the port has none
	Current   *Snapshot // nil before the first publication
	LastRun   *Run      // nil before the first run; without its log
	Freshness string    // one of the Freshness* values
}

// ProductFreshness describes every output port of p, in the product's order.
func (s *Store) ProductFreshness(ctx context.Context, p *Product) ([]PortFreshness, error) {
	var pls []Pipeline
	if err := s.db(ctx).Where("product_id = ?", p.ID).Find(&pls).Error; err != nil {
		return nil, fmt.Errorf("pipelines of %s: %w", p.Slug, err)
	}
	var snaps []Snapshot
	if err := s.db(ctx).Where("product_id = ? AND current = ?", p.ID, true).Find(&snaps).Error; err != nil {
		return nil, fmt.Errorf("current snapshots of %s: %w", p.Slug, err)
	}
	last := map[uint]*Run{}
	if len(pls) > 0 {
		ids := make([]uint, len(pls))
		for i, pl := range pls {
			ids[i] = pl.ID
		}
		var runs []Run
		err := s.db(ctx).Omit("log").Where("id IN (?)",
			s.db(ctx).Model(&Run{}).Select("MAX(id)").Where("pipeline_id IN ?", ids).Group("pipeline_id")).Find(&runs).Error
		if err != nil {
			return nil, fmt.Errorf("last runs of %s: %w", p.Slug, err)
		}
		for i := range runs {
			last[runs[i].PipelineID] = &runs[i]
		}
	}
	now := s.now()
	out := make([]PortFreshness, 0, len(p.OutputPorts))
	for _, port := range p.OutputPorts {
		f := PortFreshness{Port: port}
		for i := range pls {
			if pls[i].Port == port.Slug {
				f.Pipeline = &pls[i]
				f.LastRun = last[pls[i].ID]
			}
		}
		for i := range snaps {
			if snaps[i].Port == port.Slug {
				f.Current = &snaps[i]
			}
		}
		f.Freshness = FreshnessOf(f.Current, p.FreshnessHours, now)
		out = append(out, f)
	}
	return out, nil
}
