package enginetest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestImage is the image the real-engine tests run: the demo server of
// examples/demo, built FROM scratch, since no registry can be reached.
const TestImage = "orchestrator-test:latest"

var (
	buildOnce sync.Once
	buildErr  error
	seq       atomic.Int64
)

// RequireDocker skips the test when no engine is reachable, or fails it when
// ORCH_REQUIRE_DOCKER=1 (as CI sets it), so a green CI means these ran.
func RequireDocker(t testing.TB) {
	t.Helper()
	out, err := exec.Command("docker", "version", "--format", "{{.Server.Version}}").CombinedOutput()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("no Docker engine reachable: %v: %s", err, strings.TrimSpace(string(out)))
	if os.Getenv("ORCH_REQUIRE_DOCKER") == "1" {
		t.Fatalf("ORCH_REQUIRE_DOCKER=1 and %s", msg)
	}
	t.Skip(msg + " (set ORCH_REQUIRE_DOCKER=1 to fail instead)")
}

// BuildTestImage builds TestImage once per test binary and returns its name.
// Extra tags (say "orchestrator-test:v2") are added on request and removed
// when the test ends.
func BuildTestImage(t testing.TB, tags ...string) string {
	t.Helper()
	RequireDocker(t)
	buildOnce.Do(func() { buildErr = buildImage() })
	if buildErr != nil {
		t.Fatalf("build test image: %v", buildErr)
	}
	for _, tag := range tags {
		Docker(t, "tag", TestImage, tag)
		t.Cleanup(func() { exec.Command("docker", "rmi", tag).Run() })
	}
	return TestImage
}

func buildImage() error {
	_, self, _, _ := runtime.Caller(0)
	src := filepath.Join(filepath.Dir(self), "..", "..", "..", "examples", "demo")
	dir, err := os.MkdirTemp("", "orchestrator-test-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "demo"), ".")
	build.Dir = src
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v: %s", err, out)
	}
	if out, err := exec.Command("docker", "build", "-q", "-t", TestImage, "-f", filepath.Join(src, "Dockerfile"), dir).CombinedOutput(); err != nil {
		return fmt.Errorf("docker build: %v: %s", err, out)
	}
	return nil
}

// UniqueID names one test's containers and instance label: tests share the
// engine, and each sees and cleans up only its own.
func UniqueID(t testing.TB) string {
	name := strings.ToLower(t.Name())
	name = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, name)
	if len(name) > 24 {
		name = name[len(name)-24:]
	}
	return fmt.Sprintf("t%d-%d-%s", os.Getpid()%100000, seq.Add(1), strings.Trim(name, "-"))
}

// CleanupInstance removes, when the test ends, every container, volume and
// network labelled with the instance, whoever made it.
func CleanupInstance(t testing.TB, instance string) {
	t.Cleanup(func() {
		label := "orchestrator.instance=" + instance
		RemoveLabelled(t, label)
		for _, kind := range []string{"volume", "network"} {
			out, err := exec.Command("docker", kind, "ls", "-q", "--filter", "label="+label).Output()
			if err != nil {
				t.Errorf("list %ss with %s: %v", kind, label, err)
				continue
			}
			if names := strings.Fields(string(out)); len(names) > 0 {
				if out, err := exec.Command("docker", append([]string{kind, "rm"}, names...)...).CombinedOutput(); err != nil {
					t.Errorf("remove %ss with %s: %v: %s", kind, label, err, out)
				}
			}
		}
	})
}

// RemoveLabelled force-removes every container with the label.
func RemoveLabelled(t testing.TB, label string) {
	out, err := exec.Command("docker", "ps", "-aq", "--filter", "label="+label).Output()
	if err != nil {
		t.Errorf("list containers with %s: %v", label, err)
		return
	}
	ids := strings.Fields(string(out))
	if len(ids) == 0 {
		return
	}
	if out, err := exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).CombinedOutput(); err != nil {
		t.Errorf("remove containers with %s: %v: %s", label, err, out)
	}
}

// Docker runs the docker CLI, as a person would, and returns its output.
func Docker(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// Eventually polls cond until it holds or the deadline passes: tests wait
// for outcomes, never for a fixed time.
func Eventually(t testing.TB, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	wait := 10 * time.Millisecond
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true within %s; last: %s", what, within, state)
		}
		time.Sleep(wait) // poll interval, bounded by the deadline
		wait = min(2*wait, 200*time.Millisecond)
	}
}
