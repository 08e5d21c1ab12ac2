package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"plaza/models"
)

// errBadJSON wraps a request body the API cannot read.
var errBadJSON = errors.New("bad JSON")

// bindJSON decodes the request body into v, refusing unknown fields so a
// typo (or a crafted "is_admin") is reported instead of silently ignored.
func bindJSON(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: the request body is empty; send a JSON object", errBadJSON)
		}
		return fmt.Errorf("%w: %s", errBadJSON, strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

type meJSON struct {
	ID    uint       `json:"id"`
	Email string     `json:"email"`
	Name  string     `json:"name"`
	Admin bool       `json:"admin"`
	Roles []string   `json:"roles"`
	Teams []teamRole `json:"teams"`
}

type teamRole struct {
	Domain string `json:"domain"`
	Team   string `json:"team"`
	Role   string `json:"role"`
}

// APIMe describes the caller and their roles.
func (s *Server) APIMe(c echo.Context) error {
	u := currentUser(c)
	teams, err := s.Store.TeamsOf(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	me := meJSON{ID: u.ID, Email: u.Email, Name: u.Name, Admin: u.IsAdmin, Roles: []string{"user"}, Teams: []teamRole{}}
	if u.IsAdmin {
		me.Roles = append(me.Roles, "admin")
	}
	seen := map[string]bool{}
	for _, t := range teams {
		me.Teams = append(me.Teams, teamRole{Domain: t.DomainSlug, Team: t.TeamSlug, Role: t.Role})
		role := "team_" + t.Role
		if !seen[role] {
			me.Roles = append(me.Roles, role)
			seen[role] = true
		}
	}
	return c.JSON(http.StatusOK, me)
}

type domainJSON struct {
	URN          string    `json:"urn"`
	Slug         string    `json:"slug"`
	Name         string    `json:"name"`
	Description  string    `json:"description"`
	ContactEmail string    `json:"contact_email"`
	Archived     bool      `json:"archived"`
	Teams        *int64    `json:"teams,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func toDomainJSON(d *models.Domain) domainJSON {
	return domainJSON{URN: d.URN(), Slug: d.Slug, Name: d.Name, Description: d.Description,
		ContactEmail: d.ContactEmail, Archived: d.Archived(), CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

// APIDomains lists domains; ?archived=true includes archived ones.
func (s *Server) APIDomains(c echo.Context) error {
	// Archived domains are for the people who may restore them.
	withArchived := c.QueryParam("archived") == "true" && models.Can(currentUser(c), models.ActManageDomains, nil)
	list, err := s.Store.ListDomains(c.Request().Context(), withArchived)
	if err != nil {
		return err
	}
	out := make([]domainJSON, len(list))
	for i := range list {
		out[i] = toDomainJSON(&list[i].Domain)
		out[i].Teams = &list[i].Teams
	}
	return c.JSON(http.StatusOK, map[string]any{"domains": out})
}

// APIDomainShow returns one domain.
func (s *Server) APIDomainShow(c echo.Context) error {
	d, err := s.Store.DomainBySlug(c.Request().Context(), c.Param("domain"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toDomainJSON(d))
}

// APIDomainCreate creates a domain (admins).
func (s *Server) APIDomainCreate(c echo.Context) error {
	var in models.DomainInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	d, err := s.Store.CreateDomain(c.Request().Context(), currentUser(c), in)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/domains/"+d.Slug)
	return c.JSON(http.StatusCreated, toDomainJSON(d))
}

// domainPatch holds the fields a PATCH may change; absent ones stay.
type domainPatch struct {
	Slug         *string `json:"slug"`
	Name         *string `json:"name"`
	Description  *string `json:"description"`
	ContactEmail *string `json:"contact_email"`
	Archived     *bool   `json:"archived"`
}

// APIDomainUpdate changes some of a domain's fields (admins).
func (s *Server) APIDomainUpdate(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	if err := models.Authorize(u, models.ActManageDomains, nil); err != nil {
		return err // before reading anything about the domain
	}
	d, err := s.Store.DomainBySlug(ctx, c.Param("domain"))
	if err != nil {
		return err
	}
	var p domainPatch
	if err := bindJSON(c, &p); err != nil {
		return err
	}
	in := models.DomainInput{Slug: d.Slug, Name: d.Name, Description: d.Description, ContactEmail: d.ContactEmail}
	setIf(&in.Slug, p.Slug)
	setIf(&in.Name, p.Name)
	setIf(&in.Description, p.Description)
	setIf(&in.ContactEmail, p.ContactEmail)
	if d, err = s.Store.PatchDomain(ctx, u, d.Slug, in, p.Archived); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toDomainJSON(d))
}

func setIf(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

// APIDomainRemove deletes an empty domain or archives one still in use (admins).
func (s *Server) APIDomainRemove(c echo.Context) error {
	outcome, err := s.Store.RemoveDomain(c.Request().Context(), currentUser(c), c.Param("domain"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"slug": c.Param("domain"), "outcome": outcome})
}

type teamJSON struct {
	URN         string    `json:"urn"`
	Domain      string    `json:"domain"`
	Slug        string    `json:"slug"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Archived    bool      `json:"archived"`
	Owners      *int64    `json:"owners,omitempty"`
	Members     *int64    `json:"members,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func toTeamJSON(domain string, t *models.Team) teamJSON {
	return teamJSON{URN: "urn:plaza:team:" + domain + ":" + t.Slug, Domain: domain, Slug: t.Slug, Name: t.Name,
		Description: t.Description, Archived: t.Archived(), CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
}

// APITeams lists a domain's teams.
func (s *Server) APITeams(c echo.Context) error {
	ctx := c.Request().Context()
	d, err := s.Store.DomainBySlug(ctx, c.Param("domain"))
	if err != nil {
		return err
	}
	withArchived := c.QueryParam("archived") == "true" && models.Can(currentUser(c), models.ActManageTeams, nil)
	list, err := s.Store.ListTeams(ctx, d.ID, withArchived)
	if err != nil {
		return err
	}
	out := make([]teamJSON, len(list))
	for i := range list {
		out[i] = toTeamJSON(d.Slug, &list[i].Team)
		out[i].Owners, out[i].Members = &list[i].Owners, &list[i].Members
	}
	return c.JSON(http.StatusOK, map[string]any{"teams": out})
}

// APITeamShow returns one team.
func (s *Server) APITeamShow(c echo.Context) error {
	t, err := s.team(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toTeamJSON(t.Domain.Slug, t))
}

// APITeamCreate creates a team in a domain (admins).
func (s *Server) APITeamCreate(c echo.Context) error {
	var in models.TeamInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	t, err := s.Store.CreateTeam(c.Request().Context(), currentUser(c), c.Param("domain"), in)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1"+teamURL(t))
	return c.JSON(http.StatusCreated, toTeamJSON(t.Domain.Slug, t))
}

type teamPatch struct {
	Slug        *string `json:"slug"`
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Archived    *bool   `json:"archived"`
}

// APITeamUpdate changes some of a team's fields (admins and the team's owners;
// archiving is for admins).
func (s *Server) APITeamUpdate(c echo.Context) error {
	ctx := c.Request().Context()
	t, err := s.team(c)
	if err != nil {
		return err
	}
	var p teamPatch
	if err := bindJSON(c, &p); err != nil {
		return err
	}
	in := models.TeamInput{Slug: t.Slug, Name: t.Name, Description: t.Description}
	setIf(&in.Slug, p.Slug)
	setIf(&in.Name, p.Name)
	setIf(&in.Description, p.Description)
	if t, err = s.Store.PatchTeam(ctx, currentUser(c), t, in, p.Archived); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toTeamJSON(t.Domain.Slug, t))
}

// APITeamArchive archives a team (admins). Teams are never deleted: their
// history and products stay.
func (s *Server) APITeamArchive(c echo.Context) error {
	t, err := s.team(c)
	if err != nil {
		return err
	}
	if t, err = s.Store.SetTeamArchived(c.Request().Context(), currentUser(c), t, true); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toTeamJSON(t.Domain.Slug, t))
}

type memberJSON struct {
	Email string    `json:"email"`
	Name  string    `json:"name"`
	Role  string    `json:"role"`
	Since time.Time `json:"since"`
}

func toMemberJSON(m models.Member) memberJSON {
	return memberJSON{Email: m.User.Email, Name: m.User.Name, Role: m.Role, Since: m.Since}
}

// APIMembers lists a team's people.
func (s *Server) APIMembers(c echo.Context) error {
	t, err := s.team(c)
	if err != nil {
		return err
	}
	ms, err := s.Store.Members(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	out := make([]memberJSON, len(ms))
	for i, m := range ms {
		out[i] = toMemberJSON(m)
	}
	return c.JSON(http.StatusOK, map[string]any{"members": out})
}

// APIMemberPut adds a person to a team, or sets their role: {"role": "owner"}.
func (s *Server) APIMemberPut(c echo.Context) error {
	t, err := s.team(c)
	if err != nil {
		return err
	}
	var body struct {
		Role string `json:"role"`
	}
	if err := bindJSON(c, &body); err != nil {
		return err
	}
	m, err := s.Store.AddMember(c.Request().Context(), currentUser(c), t, c.Param("email"), body.Role)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toMemberJSON(*m))
}

// APIMemberRemove takes a person out of a team.
func (s *Server) APIMemberRemove(c echo.Context) error {
	t, err := s.team(c)
	if err != nil {
		return err
	}
	if err := s.Store.RemoveMember(c.Request().Context(), currentUser(c), t, c.Param("email")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type auditJSON struct {
	ID         uint            `json:"id"`
	At         time.Time       `json:"at"`
	Actor      string          `json:"actor"`
	Action     string          `json:"action"`
	ObjectType string          `json:"object_type"`
	ObjectID   string          `json:"object_id"`
	Before     json.RawMessage `json:"before,omitempty"`
	After      json.RawMessage `json:"after,omitempty"`
	RequestID  string          `json:"request_id"`
}

// APIAudit pages through the audit log (admins), with the browser's filters:
// actor, action, type, object, since, until (YYYY-MM-DD), page, per_page.
func (s *Server) APIAudit(c echo.Context) error {
	var q auditQuery
	if err := (&echo.DefaultBinder{}).BindQueryParams(c, &q); err != nil {
		return err
	}
	f, err := q.filter()
	if err != nil {
		return err
	}
	evs, page, err := s.Store.ListAudit(c.Request().Context(), currentUser(c), f,
		models.NewPage(queryInt(c, "page", 1), queryInt(c, "per_page", 50)))
	if err != nil {
		return err
	}
	out := make([]auditJSON, len(evs))
	for i, e := range evs {
		out[i] = auditJSON{ID: e.ID, At: e.At, Actor: e.ActorEmail, Action: e.Action, ObjectType: e.ObjectType,
			ObjectID: e.ObjectID, Before: rawJSON(e.Before), After: rawJSON(e.After), RequestID: e.RequestID}
	}
	return c.JSON(http.StatusOK, map[string]any{"events": out, "page": page.Number, "per_page": page.Size, "total": page.Total})
}

func rawJSON(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	return json.RawMessage(s)
}
