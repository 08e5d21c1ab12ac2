package handlers

import (
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"plaza/models"
	"plaza/views"
	"plaza/views/components"
	"plaza/views/dashboards"
)

// Dashboards opens the owner's overview for people in a team, and the
// ownership board for everyone else.
func (s *Server) Dashboards(c echo.Context) error {
	roles, err := s.Store.TeamRolesOf(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	if len(roles) > 0 {
		return c.Redirect(http.StatusSeeOther, "/dashboards/mine")
	}
	return c.Redirect(http.StatusSeeOther, "/dashboards/ownership")
}

// dashFilter reads the filter from the URL: domain and team slugs and a
// range of 7, 30 or 90 days. An unknown one is said on the page and the
// wider scope shown: the company for a domain, the domain for a team, 30
// days for a range.
func (s *Server) dashFilter(c echo.Context, board string) (models.DashFilter, dashboards.Filter, error) {
	ctx := c.Request().Context()
	view := dashboards.Filter{Board: board, Range: 30}
	var f models.DashFilter
	if r := c.QueryParam("range"); r != "" {
		n, err := strconv.Atoi(r)
		if err != nil || !slices.Contains(models.DashRanges, n) {
			view.Error = "The range must be 7, 30 or 90 days; showing the last 30."
		} else {
			view.Range = n
		}
	}
	f.Days = view.Range
	domains, err := s.Store.ListDomains(ctx, false)
	if err != nil {
		return f, view, err
	}
	for _, d := range domains {
		view.Domains = append(view.Domains, components.Option{Value: d.Slug, Label: d.Name})
	}
	slug := c.QueryParam("domain")
	if slug == "" {
		if c.QueryParam("team") != "" {
			view.Error = "Choose the team's domain as well; showing the whole company."
		}
		return f, view, nil
	}
	i := slices.IndexFunc(domains, func(d models.DomainSummary) bool { return d.Slug == slug })
	if i < 0 {
		view.Error = "There is no domain " + strconv.Quote(slug) + "; showing the whole company."
		return f, view, nil
	}
	f.DomainID, view.Domain = domains[i].ID, slug
	teams, err := s.Store.ListTeams(ctx, f.DomainID, false)
	if err != nil {
		return f, view, err
	}
	for _, t := range teams {
		view.Teams = append(view.Teams, dashboards.TeamOption{Domain: slug, Slug: t.Slug, Name: t.Name})
	}
	if ts := c.QueryParam("team"); ts != "" {
		j := slices.IndexFunc(teams, func(t models.TeamSummary) bool { return t.Slug == ts })
		if j < 0 {
			view.Error = "There is no team " + strconv.Quote(ts) + " in " + domains[i].Name + "; showing the whole domain."
		} else {
			f.TeamID, view.Team = teams[j].ID, ts
		}
	}
	return f, view, nil
}

// seesPeople says whether u may see who consumes products: admins, and
// the stewards of the filtered domain.
func (s *Server) seesPeople(c echo.Context, f models.DashFilter) (bool, error) {
	u := currentUser(c)
	if u.IsAdmin {
		return true, nil
	}
	if f.DomainID == 0 {
		return false, nil
	}
	ids, err := s.Store.StewardDomains(c.Request().Context(), u.ID)
	return slices.Contains(ids, f.DomainID), err
}

// DashboardOwnership shows who owns what and where ownership is missing.
func (s *Server) DashboardOwnership(c echo.Context) error {
	return s.dashboard(c, "ownership", func(f models.DashFilter, view dashboards.Filter, names bool) (dashboards.PageData, error) {
		d, err := s.Store.Ownership(c.Request().Context(), f, names)
		if err != nil {
			return dashboards.PageData{}, err
		}
		return dashboards.Ownership(d, view, s.Store.Now()), nil
	})
}

// DashboardQuality shows checks, freshness, runs and incidents.
func (s *Server) DashboardQuality(c echo.Context) error {
	return s.dashboard(c, "quality", func(f models.DashFilter, view dashboards.Filter, _ bool) (dashboards.PageData, error) {
		d, err := s.Store.Quality(c.Request().Context(), f)
		if err != nil {
			return dashboards.PageData{}, err
		}
		return dashboards.Quality(d, view, s.Store.Now()), nil
	})
}

// DashboardUsage shows queries, downloads and consumers.
func (s *Server) DashboardUsage(c echo.Context) error {
	return s.dashboard(c, "usage", func(f models.DashFilter, view dashboards.Filter, names bool) (dashboards.PageData, error) {
		d, err := s.Store.Usage(c.Request().Context(), f, names)
		if err != nil {
			return dashboards.PageData{}, err
		}
		return dashboards.Usage(d, view), nil
	})
}

// DashboardPlatform shows admins the lake, the runs and the jobs.
func (s *Server) DashboardPlatform(c echo.Context) error {
	if !currentUser(c).IsAdmin {
		return models.ErrForbidden
	}
	return s.dashboard(c, "platform", func(f models.DashFilter, view dashboards.Filter, _ bool) (dashboards.PageData, error) {
		d, err := s.Store.Platform(c.Request().Context(), f)
		if err != nil {
			return dashboards.PageData{}, err
		}
		return dashboards.Platform(d, view, s.Store.Now()), nil
	})
}

// DashboardMine shows an owner everything their teams own, in one screen.
func (s *Server) DashboardMine(c echo.Context) error {
	limit := 100 // the page; its export lists them all
	if c.QueryParam("export") != "" {
		limit = 0
	}
	rows, tot, err := s.Store.MyProducts(c.Request().Context(), currentUser(c), limit)
	if err != nil {
		return err
	}
	d := dashboards.Mine(rows, tot, s.Store.Now())
	d.Filter = dashboards.Filter{Board: "mine", Scoped: true}
	return s.showDashboard(c, "mine", d)
}

// dashboard reads the filter, builds the board and shows it, or answers
// one of its tables as CSV when ?export= names it.
func (s *Server) dashboard(c echo.Context, board string,
	build func(models.DashFilter, dashboards.Filter, bool) (dashboards.PageData, error)) error {
	f, view, err := s.dashFilter(c, board)
	if err != nil {
		return err
	}
	names, err := s.seesPeople(c, f)
	if err != nil {
		return err
	}
	d, err := build(f, view, names)
	if err != nil {
		return err
	}
	d.Filter = view
	return s.showDashboard(c, board, d)
}

func (s *Server) showDashboard(c echo.Context, board string, d dashboards.PageData) error {
	d.Board = dashboards.BoardByKey(board)
	d.Admin = currentUser(c).IsAdmin
	if id := c.QueryParam("export"); id != "" {
		t, ok := d.TableByID(id)
		if !ok {
			return echo.NewHTTPError(http.StatusNotFound, "this dashboard has no table "+strconv.Quote(id))
		}
		return exportTable(c, board, t)
	}
	return render(c, http.StatusOK, dashboards.Page(s.shell(c, d.Board.Title+" dashboard", views.NavDashboards), d))
}

// exportTable answers a dashboard table as CSV: its head and its rows'
// text, as shown.
func exportTable(c echo.Context, board string, t dashboards.Table) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="plaza-`+board+"-"+t.ID+"-"+time.Now().UTC().Format("20060102")+`.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	if err := w.Write(t.Head); err != nil {
		return err
	}
	for _, row := range t.Rows {
		rec := make([]string, len(row))
		for i, cell := range row {
			rec[i] = csvSafe(cell.CSV())
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}
