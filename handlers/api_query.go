package handlers

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"plaza/lake"
	"plaza/models"
)

// queryRequestJSON is the body of POST /api/v1/query.
type queryRequestJSON struct {
	SQL     string            `json:"sql"`
	Pins    map[string]string `json:"pins"`     // view -> snapshot name or time, for every use of the view in the SQL
	MaxRows int               `json:"max_rows"` // rows in a JSON answer, up to the server's limit (1,000 by default)
}

type queryReadJSON struct {
	View       string    `json:"view"`
	Product    string    `json:"product"` // domain/product
	Port       string    `json:"port"`
	Snapshot   string    `json:"snapshot"`
	SnapshotAt time.Time `json:"snapshot_at"`
	Pinned     bool      `json:"pinned"`
	Basis      string    `json:"basis"`           // team, open or grant
	Grant      *uint     `json:"grant,omitempty"` // the grant that allowed the read
}

type queryResultJSON struct {
	Query      uint            `json:"query"`
	Columns    []lake.Column   `json:"columns"`
	Rows       [][]any         `json:"rows"`
	RowCount   int64           `json:"row_count"`
	Truncated  bool            `json:"truncated"` // more rows than answered: ask for CSV or Parquet for all
	DurationMS int64           `json:"duration_ms"`
	Reads      []queryReadJSON `json:"reads"`
}

// APIQuery runs SQL over the products the caller may read. The answer is
// JSON (the first rows, with column types), or the whole result as CSV or
// Parquet when the Accept header asks for it, streamed from a file.
func (s *Server) APIQuery(c echo.Context) error {
	var in queryRequestJSON
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	job := queryJob{SQL: in.SQL, Pins: in.Pins, Source: models.QuerySourceAPI, MaxRows: in.MaxRows}
	accept := c.Request().Header.Get(echo.HeaderAccept)
	switch {
	case strings.Contains(accept, "text/csv"):
		job.Export = "csv"
	case strings.Contains(accept, "application/vnd.apache.parquet"):
		job.Export = "parquet"
	}
	if job.Export != "" {
		return s.sendExport(c, job)
	}
	out, err := s.runQuery(c, job)
	if err != nil {
		return err
	}
	res := queryResultJSON{Query: out.Query.ID, Columns: out.Result.Columns, Rows: out.Result.Rows, RowCount: out.Result.RowCount,
		Truncated: out.Result.Truncated, DurationMS: out.Result.Elapsed.Milliseconds(), Reads: []queryReadJSON{}}
	if res.Rows == nil {
		res.Rows = [][]any{}
	}
	for _, t := range out.Plan.Tables {
		r := queryReadJSON{View: t.View, Product: t.Product.Domain.Slug + "/" + t.Product.Slug, Port: t.Port.Slug,
			Snapshot: t.Snapshot.Name, SnapshotAt: t.Snapshot.CreatedAt, Pinned: t.Pinned, Basis: t.Basis}
		if t.Grant != nil {
			r.Grant = &t.Grant.ID
		}
		res.Reads = append(res.Reads, r)
	}
	return c.JSON(http.StatusOK, res)
}

type queryJSON struct {
	ID         uint       `json:"id"`
	SQL        string     `json:"sql"`
	Source     string     `json:"source"`
	Status     string     `json:"status"`
	Error      string     `json:"error,omitempty"`
	Rows       int64      `json:"rows"`
	DurationMS int64      `json:"duration_ms"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	Reads      []string   `json:"reads"` // views
}

// APIQueries pages through the caller's own queries, newest first.
func (s *Server) APIQueries(c echo.Context) error {
	page := models.NewPage(queryInt(c, "page", 1), queryInt(c, "per_page", 50))
	qs, pages, err := s.Store.Queries(c.Request().Context(), models.QueryFilter{UserID: currentUser(c).ID, Page: page.Number, Per: page.Size})
	if err != nil {
		return err
	}
	out := make([]queryJSON, len(qs))
	for i, q := range qs {
		out[i] = queryJSON{ID: q.ID, SQL: q.SQL, Source: q.Source, Status: q.Status, Error: q.Error, Rows: q.Rows,
			DurationMS: q.DurationMS, StartedAt: q.StartedAt, FinishedAt: q.FinishedAt, Reads: []string{}}
		for _, r := range q.Reads {
			out[i].Reads = append(out[i].Reads, r.View)
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"queries": out, "page": page.Number, "per_page": page.Size, "pages": pages})
}
