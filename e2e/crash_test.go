package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// crashServer is a plaza serve (no demo) on a data folder that outlives it.
type crashServer struct {
	t    *testing.T
	data string
	url  string
	cmd  *exec.Cmd
	log  *os.File
}

const crashAdmin = "ops@example.com"

func (s *crashServer) start() {
	t := s.t
	t.Helper()
	cmd := exec.Command(binary, "serve", "--addr", "127.0.0.1:0", "--data", s.data)
	cmd.Env = append(os.Environ(), "PLAZA_DATABASE_URL=", "PLAZA_BASE_URL=", "PLAZA_ADMIN_EMAILS="+crashAdmin)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if s.log, err = os.OpenFile(filepath.Join(s.data, "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640); err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = s.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.cmd = cmd
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, after, ok := strings.Cut(sc.Text(), " is running at "); ok {
				urlc <- strings.TrimSpace(after)
				break
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	select {
	case s.url = <-urlc:
	case <-time.After(60 * time.Second):
		t.Fatal("plaza serve did not start within 60s")
	}
}

// kill ends the server the hard way: no shutdown, no cleanup.
func (s *crashServer) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Wait()
	s.log.Close()
}

func (s *crashServer) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
	}
	s.log.Close()
}

func (s *crashServer) token() string {
	s.t.Helper()
	cmd := exec.Command(binary, "token", "create", "--data", s.data, "--email", crashAdmin)
	cmd.Env = append(os.Environ(), "PLAZA_DATABASE_URL=", "PLAZA_ADMIN_EMAILS="+crashAdmin)
	out, err := cmd.Output()
	if err != nil {
		s.t.Fatalf("token create: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// api calls the JSON API and decodes the answer into out (when not nil).
func (s *crashServer) api(token, method, path, contentType string, body io.Reader, want int, out any) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		s.t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

type runJSON struct {
	ID         uint   `json:"id"`
	Status     string `json:"status"`
	Attempt    int    `json:"attempt"`
	Error      string `json:"error"`
	SnapshotID *uint  `json:"snapshot_id"`
	Log        string `json:"log"`
}

func (s *crashServer) waitRun(token string, id uint, until func(runJSON) bool, within time.Duration) runJSON {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for {
		var r runJSON
		s.api(token, "GET", fmt.Sprintf("/api/v1/runs/%d", id), "", nil, http.StatusOK, &r)
		if until(r) {
			return r
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(s.data, "server.log"))
			s.t.Fatalf("run %d is %s after %s; log:\n%s\nserver log:\n%s", id, r.Status, within, r.Log, b)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestKilledServerLosesNoRun kills plaza with SIGKILL in the middle of a
// pipeline run. After a restart the run is taken back and run again, its
// staging is cleaned, the snapshot published before stays current and
// readable until the retry publishes, and the run publishes exactly once.
func TestKilledServerLosesNoRun(t *testing.T) {
	if binary == "" {
		t.Skip("no plaza binary: chromium is missing, so the e2e package did not build one")
	}
	s := &crashServer{t: t, data: t.TempDir()}
	s.start()
	token := s.token()
	post := func(path, body string, want int, out any) {
		t.Helper()
		s.api(token, "POST", path, "application/json", strings.NewReader(body), want, out)
	}
	post("/api/v1/domains", `{"slug":"shop","name":"Shop"}`, http.StatusCreated, nil)
	post("/api/v1/domains/shop/teams", `{"slug":"web","name":"Web"}`, http.StatusCreated, nil)
	// The admin owns the team too, so the product's data is theirs to read.
	s.api(token, "PUT", "/api/v1/domains/shop/teams/web/members/"+crashAdmin, "application/json", strings.NewReader(`{"role":"owner"}`), http.StatusOK, nil)
	post("/api/v1/products/shop", `{"slug":"orders","name":"Orders","team":"web","classification":"internal",
		"output_ports":[{"slug":"daily","name":"Daily","format":"parquet","columns":[{"name":"order_id","type":"string"}]}]}`, http.StatusCreated, nil)
	upload := func(path, content string) {
		s.api(token, "POST", "/api/v1/landing/shop?path="+path, "text/csv", strings.NewReader(content), http.StatusCreated, nil)
	}
	upload("web/orders.csv", "order_id\nA1\nA2\nA3\n")
	// The knob makes the SQL slow while it says so: billions of rows to sum.
	upload("web/knob.csv", "n\n1\n")
	s.api(token, "PUT", "/api/v1/products/shop/orders/pipelines/daily", "application/json", strings.NewReader(`{
		"port":"daily","timeout_seconds":600,
		"sql":"SELECT order_id FROM orders WHERE (SELECT sum(i % 7) FROM range((SELECT max(n) FROM knob)::BIGINT) t(i)) >= 0",
		"inputs":[{"name":"orders","landing":"web/orders.csv"},{"name":"knob","landing":"web/knob.csv"}]}`), http.StatusCreated, nil)
	var pipelines struct {
		Pipelines []struct {
			ID uint `json:"id"`
		} `json:"pipelines"`
	}
	s.api(token, "GET", "/api/v1/pipelines", "", nil, http.StatusOK, &pipelines)
	if len(pipelines.Pipelines) != 1 {
		t.Fatalf("pipelines: %+v", pipelines)
	}
	runPath := fmt.Sprintf("/api/v1/pipelines/%d/runs", pipelines.Pipelines[0].ID)

	var first runJSON
	post(runPath, `{}`, http.StatusAccepted, &first)
	first = s.waitRun(token, first.ID, func(r runJSON) bool { return r.Status == "succeeded" }, 60*time.Second)

	// A slow run, killed while it works.
	upload("web/knob.csv", "n\n20000000000\n")
	var slow runJSON
	post(runPath, `{}`, http.StatusAccepted, &slow)
	s.waitRun(token, slow.ID, func(r runJSON) bool { return r.Status == "running" && strings.Contains(r.Log, "Running the SQL") }, 60*time.Second)
	s.kill()
	staging := filepath.Join(s.data, "lake", "_staging", fmt.Sprintf("run-%d", slow.ID))
	if _, err := os.Stat(staging); err != nil {
		t.Fatalf("the killed run left no staging folder to clean: %v", err)
	}
	// Make the retry quick, as an owner fixing the knob would, then restart.
	if err := os.WriteFile(filepath.Join(s.data, "lake", "landing", "shop", "web", "knob.csv"), []byte("n\n1\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	s.start()
	defer s.stop()

	// Until the retry publishes, the first snapshot stays current and readable.
	var snaps struct {
		Snapshots []struct {
			Name    string `json:"name"`
			Current bool   `json:"current"`
		} `json:"snapshots"`
	}
	s.api(token, "GET", "/api/v1/products/shop/orders/snapshots", "", nil, http.StatusOK, &snaps)
	if len(snaps.Snapshots) != 1 || !snaps.Snapshots[0].Current {
		t.Fatalf("snapshots after the kill: %+v", snaps)
	}
	s.api(token, "GET", "/api/v1/products/shop/orders/ports/daily/download?format=csv", "", nil, http.StatusOK, nil)

	// Recovery takes 30 s of silence; should the kill also have caught the
	// schedule tick mid-way, River rescues that tick at its 2-minute timeout.
	done := s.waitRun(token, slow.ID, func(r runJSON) bool { return r.Status != "running" && r.Status != "queued" }, 240*time.Second)
	if done.Status != "succeeded" || done.Attempt < 2 || !strings.Contains(done.Log, "The worker running this attempt stopped") {
		t.Fatalf("after the restart: %s attempt %d %q\n%s", done.Status, done.Attempt, done.Error, done.Log)
	}
	if _, err := os.Stat(staging); !os.IsNotExist(err) {
		t.Errorf("the staging folder of the killed attempt is still there: %v", err)
	}
	s.api(token, "GET", "/api/v1/products/shop/orders/snapshots", "", nil, http.StatusOK, &snaps)
	current := 0
	for _, sn := range snaps.Snapshots {
		if sn.Current {
			current++
		}
	}
	if len(snaps.Snapshots) != 2 || current != 1 || !snaps.Snapshots[0].Current {
		t.Errorf("snapshots after the retry: %+v (want the first and exactly one new, current)", snaps.Snapshots)
	}
	if n := strings.Count(done.Log, "Published snapshot"); n != 1 {
		t.Errorf("the run published %d times:\n%s", n, done.Log)
	}
}
