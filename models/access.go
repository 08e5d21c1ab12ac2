package models

// Access requests, decisions and grants: federated governance.
//
// A person asks for a product's output ports with a purpose and a duration;
// the product's classification decides, through its AccessPolicy, how many
// distinct owners of the product's team and stewards of its domain must
// approve. The policy is copied onto the request when it is submitted, so
// a later policy change applies to new requests only. When the last
// approval needed arrives, the request becomes a Grant with a start and an
// expiry; SweepAccess (a periodic job) expires grants, reminds holders
// before expiry and asks owners to review long-running grants. CheckAccess
// is the one question every use of a product (query, preview, download,
// pipeline input) asks at that moment.
//
// The rules of a decision are the pure function decide, tested without a
// database. Every state change locks the request or grant row (SQLite runs
// one write transaction at a time; Postgres takes SELECT ... FOR UPDATE),
// so two deciders acting at once, or an approval racing a withdrawal,
// end in one consistent state; unique indexes (one decision per person, one
// grant per request) hold even if that were bypassed.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Statuses of an access request.
const (
	RequestPending   = "pending"
	RequestGranted   = "granted"
	RequestDenied    = "denied"
	RequestWithdrawn = "withdrawn"
)

// Statuses of a grant.
const (
	GrantActive  = "active"
	GrantExpired = "expired"
	GrantRevoked = "revoked"
	GrantRenewed = "renewed" // replaced by the grant of a renewal request
)

// Verdicts of a decision.
const (
	VerdictApprove = "approve"
	VerdictDeny    = "deny"
)

// Reminders before a grant expires, in days, the nearest first: a grant
// first seen a day before expiry (after downtime) gets one reminder, not two.
var expiryReminders = []int{1, 7}

// AccessRequest is a person's request to use a product's output ports.
type AccessRequest struct {
	ID               uint    `gorm:"primaryKey"`
	ProductID        uint    `gorm:"not null;index"`
	Product          Product `gorm:"constraint:OnDelete:CASCADE"`
	RequesterID      uint    `gorm:"not null;index"`
	Requester        User    `gorm:"constraint:OnDelete:CASCADE"`
	Ports            string  `gorm:"size:1000;not null"` // port slugs, sorted, comma-separated; "" for a product without ports
	Purpose          string  `gorm:"type:text;not null"`
	DurationDays     int     `gorm:"not null"`
	TermsAcceptedAt  *time.Time
	Classification   string `gorm:"size:16;not null"` // the product's, when submitted
	OwnerApprovals   int    `gorm:"not null"`         // needed, from the policy when submitted
	StewardApprovals int    `gorm:"not null"`
	Status           string `gorm:"size:16;not null;index"`
	RenewalOfID      *uint  `gorm:"index"`
	CreatedAt        time.Time
	ClosedAt         *time.Time

	Decisions []AccessDecision `gorm:"foreignKey:RequestID"`
	Grant     *Grant           `gorm:"foreignKey:RequestID"`
}

// AccessDecision is one person's approval or denial of a request, and the
// capacities they decided in.
type AccessDecision struct {
	ID        uint   `gorm:"primaryKey"`
	RequestID uint   `gorm:"not null;uniqueIndex:idx_decision_person"`
	DeciderID uint   `gorm:"not null;uniqueIndex:idx_decision_person"`
	Decider   User   `gorm:"constraint:OnDelete:CASCADE"`
	AsOwner   bool   `gorm:"not null"`
	AsSteward bool   `gorm:"not null"`
	Verdict   string `gorm:"size:16;not null"`
	Comment   string `gorm:"type:text"`
	At        time.Time
}

// Capacity names what the decider decided as.
func (d AccessDecision) Capacity() string {
	switch {
	case d.AsOwner && d.AsSteward:
		return "owner and steward"
	case d.AsSteward:
		return "steward"
	}
	return "owner"
}

// Grant lets a person use a product's output ports from StartsAt until
// ExpiresAt, unless it ends sooner.
type Grant struct {
	ID                uint    `gorm:"primaryKey"`
	RequestID         uint    `gorm:"not null;uniqueIndex"`
	ProductID         uint    `gorm:"not null;index:idx_grant_product"`
	Product           Product `gorm:"constraint:OnDelete:CASCADE"`
	UserID            uint    `gorm:"not null;index:idx_grant_user"`
	User              User    `gorm:"constraint:OnDelete:CASCADE"`
	Ports             string  `gorm:"size:1000;not null"`
	Purpose           string  `gorm:"type:text;not null"`
	Status            string  `gorm:"size:16;not null;index:idx_grant_product;index:idx_grant_user;index:idx_grant_status"`
	StartsAt          time.Time
	ExpiresAt         time.Time `gorm:"index:idx_grant_status"`
	EndedAt           *time.Time
	EndedByID         *uint
	EndedBy           *User  `gorm:"constraint:OnDelete:SET NULL"`
	EndReason         string `gorm:"size:1000"`
	ReviewDueAt       *time.Time
	ReviewRequestedAt *time.Time
	LastReviewedAt    *time.Time
	RemindedDays      int `gorm:"not null;default:0"` // the last expiry reminder sent: 7, 1, or 0 for none
}

// PortList is the request's ports as a list.
func (r *AccessRequest) PortList() []string { return splitPorts(r.Ports) }

// PortList is the grant's ports as a list.
func (g *Grant) PortList() []string { return splitPorts(g.Ports) }

// ActiveAt reports whether the grant lets its holder in at t.
func (g *Grant) ActiveAt(t time.Time) bool {
	return g.Status == GrantActive && !t.Before(g.StartsAt) && t.Before(g.ExpiresAt)
}

// StatusAt is the grant's status at t: an active grant past its expiry is
// expired even before the sweep has marked it.
func (g *Grant) StatusAt(t time.Time) string {
	if g.Status == GrantActive && !t.Before(g.ExpiresAt) {
		return GrantExpired
	}
	return g.Status
}

// Covers reports whether the grant includes port ("" asks about the product as a whole).
func (g *Grant) Covers(port string) bool {
	return g.Ports == "" || port == "" || slices.Contains(g.PortList(), port)
}

func splitPorts(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func overlaps(a, b string) bool {
	if a == "" || b == "" {
		return true
	}
	pb := splitPorts(b)
	for _, p := range splitPorts(a) {
		if slices.Contains(pb, p) {
			return true
		}
	}
	return false
}

func (r *AccessRequest) ref() string {
	return fmt.Sprintf("%s/%s#request-%d", r.Product.Domain.Slug, r.Product.Slug, r.ID)
}

func (g *Grant) ref() string {
	return fmt.Sprintf("%s/%s#grant-%d", g.Product.Domain.Slug, g.Product.Slug, g.ID)
}

// Path is the request's page.
func (r *AccessRequest) Path() string { return fmt.Sprintf("/access/requests/%d", r.ID) }

// Decider is a person deciding on a request, with the capacities they hold
// for its product: owner of the product's team, steward of its domain.
type Decider struct {
	User    *User
	Owner   bool
	Steward bool
}

// tally counts how a request's approvals fill the slots its policy asks
// for. A person who is both owner and steward fills whichever slot is
// still open, but counts once: approvals come from distinct people.
type tally struct {
	needOwners, needStewards int
	owners, stewards, both   int // approvals by capacity
}

func tallyOf(r *AccessRequest, ds []AccessDecision) tally {
	t := tally{needOwners: r.OwnerApprovals, needStewards: r.StewardApprovals}
	for _, d := range ds {
		if d.Verdict == VerdictApprove {
			t.add(d.AsOwner, d.AsSteward)
		}
	}
	return t
}

func (t *tally) add(owner, steward bool) {
	switch {
	case owner && steward:
		t.both++
	case owner:
		t.owners++
	case steward:
		t.stewards++
	}
}

// filled is the number of slots the approvals fill.
func (t tally) filled() int {
	o := min(t.needOwners, t.owners)
	st := min(t.needStewards, t.stewards)
	return o + st + min(t.both, t.needOwners-o+t.needStewards-st)
}

func (t tally) complete() bool { return t.filled() >= t.needOwners+t.needStewards }

// Missing says which approvals a request still waits for.
func (t tally) missing() (owners, stewards int) {
	o := min(t.needOwners, t.owners)
	st := min(t.needStewards, t.stewards)
	owners, stewards = t.needOwners-o, t.needStewards-st
	// Approvals by people who are both fill owner slots first, then steward slots.
	b := t.both
	take := min(b, owners)
	owners, b = owners-take, b-take
	stewards -= min(b, stewards)
	return owners, stewards
}

// decide is the state machine of a request: it checks that d may give
// verdict on r now, given the decisions so far, and returns the decision to
// record and the request's next status.
func decide(r *AccessRequest, ds []AccessDecision, d Decider, verdict, comment string, now time.Time) (AccessDecision, string, error) {
	comment = strings.TrimSpace(comment)
	rec := AccessDecision{RequestID: r.ID, DeciderID: d.User.ID, Verdict: verdict, Comment: comment, At: now}
	if r.Status != RequestPending {
		return rec, r.Status, conflict("This request was already " + r.Status + "; it cannot be decided again.")
	}
	if d.User.ID == r.RequesterID {
		return rec, r.Status, fmt.Errorf("nobody decides their own request: %w", ErrForbidden)
	}
	asOwner := d.Owner && r.OwnerApprovals > 0
	asSteward := d.Steward && r.StewardApprovals > 0
	if !asOwner && !asSteward {
		return rec, r.Status, fmt.Errorf("%s is not a decider of this request: %w", d.User.Email, ErrForbidden)
	}
	rec.AsOwner, rec.AsSteward = asOwner, asSteward
	for _, prev := range ds {
		if prev.DeciderID == d.User.ID {
			return rec, r.Status, conflict("You already decided on this request.")
		}
	}
	if utf8.RuneCountInString(comment) > 2000 {
		return rec, r.Status, Invalid("comment", "Keep the comment under 2,000 characters.")
	}
	switch verdict {
	case VerdictDeny:
		if comment == "" {
			return rec, r.Status, Invalid("comment", "Say why you deny this request; the requester will read it.")
		}
		return rec, RequestDenied, nil
	case VerdictApprove:
		before := tallyOf(r, ds)
		after := before
		after.add(asOwner, asSteward)
		if after.filled() == before.filled() {
			owners, stewards := before.missing()
			what := "another approval"
			switch {
			case stewards > 0 && owners == 0:
				what = "a steward's approval"
			case owners > 0 && stewards == 0:
				what = "a product owner's approval"
			}
			return rec, r.Status, conflict("Your approval is already given by someone in the same role; this request waits for " + what + ".")
		}
		if after.complete() {
			return rec, RequestGranted, nil
		}
		return rec, RequestPending, nil
	}
	return rec, r.Status, Invalid("verdict", "Choose approve or deny.")
}

// AccessRequestInput is what a requester fills in.
type AccessRequestInput struct {
	Ports        []string `json:"ports"`
	Purpose      string   `json:"purpose"`
	DurationDays int      `json:"duration_days"`
	AcceptTerms  bool     `json:"accept_terms"`
	RenewalOf    uint     `json:"renewal_of,omitempty"` // a grant of the requester's to extend
}

// ExistingAccessError says the requester already has an open request or
// an active grant for what they asked; the handler shows it to them.
type ExistingAccessError struct {
	Request *AccessRequest
	Grant   *Grant
}

func (e *ExistingAccessError) Error() string {
	if e.Grant != nil {
		return fmt.Sprintf("you already hold access (grant %d) until %s", e.Grant.ID, e.Grant.ExpiresAt.Format("2 Jan 2006"))
	}
	return fmt.Sprintf("you already asked for this (request %d, %s)", e.Request.ID, e.Request.Status)
}

// Unwrap makes the error a conflict.
func (e *ExistingAccessError) Unwrap() error { return ErrConflict }

// RequestAccess submits a request for p by actor. Public products and the
// products of the requester's own teams need none.
func (s *Store) RequestAccess(ctx context.Context, actor *User, product *Product, in AccessRequestInput) (*AccessRequest, error) {
	if err := Authorize(actor, ActBrowse, nil); err != nil {
		return nil, err
	}
	var id uint
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// The product as it is now: its classification decides the policy.
		var p Product
		if err := tx.Preload("Domain").Preload("OutputPorts").First(&p, product.ID).Error; err != nil {
			return fmt.Errorf("product: %w", notFound(err))
		}
		scope, err := s.productScope(ctx, tx, actor, p.TeamID)
		if err != nil {
			return err
		}
		if !p.Visible(actor, scope) {
			return fmt.Errorf("product: %w", ErrNotFound)
		}
		if scope.TeamRole != "" {
			return conflict("Your team owns this product: you already have access.")
		}
		switch p.Status {
		case StatusDraft, StatusRetired:
			return Invalid("product", "This product is "+p.Status+": it cannot be requested.")
		}
		pol, err := policyFor(tx, p.Classification)
		if err != nil {
			return err
		}
		if !pol.RequestRequired {
			return conflict("This product is open to everyone signed in: no request is needed.")
		}
		r, renewal, err := s.newRequest(ctx, tx, actor, &p, pol, in)
		if err != nil {
			return err
		}
		if err := s.findExisting(tx, actor, r, renewal); err != nil {
			return err
		}
		if err := tx.Create(r).Error; err != nil {
			return err
		}
		id = r.ID
		r.Product = p
		after := map[string]any{"requester": actor.Email, "ports": r.PortList(), "purpose": r.Purpose,
			"duration_days": r.DurationDays, "classification": r.Classification,
			"owner_approvals": r.OwnerApprovals, "steward_approvals": r.StewardApprovals}
		if renewal != nil {
			after["renewal_of"] = renewal.ID
		}
		if err := s.auditObject(ctx, tx, actor, "access.request", "access_request", r.ref(), nil, after); err != nil {
			return err
		}
		return s.notifyRequestSubmitted(ctx, tx, actor, r)
	})
	if err != nil {
		return nil, fmt.Errorf("request access: %w", err)
	}
	s.mailQueued()
	return s.AccessRequestByID(ctx, actor, id)
}

// newRequest validates in against the product and its policy.
func (s *Store) newRequest(ctx context.Context, tx *gorm.DB, actor *User, p *Product, pol *AccessPolicy, in AccessRequestInput) (*AccessRequest, *Grant, error) {
	now := s.now()
	v := &ValidationError{}
	r := &AccessRequest{ProductID: p.ID, RequesterID: actor.ID, Purpose: strings.TrimSpace(in.Purpose),
		DurationDays: in.DurationDays, Classification: p.Classification, OwnerApprovals: pol.OwnerApprovals,
		StewardApprovals: pol.StewardApprovals, Status: RequestPending, CreatedAt: now}
	var renewal *Grant
	if in.RenewalOf != 0 {
		var g Grant
		err := tx.Where("id = ? AND user_id = ? AND product_id = ?", in.RenewalOf, actor.ID, p.ID).First(&g).Error
		if err != nil {
			return nil, nil, fmt.Errorf("grant to renew: %w", notFound(err))
		}
		if !g.ActiveAt(now) {
			return nil, nil, conflict("This grant has ended; ask for access again instead of renewing it.")
		}
		renewal = &g
		r.RenewalOfID = &g.ID
		r.Ports = g.Ports
	} else {
		ports, msg := choosePorts(p, in.Ports)
		if msg != "" {
			v.Add("ports", msg)
		}
		r.Ports = ports
	}
	switch n := utf8.RuneCountInString(r.Purpose); {
	case n == 0:
		v.Add("purpose", "Say what you will use this data for; the owners decide on it.")
	case n < 10:
		v.Add("purpose", "Say a little more about what you will use this data for (at least 10 characters).")
	case n > 2000:
		v.Add("purpose", "Keep the purpose under 2,000 characters.")
	}
	if !slices.Contains(pol.DurationChoices(), in.DurationDays) {
		v.Add("duration_days", fmt.Sprintf("Choose a duration of at most %d days from the list.", pol.MaxDays))
	}
	if pol.RequireTerms || strings.TrimSpace(p.TermsOfUse) != "" {
		if !in.AcceptTerms {
			v.Add("accept_terms", "Read and accept the product's terms of use to ask for access.")
		} else {
			r.TermsAcceptedAt = &now
		}
	}
	if err := v.OrNil(); err != nil {
		return nil, nil, err
	}
	return r, renewal, nil
}

// choosePorts checks the ports asked for against the product's; none means all.
func choosePorts(p *Product, want []string) (string, string) {
	var have []string
	for _, op := range p.OutputPorts {
		have = append(have, op.Slug)
	}
	if len(have) == 0 {
		return "", ""
	}
	var out []string
	for _, w := range want {
		w = strings.TrimSpace(w)
		if w == "" || slices.Contains(out, w) {
			continue
		}
		if !slices.Contains(have, w) {
			return "", fmt.Sprintf("This product has no output port %q.", w)
		}
		out = append(out, w)
	}
	if len(out) == 0 {
		return "", "Choose at least one output port."
	}
	slices.Sort(out)
	return strings.Join(out, ","), ""
}

// findExisting returns an *ExistingAccessError when the requester already
// has a pending request or an active grant overlapping r. A renewal may
// overlap the grant it renews, but not another pending renewal of it.
func (s *Store) findExisting(tx *gorm.DB, actor *User, r *AccessRequest, renewal *Grant) error {
	var pending []AccessRequest
	if err := tx.Where("requester_id = ? AND product_id = ? AND status = ?", actor.ID, r.ProductID, RequestPending).
		Order("id").Find(&pending).Error; err != nil {
		return err
	}
	for i := range pending {
		if overlaps(pending[i].Ports, r.Ports) {
			return &ExistingAccessError{Request: &pending[i]}
		}
	}
	var grants []Grant
	if err := tx.Where("user_id = ? AND product_id = ? AND status = ? AND expires_at > ?", actor.ID, r.ProductID, GrantActive, s.now()).
		Order("id").Find(&grants).Error; err != nil {
		return err
	}
	for i := range grants {
		if renewal != nil && grants[i].ID == renewal.ID {
			continue
		}
		if overlaps(grants[i].Ports, r.Ports) {
			return &ExistingAccessError{Grant: &grants[i]}
		}
	}
	return nil
}

// lockForUpdate makes a query lock the rows it reads until the transaction
// ends, on Postgres. SQLite needs no row locks: its write transactions
// (BEGIN IMMEDIATE) run one at a time.
func lockForUpdate(tx *gorm.DB) *gorm.DB {
	if Dialect(tx) == "postgres" {
		return tx.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	return tx
}

// loadRequest reads a request for a change, locked, with its product and decisions.
func (s *Store) loadRequest(tx *gorm.DB, id uint) (*AccessRequest, error) {
	var r AccessRequest
	if err := lockForUpdate(tx).First(&r, id).Error; err != nil {
		return nil, fmt.Errorf("access request %d: %w", id, notFound(err))
	}
	if err := tx.Preload("Domain").First(&r.Product, r.ProductID).Error; err != nil {
		return nil, err
	}
	if err := tx.Preload("Decider").Where("request_id = ?", r.ID).Order("id").Find(&r.Decisions).Error; err != nil {
		return nil, err
	}
	return &r, tx.First(&r.Requester, r.RequesterID).Error
}

// deciderOf says in which capacities u may decide on requests for p.
func (s *Store) deciderOf(tx *gorm.DB, u *User, p *Product) (Decider, error) {
	d := Decider{User: u}
	var n int64
	if err := tx.Model(&Membership{}).Where("team_id = ? AND user_id = ? AND role = ?", p.TeamID, u.ID, RoleOwner).Count(&n).Error; err != nil {
		return d, err
	}
	d.Owner = n > 0
	if err := tx.Model(&DomainSteward{}).Where("domain_id = ? AND user_id = ?", p.DomainID, u.ID).Count(&n).Error; err != nil {
		return d, err
	}
	d.Steward = n > 0
	return d, nil
}

// DecideAccess records actor's approval or denial of a request. The last
// approval needed grants access at once.
func (s *Store) DecideAccess(ctx context.Context, actor *User, id uint, verdict, comment string) (*AccessRequest, error) {
	if err := Authorize(actor, ActBrowse, nil); err != nil {
		return nil, err
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		r, err := s.loadRequest(tx, id)
		if err != nil {
			return err
		}
		d, err := s.deciderOf(tx, actor, &r.Product)
		if err != nil {
			return err
		}
		if !d.Owner && !(d.Steward && r.StewardApprovals > 0) && r.RequesterID != actor.ID && !actor.IsAdmin {
			return fmt.Errorf("access request %d: %w", id, ErrNotFound) // not theirs to see
		}
		now := s.now()
		rec, next, err := decide(r, r.Decisions, d, verdict, comment, now)
		if err != nil {
			return err
		}
		if err := tx.Create(&rec).Error; err != nil {
			if isDuplicate(err) {
				return conflict("You already decided on this request.")
			}
			return err
		}
		rec.Decider = *actor
		r.Decisions = append(r.Decisions, rec)
		action := "access." + verdict
		if err := s.auditObject(ctx, tx, actor, action, "access_request", r.ref(),
			map[string]any{"status": r.Status},
			map[string]any{"status": next, "as": rec.Capacity(), "comment": rec.Comment, "requester": r.Requester.Email}); err != nil {
			return err
		}
		if next != r.Status {
			res := tx.Model(&AccessRequest{}).Where("id = ? AND status = ?", r.ID, RequestPending).
				Updates(map[string]any{"status": next, "closed_at": now})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return conflict("This request changed while you were deciding; reload it.")
			}
			r.Status = next
		}
		switch next {
		case RequestGranted:
			return s.grant(ctx, tx, r, now)
		case RequestDenied:
			return s.notifyUsers(ctx, tx, []uint{r.RequesterID}, Notification{Kind: "request.denied",
				Title: fmt.Sprintf("%s denied your request for %s", actor.DisplayName(), r.Product.Name),
				Body:  rec.Comment, Link: r.Path()})
		}
		return s.notifyUsers(ctx, tx, []uint{r.RequesterID}, Notification{Kind: "request.approved",
			Title: fmt.Sprintf("%s approved your request for %s as %s", actor.DisplayName(), r.Product.Name, rec.Capacity()),
			Body:  "It waits for " + waitingFor(r) + ".", Link: r.Path()})
	})
	if err != nil {
		return nil, fmt.Errorf("decide access request: %w", err)
	}
	s.mailQueued()
	return s.AccessRequestByID(ctx, actor, id)
}

// waitingFor names the approvals a pending request still needs.
func waitingFor(r *AccessRequest) string {
	owners, stewards := tallyOf(r, r.Decisions).missing()
	var parts []string
	if owners > 0 {
		parts = append(parts, plural(owners, "a product owner's approval", "%d product owners' approvals"))
	}
	if stewards > 0 {
		parts = append(parts, plural(stewards, "a steward's approval", "%d stewards' approvals"))
	}
	if len(parts) == 0 {
		return "nothing more"
	}
	return strings.Join(parts, " and ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return fmt.Sprintf(many, n)
}

// WaitingFor names the approvals a pending request still needs.
func (r *AccessRequest) WaitingFor() string { return waitingFor(r) }

// grant turns an approved request into a grant, ending the grant it renews.
func (s *Store) grant(ctx context.Context, tx *gorm.DB, r *AccessRequest, now time.Time) error {
	pol, err := policyFor(tx, r.Classification)
	if err != nil {
		return err
	}
	g := Grant{RequestID: r.ID, ProductID: r.ProductID, UserID: r.RequesterID, Ports: r.Ports, Purpose: r.Purpose,
		Status: GrantActive, StartsAt: now, ExpiresAt: now.AddDate(0, 0, r.DurationDays)}
	if pol.ReviewDays > 0 && r.DurationDays > pol.ReviewDays {
		due := now.AddDate(0, 0, pol.ReviewDays)
		g.ReviewDueAt = &due
	}
	if err := tx.Create(&g).Error; err != nil {
		if isDuplicate(err) {
			return conflict("This request was already granted.")
		}
		return err
	}
	g.Product = r.Product
	if err := s.refreshUsage(tx, r.ProductID); err != nil {
		return err
	}
	if r.RenewalOfID != nil {
		res := tx.Model(&Grant{}).Where("id = ? AND status = ?", *r.RenewalOfID, GrantActive).
			Updates(map[string]any{"status": GrantRenewed, "ended_at": now, "end_reason": fmt.Sprintf("Renewed by grant %d.", g.ID)})
		if res.Error != nil {
			return res.Error
		}
	}
	if err := s.auditObject(ctx, tx, nil, "access.grant", "grant", g.ref(), nil, map[string]any{
		"holder": r.Requester.Email, "ports": g.PortList(), "starts_at": g.StartsAt, "expires_at": g.ExpiresAt,
		"request": r.ID}); err != nil {
		return err
	}
	return s.notifyUsers(ctx, tx, []uint{r.RequesterID}, Notification{Kind: "grant.active",
		Title: fmt.Sprintf("You have access to %s until %s", r.Product.Name, g.ExpiresAt.Format("2 Jan 2006")),
		Link:  "/access"})
}

// WithdrawAccess withdraws actor's own pending request.
func (s *Store) WithdrawAccess(ctx context.Context, actor *User, id uint) (*AccessRequest, error) {
	if err := Authorize(actor, ActBrowse, nil); err != nil {
		return nil, err
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		r, err := s.loadRequest(tx, id)
		if err != nil {
			return err
		}
		if r.RequesterID != actor.ID {
			return fmt.Errorf("access request %d: %w", id, ErrNotFound)
		}
		if r.Status != RequestPending {
			return conflict("This request was already " + r.Status + "; it can no longer be withdrawn.")
		}
		now := s.now()
		if err := tx.Model(&AccessRequest{}).Where("id = ?", r.ID).
			Updates(map[string]any{"status": RequestWithdrawn, "closed_at": now}).Error; err != nil {
			return err
		}
		if err := s.auditObject(ctx, tx, actor, "access.withdraw", "access_request", r.ref(),
			map[string]any{"status": RequestPending}, map[string]any{"status": RequestWithdrawn}); err != nil {
			return err
		}
		deciders, err := s.decidersOf(tx, r)
		if err != nil {
			return err
		}
		return s.notifyUsers(ctx, tx, deciders, Notification{Kind: "request.withdrawn",
			Title: fmt.Sprintf("%s withdrew their request for %s", actor.DisplayName(), r.Product.Name), Link: r.Path()})
	})
	if err != nil {
		return nil, fmt.Errorf("withdraw access request: %w", err)
	}
	s.mailQueued()
	return s.AccessRequestByID(ctx, actor, id)
}

// decidersOf lists the people who may decide on r: the owners of the
// product's team and, when the request needs a steward, the domain's
// stewards; never the requester.
func (s *Store) decidersOf(tx *gorm.DB, r *AccessRequest) ([]uint, error) {
	var ids []uint
	if r.OwnerApprovals > 0 {
		if err := tx.Model(&Membership{}).Where("team_id = ? AND role = ?", r.Product.TeamID, RoleOwner).
			Pluck("user_id", &ids).Error; err != nil {
			return nil, err
		}
	}
	if r.StewardApprovals > 0 {
		var st []uint
		if err := tx.Model(&DomainSteward{}).Where("domain_id = ?", r.Product.DomainID).Pluck("user_id", &st).Error; err != nil {
			return nil, err
		}
		ids = append(ids, st...)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	return slices.DeleteFunc(ids, func(id uint) bool { return id == r.RequesterID }), nil
}

func (s *Store) notifyRequestSubmitted(ctx context.Context, tx *gorm.DB, actor *User, r *AccessRequest) error {
	deciders, err := s.decidersOf(tx, r)
	if err != nil {
		return err
	}
	verb := "asks for"
	if r.RenewalOfID != nil {
		verb = "asks to renew access to"
	}
	if err := s.notifyUsers(ctx, tx, deciders, Notification{Kind: "request.submitted",
		Title: fmt.Sprintf("%s %s %s", actor.DisplayName(), verb, r.Product.Name),
		Body:  r.Purpose, Link: "/inbox"}); err != nil {
		return err
	}
	return s.notifyUsers(ctx, tx, []uint{actor.ID}, Notification{Kind: "request.submitted",
		Title: fmt.Sprintf("Your request for %s was sent", r.Product.Name),
		Body:  "It needs " + waitingFor(r) + ".", Link: r.Path()})
}

// grantManager says whether u may end or review grants on p: its team's
// owners, its domain's stewards and admins.
func (s *Store) grantManager(tx *gorm.DB, u *User, p *Product) (bool, error) {
	if u.IsAdmin {
		return true, nil
	}
	d, err := s.deciderOf(tx, u, p)
	return d.Owner || d.Steward, err
}

// loadGrant reads a grant for a change, locked, with its product and holder.
func (s *Store) loadGrant(tx *gorm.DB, id uint) (*Grant, error) {
	var g Grant
	if err := lockForUpdate(tx).First(&g, id).Error; err != nil {
		return nil, fmt.Errorf("grant %d: %w", id, notFound(err))
	}
	if err := tx.Preload("Domain").First(&g.Product, g.ProductID).Error; err != nil {
		return nil, err
	}
	return &g, tx.First(&g.User, g.UserID).Error
}

// RevokeGrant ends a grant now, with a reason the holder reads. Owners of
// the product's team, stewards of its domain and admins may; it takes
// effect on the holder's next use.
func (s *Store) RevokeGrant(ctx context.Context, actor *User, id uint, reason string) (*Grant, error) {
	if err := Authorize(actor, ActBrowse, nil); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		g, err := s.loadGrant(tx, id)
		if err != nil {
			return err
		}
		ok, err := s.grantManager(tx, actor, &g.Product)
		if err != nil {
			return err
		}
		if !ok {
			if g.UserID == actor.ID {
				return fmt.Errorf("only the product's owners can revoke a grant: %w", ErrForbidden)
			}
			return fmt.Errorf("grant %d: %w", id, ErrNotFound)
		}
		if reason == "" {
			return Invalid("reason", "Say why you revoke this grant; the holder will read it.")
		}
		if utf8.RuneCountInString(reason) > 1000 {
			return Invalid("reason", "Keep the reason under 1,000 characters.")
		}
		now := s.now()
		if !g.ActiveAt(now) {
			return conflict("This grant has already ended.")
		}
		if err := tx.Model(&Grant{}).Where("id = ?", g.ID).Updates(map[string]any{
			"status": GrantRevoked, "ended_at": now, "ended_by_id": actor.ID, "end_reason": reason,
			"review_requested_at": nil}).Error; err != nil {
			return err
		}
		if err := s.refreshUsage(tx, g.ProductID); err != nil {
			return err
		}
		if err := s.auditObject(ctx, tx, actor, "access.revoke", "grant", g.ref(),
			map[string]any{"status": GrantActive, "holder": g.User.Email},
			map[string]any{"status": GrantRevoked, "reason": reason}); err != nil {
			return err
		}
		return s.notifyUsers(ctx, tx, []uint{g.UserID}, Notification{Kind: "grant.revoked",
			Title: fmt.Sprintf("%s revoked your access to %s", actor.DisplayName(), g.Product.Name),
			Body:  reason, Link: "/access"})
	})
	if err != nil {
		return nil, fmt.Errorf("revoke grant: %w", err)
	}
	s.mailQueued()
	return s.GrantByID(ctx, id)
}

// ConfirmGrant records an owner's review of a long-running grant: the
// holder keeps access, and the next review falls one interval later.
func (s *Store) ConfirmGrant(ctx context.Context, actor *User, id uint) (*Grant, error) {
	if err := Authorize(actor, ActBrowse, nil); err != nil {
		return nil, err
	}
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		g, err := s.loadGrant(tx, id)
		if err != nil {
			return err
		}
		ok, err := s.grantManager(tx, actor, &g.Product)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("grant %d: %w", id, ErrNotFound)
		}
		now := s.now()
		if !g.ActiveAt(now) {
			return conflict("This grant has already ended.")
		}
		pol, err := policyFor(tx, g.Product.Classification)
		if err != nil {
			return err
		}
		var next *time.Time
		if pol.ReviewDays > 0 {
			if t := now.AddDate(0, 0, pol.ReviewDays); t.Before(g.ExpiresAt) {
				next = &t
			}
		}
		if err := tx.Model(&Grant{}).Where("id = ?", g.ID).Updates(map[string]any{
			"last_reviewed_at": now, "review_requested_at": nil, "review_due_at": next}).Error; err != nil {
			return err
		}
		return s.auditObject(ctx, tx, actor, "access.review.confirm", "grant", g.ref(), nil,
			map[string]any{"holder": g.User.Email, "next_review": next})
	})
	if err != nil {
		return nil, fmt.Errorf("confirm grant: %w", err)
	}
	return s.GrantByID(ctx, id)
}

// requestReviews asks the owners to review every active grant of p, after
// its classification changed.
func (s *Store) requestReviews(ctx context.Context, tx *gorm.DB, p *Product, why string) error {
	var grants []Grant
	if err := tx.Preload("User").Where("product_id = ? AND status = ?", p.ID, GrantActive).Find(&grants).Error; err != nil {
		return err
	}
	if len(grants) == 0 {
		return nil
	}
	now := s.now()
	for i := range grants {
		g := &grants[i]
		g.Product = *p
		if err := tx.Model(&Grant{}).Where("id = ?", g.ID).Update("review_requested_at", now).Error; err != nil {
			return err
		}
		if err := s.auditObject(ctx, tx, nil, "access.review.request", "grant", g.ref(), nil,
			map[string]any{"holder": g.User.Email, "why": why}); err != nil {
			return err
		}
	}
	owners, err := s.productOwnerIDs(tx, p)
	if err != nil {
		return err
	}
	return s.notifyUsers(ctx, tx, owners, Notification{Kind: "grant.review",
		Title: fmt.Sprintf("Review who holds access to %s", p.Name),
		Body:  fmt.Sprintf("%s. %d grants wait for your review.", why, len(grants)), Link: "/inbox"})
}

// productOwnerIDs lists the people asked to review p's grants: the owners
// of its team and the stewards of its domain.
func (s *Store) productOwnerIDs(tx *gorm.DB, p *Product) ([]uint, error) {
	var ids, stewards []uint
	if err := tx.Model(&Membership{}).Where("team_id = ? AND role = ?", p.TeamID, RoleOwner).Pluck("user_id", &ids).Error; err != nil {
		return nil, err
	}
	if err := tx.Model(&DomainSteward{}).Where("domain_id = ?", p.DomainID).Pluck("user_id", &stewards).Error; err != nil {
		return nil, err
	}
	ids = append(ids, stewards...)
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// GrantByID returns a grant with its product and holder.
func (s *Store) GrantByID(ctx context.Context, id uint) (*Grant, error) {
	var g Grant
	err := s.db(ctx).Preload("Product").Preload("Product.Domain").Preload("User").Preload("EndedBy").First(&g, id).Error
	if err != nil {
		return nil, fmt.Errorf("grant %d: %w", id, notFound(err))
	}
	return &g, nil
}

// AccessRequestByID returns a request with its product, requester,
// decisions and grant, when actor may see it: the requester, the people
// who may decide on it, and admins. To anyone else it does not exist.
func (s *Store) AccessRequestByID(ctx context.Context, actor *User, id uint) (*AccessRequest, error) {
	if err := Authorize(actor, ActBrowse, nil); err != nil {
		return nil, err
	}
	var r AccessRequest
	err := s.requestQuery(ctx).First(&r, id).Error
	if err != nil {
		return nil, fmt.Errorf("access request %d: %w", id, notFound(err))
	}
	if r.RequesterID != actor.ID && !actor.IsAdmin {
		d, err := s.deciderOf(s.db(ctx), actor, &r.Product)
		if err != nil {
			return nil, err
		}
		if !d.Owner && !(d.Steward && r.StewardApprovals > 0) {
			return nil, fmt.Errorf("access request %d: %w", id, ErrNotFound)
		}
	}
	return &r, nil
}

func (s *Store) requestQuery(ctx context.Context) *gorm.DB {
	return s.db(ctx).Preload("Product").Preload("Product.Domain").Preload("Product.Team").Preload("Requester").
		Preload("Decisions", func(db *gorm.DB) *gorm.DB { return db.Order("id") }).Preload("Decisions.Decider").
		Preload("Grant").Preload("Grant.EndedBy")
}

// MyRequests lists actor's requests, newest first.
func (s *Store) MyRequests(ctx context.Context, actor *User) ([]AccessRequest, error) {
	if err := Authorize(actor, ActBrowse, nil); err != nil {
		return nil, err
	}
	var out []AccessRequest
	err := s.requestQuery(ctx).Where("requester_id = ?", actor.ID).Order("id DESC").Limit(200).Find(&out).Error
	return out, err
}

// MyGrants lists actor's grants: active ones first, by expiry, then ended ones.
func (s *Store) MyGrants(ctx context.Context, actor *User) ([]Grant, error) {
	if err := Authorize(actor, ActBrowse, nil); err != nil {
		return nil, err
	}
	var out []Grant
	err := s.db(ctx).Preload("Product").Preload("Product.Domain").Preload("EndedBy").
		Where("user_id = ?", actor.ID).Order("id DESC").Limit(200).Find(&out).Error
	if err != nil {
		return nil, err
	}
	now := s.now()
	slices.SortStableFunc(out, func(a, b Grant) int {
		aa, ba := a.ActiveAt(now), b.ActiveAt(now)
		switch {
		case aa && !ba:
			return -1
		case ba && !aa:
			return 1
		case aa && ba:
			return a.ExpiresAt.Compare(b.ExpiresAt)
		}
		return 0
	})
	return out, nil
}

// ProductGrants lists who holds or held access to p, active grants first.
// The product's owners, its domain's stewards and admins may see it.
func (s *Store) ProductGrants(ctx context.Context, actor *User, p *Product) ([]Grant, error) {
	if err := Authorize(actor, ActBrowse, nil); err != nil {
		return nil, err
	}
	ok, err := s.grantManager(s.db(ctx), actor, p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("consumers of %s: %w", p.Slug, ErrForbidden)
	}
	var out []Grant
	err = s.db(ctx).Preload("User").Preload("EndedBy").Where("product_id = ?", p.ID).
		Order("CASE WHEN status = 'active' THEN 0 ELSE 1 END, expires_at").Limit(500).Find(&out).Error
	for i := range out {
		out[i].Product = *p
	}
	return out, err
}

// InboxItem is a request actor may decide now, with what its requester
// already holds.
type InboxItem struct {
	Request AccessRequest
	Decider Decider
	Holds   []Grant // the requester's active grants, on any product
}

// Inbox is what waits for actor's decision: requests they can move
// forward, and grants they are asked to review.
type Inbox struct {
	Requests []InboxItem
	Reviews  []Grant
}

// Count is the number of items waiting.
func (in *Inbox) Count() int { return len(in.Requests) + len(in.Reviews) }

// Inbox returns what waits for actor: pending requests on products whose
// team they own or whose domain they steward, where their approval would
// count, oldest first; and grants whose review is due.
func (s *Store) Inbox(ctx context.Context, actor *User) (*Inbox, error) {
	if err := Authorize(actor, ActBrowse, nil); err != nil {
		return nil, err
	}
	db := s.db(ctx)
	owned := db.Model(&Membership{}).Select("team_id").Where("user_id = ? AND role = ?", actor.ID, RoleOwner)
	stewarded := db.Model(&DomainSteward{}).Select("domain_id").Where("user_id = ?", actor.ID)
	var reqs []AccessRequest
	err := s.requestQuery(ctx).Joins("JOIN products ON products.id = access_requests.product_id").
		Where("access_requests.status = ? AND access_requests.requester_id <> ?", RequestPending, actor.ID).
		Where("(access_requests.owner_approvals > 0 AND products.team_id IN (?)) OR (access_requests.steward_approvals > 0 AND products.domain_id IN (?))", owned, stewarded).
		Order("access_requests.id").Find(&reqs).Error
	if err != nil {
		return nil, fmt.Errorf("inbox: %w", err)
	}
	in := &Inbox{}
	holders := map[uint][]Grant{}
	for _, r := range reqs {
		d, err := s.deciderOf(db, actor, &r.Product)
		if err != nil {
			return nil, err
		}
		if _, _, err := decide(&r, r.Decisions, d, VerdictApprove, "", s.now()); errors.Is(err, ErrConflict) || errors.Is(err, ErrForbidden) {
			continue // already decided by them, or their approval would not count
		}
		if _, ok := holders[r.RequesterID]; !ok {
			var gs []Grant
			if err := db.Preload("Product").Preload("Product.Domain").
				Where("user_id = ? AND status = ? AND expires_at > ?", r.RequesterID, GrantActive, s.now()).
				Order("expires_at").Find(&gs).Error; err != nil {
				return nil, err
			}
			holders[r.RequesterID] = gs
		}
		in.Requests = append(in.Requests, InboxItem{Request: r, Decider: d, Holds: holders[r.RequesterID]})
	}
	err = db.Preload("Product").Preload("Product.Domain").Preload("User").
		Joins("JOIN products ON products.id = grants.product_id").
		Where("grants.status = ? AND grants.review_requested_at IS NOT NULL", GrantActive).
		Where("products.team_id IN (?) OR products.domain_id IN (?)", owned, stewarded).
		Order("grants.review_requested_at").Find(&in.Reviews).Error
	if err != nil {
		return nil, fmt.Errorf("inbox reviews: %w", err)
	}
	return in, nil
}

// Access levels a person has on a product.
const (
	AccessOwner   = "owner"   // their team owns it
	AccessOpen    = "open"    // public: everyone signed in may use it
	AccessGranted = "granted" // an active grant
	AccessPending = "pending" // a request waits for a decision
	AccessNeeded  = "request" // they must ask
)

// AccessView is what a person's access to a product looks like now.
type AccessView struct {
	Level   string
	Policy  *AccessPolicy
	Grants  []Grant         // active grants
	Pending []AccessRequest // pending requests
}

// AccessOf says what access u, acting in scope, has to p now, with the
// grants and pending requests behind it.
func (s *Store) AccessOf(ctx context.Context, u *User, scope *Scope, p *Product) (*AccessView, error) {
	pol, err := s.AccessPolicyFor(ctx, p.Classification)
	if err != nil {
		return nil, err
	}
	v := &AccessView{Policy: pol}
	switch {
	case scope != nil && scope.TeamRole != "":
		v.Level = AccessOwner
		return v, nil
	case !pol.RequestRequired:
		v.Level = AccessOpen
		return v, nil
	case u == nil:
		v.Level = AccessNeeded
		return v, nil
	}
	now := s.now()
	if err := s.db(ctx).Where("user_id = ? AND product_id = ? AND status = ? AND expires_at > ?", u.ID, p.ID, GrantActive, now).
		Order("expires_at").Find(&v.Grants).Error; err != nil {
		return nil, err
	}
	if err := s.db(ctx).Preload("Decisions").Where("requester_id = ? AND product_id = ? AND status = ?", u.ID, p.ID, RequestPending).
		Order("id").Find(&v.Pending).Error; err != nil {
		return nil, err
	}
	switch {
	case len(v.Grants) > 0:
		v.Level = AccessGranted
	case len(v.Pending) > 0:
		v.Level = AccessPending
	default:
		v.Level = AccessNeeded
	}
	return v, nil
}

// NoAccessError says a person may not use a product, and where to ask.
type NoAccessError struct {
	Product string // domain.product
	Path    string // the product page, where the request form is
}

func (e *NoAccessError) Error() string {
	return fmt.Sprintf("no access to %s: request it at %s", e.Product, e.Path)
}

// Unwrap makes the error forbidden.
func (e *NoAccessError) Unwrap() error { return ErrForbidden }

// CheckAccess is the question every use of a product asks at that moment:
// may u read port of p now ("" for any port)? It returns the grant that
// allows it (nil for public products and the owning team), or a
// *NoAccessError. Expiry is checked against the clock, not the sweep, so an
// expired grant stops working the moment it expires.
func (s *Store) CheckAccess(ctx context.Context, u *User, p *Product, port string) (*Grant, error) {
	if !u.Active() {
		return nil, ErrUnauthenticated
	}
	deny := &NoAccessError{Product: p.Domain.Slug + "." + p.Slug, Path: p.Path()}
	scope, err := s.ProductScope(ctx, u, p)
	if err != nil {
		return nil, err
	}
	if !p.Visible(u, scope) {
		return nil, deny
	}
	if scope.TeamRole != "" {
		return nil, nil
	}
	if p.Status == StatusRetired {
		return nil, deny
	}
	pol, err := s.AccessPolicyFor(ctx, p.Classification)
	if err != nil {
		return nil, err
	}
	if !pol.RequestRequired {
		return nil, nil
	}
	var grants []Grant
	if err := s.db(ctx).Where("user_id = ? AND product_id = ? AND status = ? AND expires_at > ?", u.ID, p.ID, GrantActive, s.now()).
		Order("expires_at DESC").Find(&grants).Error; err != nil {
		return nil, err
	}
	for i := range grants {
		if grants[i].ActiveAt(s.now()) && grants[i].Covers(port) {
			return &grants[i], nil
		}
	}
	return nil, deny
}

// SweepReport says what one pass of SweepAccess did.
type SweepReport struct {
	Expired, Reminded, ReviewsRequested int
}

// SweepAccess expires grants whose time has come, reminds holders 7 days
// and 1 day before expiry, and asks owners to review grants whose review is
// due. A periodic job runs it every minute; each grant changes in its own
// short transaction, and a grant already handled (by another instance)
// is skipped.
func (s *Store) SweepAccess(ctx context.Context) (SweepReport, error) {
	var rep SweepReport
	now := s.now()
	var due []uint
	if err := s.db(ctx).Model(&Grant{}).Where("status = ? AND expires_at <= ?", GrantActive, now).Order("id").Limit(1000).Pluck("id", &due).Error; err != nil {
		return rep, fmt.Errorf("sweep: %w", err)
	}
	for _, id := range due {
		done, err := s.sweepGrant(ctx, id, func(tx *gorm.DB, g *Grant) (bool, error) {
			if g.Status != GrantActive || now.Before(g.ExpiresAt) {
				return false, nil
			}
			if err := tx.Model(&Grant{}).Where("id = ?", g.ID).Updates(map[string]any{
				"status": GrantExpired, "ended_at": g.ExpiresAt, "review_requested_at": nil}).Error; err != nil {
				return false, err
			}
			if err := s.refreshUsage(tx, g.ProductID); err != nil {
				return false, err
			}
			if err := s.auditObject(ctx, tx, nil, "access.expire", "grant", g.ref(),
				map[string]any{"status": GrantActive}, map[string]any{"status": GrantExpired, "holder": g.User.Email}); err != nil {
				return false, err
			}
			return true, s.notifyUsers(ctx, tx, []uint{g.UserID}, Notification{Kind: "grant.expired",
				Title: fmt.Sprintf("Your access to %s has expired", g.Product.Name),
				Body:  "Ask again from the product's page if you still need it.", Link: g.Product.Path()})
		})
		if err != nil {
			return rep, err
		}
		if done {
			rep.Expired++
		}
	}
	for _, days := range expiryReminders {
		var ids []uint
		if err := s.db(ctx).Model(&Grant{}).
			Where("status = ? AND expires_at > ? AND expires_at <= ? AND (reminded_days = 0 OR reminded_days > ?)", GrantActive, now, now.AddDate(0, 0, days), days).
			Order("id").Limit(1000).Pluck("id", &ids).Error; err != nil {
			return rep, fmt.Errorf("sweep: %w", err)
		}
		for _, id := range ids {
			done, err := s.sweepGrant(ctx, id, func(tx *gorm.DB, g *Grant) (bool, error) {
				if !g.ActiveAt(now) || (g.RemindedDays != 0 && g.RemindedDays <= days) {
					return false, nil
				}
				if err := tx.Model(&Grant{}).Where("id = ?", g.ID).Update("reminded_days", days).Error; err != nil {
					return false, err
				}
				when := "in 7 days"
				if days == 1 {
					when = "tomorrow"
				}
				return true, s.notifyUsers(ctx, tx, []uint{g.UserID}, Notification{Kind: "grant.expiring",
					Title: fmt.Sprintf("Your access to %s ends %s (%s)", g.Product.Name, when, g.ExpiresAt.Format("2 Jan 2006 15:04 MST")),
					Body:  "Ask for a renewal on My access if you still need it.", Link: "/access"})
			})
			if err != nil {
				return rep, err
			}
			if done {
				rep.Reminded++
			}
		}
	}
	var reviews []uint
	if err := s.db(ctx).Model(&Grant{}).Where("status = ? AND review_due_at <= ? AND review_requested_at IS NULL", GrantActive, now).
		Order("id").Limit(1000).Pluck("id", &reviews).Error; err != nil {
		return rep, fmt.Errorf("sweep: %w", err)
	}
	for _, id := range reviews {
		done, err := s.sweepGrant(ctx, id, func(tx *gorm.DB, g *Grant) (bool, error) {
			if !g.ActiveAt(now) || g.ReviewRequestedAt != nil || g.ReviewDueAt == nil || g.ReviewDueAt.After(now) {
				return false, nil
			}
			if err := tx.Model(&Grant{}).Where("id = ?", g.ID).Update("review_requested_at", now).Error; err != nil {
				return false, err
			}
			if err := s.auditObject(ctx, tx, nil, "access.review.request", "grant", g.ref(), nil,
				map[string]any{"holder": g.User.Email, "why": "periodic review"}); err != nil {
				return false, err
			}
			owners, err := s.productOwnerIDs(tx, &g.Product)
			if err != nil {
				return false, err
			}
			return true, s.notifyUsers(ctx, tx, owners, Notification{Kind: "grant.review",
				Title: fmt.Sprintf("Review %s's access to %s", g.User.DisplayName(), g.Product.Name),
				Body:  "Confirm it if they still need it, or revoke it.", Link: "/inbox"})
		})
		if err != nil {
			return rep, err
		}
		if done {
			rep.ReviewsRequested++
		}
	}
	if rep != (SweepReport{}) {
		s.mailQueued()
	}
	return rep, nil
}

// sweepGrant runs change on one grant, locked, in its own transaction.
func (s *Store) sweepGrant(ctx context.Context, id uint, change func(tx *gorm.DB, g *Grant) (bool, error)) (bool, error) {
	var done bool
	err := s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		g, err := s.loadGrant(tx, id)
		if err != nil {
			return err
		}
		done, err = change(tx, g)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("sweep grant %d: %w", id, err)
	}
	return done, nil
}

// Badges are the navigation's counts for actor: items in their inbox and
// unread notifications. Most people own no team and steward no domain: for
// them it is one small query.
func (s *Store) Badges(ctx context.Context, actor *User) (inbox int, unread int64, err error) {
	if !actor.Active() {
		return 0, 0, nil
	}
	var row struct{ Roles, Unread int64 }
	err = s.db(ctx).Raw(`SELECT (SELECT count(*) FROM memberships WHERE user_id = ? AND role = ?) +
		(SELECT count(*) FROM domain_stewards WHERE user_id = ?) AS roles,
		(SELECT count(*) FROM notifications WHERE user_id = ? AND read_at IS NULL) AS unread`,
		actor.ID, RoleOwner, actor.ID, actor.ID).Scan(&row).Error
	if err != nil || row.Roles == 0 {
		return 0, row.Unread, err
	}
	in, err := s.Inbox(ctx, actor)
	if err != nil {
		return 0, row.Unread, err
	}
	return in.Count(), row.Unread, nil
}

// CanManageGrants reports whether u sees p's consumers and may revoke and
// review their grants: the owners of its team, the stewards of its domain
// and admins.
func (s *Store) CanManageGrants(ctx context.Context, u *User, p *Product) (bool, error) {
	if !u.Active() {
		return false, nil
	}
	return s.grantManager(s.db(ctx), u, p)
}

// ActiveGrantCount is the number of grants on p that let someone in now.
func (s *Store) ActiveGrantCount(ctx context.Context, p *Product) (int64, error) {
	var n int64
	err := s.db(ctx).Model(&Grant{}).Where("product_id = ? AND status = ? AND expires_at > ?", p.ID, GrantActive, s.now()).Count(&n).Error
	return n, err
}

// ApprovalsText says, in words, what a request under p takes.
func (p AccessPolicy) ApprovalsText() string {
	switch {
	case !p.RequestRequired:
		return "No request needed: everyone signed in may use it."
	case p.OwnerApprovals > 0 && p.StewardApprovals > 0:
		return fmt.Sprintf("Needs %s and %s, from different people.",
			plural(p.OwnerApprovals, "a product owner's approval", "%d product owners' approvals"),
			plural(p.StewardApprovals, "a governance steward's approval", "%d stewards' approvals"))
	case p.StewardApprovals > 0:
		return "Needs " + plural(p.StewardApprovals, "a governance steward's approval.", "%d stewards' approvals.")
	}
	return "Needs " + plural(p.OwnerApprovals, "a product owner's approval.", "%d product owners' approvals, from different people.")
}

// refreshUsage sets a product's usage score, by which the marketplace sorts
// "most used", to the number of people holding an active grant on it now.
// Query history will add to it.
func (s *Store) refreshUsage(tx *gorm.DB, productID uint) error {
	var holders int64
	if err := tx.Model(&Grant{}).Where("product_id = ? AND status = ? AND expires_at > ?", productID, GrantActive, s.now()).
		Distinct("user_id").Count(&holders).Error; err != nil {
		return err
	}
	if err := bumpIndexVersion(tx); err != nil {
		return err
	}
	return tx.Exec("UPDATE search_docs SET usage_score = ?, version = (SELECT version FROM search_state) WHERE product_id = ?",
		holders, productID).Error
}
