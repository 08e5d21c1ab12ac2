package handlers

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/markbates/goth"
	"github.com/markbates/goth/providers/github"
	"github.com/markbates/goth/providers/google"
	"github.com/markbates/goth/providers/microsoftonline"
	"github.com/markbates/goth/providers/openidConnect"

	"plaza/models"
	"plaza/views/auth"
)

// ProviderConfig configures one single sign-on provider.
type ProviderConfig struct {
	Name         string // URL name: /auth/<name>
	Kind         string // oidc, github, google, microsoft
	Label        string // button text: "Sign in with <Label>"
	ClientID     string
	ClientSecret string
	DiscoveryURL string // oidc only: the issuer's /.well-known/openid-configuration
}

func (pc ProviderConfig) build(baseURL string) (goth.Provider, error) {
	callback := strings.TrimRight(baseURL, "/") + "/auth/" + pc.Name + "/callback"
	var p goth.Provider
	switch pc.Kind {
	case "oidc":
		op, err := openidConnect.New(pc.ClientID, pc.ClientSecret, callback, pc.DiscoveryURL, "openid", "email", "profile")
		if err != nil {
			return nil, err
		}
		p = op
	case "github":
		p = github.New(pc.ClientID, pc.ClientSecret, callback, "read:user", "user:email")
	case "google":
		p = google.New(pc.ClientID, pc.ClientSecret, callback, "openid", "email", "profile")
	case "microsoft":
		p = microsoftonline.New(pc.ClientID, pc.ClientSecret, callback)
	default:
		return nil, fmt.Errorf("unknown provider kind %q (want oidc, github, google or microsoft)", pc.Kind)
	}
	p.SetName(pc.Name)
	return p, nil
}

// oauthState is kept in a short-lived cookie between redirect and callback.
type oauthState struct {
	Provider string
	State    string
	Session  string // the provider's marshalled goth session
	Next     string
}

// SignIn shows the sign-in page: SSO buttons and, in demo mode, the personas.
func (s *Server) SignIn(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	data := auth.SignInData{Next: safeNext(c.QueryParam("next")), Company: models.DemoCompany}
	for _, p := range s.providers {
		data.Providers = append(data.Providers, auth.ProviderButton{Name: p.cfg.Name, Label: p.cfg.Label})
	}
	if s.personaLogin() {
		for _, p := range models.DemoPersonas {
			data.Personas = append(data.Personas, auth.PersonaCard{Email: p.Email, Name: p.Name, Title: p.Title, Admin: p.IsAdmin})
		}
	}
	return render(c, http.StatusOK, auth.SignIn(s.shell(c, "Sign in", ""), data))
}

// SignInDemo signs in as a demo persona; only in demo or dev-login mode.
func (s *Server) SignInDemo(c echo.Context) error {
	if !s.personaLogin() {
		return models.ErrNotFound
	}
	email := models.NormalizeEmail(c.FormValue("email"))
	if !models.IsDemoPersona(email) {
		return models.Invalid("email", "Pick one of the demo personas.")
	}
	u, err := s.Store.SignIn(c.Request().Context(), models.SignInInput{Provider: "demo", Subject: email, Email: email}, s.Opts.AdminEmails)
	if err != nil {
		return err
	}
	return s.startSession(c, u, "demo", c.FormValue("next"))
}

// AuthBegin redirects to the identity provider.
func (s *Server) AuthBegin(c echo.Context) error {
	name := c.Param("provider")
	p, ok := s.provider(name)
	if !ok {
		return models.ErrNotFound
	}
	state := models.NewSecret(20)
	sess, err := p.BeginAuth(state)
	if err != nil {
		return fmt.Errorf("begin %s sign-in: %w", name, err)
	}
	authURL, err := sess.GetAuthURL()
	if err != nil {
		return fmt.Errorf("begin %s sign-in: %w", name, err)
	}
	st := oauthState{Provider: name, State: state, Session: sess.Marshal(), Next: safeNext(c.QueryParam("next"))}
	if err := s.setCookie(c, oauthCookie, st, 10*time.Minute); err != nil {
		return err
	}
	return c.Redirect(http.StatusFound, authURL)
}

// errSignInFailed covers a callback we cannot trust: wrong state, provider error.
var errSignInFailed = errors.New("sign-in failed")

// AuthCallback completes the provider's sign-in and starts a session.
func (s *Server) AuthCallback(c echo.Context) error {
	name := c.Param("provider")
	p, ok := s.provider(name)
	if !ok {
		return models.ErrNotFound
	}
	var st oauthState
	valid := s.readCookie(c, oauthCookie, &st)
	s.clearCookie(c, oauthCookie) // one use, whatever happens next
	if !valid || st.Provider != name ||
		subtle.ConstantTimeCompare([]byte(st.State), []byte(c.QueryParam("state"))) != 1 {
		return s.signInError(c, "The sign-in took too long or was started elsewhere. Please try again.")
	}
	if e := c.QueryParam("error"); e != "" {
		return s.signInError(c, "The identity provider refused the sign-in: "+e+".")
	}
	sess, err := p.UnmarshalSession(st.Session)
	if err != nil {
		return fmt.Errorf("%s session: %w", name, err)
	}
	params := url.Values{}
	for k, v := range c.QueryParams() {
		params[k] = v
	}
	if _, err := sess.Authorize(p, params); err != nil {
		s.log.Warn("sign-in authorize", "provider", name, "err", err)
		return s.signInError(c, "The identity provider did not confirm the sign-in. Please try again.")
	}
	gu, err := p.FetchUser(sess)
	if err != nil {
		s.log.Warn("sign-in fetch user", "provider", name, "err", err)
		return s.signInError(c, "The identity provider did not tell us who you are. Please try again.")
	}
	if emailUnverified(gu.RawData) {
		// Accounts are matched by email: an address the provider has not
		// verified could take over someone else's account.
		return s.signInError(c, "Your identity provider has not verified your email address, so Plaza cannot sign you in with it.")
	}
	u, err := s.Store.SignIn(c.Request().Context(), models.SignInInput{
		Provider: name, Subject: gu.UserID, Email: gu.Email, Name: gu.Name,
	}, s.Opts.AdminEmails)
	if models.IsUnauthenticated(err) {
		return s.signInError(c, "Your account cannot sign in to Plaza: it has no email address or was deactivated.")
	}
	if err != nil {
		return err
	}
	return s.startSession(c, u, name, st.Next)
}

// emailUnverified reports whether the provider's claims say the email is
// not verified. Providers that do not send the claim vouch for the address
// by other means (GitHub returns only verified addresses, Entra ID only
// addresses of its directory).
func emailUnverified(claims map[string]any) bool {
	switch v := claims["email_verified"].(type) {
	case bool:
		return !v
	case string:
		return strings.EqualFold(v, "false")
	}
	return false
}

func (s *Server) signInError(c echo.Context, msg string) error {
	s.flash(c, "error", msg)
	return c.Redirect(http.StatusSeeOther, "/signin")
}

func (s *Server) startSession(c echo.Context, u *models.User, provider, next string) error {
	secret, err := s.Store.CreateSession(c.Request().Context(), u, provider)
	if err != nil {
		return err
	}
	if err := s.setCookie(c, sessionCookie, secret, models.SessionLifetime); err != nil {
		return err
	}
	s.flash(c, "success", "Welcome, "+u.DisplayName()+".")
	return redirect(c, safeNext(next))
}

// SignOut ends the session on the server and in the browser.
func (s *Server) SignOut(c echo.Context) error {
	var secret string
	if s.readCookie(c, sessionCookie, &secret) {
		if err := s.Store.EndSession(c.Request().Context(), secret); err != nil {
			return err
		}
	}
	s.clearCookie(c, sessionCookie)
	s.flash(c, "info", "You are signed out.")
	return redirect(c, "/signin")
}
