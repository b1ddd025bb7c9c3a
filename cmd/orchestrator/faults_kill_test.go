package main

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// longFault skips a fault test of minutes unless ORCH_FAULTS=1 (make
// test-faults, which CI runs after make test): make test stays quick.
func longFault(t *testing.T) {
	t.Helper()
	if os.Getenv("ORCH_FAULTS") != "1" {
		t.Skip("a fault test of minutes: make test-faults (ORCH_FAULTS=1) runs it")
	}
}

// faultInt is an integer knob of the fault suite, from the environment.
func faultInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// kill -9 of serve in the middle of a rolling replacement of many
// containers, then a new serve: every repetition converges to exactly the
// new version, with no duplicate name and no orphan container.
// ORCH_FAULT_ROLLOUT (containers, default 50) and ORCH_FAULT_REPS (default
// 10) size it.
func TestFaultKill9MidRollout(t *testing.T) {
	longFault(t)
	const image = "orchestrator-test:rollout"
	rt.BuildTestImage(t, keepImage, image)
	size, reps := faultInt(t, "ORCH_FAULT_ROLLOUT", 50), faultInt(t, "ORCH_FAULT_REPS", 10)
	inst := newInstance(t)
	bin := buildBinary(t)
	dir := dirWithKeep(t)
	args := []string{"--min-ready", "0s", "--resync", "5s"}
	app := func(version int) string {
		// No healthcheck (the test image has none anyway): this test is
		// about the kill, not about readiness.
		return specText(image, fmt.Sprintf("min_replicas: %d", size), fmt.Sprintf("max_replicas: %d", size),
			fmt.Sprintf("env: {VERSION: v%d}", version), "healthcheck: {disable: true}")
	}
	writeFile(t, dir, "app.yaml", app(0))
	serve := startProcess(t, bin, dir, inst, args...)
	cs := waitFor(t, inst, image, 5*time.Minute, fmt.Sprintf("%d running", size), exactly(size))

	converged := 0
	for rep := 1; rep <= reps; rep++ {
		old := cs[0].Hash
		began := time.Now()
		writeFile(t, dir, "app.yaml", app(rep))
		rt.Eventually(t, 2*time.Minute, "the rollout under way", func() (bool, string) {
			n := 0
			for _, c := range ofImage(containers(t, inst), image) {
				if c.Hash != old {
					n++
				}
			}
			return n >= 1 && n < size, fmt.Sprint(n, " replaced")
		})
		if err := serve.Process.Kill(); err != nil { // SIGKILL: no cleanup of any kind
			t.Fatal(err)
		}
		serve.Wait()
		serve = startProcess(t, bin, dir, inst, args...)
		cs = waitFor(t, inst, image, 5*time.Minute, fmt.Sprintf("rep %d: %d running, all new", rep, size), func(cs []ctr) bool {
			if !exactly(size)(cs) {
				return false
			}
			for _, c := range cs {
				if c.Hash == old || c.Hash != cs[0].Hash {
					return false
				}
			}
			return true
		})
		names := map[string]bool{}
		for _, c := range cs {
			if names[c.Name] {
				t.Errorf("rep %d: duplicate name %s", rep, c.Name)
			}
			names[c.Name] = true
		}
		if all := containers(t, inst); len(all) != size+1 { // and the keep spec's one
			t.Errorf("rep %d: %d containers of the instance, want %d: orphans: %s", rep, len(all), size+1, summary(all))
		} else {
			converged++
		}
		t.Logf("rep %d: converged in %s", rep, time.Since(began).Round(100*time.Millisecond))
	}
	t.Logf("%d/%d repetitions converged, %d containers each", converged, reps, size)
}
