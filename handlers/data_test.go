package handlers

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"plaza/lake"
	"plaza/models"
)

// publishWalk builds and publishes the walk product's daily port from a
// landing file the way a run does (sandbox, staging, rename, commit),
// without River.
func publishWalk(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	owner := e.user(ownerEmail)
	p := e.productAt(t, "sales/"+walkProduct)
	if _, err := e.Srv.Lake.SaveLanding("sales", "walk/orders.csv", strings.NewReader("order_id\nA1\nA2\n"), 1<<20); err != nil {
		t.Fatal(err)
	}
	pl, err := e.Store.SavePipeline(ctx, owner, p, models.PipelineSpec{Port: "daily", SQL: "SELECT order_id FROM orders",
		Inputs: []models.PipelineInputSpec{{Name: "orders", Landing: "walk/*.csv"}}})
	if err != nil {
		t.Fatal(err)
	}
	run, err := e.Store.EnqueueRun(ctx, owner, pl, models.RunRequest{Trigger: models.TriggerManual})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Store.StartRun(ctx, run.ID); err != nil {
		t.Fatal(err)
	}
	files, err := e.Srv.Lake.ResolveLanding("sales", "walk/*.csv")
	if err != nil {
		t.Fatal(err)
	}
	staging, err := e.Srv.Lake.StagingDir("run-test")
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Srv.Opts.Sandbox.Materialize(ctx, []lake.Input{{Name: "orders", Paths: files}}, pl.SQL,
		filepath.Join(staging, "data.parquet"), lake.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	name := lake.SnapshotName(e.Store.Now(), run.ID)
	if _, err := e.Srv.Lake.Publish(staging, "sales", walkProduct, "daily", name); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.FinishRun(ctx, run, models.RunOutcome{Status: models.RunSucceeded, Rows: res.RowCount, Bytes: res.Bytes,
		Snapshot: &models.Snapshot{Name: name, Rows: res.RowCount, Bytes: res.Bytes}}); err != nil {
		t.Fatal(err)
	}
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
