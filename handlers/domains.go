package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"plaza/models"
	"plaza/views"
	"plaza/views/domains"
	"plaza/views/marketplace"
)

// DomainsIndex lists the company's domains for everyone signed in.
func (s *Server) DomainsIndex(c echo.Context) error {
	list, err := s.Store.ListDomains(c.Request().Context(), false)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, domains.Index(s.shell(c, "Domains", views.NavDomains), list))
}

// DomainShow is a domain's page: what it is, who to contact, its teams.
func (s *Server) DomainShow(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := s.Store.DomainBySlug(ctx, c.Param("domain"))
	if err != nil {
		return err
	}
	u := currentUser(c)
	teams, err := s.Store.ListTeams(ctx, d.ID, models.Can(u, models.ActManageTeams, nil))
	if err != nil {
		return err
	}
	res, err := s.Store.SearchProducts(ctx, u, models.SearchQuery{Domains: []string{d.Slug}, Sort: models.SortName, PageSize: models.MaxSearchPageSize})
	if err != nil {
		return err
	}
	data := domains.ShowData{Domain: *d, Teams: teams, Products: marketplace.Cards(res.Hits), ProductTotal: res.Total,
		CanManage: models.Can(u, models.ActManageDomains, nil)}
	if data.Stewards, err = s.Store.Stewards(ctx, d.ID); err != nil {
		return err
	}
	return render(c, http.StatusOK, domains.Show(s.shell(c, d.Name, views.NavDomains, domainCrumbs(d)...), data))
}

func domainCrumbs(d *models.Domain) []views.Crumb {
	return []views.Crumb{{Label: "Domains", Href: "/domains"}, {Label: d.Name, Href: "/domains/" + d.Slug}}
}

// AdminDomains lists every domain, archived ones too, with their actions.
func (s *Server) AdminDomains(c echo.Context) error {
	list, err := s.Store.ListDomains(c.Request().Context(), true)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, domains.AdminIndex(s.shell(c, "Domains", views.NavAdmin, adminCrumb), list))
}

var adminCrumb = views.Crumb{Label: "Admin", Href: "/admin"}

// DomainNew shows the empty domain form.
func (s *Server) DomainNew(c echo.Context) error {
	return s.domainForm(c, http.StatusOK, domains.FormData{New: true})
}

// DomainCreate adds a domain, or shows the form again with what went wrong.
func (s *Server) DomainCreate(c echo.Context) error {
	var in models.DomainInput
	if err := c.Bind(&in); err != nil {
		return err
	}
	d, err := s.Store.CreateDomain(c.Request().Context(), currentUser(c), in)
	if errs, ok := formErrors(err); ok {
		return s.domainForm(c, http.StatusUnprocessableEntity, domains.FormData{New: true, Values: in, Errors: errs})
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", "Domain "+d.Name+" created. Add its first team next.")
	return redirect(c, "/domains/"+d.Slug)
}

// DomainEdit shows a domain's form filled in.
func (s *Server) DomainEdit(c echo.Context) error {
	d, err := s.Store.DomainBySlug(c.Request().Context(), c.Param("domain"))
	if err != nil {
		return err
	}
	in := models.DomainInput{Slug: d.Slug, Name: d.Name, Description: d.Description, ContactEmail: d.ContactEmail}
	return s.domainForm(c, http.StatusOK, domains.FormData{Slug: d.Slug, Values: in, Archived: d.Archived()})
}

// DomainUpdate saves a domain's form.
func (s *Server) DomainUpdate(c echo.Context) error {
	var in models.DomainInput
	if err := c.Bind(&in); err != nil {
		return err
	}
	slug := c.Param("domain")
	d, err := s.Store.UpdateDomain(c.Request().Context(), currentUser(c), slug, in)
	if errs, ok := formErrors(err); ok {
		return s.domainForm(c, http.StatusUnprocessableEntity, domains.FormData{Slug: slug, Values: in, Errors: errs})
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", "Domain "+d.Name+" saved.")
	return redirect(c, "/domains/"+d.Slug)
}

func (s *Server) domainForm(c echo.Context, status int, data domains.FormData) error {
	title := "New domain"
	crumbs := []views.Crumb{adminCrumb, {Label: "Domains", Href: "/admin/domains"}}
	if !data.New {
		title = "Edit domain"
		crumbs = append(crumbs, views.Crumb{Label: data.Slug, Href: "/domains/" + data.Slug})
	}
	return render(c, status, domains.Form(s.shell(c, title, views.NavAdmin, crumbs...), data))
}

// DomainArchive hides a domain from the catalog, keeping its history.
func (s *Server) DomainArchive(c echo.Context) error {
	d, err := s.Store.SetDomainArchived(c.Request().Context(), currentUser(c), c.Param("domain"), true)
	if err != nil {
		return err
	}
	s.flash(c, "success", "Domain "+d.Name+" archived. Restore it from Admin → Domains.")
	return redirect(c, "/admin/domains")
}

// DomainRestore brings an archived domain back.
func (s *Server) DomainRestore(c echo.Context) error {
	d, err := s.Store.SetDomainArchived(c.Request().Context(), currentUser(c), c.Param("domain"), false)
	if err != nil {
		return err
	}
	s.flash(c, "success", "Domain "+d.Name+" restored.")
	return redirect(c, "/domains/"+d.Slug)
}

// DomainDelete deletes an empty domain; one with teams is archived instead.
func (s *Server) DomainDelete(c echo.Context) error {
	slug := c.Param("domain")
	outcome, err := s.Store.RemoveDomain(c.Request().Context(), currentUser(c), slug)
	if err != nil {
		return err
	}
	if outcome == models.Archived {
		s.flash(c, "info", "Domain "+slug+" still has teams, so it was archived rather than deleted.")
	} else {
		s.flash(c, "success", "Domain "+slug+" deleted.")
	}
	return redirect(c, "/admin/domains")
}
