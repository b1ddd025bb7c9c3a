package main

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// TestImage builds the orchestrator's own image as `make image` does (it
// runs make image, with a tag of its own), and checks what it holds, what
// `orchestrator version` says in it, and that serve in it reconciles the
// host's engine through the mounted socket.
func TestImage(t *testing.T) {
	rt.RequireDocker(t)
	mk, err := exec.LookPath("make")
	if err != nil {
		if os.Getenv("ORCH_REQUIRE_DOCKER") == "1" {
			t.Fatalf("ORCH_REQUIRE_DOCKER=1 and no make: %v", err)
		}
		t.Skipf("no make: %v", err)
	}
	id := rt.UniqueID(t)
	tag := "orchestrator-imagetest:" + id
	ver := "v0.0.0-imagetest-" + id // proves this build's stamp, not an older image's
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	build := exec.Command(mk, "-C", root, "image", "IMAGE_TAG="+tag, "VERSION="+ver)
	out, err := build.CombinedOutput()
	t.Cleanup(func() { exec.Command("docker", "rmi", tag).Run() }) // only our tag; nothing else has it
	if err != nil {
		t.Fatalf("make image: %v\n%s", err, out)
	}
	t.Logf("make image: %s", time.Since(start).Round(time.Millisecond))

	// What the Makefile stamps besides VERSION: the commit git names (or
	// "unknown"), and the Go toolchain that make ran.
	wantCommit := "unknown"
	if c, err := exec.Command("git", "-C", root, "rev-parse", "--short", "HEAD").Output(); err == nil {
		wantCommit = strings.TrimSpace(string(c))
	}
	goVer, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		t.Fatalf("go env GOVERSION: %v", err)
	}
	wantGo := strings.TrimSpace(string(goVer))
	arch := strings.TrimSpace(rt.Docker(t, "image", "inspect", "-f", "{{.Architecture}}", tag))

	t.Run("version", func(t *testing.T) {
		got := rt.Docker(t, "run", "--rm", tag, "version")
		want := fmt.Sprintf("orchestrator %s (commit %s, %s, linux/%s)", ver, wantCommit, wantGo, arch)
		if got != want {
			t.Errorf("docker run %s version:\n got %q\nwant %q", tag, got, want)
		}
		if got := rt.Docker(t, "run", "--rm", tag, "--version"); got != want {
			t.Errorf("docker run %s --version = %q, want %q", tag, got, want)
		}
		var b buildInfo
		if err := json.Unmarshal([]byte(rt.Docker(t, "run", "--rm", tag, "version", "-o", "json")), &b); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(buildInfo{ver, wantCommit, wantGo, "linux/" + arch}, b); diff != "" {
			t.Errorf("version -o json (-want +got):\n%s", diff)
		}
	})

	t.Run("labels, entrypoint and command", func(t *testing.T) {
		var cfg struct {
			Labels     map[string]string
			Entrypoint []string
			Cmd        []string
			User       string
		}
		if err := json.Unmarshal([]byte(rt.Docker(t, "image", "inspect", "-f", "{{json .Config}}", tag)), &cfg); err != nil {
			t.Fatal(err)
		}
		for k, v := range map[string]string{
			"org.opencontainers.image.version":  ver,
			"org.opencontainers.image.revision": wantCommit,
			"org.opencontainers.image.source":   "https://github.com/orchestrator/orchestrator",
		} {
			if cfg.Labels[k] != v {
				t.Errorf("label %s = %q, want %q", k, cfg.Labels[k], v)
			}
		}
		if want := []string{"/orchestrator"}; !slices.Equal(cfg.Entrypoint, want) {
			t.Errorf("entrypoint %q, want %q", cfg.Entrypoint, want)
		}
		if want := []string{"serve", "--dir", "/var/lib/orchestrator/state", "--addr", "0.0.0.0:8000"}; !slices.Equal(cfg.Cmd, want) {
			t.Errorf("cmd %q, want %q", cfg.Cmd, want)
		}
		// The default command refuses to expose the API without a token.
		c := exec.Command("docker", "run", "--rm", tag)
		out, err := c.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "without a token") {
			t.Errorf("docker run %s without a token: %v, %s; want a refusal", tag, err, out)
		}
	})

	t.Run("contents", func(t *testing.T) {
		// The files of the image: a container's, without what the runtime
		// adds to every container.
		cid := rt.Docker(t, "create", tag)
		defer exec.Command("docker", "rm", cid).Run()
		export := exec.Command("docker", "export", cid)
		stdout, err := export.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := export.Start(); err != nil {
			t.Fatal(err)
		}
		runtimeFiles := []string{".dockerenv", "etc/hostname", "etc/hosts", "etc/mtab", "etc/resolv.conf", "proc/", "sys/"}
		var got []string
		tr := tar.NewReader(stdout)
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("docker export: %v", err)
			}
			if slices.Contains(runtimeFiles, h.Name) || strings.HasPrefix(h.Name, "dev/") {
				continue
			}
			got = append(got, fmt.Sprintf("%v %s", h.FileInfo().Mode(), h.Name))
		}
		if err := export.Wait(); err != nil {
			t.Fatalf("docker export: %v", err)
		}
		want := []string{"drwxr-xr-x etc/", "drwxr-xr-x etc/ssl/", "drwxr-xr-x etc/ssl/certs/"}
		if _, err := os.Stat("/etc/ssl/certs/ca-certificates.crt"); err == nil {
			want = append(want, "-rw-r--r-- etc/ssl/certs/ca-certificates.crt")
		}
		want = append(want, "-rwxr-xr-x orchestrator", "dtrwxrwxrwx tmp/") // t: sticky, as /tmp is
		slices.Sort(want)
		slices.Sort(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("files of the image (-want +got):\n%s", diff)
		}
	})

	t.Run("serve in the image reconciles the host engine", func(t *testing.T) {
		sock := "/var/run/docker.sock"
		if h := os.Getenv("DOCKER_HOST"); h != "" {
			if !strings.HasPrefix(h, "unix://") {
				t.Skipf("DOCKER_HOST=%s: the image test mounts a local engine socket", h)
			}
			sock = strings.TrimPrefix(h, "unix://")
		}
		image := rt.BuildTestImage(t)
		instance := rt.UniqueID(t)
		rt.CleanupInstance(t, instance)
		// The state directory at the same path inside as outside, as the
		// stack file and the systemd unit have it.
		dir := t.TempDir()
		spec := "image: " + image + "\nmin_replicas: 2\nresources: {cpu: 100m, memory: 32m}\n"
		if err := os.WriteFile(filepath.Join(dir, "app.yaml"), []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
		// The token as the stack file passes it: a secret's file.
		const token = "image-test-token"
		secret := filepath.Join(t.TempDir(), "orchestrator_token")
		if err := os.WriteFile(secret, []byte(token+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		name := "orchestrator-imagetest-" + instance
		cid := rt.Docker(t, "run", "-d", "--name", name, "-v", secret+":/run/secrets/orchestrator_token:ro",
			"-v", sock+":/var/run/docker.sock", "-v", dir+":"+dir, "-p", "127.0.0.1::8000",
			tag, "serve", "--dir", dir, "--addr", "0.0.0.0:8000", "--instance", instance, "--token-file", "/run/secrets/orchestrator_token")
		t.Cleanup(func() { exec.Command("docker", "rm", "-f", cid).Run() })

		running := func() []string {
			return strings.Fields(rt.Docker(t, "ps", "-q", "--filter", "label=orchestrator.instance="+instance, "--filter", "status=running"))
		}
		rt.Eventually(t, 60*time.Second, "serve in the image starts 2 containers", func() (bool, string) {
			n := running()
			return len(n) == 2, fmt.Sprintf("%d running; logs:\n%s", len(n), dockerLogs(cid))
		})

		addr := strings.Split(rt.Docker(t, "port", cid, "8000/tcp"), "\n")[0]
		req, _ := http.NewRequest("GET", "http://"+addr+"/status", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatalf("GET /status on the published port: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET /status = %d, want 200", resp.StatusCode)
		}

		// docker stop sends SIGTERM: serve ends cleanly, and leaves the
		// containers running.
		rt.Docker(t, "stop", "-t", "30", cid)
		if code := rt.Docker(t, "inspect", "-f", "{{.State.ExitCode}}", cid); code != "0" {
			t.Errorf("serve exited %s on SIGTERM, want 0; logs:\n%s", code, dockerLogs(cid))
		}
		if n := running(); len(n) != 2 {
			t.Errorf("%d containers running after serve stopped, want 2 (serve leaves them)", len(n))
		}
	})
}

func dockerLogs(cid string) string {
	out, _ := exec.Command("docker", "logs", "--tail", "20", cid).CombinedOutput()
	return string(out)
}
