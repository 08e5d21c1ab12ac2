package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"plaza/models"
	"plaza/views"
	"plaza/views/marketplace"
)

// Marketplace is the front page and the search: without a query it shows
// what is new and the domains; with one, results with facets. htmx asks for
// the same page and keeps only the results region.
func (s *Server) Marketplace(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	st := marketplace.State{Values: c.QueryParams()}
	teams, err := s.Store.EditableTeams(ctx, u)
	if err != nil {
		return err
	}
	canCreate := len(teams) > 0
	shell := s.shell(c, "Marketplace", views.NavMarketplace)
	if st.Active() {
		res, err := s.Store.SearchProducts(ctx, u, st.Query())
		if err != nil {
			return err
		}
		d := marketplace.ResultsData{State: st, Result: res, Cards: marketplace.Cards(res.Hits), CanCreate: canCreate}
		return render(c, http.StatusOK, marketplace.Results(shell, d))
	}
	d := marketplace.HomeData{State: st, CanCreate: canCreate}
	recent, err := s.Store.SearchProducts(ctx, u, models.SearchQuery{Statuses: []string{models.StatusPublished}, Sort: models.SortUpdated, PageSize: 8})
	if err != nil {
		return err
	}
	d.Recent = marketplace.Cards(recent.Hits)
	all, err := s.Store.SearchProducts(ctx, u, models.SearchQuery{PageSize: 1})
	if err != nil {
		return err
	}
	d.Total = all.Total
	if d.MyTeams, err = s.Store.TeamsOf(ctx, u.ID); err != nil {
		return err
	}
	if len(d.MyTeams) > 0 {
		var mine []string
		for _, t := range d.MyTeams {
			mine = append(mine, t.DomainSlug)
		}
		res, err := s.Store.SearchProducts(ctx, u, models.SearchQuery{Domains: mine, Sort: models.SortUpdated, PageSize: 4})
		if err != nil {
			return err
		}
		d.Mine = marketplace.Cards(res.Hits)
	}
	used, err := s.Store.SearchProducts(ctx, u, models.SearchQuery{Sort: models.SortUsage, PageSize: 4})
	if err != nil {
		return err
	}
	if len(used.Hits) > 0 && used.Hits[0].Usage > 0 {
		d.MostUsed = marketplace.Cards(used.Hits)
	}
	if d.Domains, err = s.Store.ListDomains(ctx, false); err != nil {
		return err
	}
	return render(c, http.StatusOK, marketplace.Home(shell, d))
}
