package handlers

// Browser pages of federated governance: request access, My access, the
// deciders' inbox, a product's consumers, notifications, and the admins'
// access policy and domain stewards. Every rule is in models; these
// handlers parse, call the store and render.

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"plaza/models"
	"plaza/views"
	"plaza/views/access"
)

// AccessForm shows the request form of a product.
func (s *Server) AccessForm(c echo.Context) error {
	p, err := s.product(c)
	if err != nil {
		return err
	}
	pol, err := s.Store.AccessPolicyFor(c.Request().Context(), p.Classification)
	if err != nil {
		return err
	}
	d := access.RequestFormData{Product: *p, Policy: *pol, Values: models.AccessRequestInput{DurationDays: defaultDuration(pol)}}
	return s.renderRequestForm(c, http.StatusOK, d)
}

// defaultDuration is the choice preselected on the form: 90 days, or the
// policy's longest if that is shorter.
func defaultDuration(p *models.AccessPolicy) int {
	return min(90, p.MaxDays)
}

func (s *Server) renderRequestForm(c echo.Context, status int, d access.RequestFormData) error {
	crumbs := append(domainCrumbs(&d.Product.Domain), views.Crumb{Label: d.Product.Name, Href: d.Product.Path()}, views.Crumb{Label: "Request access"})
	return render(c, status, access.RequestForm(s.shell(c, "Request access to "+d.Product.Name, views.NavMarketplace, crumbs...), d))
}

func parseRequestForm(c echo.Context) (models.AccessRequestInput, error) {
	form, err := c.FormParams()
	if err != nil {
		return models.AccessRequestInput{}, err
	}
	days, _ := strconv.Atoi(form.Get("duration_days"))
	return models.AccessRequestInput{Ports: form["ports"], Purpose: form.Get("purpose"), DurationDays: days,
		AcceptTerms: form.Get("accept_terms") == "true"}, nil
}

// AccessRequestCreate submits a request from the form.
func (s *Server) AccessRequestCreate(c echo.Context) error {
	p, err := s.product(c)
	if err != nil {
		return err
	}
	in, err := parseRequestForm(c)
	if err != nil {
		return err
	}
	return s.submitRequest(c, p, in, nil)
}

// submitRequest sends a request or a renewal, and answers with My access,
// the form again with its errors, or the existing request or grant.
func (s *Server) submitRequest(c echo.Context, p *models.Product, in models.AccessRequestInput, renewal *models.Grant) error {
	ctx := c.Request().Context()
	r, err := s.Store.RequestAccess(ctx, currentUser(c), p, in)
	if errs, ok := formErrors(err); ok {
		pol, perr := s.Store.AccessPolicyFor(ctx, p.Classification)
		if perr != nil {
			return perr
		}
		return s.renderRequestForm(c, http.StatusUnprocessableEntity, access.RequestFormData{Product: *p, Policy: *pol, Values: in, Renewal: renewal, Errors: errs})
	}
	var existing *models.ExistingAccessError
	switch {
	case errors.As(err, &existing) && existing.Request != nil:
		s.flash(c, "info", "You already asked for this: your request is below, waiting for a decision.")
		return redirect(c, fmt.Sprintf("/access?highlight=%d#request-%d", existing.Request.ID, existing.Request.ID))
	case errors.As(err, &existing):
		s.flash(c, "info", "You already hold access to this until "+existing.Grant.ExpiresAt.Format("2 Jan 2006")+".")
		return redirect(c, "/access")
	case errors.Is(err, models.ErrConflict):
		s.flash(c, "info", conflictMessage(err))
		return redirect(c, p.Path())
	case err != nil:
		return err
	}
	s.flash(c, "success", "Request sent. It needs "+r.WaitingFor()+"; you will be notified of each decision.")
	return redirect(c, fmt.Sprintf("/access#request-%d", r.ID))
}

// MyAccess lists the person's grants and requests.
func (s *Server) MyAccess(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	reqs, err := s.Store.MyRequests(ctx, u)
	if err != nil {
		return err
	}
	grants, err := s.Store.MyGrants(ctx, u)
	if err != nil {
		return err
	}
	d := access.MyAccessData{Requests: reqs, Grants: grants, Now: s.Store.Now(), Highlight: uint(queryInt(c, "highlight", 0))}
	return render(c, http.StatusOK, access.MyAccess(s.shell(c, "My access", views.NavAccess), d))
}

// accessRequest loads the request named by :id, if the reader may see it.
func (s *Server) accessRequest(c echo.Context) (*models.AccessRequest, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return nil, err
	}
	return s.Store.AccessRequestByID(c.Request().Context(), currentUser(c), id)
}

// AccessRequestShow is one request's page.
func (s *Server) AccessRequestShow(c echo.Context) error {
	r, err := s.accessRequest(c)
	if err != nil {
		return err
	}
	return s.renderRequestPage(c, http.StatusOK, r, "")
}

func (s *Server) renderRequestPage(c echo.Context, status int, r *models.AccessRequest, decideErr string) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	d := access.RequestPageData{Request: *r, Now: s.Store.Now(), Mine: r.RequesterID == u.ID, DecideError: decideErr}
	if r.Status == models.RequestPending && r.RequesterID != u.ID {
		in, err := s.Store.Inbox(ctx, u)
		if err != nil {
			return err
		}
		for _, it := range in.Requests {
			if it.Request.ID == r.ID {
				d.CanDecide, d.Decider = true, it.Decider
			}
		}
	}
	crumbs := []views.Crumb{{Label: "My access", Href: "/access"}, {Label: "Request " + strconv.FormatUint(uint64(r.ID), 10)}}
	nav := views.NavAccess
	if !d.Mine {
		crumbs[0], nav = views.Crumb{Label: "Inbox", Href: "/inbox"}, views.NavInbox
	}
	return render(c, status, access.RequestPage(s.shell(c, "Access request", nav, crumbs...), d))
}

// AccessDecide approves or denies a request. From the inbox (htmx) it
// answers with the item's new state; from the request page, with the page.
func (s *Server) AccessDecide(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	u := currentUser(c)
	verdict, comment := c.FormValue("verdict"), c.FormValue("comment")
	r, err := s.Store.DecideAccess(ctx, u, id, verdict, comment)
	if err == nil {
		if isHTMX(c) {
			return render(c, http.StatusOK, access.Decided(*r, verdict))
		}
		s.flash(c, "success", decidedText(r, verdict))
		return redirect(c, r.Path())
	}
	msg := ""
	if errs, ok := formErrors(err); ok {
		msg = errs["comment"]
		if msg == "" {
			_, msg = (&models.ValidationError{Fields: errs}).First()
		}
	} else if errors.Is(err, models.ErrConflict) {
		msg = conflictMessage(err)
	} else {
		return err
	}
	if isHTMX(c) {
		// htmx swaps only successful answers: the item comes back with the message.
		in, ierr := s.Store.Inbox(ctx, u)
		if ierr != nil {
			return ierr
		}
		for _, it := range in.Requests {
			if it.Request.ID == id {
				return render(c, http.StatusOK, access.InboxItem(s.shell(c, "", ""), it, s.Store.Now(), msg))
			}
		}
		s.flash(c, "info", msg)
		return redirect(c, "/inbox")
	}
	r, rerr := s.Store.AccessRequestByID(ctx, u, id)
	if rerr != nil {
		return rerr
	}
	return s.renderRequestPage(c, http.StatusUnprocessableEntity, r, msg)
}

func decidedText(r *models.AccessRequest, verdict string) string {
	switch {
	case verdict == models.VerdictDeny:
		return "Request denied; " + r.Requester.DisplayName() + " has been told why."
	case r.Status == models.RequestGranted:
		return "Approved: " + r.Requester.DisplayName() + " now has access."
	}
	return "Approved. The request now waits for " + r.WaitingFor() + "."
}

// AccessWithdraw withdraws the person's own pending request.
func (s *Server) AccessWithdraw(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	_, err = s.Store.WithdrawAccess(c.Request().Context(), currentUser(c), id)
	if errors.Is(err, models.ErrConflict) {
		s.flash(c, "info", conflictMessage(err))
		return redirect(c, "/access")
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", "Request withdrawn.")
	return redirect(c, "/access")
}

// myGrant loads the grant named by :id when it is the reader's own.
func (s *Server) myGrant(c echo.Context) (*models.Grant, *models.Product, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return nil, nil, err
	}
	ctx := c.Request().Context()
	g, err := s.Store.GrantByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if g.UserID != currentUser(c).ID {
		return nil, nil, models.ErrNotFound
	}
	p, err := s.Store.ProductByID(ctx, g.ProductID)
	return g, p, err
}

// RenewForm asks to extend one of the person's grants.
func (s *Server) RenewForm(c echo.Context) error {
	g, p, err := s.myGrant(c)
	if err != nil {
		return err
	}
	pol, err := s.Store.AccessPolicyFor(c.Request().Context(), p.Classification)
	if err != nil {
		return err
	}
	d := access.RequestFormData{Product: *p, Policy: *pol, Renewal: g,
		Values: models.AccessRequestInput{Purpose: g.Purpose, DurationDays: defaultDuration(pol)}}
	return s.renderRequestForm(c, http.StatusOK, d)
}

// RenewCreate sends the renewal request.
func (s *Server) RenewCreate(c echo.Context) error {
	g, p, err := s.myGrant(c)
	if err != nil {
		return err
	}
	in, err := parseRequestForm(c)
	if err != nil {
		return err
	}
	in.RenewalOf = g.ID
	return s.submitRequest(c, p, in, g)
}

// GrantRevoke ends a grant now, from the consumers page.
func (s *Server) GrantRevoke(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	u := currentUser(c)
	g, err := s.Store.RevokeGrant(ctx, u, id, c.FormValue("reason"))
	if errs, ok := formErrors(err); ok {
		g, gerr := s.Store.GrantByID(ctx, id)
		if gerr != nil {
			return gerr
		}
		p, perr := s.Store.ProductByID(ctx, g.ProductID)
		if perr != nil {
			return perr
		}
		return s.renderConsumers(c, http.StatusUnprocessableEntity, p, map[uint]string{id: errs["reason"]})
	}
	if errors.Is(err, models.ErrConflict) {
		s.flash(c, "info", conflictMessage(err))
		return redirect(c, "/inbox")
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", "Access revoked: "+g.User.DisplayName()+" can no longer use "+g.Product.Name+".")
	return redirect(c, g.Product.Path()+"/consumers")
}

// GrantConfirm records an owner's review: the holder keeps access.
func (s *Server) GrantConfirm(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	g, err := s.Store.ConfirmGrant(c.Request().Context(), currentUser(c), id)
	if errors.Is(err, models.ErrConflict) {
		s.flash(c, "info", conflictMessage(err))
		return redirect(c, "/inbox")
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", "Confirmed: "+g.User.DisplayName()+" keeps access to "+g.Product.Name+".")
	return redirect(c, "/inbox")
}

// Consumers lists who holds access to a product, for its owners.
func (s *Server) Consumers(c echo.Context) error {
	p, err := s.product(c)
	if err != nil {
		return err
	}
	return s.renderConsumers(c, http.StatusOK, p, nil)
}

func (s *Server) renderConsumers(c echo.Context, status int, p *models.Product, errs map[uint]string) error {
	grants, err := s.Store.ProductGrants(c.Request().Context(), currentUser(c), p)
	if err != nil {
		return err
	}
	d := access.ConsumersData{Product: *p, Grants: grants, Now: s.Store.Now(), Errors: errs}
	crumbs := append(domainCrumbs(&p.Domain), views.Crumb{Label: p.Name, Href: p.Path()}, views.Crumb{Label: "Consumers"})
	return render(c, status, access.Consumers(s.shell(c, "Consumers of "+p.Name, views.NavMarketplace, crumbs...), d))
}

// InboxPage lists what waits for the reader's decision.
func (s *Server) InboxPage(c echo.Context) error {
	in, err := s.Store.Inbox(c.Request().Context(), currentUser(c))
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, access.Inbox(s.shell(c, "Inbox", views.NavInbox), access.InboxData{Inbox: in, Now: s.Store.Now()}))
}

// NotificationsPage lists the reader's notifications.
func (s *Server) NotificationsPage(c echo.Context) error {
	items, err := s.Store.Notifications(c.Request().Context(), currentUser(c), 100)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, access.Notifications(s.shell(c, "Notifications", views.NavNotifications), items, s.Store.Now()))
}

// NotificationOpen marks a notification read and follows its link.
func (s *Server) NotificationOpen(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	n, err := s.Store.MarkRead(c.Request().Context(), currentUser(c), id)
	if err != nil {
		return err
	}
	to := safeNext(n.Link)
	return c.Redirect(http.StatusSeeOther, to)
}

// NotificationsReadAll marks every notification read.
func (s *Server) NotificationsReadAll(c echo.Context) error {
	if _, err := s.Store.MarkRead(c.Request().Context(), currentUser(c), 0); err != nil {
		return err
	}
	return redirect(c, "/notifications")
}

// PolicyIndex shows the access policy of every classification.
func (s *Server) PolicyIndex(c echo.Context) error {
	return s.renderPolicies(c, http.StatusOK, access.PoliciesData{})
}

func (s *Server) renderPolicies(c echo.Context, status int, d access.PoliciesData) error {
	var err error
	if d.Policies, err = s.Store.AccessPolicies(c.Request().Context()); err != nil {
		return err
	}
	return render(c, status, access.Policies(s.shell(c, "Access policy", views.NavAdmin, adminCrumb, views.Crumb{Label: "Access policy"}), d))
}

// PolicyUpdate saves one classification's policy.
func (s *Server) PolicyUpdate(c echo.Context) error {
	class := c.Param("classification")
	num := func(name string) int { n, _ := strconv.Atoi(c.FormValue(name)); return n }
	in := models.AccessPolicyInput{RequestRequired: c.FormValue("request_required") == "true",
		OwnerApprovals: num("owner_approvals"), StewardApprovals: num("steward_approvals"),
		RequireTerms: c.FormValue("require_terms") == "true", MaxDays: num("max_days"), ReviewDays: num("review_days")}
	_, err := s.Store.UpdateAccessPolicy(c.Request().Context(), currentUser(c), class, in)
	if errs, ok := formErrors(err); ok {
		if _, bad := errs["classification"]; bad {
			return models.ErrNotFound
		}
		return s.renderPolicies(c, http.StatusUnprocessableEntity, access.PoliciesData{Edited: class, Values: in, Errors: errs})
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", "Policy for "+class+" products saved. It applies to requests from now on.")
	return redirect(c, "/admin/policy#policy-"+class)
}

// StewardAdd makes someone a governance steward of a domain.
func (s *Server) StewardAdd(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := s.Store.DomainBySlug(ctx, c.Param("domain"))
	if err != nil {
		return err
	}
	u, err := s.Store.AddSteward(ctx, currentUser(c), d, c.FormValue("email"))
	if errs, ok := formErrors(err); ok {
		s.flash(c, "error", errs["email"])
		return redirect(c, "/domains/"+d.Slug+"#stewards")
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", u.DisplayName()+" is now a steward of "+d.Name+".")
	return redirect(c, "/domains/"+d.Slug+"#stewards")
}

// StewardRemove ends someone's stewardship of a domain.
func (s *Server) StewardRemove(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := s.Store.DomainBySlug(ctx, c.Param("domain"))
	if err != nil {
		return err
	}
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Store.RemoveSteward(ctx, currentUser(c), d, id); err != nil {
		return err
	}
	s.flash(c, "success", "Steward removed.")
	return redirect(c, "/domains/"+d.Slug+"#stewards")
}
