package models

import (
	"time"

	"gorm.io/gorm"
)

// migrateQueries creates the record of federated queries (queries, with
// the product ports each read in query_reads) and saved queries.
func migrateQueries(tx *gorm.DB) error {
	type User struct {
		ID uint `gorm:"primaryKey"`
	}
	type QueryRead struct {
		ID         uint      `gorm:"primaryKey"`
		QueryID    uint      `gorm:"not null;index"`
		ProductID  uint      `gorm:"not null;index:idx_query_read_product"`
		ReadAt     time.Time `gorm:"not null;index:idx_query_read_product"`
		UserID     uint      `gorm:"not null"`
		Port       string    `gorm:"size:60;not null"`
		View       string    `gorm:"size:200;not null"`
		SnapshotID *uint
		Snapshot   string `gorm:"size:80"`
		Pinned     bool   `gorm:"not null"`
		Basis      string `gorm:"size:16;not null"`
		GrantID    *uint
	}
	type Query struct {
		ID           uint   `gorm:"primaryKey"`
		UserID       uint   `gorm:"not null;index:idx_query_user"`
		User         User   `gorm:"constraint:OnDelete:CASCADE"`
		SQL          string `gorm:"type:text;not null"`
		Source       string `gorm:"size:16;not null"`
		SavedQueryID *uint
		Status       string `gorm:"size:16;not null"`
		Error        string `gorm:"type:text"`
		Rows         int64
		DurationMS   int64
		StartedAt    time.Time `gorm:"not null;index:idx_query_user;index"`
		FinishedAt   *time.Time
		Reads        []QueryRead `gorm:"constraint:OnDelete:CASCADE"`
	}
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
	return tx.AutoMigrate(&Query{}, &QueryRead{}, &SavedQuery{})
}
