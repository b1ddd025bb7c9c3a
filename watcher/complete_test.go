package watcher

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Which events the inotify loop hands on as complete changes, to be
// signalled after Settle, and which as changes that may still be going on,
// to wait for quiet (the debouncer's side is in settle_test.go).

// expectKind waits for the loop's kick for what the test just did, and
// checks the kind of the last kick it made for it.
func (p *probe) expectKind(t *testing.T, want kickKind, what string) {
	t.Helper()
	p.waitKick(t)
	p.sync(t) // every kick of what was done is made: latest is the last one's kind
	select {
	case <-p.d.kicks:
	default:
	}
	if got := kickKind(p.d.latest.Load()); got != want {
		t.Fatalf("%s: kick of kind %v, want %v", what, got, want)
	}
}

func TestRenameIntoPlaceIsComplete(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	web := filepath.Join(root, "web.yaml")
	writeFile(t, web, specYAML("web:1"))
	opts, _ := testOptions(t)
	p := startProbe(t, root, opts, nil)

	rename := func(from, to string) {
		t.Helper()
		if err := os.Rename(from, to); err != nil {
			t.Fatal(err)
		}
	}

	// Our API's and many editors' way: an ignored temp file renamed into
	// place.
	tmp := filepath.Join(root, ".orchestrator-1.tmp")
	writeFile(t, tmp, specYAML("web:2"))
	rename(tmp, web)
	p.expectKind(t, kickComplete, "temp file renamed into place")

	// git's and sed's way: a temp name that is not ignored (its rename away
	// counts by itself, it might have been a directory), renamed into place.
	writeFile(t, web+".lock", specYAML("web:3"))
	rename(web+".lock", web)
	p.expectKind(t, kickComplete, "lock file renamed into place")

	// A new file renamed in.
	writeFile(t, tmp, specYAML("api:1"))
	rename(tmp, filepath.Join(root, "api.yaml"))
	p.expectKind(t, kickComplete, "new file renamed into place")

	// Written in place: the file may still be being written.
	writeFile(t, web, specYAML("web:4"))
	p.expectKind(t, kickChanging, "write in place")

	// A new file written in place: created empty, then written.
	writeFile(t, filepath.Join(root, "db.yaml"), specYAML("db:1"))
	p.expectKind(t, kickChanging, "new file written in place")

	// Renamed away: often the first step of a save (vim's backupcopy=no).
	rename(web, web+".bak")
	p.expectKind(t, kickChanging, "rename away")

	// Removed.
	if err := os.Remove(filepath.Join(root, "db.yaml")); err != nil {
		t.Fatal(err)
	}
	p.expectKind(t, kickChanging, "removal")
}

// A ConfigMap volume swaps its "..data" link (a new link renamed over the
// old one); the files are links through it.
func TestConfigMapSwapIsComplete(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "..2024_01", "web.yaml"), specYAML("web:1"))
	writeFile(t, filepath.Join(root, "..2024_02", "web.yaml"), specYAML("web:2"))
	if err := os.Symlink("..2024_01", filepath.Join(root, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..data/web.yaml", filepath.Join(root, "web.yaml")); err != nil {
		t.Fatal(err)
	}
	opts, _ := testOptions(t)
	p := startProbe(t, root, opts, nil)

	swapLink(t, "..2024_02", filepath.Join(root, "..data"))
	p.expectKind(t, kickComplete, "..data swap")
}

// git-sync swaps the root link the same way.
func TestRootSwapIsComplete(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	writeFile(t, filepath.Join(base, "rev-1", "web.yaml"), specYAML("web:1"))
	writeFile(t, filepath.Join(base, "rev-2", "web.yaml"), specYAML("web:2"))
	root := filepath.Join(base, "current")
	if err := os.Symlink("rev-1", root); err != nil {
		t.Fatal(err)
	}
	opts, _ := testOptions(t)
	p := startProbe(t, root, opts, nil)

	swapLink(t, "rev-2", root)
	p.expectKind(t, kickComplete, "root link swap")
}

// Run signals a rename into place after Settle, long before Debounce: the
// quiet period is made far longer than the test waits, so only the short
// wait can deliver within it.
func TestRunSignalsRenameAfterSettle(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	opts, _ := testOptions(t)
	opts.Debounce, opts.MaxDelay = time.Minute, time.Minute // Settle: the default 10ms
	w := start(t, root, opts, nil)

	tmp := filepath.Join(root, ".orchestrator-1.tmp")
	writeFile(t, tmp, specYAML("web:1"))
	if err := os.Rename(tmp, filepath.Join(root, "web.yaml")); err != nil {
		t.Fatal(err)
	}
	waitChange(t, w, timeout)
}
