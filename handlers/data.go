package handlers

// A product's data for the people allowed to read it: a preview of the
// first rows and downloads of a snapshot as Parquet or CSV. Each asks
// models.Store.CheckAccess at that moment, so a revoked or expired grant
// stops them at once; every download is audited.

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/labstack/echo/v4"

	"plaza/lake"
	"plaza/models"
	"plaza/views/landing"
	"plaza/views/products"
)

// previewRows is how many rows a product page previews.
const previewRows = 50

// portSnapshot resolves :port and the snapshot asked for (?snapshot=, else
// the current one) for a reader who may read the port.
func (s *Server) portSnapshot(c echo.Context) (*models.Product, *models.Snapshot, *models.Grant, error) {
	p, err := s.product(c)
	if err != nil {
		return nil, nil, nil, err
	}
	port := c.Param("port")
	found := false
	for _, op := range p.OutputPorts {
		found = found || op.Slug == port
	}
	if !found {
		return nil, nil, nil, models.ErrNotFound
	}
	grant, err := s.Store.CheckAccess(c.Request().Context(), currentUser(c), p, port)
	if err != nil {
		return nil, nil, nil, err
	}
	ctx := c.Request().Context()
	var snap *models.Snapshot
	if name := c.QueryParam("snapshot"); name != "" {
		snap, err = s.Store.SnapshotNamed(ctx, p.ID, port, name)
	} else {
		snap, err = s.Store.CurrentSnapshot(ctx, p.ID, port)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return p, snap, grant, nil
}

// ProductDataPreview answers the first rows of a port's current snapshot, as a
// fragment for the product page.
func (s *Server) ProductDataPreview(c echo.Context) error {
	p, snap, _, err := s.portSnapshot(c)
	var noAccess *models.NoAccessError
	if errors.As(err, &noAccess) {
		return render(c, http.StatusOK, products.PreviewMessage("Request access to see rows of this product."))
	}
	if models.IsNotFound(err) {
		return render(c, http.StatusOK, products.PreviewMessage("Nothing is published on this port yet."))
	}
	if err != nil {
		return err
	}
	if s.Opts.Sandbox == nil {
		return render(c, http.StatusOK, products.PreviewMessage("Previews are off on this server."))
	}
	files, err := s.Lake.SnapshotFiles(p.Domain.Slug, p.Slug, snap.Port, snap.Name)
	if err != nil {
		return render(c, http.StatusOK, products.PreviewMessage("The snapshot's files are missing from the lake."))
	}
	res, err := s.Opts.Sandbox.Query(c.Request().Context(), []lake.Input{{Name: "snapshot", Paths: files, Format: "parquet"}},
		fmt.Sprintf("SELECT * FROM snapshot LIMIT %d", previewRows), lake.Limits{MaxRows: previewRows, Timeout: 30 * time.Second, Memory: "256MB"})
	if err != nil {
		return render(c, http.StatusOK, products.PreviewMessage(sandboxMessage(err)))
	}
	return render(c, http.StatusOK, landing.ResultTable(res))
}

// downloadTypes are the media types of a download, by format.
var downloadTypes = map[string]string{"parquet": "application/vnd.apache.parquet", "csv": "text/csv; charset=utf-8"}

// ProductDownload sends a snapshot of a port as Parquet (the file as
// published) or CSV (converted in the sandbox, streamed from a temporary
// file).
func (s *Server) ProductDownload(c echo.Context) error {
	p, snap, grant, err := s.portSnapshot(c)
	if err != nil {
		return err
	}
	format := c.QueryParam("format")
	if format == "" {
		format = "parquet"
	}
	if format != "parquet" && format != "csv" {
		return models.Invalid("format", "Choose parquet or csv.")
	}
	files, err := s.Lake.SnapshotFiles(p.Domain.Slug, p.Slug, snap.Port, snap.Name)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := s.Store.AuditDownload(ctx, currentUser(c), p, snap, format, grant); err != nil {
		return err
	}
	name := fmt.Sprintf("%s-%s-%s-%s.%s", p.Domain.Slug, p.Slug, snap.Port, snap.Name, format)
	c.Response().Header().Set(echo.HeaderContentType, downloadTypes[format])
	if format == "parquet" && len(files) == 1 {
		return c.Attachment(files[0], name)
	}
	if s.Opts.Sandbox == nil {
		return models.Invalid("format", "CSV downloads are off on this server.")
	}
	dir, err := s.Lake.StagingDir("download-" + models.NewSecret(8))
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "data."+format)
	if _, err := s.Opts.Sandbox.Materialize(ctx, []lake.Input{{Name: "snapshot", Paths: files, Format: "parquet"}},
		"SELECT * FROM snapshot", out, lake.Limits{Timeout: 10 * time.Minute, Memory: "512MB"}); err != nil {
		return fmt.Errorf("convert %s: %w", name, err)
	}
	return c.Attachment(out, name)
}
