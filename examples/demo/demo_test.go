package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRoutes(t *testing.T) {
	srv := httptest.NewServer(routes())
	defer srv.Close()
	for _, tc := range []struct {
		path, want string
		code       int
	}{
		{"/healthz", "ok\n", 200},
		{"/burn?seconds=1", "burned 1s", 200},
		{"/", `"hostname"`, 200},
		{"/nope", "404", 404},
	} {
		t.Run(tc.path, func(t *testing.T) {
			code, body := get(t, srv.URL+tc.path)
			if code != tc.code || !strings.Contains(body, tc.want) {
				t.Errorf("GET %s = %d %q, want %d containing %q", tc.path, code, body, tc.code, tc.want)
			}
		})
	}
}

// TestImageOnEngine builds the demo image FROM scratch and runs it on the
// real engine: the image that `make run` and the examples depend on.
func TestImageOnEngine(t *testing.T) {
	requireDocker(t)
	ctx := context.Background()
	id := fmt.Sprintf("demo-test-%d", time.Now().UnixNano())
	tag := "orchestrator-demo-test:" + id
	dir := t.TempDir()
	run(t, exec.Command("go", "build", "-o", filepath.Join(dir, "demo"), "."), "CGO_ENABLED=0")
	run(t, exec.Command("docker", "build", "-q", "-t", tag, "-f", "Dockerfile", dir))
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", tag).Run() })

	out := run(t, exec.Command("docker", "run", "-d", "--label", "orchestrator.test="+id,
		"-e", "PORT=9090", "-p", "127.0.0.1::9090", tag))
	cid := strings.TrimSpace(out)
	t.Cleanup(func() { exec.Command("docker", "rm", "-f", cid).Run() })
	hostPort := strings.TrimSpace(run(t, exec.Command("docker", "port", cid, "9090/tcp")))
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

func requireDocker(t *testing.T) {
	t.Helper()
	if err := exec.Command("docker", "info").Run(); err != nil {
		if os.Getenv("ORCH_REQUIRE_DOCKER") == "1" {
			t.Fatalf("ORCH_REQUIRE_DOCKER=1 but no Docker engine is reachable: %v", err)
		}
		t.Skipf("no Docker engine reachable (%v); set ORCH_REQUIRE_DOCKER=1 to fail instead", err)
	}
}

func run(t *testing.T, cmd *exec.Cmd, env ...string) string {
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

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
