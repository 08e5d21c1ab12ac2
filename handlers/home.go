package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"plaza/views"
)

// comingPage describes a part of Plaza that is not built yet.
type comingPage struct {
	nav, title, what, detail string
}

var comingPages = map[string]comingPage{
	"/dashboards": {views.NavDashboards, "Dashboards", "Ownership, quality and usage", "See where ownership is missing, where quality slips and which products are used."},
}

// Coming shows the placeholder of a part not built yet, never a 404.
func (s *Server) Coming(c echo.Context) error {
	p, ok := comingPages[c.Path()]
	if !ok {
		return echo.ErrNotFound
	}
	return render(c, http.StatusOK, views.Coming(s.shell(c, p.title, p.nav), p.what, p.detail))
}
