// Package marketplace renders the marketplace: the front page and search
// with facets, sorts and pages. The URL holds the whole state.
package marketplace

import (
	"net/url"
	"slices"
	"strconv"
	"time"

	"plaza/models"
	"plaza/views/products"
)

// State is a search as it appears in the URL.
type State struct {
	Values url.Values // q, domain, team, class, tag, status, sort, page
}

// The URL parameter of each facet.
var facetParams = map[string]string{
	models.FacetDomain: "domain", models.FacetTeam: "team", models.FacetClassification: "class",
	models.FacetStatus: "status", models.FacetTag: "tag",
}

// FacetOrder is the order facets are shown in.
var FacetOrder = []string{models.FacetDomain, models.FacetClassification, models.FacetStatus, models.FacetTag, models.FacetTeam}

// FacetTitle names a facet for people.
var FacetTitle = map[string]string{
	models.FacetDomain: "Domain", models.FacetTeam: "Team", models.FacetClassification: "Classification",
	models.FacetStatus: "Status", models.FacetTag: "Tag",
}

// Active reports whether anything is searched or filtered.
func (s State) Active() bool {
	for k, v := range s.Values {
		if k != "page" && k != "sort" && len(v) > 0 && v[0] != "" {
			return true
		}
	}
	return false
}

// Filtered reports whether any facet value is selected.
func (s State) Filtered() bool {
	for _, p := range facetParams {
		if len(s.Values[p]) > 0 {
			return true
		}
	}
	return false
}

func (s State) href(v url.Values) string {
	if len(v) == 0 {
		return "/"
	}
	return "/?" + v.Encode()
}

func (s State) clone() url.Values {
	v := url.Values{}
	for k, vs := range s.Values {
		if len(vs) > 0 && vs[0] != "" {
			v[k] = slices.Clone(vs)
		}
	}
	return v
}

// Toggle is the URL with a facet value selected or unselected, back on page 1.
func (s State) Toggle(facet, value string) string {
	v := s.clone()
	p := facetParams[facet]
	if i := slices.Index(v[p], value); i >= 0 {
		v[p] = slices.Delete(v[p], i, i+1)
	} else {
		v[p] = append(v[p], value)
	}
	v.Del("page")
	return s.href(v)
}

// Clear is the URL without any facet filter, keeping the text.
func (s State) Clear() string {
	v := url.Values{}
	if q := s.Values.Get("q"); q != "" {
		v.Set("q", q)
	}
	return s.href(v)
}

// Page is the URL of a page of results.
func (s State) Page(n int) string {
	v := s.clone()
	v.Set("page", strconv.Itoa(n))
	return s.href(v)
}

// Hidden lists the parameters a form must carry to keep the state when it
// changes one of them (the sort select, the search box).
func (s State) Hidden(except string) [][2]string {
	var out [][2]string
	for k, vs := range s.clone() {
		if k == except || k == "page" {
			continue
		}
		for _, v := range vs {
			out = append(out, [2]string{k, v})
		}
	}
	slices.SortFunc(out, func(a, b [2]string) int {
		if a[0] != b[0] {
			if a[0] < b[0] {
				return -1
			}
			return 1
		}
		if a[1] < b[1] {
			return -1
		}
		if a[1] > b[1] {
			return 1
		}
		return 0
	})
	return out
}

// Cards turns search hits into cards.
func Cards(hits []models.ProductHit) []products.Card {
	out := make([]products.Card, len(hits))
	now := time.Now().UTC()
	for i, h := range hits {
		late := h.PublishedAt != nil && h.FreshnessHours > 0 && now.Sub(*h.PublishedAt) > time.Duration(h.FreshnessHours)*time.Hour
		out[i] = products.Card{Domain: h.DomainSlug, DomainName: h.DomainName, Team: h.TeamSlug, TeamName: h.TeamName,
			Slug: h.Slug, Name: h.Name, Summary: h.Summary, Classification: h.Classification, Status: h.Status,
			Tags: h.Tags, FreshnessHours: h.FreshnessHours, UpdatedAt: h.UpdatedAt, Snippet: h.Snippet,
			PublishedAt: h.PublishedAt, Late: late, Score: h.Score, Now: now}
	}
	return out
}
