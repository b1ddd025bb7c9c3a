package watcher

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/fsnotify/fsnotify"
)

func TestForcePolling(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	v1, v2 := filepath.Join(base, "rev-1"), filepath.Join(base, "rev-2")
	writeFile(t, filepath.Join(v1, "web.yaml"), specYAML("web:1"))
	writeFile(t, filepath.Join(v2, "web.yaml"), specYAML("web:1")) // same content, other files
	root := filepath.Join(base, "current")
	if err := os.Symlink("rev-1", root); err != nil {
		t.Fatal(err)
	}
	opts, _ := testOptions(t)
	opts.ForcePolling = true
	w := start(t, root, opts, nil)

	writeFile(t, filepath.Join(v1, "api.yaml"), specYAML("api:1"))
	waitChange(t, w, timeout)
	settle(t, w, 2*opts.MaxDelay)

	writeFile(t, filepath.Join(v1, "sub", "db.yaml"), specYAML("db:1"))
	waitChange(t, w, timeout)
	settle(t, w, 2*opts.MaxDelay)

	if err := os.Remove(filepath.Join(v1, "api.yaml")); err != nil {
		t.Fatal(err)
	}
	waitChange(t, w, timeout)
	settle(t, w, 2*opts.MaxDelay)

	// Ignored files are not in the fingerprint.
	writeFile(t, filepath.Join(v1, ".orchestrator-1.tmp"), "x")
	writeFile(t, filepath.Join(v1, "notes.txt"), "x")
	expectNoChange(t, w, 4*opts.PollInterval)

	swapLink(t, "rev-2", root)
	waitChange(t, w, timeout)
	settle(t, w, 2*opts.MaxDelay)

	// The root vanishing and coming back are both changes.
	if err := os.Remove(root); err != nil {
		t.Fatal(err)
	}
	waitChange(t, w, timeout)
	settle(t, w, 2*opts.MaxDelay)
	if err := os.Symlink("rev-1", root); err != nil {
		t.Fatal(err)
	}
	waitChange(t, w, timeout)
}

// failAdd makes adding an inotify watch fail as it does when
// fs.inotify.max_user_watches is exhausted, for paths that match.
func failAdd(match func(string) bool) func(*Watcher) {
	return func(w *Watcher) {
		w.addWatch = func(fsw *fsnotify.Watcher, path string) error {
			if match(path) {
				return syscall.ENOSPC
			}
			return fsw.Add(path)
		}
	}
}

func TestFallbackToPollingWhenInotifyFailsAtStart(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	opts, logs := testOptions(t)
	w := start(t, root, opts, failAdd(func(string) bool { return true }))
	mustLog(t, logs, "inotify unavailable, polling")
	settle(t, w, 2*opts.MaxDelay) // the fallback itself announces a change

	writeFile(t, filepath.Join(root, "web.yaml"), specYAML("web:1"))
	waitChange(t, w, timeout)
}

func TestFallbackToPollingWhenInotifyFailsLater(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	opts, logs := testOptions(t)
	w := start(t, root, opts, failAdd(func(p string) bool { return strings.Contains(p, "deep") }))

	// inotify works until the directory whose watch cannot be added.
	writeFile(t, filepath.Join(root, "web.yaml"), specYAML("web:1"))
	waitChange(t, w, timeout)
	settle(t, w, 2*opts.MaxDelay)
	if strings.Contains(logs.String(), "inotify unavailable") {
		t.Fatal("fell back to polling too early")
	}

	writeFile(t, filepath.Join(root, "deep", "api.yaml"), specYAML("api:1"))
	waitChange(t, w, timeout)
	mustLog(t, logs, "inotify unavailable, polling")
	settle(t, w, 2*opts.MaxDelay)

	// Polling sees what inotify could not.
	writeFile(t, filepath.Join(root, "deep", "api.yaml"), specYAML("api:22"))
	waitChange(t, w, timeout)
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	if err := New("", Options{}).Run(context.Background()); err == nil {
		t.Error("Run with an empty root: no error")
	}
	opts, _ := testOptions(t)
	w := start(t, t.TempDir(), opts, nil)
	if err := w.Run(context.Background()); err == nil {
		t.Error("second Run: no error")
	}
}
