package handlers

// Browser pages of pipelines: the reader's pipelines, the definition form
// of a product's port, a pipeline with its runs and snapshots, and a run
// with its checks and live log. Pipelines and runs are visible to everyone
// who can see their product (drafts: 404 to outsiders); who may define,
// run and cancel is decided in models (SavePipeline, CanRunPipeline).

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"plaza/models"
	"plaza/views"
	"plaza/views/pipelines"
)

// PipelinesIndex lists the pipelines of the reader's teams (admins: all),
// optionally of one domain (?domain=).
func (s *Server) PipelinesIndex(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	d := pipelines.IndexData{Domain: c.QueryParam("domain"), All: u.IsAdmin, Now: s.Store.Now()}
	filter := models.PipelineFilter{Domain: d.Domain}
	roles := map[uint]string{}
	if !u.IsAdmin {
		var err error
		if roles, err = s.Store.TeamRolesOf(ctx, u.ID); err != nil {
			return err
		}
		d.NoTeam = len(roles) == 0
		for teamID := range roles {
			filter.TeamIDs = append(filter.TeamIDs, teamID)
		}
	}
	if !d.NoTeam {
		pls, last, err := s.Store.ListPipelines(ctx, filter)
		if err != nil {
			return err
		}
		for _, pl := range pls {
			// Members who are not owners do not see their team's drafts.
			if pl.Product.Visible(u, &models.Scope{TeamRole: roles[pl.Product.TeamID]}) {
				d.Pipelines = append(d.Pipelines, pl)
			}
		}
		d.LastRuns = last
		if d.Domains, err = s.Store.ListDomains(ctx, false); err != nil {
			return err
		}
	}
	return render(c, http.StatusOK, pipelines.Index(s.shell(c, "Pipelines", views.NavPipelines), d))
}

// productPort loads the product and the output port named by :port.
func (s *Server) productPort(c echo.Context) (*models.Product, *models.Scope, *models.OutputPort, error) {
	p, scope, err := s.productInScope(c)
	if err != nil {
		return nil, nil, nil, err
	}
	for i := range p.OutputPorts {
		if p.OutputPorts[i].Slug == c.Param("port") {
			return p, scope, &p.OutputPorts[i], nil
		}
	}
	return nil, nil, nil, models.ErrNotFound
}

// PipelineForm shows the definition form of a port's pipeline, filled in
// when it has one.
func (s *Server) PipelineForm(c echo.Context) error {
	p, scope, port, err := s.productPort(c)
	if err != nil {
		return err
	}
	if err := models.Authorize(currentUser(c), models.ActEditProduct, scope); err != nil {
		return err
	}
	d := pipelines.FormData{Product: *p, Port: *port, Blank: 1, Values: models.PipelineSpec{Schedule: models.ScheduleManual,
		TimeoutSeconds: models.DefaultPipelineTimeout, MemoryMB: models.DefaultPipelineMemory, Retention: models.DefaultRetention}}
	pl, err := s.Store.PipelineOfPort(c.Request().Context(), p.ID, port.Slug)
	switch {
	case err == nil:
		d.Existing, d.Values = pl, pl.Spec()
		d.Rows = inputRows(d.Values.Inputs)
	case !errors.Is(err, models.ErrNotFound):
		return err
	}
	return s.pipelineForm(c, http.StatusOK, d)
}

// PipelineSave saves the form, or shows it again with one more empty input
// row when "Add another input" sent it.
func (s *Server) PipelineSave(c echo.Context) error {
	ctx := c.Request().Context()
	p, scope, port, err := s.productPort(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	spec, rows, blanks := parsePipelineForm(form)
	spec.Port = port.Slug
	d := pipelines.FormData{Product: *p, Port: *port, Values: spec, Rows: rows, Blank: 1}
	if d.Existing, err = s.Store.PipelineOfPort(ctx, p.ID, port.Slug); err != nil && !errors.Is(err, models.ErrNotFound) {
		return err
	}
	if form.Get("add_input") != "" {
		if err := models.Authorize(currentUser(c), models.ActEditProduct, scope); err != nil {
			return err
		}
		d.Blank = min(blanks+1, 10)
		return s.pipelineForm(c, http.StatusOK, d)
	}
	pl, err := s.Store.SavePipeline(ctx, currentUser(c), p, spec)
	if errs, ok := formErrors(err); ok {
		d.Errors = errs
		return s.pipelineForm(c, http.StatusUnprocessableEntity, d)
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", "Pipeline of "+port.Name+" saved. Run it now, or let its schedule start it.")
	return redirect(c, pipelines.PipelinePath(*pl))
}

func (s *Server) pipelineForm(c echo.Context, status int, d pipelines.FormData) error {
	var err error
	if d.Ports, err = s.Store.PortRefs(c.Request().Context(), d.Product.TeamID, d.Product.ID); err != nil {
		return err
	}
	d.Rules = models.PortRules(&d.Product, d.Port.Slug)
	crumbs := append(domainCrumbs(&d.Product.Domain), views.Crumb{Label: d.Product.Name, Href: d.Product.Path()}, views.Crumb{Label: "Pipeline of " + d.Port.Name})
	return render(c, status, pipelines.Form(s.shell(c, "Pipeline of "+d.Product.Name+" · "+d.Port.Name, views.NavPipelines, crumbs...), d))
}

// maxFormInputs bounds the input rows one form may carry.
const maxFormInputs = 50

var inputKeyPattern = regexp.MustCompile(`^inputs\[(\d{1,2})\]\.([a-z]+)$`)

// parsePipelineForm reads the form into a spec and the rows to show again.
// Rows marked for removal and empty rows are left out, so the n-th row
// shown is the n-th input the store validates and its errors land on it;
// blanks counts the empty rows sent.
func parsePipelineForm(form url.Values) (models.PipelineSpec, []pipelines.InputRow, int) {
	spec := models.PipelineSpec{SQL: form.Get("sql"), Schedule: form.Get("schedule"), Cron: form.Get("cron"),
		TimeoutSeconds: formInt(form, "timeout_seconds"), MemoryMB: formInt(form, "memory_mb"), Retention: formInt(form, "retention"),
		Paused: form.Get("paused") == "true"}
	rows := map[int]*pipelines.InputRow{}
	removed := map[int]bool{}
	for key, vals := range form {
		m := inputKeyPattern.FindStringSubmatch(key)
		if m == nil || len(vals) == 0 {
			continue
		}
		i, _ := strconv.Atoi(m[1])
		if i >= maxFormInputs {
			continue
		}
		if rows[i] == nil {
			rows[i] = &pipelines.InputRow{}
		}
		r, v := rows[i], vals[0]
		switch m[2] {
		case "name":
			r.Name = v
		case "kind":
			r.Kind = v
		case "landing":
			r.Landing = v
		case "upstream":
			r.Upstream = v
		case "format":
			r.Format = v
		case "remove":
			removed[i] = v == "true"
		}
	}
	order := make([]int, 0, len(rows))
	for i := range rows {
		order = append(order, i)
	}
	sort.Ints(order)
	var out []pipelines.InputRow
	blanks := 0
	for _, i := range order {
		r := *rows[i]
		if r.Kind != pipelines.KindLanding && r.Kind != pipelines.KindUpstream {
			r.Kind = pipelines.KindLanding
			if strings.TrimSpace(r.Landing) == "" && strings.TrimSpace(r.Upstream) != "" {
				r.Kind = pipelines.KindUpstream
			}
		}
		x := models.PipelineInputSpec{Name: r.Name, Format: r.Format}
		if r.Kind == pipelines.KindUpstream {
			x.Upstream = r.Upstream
		} else {
			x.Landing = r.Landing
		}
		// The same test models uses to drop empty inputs, so indexes agree.
		if blank(x.Name) && blank(x.Landing) && blank(x.Upstream) {
			blanks++
			continue
		}
		if removed[i] {
			continue
		}
		out = append(out, r)
		spec.Inputs = append(spec.Inputs, x)
	}
	return spec, out, blanks
}

func blank(s string) bool { return strings.Trim(strings.TrimSpace(s), "/") == "" }

// formInt reads a number field: 0 when empty (the default applies), -1
// when not a number (validation says so).
func formInt(form url.Values, name string) int {
	v := strings.TrimSpace(form.Get(name))
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return -1
	}
	return n
}

// inputRows turns a saved pipeline's inputs into form rows.
func inputRows(ins []models.PipelineInputSpec) []pipelines.InputRow {
	out := make([]pipelines.InputRow, len(ins))
	for i, x := range ins {
		out[i] = pipelines.InputRow{Name: x.Name, Kind: pipelines.KindLanding, Landing: x.Landing, Upstream: x.Upstream, Format: x.Format}
		if x.Upstream != "" {
			out[i].Kind = pipelines.KindUpstream
		}
	}
	return out
}

// visiblePipeline loads the pipeline named by :id if the reader may see
// its product.
func (s *Server) visiblePipeline(c echo.Context) (*models.Pipeline, *models.Scope, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return nil, nil, err
	}
	ctx := c.Request().Context()
	pl, err := s.Store.PipelineByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	scope, err := s.Store.ProductScope(ctx, currentUser(c), &pl.Product)
	if err != nil {
		return nil, nil, err
	}
	if !pl.Product.Visible(currentUser(c), scope) {
		return nil, nil, models.ErrNotFound
	}
	return pl, scope, nil
}

// PipelineShow is a pipeline's page: definition, runs and snapshots.
func (s *Server) PipelineShow(c echo.Context) error {
	ctx := c.Request().Context()
	pl, scope, err := s.visiblePipeline(c)
	if err != nil {
		return err
	}
	u := currentUser(c)
	d := pipelines.ShowData{Pipeline: *pl, CanEdit: models.Can(u, models.ActEditProduct, scope), Now: s.Store.Now()}
	if d.CanRun, err = s.Store.CanRunPipeline(ctx, u, pl); err != nil {
		return err
	}
	if d.Runs, err = s.Store.RunsOf(ctx, pl.ID, 50); err != nil {
		return err
	}
	if d.Snapshots, err = s.Store.PortSnapshots(ctx, pl.ProductID, pl.Port, 50); err != nil {
		return err
	}
	d.OfferAccept = d.CanRun && len(d.Runs) > 0 && d.Runs[0].FailedOnSchema()
	crumbs := append(domainCrumbs(&pl.Product.Domain), views.Crumb{Label: pl.Product.Name, Href: pl.Product.Path()}, views.Crumb{Label: "Pipeline of " + pl.Port})
	return render(c, http.StatusOK, pipelines.Show(s.shell(c, "Pipeline of "+pl.Product.Name+" · "+pl.Port, views.NavPipelines, crumbs...), d))
}

// PipelineRun queues a run of the pipeline (Run now), optionally accepting
// a drifted schema, and shows the run.
func (s *Server) PipelineRun(c echo.Context) error {
	ctx := c.Request().Context()
	pl, _, err := s.visiblePipeline(c)
	if err != nil {
		return err
	}
	run, err := s.Store.EnqueueRun(ctx, currentUser(c), pl, models.RunRequest{Trigger: models.TriggerManual,
		AcceptSchema: c.FormValue("accept_schema") == "true"})
	var active *models.ErrRunActive
	if errors.As(err, &active) {
		if active.Run.ID == 0 { // lost a race with another click: the winner's run is on the pipeline page
			s.flash(c, "info", "A run of this pipeline is already queued; one runs at a time.")
			return redirect(c, pipelines.PipelinePath(*pl))
		}
		s.flash(c, "info", "Run "+strconv.FormatUint(uint64(active.Run.ID), 10)+" of this pipeline is already "+active.Run.Status+"; one runs at a time. Here it is.")
		return redirect(c, pipelines.RunPath(*active.Run))
	}
	if err != nil {
		return err
	}
	if s.Opts.Runs != nil {
		if err := s.Opts.Runs.Enqueue(ctx, run.ID); err != nil {
			s.log.Error("start run", "run", run.ID, "err", err)
			s.flash(c, "error", "The run is recorded but its job could not be started. Cancel it and try again in a moment.")
			return redirect(c, pipelines.RunPath(*run))
		}
	}
	s.flash(c, "success", "Run "+strconv.FormatUint(uint64(run.ID), 10)+" queued. Its log appears below as it works.")
	return redirect(c, pipelines.RunPath(*run))
}

// visibleRun loads the run named by :id if the reader may see its product,
// with whether the reader may cancel it.
func (s *Server) visibleRun(c echo.Context) (*models.Run, bool, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return nil, false, err
	}
	ctx := c.Request().Context()
	u := currentUser(c)
	r, err := s.Store.RunByID(ctx, id)
	if err != nil {
		return nil, false, err
	}
	scope, err := s.Store.ProductScope(ctx, u, &r.Pipeline.Product)
	if err != nil {
		return nil, false, err
	}
	if !r.Pipeline.Product.Visible(u, scope) {
		return nil, false, models.ErrNotFound
	}
	canRun, err := s.Store.CanRunPipeline(ctx, u, &r.Pipeline)
	return r, canRun, err
}

func (s *Server) runData(c echo.Context, r *models.Run, canRun bool) pipelines.RunData {
	token, _ := c.Get(ctxCSRF).(string)
	return pipelines.RunData{Run: *r, CanCancel: canRun && r.Active(), CSRF: token, Now: s.Store.Now()}
}

// RunShow is a run's page: status, checks and the log, live while it runs.
func (s *Server) RunShow(c echo.Context) error {
	r, canRun, err := s.visibleRun(c)
	if err != nil {
		return err
	}
	p := &r.Pipeline.Product
	crumbs := append(domainCrumbs(&p.Domain), views.Crumb{Label: p.Name, Href: p.Path()},
		views.Crumb{Label: "Pipeline of " + r.Pipeline.Port, Href: pipelines.PipelinePath(r.Pipeline)},
		views.Crumb{Label: "Run " + strconv.FormatUint(uint64(r.ID), 10)})
	shell := s.shell(c, "Run "+strconv.FormatUint(uint64(r.ID), 10)+" of "+p.Name, views.NavPipelines, crumbs...)
	return render(c, http.StatusOK, pipelines.RunPage(shell, s.runData(c, r, canRun)))
}

// RunLog is the live part of a run's page (status, checks, log), which
// the page polls while the run is active; a finished run's answer stops
// the polling.
func (s *Server) RunLog(c echo.Context) error {
	r, canRun, err := s.visibleRun(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return render(c, http.StatusOK, pipelines.RunLive(s.runData(c, r, canRun)))
}

// RunCancel cancels a queued run, or asks a running one to stop.
func (s *Server) RunCancel(c echo.Context) error {
	r, _, err := s.visibleRun(c)
	if err != nil {
		return err
	}
	err = s.Store.CancelRun(c.Request().Context(), currentUser(c), r)
	if errors.Is(err, models.ErrConflict) {
		s.flash(c, "info", conflictMessage(err))
		return redirect(c, pipelines.RunPath(*r))
	}
	if err != nil {
		return err
	}
	if r.Status == models.RunRunning {
		s.flash(c, "success", "Cancel requested: the run stops at its next step and the current snapshot stays.")
	} else {
		s.flash(c, "success", "Run cancelled before it started.")
	}
	return redirect(c, pipelines.RunPath(*r))
}
