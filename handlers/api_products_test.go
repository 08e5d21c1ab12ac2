package handlers

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestAPIProductSearch(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		c := e.anon()
		token := e.token(userEmail)
		status, body := c.api("GET", "/api/v1/products?q=customer&class=restricted", token, "")
		if status != http.StatusOK {
			t.Fatalf("search: %d %s", status, body)
		}
		var res struct {
			Products []struct{ URN, Classification string }
			Total    int64
			Facets   map[string][]struct {
				Value    string
				Count    int64
				Selected bool
			}
		}
		if err := json.Unmarshal([]byte(body), &res); err != nil {
			t.Fatal(err)
		}
		if res.Total != 2 || len(res.Products) != 2 {
			t.Fatalf("restricted customer products: total %d, %d hits; want 2", res.Total, len(res.Products))
		}
		for _, p := range res.Products {
			if p.Classification != "restricted" {
				t.Errorf("%s is %s", p.URN, p.Classification)
			}
		}
		var selected bool
		for _, v := range res.Facets["classification"] {
			if v.Value == "restricted" && v.Selected && v.Count == 2 {
				selected = true
			}
		}
		if !selected {
			t.Errorf("classification facet lacks restricted (2, selected): %+v", res.Facets["classification"])
		}
		// A query full of full-text operators is just text.
		for _, q := range []string{`"`, `*`, `AND OR NOT`, `NEAR(a b`, `-x:y`, `(`, `'`, `\`, `ü*"^`} {
			status, body := c.api("GET", "/api/v1/products?q="+url.QueryEscape(q), token, "")
			if status != http.StatusOK {
				t.Errorf("q=%q: %d %s", q, status, body)
			}
		}
	})
}

func TestAPIProductLifecycle(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		c := e.anon()
		owner := e.token(ownerEmail)
		create := `{"slug":"gift-cards","name":"Gift cards","team":"order-management","classification":"internal",
			"description":"<script>alert(1)</script>\n\nEvery **gift card**.",
			"output_ports":[{"name":"cards","format":"parquet","columns":[{"name":"card_id","type":"string","primary_key":true}]}]}`
		status, body := c.api("POST", "/api/v1/products/sales", owner, create)
		if status != http.StatusCreated {
			t.Fatalf("create: %d %s", status, body)
		}
		var p struct {
			URN, Status string
			OutputPorts []struct {
				URN     string
				Columns []struct{ Name string }
			} `json:"output_ports"`
		}
		json.Unmarshal([]byte(body), &p)
		if p.URN != "urn:plaza:sales:gift-cards" || p.Status != "draft" || len(p.OutputPorts) != 1 || p.OutputPorts[0].URN != "urn:plaza:sales:gift-cards:cards" {
			t.Fatalf("created %s", body)
		}
		// The page renders the description safely.
		page := e.as(ownerEmail).get("/products/sales/gift-cards")
		if page.Status != http.StatusOK || strings.Contains(page.Body, "<script>alert(1)") || !strings.Contains(page.Body, "<strong>gift card</strong>") {
			t.Fatalf("product page: %d, script kept or Markdown not rendered", page.Status)
		}
		// Duplicate slug: a field error.
		status, body = c.api("POST", "/api/v1/products/sales", owner, create)
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `"field":"slug"`) {
			t.Fatalf("duplicate: %d %s", status, body)
		}
		// Rename and publish; the old address keeps working.
		update := `{"slug":"gift-card-ledger","name":"Gift card ledger","team":"order-management","classification":"internal","status":"published",
			"output_ports":[{"name":"cards","format":"parquet","columns":[{"name":"card_id","type":"string"},{"name":"balance","type":"decimal"}]}]}`
		status, body = c.api("PUT", "/api/v1/products/sales/gift-cards", owner, update)
		if status != http.StatusOK || !strings.Contains(body, `"status":"published"`) {
			t.Fatalf("update: %d %s", status, body)
		}
		old := e.as(userEmail).get("/products/sales/gift-cards")
		if old.Status != http.StatusMovedPermanently || old.Location != "/products/sales/gift-card-ledger" {
			t.Fatalf("old address: %d -> %q", old.Status, old.Location)
		}
		apiOld := c.do("GET", "/api/v1/products/sales/gift-cards/contract", nil, http.Header{"Authorization": {"Bearer " + owner}})
		apiOld.Body.Close()
		if apiOld.StatusCode != http.StatusMovedPermanently || apiOld.Header.Get("Location") != "/api/v1/products/sales/gift-card-ledger/contract" {
			t.Fatalf("old API address: %d -> %q", apiOld.StatusCode, apiOld.Header.Get("Location"))
		}
		// Contract export is ODCS YAML.
		resp := c.do("GET", "/api/v1/products/sales/gift-card-ledger/contract", nil, http.Header{"Authorization": {"Bearer " + owner}})
		defer resp.Body.Close()
		var buf strings.Builder
		if _, err := io.Copy(&buf, resp.Body); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/yaml") ||
			!strings.Contains(buf.String(), "apiVersion: v3.1.0") || !strings.Contains(buf.String(), "balance") {
			t.Fatalf("contract: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), buf.String())
		}
		// What GET answers, PUT takes back unchanged.
		_, got := c.api("GET", "/api/v1/products/sales/gift-card-ledger", owner, "")
		status, body = c.api("PUT", "/api/v1/products/sales/gift-card-ledger", owner, got)
		if status != http.StatusOK {
			t.Fatalf("PUT of what GET answered: %d %s", status, body)
		}
		if _, again := c.api("GET", "/api/v1/products/sales/gift-card-ledger", owner, ""); !sameProduct(t, got, again) {
			t.Fatalf("GET -> PUT changed the product:\n%s\n%s", got, again)
		}
		// A member of another team cannot change it.
		status, _ = c.api("PUT", "/api/v1/products/sales/gift-card-ledger", e.token(analystMail), update)
		if status != http.StatusForbidden {
			t.Fatalf("outsider update: %d, want 403", status)
		}
	})
}

func TestAPIContractImportErrors(t *testing.T) {
	e := freshEnv(t)
	c := e.anon()
	owner := e.token(ownerEmail)
	cases := []struct {
		name, body string
		status     int
		want       string
	}{
		{"malformed", "apiVersion: v3.1.0\nkind: DataContract\nschema: [\n", http.StatusUnprocessableEntity, "line "},
		{"unknown domain", "apiVersion: v3.1.0\nkind: DataContract\nid: x\nversion: 1.0.0\nstatus: active\ndomain: nowhere\ndataProduct: x\n", http.StatusUnprocessableEntity, "nowhere"},
		{"empty", "   ", http.StatusBadRequest, "YAML"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := c.api("POST", "/api/v1/contracts", owner, tc.body)
			if status != tc.status || !strings.Contains(body, tc.want) {
				t.Fatalf("%d %s; want %d mentioning %q", status, body, tc.status, tc.want)
			}
		})
	}
	big := strings.Repeat("# padding\n", 120000)
	status, _ := c.api("POST", "/api/v1/contracts", owner, big)
	if status != http.StatusRequestEntityTooLarge {
		t.Fatalf("1.2 MB contract: %d, want 413", status)
	}
}

// sameProduct compares two product answers, ignoring when they were updated.
func sameProduct(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y map[string]any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatal(err)
	}
	delete(x, "updated_at")
	delete(y, "updated_at")
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}
