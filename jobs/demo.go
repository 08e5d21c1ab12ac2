package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"plaza/lake"
	"plaza/models"
)

// RunDemoData brings the demo company's lake to life: it writes the landing
// files (once; later starts find them in place) and, the first time, runs
// every demo pipeline in dependency order, one level after the other, so
// the marketplace shows fresh products, passing checks and a few failing
// ones. serve --demo calls it in the background.
func (r *Runner) RunDemoData(ctx context.Context, lk *lake.Lake) error {
	start := time.Now()
	files, err := lk.GenerateDemoLanding(ctx)
	if err != nil {
		return fmt.Errorf("demo landing files: %w", err)
	}
	r.log.Info("demo landing files ready", "files", files, "took", time.Since(start).Round(time.Millisecond))
	type node struct {
		pl    *models.Pipeline
		level int
	}
	var nodes []node
	level := map[string]int{} // domain/product/port -> level
	for _, dp := range models.DemoPipelines() {
		domain, slug, _ := strings.Cut(dp.Product, "/")
		p, err := r.store.ProductBySlug(ctx, domain, slug)
		if err != nil {
			return err
		}
		pl, err := r.store.PipelineOfPort(ctx, p.ID, dp.Spec.Port)
		if models.IsNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		if _, err := r.store.CurrentSnapshot(ctx, p.ID, pl.Port); err == nil {
			return nil // not the first start: the schedules keep the data fresh
		}
		lv := 0
		for _, in := range dp.Spec.Inputs {
			if in.Upstream != "" {
				lv = max(lv, level[in.Upstream]+1)
			}
		}
		level[dp.Product+"/"+dp.Spec.Port] = lv
		nodes = append(nodes, node{pl, lv})
	}
	for lv := 0; ; lv++ {
		var runs []uint
		for _, n := range nodes {
			if n.level != lv {
				continue
			}
			run, err := r.store.EnqueueRun(ctx, nil, n.pl, models.RunRequest{Trigger: models.TriggerSchedule})
			var active *models.ErrRunActive
			if errors.As(err, &active) {
				continue
			}
			if err != nil {
				return err
			}
			if err := r.Enqueue(ctx, run.ID); err != nil {
				return err
			}
			runs = append(runs, run.ID)
		}
		if len(runs) == 0 && lv > len(nodes) {
			break
		}
		for _, id := range runs {
			if err := r.waitRun(ctx, id); err != nil {
				return err
			}
		}
	}
	r.log.Info("demo pipelines ran", "took", time.Since(start).Round(time.Second))
	return nil
}

// waitRun waits until a run has finished.
func (r *Runner) waitRun(ctx context.Context, id uint) error {
	for {
		run, err := r.store.RunByID(ctx, id)
		if err != nil {
			return err
		}
		if !run.Active() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
