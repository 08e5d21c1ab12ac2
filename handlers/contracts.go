package handlers

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"plaza/models"
	"plaza/views"
	"plaza/views/products"
)

// maxContractBytes bounds a contract upload; the importer refuses more too.
const maxContractBytes = 1 << 20

// ContractImportForm shows the contract import page: paste or upload ODCS YAML.
func (s *Server) ContractImportForm(c echo.Context) error {
	if err := s.mayDefineTerms(c); err != nil { // the same people: owners of a team, and admins
		return err
	}
	return s.contractPage(c, http.StatusOK, products.ImportData{})
}

// ContractImport creates or updates a product from an ODCS contract.
func (s *Server) ContractImport(c echo.Context) error {
	text := c.FormValue("contract")
	if fh, err := c.FormFile("file"); err == nil && fh.Size > 0 {
		if fh.Size > maxContractBytes {
			return s.contractPage(c, http.StatusRequestEntityTooLarge, products.ImportData{Text: text,
				Errors: map[string]string{"file": fmt.Sprintf("The file is %s; contracts may be at most 1 MiB.", sizeText(fh.Size))}})
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxContractBytes+1))
		if err != nil {
			return err
		}
		text = string(b)
	}
	if strings.TrimSpace(text) == "" {
		return s.contractPage(c, http.StatusUnprocessableEntity, products.ImportData{
			Errors: map[string]string{"contract": "Paste a contract or choose a YAML file."}})
	}
	p, report, err := s.Store.ImportContract(c.Request().Context(), currentUser(c), []byte(text))
	if errs, ok := formErrors(err); ok {
		return s.contractPage(c, http.StatusUnprocessableEntity, products.ImportData{Text: text, Errors: errs})
	}
	if err != nil {
		return err
	}
	verb := "updated"
	if report.Created {
		verb = "created as a draft"
	}
	msg := p.Name + " " + verb + " from the contract."
	if len(report.Kept) > 0 {
		msg += fmt.Sprintf(" %d contract parts Plaza does not use were kept (see Contract and address).", len(report.Kept))
	}
	s.flash(c, "success", msg)
	for _, n := range report.Notes {
		s.flash(c, "info", n)
	}
	return redirect(c, p.Path())
}

func (s *Server) contractPage(c echo.Context, status int, d products.ImportData) error {
	crumbs := []views.Crumb{{Label: "Marketplace", Href: "/"}, {Label: "Import a contract"}}
	return render(c, status, products.Import(s.shell(c, "Import a data contract", views.NavMarketplace, crumbs...), d))
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// APIContractExport answers a product's ODCS v3.1.0 contract as YAML.
func (s *Server) APIContractExport(c echo.Context) error {
	p, err := s.product(c)
	if err != nil {
		return err
	}
	b, err := models.ExportContract(p)
	if err != nil {
		return err
	}
	return yamlBlob(c, p.Domain.Slug+"-"+p.Slug+".odcs.yaml", b)
}

// APIODPSExport answers a product's ODPS v1.0.0 descriptor as YAML.
func (s *Server) APIODPSExport(c echo.Context) error {
	p, err := s.product(c)
	if err != nil {
		return err
	}
	b, err := s.Store.ProductDescriptor(c.Request().Context(), p, s.Opts.BaseURL)
	if err != nil {
		return err
	}
	return yamlBlob(c, p.Domain.Slug+"-"+p.Slug+".odps.yaml", b)
}

func yamlBlob(c echo.Context, filename string, b []byte) error {
	c.Response().Header().Set("Content-Disposition", `inline; filename="`+filename+`"`)
	return c.Blob(http.StatusOK, "application/yaml; charset=utf-8", b)
}

// APIContractImport creates or updates a product from an ODCS YAML body.
func (s *Server) APIContractImport(c echo.Context) error {
	b, err := io.ReadAll(io.LimitReader(c.Request().Body, maxContractBytes+1))
	if err != nil {
		return err
	}
	if len(b) > maxContractBytes {
		return echo.ErrStatusRequestEntityTooLarge
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return fmt.Errorf("%w: send the contract as YAML in the request body", errBadJSON)
	}
	p, report, err := s.Store.ImportContract(c.Request().Context(), currentUser(c), b)
	if err != nil {
		return err
	}
	out, err := s.toProductJSON(c, p)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if report.Created {
		status = http.StatusCreated
	}
	kept := report.Kept
	if kept == nil {
		kept = []string{}
	}
	notes := report.Notes
	if notes == nil {
		notes = []string{}
	}
	return c.JSON(status, map[string]any{"product": out, "created": report.Created, "contract_status": report.Status, "kept": kept, "notes": notes})
}
