package models

import (
	"time"

	"gorm.io/gorm"
)

// migrateIncidents creates incidents: a product's freshness breaches and
// failing blocking checks, each open until resolved. A partial unique index
// allows one open incident per product, kind, port and key; resolved ones
// stay for history.
func migrateIncidents(tx *gorm.DB) error {
	type Product struct {
		ID uint `gorm:"primaryKey"`
	}
	type Run struct {
		ID uint `gorm:"primaryKey"`
	}
	type Incident struct {
		ID         uint       `gorm:"primaryKey"`
		ProductID  uint       `gorm:"not null;index"`
		Product    Product    `gorm:"constraint:OnDelete:CASCADE"`
		Port       string     `gorm:"size:60;not null"`
		Kind       string     `gorm:"size:16;not null"`
		Key        string     `gorm:"size:200;not null"`
		FirstSeen  time.Time  `gorm:"not null"`
		LastSeen   time.Time  `gorm:"not null"`
		ResolvedAt *time.Time `gorm:"index"`
		RunID      *uint      `gorm:"index"`
		Run        *Run       `gorm:"constraint:OnDelete:SET NULL"`
		Detail     string     `gorm:"type:text"`
	}
	if err := tx.AutoMigrate(&Incident{}); err != nil {
		return err
	}
	return tx.Exec(`CREATE UNIQUE INDEX idx_incident_open ON incidents (product_id, kind, port, key) WHERE resolved_at IS NULL`).Error
}
