package watcher

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/google/go-cmp/cmp"
)

// syncBuffer collects the watcher's log; it is written from the watcher's
// goroutine and read from the test's.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testOptions are short timings, so that the tests are quick, and a logger
// whose output is shown when the test fails.
func testOptions(t *testing.T) (Options, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("watcher log:\n%s", logs.String())
		}
	})
	return Options{
		Debounce:     20 * time.Millisecond,
		MaxDelay:     200 * time.Millisecond,
		PollInterval: 50 * time.Millisecond,
		RootPoll:     20 * time.Millisecond,
		Logger:       slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}, logs
}

// start runs a watcher of root until the test ends, and waits until its
// watches are in place. prepare, when not nil, sees the watcher before Run.
func start(t *testing.T, root string, opts Options, prepare func(*Watcher)) *Watcher {
	t.Helper()
	w := New(root, opts)
	if prepare != nil {
		prepare(w)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("Run did not return within 5s of cancel")
		}
	})
	select {
	case <-w.ready:
	case err := <-done:
		t.Fatalf("Run returned before it was ready: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("watcher not ready within 5s")
	}
	return w
}

// waitChange fails the test unless a change arrives within timeout.
func waitChange(t *testing.T, w *Watcher, timeout time.Duration) {
	t.Helper()
	select {
	case <-w.Changes():
	case <-time.After(timeout):
		t.Fatalf("no change within %v", timeout)
	}
}

// A probe runs what Run runs besides the debouncer, the event loop
// (w.watch: inotify, or polling after a fallback), with a debouncer of the
// test's own that is not running: every kick of the loop stays in d.kicks
// (capacity 1, kicks coalesce) until the test takes it. The tests of what
// does and does not count as a change work on kicks, not on signals:
//   - a kick is what the loop decides, before any timer: "no kick" can be
//     checked at an instant, where "no signal" could only be observed over a
//     waiting window (the debouncer signals up to MaxDelay after a kick);
//   - no kick means no signal: the debouncer only signals a batch that a
//     kick started (TestDebounceSignalsOnlyAfterKicks), and its timing is
//     tested in virtual time (debounce_test.go).
//
// What the loop has not decided yet cannot be told from "no kick", so every
// "nothing happened" check first waits for the barrier of sync.
type probe struct {
	w        *Watcher
	d        *debouncer
	fsw      atomic.Pointer[fsnotify.Watcher] // the loop's inotify instance, seen by the addWatch hook
	syncBase string                           // sync's directories, outside any watched tree
	syncs    int
	ctx      context.Context
	wg       sync.WaitGroup
}

// startProbe runs the event loop of a watcher of root until the test ends,
// and waits until its watches are in place. prepare, when not nil, sees the
// watcher before the loop starts.
func startProbe(t *testing.T, root string, opts Options, prepare func(*Watcher)) *probe {
	t.Helper()
	w := New(root, opts)
	if prepare != nil {
		prepare(w)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	p := &probe{
		w:        w,
		d:        newDebouncer(w.opts.Settle, w.opts.Debounce, w.opts.MaxDelay, w.changes, w.log),
		syncBase: t.TempDir(), // made before the loop starts: no event for it in the root's parent
	}
	add := w.addWatch
	w.addWatch = func(fsw *fsnotify.Watcher, path string) error {
		p.fsw.Store(fsw)
		return add(fsw, path)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.ctx = ctx
	p.wg.Go(func() { w.watch(ctx, abs, p.d) }) // returns only when ctx is done
	t.Cleanup(func() {
		cancel()
		done := make(chan struct{})
		go func() { p.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Errorf("event loop did not return within 5s of cancel")
		}
	})
	select {
	case <-w.ready:
	case <-time.After(5 * time.Second):
		t.Fatal("watcher not ready within 5s")
	}
	return p
}

// waitKick fails the test unless the loop kicks within timeout.
func (p *probe) waitKick(t *testing.T) {
	t.Helper()
	select {
	case <-p.d.kicks:
	case <-time.After(timeout):
		t.Fatalf("no change noticed within %v", timeout)
	}
}

// sync returns once the loop has handled every event that was queued before
// the call, through the end of the loop iteration that took it: whatever
// those events make the loop do, a kick included, is done.
//
// It waits for no quiet period; it relies on the order that inotify,
// fsnotify and the loop (notify.go) keep:
//  1. inotify queues the events of one instance in order, and fsnotify's
//     reading goroutine hands them on in that order over Events, which is
//     unbuffered: its send of an event returns once the loop has received it;
//  2. fsnotify deals with a raw event (for IN_MOVE_SELF: it drops the watch,
//     under the lock that WatchList takes) only after the send of the event
//     before it returned;
//  3. the loop is one goroutine, and one iteration (batch, checkRoot,
//     syncWatches, kick) takes at most 1+maxBatch events.
//
// sync adds a watch on a fresh directory to the loop's own inotify instance,
// makes more than maxBatch events in it, and renames it. The loop counts
// none of these (classify: the directory is neither in the tree nor the
// parent of the root), so sync itself never kicks. Once the watch is gone
// from WatchList, fsnotify has read the rename (2), so the loop has
// received the last event before it (1). More than maxBatch events came
// between that one and any event from before the call, so no iteration took
// both (3): the iterations that took those are over.
//
// sync needs the inotify loop: it fails the test if the loop has fallen back
// to polling.
func (p *probe) sync(t *testing.T) {
	t.Helper()
	fsw := p.fsw.Load()
	if fsw == nil {
		t.Fatal("sync: no inotify instance")
	}
	p.syncs++
	dir := filepath.Join(p.syncBase, fmt.Sprintf("sync-%d", p.syncs))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := fsw.Add(dir); err != nil {
		t.Fatalf("sync: watching %s: %v", dir, err)
	}
	// Chmods that alternate between two files: inotify merges an event only
	// into an identical one right before it, so each makes an event.
	files := [2]string{filepath.Join(dir, "a"), filepath.Join(dir, "b")}
	for _, f := range files {
		writeFile(t, f, "")
	}
	for i := range maxBatch + 1 {
		mode := os.FileMode(0o600)
		if (i/2)%2 == 1 {
			mode = 0o644
		}
		if err := os.Chmod(files[i%2], mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Rename(dir, dir+"-done"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		watched := fsw.WatchList()
		if watched == nil {
			t.Fatal("sync: the inotify instance is closed (fell back to polling?)")
		}
		if !slices.Contains(watched, dir) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("sync: the event loop did not take its events within 5s")
		}
		time.Sleep(time.Millisecond) // polling fsnotify's watch list, bounded by the deadline
	}
}

// settle waits for the loop to handle everything done so far (sync) and
// drops the kicks that caused, so that the next kick can only come from what
// the test does next.
func (p *probe) settle(t *testing.T) {
	t.Helper()
	p.sync(t)
	select {
	case <-p.d.kicks:
	default:
	}
}

// expectNoKick fails the test if what it did since the last settle (or the
// start) made the loop kick: after sync, every kick it caused would be
// waiting in d.kicks.
func (p *probe) expectNoKick(t *testing.T) {
	t.Helper()
	p.sync(t)
	select {
	case <-p.d.kicks:
		t.Fatal("change noticed, want none")
	default:
	}
}

// armReady makes w.ready a new, open channel and returns it. The loop
// closes w.ready once more when it falls back to polling, right after the
// polling baseline is taken: changes made after that are compared with it.
//
// Call it while the loop is in its inotify run, and sync (or settle)
// before the change that makes it fall back. That orders this write before
// the loop's next read of w.ready: sync takes fsnotify's lock after it, and
// the loop reads only after it received sync's events, which fsnotify
// handled under that lock later.
func (p *probe) armReady() <-chan struct{} {
	p.w.ready = make(chan struct{})
	p.w.readyOnce = sync.Once{}
	return p.w.ready
}

// runDebouncer runs the probe's debouncer too, so that it signals on
// Changes as in Run, with a logger that holds it inside its first signal:
// after the batch is closed, before the signal is sent. parked is closed
// when it gets there; release lets it go on (later signals do not stop).
func (p *probe) runDebouncer(t *testing.T) (parked <-chan struct{}, release func()) {
	t.Helper()
	h := &parkHandler{Handler: p.w.log.Handler(), parked: make(chan struct{}), release: make(chan struct{})}
	p.d.log = slog.New(h)
	var once sync.Once
	release = func() { once.Do(func() { close(h.release) }) }
	t.Cleanup(release) // before the probe's cleanup waits for the debouncer
	p.wg.Go(func() { p.d.run(p.ctx) })
	return h.parked, release
}

// parkHandler passes records on, and holds the first "changes signalled"
// record (debounce.go's emit logs it before it sends the signal) until
// release is closed. (The debouncer logs with inline attributes only, so
// WithAttrs and WithGroup need not keep the hold.)
type parkHandler struct {
	slog.Handler
	parked  chan struct{}
	release chan struct{}
	once    sync.Once
}

func (h *parkHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "changes signalled" {
		h.once.Do(func() {
			close(h.parked)
			<-h.release
		})
	}
	return h.Handler.Handle(ctx, r)
}

// A polled is a watcher run by Run inside a testing/synctest bubble. Polling
// needs nothing but timers and stat, so time is virtual: a poll or a debounce
// period takes no real time, and what a check finds does not depend on how
// busy the machine is.
type polled struct {
	w    *Watcher
	logs *syncBuffer
	wait time.Duration // long enough for a poll to see a change and its batch to be signalled
	seen int           // batches signalled so far
}

// startPolled runs a watcher of root in the current bubble until the test
// ends, and waits until it is ready (for polling: the baseline is taken).
// The watcher must poll from the start (ForcePolling, or inotify failing
// before it is ready): while fsnotify's reading goroutine waits on I/O,
// virtual time cannot move.
func startPolled(t *testing.T, root string, opts Options, logs *syncBuffer, prepare func(*Watcher)) *polled {
	t.Helper()
	w := New(root, opts)
	if prepare != nil {
		prepare(w)
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(t.Context()) }()
	t.Cleanup(func() {
		// t.Context is done when cleanups run: Run returns.
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	select {
	case <-w.ready:
	case err := <-done:
		t.Fatalf("Run returned before it was ready: %v", err)
	}
	o := w.opts
	return &polled{w: w, logs: logs, wait: 4*max(o.PollInterval, o.RootPoll) + o.MaxDelay}
}

// expect lets virtual time run on for several polls and a whole MaxDelay,
// and checks that exactly want batches were signalled meanwhile, counting
// the debouncer's debug lines, one per batch (Changes coalesces); it takes
// the signal, if any, from Changes. Virtual time moves only while every
// goroutine in the bubble is blocked, so no poll falls in the middle of what
// the test did before, and every timer that is due has fired: the count is
// exact, "nothing" included.
func (pw *polled) expect(t *testing.T, want int) {
	t.Helper()
	time.Sleep(pw.wait)
	synctest.Wait()
	total := strings.Count(pw.logs.String(), "changes signalled")
	got := total - pw.seen
	pw.seen = total
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("batches signalled in %v of virtual time (-want +got):\n%s", pw.wait, diff)
	}
	select {
	case <-pw.w.Changes():
		if want == 0 {
			t.Fatal("signal on Changes without a batch")
		}
	default:
		if want > 0 {
			t.Fatal("batch signalled but nothing on Changes")
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func specYAML(image string) string {
	return "image: " + image + "\nresources: {cpu: 100m, memory: 64m}\n"
}

func mustLog(t *testing.T, logs *syncBuffer, msg string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logs.String(), msg) {
		if time.Now().After(deadline) {
			t.Fatalf("log has no %q", msg)
		}
		time.Sleep(5 * time.Millisecond) // polling the log with a deadline
	}
}
