package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/api/wire"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// A rollout is gated by readiness (docs/design.md §6): a new version that
// never passes its healthcheck pauses it, the old containers serving and
// the status Degraded with the probe's own words; a fixed spec resumes it,
// the failed container going first, the old ones staying until their
// successors are ready.
func TestServeRolloutPausesOnAFailingProbe(t *testing.T) {
	const image = "orchestrator-test:readiness"
	rt.BuildTestImage(t, keepImage, image)
	inst := newInstance(t)
	dir := dirWithKeep(t)
	const readyTimeout = 8 * time.Second
	// A short resync: passes go on while the rollout is paused.
	s := startServer(t, dir, inst, withMinReady(time.Second), withResync(3*time.Second),
		func(f *serveFlags, _ *app) { f.readyTimeout = readyTimeout })
	app := func(env string) string {
		return specText(image, "min_replicas: 3", "max_replicas: 3", "env: {"+env+"}",
			`healthcheck: {test: [CMD, /demo, -check, "http://127.0.0.1:8080/healthz"], interval: 1s, timeout: 2s, retries: 1}`)
	}
	status := func() wire.Status { return specStatus(t, s, image) }

	writeFile(t, dir, "app.yaml", app("VERSION: v1"))
	v1 := waitFor(t, inst, image, time.Minute, "3 v1 running", exactly(3))
	rt.Eventually(t, time.Minute, "v1 Healthy", func() (bool, string) {
		st := status()
		return st.Health == "Healthy", fmt.Sprintf("%+v", st)
	})

	// v2 starts sick: its /healthz answers 503, so its probe never passes.
	began := time.Now()
	writeFile(t, dir, "app.yaml", app(`VERSION: v2, SICK: "true"`))
	probe := "last health check: exit 1: demo -check: unhealthy: GET http://127.0.0.1:8080/healthz answered 503 Service Unavailable"
	var st wire.Status
	rt.Eventually(t, readyTimeout+30*time.Second, "the rollout paused, Degraded, with the probe's output", func() (bool, string) {
		st = status()
		return st.Health == "Degraded" && strings.Contains(st.LastError, probe), fmt.Sprintf("%+v", st)
	})
	t.Logf("paused %s after the v2 write", time.Since(began).Round(100*time.Millisecond))
	if want := "rollout paused, old containers kept: "; !strings.HasPrefix(st.Message, want) || !strings.Contains(st.Message, probe) ||
		!strings.Contains(st.Message, "is not ready after 8s (state running, health unhealthy") {
		t.Errorf("message %q, want %q, the unhealthy container and %q", st.Message, want, probe)
	}
	cs := ofImage(containers(t, inst), image)
	v2 := others(cs, v1[0].Hash)
	if !sameRunning(cs, v1) || len(v2) != 1 {
		t.Fatalf("paused: %s, want the 3 v1 containers running and one v2", summary(cs))
	}
	// The CLI shows it too (the status table's error column).
	res := cli(t, nil, "", "status", image, "--server", "http://"+s.addr)
	if res.Code != 0 || !strings.Contains(res.Stdout, "Degraded") || !strings.Contains(res.Stdout, probe) {
		t.Errorf("orchestrator status: %+v, want Degraded and %q", res, probe)
	}
	t.Logf("orchestrator status, paused:\n%s", res.Stdout)
	// Paused means paused: later passes change nothing while the spec stays.
	rt.Eventually(t, 20*time.Second, "a later pass", func() (bool, string) {
		later := status()
		return later.LastReconcile.After(st.LastReconcile), "no pass since " + st.LastReconcile.String()
	})
	if cs := ofImage(containers(t, inst), image); !sameRunning(cs, v1) || len(others(cs, v1[0].Hash)) != 1 {
		t.Fatalf("still paused: %s, want the 3 v1 containers running and one v2", summary(cs))
	}

	// v3, fixed: the rollout resumes. At every look on the way, the v2
	// container goes before any v1 one, and v1 and v3 together never run
	// fewer than 3.
	writeFile(t, dir, "app.yaml", app("VERSION: v3"))
	resumed := time.Now()
	rt.Eventually(t, 2*time.Minute, "3 v3 running, no v1 or v2 left", func() (bool, string) {
		cs := ofImage(containers(t, inst), image)
		var old, failed, fixed []ctr
		for _, c := range cs {
			switch c.Hash {
			case v1[0].Hash:
				old = append(old, c)
			case v2[0].Hash:
				failed = append(failed, c)
			default:
				fixed = append(fixed, c)
			}
		}
		if len(failed) > 0 && len(old) < 3 {
			t.Fatalf("a v1 container went before the failed v2 one: %s", summary(cs))
		}
		if n := count(old, "running") + count(fixed, "running"); n < 3 {
			t.Fatalf("%d of v1 and v3 running during the rollout, want 3 at least: %s", n, summary(cs))
		}
		return len(old) == 0 && len(failed) == 0 && exactly(3)(fixed), summary(cs)
	})
	rt.Eventually(t, time.Minute, "v3 Healthy, no error", func() (bool, string) {
		st := status()
		return st.Health == "Healthy" && st.Synced && st.LastError == "", fmt.Sprintf("%+v", st)
	})
	t.Logf("converged on v3 %s after its write", time.Since(resumed).Round(100*time.Millisecond))
}

// others are the containers of any hash but hash.
func others(cs []ctr, hash string) []ctr {
	var out []ctr
	for _, c := range cs {
		if c.Hash != hash {
			out = append(out, c)
		}
	}
	return out
}

// sameRunning: every container of want is in cs, running.
func sameRunning(cs, want []ctr) bool {
	running := map[string]bool{}
	for _, c := range cs {
		running[c.ID] = c.State == "running"
	}
	for _, c := range want {
		if !running[c.ID] {
			return false
		}
	}
	return true
}
