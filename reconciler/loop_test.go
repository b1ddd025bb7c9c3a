package reconciler_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/reconciler"
	"github.com/orchestrator/orchestrator/reconciler/engine"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
	"github.com/orchestrator/orchestrator/spec"
)

// runLoop runs a reconciler's loop until the test ends.
func runLoop(t *testing.T, r *reconciler.Reconciler, changes <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, changes) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func countRunning(f *rt.Fake, image string) int {
	cs, _ := f.List(context.Background())
	n := 0
	for _, c := range cs {
		if c.Image == image && c.State == "running" {
			n++
		}
	}
	return n
}

func TestParallelismBoundsEngineCalls(t *testing.T) {
	for _, par := range []int{1, 4} {
		t.Run(fmt.Sprint("parallelism=", par), func(t *testing.T) {
			root := t.TempDir()
			os.WriteFile(filepath.Join(root, "app.yaml"), []byte("image: app:v1\nmin_replicas: 12\nmax_replicas: 12\nresources: {}\n"), 0o644)
			fake := rt.NewFake("app:v1")
			fake.SetDelay(20 * time.Millisecond)
			r := reconciler.New(spec.NewDir(root, spec.Options{}), fake, reconciler.Options{Parallelism: par})
			r.Pass(context.Background())
			if got := countRunning(fake, "app:v1"); got != 12 {
				t.Fatalf("%d running, want 12", got)
			}
			if peak := fake.PeakInFlight(); peak != par {
				t.Errorf("peak engine calls in flight = %d, want %d", peak, par)
			}
		})
	}
}

// passCounter is an Observer that counts passes.
type passCounter struct {
	mu     sync.Mutex
	passes int
}

func (p *passCounter) PassDone(reconciler.PassResult, time.Duration, []reconciler.Status) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.passes++
}

func (p *passCounter) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.passes
}

func TestWakeUpsCoalesceAndPassesNeverOverlap(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "app.yaml"), []byte("image: app:v1\nmin_replicas: 4\nresources: {}\n"), 0o644)
	fake := rt.NewFake("app:v1")
	fake.SetDelay(50 * time.Millisecond)     // the first pass takes a while
	fake.SetListDelay(20 * time.Millisecond) // and so does every other
	obs := &passCounter{}
	r := reconciler.New(spec.NewDir(root, spec.Options{}), fake, reconciler.Options{Resync: time.Hour, Observer: obs})
	runLoop(t, r, nil)
	rt.Eventually(t, 5*time.Second, "first pass", func() (bool, string) { return obs.count() >= 1, "" })
	before := obs.count()
	var wg sync.WaitGroup
	for i := 0; i < 200; i++ { // a storm of wake-ups from many goroutines
		wg.Add(1)
		go func() { defer wg.Done(); r.Trigger() }()
	}
	wg.Wait()
	if _, err := r.WaitPass(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := obs.count() - before; got > 10 {
		t.Errorf("200 wake-ups gave %d passes, want them coalesced into a few", got)
	}
	if peak := fake.PeakInFlight(); peak > 4 {
		t.Errorf("peak engine calls %d: passes overlapped or the bound was broken", peak)
	}
}

// An engine event wakes a pass over the last directory read: a file removed
// half-way through a git checkout, with no watcher signal yet, prunes
// nothing. The watcher's signal then makes the pass read the directory.
func TestEngineEventsDoNotRereadTheDirectory(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "keep.yaml"), []byte("image: keep:v1\nresources: {}\n"), 0o644)
	os.WriteFile(filepath.Join(root, "app.yaml"), []byte("image: app:v1\nmin_replicas: 2\nresources: {}\n"), 0o644)
	fake := rt.NewFake("app:v1", "keep:v1")
	changes := make(chan struct{}, 1)
	r := reconciler.New(spec.NewDir(root, spec.Options{}), fake, reconciler.Options{Resync: time.Hour})
	runLoop(t, r, changes)
	rt.Eventually(t, 5*time.Second, "2 running", func() (bool, string) { return countRunning(fake, "app:v1") == 2, "" })

	os.Remove(filepath.Join(root, "app.yaml")) // mid-checkout: the watcher has not spoken yet
	cs, _ := fake.List(context.Background())
	for _, c := range cs {
		if c.Image == "app:v1" {
			fake.StopByHand(c.ID) // an engine event
			break
		}
	}
	rt.Eventually(t, 5*time.Second, "healed from the last read, not pruned", func() (bool, string) {
		return countRunning(fake, "app:v1") == 2, fmt.Sprint(countRunning(fake, "app:v1"), " running")
	})
	changes <- struct{}{} // the watcher's debounced signal
	rt.Eventually(t, 5*time.Second, "pruned after the watcher's signal", func() (bool, string) {
		return countRunning(fake, "app:v1") == 0, fmt.Sprint(countRunning(fake, "app:v1"), " running")
	})
}

// After a restart, a spec whose file is broken has no last good version,
// but its error is in the status, with file:line, and its containers stay.
func TestBrokenFileAfterRestartIsInStatus(t *testing.T) {
	w := newWorld(t, "app:v1")
	w.write("app.yaml", "image: app:v1\nmin_replicas: 2\nresources: {}\n")
	w.converge()
	w.write("app.yaml", "image: app:v1\nmin_replicas: 2\nresources: {memory: 12q}\n")
	w.write("junk.yaml", "image: [broken\n")
	w.r = reconciler.New(spec.NewDir(w.root, spec.Options{HostCPUs: 4}), w.fake, reconciler.Options{Now: func() time.Time { return w.now }})
	w.converge()
	st := w.status("app:v1")
	if st.Health != reconciler.Degraded || !strings.Contains(st.LastError, `app.yaml:3: resources.memory: "12q" is not a size`) || st.Source != "app.yaml:1" {
		t.Errorf("status = %+v, want Degraded with the file:line error", st)
	}
	errs := strings.Join(w.r.Errors(), "\n")
	if !strings.Contains(errs, "junk.yaml:1: invalid YAML") || !strings.Contains(errs, "app.yaml:3") {
		t.Errorf("Errors() = %q, want every file's errors", errs)
	}
	if got := w.containers("app:v1"); len(got) != 2 {
		t.Errorf("containers = %v, want both kept", got)
	}
}

// engineLog is an EngineObserver that keeps the events it hears, and an
// Observer that keeps the reported actions.
type engineLog struct {
	mu     sync.Mutex
	events []string
	done   []reconciler.Done
}

func (l *engineLog) EngineEvent(ev engine.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, ev.Image+" "+ev.Action)
}

func (l *engineLog) PassDone(res reconciler.PassResult, _ time.Duration, _ []reconciler.Status) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.done = append(l.done, res.Done...)
}

// The loop hands every engine event it reads to the EngineObserver, and
// each reported action says when it ended.
func TestLoopShowsEngineEventsAndWhenActionsEnded(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "app.yaml"), []byte("image: app:v1\nresources: {}\n"), 0o644)
	fake := rt.NewFake("app:v1")
	obs := &engineLog{}
	began := time.Now()
	r := reconciler.New(spec.NewDir(root, spec.Options{}), fake, reconciler.Options{Resync: time.Hour, Observer: obs, EngineObserver: obs})
	runLoop(t, r, nil)
	rt.Eventually(t, 5*time.Second, "the create reported, its create and start events heard", func() (bool, string) {
		obs.mu.Lock()
		defer obs.mu.Unlock()
		state := fmt.Sprint(obs.events, " ", len(obs.done), " done")
		return len(obs.done) == 1 && slices.Contains(obs.events, "app:v1 create") && slices.Contains(obs.events, "app:v1 start"), state
	})
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if d := obs.done[0]; d.Kind != reconciler.KindCreate || !d.OK || d.Ended.Before(began) || d.Ended.After(time.Now()) {
		t.Errorf("reported %+v, want an ok create that ended during the test", d)
	}
}
