package watcher

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
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

// expectNoChange fails the test if a change arrives within d. Absence can
// only be observed over a window; d is several debounce periods.
func expectNoChange(t *testing.T, w *Watcher, d time.Duration) {
	t.Helper()
	select {
	case <-w.Changes():
		t.Fatalf("unexpected change within %v", d)
	case <-time.After(d):
	}
}

// settle swallows changes until none came for quiet (longer than MaxDelay),
// so that a test starts its next step from a calm watcher.
func settle(t *testing.T, w *Watcher, quiet time.Duration) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-w.Changes():
		case <-time.After(quiet):
			return
		}
	}
	t.Fatal("changes did not stop within 10s")
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
