package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	// The tests run a plaza binary they build themselves, which go test's
	// cache cannot see; importing the server's code makes a change to it
	// invalidate cached e2e results.
	_ "plaza/handlers"
)

// binary is the plaza binary built once for the whole package.
var binary string

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	if chromiumPath() == "" {
		if os.Getenv("PLAZA_E2E_REQUIRED") != "" {
			fmt.Fprintln(os.Stderr, "e2e: PLAZA_E2E_REQUIRED is set but no chromium was found (apt-get install chromium)")
			return 1
		}
		// Tests skip themselves; no need to build.
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "plaza-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "plaza")
	build := exec.Command("go", "build", "-o", binary, "plaza/cmd/plaza")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build plaza:", err)
		return 1
	}
	return m.Run()
}

// chromiumPath finds Debian's chromium (or another Chrome) on this machine.
func chromiumPath() string {
	if p := os.Getenv("PLAZA_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// server is a running `plaza serve --demo` with its own data folder.
type server struct {
	URL  string
	Data string
	cmd  *exec.Cmd
}

// startServer starts plaza with the demo company on a free loopback port and
// stops it when the test ends.
func startServer(t *testing.T, env ...string) *server {
	t.Helper()
	if chromiumPath() == "" {
		t.Skip("no chromium found: install Debian's chromium to run the browser tests")
	}
	data := t.TempDir()
	cmd := exec.Command(binary, "serve", "--demo", "--addr", "127.0.0.1:0", "--data", data)
	cmd.Env = append(os.Environ(), env...)
	// The demo's lake (300 MB of landing files, 32 pipeline runs) is left
	// out: the browser tests build the data they need.
	cmd.Env = append(cmd.Env, "PLAZA_DATABASE_URL=", "PLAZA_BASE_URL=", "PLAZA_DEMO_DATA=off")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(data, "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{Data: data, cmd: cmd}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
		logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logFile.Name())
			t.Logf("server log:\n%s", b)
		}
	})
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
	case s.URL = <-urlc:
	case <-time.After(60 * time.Second):
		t.Fatal("plaza serve did not start within 60s")
	}
	return s
}

// newBrowser starts a headless chromium with a fresh profile for one test.
// It answers every confirm() with yes, as a person who means it would.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return ctx
}

// signIn signs the browser in as a demo persona through the sign-in page.
func signIn(t *testing.T, ctx context.Context, s *server, email string) {
	t.Helper()
	run(t, ctx,
		chromedp.Navigate(s.URL+"/signin"),
		chromedp.Click(sel("persona-"+email)),
		chromedp.WaitVisible(sel("current-user")),
	)
}

// sel selects the element with a data-testid.
func sel(testid string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + testid + `"]`) }

// stepTimeout bounds one group of browser steps, so a missing element fails
// the test instead of hanging it.
const stepTimeout = 30 * time.Second

// run runs browser steps and fails the test, saving a screenshot, on error.
func run(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		fail(t, ctx, err)
	}
}

// get runs one browser action that returns a value.
func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		fail(t, ctx, err)
	}
	return v
}

func fail(t *testing.T, ctx context.Context, err error) {
	t.Helper()
	shot := filepath.Join(os.TempDir(), "plaza-e2e-"+strings.ReplaceAll(t.Name(), "/", "_")+".png")
	if buf, serr := chromedp.Run(ctx, chromedp.FullScreenshot(100)); serr == nil {
		os.WriteFile(shot, buf, 0o644)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	t.Fatalf("browser at %s: %v (screenshot %s)", loc, err, shot)
}

// text returns the visible text of the element with a data-testid.
func text(t *testing.T, ctx context.Context, testid string) string {
	t.Helper()
	return strings.TrimSpace(get(t, ctx, chromedp.Text(sel(testid))))
}
