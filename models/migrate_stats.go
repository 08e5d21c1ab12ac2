package models

import (
	"time"

	"gorm.io/gorm"
)

// migrateStats creates the dashboards' daily rollups (product_days,
// team_days, user_days), each product's health (its quality score), the
// rollup's watermark, and downloads, which were only audit events before.
// It also indexes the time columns the rollup reads by day, and incidents
// by kind and last sighting.
func migrateStats(tx *gorm.DB) error {
	type Product struct {
		ID uint `gorm:"primaryKey"`
	}
	type User struct {
		ID uint `gorm:"primaryKey"`
	}
	type Counters struct {
		Runs          int   `gorm:"not null"`
		RunsOK        int   `gorm:"not null"`
		RunsFailed    int   `gorm:"not null"`
		RunMS         int64 `gorm:"not null"`
		RunMSMax      int64 `gorm:"not null"`
		Checks        int   `gorm:"not null"`
		ChecksPassed  int   `gorm:"not null"`
		BreachMinutes int   `gorm:"not null"`
		Queries       int   `gorm:"not null"`
		Users         int   `gorm:"not null"`
		Downloads     int   `gorm:"not null"`
	}
	type ProductDay struct {
		Day       string `gorm:"primaryKey;size:10"`
		ProductID uint   `gorm:"primaryKey;autoIncrement:false;index"`
		DomainID  uint   `gorm:"not null;index:idx_product_day_domain"`
		TeamID    uint   `gorm:"not null;index:idx_product_day_team"`
		Counters  `gorm:"embedded"`
	}
	type TeamDay struct {
		Day      string `gorm:"primaryKey;size:10"`
		TeamID   uint   `gorm:"primaryKey;autoIncrement:false"`
		DomainID uint   `gorm:"not null;index"`
		Counters `gorm:"embedded"`
	}
	type UserDay struct {
		Day       string `gorm:"primaryKey;size:10"`
		UserID    uint   `gorm:"primaryKey;autoIncrement:false"`
		TeamID    uint   `gorm:"primaryKey;autoIncrement:false"`
		DomainID  uint   `gorm:"not null"`
		Queries   int    `gorm:"not null"`
		Downloads int    `gorm:"not null"`
	}
	type RollupState struct {
		Name      string `gorm:"primaryKey;size:32"`
		Watermark time.Time
		HealthDay string `gorm:"size:10"`
	}
	type Download struct {
		ID        uint      `gorm:"primaryKey"`
		ProductID uint      `gorm:"not null;index:idx_download_product"`
		Product   Product   `gorm:"constraint:OnDelete:CASCADE"`
		UserID    uint      `gorm:"not null"`
		User      User      `gorm:"constraint:OnDelete:CASCADE"`
		Port      string    `gorm:"size:60;not null"`
		Snapshot  string    `gorm:"size:80;not null"`
		Format    string    `gorm:"size:16;not null"`
		Rows      int64     `gorm:"not null"`
		At        time.Time `gorm:"not null;index:idx_download_product;index"`
	}
	if err := tx.AutoMigrate(&ProductDay{}, &TeamDay{}, &UserDay{}, &RollupState{}, &Download{}); err != nil {
		return err
	}
	// product_health is written by hand: its name is not a plural.
	real, stamp := "REAL", "datetime"
	if Dialect(tx) == "postgres" {
		real, stamp = "double precision", "timestamptz"
	}
	for _, stmt := range []string{
		`CREATE TABLE product_health (
			product_id bigint PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
			score integer,
			check_rate ` + real + `,
			on_time_rate ` + real + `,
			checks integer NOT NULL DEFAULT 0,
			runs integer NOT NULL DEFAULT 0,
			runs_ok integer NOT NULL DEFAULT 0,
			queries30 integer NOT NULL DEFAULT 0,
			downloads30 integer NOT NULL DEFAULT 0,
			computed_at ` + stamp + `)`,
		`CREATE INDEX idx_product_health_score ON product_health (score)`,
		`CREATE INDEX idx_run_finished ON runs (finished_at)`,
		`CREATE INDEX idx_query_read_at ON query_reads (read_at)`,
		`CREATE INDEX idx_incident_kind_last ON incidents (kind, last_seen)`,
	} {
		if err := tx.Exec(stmt).Error; err != nil {
			return err
		}
	}
	return nil
}
