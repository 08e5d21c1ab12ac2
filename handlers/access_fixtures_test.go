package handlers

import (
	"context"
	"errors"
	"strings"
	"testing"

	"plaza/models"
)

// Access fixtures for the handler tests: requests, grants, stewards and
// people made through the Store, as a person would make them, so every
// rule and audit event is the real one.

// fixturePurpose is the purpose of the requests the fixtures send.
const fixturePurpose = "Weekly analysis for the merchandising review."

// productAt loads a product by "<domain>/<product>".
func (e *env) productAt(t *testing.T, ref string) *models.Product {
	t.Helper()
	domain, slug, _ := strings.Cut(ref, "/")
	p, err := e.Store.ProductBySlug(context.Background(), domain, slug)
	if err != nil {
		t.Fatalf("product %s: %v", ref, err)
	}
	return p
}

// person loads the person with email, adding them (by an admin) when
// nobody has that email yet: a requester no seed knows.
func (e *env) person(t *testing.T, email, name string) *models.User {
	t.Helper()
	ctx := context.Background()
	u, err := e.Store.UserByEmail(ctx, email)
	if models.IsNotFound(err) {
		u, err = e.Store.CreatePerson(ctx, e.user(adminEmail), models.PersonInput{Email: email, Name: name})
	}
	if err != nil {
		t.Fatalf("person %s: %v", email, err)
	}
	return u
}

// steward makes email a steward of domain, unless they already are.
func (e *env) steward(t *testing.T, domain, email string) {
	t.Helper()
	ctx := context.Background()
	d, err := e.Store.DomainBySlug(ctx, domain)
	if err != nil {
		t.Fatal(err)
	}
	stewards, err := e.Store.Stewards(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range stewards {
		if u.Email == email {
			return
		}
	}
	if _, err := e.Store.AddSteward(ctx, e.user(adminEmail), d, email); err != nil {
		t.Fatalf("steward %s of %s: %v", email, domain, err)
	}
}

// requestAccess sends requesterEmail's request for product ("<domain>/<product>") with in.
func (e *env) requestAccess(t *testing.T, requesterEmail, product string, in models.AccessRequestInput) *models.AccessRequest {
	t.Helper()
	r, err := e.Store.RequestAccess(context.Background(), e.user(requesterEmail), e.productAt(t, product), in)
	if err != nil {
		t.Fatalf("%s asks for %s: %v", requesterEmail, product, err)
	}
	return r
}

// accessRequest sends requesterEmail's pending request for every output
// port of product ("<domain>/<product>"), for 30 days, terms accepted.
func (e *env) accessRequest(t *testing.T, requesterEmail, product string) *models.AccessRequest {
	t.Helper()
	var ports []string
	for _, port := range e.productAt(t, product).OutputPorts {
		ports = append(ports, port.Slug)
	}
	return e.requestAccess(t, requesterEmail, product, models.AccessRequestInput{
		Ports: ports, Purpose: fixturePurpose, DurationDays: 30, AcceptTerms: true})
}

// grantFor sends a request like accessRequest and has it approved by the
// product's team owners and its domain's stewards, as many as its policy
// asks, and returns the active grant. A restricted product needs a
// steward: add one with steward first.
func (e *env) grantFor(t *testing.T, requesterEmail, product string) *models.Grant {
	t.Helper()
	ctx := context.Background()
	r := e.accessRequest(t, requesterEmail, product)
	members, err := e.Store.Members(ctx, r.Product.TeamID)
	if err != nil {
		t.Fatal(err)
	}
	var deciders []*models.User
	for i := range members {
		if members[i].Role == models.RoleOwner {
			deciders = append(deciders, &members[i].User)
		}
	}
	stewards, err := e.Store.Stewards(ctx, r.Product.DomainID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range stewards {
		deciders = append(deciders, &stewards[i])
	}
	for _, d := range deciders {
		if r.Status != models.RequestPending {
			break
		}
		got, err := e.Store.DecideAccess(ctx, d, r.ID, models.VerdictApprove, "Approved for the test.")
		if errors.Is(err, models.ErrConflict) || errors.Is(err, models.ErrForbidden) {
			continue // their slot is filled already, or they may not decide (the requester)
		}
		if err != nil {
			t.Fatalf("%s approves request %d: %v", d.Email, r.ID, err)
		}
		r = got
	}
	if r.Status != models.RequestGranted || r.Grant == nil {
		t.Fatalf("request %d for %s is %s, waiting for %s: the product lacks deciders", r.ID, product, r.Status, r.WaitingFor())
	}
	g, err := e.Store.GrantByID(ctx, r.Grant.ID)
	if err != nil {
		t.Fatal(err)
	}
	return g
}
