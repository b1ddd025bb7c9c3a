package enginetest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// swarmLock serialises the swarm tests of every test binary on this
// machine: go test runs packages at once, and one package leaving the
// swarm it initialised must not pull it from under another's test.
var swarmLock = filepath.Join(os.TempDir(), "orchestrator-swarm-test.lock")

// RequireSwarm runs the test on a single-node swarm, or skips it without
// ORCH_SWARM=1 (.ci/run sets it, in a step of its own). It holds a
// machine-wide lock for the test's length; when the engine was not a swarm
// manager, it runs `docker swarm init --advertise-addr 127.0.0.1`, and
// `docker swarm leave --force` when the test ends, after the test's own
// cleanups (which must remove its services). A swarm it found is left.
func RequireSwarm(t testing.TB) {
	t.Helper()
	if os.Getenv("ORCH_SWARM") != "1" {
		t.Skip("a swarm test: set ORCH_SWARM=1 to run it (it makes this engine a swarm manager for its length)")
	}
	RequireDocker(t)
	LockSwarm(t)
	if SwarmState(t) == "active" {
		return
	}
	if out, err := exec.Command("docker", "swarm", "init", "--advertise-addr", "127.0.0.1").CombinedOutput(); err != nil {
		t.Fatalf("docker swarm init: %v: %s", err, out)
	}
	t.Cleanup(func() { // before the unlock of LockSwarm: cleanups run last first
		if out, err := exec.Command("docker", "swarm", "leave", "--force").CombinedOutput(); err != nil {
			t.Errorf("docker swarm leave --force: %v: %s", err, out)
		}
	})
}

// LockSwarm holds the machine-wide lock of the swarm tests until the test
// ends, so that no other swarm test changes the engine's swarm state
// meanwhile (a test of an engine that is not a manager).
func LockSwarm(t testing.TB) {
	t.Helper()
	f, err := os.OpenFile(swarmLock, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatalf("swarm test lock: %v", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil { // blocks while another binary's swarm test runs
		f.Close()
		t.Fatalf("swarm test lock: %v", err)
	}
	t.Cleanup(func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	})
}

// SwarmState is the engine's swarm state: inactive, active, pending, ...
func SwarmState(t testing.TB) string {
	t.Helper()
	return strings.TrimSpace(Docker(t, "info", "--format", "{{.Swarm.LocalNodeState}}"))
}

// RemoveServicesLabelled removes every service with the label, for a
// test's cleanup.
func RemoveServicesLabelled(t testing.TB, label string) {
	out, err := exec.Command("docker", "service", "ls", "-q", "--filter", "label="+label).Output()
	if err != nil {
		t.Errorf("list services with %s: %v", label, err)
		return
	}
	if ids := strings.Fields(string(out)); len(ids) > 0 {
		if out, err := exec.Command("docker", append([]string{"service", "rm"}, ids...)...).CombinedOutput(); err != nil {
			t.Errorf("remove services with %s: %v: %s", label, err, out)
		}
	}
}
