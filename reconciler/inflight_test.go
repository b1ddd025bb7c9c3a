package reconciler_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/reconciler"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
	"github.com/orchestrator/orchestrator/spec"
)

// asyncWorld is a reconciler's loop over a directory and a fake engine
// whose stops can be held, as containers that ignore SIGTERM hold docker
// stop for their grace period.
type asyncWorld struct {
	t    *testing.T
	root string
	fake *rt.Fake
	r    *reconciler.Reconciler
}

func newAsyncWorld(t *testing.T, images ...string) *asyncWorld {
	w := &asyncWorld{t: t, root: t.TempDir(), fake: rt.NewFake(append(images, "keep:v1")...)}
	w.write("keep.yaml", "image: keep:v1\nresources: {}\n")
	w.r = reconciler.New(spec.NewDir(w.root, spec.Options{HostCPUs: 4}), w.fake, reconciler.Options{
		MinReady: time.Millisecond, Parallelism: 2})
	return w
}

func (w *asyncWorld) write(name, text string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.root, name), []byte(text), 0o644); err != nil {
		w.t.Fatal(err)
	}
	if w.r != nil {
		w.r.Trigger()
	}
}

// states counts image's containers by state and spec hash label prefix.
func (w *asyncWorld) count(image string, state string) int {
	cs, _ := w.fake.List(context.Background())
	n := 0
	for _, c := range cs {
		if c.Image == image && (state == "" || c.State == state) {
			n++
		}
	}
	return n
}

func (w *asyncWorld) eventually(what string, cond func() (bool, string)) {
	w.t.Helper()
	rt.Eventually(w.t, 10*time.Second, what, cond)
}

// A scale-down whose stops wait out a grace period blocks neither the loop
// nor another spec: the new spec is created while every stop still waits,
// and each container gets exactly one stop, however many passes run.
func TestSlowStopsBlockNeitherTheLoopNorOtherSpecs(t *testing.T) {
	w := newAsyncWorld(t, "a:v1", "b:v1")
	w.write("a.yaml", "image: a:v1\nmin_replicas: 4\nmax_replicas: 4\nresources: {}\n")
	runLoop(t, w.r, nil)
	w.eventually("a at 4", func() (bool, string) { n := w.count("a:v1", "running"); return n == 4, fmt.Sprint(n) })

	release := w.fake.HoldStops()
	defer release()
	if err := os.Remove(filepath.Join(w.root, "a.yaml")); err != nil { // pruned: every container goes
		t.Fatal(err)
	}
	w.r.Trigger()
	w.eventually("a's stops waiting", func() (bool, string) {
		n := w.fake.StopsHeld()
		return n >= 1, fmt.Sprint(n, " held")
	})
	w.write("b.yaml", "image: b:v1\nmin_replicas: 2\nmax_replicas: 2\nresources: {}\n")
	w.eventually("b running while a's stops wait", func() (bool, string) {
		n := w.count("b:v1", "running")
		return n == 2, fmt.Sprint(n, " of b running, ", w.fake.StopsHeld(), " stops held")
	})
	if held := w.fake.StopsHeld(); held == 0 {
		t.Fatalf("no stop waits any more: the test proves nothing")
	}
	for range 5 { // more passes while the stops wait: none plans a second action for a container
		w.r.Trigger()
		if _, err := w.r.WaitPass(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	release()
	w.eventually("a stopped", func() (bool, string) {
		n := w.count("a:v1", "running")
		return n == 0, fmt.Sprint(n, " running")
	})
	if stops := w.fake.Calls("stop"); stops != 4 {
		t.Errorf("%d stops, want 4: one per container", stops)
	}
}

// A rolling replacement goes on while the old containers wait out their
// grace period: each old container is left out of the plan once its
// removal began, as a terminating pod is, and removed exactly once.
func TestRolloutGoesOnWhileOldContainersStop(t *testing.T) {
	w := newAsyncWorld(t, "a:v1")
	w.write("a.yaml", "image: a:v1\nmin_replicas: 3\nmax_replicas: 3\nenv: {V: \"1\"}\nresources: {}\n")
	runLoop(t, w.r, nil)
	w.eventually("a at 3", func() (bool, string) { n := w.count("a:v1", "running"); return n == 3, fmt.Sprint(n) })
	old := map[string]bool{}
	cs, _ := w.fake.List(context.Background())
	for _, c := range cs {
		if c.Image == "a:v1" {
			old[c.ID] = true
		}
	}

	release := w.fake.HoldStops()
	defer release()
	w.write("a.yaml", "image: a:v1\nmin_replicas: 3\nmax_replicas: 3\nenv: {V: \"2\"}\nresources: {}\n")
	w.eventually("3 new running while the old ones stop", func() (bool, string) {
		cs, _ := w.fake.List(context.Background())
		fresh := 0
		for _, c := range cs {
			if c.Image == "a:v1" && !old[c.ID] && c.State == "running" {
				fresh++
			}
		}
		return fresh == 3, fmt.Sprint(fresh, " new running, ", w.fake.StopsHeld(), " stops held")
	})
	// The new ones are named after free slots, not after a slot an old
	// one still holds (which would cost a refused create and a slot + 100).
	cs, _ = w.fake.List(context.Background())
	for _, c := range cs {
		if slot := c.Name[strings.LastIndexByte(c.Name, '-')+1:]; len(slot) > 2 {
			t.Errorf("%s: named after a slot taken by a container being removed", c.Name)
		}
	}
	release()
	w.eventually("the old ones gone", func() (bool, string) {
		n := w.count("a:v1", "")
		return n == 3, fmt.Sprint(n, " containers")
	})
	if removes := w.fake.Calls("remove"); removes != 3 {
		t.Errorf("%d removes, want 3: one per old container", removes)
	}
}
