package handlers

import (
	"context"
	"encoding/csv"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestDashboards walks the boards over the demo company and its history,
// rolled up, on each database: filters from the URL, messages for unknown
// ones, CSV exports of the tables as shown, and who sees people and the
// platform.
func TestDashboards(t *testing.T) {
	eachDB(t, func(t *testing.T, e *env) {
		if _, err := e.Store.RollupStats(context.Background()); err != nil {
			t.Fatal(err)
		}
		admin, owner, leo := e.as(adminEmail), e.as(ownerEmail), e.as(userEmail)

		if p := owner.get("/dashboards"); p.Status != http.StatusSeeOther || p.Location != "/dashboards/mine" {
			t.Errorf("an owner's /dashboards: %d -> %q", p.Status, p.Location)
		}
		if p := leo.get("/dashboards"); p.Status != http.StatusSeeOther || p.Location != "/dashboards/ownership" {
			t.Errorf("a consumer's /dashboards: %d -> %q", p.Status, p.Location)
		}
		mine := owner.get("/dashboards/mine")
		if mine.Status != http.StatusOK || !strings.Contains(mine.Text("table-mine"), "Orders") || mine.Has("dash-filters") {
			t.Errorf("my products: %d, table %q", mine.Status, mine.Text("table-mine"))
		}

		q := admin.get("/dashboards/quality")
		if q.Status != http.StatusOK || q.Text("dash-stat-Checks passed") == "–" || !strings.Contains(q.Text("table-scopes"), "Supply Chain") ||
			!q.Has("chart-rates") || q.Doc.Find(`[data-testid="chart-rates"] svg polyline`).Length() == 0 {
			t.Fatalf("quality board: %d, checks %q, per domain %q", q.Status, q.Text("dash-stat-Checks passed"), q.Text("table-scopes"))
		}
		narrow := admin.get("/dashboards/quality?domain=sales&team=order-management&range=7")
		if v, _ := narrow.Doc.Find(`[data-testid="filter-domain"] option[selected]`).Attr("value"); v != "sales" {
			t.Errorf("the domain filter shows %q", v)
		}
		if v, _ := narrow.Doc.Find(`[data-testid="filter-range"] option[selected]`).Attr("value"); v != "7" {
			t.Errorf("the range filter shows %q", v)
		}
		if scopes := narrow.Text("table-scopes"); !strings.Contains(scopes, "Quality per team") || !strings.Contains(scopes, "Order Management") ||
			strings.Contains(scopes, "Sales Analytics") {
			t.Errorf("the team's quality: %q", scopes)
		}
		for path, want := range map[string]string{
			"/dashboards/quality?domain=atlantis":          `There is no domain "atlantis"`,
			"/dashboards/quality?domain=sales&team=nobody": `There is no team "nobody" in Sales`,
			"/dashboards/usage?range=12":                   "The range must be 7, 30 or 90 days",
		} {
			if p := admin.get(path); p.Status != http.StatusOK || !strings.Contains(p.Text("dash-filter-error"), want) {
				t.Errorf("%s: %d %q, want %q", path, p.Status, p.Text("dash-filter-error"), want)
			}
		}

		resp := admin.do("GET", "/dashboards/usage?domain=supply-chain&export=top-products", nil, nil)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		records, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
		if err != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") ||
			len(records) < 2 || strings.Join(records[0], ",") != "Product,Team,Queries" || strings.ContainsAny(records[1][2], ", ") {
			t.Errorf("export: %d %q %v\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), err, body)
		}
		if p := admin.get("/dashboards/usage?export=nothing"); p.Status != http.StatusNotFound {
			t.Errorf("an unknown table's export: %d", p.Status)
		}

		// People are named for admins and the domain's stewards only.
		if u := admin.get("/dashboards/usage"); !u.Has("table-top-consumers") || !u.Has("table-top-products") {
			t.Errorf("the admin's usage board lacks consumers or products")
		}
		u := leo.get("/dashboards/usage")
		if u.Status != http.StatusOK || u.Has("table-top-consumers") || strings.Contains(u.Text("dash-tabs"), "Platform") {
			t.Errorf("a consumer's usage board: %d, names shown %v, tabs %q", u.Status, u.Has("table-top-consumers"), u.Text("dash-tabs"))
		}
		grace := e.as(graceEmail)
		if !grace.get("/dashboards/usage?domain=customer").Has("table-top-consumers") || grace.get("/dashboards/usage").Has("table-top-consumers") {
			t.Errorf("the customer steward sees names outside her domain, or not inside it")
		}
		if own := leo.get("/dashboards/ownership").Text("table-pending"); !strings.Contains(own, "hidden") || strings.Contains(own, "Maya Johnson") {
			t.Errorf("a consumer sees who waits for access: %q", own)
		}
		if p := leo.get("/dashboards/platform"); p.Status != http.StatusForbidden {
			t.Errorf("a consumer's platform board: %d", p.Status)
		}
		if p := admin.get("/dashboards/platform"); p.Status != http.StatusOK || !p.Has("table-slowest") {
			t.Errorf("the platform board: %d", p.Status)
		}
	})
}
