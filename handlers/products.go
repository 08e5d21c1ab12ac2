package handlers

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
	"plaza/views/components"
	"plaza/views/products"
)

// product loads the product named by :domain and :product, answering a
// renamed product's old address with a permanent redirect.
func (s *Server) product(c echo.Context) (*models.Product, error) {
	p, _, err := s.productInScope(c)
	return p, err
}

// productInScope is product with the caller's scope for it (their role in
// the owning team).
func (s *Server) productInScope(c echo.Context) (*models.Product, *models.Scope, error) {
	p, err := s.Store.ProductBySlug(c.Request().Context(), c.Param("domain"), c.Param("product"))
	var moved *models.ErrMoved
	if errors.As(err, &moved) {
		// The same page (or API call) at the new address.
		old := "/products/" + c.Param("domain") + "/" + c.Param("product")
		return nil, nil, &redirectError{to: strings.Replace(c.Request().URL.Path, old, moved.To, 1)}
	}
	if err != nil {
		return nil, nil, err
	}
	scope, err := s.Store.ProductScope(c.Request().Context(), currentUser(c), p)
	if err != nil {
		return nil, nil, err
	}
	if !p.Visible(currentUser(c), scope) {
		return nil, nil, models.ErrNotFound // drafts are invisible to outsiders, not forbidden
	}
	return p, scope, nil
}

// redirectError sends the browser to where a thing now lives.
type redirectError struct{ to string }

func (e *redirectError) Error() string { return "moved to " + e.to }

// ProductShow is a data product's page.
func (s *Server) ProductShow(c echo.Context) error {
	ctx := c.Request().Context()
	p, scope, err := s.productInScope(c)
	if err != nil {
		return err
	}
	u := currentUser(c)
	d := products.PageData{Product: *p, CanEdit: models.Can(u, models.ActEditProduct, scope), BaseURL: s.Opts.BaseURL}
	if d.Owners, err = s.Store.ProductOwners(ctx, p); err != nil {
		return err
	}
	if d.Replacement, err = s.Store.Replacement(ctx, p); err != nil {
		return err
	}
	if d.Lineage, err = s.Store.LineageGraph(ctx, p, models.LineageMaxNodes); err != nil {
		return err
	}
	if err := s.Store.HideDrafts(ctx, u, d.Lineage); err != nil {
		return err
	}
	if d.History, err = s.Store.ProductHistory(ctx, p, 20); err != nil {
		return err
	}
	if d.Freshness, err = s.Store.ProductFreshness(ctx, p); err != nil {
		return err
	}
	if d.Incidents, err = s.Store.Incidents(ctx, models.IncidentFilter{ProductID: p.ID, State: models.IncidentOpen}); err != nil {
		return err
	}
	if d.Stats, err = s.Store.ProductStats(ctx, p, 30); err != nil {
		return err
	}
	d.Now = s.Store.Now()
	view, err := s.Store.AccessOf(ctx, u, scope, p)
	if err != nil {
		return err
	}
	d.Access = products.AccessState{Kind: view.Level, Text: accessTexts[view.Level], Grants: view.Grants,
		Pending: view.Pending, Approvals: view.Policy.ApprovalsText()}
	if d.Access.SeeConsumers, err = s.Store.CanManageGrants(ctx, u, p); err != nil {
		return err
	}
	if d.Access.SeeConsumers {
		n, err := s.Store.ActiveGrantCount(ctx, p)
		if err != nil {
			return err
		}
		d.Access.Consumers = int(n)
	}
	if d.CanEdit {
		d.NextStatuses = models.NextStatuses(p.Status)
		if d.Products, err = s.Store.ProductRefs(ctx); err != nil {
			return err
		}
	}
	crumbs := append(domainCrumbs(&p.Domain), views.Crumb{Label: p.Name})
	return render(c, http.StatusOK, products.Page(s.shell(c, p.Name, views.NavMarketplace, crumbs...), d))
}

// accessTexts say what each access level means to the person reading.
var accessTexts = map[string]string{
	models.AccessOwner:   "Your team owns this product: you have access.",
	models.AccessOpen:    "Public: everyone signed in may use it, no request needed.",
	models.AccessNeeded:  "You have no access yet. Ask the owners: say what you need it for and for how long.",
	models.AccessGranted: "You have access through a grant.",
	models.AccessPending: "Your request waits for a decision.",
}

// ProductPortShow is a port's stable address: the product page at that port.
func (s *Server) ProductPortShow(c echo.Context) error {
	p, err := s.product(c)
	if err != nil {
		return err
	}
	for _, port := range p.OutputPorts {
		if port.Slug == c.Param("port") {
			return c.Redirect(http.StatusSeeOther, p.Path()+"#port-"+port.Slug)
		}
	}
	return models.ErrNotFound
}

// ProductNew shows the empty product form.
func (s *Server) ProductNew(c echo.Context) error {
	d := products.FormData{New: true, Action: "/products", Cancel: "/",
		Values: models.ProductInput{Classification: models.ClassInternal, Version: "1.0.0"}, Team: c.QueryParam("team")}
	return s.productForm(c, http.StatusOK, d)
}

// ProductCreate creates a draft product from the form.
func (s *Server) ProductCreate(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	in, inputs := parseProductForm(form)
	team := form.Get("team")
	domain, teamSlug, _ := strings.Cut(team, "/")
	in.Team = teamSlug
	p, err := s.Store.CreateProduct(c.Request().Context(), currentUser(c), domain, in)
	if errs, ok := formErrors(err); ok {
		return s.productForm(c, http.StatusUnprocessableEntity, products.FormData{New: true, Action: "/products", Cancel: "/",
			Values: in, Inputs: inputs, Team: team, Errors: errs})
	}
	if errors.Is(err, models.ErrNotFound) { // the team named no existing domain
		return s.productForm(c, http.StatusUnprocessableEntity, products.FormData{New: true, Action: "/products", Cancel: "/",
			Values: in, Inputs: inputs, Team: team, Errors: map[string]string{"team": "Choose the team that owns this product."}})
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", "Draft "+p.Name+" created. Publish it when its description and schema are complete.")
	return redirect(c, p.Path())
}

// ProductEdit shows the product form filled in.
func (s *Server) ProductEdit(c echo.Context) error {
	ctx := c.Request().Context()
	p, scope, err := s.productInScope(c)
	if err != nil {
		return err
	}
	if err := models.Authorize(currentUser(c), models.ActEditProduct, scope); err != nil {
		return err
	}
	in, err := s.Store.InputOf(ctx, p)
	if err != nil {
		return err
	}
	d := products.FormData{Action: p.Path(), Cancel: p.Path(), Values: in, Inputs: formatInputs(in.InputPorts),
		Team: p.Domain.Slug + "/" + p.Team.Slug}
	return s.productForm(c, http.StatusOK, d)
}

// ProductUpdate saves the product form.
func (s *Server) ProductUpdate(c echo.Context) error {
	p, err := s.product(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	in, inputs := parseProductForm(form)
	team := form.Get("team")
	_, in.Team, _ = strings.Cut(team, "/")
	// What the form does not show (quality rules, kept contract parts) stays.
	current, err := s.Store.InputOf(c.Request().Context(), p)
	if err != nil {
		return err
	}
	in.Quality, in.ContractExtra = current.Quality, current.ContractExtra
	updated, err := s.Store.UpdateProduct(c.Request().Context(), currentUser(c), p, in)
	if errs, ok := formErrors(err); ok {
		return s.productForm(c, http.StatusUnprocessableEntity, products.FormData{Action: p.Path(), Cancel: p.Path(),
			Values: in, Inputs: inputs, Team: team, Errors: errs})
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", updated.Name+" saved.")
	return redirect(c, updated.Path())
}

func (s *Server) productForm(c echo.Context, status int, d products.FormData) error {
	ctx := c.Request().Context()
	var err error
	if d.Teams, err = s.Store.EditableTeams(ctx, currentUser(c)); err != nil {
		return err
	}
	if d.New && len(d.Teams) == 0 {
		return models.ErrForbidden // only team owners and admins create products
	}
	if d.Terms, err = s.Store.ListTerms(ctx, ""); err != nil {
		return err
	}
	title := "New data product"
	if !d.New {
		title = "Edit " + d.Values.Name
	}
	return render(c, status, products.Form(s.shell(c, title, views.NavMarketplace), d))
}

// ProductStatus moves a product along its lifecycle.
func (s *Server) ProductStatus(c echo.Context) error {
	p, err := s.product(c)
	if err != nil {
		return err
	}
	status := c.FormValue("status")
	updated, err := s.Store.SetProductStatus(c.Request().Context(), currentUser(c), p, status, strings.TrimSpace(c.FormValue("replacement")))
	var v *models.ValidationError
	if errors.As(err, &v) {
		_, msg := v.First()
		s.flash(c, "error", msg)
		return redirect(c, p.Path())
	}
	if err != nil {
		return err
	}
	s.flash(c, "success", updated.Name+" is now "+updated.Status+".")
	return redirect(c, updated.Path())
}

// ProductPreview renders a description as the product page would (htmx).
func (s *Server) ProductPreview(c echo.Context) error {
	src := c.FormValue("description")
	if strings.TrimSpace(src) == "" {
		return c.HTML(http.StatusOK, `<p class="muted">Nothing to preview yet.</p>`)
	}
	return render(c, http.StatusOK, components.Markdown(src))
}

// Limits on what one product form may carry, so a crafted form cannot make
// the server allocate without bound.
const (
	maxFormPorts   = 20
	maxFormColumns = 500
)

var portKey = regexp.MustCompile(`^output_ports\[(\d{1,3})\]\.(?:columns\[(\d{1,4})\]\.)?([a-z_]+)$`)

// parseProductForm reads the product form, its ports and their columns.
// Empty column rows and rows marked for removal are left out.
func parseProductForm(form url.Values) (models.ProductInput, string) {
	in := models.ProductInput{
		Slug: form.Get("slug"), Name: form.Get("name"), Summary: form.Get("summary"),
		Description: form.Get("description"), Classification: form.Get("classification"),
		Version: form.Get("version"), TermsOfUse: form.Get("terms_of_use"),
		Availability: form.Get("availability"), SupportChannel: form.Get("support_channel"),
		ResponseTime: form.Get("response_time"),
	}
	if f := strings.TrimSpace(form.Get("freshness_hours")); f != "" {
		n, err := strconv.Atoi(f)
		if err != nil {
			n = -1 // not a number: validation says so
		}
		in.FreshnessHours = n
	}
	in.Tags = strings.Split(form.Get("tags"), ",") // models trims them and drops repeats
	type colKey struct{ port, col int }
	ports := map[int]*models.PortInput{}
	cols := map[colKey]*models.ColumnInput{}
	removed := map[colKey]bool{}
	for key, vals := range form {
		m := portKey.FindStringSubmatch(key)
		if m == nil || len(vals) == 0 {
			continue
		}
		pi, _ := strconv.Atoi(m[1])
		if pi >= maxFormPorts {
			continue
		}
		if ports[pi] == nil {
			ports[pi] = &models.PortInput{}
		}
		v := vals[0]
		if m[2] == "" {
			switch m[3] {
			case "slug":
				ports[pi].Slug = v
			case "name":
				ports[pi].Name = v
			case "format":
				ports[pi].Format = v
			case "description":
				ports[pi].Description = v
			}
			continue
		}
		ci, _ := strconv.Atoi(m[2])
		if ci >= maxFormColumns {
			continue
		}
		k := colKey{pi, ci}
		if cols[k] == nil {
			cols[k] = &models.ColumnInput{}
		}
		c := cols[k]
		switch m[3] {
		case "name":
			c.Name = v
		case "type":
			c.Type = v
		case "description":
			c.Description = v
		case "term":
			c.Term = v
		case "nullable":
			c.Nullable = v == "true"
		case "primary_key":
			c.PrimaryKey = v == "true"
		case "pii":
			c.PII = v == "true"
		case "remove":
			removed[k] = v == "true"
		}
	}
	keys := make([]colKey, 0, len(cols))
	for k := range cols {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		if keys[a].port != keys[b].port {
			return keys[a].port < keys[b].port
		}
		return keys[a].col < keys[b].col
	})
	for _, k := range keys {
		c := cols[k]
		blank := strings.TrimSpace(c.Name+c.Type+c.Description+c.Term) == ""
		if removed[k] || blank {
			continue
		}
		ports[k.port].Columns = append(ports[k.port].Columns, *c)
	}
	order := make([]int, 0, len(ports))
	for i := range ports {
		order = append(order, i)
	}
	sort.Ints(order)
	for _, i := range order {
		p := ports[i]
		if strings.TrimSpace(p.Name+p.Slug+p.Description) == "" && len(p.Columns) == 0 {
			continue // an untouched empty port
		}
		in.OutputPorts = append(in.OutputPorts, *p)
	}
	inputs := form.Get("inputs")
	in.InputPorts = parseInputs(inputs)
	return in, inputs
}

// parseInputs reads the inputs textarea: one upstream or landing:<glob> per line.
func parseInputs(text string) []models.InputPortInput {
	var out []models.InputPortInput
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "landing:"):
			out = append(out, models.InputPortInput{Landing: strings.TrimSpace(strings.TrimPrefix(line, "landing:"))})
		default:
			out = append(out, models.InputPortInput{Upstream: line})
		}
	}
	return out
}

func formatInputs(ins []models.InputPortInput) string {
	lines := make([]string, 0, len(ins))
	for _, ip := range ins {
		if ip.Landing != "" {
			lines = append(lines, "landing:"+ip.Landing)
		} else {
			lines = append(lines, ip.Upstream)
		}
	}
	return strings.Join(lines, "\n")
}
