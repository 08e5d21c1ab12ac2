package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// GlossaryTerm is a business term (Customer, Order, Revenue) owned by a
// domain. Columns that carry it link to it, so users see which products join
// on the same key across domains.
type GlossaryTerm struct {
	ID         uint   `gorm:"primaryKey"`
	DomainID   uint   `gorm:"not null;uniqueIndex:idx_term_slug"`
	Domain     Domain `gorm:"constraint:OnDelete:RESTRICT"`
	Slug       string `gorm:"size:60;not null;uniqueIndex:idx_term_slug"`
	Name       string `gorm:"size:120;not null"`
	Definition string `gorm:"type:text"`
	Synonyms   string `gorm:"size:500"` // comma-separated
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Ref is the term's reference as columns name it: "<domain>/<term>".
func (t *GlossaryTerm) Ref() string { return t.Domain.Slug + "/" + t.Slug }

// Path is the term's page.
func (t *GlossaryTerm) Path() string { return "/glossary/" + t.Domain.Slug + "/" + t.Slug }

// SynonymList splits the synonyms.
func (t *GlossaryTerm) SynonymList() []string {
	var out []string
	for _, s := range strings.Split(t.Synonyms, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (t *GlossaryTerm) auditRef() (string, string) { return "term", t.Domain.Slug + "/" + t.Slug }
func (t *GlossaryTerm) auditState() any {
	return map[string]any{"slug": t.Slug, "name": t.Name, "definition": t.Definition, "synonyms": t.Synonyms}
}

// TermInput is what a person types to define a term.
type TermInput struct {
	Slug       string `form:"slug" json:"slug"`
	Name       string `form:"name" json:"name"`
	Definition string `form:"definition" json:"definition"`
	Synonyms   string `form:"synonyms" json:"synonyms"`
}

func (in *TermInput) normalize() {
	in.Slug, in.Name, in.Definition = strings.TrimSpace(in.Slug), strings.TrimSpace(in.Name), strings.TrimSpace(in.Definition)
	var syn []string
	for _, s := range strings.Split(in.Synonyms, ",") {
		if s = strings.TrimSpace(s); s != "" {
			syn = append(syn, s)
		}
	}
	in.Synonyms = strings.Join(syn, ", ")
	if in.Slug == "" {
		in.Slug = Slugify(in.Name)
	}
}

func (in TermInput) validate() error {
	v := &ValidationError{}
	checkSlug(v, "slug", in.Slug)
	checkText(v, "name", "Name", in.Name, true, 120)
	checkText(v, "definition", "Definition", in.Definition, true, 5000)
	checkText(v, "synonyms", "Synonyms", in.Synonyms, false, 500)
	return v.OrNil()
}

// ListTerms lists glossary terms by name, of one domain or (domain "") all.
func (s *Store) ListTerms(ctx context.Context, domain string) ([]GlossaryTerm, error) {
	var out []GlossaryTerm
	q := s.db(ctx).Joins("Domain").Order("glossary_terms.name")
	if domain != "" {
		q = q.Where(`"Domain".slug = ?`, domain)
	}
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list terms: %w", err)
	}
	return out, nil
}

// TermBySlug loads a term of a domain.
func (s *Store) TermBySlug(ctx context.Context, domain, slug string) (*GlossaryTerm, error) {
	var t GlossaryTerm
	err := s.db(ctx).Joins("Domain").Where(`"Domain".slug = ? AND glossary_terms.slug = ?`, domain, slug).First(&t).Error
	if err != nil {
		return nil, fmt.Errorf("term %s/%s: %w", domain, slug, notFound(err))
	}
	return &t, nil
}

// CreateTerm adds a term to a domain's glossary. Admins and the domain's team owners may.
func (s *Store) CreateTerm(ctx context.Context, actor *User, domain string, in TermInput) (*GlossaryTerm, error) {
	in.normalize()
	var t GlossaryTerm
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var d Domain
		if err := tx.Where("slug = ?", domain).First(&d).Error; err != nil {
			if isNotFound(err) {
				return Invalid("domain", fmt.Sprintf("There is no domain %q.", domain))
			}
			return err
		}
		scope, err := s.DomainScope(ctx, actor, d.ID)
		if err != nil {
			return err
		}
		if err := Authorize(actor, ActManageGlossary, scope); err != nil {
			return err
		}
		if err := in.validate(); err != nil {
			return err
		}
		t = GlossaryTerm{DomainID: d.ID, Slug: in.Slug, Name: in.Name, Definition: in.Definition, Synonyms: in.Synonyms}
		if err := tx.Omit("Domain").Create(&t).Error; err != nil {
			if isDuplicate(err) {
				return Invalid("slug", fmt.Sprintf("The %s glossary already has the term %q.", d.Name, in.Slug))
			}
			return err
		}
		t.Domain = d
		return s.audit(ctx, tx, actor, "term.create", &t, nil, &t)
	})
	if err != nil {
		return nil, fmt.Errorf("create term: %w", err)
	}
	return &t, nil
}

// UpdateTerm edits a term. Admins and the domain's team owners may.
func (s *Store) UpdateTerm(ctx context.Context, actor *User, t *GlossaryTerm, in TermInput) (*GlossaryTerm, error) {
	in.normalize()
	var after GlossaryTerm
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		scope, err := s.DomainScope(ctx, actor, t.DomainID)
		if err != nil {
			return err
		}
		if err := Authorize(actor, ActManageGlossary, scope); err != nil {
			return err
		}
		if err := in.validate(); err != nil {
			return err
		}
		before := *t
		after = *t
		after.Slug, after.Name, after.Definition, after.Synonyms = in.Slug, in.Name, in.Definition, in.Synonyms
		if err := tx.Omit("Domain").Select("slug", "name", "definition", "synonyms", "updated_at").Save(&after).Error; err != nil {
			if isDuplicate(err) {
				return Invalid("slug", fmt.Sprintf("This glossary already has the term %q.", in.Slug))
			}
			return err
		}
		return s.audit(ctx, tx, actor, "term.update", &after, &before, &after)
	})
	if err != nil {
		return nil, fmt.Errorf("update term %s: %w", t.Slug, err)
	}
	return &after, nil
}

// TermUse is one column that carries a term.
type TermUse struct {
	DomainSlug  string
	DomainName  string
	ProductSlug string
	ProductName string
	Status      string
	Port        string
	Column      string
	ColumnType  string
	PrimaryKey  bool
}

// TermUsage lists every column, across domains, that carries the term:
// the products that join on it.
func (s *Store) TermUsage(ctx context.Context, termID uint) ([]TermUse, error) {
	var out []TermUse
	err := s.db(ctx).Table("columns").
		Select(`domains.slug AS domain_slug, domains.name AS domain_name, products.slug AS product_slug,
			products.name AS product_name, products.status, output_ports.slug AS port, columns.name AS "column",
			columns.type AS column_type, columns.primary_key`).
		Joins("JOIN output_ports ON output_ports.id = columns.port_id").
		Joins("JOIN products ON products.id = output_ports.product_id").
		Joins("JOIN domains ON domains.id = products.domain_id").
		Where("columns.term_id = ? AND products.status <> ?", termID, StatusDraft).
		Order("domains.name, products.name, output_ports.position, columns.position").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("usage of term %d: %w", termID, err)
	}
	return out, nil
}
