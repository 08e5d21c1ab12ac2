package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

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
		res, err := s.Store.SearchProducts(ctx, u, searchQuery(st.Values))
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

// searchQuery reads a search from URL parameters: q, domain, team, class,
// tag and status (each may repeat), sort, page and per_page.
func searchQuery(v url.Values) models.SearchQuery {
	page, _ := strconv.Atoi(v.Get("page"))
	size, _ := strconv.Atoi(v.Get("per_page"))
	return models.SearchQuery{
		Text: v.Get("q"), Domains: v["domain"], Teams: v["team"], Classifications: v["class"],
		Statuses: v["status"], Tags: v["tag"], Sort: v.Get("sort"), Page: page, PageSize: size,
	}
}

type hitJSON struct {
	URN            string     `json:"urn"`
	Domain         string     `json:"domain"`
	Team           string     `json:"team"`
	Slug           string     `json:"slug"`
	Name           string     `json:"name"`
	Summary        string     `json:"summary"`
	Classification string     `json:"classification"`
	Status         string     `json:"status"`
	Version        string     `json:"version"`
	Tags           []string   `json:"tags"`
	UpdatedAt      time.Time  `json:"updated_at"`
	PublishedAt    *time.Time `json:"published_at,omitempty"`
	Snippet        string     `json:"snippet,omitempty"`
	URL            string     `json:"url"`
}

type facetJSON struct {
	Value    string `json:"value"`
	Label    string `json:"label"`
	Count    int64  `json:"count"`
	Selected bool   `json:"selected"`
}

// APIProducts searches the catalog with the marketplace's parameters and
// answers the hits, the facets with their counts and the paging.
func (s *Server) APIProducts(c echo.Context) error {
	res, err := s.Store.SearchProducts(c.Request().Context(), currentUser(c), searchQuery(c.QueryParams()))
	if err != nil {
		return err
	}
	hits := make([]hitJSON, len(res.Hits))
	for i, h := range res.Hits {
		tags := h.Tags
		if tags == nil {
			tags = []string{}
		}
		hits[i] = hitJSON{URN: h.URN(), Domain: h.DomainSlug, Team: h.TeamSlug, Slug: h.Slug, Name: h.Name, Summary: h.Summary,
			Classification: h.Classification, Status: h.Status, Version: h.Version, Tags: tags, UpdatedAt: h.UpdatedAt,
			PublishedAt: h.PublishedAt, Snippet: h.Snippet, URL: s.Opts.BaseURL + h.Path()}
	}
	facets := map[string][]facetJSON{}
	for name, values := range res.Facets {
		out := make([]facetJSON, len(values))
		for i, v := range values {
			out[i] = facetJSON{Value: v.Value, Label: v.Label, Count: v.Count, Selected: v.Selected}
		}
		facets[name] = out
	}
	body := map[string]any{"products": hits, "total": res.Total, "page": res.Page.Number, "per_page": res.Page.Size,
		"sort": res.Sort, "facets": facets}
	if res.Suggestion != "" {
		body["suggestion"] = res.Suggestion
	}
	return c.JSON(http.StatusOK, body)
}
