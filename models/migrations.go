package models

import (
	"context"
	"fmt"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// Migrate brings the schema up to date. Migrations are versioned and never
// edited once they land: each one carries its own copy of the tables it
// creates, so later changes to the model structs cannot change history.
func Migrate(ctx context.Context, db *gorm.DB) error {
	m := gormigrate.New(db.WithContext(ctx), &gormigrate.Options{
		TableName:                 "schema_migrations",
		IDColumnName:              "id",
		IDColumnSize:              64,
		UseTransaction:            true,
		ValidateUnknownMigrations: true,
	}, migrations())
	if err := m.Migrate(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

func migrations() []*gormigrate.Migration {
	return []*gormigrate.Migration{
		{ID: "0001_platform", Migrate: migratePlatform},
		{ID: "0002_products", Migrate: migrateProducts},
	}
}

// migratePlatform creates people, domains, teams, sessions, tokens and the
// append-only audit log.
func migratePlatform(tx *gorm.DB) error {
	type User struct {
		ID            uint   `gorm:"primaryKey"`
		Email         string `gorm:"size:254;uniqueIndex;not null"`
		Name          string `gorm:"size:120;not null"`
		Title         string `gorm:"size:160"`
		IsAdmin       bool   `gorm:"not null;default:false"`
		DeactivatedAt *time.Time
		LastSeenAt    *time.Time
		CreatedAt     time.Time
		UpdatedAt     time.Time
	}
	type Identity struct {
		ID        uint   `gorm:"primaryKey"`
		UserID    uint   `gorm:"not null;index"`
		User      User   `gorm:"constraint:OnDelete:CASCADE"`
		Provider  string `gorm:"size:64;not null;uniqueIndex:idx_identity_subject"`
		Subject   string `gorm:"size:255;not null;uniqueIndex:idx_identity_subject"`
		CreatedAt time.Time
	}
	type Domain struct {
		ID           uint   `gorm:"primaryKey"`
		Slug         string `gorm:"size:40;uniqueIndex;not null"`
		Name         string `gorm:"size:80;not null"`
		Description  string `gorm:"size:2000"`
		ContactEmail string `gorm:"size:254"`
		ArchivedAt   *time.Time
		CreatedAt    time.Time
		UpdatedAt    time.Time
	}
	type Team struct {
		ID          uint   `gorm:"primaryKey"`
		DomainID    uint   `gorm:"not null;uniqueIndex:idx_team_slug"`
		Domain      Domain `gorm:"constraint:OnDelete:RESTRICT"`
		Slug        string `gorm:"size:40;not null;uniqueIndex:idx_team_slug"`
		Name        string `gorm:"size:80;not null"`
		Description string `gorm:"size:2000"`
		ArchivedAt  *time.Time
		CreatedAt   time.Time
		UpdatedAt   time.Time
	}
	type Membership struct {
		ID        uint   `gorm:"primaryKey"`
		TeamID    uint   `gorm:"not null;uniqueIndex:idx_membership"`
		Team      Team   `gorm:"constraint:OnDelete:CASCADE"`
		UserID    uint   `gorm:"not null;uniqueIndex:idx_membership;index"`
		User      User   `gorm:"constraint:OnDelete:CASCADE"`
		Role      string `gorm:"size:16;not null"`
		CreatedAt time.Time
	}
	type Session struct {
		ID         uint   `gorm:"primaryKey"`
		Hash       string `gorm:"size:64;not null;uniqueIndex"`
		UserID     uint   `gorm:"not null;index"`
		User       User   `gorm:"constraint:OnDelete:CASCADE"`
		Provider   string `gorm:"size:64;not null"`
		CreatedAt  time.Time
		ExpiresAt  time.Time `gorm:"not null;index"`
		LastSeenAt time.Time
	}
	type APIToken struct {
		ID         uint   `gorm:"primaryKey"`
		UserID     uint   `gorm:"not null;index"`
		User       User   `gorm:"constraint:OnDelete:CASCADE"`
		Name       string `gorm:"size:80;not null"`
		Prefix     string `gorm:"size:16;not null"`
		Hash       string `gorm:"size:64;not null;uniqueIndex"`
		LastUsedAt *time.Time
		RevokedAt  *time.Time
		CreatedAt  time.Time
	}
	type AuditEvent struct {
		ID         uint      `gorm:"primaryKey"`
		At         time.Time `gorm:"not null;index"`
		ActorID    *uint     `gorm:"index"`
		ActorEmail string    `gorm:"size:254;not null"`
		Action     string    `gorm:"size:64;not null;index"`
		ObjectType string    `gorm:"size:32;not null;index:idx_audit_object"`
		ObjectID   string    `gorm:"size:255;not null;index:idx_audit_object"`
		Before     string    `gorm:"type:text"`
		After      string    `gorm:"type:text"`
		RequestID  string    `gorm:"size:64"`
	}
	if err := tx.AutoMigrate(&User{}, &Identity{}, &Domain{}, &Team{}, &Membership{}, &Session{}, &APIToken{}, &AuditEvent{}); err != nil {
		return err
	}
	return appendOnly(tx, "audit_events")
}

// appendOnly makes the database itself refuse UPDATE and DELETE on table.
func appendOnly(tx *gorm.DB, table string) error {
	var stmts []string
	switch Dialect(tx) {
	case "postgres":
		stmts = []string{
			`CREATE OR REPLACE FUNCTION plaza_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$`,
			fmt.Sprintf(`CREATE TRIGGER %[1]s_append_only BEFORE UPDATE OR DELETE ON %[1]s
			FOR EACH ROW EXECUTE FUNCTION plaza_append_only()`, table),
			fmt.Sprintf(`CREATE TRIGGER %[1]s_no_truncate BEFORE TRUNCATE ON %[1]s
			FOR EACH STATEMENT EXECUTE FUNCTION plaza_append_only()`, table),
		}
	default:
		stmts = []string{
			fmt.Sprintf(`CREATE TRIGGER %[1]s_no_update BEFORE UPDATE ON %[1]s
			BEGIN SELECT RAISE(ABORT, '%[1]s is append-only'); END`, table),
			fmt.Sprintf(`CREATE TRIGGER %[1]s_no_delete BEFORE DELETE ON %[1]s
			BEGIN SELECT RAISE(ABORT, '%[1]s is append-only'); END`, table),
		}
	}
	for _, s := range stmts {
		if err := tx.Exec(s).Error; err != nil {
			return fmt.Errorf("make %s append-only: %w", table, err)
		}
	}
	return nil
}

// migrateProducts creates data products with their ports, schemas, tags,
// quality rules and old addresses, and the business glossary.
func migrateProducts(tx *gorm.DB) error {
	type Domain struct{ ID uint }
	type Team struct{ ID uint }
	type GlossaryTerm struct {
		ID         uint   `gorm:"primaryKey"`
		DomainID   uint   `gorm:"not null;uniqueIndex:idx_term_slug"`
		Domain     Domain `gorm:"constraint:OnDelete:RESTRICT"`
		Slug       string `gorm:"size:60;not null;uniqueIndex:idx_term_slug"`
		Name       string `gorm:"size:120;not null"`
		Definition string `gorm:"type:text"`
		Synonyms   string `gorm:"size:500"`
		CreatedAt  time.Time
		UpdatedAt  time.Time
	}
	type Product struct {
		ID             uint   `gorm:"primaryKey"`
		DomainID       uint   `gorm:"not null;uniqueIndex:idx_product_slug"`
		Domain         Domain `gorm:"constraint:OnDelete:RESTRICT"`
		TeamID         uint   `gorm:"not null;index"`
		Team           Team   `gorm:"constraint:OnDelete:RESTRICT"`
		Slug           string `gorm:"size:60;not null;uniqueIndex:idx_product_slug"`
		Name           string `gorm:"size:120;not null"`
		Summary        string `gorm:"size:300"`
		Description    string `gorm:"type:text"`
		Classification string `gorm:"size:16;not null;index"`
		Status         string `gorm:"size:16;not null;index"`
		Version        string `gorm:"size:32;not null"`
		TermsOfUse     string `gorm:"type:text"`
		ReplacementID  *uint
		FreshnessHours int
		Availability   string `gorm:"size:32"`
		SupportChannel string `gorm:"size:255"`
		ResponseTime   string `gorm:"size:64"`
		ContractExtra  string `gorm:"type:text"`
		PublishedAt    *time.Time
		CreatedAt      time.Time
		UpdatedAt      time.Time `gorm:"index"`
	}
	type ProductTag struct {
		ID        uint    `gorm:"primaryKey"`
		ProductID uint    `gorm:"not null;uniqueIndex:idx_product_tag"`
		Product   Product `gorm:"constraint:OnDelete:CASCADE"`
		Tag       string  `gorm:"size:40;not null;uniqueIndex:idx_product_tag;index"`
	}
	type OutputPort struct {
		ID          uint    `gorm:"primaryKey"`
		ProductID   uint    `gorm:"not null;uniqueIndex:idx_port_slug"`
		Product     Product `gorm:"constraint:OnDelete:CASCADE"`
		Slug        string  `gorm:"size:60;not null;uniqueIndex:idx_port_slug"`
		Name        string  `gorm:"size:120;not null"`
		Format      string  `gorm:"size:32;not null"`
		Description string  `gorm:"size:2000"`
		Position    int     `gorm:"not null"`
	}
	type Column struct {
		ID          uint          `gorm:"primaryKey"`
		PortID      uint          `gorm:"not null;index"`
		Port        OutputPort    `gorm:"constraint:OnDelete:CASCADE"`
		Position    int           `gorm:"not null"`
		Name        string        `gorm:"size:128;not null"`
		Type        string        `gorm:"size:64;not null"`
		Description string        `gorm:"size:2000"`
		Nullable    bool          `gorm:"not null"`
		PrimaryKey  bool          `gorm:"not null"`
		PII         bool          `gorm:"not null"`
		TermID      *uint         `gorm:"index"`
		Term        *GlossaryTerm `gorm:"constraint:OnDelete:SET NULL"`
	}
	type InputPort struct {
		ID                uint    `gorm:"primaryKey"`
		ProductID         uint    `gorm:"not null;index"`
		Product           Product `gorm:"constraint:OnDelete:CASCADE"`
		Position          int     `gorm:"not null"`
		UpstreamProductID *uint   `gorm:"index"`
		UpstreamPort      string  `gorm:"size:60"`
		Landing           string  `gorm:"size:255"`
		Description       string  `gorm:"size:1000"`
	}
	type QualityRule struct {
		ID          uint    `gorm:"primaryKey"`
		ProductID   uint    `gorm:"not null;index"`
		Product     Product `gorm:"constraint:OnDelete:CASCADE"`
		Position    int     `gorm:"not null"`
		Port        string  `gorm:"size:60"`
		Column      string  `gorm:"size:128"`
		Kind        string  `gorm:"size:32;not null"`
		Description string  `gorm:"size:1000"`
		Spec        string  `gorm:"type:text"`
		Blocking    bool    `gorm:"not null"`
	}
	type ProductRedirect struct {
		ID        uint    `gorm:"primaryKey"`
		OldDomain string  `gorm:"size:40;not null;uniqueIndex:idx_redirect_old"`
		OldSlug   string  `gorm:"size:60;not null;uniqueIndex:idx_redirect_old"`
		ProductID uint    `gorm:"not null;index"`
		Product   Product `gorm:"constraint:OnDelete:CASCADE"`
	}
	return tx.AutoMigrate(&GlossaryTerm{}, &Product{}, &ProductTag{}, &OutputPort{}, &Column{}, &InputPort{}, &QualityRule{}, &ProductRedirect{})
}
