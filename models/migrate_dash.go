package models

import "gorm.io/gorm"

// migrateDashState creates what the rollup job keeps so that a dashboard
// reads tens of rows, not the catalog: team_products (each team's
// products by status and classification, with their SLAs and scores),
// product_windows and user_windows (each product's, and each person's per
// team, use summed over the last 7, 30 and 90 days), and domain_days (the
// distinct people querying a domain, or the company, each day). It
// indexes product_days by product and user_days by person, then day, and
// runs by pipeline and id, and adds the products stamp to the rollup's
// state. The next rollup, which this makes a full one, fills the tables.
func migrateDashState(tx *gorm.DB) error {
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
	type ProductWindow struct {
		Days      int   `gorm:"primaryKey;autoIncrement:false;index:idx_window_queries,priority:1;index:idx_window_downloads,priority:1;index:idx_window_slow,priority:1"`
		ProductID uint  `gorm:"primaryKey;autoIncrement:false"`
		TeamID    uint  `gorm:"not null;index"`
		DomainID  uint  `gorm:"not null"`
		Queries   int64 `gorm:"not null;index:idx_window_queries,priority:2"`
		Downloads int64 `gorm:"not null;index:idx_window_downloads,priority:2"`
		Runs      int64 `gorm:"not null"`
		RunMS     int64 `gorm:"not null"`
		RunMSMax  int64 `gorm:"not null;index:idx_window_slow,priority:2"`
	}
	type UserWindow struct {
		Days      int   `gorm:"primaryKey;autoIncrement:false"`
		UserID    uint  `gorm:"primaryKey;autoIncrement:false"`
		TeamID    uint  `gorm:"primaryKey;autoIncrement:false"`
		DomainID  uint  `gorm:"not null"`
		Queries   int64 `gorm:"not null"`
		Downloads int64 `gorm:"not null"`
	}
	type DomainDay struct {
		Day      string `gorm:"primaryKey;size:10"`
		DomainID uint   `gorm:"primaryKey;autoIncrement:false"`
		Users    int    `gorm:"not null"`
	}
	if err := tx.AutoMigrate(&TeamProduct{}, &ProductWindow{}, &UserWindow{}, &DomainDay{}); err != nil {
		return err
	}
	for _, stmt := range []string{
		`CREATE INDEX idx_product_day_product_day ON product_days (product_id, day)`,
		`CREATE INDEX idx_user_day_user ON user_days (user_id, day)`,
		`CREATE INDEX idx_run_pipeline_newest ON runs (pipeline_id, id)`, // a pipeline's newest run, from the index alone
	} {
		if err := tx.Exec(stmt).Error; err != nil {
			return err
		}
	}
	if err := tx.Exec(`ALTER TABLE rollup_states ADD COLUMN products_stamp varchar(80) NOT NULL DEFAULT ''`).Error; err != nil {
		return err
	}
	// The next rollup fills the new tables for every product.
	return tx.Exec(`UPDATE rollup_states SET health_day = ''`).Error
}
