package watcher

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// batch is what a FileObserver heard of one signal.
type batch struct {
	Paths  []string
	Others bool
}

// fileLog is a FileObserver that hands every batch to the test.
type fileLog chan batch

func (l fileLog) FilesChanged(paths []string, others bool) { l <- batch{paths, others} }

// nextBatch is the next batch heard, within timeout.
func nextBatch(t *testing.T, l fileLog) batch {
	t.Helper()
	select {
	case b := <-l:
		return b
	case <-time.After(timeout):
		t.Fatalf("no batch within %v", timeout)
		return batch{}
	}
}

// The FileObserver hears which files changed, relative to the root, before
// the signal; a change it cannot name (the root swapped) is "others".
func TestFilesOfABatch(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	rev1, rev2 := filepath.Join(base, "rev1"), filepath.Join(base, "rev2")
	writeFile(t, filepath.Join(rev1, "web.yaml"), specYAML("web:1"))
	writeFile(t, filepath.Join(rev2, "web.yaml"), specYAML("web:2"))
	if err := os.Mkdir(filepath.Join(rev1, "apps"), 0o755); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(base, "state")
	if err := os.Symlink(rev1, root); err != nil {
		t.Fatal(err)
	}
	opts, _ := testOptions(t)
	files := make(fileLog, 16)
	opts.Files = files
	w := start(t, root, opts, nil)
	// put writes a file as editors and the API do: a temp file renamed
	// into place, one event (a plain write may be two batches).
	put := func(path, content string) {
		tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
		writeFile(t, tmp, content)
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}

	for _, tc := range []struct {
		name   string
		change func()
		want   batch
	}{
		{"a write", func() { put(filepath.Join(rev1, "web.yaml"), specYAML("web:3")) }, batch{Paths: []string{"web.yaml"}}},
		{"in a directory", func() { put(filepath.Join(rev1, "apps", "api.yaml"), specYAML("api:1")) }, batch{Paths: []string{"apps/api.yaml"}}},
		{"a removal", func() {
			if err := os.Remove(filepath.Join(rev1, "web.yaml")); err != nil {
				t.Fatal(err)
			}
		}, batch{Paths: []string{"web.yaml"}}},
		{"the root swapped: no path known", func() {
			tmp := filepath.Join(base, "state.tmp")
			if err := os.Symlink(rev2, tmp); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tmp, root); err != nil {
				t.Fatal(err)
			}
		}, batch{Others: true}},
	} {
		tc.change()
		got := nextBatch(t, files)
		waitChange(t, w, timeout)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: batch (-want +got):\n%s", tc.name, diff)
		}
	}
}

// A batch names at most MaxPaths files, and says "others" for the rest; a
// kick without paths is "others" too. The batch is cleared by its signal.
func TestFilesOfABatchAreBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out := make(chan struct{}, 1)
		d := newDebouncer(testSettle, testQuiet, testMax, out, nil)
		files := make(fileLog, 4)
		d.files = files
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { d.run(ctx); close(done) }()
		defer func() { cancel(); <-done }()

		var many []string
		for i := range MaxPaths + 10 {
			many = append(many, fmt.Sprintf("f%03d.yaml", i))
		}
		for _, tc := range []struct {
			name  string
			kicks func()
			want  batch
		}{
			{"two files, twice", func() {
				d.kickPaths(kickComplete, []string{"b.yaml", "a.yaml"})
				d.kickPaths(kickComplete, []string{"a.yaml"})
			}, batch{Paths: []string{"a.yaml", "b.yaml"}}},
			{"too many", func() { d.kickPaths(kickChanging, many) }, batch{Paths: many[:MaxPaths], Others: true}},
			{"a kick without paths", func() { d.kick(kickChanging) }, batch{Others: true}},
		} {
			tc.kicks()
			time.Sleep(testMax)
			synctest.Wait()
			<-out
			if diff := cmp.Diff(tc.want, <-files); diff != "" {
				t.Errorf("%s: batch (-want +got):\n%s", tc.name, diff)
			}
		}
	})
}
