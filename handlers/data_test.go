package handlers

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"plaza/models"
)

// publishWalk publishes the walk product's daily port: order ids A1 and A2.
func publishWalk(t *testing.T, e *env) {
	t.Helper()
	publishCSV(t, e, ownerEmail, "sales/"+walkProduct, "daily", "order_id\nA1\nA2\n")
}

// TestProductDataFollowsAccess: the owning team previews and downloads a
// published port; an analyst without a grant is shown how to ask and
// refused the download; with a grant they get it, and after revocation they
// are refused again at once. Each download is audited with its grant.
func TestProductDataFollowsAccess(t *testing.T) {
	db := freshSQLite(t)
	e := serveStore(t, db, models.NewStore(db), withSandbox(t, 0))
	publishWalk(t, e)
	base := "/products/sales/" + walkProduct + "/ports/daily/"
	hannah, leo := e.as(memberEmail), e.as(userEmail)

	if p := hannah.get("/products/sales/" + walkProduct); !p.Has("download-csv-daily") || !p.Has("preview-daily") {
		t.Fatalf("the team's page lacks the data card")
	}
	if p := hannah.get(base + "preview"); !strings.Contains(p.Text("preview"), "A2") {
		t.Errorf("preview: %s", p.Body)
	}
	pq := hannah.get(base + "download?format=parquet")
	if pq.Status != http.StatusOK || !strings.HasPrefix(pq.Body, "PAR1") || pq.Type != "application/vnd.apache.parquet" {
		t.Errorf("parquet download: %d %s %.20q", pq.Status, pq.Type, pq.Body)
	}
	csv := hannah.get(base + "download?format=csv")
	if csv.Status != http.StatusOK || csv.Body != "order_id\nA1\nA2\n" || !strings.HasPrefix(csv.Type, "text/csv") {
		t.Errorf("csv download: %d %s %q", csv.Status, csv.Type, csv.Body)
	}
	if p := hannah.get(base + "download?format=xlsx"); p.Status != http.StatusUnprocessableEntity {
		t.Errorf("xlsx: %d", p.Status)
	}

	if p := leo.get("/products/sales/" + walkProduct); p.Has("download-csv-daily") {
		t.Errorf("Leo is offered a download without a grant")
	}
	if p := leo.get(base + "preview"); !strings.Contains(p.Text("preview-message"), "Request access") {
		t.Errorf("Leo's preview: %s", p.Body)
	}
	if p := leo.get(base + "download?format=csv"); p.Status != http.StatusForbidden {
		t.Errorf("Leo's download without a grant: %d", p.Status)
	}
	g := e.grantFor(t, userEmail, "sales/"+walkProduct)
	if p := leo.get(base + "download?format=csv"); p.Status != http.StatusOK {
		t.Errorf("Leo's download with a grant: %d", p.Status)
	}
	if _, err := e.Store.RevokeGrant(context.Background(), e.user(ownerEmail), g.ID, "Done."); err != nil {
		t.Fatal(err)
	}
	if p := leo.get(base + "download?format=csv"); p.Status != http.StatusForbidden {
		t.Errorf("Leo's download after revocation: %d", p.Status)
	}
	if n := e.count(&models.AuditEvent{}, "action = ? AND after LIKE ?", "product.download", `%"grant":`+idStr(g.ID)+`%`); n != 1 {
		t.Errorf("%d downloads audited with Leo's grant, want 1", n)
	}
}
