package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"plaza/views"
	"plaza/views/profile"
)

// Profile shows who the user is, their teams and their API tokens.
func (s *Server) Profile(c echo.Context) error {
	return s.profilePage(c, http.StatusOK, profile.Data{})
}

func (s *Server) profilePage(c echo.Context, status int, data profile.Data) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	var err error
	if data.Teams, err = s.Store.TeamsOf(ctx, u.ID); err != nil {
		return err
	}
	if data.Tokens, err = s.Store.Tokens(ctx, u.ID); err != nil {
		return err
	}
	data.User = *u
	data.BaseURL = s.Opts.BaseURL
	return render(c, status, profile.Page(s.shell(c, "Your profile", views.NavProfile), data))
}

// TokenCreate makes a personal access token and shows its secret once.
func (s *Server) TokenCreate(c echo.Context) error {
	name := c.FormValue("name")
	t, secret, err := s.Store.CreateToken(c.Request().Context(), currentUser(c), name)
	if errs, ok := formErrors(err); ok {
		return s.profilePage(c, http.StatusUnprocessableEntity, profile.Data{TokenName: name, Errors: errs})
	}
	if err != nil {
		return err
	}
	// The secret is rendered in this response only; it is never stored.
	return s.profilePage(c, http.StatusCreated, profile.Data{NewToken: t, NewSecret: secret})
}

// TokenRevoke ends one of the user's tokens.
func (s *Server) TokenRevoke(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Store.RevokeToken(c.Request().Context(), currentUser(c), id); err != nil {
		return err
	}
	s.flash(c, "success", "Token revoked. Calls with it are refused from now on.")
	return redirect(c, "/profile")
}
