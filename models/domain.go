package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Domain is a business area that owns data products (Sales, Finance, ...).
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

// Archived reports whether the domain was archived.
func (d *Domain) Archived() bool { return d.ArchivedAt != nil }

// URN is the domain's stable address.
func (d *Domain) URN() string { return "urn:plaza:domain:" + d.Slug }

// reservedDomainSlugs name the kinds of URN (urn:plaza:team:...), so no
// product URN (urn:plaza:<domain>:<product>) can look like one of them.
var reservedDomainSlugs = []string{"domain", "team", "term", "product", "user"}

// DomainInput is what a person types to create or edit a domain; forms and
// JSON bind straight into it, as it holds nothing a caller may not set.
type DomainInput struct {
	Slug         string `form:"slug" json:"slug"`
	Name         string `form:"name" json:"name"`
	Description  string `form:"description" json:"description"`
	ContactEmail string `form:"contact_email" json:"contact_email"`
}

func (in *DomainInput) normalize() {
	in.Slug = strings.TrimSpace(in.Slug)
	in.Name = strings.TrimSpace(in.Name)
	in.Description = strings.TrimSpace(in.Description)
	in.ContactEmail = NormalizeEmail(in.ContactEmail)
}

func (in DomainInput) validate() error {
	v := &ValidationError{}
	checkSlug(v, "slug", in.Slug)
	if contains(reservedDomainSlugs, in.Slug) {
		v.Add("slug", fmt.Sprintf("%q is reserved for Plaza's addresses; choose another slug.", in.Slug))
	}
	checkText(v, "name", "Name", in.Name, true, 80)
	checkText(v, "description", "Description", in.Description, false, 2000)
	checkOptionalEmail(v, "contact_email", in.ContactEmail)
	return v.OrNil()
}

// DomainSummary is a domain with the counts shown in listings.
type DomainSummary struct {
	Domain
	Teams   int64
	Members int64
}

// ListDomains lists domains by name; archived ones only when asked.
func (s *Store) ListDomains(ctx context.Context, withArchived bool) ([]DomainSummary, error) {
	var out []DomainSummary
	q := s.db(ctx).Table("domains").
		Select(`domains.*,
			(SELECT COUNT(*) FROM teams WHERE teams.domain_id = domains.id AND teams.archived_at IS NULL) AS teams,
			(SELECT COUNT(DISTINCT memberships.user_id) FROM memberships JOIN teams ON teams.id = memberships.team_id
				WHERE teams.domain_id = domains.id AND teams.archived_at IS NULL) AS members`)
	if !withArchived {
		q = q.Where("domains.archived_at IS NULL")
	}
	if err := q.Order("domains.name").Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("list domains: %w", err)
	}
	return out, nil
}

// DomainBySlug loads a domain, archived or not.
func (s *Store) DomainBySlug(ctx context.Context, slug string) (*Domain, error) {
	var d Domain
	if err := s.db(ctx).Where("slug = ?", slug).First(&d).Error; err != nil {
		return nil, fmt.Errorf("domain %q: %w", slug, notFound(err))
	}
	return &d, nil
}

// CreateDomain adds a domain. Only admins may.
func (s *Store) CreateDomain(ctx context.Context, actor *User, in DomainInput) (*Domain, error) {
	if err := Authorize(actor, ActManageDomains, nil); err != nil {
		return nil, err
	}
	in.normalize()
	if err := in.validate(); err != nil {
		return nil, err
	}
	d := &Domain{Slug: in.Slug, Name: in.Name, Description: in.Description, ContactEmail: in.ContactEmail}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(d).Error; err != nil {
			if isDuplicate(err) {
				return Invalid("slug", fmt.Sprintf("The slug %q is taken by another domain.", in.Slug))
			}
			return err
		}
		return s.audit(ctx, tx, actor, "domain.create", d, nil, d)
	})
	if err != nil {
		return nil, fmt.Errorf("create domain: %w", err)
	}
	return d, nil
}

// UpdateDomain edits a domain's fields, slug included.
func (s *Store) UpdateDomain(ctx context.Context, actor *User, slug string, in DomainInput) (*Domain, error) {
	return s.PatchDomain(ctx, actor, slug, in, nil)
}

// PatchDomain edits a domain's fields and, when archived is given, archives
// or restores it: one transaction, so a refused patch changes nothing. A
// patch that only archives records only the archiving.
func (s *Store) PatchDomain(ctx context.Context, actor *User, slug string, in DomainInput, archived *bool) (*Domain, error) {
	if err := Authorize(actor, ActManageDomains, nil); err != nil {
		return nil, err
	}
	in.normalize()
	if err := in.validate(); err != nil {
		return nil, err
	}
	var after Domain
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var before Domain
		if err := tx.Where("slug = ?", slug).First(&before).Error; err != nil {
			return notFound(err)
		}
		after = before
		after.Slug, after.Name, after.Description, after.ContactEmail = in.Slug, in.Name, in.Description, in.ContactEmail
		fieldsChanged := after.Slug != before.Slug || after.Name != before.Name ||
			after.Description != before.Description || after.ContactEmail != before.ContactEmail
		archiveChanged := archived != nil && *archived != before.Archived()
		if archiveChanged {
			after.ArchivedAt = nil
			if *archived {
				now := s.now()
				after.ArchivedAt = &now
			}
		}
		if err := tx.Select("slug", "name", "description", "contact_email", "archived_at", "updated_at").Save(&after).Error; err != nil {
			if isDuplicate(err) {
				return Invalid("slug", fmt.Sprintf("The slug %q is taken by another domain.", in.Slug))
			}
			return err
		}
		if fieldsChanged || archived == nil {
			edited := after
			edited.ArchivedAt = before.ArchivedAt
			if err := s.audit(ctx, tx, actor, "domain.update", &after, &before, &edited); err != nil {
				return err
			}
		}
		if archiveChanged {
			action := "domain.restore"
			if *archived {
				action = "domain.archive"
			}
			edited := after
			edited.ArchivedAt = before.ArchivedAt
			return s.audit(ctx, tx, actor, action, &after, &edited, &after)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update domain %q: %w", slug, err)
	}
	return &after, nil
}

// SetDomainArchived archives or restores a domain.
func (s *Store) SetDomainArchived(ctx context.Context, actor *User, slug string, archived bool) (*Domain, error) {
	if err := Authorize(actor, ActManageDomains, nil); err != nil {
		return nil, err
	}
	now := s.now()
	var after Domain
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var before Domain
		if err := tx.Where("slug = ?", slug).First(&before).Error; err != nil {
			return notFound(err)
		}
		after = before
		action := "domain.restore"
		after.ArchivedAt = nil
		if archived {
			action = "domain.archive"
			after.ArchivedAt = &now
		}
		if err := tx.Select("archived_at", "updated_at").Save(&after).Error; err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, action, &after, &before, &after)
	})
	if err != nil {
		return nil, fmt.Errorf("archive domain %q: %w", slug, err)
	}
	return &after, nil
}

// Removal says what RemoveDomain did.
type Removal string

// The outcomes of removing something that may still be in use.
const (
	Deleted  Removal = "deleted"
	Archived Removal = "archived"
)

// RemoveDomain deletes an empty domain. A domain that still has teams (or,
// later, products) keeps its history: it is archived instead.
func (s *Store) RemoveDomain(ctx context.Context, actor *User, slug string) (Removal, error) {
	if err := Authorize(actor, ActManageDomains, nil); err != nil {
		return "", err
	}
	var outcome Removal
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var d Domain
		if err := tx.Where("slug = ?", slug).First(&d).Error; err != nil {
			return notFound(err)
		}
		var teams int64
		if err := tx.Model(&Team{}).Where("domain_id = ?", d.ID).Count(&teams).Error; err != nil {
			return err
		}
		if teams > 0 {
			outcome = Archived
			if d.ArchivedAt != nil {
				return nil
			}
			before := d
			now := s.now()
			d.ArchivedAt = &now
			if err := tx.Select("archived_at", "updated_at").Save(&d).Error; err != nil {
				return err
			}
			return s.audit(ctx, tx, actor, "domain.archive", &d, &before, &d)
		}
		outcome = Deleted
		if err := tx.Delete(&d).Error; err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "domain.delete", &d, &d, nil)
	})
	if err != nil {
		return "", fmt.Errorf("remove domain %q: %w", slug, err)
	}
	return outcome, nil
}

// DomainScope is u's scope in a domain as a whole (its glossary, its
// landing folder): "owner" when they own one of its teams, "member" when
// they are in one, "" otherwise.
func (s *Store) DomainScope(ctx context.Context, u *User, domainID uint) (*Scope, error) {
	scope := &Scope{}
	if u == nil {
		return scope, nil
	}
	var roles []string
	err := s.db(ctx).Model(&Membership{}).Joins("JOIN teams ON teams.id = memberships.team_id").
		Where("teams.domain_id = ? AND memberships.user_id = ? AND teams.archived_at IS NULL", domainID, u.ID).
		Pluck("memberships.role", &roles).Error
	for _, r := range roles {
		if r == RoleOwner || scope.TeamRole == "" {
			scope.TeamRole = r
		}
	}
	if err != nil {
		return nil, fmt.Errorf("domain role: %w", err)
	}
	return scope, nil
}

// AuditLanding records a change to a domain's landing folder: an upload or
// a removal of the file at rel, of size bytes.
func (s *Store) AuditLanding(ctx context.Context, actor *User, d *Domain, action, rel string, size int64) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return s.auditObject(ctx, tx, actor, action, "landing", d.Slug+"/"+rel, nil, map[string]any{"bytes": size})
	})
}
