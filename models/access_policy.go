package models

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
)

// AccessPolicy says, for one classification, what it takes to use a
// product: whether a request is needed, how many distinct people must
// approve it and in which capacity, whether the terms of use must be
// acknowledged, how long a grant may run and how often long-running grants
// are reviewed. Admins edit the four policies in the browser.
type AccessPolicy struct {
	Classification   string `gorm:"primaryKey;size:16"`
	RequestRequired  bool   `gorm:"not null"`
	OwnerApprovals   int    `gorm:"not null"` // approvals needed from owners of the product's team
	StewardApprovals int    `gorm:"not null"` // approvals needed from stewards of the product's domain
	RequireTerms     bool   `gorm:"not null"`
	MaxDays          int    `gorm:"not null"` // longest grant
	ReviewDays       int    `gorm:"not null"` // grants running longer are reviewed this often; 0: never
	UpdatedAt        time.Time
}

// Approvals is the number of distinct people who must approve.
func (p AccessPolicy) Approvals() int { return p.OwnerApprovals + p.StewardApprovals }

// DefaultAccessPolicies are the policies a new installation starts with:
// public is open; internal needs one owner; confidential one owner and the
// terms acknowledged; restricted a product owner and a steward, two
// different people.
func DefaultAccessPolicies() []AccessPolicy {
	return []AccessPolicy{
		{Classification: ClassPublic, MaxDays: 365},
		{Classification: ClassInternal, RequestRequired: true, OwnerApprovals: 1, MaxDays: 365},
		{Classification: ClassConfidential, RequestRequired: true, OwnerApprovals: 1, RequireTerms: true, MaxDays: 180, ReviewDays: 90},
		{Classification: ClassRestricted, RequestRequired: true, OwnerApprovals: 1, StewardApprovals: 1, RequireTerms: true, MaxDays: 90, ReviewDays: 30},
	}
}

// grantDurations are the durations a requester chooses from, capped by the
// policy's maximum.
var grantDurations = []int{7, 30, 90, 180, 365}

// DurationChoices lists the grant durations, in days, the policy allows.
func (p AccessPolicy) DurationChoices() []int {
	var out []int
	for _, d := range grantDurations {
		if d <= p.MaxDays {
			out = append(out, d)
		}
	}
	if !slices.Contains(out, p.MaxDays) && p.MaxDays > 0 {
		out = append(out, p.MaxDays)
	}
	return out
}

// AccessPolicies returns the policy of every classification, in the order
// of Classifications.
func (s *Store) AccessPolicies(ctx context.Context) ([]AccessPolicy, error) {
	var rows []AccessPolicy
	if err := s.db(ctx).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("access policies: %w", err)
	}
	slices.SortFunc(rows, func(a, b AccessPolicy) int {
		return slices.Index(Classifications, a.Classification) - slices.Index(Classifications, b.Classification)
	})
	return rows, nil
}

// AccessPolicyFor returns the policy of one classification.
func (s *Store) AccessPolicyFor(ctx context.Context, classification string) (*AccessPolicy, error) {
	return policyFor(s.db(ctx), classification)
}

func policyFor(tx *gorm.DB, classification string) (*AccessPolicy, error) {
	var p AccessPolicy
	if err := tx.Where("classification = ?", classification).First(&p).Error; err != nil {
		return nil, fmt.Errorf("access policy %q: %w", classification, notFound(err))
	}
	return &p, nil
}

// AccessPolicyInput is an admin's edit of one policy.
type AccessPolicyInput struct {
	RequestRequired  bool `json:"request_required"`
	OwnerApprovals   int  `json:"owner_approvals"`
	StewardApprovals int  `json:"steward_approvals"`
	RequireTerms     bool `json:"require_terms"`
	MaxDays          int  `json:"max_days"`
	ReviewDays       int  `json:"review_days"`
}

func (in AccessPolicyInput) validate() error {
	v := &ValidationError{}
	if in.OwnerApprovals < 0 || in.OwnerApprovals > 3 {
		v.Add("owner_approvals", "Owner approvals must be between 0 and 3.")
	}
	if in.StewardApprovals < 0 || in.StewardApprovals > 3 {
		v.Add("steward_approvals", "Steward approvals must be between 0 and 3.")
	}
	if in.RequestRequired && in.OwnerApprovals+in.StewardApprovals == 0 {
		v.Add("owner_approvals", "A request needs at least one approval; to let everyone in, turn requests off instead.")
	}
	if in.MaxDays < 1 || in.MaxDays > 3650 {
		v.Add("max_days", "The longest grant must be between 1 and 3650 days.")
	}
	if in.ReviewDays < 0 || in.ReviewDays > 3650 {
		v.Add("review_days", "The review interval must be between 0 (no review) and 3650 days.")
	}
	return v.OrNil()
}

// UpdateAccessPolicy changes the policy of one classification. It applies
// to requests submitted from now on; requests already submitted keep the
// approvals they were submitted under. Only admins may.
func (s *Store) UpdateAccessPolicy(ctx context.Context, actor *User, classification string, in AccessPolicyInput) (*AccessPolicy, error) {
	if err := Authorize(actor, ActManagePolicy, nil); err != nil {
		return nil, err
	}
	if !slices.Contains(Classifications, classification) {
		return nil, Invalid("classification", "Unknown classification.")
	}
	if !in.RequestRequired {
		in.OwnerApprovals, in.StewardApprovals, in.RequireTerms = 0, 0, false
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	var out AccessPolicy
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		before, err := policyFor(tx, classification)
		if err != nil {
			return err
		}
		out = AccessPolicy{Classification: classification, RequestRequired: in.RequestRequired,
			OwnerApprovals: in.OwnerApprovals, StewardApprovals: in.StewardApprovals, RequireTerms: in.RequireTerms,
			MaxDays: in.MaxDays, ReviewDays: in.ReviewDays, UpdatedAt: s.now()}
		if *before == out || (policyState(before) == policyState(&out)) {
			return nil
		}
		if err := tx.Save(&out).Error; err != nil {
			return err
		}
		return s.auditObject(ctx, tx, actor, "policy.update", "policy", classification, policyState(before), policyState(&out))
	})
	if err != nil {
		return nil, fmt.Errorf("update access policy: %w", err)
	}
	return &out, nil
}

type policyAudit struct {
	RequestRequired  bool `json:"request_required"`
	OwnerApprovals   int  `json:"owner_approvals"`
	StewardApprovals int  `json:"steward_approvals"`
	RequireTerms     bool `json:"require_terms"`
	MaxDays          int  `json:"max_days"`
	ReviewDays       int  `json:"review_days"`
}

func policyState(p *AccessPolicy) policyAudit {
	return policyAudit{p.RequestRequired, p.OwnerApprovals, p.StewardApprovals, p.RequireTerms, p.MaxDays, p.ReviewDays}
}

// DomainSteward makes a person a governance steward of a domain: they
// approve requests for the domain's products where the policy asks for a
// steward.
type DomainSteward struct {
	ID        uint `gorm:"primaryKey"`
	DomainID  uint `gorm:"not null;uniqueIndex:idx_domain_steward"`
	UserID    uint `gorm:"not null;uniqueIndex:idx_domain_steward;index"`
	User      User `gorm:"constraint:OnDelete:CASCADE"`
	CreatedAt time.Time
}

// Stewards lists the stewards of a domain.
func (s *Store) Stewards(ctx context.Context, domainID uint) ([]User, error) {
	var out []User
	err := s.db(ctx).Joins("JOIN domain_stewards ds ON ds.user_id = users.id").
		Where("ds.domain_id = ?", domainID).Order("users.name").Find(&out).Error
	return out, err
}

// AddSteward makes the person with email a steward of d. Only admins may.
func (s *Store) AddSteward(ctx context.Context, actor *User, d *Domain, email string) (*User, error) {
	if err := Authorize(actor, ActManageDomains, nil); err != nil {
		return nil, err
	}
	var u User
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("email = ?", NormalizeEmail(email)).First(&u).Error; err != nil {
			if isNotFound(notFound(err)) {
				return Invalid("email", "Nobody with this email has signed in or been added yet.")
			}
			return err
		}
		if !u.Active() {
			return Invalid("email", "This person is deactivated.")
		}
		row := DomainSteward{DomainID: d.ID, UserID: u.ID, CreatedAt: s.now()}
		if err := tx.Create(&row).Error; err != nil {
			if isDuplicate(err) {
				return Invalid("email", u.DisplayName()+" is already a steward of this domain.")
			}
			return err
		}
		return s.auditObject(ctx, tx, actor, "domain.steward.add", "domain", d.Slug, nil, map[string]any{"steward": u.Email})
	})
	if err != nil {
		return nil, fmt.Errorf("add steward: %w", err)
	}
	return &u, nil
}

// RemoveSteward ends a person's stewardship of d. Only admins may.
func (s *Store) RemoveSteward(ctx context.Context, actor *User, d *Domain, userID uint) error {
	if err := Authorize(actor, ActManageDomains, nil); err != nil {
		return err
	}
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var u User
		if err := tx.First(&u, userID).Error; err != nil {
			return notFound(err)
		}
		res := tx.Where("domain_id = ? AND user_id = ?", d.ID, userID).Delete(&DomainSteward{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("steward: %w", ErrNotFound)
		}
		return s.auditObject(ctx, tx, actor, "domain.steward.remove", "domain", d.Slug, map[string]any{"steward": u.Email}, nil)
	})
}

// StewardDomains lists the ids of the domains u stewards.
func (s *Store) StewardDomains(ctx context.Context, userID uint) ([]uint, error) {
	var ids []uint
	err := s.db(ctx).Model(&DomainSteward{}).Where("user_id = ?", userID).Pluck("domain_id", &ids).Error
	return ids, err
}
