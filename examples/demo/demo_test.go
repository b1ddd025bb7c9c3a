package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// newTestServer serves the routes of a server configured as cfg.
func newTestServer(t *testing.T, cfg config) (*server, *httptest.Server) {
	t.Helper()
	s, err := newServer(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("newServer(%+v): %v", cfg, err)
	}
	srv := httptest.NewServer(s.routes())
	t.Cleanup(srv.Close)
	return s, srv
}

func TestRoutes(t *testing.T) {
	_, srv := newTestServer(t, config{name: "web"})
	for _, tc := range []struct {
		method, path, want string
		code               int
	}{
		{"GET", "/healthz", "ok\n", 200},
		{"GET", "/burn?seconds=1", "burned 1s", 200},
		{"GET", "/", `"hostname"`, 200},
		{"GET", "/", `"name":"web"`, 200},
		{"GET", "/chain", `"name":"web"`, 200},
		{"GET", "/nope", "404", 404},
		{"POST", "/healthz", "Method Not Allowed", 405},
		{"GET", "/sick", "Method Not Allowed", 405},
		// Without DATA_DIR there is no store, so its routes do not exist.
		{"GET", "/kv/", "404", 404},
		{"GET", "/kv/a", "404", 404},
		{"PUT", "/kv/a", "404", 404},
		{"GET", "/kv-starts", "404", 404},
	} {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			code, body := do(t, tc.method, srv.URL+tc.path, "")
			if code != tc.code || !strings.Contains(body, tc.want) {
				t.Errorf("%s %s = %d %q, want %d containing %q", tc.method, tc.path, code, body, tc.code, tc.want)
			}
		})
	}
}

// TestHealthSwitch flips /healthz as a test of the engine's healthcheck will.
func TestHealthSwitch(t *testing.T) {
	_, srv := newTestServer(t, config{})
	for i, step := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/healthz", 200},
		{"POST", "/sick", 200},
		{"GET", "/healthz", 503},
		{"POST", "/sick", 200}, // idempotent
		{"GET", "/healthz", 503},
		{"POST", "/well", 200},
		{"GET", "/healthz", 200},
	} {
		if code, body := do(t, step.method, srv.URL+step.path, ""); code != step.code {
			t.Fatalf("step %d: %s %s = %d %q, want %d", i, step.method, step.path, code, body, step.code)
		}
	}
}

// A server started with SICK fails /healthz until POST /well: a version
// that never passes its healthcheck.
func TestStartSick(t *testing.T) {
	_, srv := newTestServer(t, config{sick: true})
	for i, step := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/healthz", 503},
		{"POST", "/well", 200},
		{"GET", "/healthz", 200},
	} {
		if code, body := do(t, step.method, srv.URL+step.path, ""); code != step.code {
			t.Fatalf("step %d: %s %s = %d %q, want %d", i, step.method, step.path, code, body, step.code)
		}
	}
}

// TestImageOnEngine builds the demo image FROM scratch and runs it on the
// real engine: the image that `make run` and the examples depend on.
func TestImageOnEngine(t *testing.T) {
	requireDocker(t)
	ctx := context.Background()
	id := fmt.Sprintf("demo-test-%d", time.Now().UnixNano())
	tag := buildImage(t, id)

	out := runCmd(t, exec.Command("docker", "run", "-d", "--label", "orchestrator.test="+id,
		"-e", "PORT=9090", "-p", "127.0.0.1::9090", tag))
	cid := strings.TrimSpace(out)
	t.Cleanup(func() { exec.Command("docker", "rm", "-f", cid).Run() })
	hostPort := strings.TrimSpace(runCmd(t, exec.Command("docker", "port", cid, "9090/tcp")))
	hostPort = strings.Split(hostPort, "\n")[0]

	deadline, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(deadline, "GET", "http://"+hostPort+"/healthz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && string(body) == "ok\n" {
				return
			}
		}
		select {
		case <-deadline.Done():
			t.Fatalf("demo container %s never answered /healthz on %s: %v", cid, hostPort, err)
		case <-time.After(100 * time.Millisecond): // poll interval, not a synchronising sleep
		}
	}
}

// buildImage builds the static binary and the demo image FROM scratch
// around it, as the Makefile's demo-image target does, tagged for test id.
func buildImage(t *testing.T, id string) string {
	t.Helper()
	tag := "orchestrator-demo-test:" + id
	dir := t.TempDir()
	runCmd(t, exec.Command("go", "build", "-o", filepath.Join(dir, "demo"), "."), "CGO_ENABLED=0")
	runCmd(t, exec.Command("docker", "build", "-q", "-t", tag, "-f", "Dockerfile", dir))
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", tag).Run() })
	return tag
}

func requireDocker(t *testing.T) {
	t.Helper()
	if err := exec.Command("docker", "info").Run(); err != nil {
		if os.Getenv("ORCH_REQUIRE_DOCKER") == "1" {
			t.Fatalf("ORCH_REQUIRE_DOCKER=1 but no Docker engine is reachable: %v", err)
		}
		t.Skipf("no Docker engine reachable (%v); set ORCH_REQUIRE_DOCKER=1 to fail instead", err)
	}
}

func runCmd(t *testing.T, cmd *exec.Cmd, env ...string) string {
	t.Helper()
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, stderr)
	}
	return string(out)
}

// do sends one request with body and returns the status and answer.
func do(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read answer: %v", method, url, err)
	}
	return resp.StatusCode, string(b)
}
