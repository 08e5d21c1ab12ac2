package models

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Classifications of a data product, from open to closed. Classification
// decides how many approvals an access request needs.
const (
	ClassPublic       = "public"
	ClassInternal     = "internal"
	ClassConfidential = "confidential"
	ClassRestricted   = "restricted"
)

// Classifications lists every classification, from open to closed.
var Classifications = []string{ClassPublic, ClassInternal, ClassConfidential, ClassRestricted}

// ClassificationMeaning says what a classification means to a consumer.
var ClassificationMeaning = map[string]string{
	ClassPublic:       "Anyone signed in may use it without asking.",
	ClassInternal:     "Ask for access; one owner approves.",
	ClassConfidential: "Ask for access and accept the terms of use; one owner approves.",
	ClassRestricted:   "Ask for access; a product owner and a governance steward both approve.",
}

// The lifecycle of a data product: draft -> published -> deprecated -> retired.
const (
	StatusDraft      = "draft"
	StatusPublished  = "published"
	StatusDeprecated = "deprecated"
	StatusRetired    = "retired"
)

// Statuses lists the lifecycle in order.
var Statuses = []string{StatusDraft, StatusPublished, StatusDeprecated, StatusRetired}

// StatusMeaning says what a status means to consumers.
var StatusMeaning = map[string]string{
	StatusDraft:      "Being designed: visible to its team and admins, not yet offered to consumers.",
	StatusPublished:  "Offered to consumers: its contract is a promise the owners keep.",
	StatusDeprecated: "Still served, but consumers should move to the suggested replacement.",
	StatusRetired:    "No longer served: kept for its history and lineage.",
}

// nextStatuses says where each status may move. Owners move their products;
// retired is final.
var nextStatuses = map[string][]string{
	StatusDraft:      {StatusPublished, StatusRetired},
	StatusPublished:  {StatusDeprecated},
	StatusDeprecated: {StatusPublished, StatusRetired},
	StatusRetired:    {},
}

// NextStatuses lists the statuses a product in status may move to.
func NextStatuses(status string) []string { return nextStatuses[status] }

// Port formats Plaza knows; others are allowed but shown as they are.
var PortFormats = []string{"parquet", "csv", "json", "api", "table", "stream"}

// ColumnTypes are the logical column types offered in the schema editor;
// they follow ODCS logical types, with SQL names accepted on import.
var ColumnTypes = []string{"string", "integer", "number", "decimal", "boolean", "date", "timestamp", "array", "object"}

// Product is a data product: owned by a team in a domain, described well
// enough that a consumer can trust and use it without asking anyone.
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
	ContractExtra  string `gorm:"type:text"` // ODCS parts Plaza does not model, kept for the round trip
	PublishedAt    *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time `gorm:"index"`

	Tags        []ProductTag  `gorm:"constraint:OnDelete:CASCADE"`
	OutputPorts []OutputPort  `gorm:"constraint:OnDelete:CASCADE"`
	InputPorts  []InputPort   `gorm:"constraint:OnDelete:CASCADE"`
	Quality     []QualityRule `gorm:"constraint:OnDelete:CASCADE"`
}

// ProductTag is one tag of a product.
type ProductTag struct {
	ID        uint   `gorm:"primaryKey"`
	ProductID uint   `gorm:"not null;uniqueIndex:idx_product_tag"`
	Tag       string `gorm:"size:40;not null;uniqueIndex:idx_product_tag;index"`
}

// OutputPort is one way a product is served, with its schema.
type OutputPort struct {
	ID          uint     `gorm:"primaryKey"`
	ProductID   uint     `gorm:"not null;uniqueIndex:idx_port_slug"`
	Slug        string   `gorm:"size:60;not null;uniqueIndex:idx_port_slug"`
	Name        string   `gorm:"size:120;not null"`
	Format      string   `gorm:"size:32;not null"`
	Description string   `gorm:"size:2000"`
	Position    int      `gorm:"not null"`
	Columns     []Column `gorm:"foreignKey:PortID;constraint:OnDelete:CASCADE"`
}

// Column is one field of an output port's schema.
type Column struct {
	ID          uint          `gorm:"primaryKey"`
	PortID      uint          `gorm:"not null;index"`
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

// InputPort is where a product's data comes from: an upstream product's
// port, or a landing folder of its own domain.
type InputPort struct {
	ID                uint   `gorm:"primaryKey"`
	ProductID         uint   `gorm:"not null;index"`
	Position          int    `gorm:"not null"`
	UpstreamProductID *uint  `gorm:"index"`
	UpstreamPort      string `gorm:"size:60"`
	Landing           string `gorm:"size:255"` // a glob under landing/<domain>/
	Description       string `gorm:"size:1000"`
}

// QualityRule is a check the product promises, from its contract or its owners.
type QualityRule struct {
	ID          uint   `gorm:"primaryKey"`
	ProductID   uint   `gorm:"not null;index"`
	Position    int    `gorm:"not null"`
	Port        string `gorm:"size:60"` // port slug; empty for the product as a whole
	Column      string `gorm:"size:128"`
	Kind        string `gorm:"size:32;not null"` // not_null, unique, accepted_values, range, row_count, freshness, sql
	Description string `gorm:"size:1000"`
	Spec        string `gorm:"type:text"` // the rule's parameters as JSON
	Blocking    bool   `gorm:"not null"`
}

// ProductRedirect keeps an old address of a renamed product working.
type ProductRedirect struct {
	ID        uint   `gorm:"primaryKey"`
	OldDomain string `gorm:"size:40;not null;uniqueIndex:idx_redirect_old"`
	OldSlug   string `gorm:"size:60;not null;uniqueIndex:idx_redirect_old"`
	ProductID uint   `gorm:"not null;index"`
}

// URN is the product's stable address: urn:plaza:<domain>:<product>.
func (p *Product) URN() string { return "urn:plaza:" + p.Domain.Slug + ":" + p.Slug }

// Path is the product's page.
func (p *Product) Path() string { return "/products/" + p.Domain.Slug + "/" + p.Slug }

// PortURN is the address of one of the product's output ports.
func (p *Product) PortURN(port string) string { return p.URN() + ":" + port }

// TagNames lists the product's tags, sorted.
func (p *Product) TagNames() []string {
	out := make([]string, len(p.Tags))
	for i, t := range p.Tags {
		out[i] = t.Tag
	}
	sort.Strings(out)
	return out
}

// Visible reports whether u may see the product at all: drafts only to
// their team and admins.
func (p *Product) Visible(u *User, scope *Scope) bool {
	if p.Status != StatusDraft {
		return u.Active()
	}
	return Can(u, ActEditProduct, scope)
}

// ProductInput is everything a person (form, JSON or contract) says about a
// product. The store validates it and writes it whole.
type ProductInput struct {
	Slug           string             `json:"slug"`
	Name           string             `json:"name"`
	Team           string             `json:"team"` // a team slug of the product's domain
	Summary        string             `json:"summary"`
	Description    string             `json:"description"`
	Classification string             `json:"classification"`
	Version        string             `json:"version"`
	TermsOfUse     string             `json:"terms_of_use"`
	Tags           []string           `json:"tags"`
	FreshnessHours int                `json:"freshness_hours"`
	Availability   string             `json:"availability"`
	SupportChannel string             `json:"support_channel"`
	ResponseTime   string             `json:"response_time"`
	OutputPorts    []PortInput        `json:"output_ports"`
	InputPorts     []InputPortInput   `json:"input_ports"`
	Quality        []QualityRuleInput `json:"quality"`
	ContractExtra  string             `json:"-"`
}

// PortInput describes one output port and its schema.
type PortInput struct {
	Slug        string        `json:"slug"`
	Name        string        `json:"name"`
	Format      string        `json:"format"`
	Description string        `json:"description"`
	Columns     []ColumnInput `json:"columns"`
}

// ColumnInput describes one column.
type ColumnInput struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description"`
	Nullable    bool   `json:"nullable"`
	PrimaryKey  bool   `json:"primary_key"`
	PII         bool   `json:"pii"`
	Term        string `json:"term"` // "<domain>/<term>" or a term slug of the product's domain
}

// InputPortInput names an upstream product port ("<domain>/<product>[/<port>]")
// or a landing glob.
type InputPortInput struct {
	Upstream    string `json:"upstream"`
	Landing     string `json:"landing"`
	Description string `json:"description"`
}

// QualityRuleInput is one quality rule.
type QualityRuleInput struct {
	Port        string `json:"port"`
	Column      string `json:"column"`
	Kind        string `json:"kind"`
	Description string `json:"description"`
	Spec        string `json:"spec"`
	Blocking    bool   `json:"blocking"`
}

// QualityKinds are the rule kinds Plaza runs.
var QualityKinds = []string{"not_null", "unique", "accepted_values", "range", "row_count", "freshness", "sql"}

var (
	semverPattern = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
	columnPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	tagPattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
)

func (in *ProductInput) normalize() {
	trim := func(s *string) { *s = strings.TrimSpace(*s) }
	for _, s := range []*string{&in.Slug, &in.Name, &in.Team, &in.Summary, &in.Classification, &in.Version,
		&in.Availability, &in.SupportChannel, &in.ResponseTime} {
		trim(s)
	}
	in.Description = strings.TrimRight(in.Description, " \n\t")
	in.TermsOfUse = strings.TrimSpace(in.TermsOfUse)
	if in.Version == "" {
		in.Version = "1.0.0"
	}
	seen := map[string]bool{}
	tags := in.Tags[:0:0]
	for _, t := range in.Tags {
		t = strings.ToLower(strings.TrimSpace(t))
		if t != "" && !seen[t] {
			seen[t] = true
			tags = append(tags, t)
		}
	}
	in.Tags = tags
	for i := range in.OutputPorts {
		p := &in.OutputPorts[i]
		trim(&p.Slug)
		trim(&p.Name)
		trim(&p.Format)
		trim(&p.Description)
		p.Format = strings.ToLower(p.Format)
		if p.Slug == "" && p.Name != "" {
			p.Slug = Slugify(p.Name)
		}
		if p.Name == "" {
			p.Name = p.Slug
		}
		cols := p.Columns[:0:0]
		for _, c := range p.Columns {
			c.Name, c.Type, c.Description, c.Term = strings.TrimSpace(c.Name), strings.ToLower(strings.TrimSpace(c.Type)), strings.TrimSpace(c.Description), strings.TrimSpace(c.Term)
			if c == (ColumnInput{}) {
				continue // an empty row of the schema editor
			}
			cols = append(cols, c)
		}
		p.Columns = cols
	}
}

func (in *ProductInput) validate() *ValidationError {
	v := &ValidationError{}
	checkSlug(v, "slug", in.Slug)
	checkText(v, "name", "Name", in.Name, true, 120)
	checkText(v, "summary", "Summary", in.Summary, false, 300)
	checkText(v, "description", "Description", in.Description, false, 50000)
	checkText(v, "terms_of_use", "Terms of use", in.TermsOfUse, false, 20000)
	if in.Team == "" {
		v.Add("team", "Choose the team that owns this product.")
	}
	if !contains(Classifications, in.Classification) {
		v.Add("classification", "Choose public, internal, confidential or restricted.")
	}
	if !semverPattern.MatchString(in.Version) {
		v.Add("version", "Use a semantic version like 1.2.0.")
	}
	if len(in.Tags) > 20 {
		v.Add("tags", "At most 20 tags.")
	}
	for _, t := range in.Tags {
		if len(t) > 40 || !tagPattern.MatchString(t) {
			v.Add("tags", fmt.Sprintf("Tag %q: use lower-case letters, digits and hyphens, at most 40 characters.", t))
		}
	}
	if in.FreshnessHours < 0 || in.FreshnessHours > 24*366 {
		v.Add("freshness_hours", "Freshness is a number of hours between 0 and 8784.")
	}
	checkText(v, "availability", "Availability", in.Availability, false, 32)
	checkText(v, "support_channel", "Support channel", in.SupportChannel, false, 255)
	checkText(v, "response_time", "Response time", in.ResponseTime, false, 64)
	ports := map[string]bool{}
	for i, p := range in.OutputPorts {
		f := fmt.Sprintf("output_ports[%d]", i)
		if p.Slug == "" || !slugPattern.MatchString(p.Slug) || len(p.Slug) > 60 {
			v.Add(f+".name", "Give the port a name of letters and digits (it becomes its address).")
		} else if ports[p.Slug] {
			v.Add(f+".name", fmt.Sprintf("Two ports are named %q.", p.Slug))
		}
		ports[p.Slug] = true
		checkText(v, f+".name", "Port name", p.Name, false, 120)
		if p.Format == "" {
			v.Add(f+".format", "Choose the port's format.")
		}
		checkText(v, f+".description", "Port description", p.Description, false, 2000)
		names := map[string]bool{}
		for j, c := range p.Columns {
			cf := fmt.Sprintf("%s.columns[%d]", f, j)
			switch {
			case c.Name == "":
				v.Add(cf+".name", "Name the column.")
			case len(c.Name) > 128 || !columnPattern.MatchString(c.Name):
				v.Add(cf+".name", "Use letters, digits and underscores, starting with a letter.")
			case names[strings.ToLower(c.Name)]:
				v.Add(cf+".name", fmt.Sprintf("Two columns are named %q.", c.Name))
			}
			names[strings.ToLower(c.Name)] = true
			if c.Type == "" {
				v.Add(cf+".type", "Choose the column's type.")
			} else if len(c.Type) > 64 {
				v.Add(cf+".type", "Type must be at most 64 characters.")
			}
			checkText(v, cf+".description", "Column description", c.Description, false, 2000)
		}
	}
	for i, ip := range in.InputPorts {
		f := fmt.Sprintf("input_ports[%d]", i)
		if (ip.Upstream == "") == (ip.Landing == "") {
			v.Add(f+".upstream", "Name either an upstream product (domain/product[/port]) or a landing folder.")
		}
	}
	for i, q := range in.Quality {
		if !contains(QualityKinds, q.Kind) {
			v.Add(fmt.Sprintf("quality[%d].kind", i), "Unknown rule kind "+q.Kind+".")
		}
	}
	return v
}

// ErrMoved is returned when a product was renamed: To is its new path.
type ErrMoved struct{ To string }

func (e *ErrMoved) Error() string { return "moved to " + e.To }

// ProductBySlug loads a product with everything its page shows. A renamed
// product's old address returns *ErrMoved.
func (s *Store) ProductBySlug(ctx context.Context, domain, slug string) (*Product, error) {
	var p Product
	err := s.productQuery(ctx).Joins("JOIN domains ON domains.id = products.domain_id").
		Where("domains.slug = ? AND products.slug = ?", domain, slug).First(&p).Error
	if isNotFound(err) {
		var r ProductRedirect
		if rerr := s.db(ctx).Where("old_domain = ? AND old_slug = ?", domain, slug).First(&r).Error; rerr == nil {
			moved, err := s.ProductByID(ctx, r.ProductID)
			if err != nil {
				return nil, err
			}
			return nil, &ErrMoved{To: moved.Path()}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("product %s/%s: %w", domain, slug, notFound(err))
	}
	return &p, nil
}

// ProductByID loads a product with everything its page shows.
func (s *Store) ProductByID(ctx context.Context, id uint) (*Product, error) {
	var p Product
	if err := s.productQuery(ctx).First(&p, id).Error; err != nil {
		return nil, fmt.Errorf("product %d: %w", id, notFound(err))
	}
	return &p, nil
}

func (s *Store) productQuery(ctx context.Context) *gorm.DB {
	return s.db(ctx).Preload("Domain").Preload("Team").Preload("Team.Domain").Preload("Tags").
		Preload("OutputPorts", func(db *gorm.DB) *gorm.DB { return db.Order("position") }).
		Preload("OutputPorts.Columns", func(db *gorm.DB) *gorm.DB { return db.Order("position") }).
		Preload("OutputPorts.Columns.Term").Preload("OutputPorts.Columns.Term.Domain").
		Preload("InputPorts", func(db *gorm.DB) *gorm.DB { return db.Order("position") }).
		Preload("Quality", func(db *gorm.DB) *gorm.DB { return db.Order("position") })
}

// productScope returns u's scope for a product: their role in its team.
func (s *Store) productScope(ctx context.Context, tx *gorm.DB, u *User, teamID uint) (*Scope, error) {
	scope := &Scope{}
	if u == nil {
		return scope, nil
	}
	var m Membership
	err := tx.WithContext(ctx).Where("team_id = ? AND user_id = ?", teamID, u.ID).First(&m).Error
	if err != nil && !isNotFound(err) {
		return nil, err
	}
	scope.TeamRole = m.Role
	return scope, nil
}

// ProductScope returns the scope u acts in for product p.
func (s *Store) ProductScope(ctx context.Context, u *User, p *Product) (*Scope, error) {
	return s.productScope(ctx, s.DB, u, p.TeamID)
}

// CreateProduct adds a draft product to a domain. Admins and the owners of
// the chosen team may.
func (s *Store) CreateProduct(ctx context.Context, actor *User, domainSlug string, in ProductInput) (*Product, error) {
	in.normalize()
	var id uint
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var d Domain
		if err := tx.Where("slug = ?", domainSlug).First(&d).Error; err != nil {
			return fmt.Errorf("domain %q: %w", domainSlug, notFound(err))
		}
		team, err := s.resolveTeam(tx, d.ID, in.Team)
		if err != nil {
			return err
		}
		scope, err := s.productScope(ctx, tx, actor, team.ID)
		if err != nil {
			return err
		}
		if err := Authorize(actor, ActEditProduct, scope); err != nil {
			return err
		}
		if d.Archived() {
			return Invalid("domain", "This domain is archived; restore it before adding products.")
		}
		p := Product{DomainID: d.ID, TeamID: team.ID, Status: StatusDraft}
		if err := s.writeProduct(ctx, tx, &p, in); err != nil {
			return err
		}
		id = p.ID
		p.Domain = d
		return s.auditObject(ctx, tx, actor, "product.create", "product", d.Slug+"/"+p.Slug, nil, productAudit(&p, in))
	})
	if err != nil {
		return nil, fmt.Errorf("create product: %w", err)
	}
	return s.ProductByID(ctx, id)
}

// UpdateProduct replaces a product's description, schema and SLA with in.
// A new slug keeps the old address working.
func (s *Store) UpdateProduct(ctx context.Context, actor *User, p *Product, in ProductInput) (*Product, error) {
	in.normalize()
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		scope, err := s.productScope(ctx, tx, actor, p.TeamID)
		if err != nil {
			return err
		}
		if err := Authorize(actor, ActEditProduct, scope); err != nil {
			return err
		}
		team, err := s.resolveTeam(tx, p.DomainID, in.Team)
		if err != nil {
			return err
		}
		if team.ID != p.TeamID {
			// Handing a product to another team is an owner's decision too.
			to, err := s.productScope(ctx, tx, actor, team.ID)
			if err != nil {
				return err
			}
			if err := Authorize(actor, ActEditProduct, to); err != nil {
				return err
			}
		}
		before := productAudit(p, inputOf(p))
		next := *p
		next.TeamID = team.ID
		if err := s.writeProduct(ctx, tx, &next, in); err != nil {
			return err
		}
		if next.Slug != p.Slug {
			if err := tx.Where("old_domain = ? AND old_slug = ?", p.Domain.Slug, next.Slug).Delete(&ProductRedirect{}).Error; err != nil {
				return err
			}
			if err := tx.Create(&ProductRedirect{OldDomain: p.Domain.Slug, OldSlug: p.Slug, ProductID: p.ID}).Error; err != nil {
				return err
			}
		}
		if err := s.auditObject(ctx, tx, actor, "product.update", "product", p.Domain.Slug+"/"+next.Slug, before, productAudit(&next, in)); err != nil {
			return err
		}
		if next.Classification != p.Classification {
			// New requests follow the new classification's policy; the
			// people who already hold access are put up for review.
			next.Domain = p.Domain
			return s.requestReviews(ctx, tx, &next, fmt.Sprintf("Its classification changed from %s to %s", p.Classification, next.Classification))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update product %s: %w", p.Slug, err)
	}
	s.mailQueued()
	return s.ProductByID(ctx, p.ID)
}

func (s *Store) resolveTeam(tx *gorm.DB, domainID uint, slug string) (*Team, error) {
	if slug == "" {
		return nil, Invalid("team", "Choose the team that owns this product.")
	}
	var t Team
	if err := tx.Where("domain_id = ? AND slug = ?", domainID, slug).First(&t).Error; err != nil {
		if isNotFound(err) {
			return nil, Invalid("team", fmt.Sprintf("This domain has no team %q.", slug))
		}
		return nil, err
	}
	if t.Archived() {
		return nil, Invalid("team", "That team is archived.")
	}
	return &t, nil
}

// writeProduct validates in and saves p with it: fields, tags, ports,
// columns, inputs and rules, replacing what was there.
func (s *Store) writeProduct(ctx context.Context, tx *gorm.DB, p *Product, in ProductInput) error {
	v := in.validate()
	terms, err := s.resolveTerms(tx, p.DomainID, in, v)
	if err != nil {
		return err
	}
	upstreams, err := s.resolveUpstreams(tx, in, v)
	if err != nil {
		return err
	}
	if err := v.OrNil(); err != nil {
		return err
	}
	p.Slug, p.Name, p.Summary, p.Description = in.Slug, in.Name, in.Summary, in.Description
	p.Classification, p.Version, p.TermsOfUse = in.Classification, in.Version, in.TermsOfUse
	p.FreshnessHours, p.Availability, p.SupportChannel, p.ResponseTime = in.FreshnessHours, in.Availability, in.SupportChannel, in.ResponseTime
	p.ContractExtra = in.ContractExtra
	p.Tags, p.OutputPorts, p.InputPorts, p.Quality = nil, nil, nil, nil
	if err := tx.Omit("Domain", "Team", "Tags", "OutputPorts", "InputPorts", "Quality").Save(p).Error; err != nil {
		if isDuplicate(err) {
			return Invalid("slug", fmt.Sprintf("This domain already has a product with the slug %q.", in.Slug))
		}
		return err
	}
	for _, model := range []any{&ProductTag{}, &InputPort{}, &QualityRule{}} {
		if err := tx.Where("product_id = ?", p.ID).Delete(model).Error; err != nil {
			return err
		}
	}
	if err := tx.Where("port_id IN (?)", tx.Model(&OutputPort{}).Select("id").Where("product_id = ?", p.ID)).Delete(&Column{}).Error; err != nil {
		return err
	}
	if err := tx.Where("product_id = ?", p.ID).Delete(&OutputPort{}).Error; err != nil {
		return err
	}
	for _, t := range in.Tags {
		p.Tags = append(p.Tags, ProductTag{ProductID: p.ID, Tag: t})
	}
	if len(p.Tags) > 0 {
		if err := tx.Create(&p.Tags).Error; err != nil {
			return err
		}
	}
	for i, pi := range in.OutputPorts {
		port := OutputPort{ProductID: p.ID, Slug: pi.Slug, Name: pi.Name, Format: pi.Format, Description: pi.Description, Position: i}
		if err := tx.Omit("Columns").Create(&port).Error; err != nil {
			return err
		}
		cols := make([]Column, 0, len(pi.Columns))
		for j, ci := range pi.Columns {
			cols = append(cols, Column{PortID: port.ID, Position: j, Name: ci.Name, Type: ci.Type, Description: ci.Description,
				Nullable: ci.Nullable, PrimaryKey: ci.PrimaryKey, PII: ci.PII, TermID: terms[ci.Term]})
		}
		if len(cols) > 0 {
			if err := tx.Omit("Term").CreateInBatches(cols, 200).Error; err != nil {
				return err
			}
		}
	}
	for i, ip := range in.InputPorts {
		row := InputPort{ProductID: p.ID, Position: i, Landing: ip.Landing, Description: ip.Description}
		if u, ok := upstreams[ip.Upstream]; ok {
			row.UpstreamProductID, row.UpstreamPort = &u.id, u.port
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
	}
	for i, q := range in.Quality {
		rule := QualityRule{ProductID: p.ID, Position: i, Port: q.Port, Column: q.Column, Kind: q.Kind,
			Description: q.Description, Spec: q.Spec, Blocking: q.Blocking}
		if err := tx.Create(&rule).Error; err != nil {
			return err
		}
	}
	return s.indexProduct(ctx, tx, p.ID)
}

// resolveTerms maps each column's term reference to a glossary term id.
func (s *Store) resolveTerms(tx *gorm.DB, domainID uint, in ProductInput, v *ValidationError) (map[string]*uint, error) {
	out := map[string]*uint{"": nil}
	for i, p := range in.OutputPorts {
		for j, c := range p.Columns {
			if _, done := out[c.Term]; done {
				continue
			}
			q := tx.Model(&GlossaryTerm{}).Select("glossary_terms.id")
			if dom, term, ok := strings.Cut(c.Term, "/"); ok {
				q = q.Joins("JOIN domains ON domains.id = glossary_terms.domain_id").Where("domains.slug = ? AND glossary_terms.slug = ?", dom, term)
			} else {
				q = q.Where("glossary_terms.domain_id = ? AND glossary_terms.slug = ?", domainID, c.Term)
			}
			var ids []uint
			if err := q.Limit(1).Pluck("glossary_terms.id", &ids).Error; err != nil {
				return nil, err
			}
			if len(ids) == 0 {
				v.Add(fmt.Sprintf("output_ports[%d].columns[%d].term", i, j), fmt.Sprintf("No glossary term %q.", c.Term))
				continue
			}
			out[c.Term] = &ids[0]
		}
	}
	return out, nil
}

type upstream struct {
	id   uint
	port string
}

// resolveUpstreams maps "domain/product[/port]" references to products.
func (s *Store) resolveUpstreams(tx *gorm.DB, in ProductInput, v *ValidationError) (map[string]upstream, error) {
	out := map[string]upstream{}
	for i, ip := range in.InputPorts {
		if ip.Upstream == "" {
			continue
		}
		parts := strings.Split(strings.TrimPrefix(ip.Upstream, "urn:plaza:"), "/")
		if len(parts) == 1 {
			parts = strings.Split(parts[0], ":")
		}
		if len(parts) < 2 || len(parts) > 3 {
			v.Add(fmt.Sprintf("input_ports[%d].upstream", i), "Name the upstream as domain/product or domain/product/port.")
			continue
		}
		var ids []uint
		err := tx.Model(&Product{}).Joins("JOIN domains ON domains.id = products.domain_id").
			Where("domains.slug = ? AND products.slug = ?", parts[0], parts[1]).Limit(1).Pluck("products.id", &ids).Error
		if err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			v.Add(fmt.Sprintf("input_ports[%d].upstream", i), fmt.Sprintf("No product %s/%s.", parts[0], parts[1]))
			continue
		}
		u := upstream{id: ids[0]}
		if len(parts) == 3 {
			u.port = parts[2]
		}
		out[ip.Upstream] = u
	}
	return out, nil
}

// inputOf turns a loaded product back into the input that would write it.
func inputOf(p *Product) ProductInput {
	in := ProductInput{Slug: p.Slug, Name: p.Name, Team: p.Team.Slug, Summary: p.Summary, Description: p.Description,
		Classification: p.Classification, Version: p.Version, TermsOfUse: p.TermsOfUse, Tags: p.TagNames(),
		FreshnessHours: p.FreshnessHours, Availability: p.Availability, SupportChannel: p.SupportChannel,
		ResponseTime: p.ResponseTime, ContractExtra: p.ContractExtra}
	for _, port := range p.OutputPorts {
		pi := PortInput{Slug: port.Slug, Name: port.Name, Format: port.Format, Description: port.Description}
		for _, c := range port.Columns {
			ci := ColumnInput{Name: c.Name, Type: c.Type, Description: c.Description, Nullable: c.Nullable, PrimaryKey: c.PrimaryKey, PII: c.PII}
			if c.Term != nil {
				ci.Term = c.Term.Ref()
			}
			pi.Columns = append(pi.Columns, ci)
		}
		in.OutputPorts = append(in.OutputPorts, pi)
	}
	for _, q := range p.Quality {
		in.Quality = append(in.Quality, QualityRuleInput{Port: q.Port, Column: q.Column, Kind: q.Kind, Description: q.Description, Spec: q.Spec, Blocking: q.Blocking})
	}
	return in
}

// InputOf is the input that would write p as it is: the edit form starts from it.
func (s *Store) InputOf(ctx context.Context, p *Product) (ProductInput, error) {
	in := inputOf(p)
	for _, ip := range p.InputPorts {
		row := InputPortInput{Landing: ip.Landing, Description: ip.Description}
		if ip.UpstreamProductID != nil {
			up, err := s.ProductByID(ctx, *ip.UpstreamProductID)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return in, err
			}
			if up != nil {
				row.Upstream = up.Domain.Slug + "/" + up.Slug
				if ip.UpstreamPort != "" {
					row.Upstream += "/" + ip.UpstreamPort
				}
			}
		}
		in.InputPorts = append(in.InputPorts, row)
	}
	return in, nil
}

// productAudit is what the audit log records of a product: its fields and
// a readable outline of its schema.
func productAudit(p *Product, in ProductInput) map[string]any {
	ports := make([]string, 0, len(in.OutputPorts))
	for _, port := range in.OutputPorts {
		cols := make([]string, 0, len(port.Columns))
		for _, c := range port.Columns {
			cols = append(cols, c.Name+" "+c.Type)
		}
		ports = append(ports, port.Slug+"("+strings.Join(cols, ", ")+")")
	}
	return map[string]any{
		"slug": in.Slug, "name": in.Name, "team": in.Team, "summary": in.Summary, "description": in.Description,
		"classification": in.Classification, "status": p.Status, "version": in.Version, "terms_of_use": in.TermsOfUse,
		"tags": strings.Join(in.Tags, ", "), "freshness_hours": in.FreshnessHours, "availability": in.Availability,
		"support_channel": in.SupportChannel, "response_time": in.ResponseTime, "output_ports": strings.Join(ports, "; "),
	}
}

// SetProductStatus moves a product along its lifecycle. Deprecating may
// name a replacement ("domain/product").
func (s *Store) SetProductStatus(ctx context.Context, actor *User, p *Product, status, replacement string) (*Product, error) {
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		scope, err := s.productScope(ctx, tx, actor, p.TeamID)
		if err != nil {
			return err
		}
		if err := Authorize(actor, ActEditProduct, scope); err != nil {
			return err
		}
		if !contains(NextStatuses(p.Status), status) {
			return Invalid("status", fmt.Sprintf("A %s product cannot become %s.", p.Status, status))
		}
		if status == StatusPublished && len(p.OutputPorts) == 0 {
			return Invalid("status", "Describe at least one output port with its schema before publishing.")
		}
		update := map[string]any{"status": status, "replacement_id": nil}
		if status == StatusPublished && p.PublishedAt == nil {
			update["published_at"] = s.now()
		}
		if status == StatusDeprecated && replacement != "" {
			dom, slug, _ := strings.Cut(replacement, "/")
			var ids []uint
			if err := tx.Model(&Product{}).Joins("JOIN domains ON domains.id = products.domain_id").
				Where("domains.slug = ? AND products.slug = ? AND products.id <> ?", dom, slug, p.ID).Pluck("products.id", &ids).Error; err != nil {
				return err
			}
			if len(ids) == 0 {
				return Invalid("replacement", fmt.Sprintf("No product %q to suggest instead.", replacement))
			}
			update["replacement_id"] = ids[0]
		}
		if err := tx.Model(&Product{}).Where("id = ?", p.ID).Updates(update).Error; err != nil {
			return err
		}
		if err := s.indexProduct(ctx, tx, p.ID); err != nil {
			return err
		}
		key := p.Domain.Slug + "/" + p.Slug
		return s.auditObject(ctx, tx, actor, "product."+status, "product", key,
			map[string]any{"status": p.Status}, map[string]any{"status": status, "replacement": replacement})
	})
	if err != nil {
		return nil, fmt.Errorf("set status of %s: %w", p.Slug, err)
	}
	return s.ProductByID(ctx, p.ID)
}

// Replacement returns the product suggested instead of a deprecated one, or nil.
func (s *Store) Replacement(ctx context.Context, p *Product) (*Product, error) {
	if p.ReplacementID == nil {
		return nil, nil
	}
	r, err := s.ProductByID(ctx, *p.ReplacementID)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return r, err
}

// ProductOwners lists the owners of the product's team: the people to ask.
func (s *Store) ProductOwners(ctx context.Context, p *Product) ([]User, error) {
	var users []User
	err := s.db(ctx).Joins("JOIN memberships ON memberships.user_id = users.id").
		Where("memberships.team_id = ? AND memberships.role = ?", p.TeamID, RoleOwner).
		Order("users.name").Find(&users).Error
	if err != nil {
		return nil, fmt.Errorf("owners of %s: %w", p.Slug, err)
	}
	return users, nil
}

// ProductHistory lists the audit events of a product, newest first.
func (s *Store) ProductHistory(ctx context.Context, p *Product, limit int) ([]AuditEvent, error) {
	var evs []AuditEvent
	keys := []string{p.Domain.Slug + "/" + p.Slug}
	var redirects []ProductRedirect
	if err := s.db(ctx).Where("product_id = ?", p.ID).Find(&redirects).Error; err != nil {
		return nil, err
	}
	for _, r := range redirects {
		keys = append(keys, r.OldDomain+"/"+r.OldSlug)
	}
	err := s.db(ctx).Where("object_type = ? AND object_id IN ?", "product", keys).Order("id DESC").Limit(limit).Find(&evs).Error
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", p.Slug, err)
	}
	return evs, nil
}

// LineageRef is one product upstream or downstream of another.
type LineageRef struct {
	DomainSlug  string
	ProductSlug string
	Name        string
	Status      string
	Port        string // the upstream port read, when named
}

// Path is the linked product's page.
func (r LineageRef) Path() string { return "/products/" + r.DomainSlug + "/" + r.ProductSlug }

// Lineage lists the products p reads from and the products that read p.
func (s *Store) Lineage(ctx context.Context, p *Product) (up, down []LineageRef, err error) {
	err = s.db(ctx).Table("input_ports").
		Select("domains.slug AS domain_slug, products.slug AS product_slug, products.name, products.status, input_ports.upstream_port AS port").
		Joins("JOIN products ON products.id = input_ports.upstream_product_id").
		Joins("JOIN domains ON domains.id = products.domain_id").
		Where("input_ports.product_id = ?", p.ID).Order("input_ports.position").Scan(&up).Error
	if err != nil {
		return nil, nil, fmt.Errorf("upstreams of %s: %w", p.Slug, err)
	}
	err = s.db(ctx).Table("input_ports").
		Select("DISTINCT domains.slug AS domain_slug, products.slug AS product_slug, products.name, products.status, input_ports.upstream_port AS port").
		Joins("JOIN products ON products.id = input_ports.product_id").
		Joins("JOIN domains ON domains.id = products.domain_id").
		Where("input_ports.upstream_product_id = ?", p.ID).Order("domains.slug, products.slug").Scan(&down).Error
	if err != nil {
		return nil, nil, fmt.Errorf("downstreams of %s: %w", p.Slug, err)
	}
	// What the pipelines read counts too, declared or not.
	var pipeUp, pipeDown []LineageRef
	err = s.db(ctx).Table("pipeline_inputs").
		Select("domains.slug AS domain_slug, products.slug AS product_slug, products.name, products.status, pipeline_inputs.upstream_port AS port").
		Joins("JOIN pipelines ON pipelines.id = pipeline_inputs.pipeline_id").
		Joins("JOIN products ON products.id = pipeline_inputs.upstream_product_id").
		Joins("JOIN domains ON domains.id = products.domain_id").
		Where("pipelines.product_id = ?", p.ID).Order("pipelines.port, pipeline_inputs.position").Scan(&pipeUp).Error
	if err != nil {
		return nil, nil, fmt.Errorf("pipeline upstreams of %s: %w", p.Slug, err)
	}
	err = s.db(ctx).Table("pipeline_inputs").
		Select("DISTINCT domains.slug AS domain_slug, products.slug AS product_slug, products.name, products.status, pipeline_inputs.upstream_port AS port").
		Joins("JOIN pipelines ON pipelines.id = pipeline_inputs.pipeline_id").
		Joins("JOIN products ON products.id = pipelines.product_id").
		Joins("JOIN domains ON domains.id = products.domain_id").
		Where("pipeline_inputs.upstream_product_id = ?", p.ID).Order("domains.slug, products.slug").Scan(&pipeDown).Error
	if err != nil {
		return nil, nil, fmt.Errorf("pipeline downstreams of %s: %w", p.Slug, err)
	}
	return mergeRefs(up, pipeUp), mergeRefs(down, pipeDown), nil
}

// mergeRefs appends to refs those of more it does not hold yet.
func mergeRefs(refs, more []LineageRef) []LineageRef {
	seen := map[LineageRef]bool{}
	for _, r := range refs {
		seen[r] = true
	}
	for _, r := range more {
		if !seen[r] {
			seen[r] = true
			refs = append(refs, r)
		}
	}
	return refs
}

// EditableTeams lists the active teams in which u may create products:
// all of them for admins, the teams u owns otherwise.
func (s *Store) EditableTeams(ctx context.Context, u *User) ([]Team, error) {
	q := s.db(ctx).Joins("Domain").Where("teams.archived_at IS NULL AND \"Domain\".archived_at IS NULL")
	if !u.IsAdmin {
		q = q.Where("teams.id IN (?)", s.db(ctx).Model(&Membership{}).Select("team_id").
			Where("user_id = ? AND role = ?", u.ID, RoleOwner))
	}
	var out []Team
	if err := q.Order(`"Domain".name, teams.name`).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("teams for new products: %w", err)
	}
	return out, nil
}

// ProductRefs lists every non-retired product by name, for pickers.
func (s *Store) ProductRefs(ctx context.Context) ([]LineageRef, error) {
	var out []LineageRef
	err := s.db(ctx).Table("products").
		Select("domains.slug AS domain_slug, products.slug AS product_slug, products.name, products.status").
		Joins("JOIN domains ON domains.id = products.domain_id").
		Where("products.status <> ?", StatusRetired).Order("products.name").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("product list: %w", err)
	}
	return out, nil
}
