package reconciler_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/reconciler"
	"github.com/orchestrator/orchestrator/reconciler/autoscale"
	"github.com/orchestrator/orchestrator/reconciler/stats"
	"github.com/orchestrator/orchestrator/spec"
)

// The autoscaler in the reconciler's passes, on the fake engine, with
// synthetic usage and the world's clock.

// autoscaledWorld is a world whose reconciler has an autoscaler.
func autoscaledWorld(t *testing.T, images ...string) (*world, *autoscale.Autoscaler) {
	w := newWorld(t, images...)
	return w, w.newAutoscaled()
}

// newAutoscaled gives w a new reconciler with a new autoscaler, both on
// the world's clock, over the same directory and engine: also what an
// orchestrator restart does.
func (w *world) newAutoscaled() *autoscale.Autoscaler {
	as := autoscale.New(autoscale.Options{Now: func() time.Time { return w.now }})
	w.r = reconciler.New(spec.NewDir(w.root, spec.Options{HostCPUs: 4}), w.fake, reconciler.Options{
		Now: func() time.Time { return w.now }, ReadyTimeout: time.Minute, MinReady: time.Second, Autoscaler: as,
	})
	return as
}

// load is every running container of app:v1 at cpu (a fraction of the
// limit), started long ago; other images have no data.
func (w *world) load(cpu float64) func(string) []stats.Usage {
	return func(image string) []stats.Usage {
		cs, err := w.fake.List(context.Background())
		if err != nil {
			w.t.Fatal(err)
		}
		var out []stats.Usage
		for _, c := range cs {
			if c.Image == image && image == "app:v1" {
				out = append(out, stats.Usage{Name: c.Name, State: c.State, Ready: c.Ready(), CPU: new(cpu), Started: w.now.Add(-time.Hour)})
			}
		}
		return out
	}
}

// The pass uses the recommendation as the target, and clamps it with the
// spec in force: lowering max by hand below the count scales down on the
// next pass, with no evaluation between (acceptance 3). Nothing of it is
// written to the file.
func TestPassUsesRecommendation(t *testing.T) {
	w, as := autoscaledWorld(t, "app:v1")
	text := "image: app:v1\nmax_replicas: 5\nresources: {cpu: 500m}\nautoscale: {target_cpu_percent: 50}\n"
	w.write("app.yaml", text)
	w.converge()
	diff(t, "before any load", []string{"app-v1-1 running"}, w.containers("app:v1"))
	if !as.Evaluate(w.r.Desired(), w.load(1)) {
		t.Fatal("100% of the limit at a 50% target moved no target")
	}
	w.converge()
	diff(t, "one container at 200% of target", []string{"app-v1-1 running", "app-v1-2 running"}, w.containers("app:v1"))
	st := w.status("app:v1")
	diff(t, "status", &autoscale.Status{TargetCPUPercent: 50, UtilizationPercent: new(100.0), Recommendation: 2,
		Reason: "cpu 200% of target → 2"}, st.Autoscale)
	if st.Desired != 2 || !st.Synced {
		t.Errorf("status desired %d synced %v, want 2 and synced", st.Desired, st.Synced)
	}
	if st := w.status("keep:v1"); st.Desired != 1 || st.Autoscale == nil || st.Autoscale.Reason != "no cpu metrics yet → keeps 1" {
		t.Errorf("keep:v1 without data: desired %d, autoscale %+v", st.Desired, st.Autoscale)
	}

	w.now = w.now.Add(20 * time.Second)
	as.Evaluate(w.r.Desired(), w.load(1))
	w.converge()
	if got := len(w.containers("app:v1")); got != 4 {
		t.Fatalf("two containers at 200%% of target: %d containers, want 4", got)
	}

	edited := strings.Replace(text, "max_replicas: 5", "max_replicas: 2", 1)
	w.write("app.yaml", edited)
	w.pass() // no evaluation between the edit and the pass
	diff(t, "max lowered to 2 by hand", []string{"app-v1-1 running", "app-v1-2 running"}, w.containers("app:v1"))
	st = w.status("app:v1")
	if st.Desired != 2 || st.Autoscale.Recommendation != 2 ||
		st.Autoscale.Reason != "cpu 200% of target → 4; the spec now allows 1..2 → 2" {
		t.Errorf("status after max lowered: desired %d, autoscale %+v", st.Desired, st.Autoscale)
	}
	w.now = w.now.Add(20 * time.Second)
	if as.Evaluate(w.r.Desired(), w.load(1)) {
		t.Error("the load at max 2 moved the target")
	}
	if b, err := os.ReadFile(filepath.Join(w.root, "app.yaml")); err != nil || string(b) != edited {
		t.Errorf("app.yaml = %q (%v), want it as written by hand: %q", b, err, edited)
	}

	w.write("app.yaml", strings.Replace(edited, "target_cpu_percent: 50", "target_cpu_percent: 50, enabled: false", 1))
	w.converge()
	diff(t, "autoscaling disabled", []string{"app-v1-1 running"}, w.containers("app:v1"))
	if st := w.status("app:v1"); st.Autoscale != nil || st.Desired != 1 {
		t.Errorf("disabled: desired %d, autoscale %+v, want 1 and none", st.Desired, st.Autoscale)
	}
}

// Lowering min by hand scales down at once when the load does not need the
// old min: the recommendation keeps what the load asks, not the min.
func TestLoweringMinScalesDownAtOnce(t *testing.T) {
	w, as := autoscaledWorld(t, "app:v1")
	text := "image: app:v1\nmin_replicas: 3\nresources: {cpu: 500m}\n"
	w.write("app.yaml", text)
	w.converge()
	as.Evaluate(w.r.Desired(), w.load(0)) // idle: 0 asked, raised to min 3
	w.pass()
	if st := w.status("app:v1"); st.Desired != 3 || st.Autoscale.Reason != "cpu 0% of target asks for 0; raised to min_replicas 3 → 3" {
		t.Errorf("idle at min 3: desired %d, autoscale %+v", st.Desired, st.Autoscale)
	}
	w.write("app.yaml", strings.Replace(text, "min_replicas: 3", "min_replicas: 1", 1))
	w.pass()
	diff(t, "min lowered to 1 by hand", []string{"app-v1-1 running"}, w.containers("app:v1"))
}

// A restarted orchestrator (a new autoscaler, no memory) adopts the count
// that runs, and scales it down only through the stabilization window.
func TestAutoscaleAdoptsAfterRestart(t *testing.T) {
	w, as := autoscaledWorld(t, "app:v1")
	w.write("app.yaml", "image: app:v1\nmax_replicas: 6\nresources: {cpu: 500m}\nautoscale: {target_cpu_percent: 50}\n")
	w.converge()
	as.Evaluate(w.r.Desired(), w.load(1)) // 200% of target: → 2
	w.converge()
	w.now = w.now.Add(time.Minute)
	as.Evaluate(w.r.Desired(), w.load(1)) // → 4
	w.converge()
	if got := len(w.containers("app:v1")); got != 4 {
		t.Fatalf("%d containers under load, want 4", got)
	}

	as = w.newAutoscaled() // a restart
	w.converge()
	if got := len(w.containers("app:v1")); got != 4 {
		t.Fatalf("after a restart: %d containers, want the 4 adopted", got)
	}
	if st := w.status("app:v1"); st.Autoscale.Reason != "adopted 4 running → 4" {
		t.Errorf("after a restart: autoscale %+v", st.Autoscale)
	}
	w.now = w.now.Add(4 * time.Minute)
	as.Evaluate(w.r.Desired(), w.load(0))
	w.converge()
	if got := len(w.containers("app:v1")); got != 4 {
		t.Fatalf("idle 4m after the restart: %d containers, want 4 (5m window)", got)
	}
	w.now = w.now.Add(time.Minute)
	if !as.Evaluate(w.r.Desired(), w.load(0)) {
		t.Error("idle 5m after the restart: no move")
	}
	w.converge()
	diff(t, "idle 5m after the restart", []string{"app-v1-1 running"}, w.containers("app:v1"))
}
