package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// buildBinary builds this command, for tests that need a real process.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "orchestrator")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startProcess runs `orchestrator serve` as a process of its own.
func startProcess(t *testing.T, bin, dir, instance string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--dir", dir, "--instance", instance, "--addr", freeAddr(t)}, args...)...)
	log, err := os.Create(filepath.Join(t.TempDir(), "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		log.Close()
	})
	return cmd
}

// 7. Restart: kill -9 in the middle of creating 20 replicas, start again:
// no duplicates, everything adopted, exactly 20.
func TestServeKill9WhileCreating(t *testing.T) {
	image := rt.BuildTestImage(t, keepImage)
	inst := newInstance(t)
	bin := buildBinary(t)
	dir := dirWithKeep(t)
	writeFile(t, dir, "app.yaml", specText(image, "min_replicas: 20", "max_replicas: 20"))

	first := startProcess(t, bin, dir, inst, "--parallelism", "1")
	var seen int
	rt.Eventually(t, 60*time.Second, "the first containers", func() (bool, string) {
		seen = len(ofImage(containers(t, inst), image))
		return seen >= 3, fmt.Sprint(seen, " containers")
	})
	if err := first.Process.Kill(); err != nil { // SIGKILL: no cleanup of any kind
		t.Fatal(err)
	}
	first.Wait()
	atKill := ofImage(containers(t, inst), image)
	t.Logf("killed with %d of 20 containers made (%d running)", len(atKill), count(atKill, "running"))
	if len(atKill) >= 20 {
		t.Logf("the first process finished before the kill; the restart still must not duplicate")
	}

	second := startProcess(t, bin, dir, inst)
	cs := waitFor(t, inst, image, 60*time.Second, "exactly 20 running", exactly(20))
	names := map[string]bool{}
	for _, c := range cs {
		if names[c.Name] {
			t.Errorf("duplicate name %s", c.Name)
		}
		names[c.Name] = true
	}
	survivors := 0
	for _, c := range atKill {
		for _, d := range cs {
			if c.ID == d.ID {
				survivors++
			}
		}
	}
	if survivors != len(atKill) {
		t.Errorf("%d of the %d containers made before the kill were adopted, want all", survivors, len(atKill))
	}

	// SIGTERM stops cleanly, and leaves the containers running.
	if err := second.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := second.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v, want exit 0", err)
	}
	if after := ofImage(containers(t, inst), image); !exactly(20)(after) {
		t.Errorf("after SIGTERM: %s, want the 20 still running", summary(after))
	}
}
