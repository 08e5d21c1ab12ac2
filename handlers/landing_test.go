package handlers

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"

	"plaza/lake"
	"plaza/models"
)

// sandboxChildEnv makes the test binary act as the sandbox's child.
const sandboxChildEnv = "PLAZA_SANDBOX_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(sandboxChildEnv) == "1" {
		lake.SandboxMain()
	}
	os.Exit(m.Run())
}

// withSandbox gives the server a sandbox whose children are this test binary.
func withSandbox(t *testing.T, maxUpload int64) func(*Options) {
	return func(o *Options) {
		o.Sandbox = lake.NewSandbox(lake.SandboxConfig{Pool: 1, ScratchDir: t.TempDir(), Command: func() *exec.Cmd {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = []string{sandboxChildEnv + "=1"}
			return cmd
		}})
		t.Cleanup(func() { o.Sandbox.Close() })
		o.MaxUpload = maxUpload
	}
}

// upload posts files as a multipart form, the CSRF token in the URL as the
// page's form does.
func (c *client) upload(path, folder string, files map[string]string) *page {
	c.t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if folder != "" {
		w.WriteField("folder", folder)
	}
	for name, content := range files {
		fw, err := w.CreateFormFile("file", name)
		if err != nil {
			c.t.Fatal(err)
		}
		fw.Write([]byte(content))
	}
	w.Close()
	return c.read(c.do("POST", path+"?_csrf="+url.QueryEscape(c.csrf), &body, http.Header{"Content-Type": {w.FormDataContentType()}}))
}

// TestLandingInTheBrowser: a domain's member uploads files, sees them
// listed with rows and columns read by the sandbox, previews one, and is
// told clearly when a file is too large, unreadable or misplaced; people
// outside the domain see nothing.
func TestLandingInTheBrowser(t *testing.T) {
	db := freshSQLite(t)
	e := serveStore(t, db, models.NewStore(db), withSandbox(t, 4096))
	hannah := e.as(memberEmail)
	csv := "order_id,store_id,amount,placed_at\nA1,ST001,19.99,2026-11-01 10:00:00\nA2,ST002,5.50,2026-11-01 11:30:00\n"
	p := hannah.upload("/landing/sales", "shop/orders", map[string]string{"orders-1.csv": csv})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", p.Status, p.Text("upload-error"))
	}
	if _, err := os.Stat(e.Srv.Lake.Dir + "/landing/sales/shop/orders/orders-1.csv"); err != nil {
		t.Fatalf("the file is not in the lake: %v", err)
	}
	list := hannah.get("/landing/sales")
	if !list.Has("file-shop/orders/orders-1.csv") {
		t.Fatalf("the list lacks the file: %q", list.Text("landing-files"))
	}
	stats := hannah.get("/landing/sales/stats?path=shop/orders/orders-1.csv")
	if !strings.Contains(stats.Body, "2 rows") || !strings.Contains(stats.Body, "order_id, store_id, amount, placed_at") {
		t.Errorf("stats: %s", stats.Body)
	}
	file := hannah.get("/landing/sales/file?path=shop/orders/orders-1.csv")
	if !strings.Contains(file.Text("file-rows"), "2 rows") || !strings.Contains(file.Text("file-schema"), "TIMESTAMP") ||
		!strings.Contains(file.Text("preview"), "ST002") {
		t.Errorf("file page: rows %q schema %q preview %q", file.Text("file-rows"), file.Text("file-schema"), file.Text("preview"))
	}

	big := strings.Repeat("x,y\n", 2000)
	if p := hannah.upload("/landing/sales", "", map[string]string{"big.csv": big}); p.Status != http.StatusRequestEntityTooLarge ||
		!strings.Contains(p.Text("upload-error"), "larger than the 4.0 KiB") {
		t.Errorf("too large: %d %q", p.Status, p.Text("upload-error"))
	}
	if p := hannah.upload("/landing/sales", "", map[string]string{"notes.docx": "hi"}); p.Status != http.StatusUnprocessableEntity {
		t.Errorf("a .docx: %d", p.Status)
	}
	if p := hannah.upload("/landing/sales", "../customer", map[string]string{"x.csv": "a\n1\n"}); p.Status != http.StatusUnprocessableEntity {
		t.Errorf("a folder outside the domain: %d", p.Status)
	}
	if _, err := os.Stat(e.Srv.Lake.Dir + "/landing/customer/x.csv"); err == nil {
		t.Errorf("the upload escaped the domain's folder")
	}
	broken := hannah.upload("/landing/sales", "", map[string]string{"broken.json": "{not json"})
	if broken.Status != http.StatusSeeOther {
		t.Fatalf("broken upload: %d", broken.Status)
	}
	if p := hannah.get("/landing/sales/file?path=broken.json"); !strings.Contains(p.Text("file-error"), "DuckDB could not read it") {
		t.Errorf("unreadable file: %q", p.Text("file-error"))
	}

	leo := e.as(userEmail)
	if p := leo.get("/landing/sales"); p.Status != http.StatusForbidden {
		t.Errorf("outsider: %d", p.Status)
	}
	if p := leo.upload("/landing/sales", "", map[string]string{"a.csv": "a\n1\n"}); p.Status != http.StatusForbidden {
		t.Errorf("outsider upload: %d", p.Status)
	}
	if p := hannah.post("/landing/sales/remove", f("path", "shop/orders/orders-1.csv")); p.Status != http.StatusSeeOther {
		t.Errorf("remove: %d", p.Status)
	}
	if n := e.count(&models.AuditEvent{}, "action LIKE ?", "landing.%"); n != 3 {
		t.Errorf("%d landing audit events, want 2 uploads and 1 removal", n)
	}
}
