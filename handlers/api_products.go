package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"plaza/models"
)

type productJSON struct {
	URN            string                    `json:"urn"`
	Domain         string                    `json:"domain"`
	Team           string                    `json:"team"`
	Slug           string                    `json:"slug"`
	Name           string                    `json:"name"`
	Summary        string                    `json:"summary"`
	Description    string                    `json:"description"`
	Classification string                    `json:"classification"`
	Status         string                    `json:"status"`
	Version        string                    `json:"version"`
	TermsOfUse     string                    `json:"terms_of_use,omitempty"`
	Tags           []string                  `json:"tags"`
	SLA            slaJSON                   `json:"sla"`
	OutputPorts    []portJSON                `json:"output_ports"`
	InputPorts     []models.InputPortInput   `json:"input_ports"`
	Quality        []models.QualityRuleInput `json:"quality"`
	URL            string                    `json:"url"`
	PublishedAt    *time.Time                `json:"published_at,omitempty"`
	UpdatedAt      time.Time                 `json:"updated_at"`
}

type slaJSON struct {
	FreshnessHours int    `json:"freshness_hours"`
	Availability   string `json:"availability,omitempty"`
	SupportChannel string `json:"support_channel,omitempty"`
	ResponseTime   string `json:"response_time,omitempty"`
}

type portJSON struct {
	URN         string               `json:"urn"`
	Slug        string               `json:"slug"`
	Name        string               `json:"name"`
	Format      string               `json:"format"`
	Description string               `json:"description,omitempty"`
	Columns     []models.ColumnInput `json:"columns"`
}

func (s *Server) toProductJSON(c echo.Context, p *models.Product) (productJSON, error) {
	in, err := s.Store.InputOf(c.Request().Context(), p)
	if err != nil {
		return productJSON{}, err
	}
	out := productJSON{URN: p.URN(), Domain: p.Domain.Slug, Team: p.Team.Slug, Slug: p.Slug, Name: p.Name,
		Summary: p.Summary, Description: p.Description, Classification: p.Classification, Status: p.Status,
		Version: p.Version, TermsOfUse: p.TermsOfUse, Tags: p.TagNames(),
		SLA:        slaJSON{p.FreshnessHours, p.Availability, p.SupportChannel, p.ResponseTime},
		InputPorts: in.InputPorts, Quality: in.Quality, URL: s.Opts.BaseURL + p.Path(),
		PublishedAt: p.PublishedAt, UpdatedAt: p.UpdatedAt}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	for _, port := range in.OutputPorts {
		cols := port.Columns
		if cols == nil {
			cols = []models.ColumnInput{}
		}
		out.OutputPorts = append(out.OutputPorts, portJSON{URN: p.PortURN(port.Slug), Slug: port.Slug, Name: port.Name,
			Format: port.Format, Description: port.Description, Columns: cols})
	}
	if out.OutputPorts == nil {
		out.OutputPorts = []portJSON{}
	}
	if out.InputPorts == nil {
		out.InputPorts = []models.InputPortInput{}
	}
	if out.Quality == nil {
		out.Quality = []models.QualityRuleInput{}
	}
	return out, nil
}

// APIProductShow returns one product with its schema.
func (s *Server) APIProductShow(c echo.Context) error {
	p, err := s.product(c)
	if err != nil {
		return err
	}
	out, err := s.toProductJSON(c, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// APIProductCreate creates a draft product in a domain (the team's owners and admins).
func (s *Server) APIProductCreate(c echo.Context) error {
	var in models.ProductInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	p, err := s.Store.CreateProduct(c.Request().Context(), currentUser(c), c.Param("domain"), in)
	if err != nil {
		return err
	}
	out, err := s.toProductJSON(c, p)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/products/"+p.Domain.Slug+"/"+p.Slug)
	return c.JSON(http.StatusCreated, out)
}

// productPut is the body of a PUT: the product as GET returns it (its
// read-only fields are accepted and ignored) or as POST takes it.
type productPut struct {
	models.ProductInput
	Status      string     `json:"status"`
	SLA         *slaJSON   `json:"sla"`
	OutputPorts []portJSON `json:"output_ports"`
	// Read-only: what GET adds.
	URN         string     `json:"urn"`
	Domain      string     `json:"domain"`
	URL         string     `json:"url"`
	PublishedAt *time.Time `json:"published_at"`
	UpdatedAt   *time.Time `json:"updated_at"`
}

func (b productPut) input() models.ProductInput {
	in := b.ProductInput
	if b.SLA != nil {
		in.FreshnessHours, in.Availability = b.SLA.FreshnessHours, b.SLA.Availability
		in.SupportChannel, in.ResponseTime = b.SLA.SupportChannel, b.SLA.ResponseTime
	}
	in.OutputPorts = nil
	for _, p := range b.OutputPorts {
		in.OutputPorts = append(in.OutputPorts, models.PortInput{Slug: p.Slug, Name: p.Name, Format: p.Format,
			Description: p.Description, Columns: p.Columns})
	}
	return in
}

// APIProductUpdate replaces a product's description and schema with the
// body (PUT semantics: send the whole product, as GET returns it).
func (s *Server) APIProductUpdate(c echo.Context) error {
	p, err := s.product(c)
	if err != nil {
		return err
	}
	var body productPut
	if err := bindJSON(c, &body); err != nil {
		return err
	}
	in := body.input()
	current, err := s.Store.InputOf(c.Request().Context(), p)
	if err != nil {
		return err
	}
	in.ContractExtra = current.ContractExtra
	updated, err := s.Store.UpdateProduct(c.Request().Context(), currentUser(c), p, in)
	if err != nil {
		return err
	}
	if body.Status != "" && body.Status != updated.Status {
		if updated, err = s.Store.SetProductStatus(c.Request().Context(), currentUser(c), updated, body.Status, ""); err != nil {
			return err
		}
	}
	out, err := s.toProductJSON(c, updated)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

type termJSON struct {
	Domain     string   `json:"domain"`
	Slug       string   `json:"slug"`
	Ref        string   `json:"ref"`
	Name       string   `json:"name"`
	Definition string   `json:"definition"`
	Synonyms   []string `json:"synonyms"`
	URL        string   `json:"url"`
}

func (s *Server) toTermJSON(t *models.GlossaryTerm) termJSON {
	syn := t.SynonymList()
	if syn == nil {
		syn = []string{}
	}
	return termJSON{Domain: t.Domain.Slug, Slug: t.Slug, Ref: t.Ref(), Name: t.Name, Definition: t.Definition,
		Synonyms: syn, URL: s.Opts.BaseURL + t.Path()}
}

// APITerms lists glossary terms; ?domain= narrows to one domain.
func (s *Server) APITerms(c echo.Context) error {
	terms, err := s.Store.ListTerms(c.Request().Context(), c.QueryParam("domain"))
	if err != nil {
		return err
	}
	out := make([]termJSON, len(terms))
	for i := range terms {
		out[i] = s.toTermJSON(&terms[i])
	}
	return c.JSON(http.StatusOK, map[string]any{"terms": out})
}

// APITermShow returns a term and the columns that carry it.
func (s *Server) APITermShow(c echo.Context) error {
	t, err := s.term(c)
	if err != nil {
		return err
	}
	uses, err := s.Store.TermUsage(c.Request().Context(), t.ID)
	if err != nil {
		return err
	}
	type useJSON struct {
		Product string `json:"product"`
		Port    string `json:"port"`
		Column  string `json:"column"`
	}
	used := make([]useJSON, len(uses))
	for i, u := range uses {
		used[i] = useJSON{Product: u.DomainSlug + "/" + u.ProductSlug, Port: u.Port, Column: u.Column}
	}
	return c.JSON(http.StatusOK, map[string]any{"term": s.toTermJSON(t), "used_by": used})
}

// APITermCreate adds a term to a domain's glossary.
func (s *Server) APITermCreate(c echo.Context) error {
	var body struct {
		models.TermInput
		Domain string `json:"domain"`
	}
	if err := bindJSON(c, &body); err != nil {
		return err
	}
	t, err := s.Store.CreateTerm(c.Request().Context(), currentUser(c), body.Domain, body.TermInput)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/glossary/"+t.Domain.Slug+"/"+t.Slug)
	return c.JSON(http.StatusCreated, s.toTermJSON(t))
}
