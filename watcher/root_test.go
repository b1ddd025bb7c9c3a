package watcher

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// swapLink points link at target atomically, as git-sync does: a new link
// under a temporary name renamed over the old one (ln -sfn + mv -T).
func swapLink(t *testing.T, target, link string) {
	t.Helper()
	tmp := link + ".tmp-link"
	if err := os.Symlink(target, tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, link); err != nil {
		t.Fatal(err)
	}
}

func TestSymlinkRootSwap(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	v1, v2 := filepath.Join(base, "rev-1"), filepath.Join(base, "rev-2")
	writeFile(t, filepath.Join(v1, "web.yaml"), specYAML("web:1"))
	writeFile(t, filepath.Join(v1, "sub", "api.yaml"), specYAML("api:1"))
	writeFile(t, filepath.Join(v2, "web.yaml"), specYAML("web:2"))
	writeFile(t, filepath.Join(v2, "sub", "api.yaml"), specYAML("api:2"))
	root := filepath.Join(base, "current")
	if err := os.Symlink("rev-1", root); err != nil { // relative, as git-sync makes it
		t.Fatal(err)
	}
	opts, logs := testOptions(t)
	p := startProbe(t, root, opts, nil)

	// Before the swap the old target counts.
	writeFile(t, filepath.Join(v1, "web.yaml"), specYAML("web:1b"))
	p.waitKick(t)
	p.settle(t)

	swapLink(t, "rev-2", root)
	p.waitKick(t)
	mustLog(t, logs, "state directory root moved")
	p.settle(t)

	// The old target is no longer the state directory: writes there are
	// not changes (git-sync deletes it next anyway).
	writeFile(t, filepath.Join(v1, "web.yaml"), specYAML("web:1c"))
	writeFile(t, filepath.Join(v1, "sub", "api.yaml"), specYAML("api:1c"))
	p.expectNoKick(t)

	// The new one is, subdirectories included.
	writeFile(t, filepath.Join(v2, "web.yaml"), specYAML("web:2b"))
	p.waitKick(t)
	p.settle(t)
	writeFile(t, filepath.Join(v2, "sub", "api.yaml"), specYAML("api:2b"))
	p.waitKick(t)
	p.settle(t)

	// git-sync removes the old worktree: nothing to do with us.
	if err := os.RemoveAll(v1); err != nil {
		t.Fatal(err)
	}
	p.expectNoKick(t)
}

func TestConfigMapStyleSwap(t *testing.T) {
	t.Parallel()
	// A Kubernetes ConfigMap volume: the root is a real directory whose
	// files link through "..data", a link to a timestamped directory that
	// is swapped atomically. Every name involved in the swap is dotted.
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "..2024_01", "web.yaml"), specYAML("web:1"))
	if err := os.Symlink("..2024_01", filepath.Join(root, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..data/web.yaml", filepath.Join(root, "web.yaml")); err != nil {
		t.Fatal(err)
	}
	opts, _ := testOptions(t)
	w := start(t, root, opts, nil)

	writeFile(t, filepath.Join(root, "..2024_02", "web.yaml"), specYAML("web:2"))
	swapLink(t, "..2024_02", filepath.Join(root, "..data"))
	if err := os.RemoveAll(filepath.Join(root, "..2024_01")); err != nil {
		t.Fatal(err)
	}
	waitChange(t, w, timeout)
}

func TestRootRemovedAndRecreated(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	root := filepath.Join(base, "state")
	writeFile(t, filepath.Join(root, "web.yaml"), specYAML("web:1"))
	opts, logs := testOptions(t)
	p := startProbe(t, root, opts, nil)

	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	mustLog(t, logs, "state directory root missing")
	p.settle(t)

	writeFile(t, filepath.Join(root, "web.yaml"), specYAML("web:2"))
	p.waitKick(t)
	mustLog(t, logs, "state directory root is back")
	p.settle(t)

	// Watched again, not just noticed.
	writeFile(t, filepath.Join(root, "web.yaml"), specYAML("web:3"))
	p.waitKick(t)
}

func TestRootAndParentRemovedAndRecreated(t *testing.T) {
	t.Parallel()
	// With the parent gone too, no event can announce the root's return:
	// the RootPoll ticker finds it, and watches the parent again.
	base := t.TempDir()
	root := filepath.Join(base, "p", "state")
	writeFile(t, filepath.Join(root, "web.yaml"), specYAML("web:1"))
	opts, logs := testOptions(t)
	p := startProbe(t, root, opts, nil)

	if err := os.RemoveAll(filepath.Join(base, "p")); err != nil {
		t.Fatal(err)
	}
	mustLog(t, logs, "state directory root missing")
	p.settle(t)

	writeFile(t, filepath.Join(root, "web.yaml"), specYAML("web:2"))
	p.waitKick(t)
	p.settle(t)
	writeFile(t, filepath.Join(root, "web.yaml"), specYAML("web:3"))
	p.waitKick(t)
	p.settle(t)

	// The parent is watched again (the root ticker adds it back)...
	parent := filepath.Dir(root)
	for deadline := time.Now().Add(timeout); !slices.Contains(p.fsw.Load().WatchList(), parent); {
		if time.Now().After(deadline) {
			t.Fatalf("%s not watched again within %v", parent, timeout)
		}
		time.Sleep(time.Millisecond) // polling fsnotify's watch list, bounded by the deadline
	}
	// ...so a second removal shows at once too.
	if err := os.RemoveAll(root); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "web.yaml"), specYAML("web:4"))
	p.waitKick(t)
}

func TestRootMissingAtStart(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	root := filepath.Join(base, "state")
	opts, logs := testOptions(t)
	p := startProbe(t, root, opts, nil)
	mustLog(t, logs, "state directory root missing")

	writeFile(t, filepath.Join(root, "web.yaml"), specYAML("web:1"))
	p.waitKick(t)
	p.settle(t)
	writeFile(t, filepath.Join(root, "web.yaml"), specYAML("web:2"))
	p.waitKick(t)
}
