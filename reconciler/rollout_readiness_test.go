package reconciler_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/reconciler"
	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/spec"
)

// checkedApp is a spec of app:v1 with a healthcheck, 3 replicas, and extra
// YAML lines (an env that makes the version sick, say).
func checkedApp(lines ...string) string {
	return "image: app:v1\nmin_replicas: 3\nresources: {}\n" +
		"healthcheck: {test: [CMD, /demo, -check, \"http://127.0.0.1:8080/healthz\"], interval: 1s, retries: 1}\n" +
		strings.Join(lines, "\n") + "\n"
}

// sickProbe fails the probe of every container whose env has SICK, as the
// demo's -check does against a server started sick.
func sickProbe(cfg engine.Config) (int, string) {
	if cfg.Env["SICK"] == "" {
		return 0, ""
	}
	return 1, "demo -check: unhealthy: GET http://127.0.0.1:8080/healthz answered 503 Service Unavailable\n"
}

// hashes counts app:v1's running containers by spec hash.
func (w *world) hashes() map[string]int {
	w.t.Helper()
	cs, err := w.fake.List(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[string]int{}
	for _, c := range cs {
		if c.Image == "app:v1" && c.State == "running" {
			out[c.SpecHash]++
		}
	}
	return out
}

func (w *world) hashOf(name string) string {
	w.t.Helper()
	cs, _ := w.fake.List(context.Background())
	for _, c := range cs {
		if c.Name == name {
			return c.SpecHash
		}
	}
	w.t.Fatalf("no container %s", name)
	return ""
}

// A new version that never passes its probe pauses the rollout: the old
// containers stay, the status is Degraded with the reason and the probe's
// output; a fixed spec resumes it, the failed container going first.
func TestRolloutPausesOnAFailingProbeAndResumesOnANewSpec(t *testing.T) {
	w := newWorld(t, "app:v1")
	w.fake.SetProbe(sickProbe)
	w.write("app.yaml", checkedApp("env: {VERSION: v1}"))
	w.converge()
	v1 := w.hashOf("app-v1-1")
	diff(t, "v1 running", map[string]int{v1: 3}, w.hashes())

	w.write("app.yaml", checkedApp("env: {VERSION: v2, SICK: \"1\"}"))
	w.pass()
	v2 := w.hashOf("app-v1-4")
	for range 3 { // within the ready timeout: waiting, nothing else
		if res := w.pass(); len(res.Done) != 0 {
			t.Fatalf("the rollout acted while the new container is not ready: %+v", res.Done)
		}
	}
	diff(t, "waiting: v1 all kept, one v2", map[string]int{v1: 3, v2: 1}, w.hashes())
	if st := w.status("app:v1"); st.Health != reconciler.Progressing || st.Message != "rollout waits for app-v1-4 to become ready" {
		t.Errorf("within the ready timeout: health %s, message %q; want Progressing, waiting for app-v1-4", st.Health, st.Message)
	}

	w.now = w.now.Add(time.Minute) // past --ready-timeout
	if res := w.pass(); len(res.Done) != 0 {
		t.Fatalf("a paused rollout acted: %+v", res.Done)
	}
	diff(t, "paused: v1 all kept, one v2", map[string]int{v1: 3, v2: 1}, w.hashes())
	st := w.status("app:v1")
	reason := "app-v1-4 is not ready after 1m0s (state running, health unhealthy, 0 restarts); last health check: " +
		"exit 1: demo -check: unhealthy: GET http://127.0.0.1:8080/healthz answered 503 Service Unavailable"
	// Ready counts the current version's: none.
	diff(t, "paused status", reconciler.Status{Health: reconciler.Degraded, Desired: 3, Ready: 0, Running: 4,
		Message: "rollout paused, old containers kept: " + reason, LastError: reason},
		reconciler.Status{Health: st.Health, Desired: st.Desired, Ready: st.Ready, Running: st.Running, Message: st.Message, LastError: st.LastError})

	w.write("app.yaml", checkedApp("env: {VERSION: v3}"))
	res := w.pass()
	if len(res.Done) != 1 || res.Done[0].Kind != reconciler.KindRemove || res.Done[0].Name != "app-v1-4" {
		t.Fatalf("first step of the resumed rollout: %+v, want the removal of the failed app-v1-4", res.Done)
	}
	var v3 string
	for i := 0; ; i++ {
		if i == 40 {
			t.Fatalf("no convergence on v3 in 40 passes: %v", w.hashes())
		}
		res = w.pass()
		hs := w.hashes()
		for h := range hs {
			if h != v1 && h != v2 {
				v3 = h
			}
		}
		if hs[v1]+hs[v3] < 3 {
			t.Fatalf("the resumed rollout went below 3 running: %v", hs)
		}
		if hs[v3] == 3 && len(hs) == 1 && len(res.Done) == 0 {
			break
		}
	}
	if st := w.status("app:v1"); st.Health != reconciler.Healthy || st.LastError != "" || !st.Synced {
		t.Errorf("after the fix: %+v, want Healthy and synced, no error", st)
	}
}

// A container that Docker restarted once is stable again --min-ready after
// its restart: the spec converges again, and a rollout is not blocked.
func TestARestartedContainerBecomesStableAgain(t *testing.T) {
	w := newWorld(t, "app:v1")
	w.r = reconciler.New(spec.NewDir(w.root, spec.Options{HostCPUs: 4}), w.fake, reconciler.Options{
		Now: func() time.Time { return w.now }, ReadyTimeout: time.Minute, MinReady: 5 * time.Second,
	})
	w.write("app.yaml", checkedApp("env: {VERSION: v1}"))
	w.converge()
	w.now = w.now.Add(time.Hour)
	w.fake.CrashAndRestart(w.ids("app:v1")[0])
	w.now = w.now.Add(2 * time.Minute) // past --ready-timeout and --min-ready since the restart
	w.pass()
	if st := w.status("app:v1"); st.Health != reconciler.Healthy || !st.Synced {
		t.Fatalf("after one restart: health %s, synced %v, message %q; want Healthy and synced", st.Health, st.Synced, st.Message)
	}

	// In a rollout, the new container restarted once holds it up for
	// --min-ready only.
	w.write("app.yaml", checkedApp("env: {VERSION: v2}"))
	w.pass()
	cs, _ := w.fake.List(context.Background())
	var fresh string
	for _, c := range cs {
		if c.Name == "app-v1-4" {
			fresh = c.ID
		}
	}
	w.now = w.now.Add(2 * time.Minute)
	w.fake.CrashAndRestart(fresh)
	res := w.pass()
	if len(res.Done) != 0 {
		t.Errorf("the rollout went on within --min-ready of the new container's restart: %+v", res.Done)
	}
	w.now = w.now.Add(3 * time.Second) // the next pass is 5 s after the restart
	if res := w.pass(); len(res.Done) != 1 || res.Done[0].Kind != reconciler.KindRemove {
		t.Errorf("--min-ready after the restart: %+v, want one old container removed", res.Done)
	}
}
