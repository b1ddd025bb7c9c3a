package watcher

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// These tests use real files and real inotify. Timeouts are generous (the
// machine is small and noisy); they bound waiting, they do not pace it. No
// test waits for a quiet period to show that nothing happened: most check
// the event loop's kicks after a barrier (probe and sync in helpers_test.go).
const timeout = 3 * time.Second

// TestWriteEmitsOneChange is about real time (the truncate and the write of
// one file must fall within one debounce period), and so is
// TestBurstOf200FilesEmitsFewChangesAfterTheLastWrite: they do not run in
// parallel with the other tests, which never wait and keep the CPU busy.
func TestWriteEmitsOneChange(t *testing.T) {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "web.yaml"), specYAML("web:1"))
	opts, _ := testOptions(t)
	opts.Debounce = 50 * time.Millisecond // truncate and write must fall in one batch, even on a busy machine
	p := startProbe(t, root, opts, nil)
	parked, release := p.runDebouncer(t)

	writeFile(t, filepath.Join(root, "web.yaml"), specYAML("web:2"))
	// The debouncer is held inside its first signal: the batch is closed,
	// and it does not read d.kicks until released. A kick from now on would
	// start a second batch, a second change; it would wait in d.kicks. Once
	// sync returns, every kick the write causes has been made, so an empty
	// d.kicks means that the write makes exactly one change.
	select {
	case <-parked:
	case <-time.After(timeout):
		t.Fatalf("no change signalled within %v", timeout)
	}
	p.sync(t)
	select {
	case <-p.d.kicks:
		t.Fatal("the write was noticed again after its batch was closed: a second change would follow")
	default:
	}
	release()
	waitChange(t, p.w, timeout)
}

// Not parallel: see TestWriteEmitsOneChange.
func TestBurstOf200FilesEmitsFewChangesAfterTheLastWrite(t *testing.T) {
	root := t.TempDir()
	opts, _ := testOptions(t)
	opts.Debounce, opts.MaxDelay = 0, 0 // the real defaults: 50ms, 500ms
	w := start(t, root, opts, nil)

	// A concurrent reader stamps each change as it arrives, so that a
	// change held in the channel during the burst is not mistaken for one
	// that came after it.
	var (
		mu    sync.Mutex
		times []time.Time
	)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-w.Changes():
				mu.Lock()
				times = append(times, time.Now())
				mu.Unlock()
			}
		}
	}()

	for i := range 200 {
		writeFile(t, filepath.Join(root, fmt.Sprintf("app-%03d.yaml", i)), specYAML(fmt.Sprintf("app%d:1", i)))
	}
	lastWrite := time.Now()

	// Wait until a change has come after the given moment.
	waitAfter := func(since time.Time, what string) {
		deadline := time.Now().Add(timeout)
		for {
			mu.Lock()
			ok := len(times) > 0 && times[len(times)-1].After(since)
			mu.Unlock()
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no change after %s within %v", what, timeout)
			}
			time.Sleep(5 * time.Millisecond) // polling the reader's record, bounded by the deadline
		}
	}
	waitAfter(lastWrite, "the last write")
	// A marker written after that: any straggler of the burst arrives no
	// later than the marker's own change (the debouncer merges them), so
	// counting up to it needs no waiting window.
	mu.Lock()
	before := len(times)
	mu.Unlock()
	markerWrite := time.Now()
	writeFile(t, filepath.Join(root, "zz-marker.yaml"), specYAML("marker:1"))
	waitAfter(markerWrite, "the marker")
	close(stop)
	<-done
	t.Logf("200 files: %d changes, then %d with the marker", before, len(times)-before)
	times = times[:len(times)-1] // the marker's change (stragglers merged into it count as one)
	if len(times) < 1 || len(times) > 5 {
		t.Fatalf("%d changes for a burst of 200 files, want 1..5", len(times))
	}
	if last := times[len(times)-1]; !last.After(lastWrite) {
		t.Fatalf("last change at %v is before the last write at %v", last, lastWrite)
	}
}

func TestVimRenameSave(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	web := filepath.Join(root, "web.yaml")
	writeFile(t, web, specYAML("web:1"))
	opts, _ := testOptions(t)
	p := startProbe(t, root, opts, nil)

	// vim probes the directory with "4913", writes a swap file, then
	// renames a fresh file over the old one.
	writeFile(t, filepath.Join(root, "4913"), "")
	if err := os.Remove(filepath.Join(root, "4913")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, ".web.yaml.swp"), "swap")
	writeFile(t, filepath.Join(root, "web.yaml.swp"), specYAML("web:2"))
	if err := os.Rename(filepath.Join(root, "web.yaml.swp"), web); err != nil {
		t.Fatal(err)
	}
	p.waitKick(t)
	p.settle(t)

	// The watch is on the directory, not on the replaced file: writes to
	// the new web.yaml still count.
	writeFile(t, web, specYAML("web:3"))
	p.waitKick(t)
	p.settle(t)

	// vim's other way, backupcopy=no: rename to a backup, write anew,
	// delete the backup.
	if err := os.Rename(web, web+"~"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, web, specYAML("web:4"))
	if err := os.Remove(web + "~"); err != nil {
		t.Fatal(err)
	}
	p.waitKick(t)
}

func TestIgnoredAndNonSpecFilesDoNotEmit(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	opts, _ := testOptions(t)
	p := startProbe(t, root, opts, nil)

	tmp := filepath.Join(root, ".orchestrator-123.tmp")
	writeFile(t, tmp, specYAML("web:1"))
	writeFile(t, filepath.Join(root, "README.md"), "notes")
	writeFile(t, filepath.Join(root, "web.yaml.swp"), "swap")
	writeFile(t, filepath.Join(root, "#web.yaml#"), "emacs")
	writeFile(t, filepath.Join(root, ".git", "HEAD"), "ref: refs/heads/main")
	p.expectNoKick(t)

	// The atomic rename of our own temp file onto a spec name does count.
	if err := os.Rename(tmp, filepath.Join(root, "web.yaml")); err != nil {
		t.Fatal(err)
	}
	p.waitKick(t)
}

func TestRemoveAndChmodEmit(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	web := filepath.Join(root, "web.yaml")
	writeFile(t, web, specYAML("web:1"))
	opts, _ := testOptions(t)
	p := startProbe(t, root, opts, nil)

	if err := os.Chmod(web, 0o600); err != nil {
		t.Fatal(err)
	}
	p.waitKick(t)
	p.settle(t)
	if err := os.Remove(web); err != nil {
		t.Fatal(err)
	}
	p.waitKick(t)
}

func TestNewSubdirectoryIsWatched(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	opts, _ := testOptions(t)
	p := startProbe(t, root, opts, nil)

	// The file is made right after the directory, most likely before its
	// watch: the directory's own event must cover it.
	writeFile(t, filepath.Join(root, "team", "web.yaml"), specYAML("web:1"))
	p.waitKick(t)
	p.settle(t)

	writeFile(t, filepath.Join(root, "team", "api.yaml"), specYAML("api:1"))
	p.waitKick(t)
}

func TestNestedDirectories(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "a", "b", "old.yaml"), specYAML("old:1"))
	opts, _ := testOptions(t)
	p := startProbe(t, root, opts, nil)

	// An existing nested directory is watched from the start.
	writeFile(t, filepath.Join(root, "a", "b", "old.yaml"), specYAML("old:2"))
	p.waitKick(t)
	p.settle(t)

	// mkdir -p of several levels at once: only the top one's event can
	// arrive before the others exist; the deepest must be watched anyway.
	writeFile(t, filepath.Join(root, "x", "y", "z", "web.yaml"), specYAML("web:1"))
	p.waitKick(t)
	p.settle(t)
	writeFile(t, filepath.Join(root, "x", "y", "z", "web.yaml"), specYAML("web:2"))
	p.waitKick(t)
	p.settle(t)

	// A directory renamed within the tree is watched under its new name.
	if err := os.Rename(filepath.Join(root, "x"), filepath.Join(root, "moved")); err != nil {
		t.Fatal(err)
	}
	p.waitKick(t)
	p.settle(t)
	writeFile(t, filepath.Join(root, "moved", "y", "z", "web.yaml"), specYAML("web:3"))
	p.waitKick(t)
}

func TestGitCheckoutLikeReplacement(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, dir := range []string{"apps", "infra", "old"} {
		for i := range 10 {
			writeFile(t, filepath.Join(root, dir, fmt.Sprintf("s%d.yaml", i)), specYAML(fmt.Sprintf("%s%d:1", dir, i)))
		}
	}
	opts, _ := testOptions(t)
	p := startProbe(t, root, opts, nil)

	// What a branch switch does: files replaced (git writes a temp file and
	// renames it), files removed, a directory removed, a directory added.
	for i := range 10 {
		p := filepath.Join(root, "apps", fmt.Sprintf("s%d.yaml", i))
		writeFile(t, p+".lock", specYAML(fmt.Sprintf("apps%d:2", i)))
		if err := os.Rename(p+".lock", p); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		if err := os.Remove(filepath.Join(root, "infra", fmt.Sprintf("s%d.yaml", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.RemoveAll(filepath.Join(root, "old")); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		writeFile(t, filepath.Join(root, "new", "sub", fmt.Sprintf("s%d.yaml", i)), specYAML(fmt.Sprintf("new%d:1", i)))
	}
	p.waitKick(t)
	p.settle(t)

	// The directory that came with the checkout is watched.
	writeFile(t, filepath.Join(root, "new", "sub", "s0.yaml"), specYAML("new0:2"))
	p.waitKick(t)
	p.settle(t)

	// And the removed one is forgotten, not a stale watch: made again, it
	// is watched again.
	writeFile(t, filepath.Join(root, "old", "s0.yaml"), specYAML("old0:2"))
	p.waitKick(t)
	p.settle(t)
	writeFile(t, filepath.Join(root, "old", "s1.yaml"), specYAML("old1:2"))
	p.waitKick(t)
}

func TestSymlinkedSubdirectoryIsFollowed(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	root := filepath.Join(base, "state")
	shared := filepath.Join(base, "shared")
	writeFile(t, filepath.Join(shared, "db.yaml"), specYAML("db:1"))
	writeFile(t, filepath.Join(root, "web.yaml"), specYAML("web:1"))
	if err := os.Symlink(shared, filepath.Join(root, "shared")); err != nil {
		t.Fatal(err)
	}
	opts, _ := testOptions(t)
	p := startProbe(t, root, opts, nil)

	writeFile(t, filepath.Join(shared, "db.yaml"), specYAML("db:2"))
	p.waitKick(t)
	p.settle(t)

	// Removing the link removes its files from the tree: a change, and the
	// target is no longer watched.
	if err := os.Remove(filepath.Join(root, "shared")); err != nil {
		t.Fatal(err)
	}
	p.waitKick(t)
	p.settle(t)
	writeFile(t, filepath.Join(shared, "db.yaml"), specYAML("db:3"))
	p.expectNoKick(t)
}
