package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestImageThreeTiers runs the image as the three-tier example will, on the
// real engine: web calls api by its network alias, api calls kv, and kv keeps
// its data in a named volume and is probed by a HEALTHCHECK in exec form
// (the image has no shell). It checks what the orchestrator's tests will
// check from outside, so that a failure there is not the demo's.
func TestImageThreeTiers(t *testing.T) {
	requireDocker(t)
	id := fmt.Sprintf("demo-3t-%d", time.Now().UnixNano())
	tag := buildImage(t, id)
	label := "orchestrator.test=" + id

	// The healthcheck is added by a derived image because `docker run
	// --health-cmd` always means CMD-SHELL, and there is no shell.
	dir := t.TempDir()
	dockerfile := "FROM " + tag + "\n" +
		`HEALTHCHECK --interval=1s --timeout=3s --retries=1 CMD ["/demo", "-check", "http://127.0.0.1:9000/healthz"]` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	kvTag := tag + "-kv"
	docker(t, "build", "-q", "-t", kvTag, dir)
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", kvTag).Run() })

	// Cleanups run last-registered first: containers go before these.
	docker(t, "network", "create", "--label", label, id)
	t.Cleanup(func() { exec.Command("docker", "network", "rm", id).Run() })
	docker(t, "volume", "create", "--label", label, id)
	t.Cleanup(func() { exec.Command("docker", "volume", "rm", "-f", id).Run() })

	start := func(alias string, args ...string) string {
		t.Helper()
		base := []string{"run", "-d", "--label", label, "--network", id, "--network-alias", alias}
		cid := strings.TrimSpace(docker(t, append(base, args...)...))
		t.Cleanup(func() { exec.Command("docker", "rm", "-f", cid).Run() })
		return cid
	}
	// kv: PORT says 7777 but the command wins, and the healthcheck probes
	// 9000, so "healthy" also proves that -port overrode $PORT.
	startKV := func() (cid, url string) {
		cid = start("kv", "-v", id+":/data", "-e", "DATA_DIR=/data", "-e", "PORT=7777",
			"-p", "127.0.0.1::9000", kvTag, "-name", "kv", "-port", "9000")
		return cid, "http://" + hostPort(t, cid, "9000")
	}
	kv, kvURL := startKV()
	api := start("api", "-e", "NAME=api", "-e", "UPSTREAM=http://kv:9000", tag)
	web := start("web", "-e", "UPSTREAM=http://api:8080/", "-p", "127.0.0.1::8080", tag, "-name", "web")
	webURL := "http://" + hostPort(t, web, "8080")

	wantChain := func(kv string) map[string]any {
		return map[string]any{"hostname": web[:12], "name": "web", "upstream": map[string]any{
			"hostname": api[:12], "name": "api", "upstream": map[string]any{
				"hostname": kv[:12], "name": "kv"}}}
	}
	checkChain := func(kv string) {
		t.Helper()
		var got map[string]any
		eventually(t, "web /chain answers 200", func() (bool, string) {
			code, body, err := tryDo("GET", webURL+"/chain", "")
			if err != nil || code != 200 {
				return false, fmt.Sprintf("%d %s %v", code, body, err)
			}
			got = nil
			return json.Unmarshal([]byte(body), &got) == nil, body
		})
		if diff := cmp.Diff(wantChain(kv), got); diff != "" {
			t.Errorf("web /chain (-want +got):\n%s", diff)
		}
	}
	checkChain(kv)

	health := func(status string) {
		t.Helper()
		eventually(t, "kv health is "+status, func() (bool, string) {
			got := strings.TrimSpace(docker(t, "inspect", "-f", "{{.State.Health.Status}}", kv))
			return got == status, got
		})
	}
	health("healthy")
	mustDo(t, "POST", kvURL+"/sick", "", 200)
	health("unhealthy")
	if log := docker(t, "inspect", "-f", "{{range .State.Health.Log}}{{.ExitCode}} {{.Output}}{{end}}", kv); !strings.Contains(log, "1 demo -check: unhealthy: GET http://127.0.0.1:9000/healthz answered 503") {
		t.Errorf("kv health log does not show the failed probe:\n%s", log)
	}
	mustDo(t, "POST", kvURL+"/well", "", 200)
	health("healthy")

	mustDo(t, "PUT", kvURL+"/kv/greeting", "hello", 204)
	if got := mustDo(t, "GET", kvURL+"/kv-starts", "", 200); got != "1\n" {
		t.Errorf("first kv: /kv-starts = %q, want %q", got, "1\n")
	}

	// Replace kv, as a spec change would: the new container gets the same
	// volume and alias, sees the data, and api finds it by name again.
	docker(t, "rm", "-f", kv)
	kv, kvURL = startKV()
	eventually(t, "new kv answers", func() (bool, string) {
		code, body, err := tryDo("GET", kvURL+"/kv-starts", "")
		return err == nil && code == 200, fmt.Sprintf("%d %q %v", code, body, err)
	})
	if got := mustDo(t, "GET", kvURL+"/kv-starts", "", 200); got != "2\n" {
		t.Errorf("replacement kv: /kv-starts = %q, want %q", got, "2\n")
	}
	if got := mustDo(t, "GET", kvURL+"/kv/greeting", "", 200); got != "hello" {
		t.Errorf("replacement kv: /kv/greeting = %q, want %q", got, "hello")
	}
	checkChain(kv)
}

func docker(t *testing.T, args ...string) string {
	t.Helper()
	return runCmd(t, exec.Command("docker", args...))
}

// hostPort is where the engine published the container's port on 127.0.0.1.
func hostPort(t *testing.T, cid, port string) string {
	t.Helper()
	out := strings.TrimSpace(docker(t, "port", cid, port+"/tcp"))
	return strings.Split(out, "\n")[0]
}

// eventually polls cond until it holds: containers start and healthchecks
// run on the engine's clock, which a test can only watch.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s; last: %s", what, last)
		}
		time.Sleep(100 * time.Millisecond) // poll interval, not a synchronising sleep
	}
}

// tryDo is do for polling: a refused connection is an answer, not a failure.
func tryDo(method, url, body string) (int, string, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func mustDo(t *testing.T, method, url, body string, wantCode int) string {
	t.Helper()
	code, got := do(t, method, url, body)
	if code != wantCode {
		t.Fatalf("%s %s = %d %q, want %d", method, url, code, got, wantCode)
	}
	return got
}
