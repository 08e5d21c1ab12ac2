package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"plaza/models"
	"plaza/views"
	"plaza/views/glossary"
)

// GlossaryIndex lists every business term, by domain.
func (s *Server) GlossaryIndex(c echo.Context) error {
	ctx := c.Request().Context()
	terms, err := s.Store.ListTerms(ctx, c.QueryParam("domain"))
	if err != nil {
		return err
	}
	teams, err := s.Store.EditableTeams(ctx, currentUser(c))
	if err != nil {
		return err
	}
	data := glossary.IndexData{Terms: terms, Domain: c.QueryParam("domain"), CanAdd: len(teams) > 0}
	return render(c, http.StatusOK, glossary.Index(s.shell(c, "Business glossary", views.NavMarketplace), data))
}

// term loads the term named by :domain and :term.
func (s *Server) term(c echo.Context) (*models.GlossaryTerm, error) {
	return s.Store.TermBySlug(c.Request().Context(), c.Param("domain"), c.Param("term"))
}

// TermShow is a term's page: its definition and every column that carries it.
func (s *Server) TermShow(c echo.Context) error {
	ctx := c.Request().Context()
	t, err := s.term(c)
	if err != nil {
		return err
	}
	uses, err := s.Store.TermUsage(ctx, t.ID)
	if err != nil {
		return err
	}
	scope, err := s.Store.DomainScope(ctx, currentUser(c), t.DomainID)
	if err != nil {
		return err
	}
	data := glossary.TermData{Term: *t, Uses: uses, CanEdit: models.Can(currentUser(c), models.ActManageGlossary, scope)}
	crumbs := []views.Crumb{{Label: "Glossary", Href: "/glossary"}, {Label: t.Name}}
	return render(c, http.StatusOK, glossary.Term(s.shell(c, t.Name, views.NavMarketplace, crumbs...), data))
}

// TermNew shows the empty term form.
func (s *Server) TermNew(c echo.Context) error {
	if err := s.mayDefineTerms(c); err != nil {
		return err
	}
	return s.termForm(c, http.StatusOK, glossary.FormData{New: true, Domain: c.QueryParam("domain")})
}

// TermCreate adds a term to a domain's glossary.
func (s *Server) TermCreate(c echo.Context) error {
	var in models.TermInput
	if err := c.Bind(&in); err != nil {
		return err
	}
	domain := c.FormValue("domain")
	t, err := s.Store.CreateTerm(c.Request().Context(), currentUser(c), domain, in)
	if errs, ok := formErrors(err); ok {
		return s.termForm(c, http.StatusUnprocessableEntity, glossary.FormData{New: true, Domain: domain, Values: in, Errors: errs})
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", "Term "+t.Name+" added to the glossary.")
	return redirect(c, t.Path())
}

// TermEdit shows a term's form filled in.
func (s *Server) TermEdit(c echo.Context) error {
	t, err := s.term(c)
	if err != nil {
		return err
	}
	scope, err := s.Store.DomainScope(c.Request().Context(), currentUser(c), t.DomainID)
	if err != nil {
		return err
	}
	if err := models.Authorize(currentUser(c), models.ActManageGlossary, scope); err != nil {
		return err
	}
	in := models.TermInput{Slug: t.Slug, Name: t.Name, Definition: t.Definition, Synonyms: t.Synonyms}
	return s.termForm(c, http.StatusOK, glossary.FormData{Domain: t.Domain.Slug, TermSlug: t.Slug, Values: in})
}

// TermUpdate saves a term's form.
func (s *Server) TermUpdate(c echo.Context) error {
	t, err := s.term(c)
	if err != nil {
		return err
	}
	var in models.TermInput
	if err := c.Bind(&in); err != nil {
		return err
	}
	updated, err := s.Store.UpdateTerm(c.Request().Context(), currentUser(c), t, in)
	if errs, ok := formErrors(err); ok {
		return s.termForm(c, http.StatusUnprocessableEntity, glossary.FormData{Domain: t.Domain.Slug, TermSlug: t.Slug, Values: in, Errors: errs})
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", "Term "+updated.Name+" saved.")
	return redirect(c, updated.Path())
}

// mayDefineTerms refuses people who own no team (and are not admins): no
// glossary would take their term.
func (s *Server) mayDefineTerms(c echo.Context) error {
	teams, err := s.Store.EditableTeams(c.Request().Context(), currentUser(c))
	if err != nil {
		return err
	}
	if len(teams) == 0 {
		return models.ErrForbidden
	}
	return nil
}

func (s *Server) termForm(c echo.Context, status int, d glossary.FormData) error {
	domains, err := s.Store.ListDomains(c.Request().Context(), false)
	if err != nil {
		return err
	}
	for _, dm := range domains {
		d.Domains = append(d.Domains, dm.Domain)
	}
	title := "New term"
	if !d.New {
		title = "Edit term"
	}
	crumbs := []views.Crumb{{Label: "Glossary", Href: "/glossary"}}
	return render(c, status, glossary.Form(s.shell(c, title, views.NavMarketplace, crumbs...), d))
}
