package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"plaza/models"
	"plaza/views"
	"plaza/views/marketplace"
	"plaza/views/teams"
)

// team loads the team named by the :domain and :team path parameters.
func (s *Server) team(c echo.Context) (*models.Team, error) {
	return s.Store.TeamBySlug(c.Request().Context(), c.Param("domain"), c.Param("team"))
}

func teamCrumbs(t *models.Team) []views.Crumb {
	return append(domainCrumbs(&t.Domain), views.Crumb{Label: t.Name, Href: teamURL(t)})
}

func teamURL(t *models.Team) string { return "/domains/" + t.Domain.Slug + "/teams/" + t.Slug }

// TeamShow is a team's page: its people and, for owners and admins, the
// controls to manage them.
func (s *Server) TeamShow(c echo.Context) error {
	t, err := s.team(c)
	if err != nil {
		return err
	}
	return s.teamPage(c, http.StatusOK, t, teams.MemberForm{Role: models.RoleMember})
}

func (s *Server) teamPage(c echo.Context, status int, t *models.Team, form teams.MemberForm) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	members, err := s.Store.Members(ctx, t.ID)
	if err != nil {
		return err
	}
	scope, err := s.Store.TeamScope(ctx, u, t.ID)
	if err != nil {
		return err
	}
	data := teams.ShowData{
		Team: *t, Members: members, Form: form, Me: u.ID,
		CanManageMembers: models.Can(u, models.ActManageMembers, scope),
		CanEdit:          models.Can(u, models.ActEditTeam, scope),
		CanArchive:       models.Can(u, models.ActManageTeams, nil),
	}
	res, err := s.Store.SearchProducts(ctx, u, models.SearchQuery{Teams: []string{t.Domain.Slug + "/" + t.Slug}, Sort: models.SortName, PageSize: models.MaxSearchPageSize})
	if err != nil {
		return err
	}
	data.Products = marketplace.Cards(res.Hits)
	if data.CanManageMembers {
		if data.People, err = s.Store.SearchUsers(ctx, "", 200); err != nil {
			return err
		}
	}
	return render(c, status, teams.Show(s.shell(c, t.Name, views.NavDomains, teamCrumbs(t)...), data))
}

// MemberAdd adds a person to a team or changes their role.
func (s *Server) MemberAdd(c echo.Context) error {
	t, err := s.team(c)
	if err != nil {
		return err
	}
	var f teams.MemberForm
	if err := c.Bind(&f); err != nil {
		return err
	}
	m, err := s.Store.AddMember(c.Request().Context(), currentUser(c), t, f.Email, f.Role)
	if errs, ok := formErrors(err); ok {
		f.Errors = errs
		if msg, ok := errs["team"]; ok { // an archived team: no field shows it
			s.flash(c, "error", msg)
		}
		return s.teamPage(c, http.StatusUnprocessableEntity, t, f)
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", m.User.DisplayName()+" is now "+article(m.Role)+" of "+t.Name+".")
	return redirect(c, teamURL(t))
}

// MemberRemove takes a person out of a team.
func (s *Server) MemberRemove(c echo.Context) error {
	t, err := s.team(c)
	if err != nil {
		return err
	}
	email := c.FormValue("email")
	if err := s.Store.RemoveMember(c.Request().Context(), currentUser(c), t, email); err != nil {
		return err
	}
	s.flash(c, "success", email+" was removed from "+t.Name+".")
	return redirect(c, teamURL(t))
}

func article(role string) string {
	if role == models.RoleOwner {
		return "an owner"
	}
	return "a member"
}

// TeamNew shows the empty team form of a domain.
func (s *Server) TeamNew(c echo.Context) error {
	d, err := s.Store.DomainBySlug(c.Request().Context(), c.Param("domain"))
	if err != nil {
		return err
	}
	return s.teamForm(c, http.StatusOK, teams.FormData{New: true, Domain: *d})
}

// TeamCreate adds a team to a domain.
func (s *Server) TeamCreate(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := s.Store.DomainBySlug(ctx, c.Param("domain"))
	if err != nil {
		return err
	}
	var in models.TeamInput
	if err := c.Bind(&in); err != nil {
		return err
	}
	t, err := s.Store.CreateTeam(ctx, currentUser(c), d.Slug, in)
	if errs, ok := formErrors(err); ok {
		if msg, ok := errs["domain"]; ok { // an archived domain: no field shows it, the summary does
			errs["_"] = msg
		}
		return s.teamForm(c, http.StatusUnprocessableEntity, teams.FormData{New: true, Domain: *d, Values: in, Errors: errs})
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", "Team "+t.Name+" created. Add its owners and members below.")
	return redirect(c, teamURL(t))
}

// TeamEdit shows a team's form; admins and the team's owners may.
func (s *Server) TeamEdit(c echo.Context) error {
	t, err := s.team(c)
	if err != nil {
		return err
	}
	scope, err := s.Store.TeamScope(c.Request().Context(), currentUser(c), t.ID)
	if err != nil {
		return err
	}
	if err := models.Authorize(currentUser(c), models.ActEditTeam, scope); err != nil {
		return err
	}
	in := models.TeamInput{Slug: t.Slug, Name: t.Name, Description: t.Description}
	return s.teamForm(c, http.StatusOK, teams.FormData{Domain: t.Domain, TeamSlug: t.Slug, Values: in})
}

// TeamUpdate saves a team's form.
func (s *Server) TeamUpdate(c echo.Context) error {
	t, err := s.team(c)
	if err != nil {
		return err
	}
	var in models.TeamInput
	if err := c.Bind(&in); err != nil {
		return err
	}
	updated, err := s.Store.UpdateTeam(c.Request().Context(), currentUser(c), t, in)
	if errs, ok := formErrors(err); ok {
		return s.teamForm(c, http.StatusUnprocessableEntity, teams.FormData{Domain: t.Domain, TeamSlug: t.Slug, Values: in, Errors: errs})
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", "Team "+updated.Name+" saved.")
	return redirect(c, teamURL(updated))
}

func (s *Server) teamForm(c echo.Context, status int, data teams.FormData) error {
	title := "New team"
	if !data.New {
		title = "Edit team"
	}
	crumbs := domainCrumbs(&data.Domain)
	return render(c, status, teams.Form(s.shell(c, title, views.NavDomains, crumbs...), data))
}

// TeamArchive archives a team (admins).
func (s *Server) TeamArchive(c echo.Context) error { return s.setTeamArchived(c, true) }

// TeamRestore restores an archived team (admins).
func (s *Server) TeamRestore(c echo.Context) error { return s.setTeamArchived(c, false) }

func (s *Server) setTeamArchived(c echo.Context, archived bool) error {
	t, err := s.team(c)
	if err != nil {
		return err
	}
	t, err = s.Store.SetTeamArchived(c.Request().Context(), currentUser(c), t, archived)
	if err != nil {
		return err
	}
	if archived {
		s.flash(c, "success", "Team "+t.Name+" archived.")
	} else {
		s.flash(c, "success", "Team "+t.Name+" restored.")
	}
	return redirect(c, teamURL(t))
}
