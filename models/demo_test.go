package models_test

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"plaza/models"
	"plaza/models/dbtest"
)

func TestSeedDemoIsIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		s := models.NewStore(db)
		for i := 0; i < 2; i++ {
			if err := s.SeedDemo(ctx); err != nil {
				t.Fatalf("seed run %d: %v", i+1, err)
			}
		}
		var users, domains, teams, members, events int64
		db.Model(&models.User{}).Count(&users)
		db.Model(&models.Domain{}).Count(&domains)
		db.Model(&models.Team{}).Count(&teams)
		db.Model(&models.Membership{}).Count(&members)
		db.Model(&models.AuditEvent{}).Count(&events)
		if users != int64(len(models.DemoPersonas)) || domains != 5 || teams != 10 {
			t.Fatalf("seeded %d people, %d domains, %d teams; want %d, 5, 10", users, domains, teams, len(models.DemoPersonas))
		}
		if members != 12 {
			t.Errorf("seeded %d memberships, want 12", members)
		}
		// 5 domains + 10 teams + 12 memberships + 18 glossary terms + the
		// catalog's history (30 products created, 28 published, 3 deprecated,
		// 1 of those retired), the access stories (4 stewards, 19
		// requests, 13 decisions, 8 grants, 4 reviews asked, 1 withdrawal,
		// 1 revocation, 1 review confirmed, 1 expiry), and the pipelines
		// (32 created, and 9 requests with their decisions and grants that
		// let them read other teams' products), written once.
		if events != 218 {
			t.Errorf("seed wrote %d audit events, want 218", events)
		}
	})
}
