package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"plaza/models"
)

type healthReport struct {
	Status   string `json:"status"`
	Database string `json:"database"`
	Lake     string `json:"lake"`
	Version  string `json:"version"`
}

// Healthz answers whether the database and the lake are reachable.
func (s *Server) Healthz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	r := healthReport{Status: "ok", Database: "ok", Lake: "ok", Version: s.Opts.Version}
	if err := models.Ping(ctx, s.Store.DB); err != nil {
		s.log.Error("healthz: database", "err", err) // the details stay in the log, not on a public page
		r.Status, r.Database = "unavailable", "unavailable"
	}
	if err := s.Lake.Check(); err != nil {
		s.log.Error("healthz: lake", "err", err)
		r.Status, r.Lake = "unavailable", "unavailable"
	}
	status := http.StatusOK
	if r.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	return c.JSON(status, r)
}
