package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// migrateAccess creates access policies, domain stewards, access requests
// with their decisions, grants, notifications and the mail outbox, and
// chains the audit log: every event stores the hash of the one before it.
// Events written before this migration are chained here, in id order.
func migrateAccess(tx *gorm.DB) error {
	type AccessPolicy struct {
		Classification   string `gorm:"primaryKey;size:16"`
		RequestRequired  bool   `gorm:"not null"`
		OwnerApprovals   int    `gorm:"not null"`
		StewardApprovals int    `gorm:"not null"`
		RequireTerms     bool   `gorm:"not null"`
		MaxDays          int    `gorm:"not null"`
		ReviewDays       int    `gorm:"not null"`
		UpdatedAt        time.Time
	}
	type DomainSteward struct {
		ID        uint `gorm:"primaryKey"`
		DomainID  uint `gorm:"not null;uniqueIndex:idx_domain_steward"`
		UserID    uint `gorm:"not null;uniqueIndex:idx_domain_steward;index"`
		CreatedAt time.Time
	}
	type AccessRequest struct {
		ID               uint   `gorm:"primaryKey"`
		ProductID        uint   `gorm:"not null;index"`
		RequesterID      uint   `gorm:"not null;index"`
		Ports            string `gorm:"size:1000;not null"`
		Purpose          string `gorm:"type:text;not null"`
		DurationDays     int    `gorm:"not null"`
		TermsAcceptedAt  *time.Time
		Classification   string `gorm:"size:16;not null"`
		OwnerApprovals   int    `gorm:"not null"`
		StewardApprovals int    `gorm:"not null"`
		Status           string `gorm:"size:16;not null;index"`
		RenewalOfID      *uint  `gorm:"index"`
		CreatedAt        time.Time
		ClosedAt         *time.Time
	}
	type AccessDecision struct {
		ID        uint   `gorm:"primaryKey"`
		RequestID uint   `gorm:"not null;uniqueIndex:idx_decision_person"`
		DeciderID uint   `gorm:"not null;uniqueIndex:idx_decision_person"`
		AsOwner   bool   `gorm:"not null"`
		AsSteward bool   `gorm:"not null"`
		Verdict   string `gorm:"size:16;not null"`
		Comment   string `gorm:"type:text"`
		At        time.Time
	}
	type Grant struct {
		ID                uint   `gorm:"primaryKey"`
		RequestID         uint   `gorm:"not null;uniqueIndex"`
		ProductID         uint   `gorm:"not null;index:idx_grant_product"`
		UserID            uint   `gorm:"not null;index:idx_grant_user"`
		Ports             string `gorm:"size:1000;not null"`
		Purpose           string `gorm:"type:text;not null"`
		Status            string `gorm:"size:16;not null;index:idx_grant_product;index:idx_grant_user;index:idx_grant_status"`
		StartsAt          time.Time
		ExpiresAt         time.Time `gorm:"index:idx_grant_status"`
		EndedAt           *time.Time
		EndedByID         *uint
		EndReason         string `gorm:"size:1000"`
		ReviewDueAt       *time.Time
		ReviewRequestedAt *time.Time
		LastReviewedAt    *time.Time
		RemindedDays      int `gorm:"not null;default:0"`
	}
	type Notification struct {
		ID        uint   `gorm:"primaryKey"`
		UserID    uint   `gorm:"not null;index:idx_notification_user"`
		Kind      string `gorm:"size:32;not null"`
		Title     string `gorm:"size:300;not null"`
		Body      string `gorm:"type:text"`
		Link      string `gorm:"size:500"`
		CreatedAt time.Time
		ReadAt    *time.Time `gorm:"index:idx_notification_user"`
	}
	type MailOutbox struct {
		ID            uint   `gorm:"primaryKey"`
		To            string `gorm:"column:to_email;size:254;not null"`
		Subject       string `gorm:"size:300;not null"`
		Body          string `gorm:"type:text;not null"`
		CreatedAt     time.Time
		NextAttemptAt time.Time  `gorm:"index"`
		Attempts      int        `gorm:"not null;default:0"`
		LastError     string     `gorm:"size:1000"`
		SentAt        *time.Time `gorm:"index"`
	}
	if err := tx.AutoMigrate(&AccessPolicy{}, &DomainSteward{}, &AccessRequest{}, &AccessDecision{}, &Grant{}, &Notification{}, &MailOutbox{}); err != nil {
		return err
	}
	now := time.Now().UTC()
	for _, p := range DefaultAccessPolicies() {
		row := AccessPolicy{Classification: p.Classification, RequestRequired: p.RequestRequired,
			OwnerApprovals: p.OwnerApprovals, StewardApprovals: p.StewardApprovals, RequireTerms: p.RequireTerms,
			MaxDays: p.MaxDays, ReviewDays: p.ReviewDays, UpdatedAt: now}
		if err := tx.Create(&row).Error; err != nil {
			return fmt.Errorf("default policy %s: %w", p.Classification, err)
		}
	}
	return chainAudit(tx)
}

// chainAudit adds the hash columns to the audit log and fills them for the
// events already written. The append-only triggers are lifted for the
// backfill and put back in the same transaction.
func chainAudit(tx *gorm.DB) error {
	pg := Dialect(tx) == "postgres"
	stmts := []string{
		`ALTER TABLE audit_events ADD COLUMN prev_hash VARCHAR(64) NOT NULL DEFAULT ''`,
		`ALTER TABLE audit_events ADD COLUMN hash VARCHAR(64) NOT NULL DEFAULT ''`,
	}
	if pg {
		stmts = append(stmts, `DROP TRIGGER audit_events_append_only ON audit_events`,
			`DROP TRIGGER audit_events_no_truncate ON audit_events`)
	} else {
		stmts = append(stmts, `DROP TRIGGER audit_events_no_update`, `DROP TRIGGER audit_events_no_delete`)
	}
	for _, s := range stmts {
		if err := tx.Exec(s).Error; err != nil {
			return fmt.Errorf("chain audit: %w", err)
		}
	}
	prev := ""
	for lastID := uint(0); ; {
		var evs []AuditEvent
		if err := tx.Where("id > ?", lastID).Order("id").Limit(500).Find(&evs).Error; err != nil {
			return fmt.Errorf("chain audit: %w", err)
		}
		if len(evs) == 0 {
			break
		}
		for i := range evs {
			ev := &evs[i]
			ev.PrevHash = prev
			ev.Hash = ev.computeHash()
			if err := tx.Model(&AuditEvent{}).Where("id = ?", ev.ID).
				Updates(map[string]any{"prev_hash": ev.PrevHash, "hash": ev.Hash}).Error; err != nil {
				return fmt.Errorf("chain audit event %d: %w", ev.ID, err)
			}
			prev = ev.Hash
			lastID = ev.ID
		}
	}
	if pg {
		// The single row that serializes appends to the chain on Postgres.
		if err := tx.Exec(`CREATE TABLE audit_head (id INT PRIMARY KEY, hash VARCHAR(64) NOT NULL)`).Error; err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO audit_head (id, hash) VALUES (1, ?)`, prev).Error; err != nil {
			return err
		}
	}
	return appendOnly(tx, "audit_events")
}
