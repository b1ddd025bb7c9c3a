package watcher

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fsnotify/fsnotify"
)

func TestForcePolling(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		base := t.TempDir()
		v1, v2 := filepath.Join(base, "rev-1"), filepath.Join(base, "rev-2")
		writeFile(t, filepath.Join(v1, "web.yaml"), specYAML("web:1"))
		writeFile(t, filepath.Join(v2, "web.yaml"), specYAML("web:1")) // same content, other files
		root := filepath.Join(base, "current")
		if err := os.Symlink("rev-1", root); err != nil {
			t.Fatal(err)
		}
		opts, logs := testOptions(t)
		opts.ForcePolling = true
		pw := startPolled(t, root, opts, logs, nil)

		writeFile(t, filepath.Join(v1, "api.yaml"), specYAML("api:1"))
		pw.expect(t, 1)

		writeFile(t, filepath.Join(v1, "sub", "db.yaml"), specYAML("db:1"))
		pw.expect(t, 1)

		if err := os.Remove(filepath.Join(v1, "api.yaml")); err != nil {
			t.Fatal(err)
		}
		pw.expect(t, 1)

		// Ignored files are not in the fingerprint.
		writeFile(t, filepath.Join(v1, ".orchestrator-1.tmp"), "x")
		writeFile(t, filepath.Join(v1, "notes.txt"), "x")
		pw.expect(t, 0)

		swapLink(t, "rev-2", root)
		pw.expect(t, 1)

		// The root vanishing and coming back are both changes.
		if err := os.Remove(root); err != nil {
			t.Fatal(err)
		}
		pw.expect(t, 1)
		if err := os.Symlink("rev-1", root); err != nil {
			t.Fatal(err)
		}
		pw.expect(t, 1)
	})
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
	// Once inotify has failed, only timers and stat are left: the test runs
	// in virtual time.
	synctest.Test(t, func(t *testing.T) {
		root := t.TempDir()
		opts, logs := testOptions(t)
		pw := startPolled(t, root, opts, logs, failAdd(func(string) bool { return true }))
		// Ready means the polling baseline is taken; the warning came before.
		if !strings.Contains(logs.String(), "inotify unavailable, polling") {
			t.Fatal("no fallback to polling logged")
		}
		pw.expect(t, 1) // the fallback itself announces a change

		writeFile(t, filepath.Join(root, "web.yaml"), specYAML("web:1"))
		pw.expect(t, 1)
	})
}

func TestFallbackToPollingWhenInotifyFailsLater(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	opts, logs := testOptions(t)
	p := startProbe(t, root, opts, failAdd(func(path string) bool { return strings.Contains(path, "deep") }))

	// inotify works until the directory whose watch cannot be added.
	writeFile(t, filepath.Join(root, "web.yaml"), specYAML("web:1"))
	p.waitKick(t)
	polling := p.armReady() // closed again once the polling baseline is taken
	p.settle(t)             // also proves that the inotify instance is still open
	if strings.Contains(logs.String(), "inotify unavailable") {
		t.Fatal("fell back to polling too early")
	}

	writeFile(t, filepath.Join(root, "deep", "api.yaml"), specYAML("api:1"))
	p.waitKick(t) // the fallback's own kick: the iteration that failed made none
	mustLog(t, logs, "inotify unavailable, polling")
	select {
	case <-polling:
	case <-time.After(timeout):
		t.Fatalf("no polling baseline within %v", timeout)
	}

	// Polling sees what inotify could not: after the baseline, only this
	// changes in the tree, so a kick can only come from a poll that saw it.
	writeFile(t, filepath.Join(root, "deep", "api.yaml"), specYAML("api:22"))
	p.waitKick(t)
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
