package watcher

import (
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/google/go-cmp/cmp"
)

// Going back to inotify once it can be had again. The switch itself needs
// real inotify, so those tests wait with deadlines; what polling does
// meanwhile (when it retries) runs in virtual time.

// instanceGate makes inotify instances fail, as they do when
// fs.inotify.max_user_instances is reached, until it is opened.
type instanceGate struct {
	open     atomic.Bool
	attempts atomic.Int32
}

func (g *instanceGate) prepare(w *Watcher) {
	w.newFSWatcher = func() (*fsnotify.Watcher, error) {
		g.attempts.Add(1)
		if !g.open.Load() {
			return nil, syscall.EMFILE
		}
		return fsnotify.NewWatcher()
	}
}

// waitAttempts waits until the watcher tried n times to make an instance.
func (g *instanceGate) waitAttempts(t *testing.T, n int32) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for g.attempts.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d attempts at inotify within %v, want %d", g.attempts.Load(), timeout, n)
		}
		time.Sleep(5 * time.Millisecond) // polling the count, bounded by the deadline
	}
}

// expectNotifyKick checks that the inotify loop itself noticed what the test
// just did: after sync, the loop has handled every event made so far, and a
// kick from polling could only come later (polling has stopped anyway).
func (p *probe) expectNotifyKick(t *testing.T) {
	t.Helper()
	p.sync(t)
	select {
	case <-p.d.kicks:
	default:
		t.Fatal("the inotify loop did not notice the change")
	}
}

func TestBackToInotifyWhenInstancesAreAvailableAgain(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	opts, logs := testOptions(t)
	gate := &instanceGate{}
	p := startProbe(t, root, opts, gate.prepare) // ready: polling from the start
	mustLog(t, logs, "inotify unavailable, polling")
	p.waitKick(t) // the fallback's own

	// Polling sees changes meanwhile.
	writeFile(t, filepath.Join(root, "web.yaml"), specYAML("web:1"))
	p.waitKick(t)

	// It keeps trying inotify, and goes back to it as soon as it works.
	gate.waitAttempts(t, 3) // the start and two retries, all failed
	gate.open.Store(true)
	mustLog(t, logs, "inotify available again, stopped polling")
	p.waitKick(t) // the switch's own: what changed during the switch is read
	p.settle(t)   // fails unless the inotify loop runs on the new instance

	writeFile(t, filepath.Join(root, "web.yaml"), specYAML("web:2"))
	p.expectNotifyKick(t)
	writeFile(t, filepath.Join(root, "sub", "api.yaml"), specYAML("api:1"))
	p.expectNotifyKick(t)
}

func TestBackToInotifyWhenWatchesAreAvailableAgain(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	deep := filepath.Join(root, "deep", "api.yaml")
	writeFile(t, deep, specYAML("api:1"))
	opts, logs := testOptions(t)
	// fs.inotify.max_user_watches is reached: the tree's last directory
	// cannot be watched, until another program frees watches.
	var full atomic.Bool
	full.Store(true)
	p := startProbe(t, root, opts, func(w *Watcher) {
		w.addWatch = func(fsw *fsnotify.Watcher, path string) error {
			if full.Load() && strings.HasSuffix(path, "deep") {
				return syscall.ENOSPC
			}
			return fsw.Add(path)
		}
	})
	mustLog(t, logs, "inotify unavailable, polling")
	p.waitKick(t) // the fallback's own

	full.Store(false)
	mustLog(t, logs, "inotify available again, stopped polling")
	p.waitKick(t) // the switch's own
	p.settle(t)

	// The directory that could not be watched is watched now.
	writeFile(t, deep, specYAML("api:2"))
	p.expectNotifyKick(t)
}

func TestBackToInotifyAfterInotifyFailedLater(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	opts, logs := testOptions(t)
	var full atomic.Bool
	p := startProbe(t, root, opts, func(w *Watcher) {
		w.addWatch = func(fsw *fsnotify.Watcher, path string) error {
			if full.Load() && strings.HasSuffix(path, "deep") {
				return syscall.ENOSPC
			}
			return fsw.Add(path)
		}
	})
	// inotify works, until a new directory cannot be watched.
	full.Store(true)
	writeFile(t, filepath.Join(root, "deep", "api.yaml"), specYAML("api:1"))
	p.waitKick(t)
	mustLog(t, logs, "inotify unavailable, polling")

	full.Store(false)
	mustLog(t, logs, "inotify available again, stopped polling")
	p.waitKick(t)
	p.settle(t)
	writeFile(t, filepath.Join(root, "deep", "api.yaml"), specYAML("api:2"))
	p.expectNotifyKick(t)
}

// While inotify stays unavailable, the attempts to go back to it are spaced
// out: PollInterval, then twice as long each time. Nothing but timers and
// stat runs (no instance is ever made), so time is virtual, the times are
// exact, and the bubble checks that Run's goroutines all end.
func TestRetriesOfInotifyBackOff(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		root := t.TempDir()
		opts, logs := testOptions(t) // PollInterval 50ms
		var (
			mu sync.Mutex
			at []time.Duration
		)
		begin := time.Now()
		pw := startPolled(t, root, opts, logs, func(w *Watcher) {
			w.newFSWatcher = func() (*fsnotify.Watcher, error) {
				mu.Lock()
				defer mu.Unlock()
				at = append(at, time.Since(begin))
				return nil, syscall.EMFILE
			}
		})
		pw.expect(t, 1) // the fallback's own signal; failed attempts signal nothing

		time.Sleep(2*time.Second - time.Since(begin))
		synctest.Wait()
		ms := time.Millisecond
		want := []time.Duration{0, 50 * ms, 150 * ms, 350 * ms, 750 * ms, 1550 * ms}
		mu.Lock()
		got := slices.Clone(at)
		mu.Unlock()
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("attempts at inotify (-want +got):\n%s", diff)
		}
		if strings.Contains(logs.String(), "inotify available again") {
			t.Fatal("switched back to inotify, which never worked")
		}

		// Polling goes on meanwhile.
		writeFile(t, filepath.Join(root, "web.yaml"), specYAML("web:1"))
		pw.expect(t, 1)
	})
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	b := &backoff{first: 50 * ms, max: 300 * ms}
	var got []time.Duration
	for range 5 {
		got = append(got, b.next())
	}
	b.reset()
	got = append(got, b.next())
	want := []time.Duration{50 * ms, 100 * ms, 200 * ms, 300 * ms, 300 * ms, 50 * ms}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("waits (-want +got):\n%s", diff)
	}
}
