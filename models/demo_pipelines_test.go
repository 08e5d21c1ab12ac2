package models_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"gorm.io/gorm"

	"plaza/models"
	"plaza/models/dbtest"
)

// TestDemoPipelinesCoverEveryPort checks the list itself: one pipeline per
// output port of every demo product that has inputs and is not retired,
// each upstream built before the pipelines that read it, and each input
// named as the product's SQL expects.
func TestDemoPipelinesCoverEveryPort(t *testing.T) {
	ctx := context.Background()
	db := dbtest.SQLite(t)
	s := models.NewStore(db)
	if err := s.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	var products []models.Product
	if err := db.Preload("Domain").Preload("OutputPorts").Preload("InputPorts").Find(&products).Error; err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	nPorts := map[string]int{}
	for _, p := range products {
		nPorts[p.Domain.Slug+"/"+p.Slug] = len(p.OutputPorts)
		if len(p.InputPorts) == 0 || p.Status == models.StatusRetired {
			continue
		}
		for _, op := range p.OutputPorts {
			want[p.Domain.Slug+"/"+p.Slug+"/"+op.Slug] = true
		}
	}
	built := map[string]bool{}
	for _, dp := range models.DemoPipelines() {
		ref := dp.Product + "/" + dp.Spec.Port
		if !want[ref] {
			t.Errorf("%s: no demo product with inputs has this port, or it is listed twice", ref)
		}
		delete(want, ref)
		for _, in := range dp.Spec.Inputs {
			if in.Upstream == "" {
				continue
			}
			if !built[in.Upstream] {
				t.Errorf("%s reads %s before it is built", ref, in.Upstream)
			}
			p := strings.Split(in.Upstream, "/")
			if name := models.UpstreamViewName(p[0], p[1], p[2], nPorts[p[0]+"/"+p[1]]); in.Name != name {
				t.Errorf("%s names %s %q, want %q", ref, in.Upstream, in.Name, name)
			}
			if !strings.Contains(dp.Spec.SQL, in.Name) {
				t.Errorf("%s does not read its input %s", ref, in.Name)
			}
		}
		built[ref] = true
	}
	for ref := range want {
		t.Errorf("%s has no demo pipeline", ref)
	}
}

// Inputs whose team cannot be granted access through the access flow,
// because the same person owns both teams and nobody decides their own
// request.
var demoPipelinesWithoutAccess = []string{"finance/budget-vs-actual/monthly <- finance/general-ledger/daily"}

func TestDemoPipelinesSeed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		s := models.NewStore(db)
		if err := s.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.SeedDemoPipelines(ctx); err != nil {
			t.Fatal(err)
		}
		demo := models.DemoPipelines()
		var pipelines []models.Pipeline
		if err := db.Preload("Product").Preload("Product.Domain").Preload("Inputs").Find(&pipelines).Error; err != nil {
			t.Fatal(err)
		}
		if len(pipelines) != len(demo) {
			t.Fatalf("%d pipelines, want %d", len(pipelines), len(demo))
		}
		schedules := map[string]int{}
		for _, dp := range demo {
			domain, slug, _ := strings.Cut(dp.Product, "/")
			p, err := s.ProductBySlug(ctx, domain, slug)
			if err != nil {
				t.Fatal(err)
			}
			all, err := s.PipelinesOf(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(all, func(pl models.Pipeline) bool { return pl.Port == dp.Spec.Port })
			if i < 0 {
				t.Errorf("%s#%s was not saved", dp.Product, dp.Spec.Port)
				continue
			}
			pl := all[i]
			schedules[pl.Schedule]++
			if pl.SQL != dp.Spec.SQL || pl.Schedule != dp.Spec.Schedule || pl.Cron != dp.Spec.Cron || len(pl.Inputs) != len(dp.Spec.Inputs) {
				t.Errorf("%s#%s saved as %s %q with %d inputs", dp.Product, dp.Spec.Port, pl.Schedule, pl.Cron, len(pl.Inputs))
			}
			if pl.Schedule == models.ScheduleCron && pl.NextRunAt == nil {
				t.Errorf("%s#%s has no next run", dp.Product, dp.Spec.Port)
			}
			// Written by an owner of the product's team.
			members, err := s.Members(ctx, p.TeamID)
			if err != nil {
				t.Fatal(err)
			}
			if pl.CreatedByID == nil || !slices.ContainsFunc(members, func(m models.Member) bool {
				return m.User.ID == *pl.CreatedByID && m.Role == models.RoleOwner
			}) {
				t.Errorf("%s#%s was not created by an owner of %s", dp.Product, dp.Spec.Port, p.Team.Name)
			}
			// Its team may read every upstream now, bar the ones the access flow cannot grant.
			for _, x := range pl.Inputs {
				if x.UpstreamProductID == nil {
					continue
				}
				up, err := s.ProductByID(ctx, *x.UpstreamProductID)
				if err != nil {
					t.Fatal(err)
				}
				edge := dp.Product + "/" + dp.Spec.Port + " <- " + up.Domain.Slug + "/" + up.Slug + "/" + x.UpstreamPort
				ok, err := s.TeamCanRead(ctx, p.TeamID, up, x.UpstreamPort)
				if err != nil {
					t.Fatal(err)
				}
				if ok == slices.Contains(demoPipelinesWithoutAccess, edge) {
					t.Errorf("%s: the team may read it: %v", edge, ok)
				}
			}
		}
		for _, sch := range []string{models.ScheduleCron, models.ScheduleUpstream, models.ScheduleManual} {
			if schedules[sch] == 0 {
				t.Errorf("no %s pipeline; schedules %v", sch, schedules)
			}
		}

		// A second seed changes nothing.
		counts := func() map[string]int64 {
			out := map[string]int64{}
			for name, model := range map[string]any{"pipelines": &models.Pipeline{}, "inputs": &models.PipelineInput{},
				"requests": &models.AccessRequest{}, "grants": &models.Grant{}, "events": &models.AuditEvent{}} {
				var n int64
				if err := db.Model(model).Count(&n).Error; err != nil {
					t.Fatal(err)
				}
				out[name] = n
			}
			return out
		}
		before := counts()
		if err := s.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.SeedDemoPipelines(ctx); err != nil {
			t.Fatal(err)
		}
		if after := counts(); !maps.Equal(before, after) {
			t.Errorf("a second seed changed the counts from %v to %v", before, after)
		}
		if v, err := s.VerifyAudit(ctx, nil); err != nil || !v.OK {
			t.Fatalf("audit chain after the seed: %+v, %v", v, err)
		}
	})
}
