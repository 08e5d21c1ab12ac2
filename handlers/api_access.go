package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"plaza/models"
)

// The JSON API of access: requests, decisions, grants and the policies
// behind them. Every rule lives in models; these handlers bind, call one
// Store method and answer small JSON shapes, never gorm models.

type productRefJSON struct {
	Domain string `json:"domain"`
	Slug   string `json:"slug"`
	Name   string `json:"name"`
	URN    string `json:"urn"`
}

func toProductRef(p *models.Product) productRefJSON {
	return productRefJSON{Domain: p.Domain.Slug, Slug: p.Slug, Name: p.Name, URN: p.URN()}
}

type personJSON struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

type approvalsJSON struct {
	Owners   int `json:"owners"`
	Stewards int `json:"stewards"`
}

type decisionJSON struct {
	Decider personJSON `json:"decider"`
	As      string     `json:"as"` // owner, steward, or owner and steward
	Verdict string     `json:"verdict"`
	Comment string     `json:"comment"`
	At      time.Time  `json:"at"`
}

type accessRequestJSON struct {
	ID             uint           `json:"id"`
	Product        productRefJSON `json:"product"`
	Requester      personJSON     `json:"requester"`
	Ports          []string       `json:"ports"` // empty: the whole product
	Purpose        string         `json:"purpose"`
	DurationDays   int            `json:"duration_days"`
	Status         string         `json:"status"`
	Classification string         `json:"classification"`
	Needs          approvalsJSON  `json:"needs"`
	WaitingFor     string         `json:"waiting_for"` // "" once the request is closed
	Decisions      []decisionJSON `json:"decisions"`
	Grant          *grantJSON     `json:"grant"`
	RenewalOf      *uint          `json:"renewal_of"`
	CreatedAt      time.Time      `json:"created_at"`
	ClosedAt       *time.Time     `json:"closed_at"`
}

type grantJSON struct {
	ID          uint           `json:"id"`
	RequestID   uint           `json:"request_id"`
	Product     productRefJSON `json:"product"`
	Holder      personJSON     `json:"holder"`
	Ports       []string       `json:"ports"`
	Purpose     string         `json:"purpose"`
	Status      string         `json:"status"`
	StartsAt    time.Time      `json:"starts_at"`
	ExpiresAt   time.Time      `json:"expires_at"`
	EndedAt     *time.Time     `json:"ended_at"`
	EndedBy     *personJSON    `json:"ended_by"`
	EndReason   string         `json:"end_reason"`
	ReviewDueAt *time.Time     `json:"review_due_at"`
}

func toPerson(u *models.User) personJSON { return personJSON{Email: u.Email, Name: u.Name} }

func portsOf(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

func toAccessRequestJSON(r *models.AccessRequest) accessRequestJSON {
	out := accessRequestJSON{ID: r.ID, Product: toProductRef(&r.Product), Requester: toPerson(&r.Requester),
		Ports: portsOf(r.PortList()), Purpose: r.Purpose, DurationDays: r.DurationDays, Status: r.Status,
		Classification: r.Classification, Needs: approvalsJSON{r.OwnerApprovals, r.StewardApprovals},
		Decisions: []decisionJSON{}, RenewalOf: r.RenewalOfID, CreatedAt: r.CreatedAt, ClosedAt: r.ClosedAt}
	if r.Status == models.RequestPending {
		out.WaitingFor = r.WaitingFor()
	}
	for _, d := range r.Decisions {
		out.Decisions = append(out.Decisions, decisionJSON{Decider: toPerson(&d.Decider), As: d.Capacity(),
			Verdict: d.Verdict, Comment: d.Comment, At: d.At})
	}
	if r.Grant != nil {
		g := *r.Grant // loaded without its product and holder: they are the request's
		g.Product, g.User = r.Product, r.Requester
		gj := toGrantJSON(&g)
		out.Grant = &gj
	}
	return out
}

func toGrantJSON(g *models.Grant) grantJSON {
	out := grantJSON{ID: g.ID, RequestID: g.RequestID, Product: toProductRef(&g.Product), Holder: toPerson(&g.User),
		Ports: portsOf(g.PortList()), Purpose: g.Purpose, Status: g.StatusAt(time.Now()), StartsAt: g.StartsAt, ExpiresAt: g.ExpiresAt,
		EndedAt: g.EndedAt, EndReason: g.EndReason, ReviewDueAt: g.ReviewDueAt}
	if g.EndedBy != nil {
		p := toPerson(g.EndedBy)
		out.EndedBy = &p
	}
	return out
}

// bindOptionalJSON is bindJSON for calls whose body may be left out.
func bindOptionalJSON(c echo.Context, v any) error {
	if c.Request().ContentLength == 0 {
		return nil
	}
	return bindJSON(c, v)
}

// productNamed loads the product a body names as "<domain>/<product>",
// following a rename. A product that does not exist, or that the caller
// may not see, is a field error.
func (s *Server) productNamed(c echo.Context, field, ref string) (*models.Product, error) {
	domain, slug, ok := strings.Cut(strings.TrimSpace(ref), "/")
	if !ok || domain == "" || slug == "" || strings.Contains(slug, "/") {
		return nil, models.Invalid(field, "Name the product as <domain>/<product>, like sales/orders.")
	}
	ctx, u := c.Request().Context(), currentUser(c)
	p, err := s.Store.ProductBySlug(ctx, domain, slug)
	var moved *models.ErrMoved
	if errors.As(err, &moved) {
		d, sl, _ := strings.Cut(strings.TrimPrefix(moved.To, "/products/"), "/")
		p, err = s.Store.ProductBySlug(ctx, d, sl)
	}
	if err == nil {
		var scope *models.Scope
		if scope, err = s.Store.ProductScope(ctx, u, p); err == nil && !p.Visible(u, scope) {
			err = models.ErrNotFound
		}
	}
	if errors.Is(err, models.ErrNotFound) {
		return nil, models.Invalid(field, "There is no product "+strings.TrimSpace(ref)+".")
	}
	return p, err
}

// APIAccessRequestCreate asks for access to a product's output ports.
func (s *Server) APIAccessRequestCreate(c echo.Context) error {
	var body struct {
		Product string `json:"product"`
		models.AccessRequestInput
	}
	if err := bindJSON(c, &body); err != nil {
		return err
	}
	p, err := s.productNamed(c, "product", body.Product)
	if err != nil {
		return err
	}
	if body.Ports == nil && body.RenewalOf == 0 {
		// Left out, the ports are all of them; an empty list is still refused.
		for _, port := range p.OutputPorts {
			body.Ports = append(body.Ports, port.Slug)
		}
	}
	r, err := s.Store.RequestAccess(c.Request().Context(), currentUser(c), p, body.AccessRequestInput)
	if body.RenewalOf != 0 && errors.Is(err, models.ErrNotFound) {
		// The product was just found: what is missing is the grant to renew.
		return models.Invalid("renewal_of", "You hold no grant with this id on this product.")
	}
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/access-requests/"+strconv.FormatUint(uint64(r.ID), 10))
	return c.JSON(http.StatusCreated, toAccessRequestJSON(r))
}

// APIAccessRequests lists the caller's requests, newest first (?view=mine,
// the default), or those waiting for their decision, oldest first
// (?view=decide).
func (s *Server) APIAccessRequests(c echo.Context) error {
	ctx, u := c.Request().Context(), currentUser(c)
	view := c.QueryParam("view")
	var list []models.AccessRequest
	switch view {
	case "", "mine":
		view = "mine"
		mine, err := s.Store.MyRequests(ctx, u)
		if err != nil {
			return err
		}
		list = mine
	case "decide":
		inbox, err := s.Store.Inbox(ctx, u)
		if err != nil {
			return err
		}
		for _, item := range inbox.Requests {
			list = append(list, item.Request)
		}
	default:
		return models.Invalid("view", "Choose view=mine (your requests) or view=decide (requests waiting for your decision).")
	}
	out := make([]accessRequestJSON, len(list))
	for i := range list {
		out[i] = toAccessRequestJSON(&list[i])
	}
	return c.JSON(http.StatusOK, map[string]any{"view": view, "requests": out})
}

// APIAccessRequestShow returns one request to its requester, its deciders
// and admins; to anyone else it does not exist.
func (s *Server) APIAccessRequestShow(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	r, err := s.Store.AccessRequestByID(c.Request().Context(), currentUser(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toAccessRequestJSON(r))
}

// APIAccessRequestApprove records the caller's approval: {"comment": "..."} (optional).
func (s *Server) APIAccessRequestApprove(c echo.Context) error {
	return s.apiDecide(c, models.VerdictApprove)
}

// APIAccessRequestDeny records the caller's denial: {"comment": "..."} (required).
func (s *Server) APIAccessRequestDeny(c echo.Context) error {
	return s.apiDecide(c, models.VerdictDeny)
}

func (s *Server) apiDecide(c echo.Context, verdict string) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var body struct {
		Comment string `json:"comment"`
	}
	if err := bindOptionalJSON(c, &body); err != nil {
		return err
	}
	r, err := s.Store.DecideAccess(c.Request().Context(), currentUser(c), id, verdict, body.Comment)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toAccessRequestJSON(r))
}

// APIAccessRequestWithdraw withdraws the caller's own pending request.
func (s *Server) APIAccessRequestWithdraw(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := bindOptionalJSON(c, &struct{}{}); err != nil {
		return err
	}
	r, err := s.Store.WithdrawAccess(c.Request().Context(), currentUser(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toAccessRequestJSON(r))
}

// APIGrants lists the caller's grants: active ones first, by expiry.
func (s *Server) APIGrants(c echo.Context) error {
	u := currentUser(c)
	grants, err := s.Store.MyGrants(c.Request().Context(), u)
	if err != nil {
		return err
	}
	out := make([]grantJSON, len(grants))
	for i := range grants {
		grants[i].User = *u
		out[i] = toGrantJSON(&grants[i])
	}
	return c.JSON(http.StatusOK, map[string]any{"grants": out})
}

// APIProductGrants lists who holds or held access to a product (its team's
// owners, its domain's stewards and admins).
func (s *Server) APIProductGrants(c echo.Context) error {
	p, err := s.product(c)
	if err != nil {
		return err
	}
	grants, err := s.Store.ProductGrants(c.Request().Context(), currentUser(c), p)
	if err != nil {
		return err
	}
	out := make([]grantJSON, len(grants))
	for i := range grants {
		out[i] = toGrantJSON(&grants[i])
	}
	return c.JSON(http.StatusOK, map[string]any{"product": toProductRef(p), "grants": out})
}

// APIGrantRevoke ends a grant now: {"reason": "..."}, which the holder reads.
func (s *Server) APIGrantRevoke(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var body struct {
		Reason string `json:"reason"`
	}
	if err := bindOptionalJSON(c, &body); err != nil {
		return err
	}
	g, err := s.Store.RevokeGrant(c.Request().Context(), currentUser(c), id, body.Reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toGrantJSON(g))
}

type policyJSON struct {
	Classification   string    `json:"classification"`
	RequestRequired  bool      `json:"request_required"`
	OwnerApprovals   int       `json:"owner_approvals"`
	StewardApprovals int       `json:"steward_approvals"`
	RequireTerms     bool      `json:"require_terms"`
	MaxDays          int       `json:"max_days"`
	ReviewDays       int       `json:"review_days"`
	DurationChoices  []int     `json:"duration_choices"`
	UpdatedAt        time.Time `json:"updated_at"`
}

func toPolicyJSON(p *models.AccessPolicy) policyJSON {
	choices := p.DurationChoices()
	if choices == nil {
		choices = []int{}
	}
	return policyJSON{Classification: p.Classification, RequestRequired: p.RequestRequired, OwnerApprovals: p.OwnerApprovals,
		StewardApprovals: p.StewardApprovals, RequireTerms: p.RequireTerms, MaxDays: p.MaxDays, ReviewDays: p.ReviewDays,
		DurationChoices: choices, UpdatedAt: p.UpdatedAt}
}

// APIPolicies lists the access policy of every classification.
func (s *Server) APIPolicies(c echo.Context) error {
	list, err := s.Store.AccessPolicies(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]policyJSON, len(list))
	for i := range list {
		out[i] = toPolicyJSON(&list[i])
	}
	return c.JSON(http.StatusOK, map[string]any{"policies": out})
}

// policyPut is the body of a PUT: the policy as GET returns it (its
// read-only fields are accepted and ignored).
type policyPut struct {
	models.AccessPolicyInput
	Classification  string     `json:"classification"`
	DurationChoices []int      `json:"duration_choices"`
	UpdatedAt       *time.Time `json:"updated_at"`
}

// APIPolicyUpdate replaces one classification's policy (admins). It applies
// to requests submitted from now on.
func (s *Server) APIPolicyUpdate(c echo.Context) error {
	var body policyPut
	if err := bindJSON(c, &body); err != nil {
		return err
	}
	p, err := s.Store.UpdateAccessPolicy(c.Request().Context(), currentUser(c), c.Param("classification"), body.AccessPolicyInput)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toPolicyJSON(p))
}
