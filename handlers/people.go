package handlers

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"plaza/models"
	"plaza/views"
	"plaza/views/admin"
)

// PeopleIndex lists people with their roles, filtered and paged.
func (s *Server) PeopleIndex(c echo.Context) error {
	return s.peoplePage(c, http.StatusOK, admin.PersonForm{})
}

func (s *Server) peoplePage(c echo.Context, status int, form admin.PersonForm) error {
	f := models.PeopleFilter{Query: c.QueryParam("q"), Role: c.QueryParam("role")}
	users, page, err := s.Store.ListUsers(c.Request().Context(), f, models.NewPage(queryInt(c, "page", 1), 50))
	if err != nil {
		return err
	}
	data := admin.PeopleData{People: users, Filter: f, Page: page, Form: form, Me: currentUser(c).ID,
		PageHref: func(n int) string {
			q := url.Values{"q": {f.Query}, "role": {f.Role}, "page": {strconv.Itoa(n)}}
			return "/admin/people?" + q.Encode()
		}}
	return render(c, status, admin.People(s.shell(c, "People", views.NavAdmin, adminCrumb), data))
}

// PersonCreate adds a person by email before their first sign-in.
func (s *Server) PersonCreate(c echo.Context) error {
	var in models.PersonInput
	if err := c.Bind(&in); err != nil {
		return err
	}
	u, err := s.Store.CreatePerson(c.Request().Context(), currentUser(c), in)
	if errs, ok := formErrors(err); ok {
		return s.peoplePage(c, http.StatusUnprocessableEntity, admin.PersonForm{Values: in, Errors: errs})
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", u.DisplayName()+" added. They can now be put in teams and sign in with single sign-on.")
	return redirect(c, "/admin/people")
}

// PersonSetAdmin makes or unmakes an admin (form field admin=true|false).
func (s *Server) PersonSetAdmin(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	makeAdmin := c.FormValue("admin") == "true"
	u, err := s.Store.SetAdmin(c.Request().Context(), currentUser(c), id, makeAdmin)
	if err != nil {
		return s.peopleError(c, err)
	}
	if makeAdmin {
		s.flash(c, "success", u.DisplayName()+" is now an admin.")
	} else {
		s.flash(c, "success", u.DisplayName()+" is no longer an admin.")
	}
	return redirect(c, "/admin/people")
}

// PersonSetActive deactivates or reactivates a person (form field active=true|false).
func (s *Server) PersonSetActive(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	active := c.FormValue("active") == "true"
	u, err := s.Store.SetActive(c.Request().Context(), currentUser(c), id, active)
	if err != nil {
		return s.peopleError(c, err)
	}
	if active {
		s.flash(c, "success", u.DisplayName()+" is active again.")
	} else {
		s.flash(c, "success", u.DisplayName()+" is deactivated: their sessions and tokens no longer work.")
	}
	return redirect(c, "/admin/people")
}

// peopleError shows a refused change on the people page instead of an error page.
func (s *Server) peopleError(c echo.Context, err error) error {
	var v *models.ValidationError
	if !asValidation(err, &v) {
		return err
	}
	_, msg := v.First()
	s.flash(c, "error", msg)
	return redirect(c, "/admin/people")
}

// AdminHome is the admin's overview.
func (s *Server) AdminHome(c echo.Context) error {
	ctx := c.Request().Context()
	domains, err := s.Store.ListDomains(ctx, false)
	if err != nil {
		return err
	}
	_, people, err := s.Store.ListUsers(ctx, models.PeopleFilter{}, models.NewPage(1, 1))
	if err != nil {
		return err
	}
	_, admins, err := s.Store.ListUsers(ctx, models.PeopleFilter{Role: "admin"}, models.NewPage(1, 1))
	if err != nil {
		return err
	}
	events, _, err := s.Store.ListAudit(ctx, currentUser(c), models.AuditFilter{}, models.NewPage(1, 8))
	if err != nil {
		return err
	}
	var teams int64
	for _, d := range domains {
		teams += d.Teams
	}
	data := admin.HomeData{Domains: int64(len(domains)), Teams: teams, People: people.Total, Admins: admins.Total, Recent: events}
	return render(c, http.StatusOK, admin.Home(s.shell(c, "Admin", views.NavAdmin), data))
}
