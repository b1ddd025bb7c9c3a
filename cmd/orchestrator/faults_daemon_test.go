package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// A real restart of the Docker daemon under a running serve: the daemon
// stops every container (no live-restore) and starts the unless-stopped
// ones again; serve stays up, follows the engine back, and converges to
// the same containers, none duplicated. Opt-in, because it restarts the
// machine's daemon: ORCH_DAEMON_RESTART_TEST=1 (CI sets it, in a step of
// its own after every other Docker test).
func TestFaultDaemonRestart(t *testing.T) {
	if os.Getenv("ORCH_DAEMON_RESTART_TEST") != "1" {
		t.Skip("restarts the Docker daemon: set ORCH_DAEMON_RESTART_TEST=1")
	}
	const image = "orchestrator-test:daemon"
	rt.BuildTestImage(t, keepImage, image)
	inst := newInstance(t)
	dir := dirWithKeep(t)
	s := startServer(t, dir, inst, withResync(5*time.Second), withMinReady(100*time.Millisecond))
	writeFile(t, dir, "app.yaml", specText(image, "min_replicas: 3", "max_replicas: 3"))
	before := waitFor(t, inst, image, time.Minute, "3 running", exactly(3))
	engineAvailable(t, s, true, time.Minute)

	began := time.Now()
	restartDaemon(t)
	t.Logf("daemon back after %s", time.Since(began).Round(100*time.Millisecond))
	after := waitFor(t, inst, image, 2*time.Minute, "3 running after the restart", exactly(3))
	engineAvailable(t, s, true, 30*time.Second)
	t.Logf("converged %s after the restart began", time.Since(began).Round(100*time.Millisecond))
	if all := containers(t, inst); len(all) != 4 { // and the keep spec's one
		t.Errorf("%d containers of the instance, want 4 (no duplicate, no orphan): %s", len(all), summary(all))
	}
	kept := 0
	for _, b := range before {
		for _, a := range after {
			if a.ID == b.ID {
				kept++
			}
		}
	}
	t.Logf("%d of 3 containers are the same as before the restart (Docker restarted them)", kept)
}

// restartDaemon stops dockerd (SIGTERM, as systemctl or an init script
// would), waits for it to exit, starts it again with the command line and
// the environment it had, in a session of its own that outlives the test (logging to
// /var/log/dockerd-restarted.log), and waits until it answers. An init
// script is no help here: the one Debian ships fails to set its ulimits in
// a container-like sandbox.
func restartDaemon(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile("/var/run/docker.pid")
	if err != nil {
		t.Fatalf("the daemon's pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("the daemon's pid %q: %v", b, err)
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		t.Fatalf("the daemon's command line: %v", err)
	}
	argv := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	// Its own environment, not the test's: dockerd keeps runc's state
	// under XDG_RUNTIME_DIR, and the test's is a temp dir that goes away
	// (every healthcheck exec then fails).
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Fatalf("the daemon's environment: %v", err)
	}
	env := strings.Split(strings.TrimRight(string(environ), "\x00"), "\x00")
	keepRootMount(t, argv)
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatalf("stop dockerd (pid %d): %v", pid, err)
	}
	rt.Eventually(t, 90*time.Second, "dockerd exited", func() (bool, string) {
		_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
		return os.IsNotExist(err), "pid " + strconv.Itoa(pid) + " still there"
	})
	log, err := os.OpenFile("/var/log/dockerd-restarted.log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	d := exec.Command(argv[0], argv[1:]...)
	d.Stdout, d.Stderr, d.Env = log, log, env
	d.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := d.Start(); err != nil {
		t.Fatalf("start %v: %v (the machine has no Docker daemon now: start one by hand)", argv, err)
	}
	d.Process.Release()
	rt.Eventually(t, 90*time.Second, "dockerd answers", func() (bool, string) {
		out, err := exec.Command("docker", "version", "--format", "{{.Server.Version}}").CombinedOutput()
		return err == nil, strings.TrimSpace(string(out))
	})
}

// keepRootMount tells dockerd to leave its root's bind mount in place when
// it stops. Docker 20.10 bind-mounts /var/lib/docker on itself to make it
// shared and, when it made that mount, unmounts it on shutdown; but its API
// still answers for a moment after "Daemon shutdown complete", and serve's
// self-healing start in that moment mounts a container's fuse-overlayfs
// root on the directory the bind used to cover. The restarted daemon binds
// over it again, and the hidden mount makes that container impossible to
// remove ("unlinkat …/merged: device or resource busy", umount: not
// mounted). Without the marker file the mount stays, the stray mount is
// visible, and Docker's own removal unmounts it.
func keepRootMount(t *testing.T, argv []string) {
	t.Helper()
	execRoot := "/var/run/docker"
	for i, a := range argv {
		if v, ok := strings.CutPrefix(a, "--exec-root="); ok {
			execRoot = v
		} else if a == "--exec-root" && i+1 < len(argv) {
			execRoot = argv[i+1]
		}
	}
	marker := filepath.Join(execRoot, "unmount-on-shutdown")
	switch err := os.Remove(marker); {
	case os.IsNotExist(err): // the root was shared already, or the exec root is set elsewhere (daemon.json)
		t.Logf("no %s: dockerd did not make its root's mount, or keeps its state elsewhere", marker)
	case err != nil:
		t.Fatalf("keep dockerd's root mount through the restart: %v", err)
	}
}
