package models_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"plaza/models"
	"plaza/models/dbtest"
)

// BenchmarkAuditedWrite measures one state change with its audit event in one
// transaction (adding a person), from parallel writers, on each database.
// docs/PERFORMANCE.md has the figures.
func BenchmarkAuditedWrite(b *testing.B) {
	var n atomic.Int64 // emails stay unique across the benchmark's runs
	for _, db := range benchDBs(b) {
		b.Run(db.name, func(b *testing.B) {
			s := models.NewStore(db.db)
			admin, err := s.EnsureUser(context.Background(), "bench-admin@example.com", "Admin", []string{"bench-admin@example.com"})
			if err != nil {
				b.Fatal(err)
			}
			b.SetParallelism(4) // 4 writers per core
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					email := fmt.Sprintf("p%d@example.com", n.Add(1))
					if _, err := s.CreatePerson(context.Background(), admin, models.PersonInput{Email: email}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkListAudit measures the audit log's first page with a filter, over
// 20,000 events.
func BenchmarkListAudit(b *testing.B) {
	ctx := context.Background()
	for _, db := range benchDBs(b) {
		s := models.NewStore(db.db)
		admin, err := s.EnsureUser(ctx, "bench-admin@example.com", "Admin", []string{"bench-admin@example.com"})
		if err != nil {
			b.Fatal(err)
		}
		rows := make([]models.AuditEvent, 0, 20000)
		for i := 0; i < cap(rows); i++ {
			rows = append(rows, models.AuditEvent{At: s.Now(), ActorEmail: fmt.Sprintf("u%d@example.com", i%50),
				Action: []string{"domain.update", "member.add", "team.create"}[i%3], ObjectType: "team",
				ObjectID: fmt.Sprintf("d%d/t%d", i%20, i%7)})
		}
		if err := db.db.CreateInBatches(rows, 500).Error; err != nil {
			b.Fatal(err)
		}
		b.Run(db.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, _, err := s.ListAudit(ctx, admin, models.AuditFilter{Action: "member"}, models.NewPage(1, 50)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type namedDB struct {
	name string
	db   *gorm.DB
}

func benchDBs(b *testing.B) []namedDB {
	dbs := []namedDB{{"sqlite", dbtest.SQLite(b)}}
	if os.Getenv(dbtest.EnvPostgres) != "" {
		dbs = append(dbs, namedDB{"postgres", dbtest.Postgres(b)})
	}
	return dbs
}
