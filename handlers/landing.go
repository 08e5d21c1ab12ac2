package handlers

// A domain's landing folder in the browser: its raw files with size, row
// count and inferred schema, a preview of the first rows, and streamed
// uploads. Only the domain's team members and admins see it. Files are
// read through the sandbox, like any user data.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"plaza/lake"
	"plaza/models"
	"plaza/views"
	"plaza/views/components"
	"plaza/views/landing"
)

const defaultMaxUpload = 1 << 30 // 1 GiB

// isUpload reports whether a request is a landing upload: its body is
// streamed to disk under its own limit, not the forms' 4 MB.
func isUpload(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && c.Path() == "/landing/:domain"
}

// landingDomain loads the domain named by :domain when the reader may use
// its landing folder.
func (s *Server) landingDomain(c echo.Context) (*models.Domain, error) {
	ctx := c.Request().Context()
	d, err := s.Store.DomainBySlug(ctx, c.Param("domain"))
	if err != nil {
		return nil, err
	}
	scope, err := s.Store.DomainScope(ctx, currentUser(c), d.ID)
	if err != nil {
		return nil, err
	}
	if err := models.Authorize(currentUser(c), models.ActUseLanding, scope); err != nil {
		return nil, err
	}
	return d, nil
}

// LandingIndex lists the domains whose landing folders the reader may use.
func (s *Server) LandingIndex(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	all, err := s.Store.ListDomains(ctx, false)
	if err != nil {
		return err
	}
	var mine []landing.DomainFiles
	for _, d := range all {
		scope, err := s.Store.DomainScope(ctx, u, d.ID)
		if err != nil {
			return err
		}
		if !models.Can(u, models.ActUseLanding, scope) {
			continue
		}
		files, err := s.Lake.ListLanding(d.Slug)
		if err != nil {
			return err
		}
		var size int64
		for _, f := range files {
			size += f.Size
		}
		mine = append(mine, landing.DomainFiles{Domain: d.Domain, Files: len(files), Bytes: size})
	}
	return render(c, http.StatusOK, landing.Index(s.shell(c, "Landing", views.NavPipelines, views.Crumb{Label: "Pipelines", Href: "/pipelines"}, views.Crumb{Label: "Landing"}), mine))
}

// LandingShow lists a domain's landing files, with the upload form.
func (s *Server) LandingShow(c echo.Context) error {
	d, err := s.landingDomain(c)
	if err != nil {
		return err
	}
	return s.renderLanding(c, http.StatusOK, d, "")
}

func (s *Server) renderLanding(c echo.Context, status int, d *models.Domain, uploadErr string) error {
	files, err := s.Lake.ListLanding(d.Slug)
	if err != nil {
		return err
	}
	data := landing.PageData{Domain: *d, Files: files, MaxUpload: s.maxUpload(), Error: uploadErr, Folder: c.FormValue("folder")}
	for _, f := range files {
		if st, ok := s.landingStats.get(d.Slug, f); ok {
			if data.Stats == nil {
				data.Stats = map[string]landing.Stats{}
			}
			data.Stats[f.Path] = st
		}
	}
	crumbs := []views.Crumb{{Label: "Landing", Href: "/landing"}, {Label: d.Name}}
	return render(c, status, landing.Page(s.shell(c, "Landing · "+d.Name, views.NavPipelines, crumbs...), data))
}

func (s *Server) maxUpload() int64 {
	if s.Opts.MaxUpload > 0 {
		return s.Opts.MaxUpload
	}
	return defaultMaxUpload
}

// LandingUpload streams the files of a multipart form into the domain's
// landing folder, never holding one whole in memory.
func (s *Server) LandingUpload(c echo.Context) error {
	d, err := s.landingDomain(c)
	if err != nil {
		return err
	}
	limit := s.maxUpload()
	req := c.Request()
	req.Body = http.MaxBytesReader(c.Response(), req.Body, limit+1<<20) // the form's other fields fit in the megabyte
	mr, err := req.MultipartReader()
	if err != nil {
		return s.renderLanding(c, http.StatusBadRequest, d, "Choose a file to upload.")
	}
	folder, saved := "", []string{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return s.uploadTooLarge(c, d, limit)
			}
			return s.renderLanding(c, http.StatusBadRequest, d, "The upload was interrupted. Try again.")
		}
		switch part.FormName() {
		case "folder":
			b, _ := io.ReadAll(io.LimitReader(part, 300))
			folder = strings.Trim(strings.TrimSpace(string(b)), "/")
		case "file":
			name := path.Base(strings.ReplaceAll(part.FileName(), "\\", "/"))
			if name == "" || name == "." || name == "/" {
				continue
			}
			if lake.FormatOf(name) == "" {
				return s.renderLanding(c, http.StatusUnprocessableEntity, d,
					fmt.Sprintf("%s is not a CSV, JSON (or NDJSON) or Parquet file; Plaza can only read those.", name))
			}
			rel := name
			if folder != "" {
				rel = folder + "/" + name
			}
			n, err := s.Lake.SaveLanding(d.Slug, rel, part, limit)
			var mbe *http.MaxBytesError
			switch {
			case errors.Is(err, lake.ErrTooLarge) || errors.As(err, &mbe):
				return s.uploadTooLarge(c, d, limit)
			case err != nil:
				return s.renderLanding(c, http.StatusUnprocessableEntity, d, "Could not save "+name+": "+err.Error())
			}
			saved = append(saved, rel)
			if err := s.Store.AuditLanding(req.Context(), currentUser(c), d, "landing.upload", rel, n); err != nil {
				return err
			}
		}
	}
	if len(saved) == 0 {
		return s.renderLanding(c, http.StatusUnprocessableEntity, d, "Choose a file to upload.")
	}
	s.flash(c, "success", "Uploaded "+strings.Join(saved, ", ")+".")
	return redirect(c, "/landing/"+d.Slug)
}

func (s *Server) uploadTooLarge(c echo.Context, d *models.Domain, limit int64) error {
	return s.renderLanding(c, http.StatusRequestEntityTooLarge, d, tooLargeMessage(limit))
}

// tooLargeMessage says what to do with a landing upload over limit.
func tooLargeMessage(limit int64) string {
	return fmt.Sprintf("The file is larger than the %s a landing upload may be. Split it, or drop it into the landing folder on the server.",
		components.Bytes(limit))
}

// LandingRemove deletes one landing file.
func (s *Server) LandingRemove(c echo.Context) error {
	d, err := s.landingDomain(c)
	if err != nil {
		return err
	}
	rel := c.FormValue("path")
	f, _, err := s.Lake.LandingFileAt(d.Slug, rel)
	if err != nil {
		return models.ErrNotFound
	}
	if err := s.Lake.RemoveLanding(d.Slug, rel); err != nil {
		return err
	}
	if err := s.Store.AuditLanding(c.Request().Context(), currentUser(c), d, "landing.remove", rel, f.Size); err != nil {
		return err
	}
	s.flash(c, "success", "Removed "+rel+".")
	return redirect(c, "/landing/"+d.Slug)
}

// LandingStats answers a table row's row count and columns (htmx, loaded
// after the page).
func (s *Server) LandingStats(c echo.Context) error {
	d, err := s.landingDomain(c)
	if err != nil {
		return err
	}
	f, p, err := s.Lake.LandingFileAt(d.Slug, c.QueryParam("path"))
	if err != nil {
		return models.ErrNotFound
	}
	st := s.inspectLanding(c.Request().Context(), d.Slug, *f, p)
	return render(c, http.StatusOK, landing.StatsCells(st))
}

// LandingFile shows one landing file: its inferred schema, row count and
// first rows.
func (s *Server) LandingFile(c echo.Context) error {
	d, err := s.landingDomain(c)
	if err != nil {
		return err
	}
	f, p, err := s.Lake.LandingFileAt(d.Slug, c.QueryParam("path"))
	if err != nil {
		return models.ErrNotFound
	}
	data := landing.FileData{Domain: *d, File: *f, Stats: s.inspectLanding(c.Request().Context(), d.Slug, *f, p)}
	if data.Stats.Error == "" && s.Opts.Sandbox != nil {
		res, err := s.Opts.Sandbox.Query(c.Request().Context(), []lake.Input{{Name: "f", Paths: []string{p}, Format: f.Format}},
			"SELECT * FROM f LIMIT 20", lake.Limits{MaxRows: 20, Timeout: 30 * time.Second, Memory: "256MB"})
		if err != nil {
			data.Stats.Error = sandboxMessage(err)
		} else {
			data.Preview = res
		}
	}
	crumbs := []views.Crumb{{Label: "Landing", Href: "/landing"}, {Label: d.Name, Href: "/landing/" + d.Slug}, {Label: f.Path}}
	return render(c, http.StatusOK, landing.File(s.shell(c, f.Path, views.NavPipelines, crumbs...), data))
}

// inspectLanding reads a file's row count and schema through the sandbox,
// remembering them while the file stays the same.
func (s *Server) inspectLanding(ctx context.Context, domain string, f lake.LandingFile, p string) landing.Stats {
	if st, ok := s.landingStats.get(domain, f); ok {
		return st
	}
	if s.Opts.Sandbox == nil {
		return landing.Stats{Error: "Previews are off on this server."}
	}
	if f.Format == "" {
		return landing.Stats{Error: "Plaza reads CSV, JSON and Parquet files only."}
	}
	in := []lake.Input{{Name: "f", Paths: []string{p}, Format: f.Format}}
	lim := lake.Limits{MaxRows: 500, Timeout: 60 * time.Second, Memory: "512MB"}
	res, err := s.Opts.Sandbox.Query(ctx, in,
		"SELECT column_name, column_type, (SELECT count(*) FROM f) AS row_count FROM (DESCRIBE SELECT * FROM f)", lim)
	st := landing.Stats{}
	if err != nil {
		st.Error = sandboxMessage(err)
		return st
	}
	for _, row := range res.Rows {
		st.Columns = append(st.Columns, lake.Column{Name: fmt.Sprint(row[0]), Type: fmt.Sprint(row[1])})
		st.Rows = toCount(row[2])
	}
	s.landingStats.put(domain, f, st)
	return st
}

func toCount(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	case fmt.Stringer:
		var n int64
		fmt.Sscan(x.String(), &n)
		return n
	}
	var n int64
	fmt.Sscan(fmt.Sprint(v), &n)
	return n
}

// sandboxMessage is what a person reads when the sandbox refused or failed.
func sandboxMessage(err error) string {
	var sqlErr *lake.SQLError
	var limit *lake.LimitError
	switch {
	case errors.As(err, &sqlErr):
		return "DuckDB could not read it: " + sqlErr.Message
	case errors.As(err, &limit):
		return limit.Error()
	}
	return "Reading the file failed; try again in a moment."
}

// landingStatsCache remembers what the sandbox found in landing files,
// keyed by path, size and time, so a page of files is read once.
type landingStatsCache struct {
	mu sync.Mutex
	m  map[string]landing.Stats
}

func (lc *landingStatsCache) key(domain string, f lake.LandingFile) string {
	return fmt.Sprintf("%s/%s|%d|%d", domain, f.Path, f.Size, f.ModTime.UnixNano())
}

func (lc *landingStatsCache) get(domain string, f lake.LandingFile) (landing.Stats, bool) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	st, ok := lc.m[lc.key(domain, f)]
	return st, ok
}

func (lc *landingStatsCache) put(domain string, f lake.LandingFile, st landing.Stats) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.m == nil || len(lc.m) > 10000 {
		lc.m = map[string]landing.Stats{}
	}
	lc.m[lc.key(domain, f)] = st
}
