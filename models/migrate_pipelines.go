package models

import (
	"time"

	"gorm.io/gorm"
)

// migratePipelines creates pipelines with their inputs, runs with their
// check results, and snapshots.
func migratePipelines(tx *gorm.DB) error {
	type Product struct {
		ID uint `gorm:"primaryKey"`
	}
	type User struct {
		ID uint `gorm:"primaryKey"`
	}
	type Pipeline struct {
		ID             uint       `gorm:"primaryKey"`
		ProductID      uint       `gorm:"not null;uniqueIndex:idx_pipeline_port"`
		Product        Product    `gorm:"constraint:OnDelete:CASCADE"`
		Port           string     `gorm:"size:60;not null;uniqueIndex:idx_pipeline_port"`
		SQL            string     `gorm:"type:text;not null"`
		Schedule       string     `gorm:"size:16;not null"`
		Cron           string     `gorm:"size:100"`
		TimeoutSeconds int        `gorm:"not null"`
		MemoryMB       int        `gorm:"not null"`
		Retention      int        `gorm:"not null"`
		Paused         bool       `gorm:"not null"`
		NextRunAt      *time.Time `gorm:"index"`
		CreatedByID    *uint
		CreatedAt      time.Time
		UpdatedAt      time.Time
	}
	type PipelineInput struct {
		ID                uint     `gorm:"primaryKey"`
		PipelineID        uint     `gorm:"not null;index"`
		Pipeline          Pipeline `gorm:"constraint:OnDelete:CASCADE"`
		Position          int      `gorm:"not null"`
		Name              string   `gorm:"size:80;not null"`
		Landing           string   `gorm:"size:255"`
		Format            string   `gorm:"size:16"`
		UpstreamProductID *uint    `gorm:"index"`
		UpstreamProduct   *Product `gorm:"constraint:OnDelete:RESTRICT"`
		UpstreamPort      string   `gorm:"size:60"`
	}
	type Run struct {
		ID              uint     `gorm:"primaryKey"`
		PipelineID      uint     `gorm:"not null;index"`
		Pipeline        Pipeline `gorm:"constraint:OnDelete:CASCADE"`
		ActiveKey       *uint    `gorm:"uniqueIndex"`
		Status          string   `gorm:"size:16;not null;index"`
		Trigger         string   `gorm:"size:16;not null"`
		DueAt           *time.Time
		RequestedByID   *uint
		RequestedBy     *User     `gorm:"constraint:OnDelete:SET NULL"`
		AcceptSchema    bool      `gorm:"not null"`
		CancelRequested bool      `gorm:"not null"`
		Attempt         int       `gorm:"not null"`
		QueuedAt        time.Time `gorm:"index"`
		StartedAt       *time.Time
		HeartbeatAt     *time.Time
		FinishedAt      *time.Time
		Rows            int64
		Bytes           int64
		Error           string `gorm:"type:text"`
		Log             string `gorm:"type:text"`
		SnapshotID      *uint
		ChecksPassed    int `gorm:"not null"`
		ChecksFailed    int `gorm:"not null"`
	}
	type CheckResult struct {
		ID          uint   `gorm:"primaryKey"`
		RunID       uint   `gorm:"not null;index"`
		Run         Run    `gorm:"constraint:OnDelete:CASCADE"`
		Position    int    `gorm:"not null"`
		Name        string `gorm:"size:200;not null"`
		Kind        string `gorm:"size:32;not null"`
		Column      string `gorm:"size:128"`
		Blocking    bool   `gorm:"not null"`
		Passed      bool   `gorm:"not null"`
		FailingRows int64
		Sample      string `gorm:"type:text"`
		Message     string `gorm:"size:2000"`
	}
	type Snapshot struct {
		ID        uint    `gorm:"primaryKey"`
		ProductID uint    `gorm:"not null;index:idx_snapshot_port"`
		Product   Product `gorm:"constraint:OnDelete:CASCADE"`
		Port      string  `gorm:"size:60;not null;index:idx_snapshot_port"`
		Name      string  `gorm:"size:80;not null"`
		RunID     *uint
		Rows      int64
		Bytes     int64
		Schema    string    `gorm:"type:text"`
		Current   bool      `gorm:"not null"`
		CreatedAt time.Time `gorm:"index"`
		DeletedAt *time.Time
	}
	if err := tx.AutoMigrate(&Pipeline{}, &PipelineInput{}, &Run{}, &CheckResult{}, &Snapshot{}); err != nil {
		return err
	}
	// A scheduled due time is enqueued once, even with several instances.
	return tx.Exec(`CREATE UNIQUE INDEX idx_run_due ON runs (pipeline_id, due_at)`).Error
}
