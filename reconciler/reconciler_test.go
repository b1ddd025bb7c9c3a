package reconciler_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/orchestrator/orchestrator/reconciler"
	"github.com/orchestrator/orchestrator/reconciler/engine"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
	"github.com/orchestrator/orchestrator/spec"
)

// world is a state directory, a fake engine and a reconciler between them.
type world struct {
	t    *testing.T
	root string
	fake *rt.Fake
	r    *reconciler.Reconciler
	now  time.Time
}

func newWorld(t *testing.T, images ...string) *world {
	w := &world{t: t, root: t.TempDir(), fake: rt.NewFake(images...), now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	w.fake.SetClock(func() time.Time { return w.now })
	w.r = reconciler.New(spec.NewDir(w.root, spec.Options{HostCPUs: 4}), w.fake, reconciler.Options{
		Now: func() time.Time { return w.now }, ReadyTimeout: time.Minute, MinReady: time.Second,
	})
	// Another spec keeps the directory from being empty, which would stop every prune.
	w.write("keep.yaml", "image: keep:v1\nresources: {}\n")
	w.fake.AddImage("keep:v1")
	return w
}

func (w *world) write(name, text string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.root, name), []byte(text), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) remove(name string) {
	w.t.Helper()
	if err := os.Remove(filepath.Join(w.root, name)); err != nil {
		w.t.Fatal(err)
	}
}

// pass runs one pass, a second later than the last.
func (w *world) pass() reconciler.PassResult {
	w.t.Helper()
	w.now = w.now.Add(time.Second)
	return w.r.Pass(context.Background())
}

// converge runs passes until one does nothing.
func (w *world) converge() {
	w.t.Helper()
	for i := 0; i < 20; i++ {
		if res := w.pass(); len(res.Done) == 0 {
			return
		}
	}
	w.t.Fatalf("no convergence in 20 passes")
}

// containers lists image's containers as "name state".
func (w *world) containers(image string) []string {
	w.t.Helper()
	cs, err := w.fake.List(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		if c.Image == image {
			out = append(out, c.Name+" "+c.State)
		}
	}
	sort.Strings(out)
	return out
}

func (w *world) ids(image string) []string {
	cs, _ := w.fake.List(context.Background())
	var out []string
	for _, c := range cs {
		if c.Image == image {
			out = append(out, c.ID)
		}
	}
	sort.Strings(out)
	return out
}

func (w *world) status(image string) reconciler.Status {
	for _, s := range w.r.Statuses() {
		if s.Image == image {
			return s
		}
	}
	w.t.Fatalf("no status for %s", image)
	return reconciler.Status{}
}

func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}

func TestScaleUpDownAndPrune(t *testing.T) {
	w := newWorld(t, "app:v1")
	w.write("app.yaml", "image: app:v1\nmin_replicas: 3\nresources: {cpu: 100m}\n")
	w.converge()
	diff(t, "after min 3", []string{"app-v1-1 running", "app-v1-2 running", "app-v1-3 running"}, w.containers("app:v1"))
	if st := w.status("app:v1"); st.Health != reconciler.Healthy || !st.Synced || st.Ready != 3 {
		t.Errorf("status = %+v, want Healthy, synced, 3 ready", st)
	}
	w.write("app.yaml", "image: app:v1\nmin_replicas: 1\nresources: {cpu: 100m}\n")
	w.converge()
	diff(t, "after min 1 (newest removed first)", []string{"app-v1-1 running"}, w.containers("app:v1"))
	w.remove("app.yaml")
	w.converge()
	diff(t, "after delete", []string(nil), w.containers("app:v1"))
}

func TestStoppedKeepsContainers(t *testing.T) {
	w := newWorld(t, "app:v1")
	w.write("app.yaml", "image: app:v1\nmin_replicas: 2\nresources: {}\n")
	w.converge()
	ids := w.ids("app:v1")
	w.write("app.yaml", "image: app:v1\nmin_replicas: 2\nresources: {status: stopped}\n")
	w.converge()
	diff(t, "stopped", []string{"app-v1-1 exited", "app-v1-2 exited"}, w.containers("app:v1"))
	if st := w.status("app:v1"); st.Health != reconciler.Stopped {
		t.Errorf("health = %s, want Stopped", st.Health)
	}
	w.write("app.yaml", "image: app:v1\nmin_replicas: 2\nresources: {status: running}\n")
	w.converge()
	diff(t, "running again", []string{"app-v1-1 running", "app-v1-2 running"}, w.containers("app:v1"))
	diff(t, "same ids", ids, w.ids("app:v1"))
}

func TestSelfHeal(t *testing.T) {
	w := newWorld(t, "app:v1")
	w.write("app.yaml", "image: app:v1\nmin_replicas: 2\nresources: {}\n")
	w.converge()
	ids := w.ids("app:v1")
	if err := w.fake.StopByHand(ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := w.fake.RemoveByHand(ids[1]); err != nil {
		t.Fatal(err)
	}
	w.converge()
	diff(t, "healed", []string{"app-v1-1 running", "app-v1-2 running"}, w.containers("app:v1"))
	if got := w.ids("app:v1"); !contains(got, ids[0]) {
		t.Errorf("the stopped container was replaced instead of started: %v", got)
	}
}

func TestSpecChangeRollsOneAtATimeStartFirst(t *testing.T) {
	w := newWorld(t, "app:v1")
	w.write("app.yaml", "image: app:v1\nmin_replicas: 2\nports: {\"80\": 0}\nresources: {}\n")
	w.converge()
	w.write("app.yaml", "image: app:v1\nmin_replicas: 2\nports: {\"80\": 0}\nenv: {A: b}\nresources: {}\n")
	var running []int
	for i := 0; i < 20; i++ {
		res := w.pass()
		cs := w.containers("app:v1")
		n := 0
		for _, c := range cs {
			if strings.HasSuffix(c, "running") {
				n++
			}
		}
		running = append(running, n)
		if len(res.Done) == 0 {
			break
		}
	}
	diff(t, "running count after each pass (never below 2, never above 3)", []int{3, 2, 3, 2, 2}, running)
}

func TestBadFileKeepsItsContainers(t *testing.T) {
	w := newWorld(t, "app:v1", "other:v1")
	w.write("app.yaml", "image: app:v1\nmin_replicas: 2\nresources: {}\n")
	w.converge()
	w.write("app.yaml", "image: app:v1\nmin_replicas: 2\nresources: {memory: 12q}\n")
	w.write("other.yaml", "image: other:v1\nresources: {}\n")
	w.converge()
	diff(t, "bad file's containers kept", []string{"app-v1-1 running", "app-v1-2 running"}, w.containers("app:v1"))
	diff(t, "good file applied", []string{"other-v1-1 running"}, w.containers("other:v1"))
	st := w.status("app:v1")
	if st.Health != reconciler.Degraded || !strings.Contains(st.LastError, `app.yaml:3: resources.memory: "12q" is not a size`) {
		t.Errorf("status = %+v, want Degraded with the file:line error", st)
	}
	// A file that does not parse at all prunes nothing, even of deleted specs.
	w.write("app.yaml", "image: [broken\n")
	w.remove("other.yaml")
	w.converge()
	diff(t, "nothing pruned while a file does not parse", []string{"other-v1-1 running"}, w.containers("other:v1"))
}

func TestEmptyOrMissingRootRemovesNothing(t *testing.T) {
	w := newWorld(t, "app:v1")
	w.write("app.yaml", "image: app:v1\nresources: {}\n")
	w.converge()
	w.remove("app.yaml")
	w.remove("keep.yaml")
	res := w.pass()
	if res.Err == nil || !strings.Contains(res.Err.Error(), "holds no specs") {
		t.Errorf("pass error = %v, want 'holds no specs'", res.Err)
	}
	diff(t, "empty root", []string{"app-v1-1 running"}, w.containers("app:v1"))
	if err := os.RemoveAll(w.root); err != nil {
		t.Fatal(err)
	}
	res = w.pass()
	if !errors.Is(res.Err, spec.ErrRootMissing) {
		t.Errorf("pass error = %v, want ErrRootMissing", res.Err)
	}
	diff(t, "vanished root", []string{"app-v1-1 running"}, w.containers("app:v1"))
}

func TestAllowEmptyPrunes(t *testing.T) {
	root := t.TempDir()
	fake := rt.NewFake("app:v1")
	r := reconciler.New(spec.NewDir(root, spec.Options{}), fake, reconciler.Options{AllowEmpty: true})
	os.WriteFile(filepath.Join(root, "app.yaml"), []byte("image: app:v1\nresources: {}\n"), 0o644)
	r.Pass(context.Background())
	os.Remove(filepath.Join(root, "app.yaml"))
	r.Pass(context.Background())
	if cs, _ := fake.List(context.Background()); len(cs) != 0 {
		t.Errorf("with AllowEmpty an empty directory prunes: %d left", len(cs))
	}
}

func TestMissingImageBacksOffWithoutBlockingOthers(t *testing.T) {
	w := newWorld(t, "app:v1")
	w.write("ghost.yaml", "image: ghost:v1\nresources: {}\n")
	w.write("app.yaml", "image: app:v1\nresources: {}\n")
	w.pass() // starts the pull in the background, and creates app at once
	diff(t, "others unaffected", []string{"app-v1-1 running"}, w.containers("app:v1"))
	// The pull fails in the background; a later pass reports it.
	rt.Eventually(t, 5*time.Second, "ghost:v1 Missing", func() (bool, string) {
		w.pass()
		st := w.status("ghost:v1")
		return st.Health == reconciler.Missing && strings.Contains(st.LastError, "image ghost:v1 not found locally and pull failed"), fmt.Sprintf("%+v", st)
	})
	// Within the backoff (5ms, 10ms, ...) a pass does not try again.
	pulls := w.fake.Calls("pull")
	w.r.Pass(context.Background()) // same instant: still backing off
	if got := w.fake.Calls("pull"); got != pulls {
		t.Errorf("pulled again during backoff: %d pulls, want %d", got, pulls)
	}
	w.pass() // a second later: the backoff has passed, a new pull starts
	rt.Eventually(t, 5*time.Second, "a second pull", func() (bool, string) {
		return w.fake.Calls("pull") == pulls+1, fmt.Sprint(w.fake.Calls("pull"), " pulls")
	})
	w.fake.AddImage("ghost:v1")
	rt.Eventually(t, 5*time.Second, "ghost:v1 Healthy", func() (bool, string) {
		w.pass()
		st := w.status("ghost:v1")
		return st.Health == reconciler.Healthy && st.LastError == "", fmt.Sprintf("%+v", st)
	})
}

func TestOtherContainersAreNeverTouched(t *testing.T) {
	w := newWorld(t, "app:v1")
	id := w.fake.AddUnmanaged("app-v1-1", "app:v1") // even the name we would pick
	w.write("app.yaml", "image: app:v1\nresources: {}\n")
	w.converge()
	if w.fake.State(id) != "running" {
		t.Errorf("unmanaged container touched: %q", w.fake.State(id))
	}
	got := w.containers("app:v1")
	if len(got) != 1 || !strings.HasSuffix(got[0], " running") || got[0] == "app-v1-1 running" {
		t.Errorf("managed containers = %v, want one running under another name", got)
	}
}

func TestTagBumpStartsNewBeforeRemovingOld(t *testing.T) {
	w := newWorld(t, "app:v1", "app:v2")
	w.write("app.yaml", "image: app:v1\nmin_replicas: 2\nresources: {}\n")
	w.converge()
	w.write("app.yaml", "image: app:v2\nmin_replicas: 2\nresources: {}\n")
	w.pass()
	diff(t, "first pass: v2 up, v1 still there", []string{"app-v1-1 running", "app-v1-2 running"}, w.containers("app:v1"))
	diff(t, "first pass: v2", []string{"app-v2-1 running", "app-v2-2 running"}, w.containers("app:v2"))
	w.converge()
	diff(t, "then v1 goes", []string(nil), w.containers("app:v1"))
}

func TestRestartAdoptsWithoutDuplicates(t *testing.T) {
	w := newWorld(t, "app:v1")
	w.write("app.yaml", "image: app:v1\nmin_replicas: 3\nresources: {}\n")
	// A half-done pass: one container created but never started.
	_, err := w.fake.Create(context.Background(), engine.Config{Name: "app-v1-1", Image: "app:v1", Labels: labelsFor(t, w.root, "app:v1", 1)})
	if err != nil {
		t.Fatal(err)
	}
	// A new reconciler over the same engine: nothing in memory.
	w.r = reconciler.New(spec.NewDir(w.root, spec.Options{HostCPUs: 4}), w.fake, reconciler.Options{Now: func() time.Time { return w.now }, MinReady: time.Second})
	w.converge()
	diff(t, "adopted", []string{"app-v1-1 running", "app-v1-2 running", "app-v1-3 running"}, w.containers("app:v1"))
}

// labelsFor are the labels the reconciler itself would put on slot n.
func labelsFor(t *testing.T, root, image string, n int) map[string]string {
	snap, err := spec.NewDir(root, spec.Options{HostCPUs: 4}).Load()
	if err != nil {
		t.Fatal(err)
	}
	e, ok := snap.Get(image)
	if !ok {
		t.Fatalf("no spec for %s", image)
	}
	return map[string]string{
		engine.LabelImage: image, engine.LabelSpecHash: e.Spec.Hash(),
		engine.LabelManagedBy: engine.ManagedBy, engine.LabelSlot: fmt.Sprint(n),
	}
}

// TestRunWakesOnEngineEvents checks the loop, not a single pass: with the
// resync an hour away, only the engine's event can bring the replacement.
func TestRunWakesOnEngineEvents(t *testing.T) {
	root := t.TempDir()
	fake := rt.NewFake("app:v1")
	os.WriteFile(filepath.Join(root, "app.yaml"), []byte("image: app:v1\nmin_replicas: 2\nresources: {}\n"), 0o644)
	r := reconciler.New(spec.NewDir(root, spec.Options{}), fake, reconciler.Options{Resync: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, nil) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	running := func() (bool, string) {
		cs, _ := fake.List(context.Background())
		n := 0
		for _, c := range cs {
			if c.State == "running" {
				n++
			}
		}
		return n == 2, fmt.Sprintf("%d running", n)
	}
	rt.Eventually(t, 5*time.Second, "two replicas", running)
	cs, _ := fake.List(context.Background())
	fake.RemoveByHand(cs[0].ID)
	rt.Eventually(t, 5*time.Second, "replaced after docker rm", running)
	if _, err := r.WaitPass(ctx); err != nil {
		t.Fatal(err)
	}
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}
