package gitsync

import (
	"sort"
	"testing"
	"time"

	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-billy/v5/util"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/google/go-cmp/cmp"
)

// newObjects lists a new commit, and of its tree only what changed: the
// trees on the changed file's path and its blob.
func TestNewObjects(t *testing.T) {
	sto := memory.NewStorage()
	fs := memfs.New()
	repo, err := git.Init(sto, fs)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	commit := func(files map[string]string, parents ...plumbing.Hash) plumbing.Hash {
		t.Helper()
		for name, text := range files {
			if err := util.WriteFile(fs, name, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := wt.Add(name); err != nil {
				t.Fatal(err)
			}
		}
		h, err := wt.Commit("c", &git.CommitOptions{Author: &object.Signature{Name: "T", When: time.Unix(0, 0)}, Parents: parents})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	base := commit(map[string]string{"deploy/web.yaml": "image: web:1\n", "deploy/api.yaml": "image: api:1\n", "README": "hi\n"})
	next := commit(map[string]string{"deploy/web.yaml": "image: web:2\n"})
	c, err := repo.CommitObject(next)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := c.Tree()
	deploy, _ := root.Tree("deploy")
	blob, _ := root.File("deploy/web.yaml")
	want := []plumbing.Hash{next, root.Hash, deploy.Hash, blob.Hash}

	got, ok := newObjects(sto, []plumbing.Hash{next}, map[plumbing.Hash]bool{base: true})
	if diff := cmp.Diff(sorted(want), sorted(got)); !ok || diff != "" {
		t.Errorf("one new commit (ok %v) (-want +got):\n%s", ok, diff)
	}
	if got, ok := newObjects(sto, []plumbing.Hash{next}, map[plumbing.Hash]bool{next: true}); !ok || len(got) != 0 {
		t.Errorf("nothing new = %v, %v", got, ok)
	}
	// Nothing the receiver has: the whole history, down to the root.
	if got, ok := newObjects(sto, []plumbing.Hash{next}, nil); !ok || len(got) != 4+6 {
		t.Errorf("to a receiver with nothing: %d objects (ok %v), want 10 (4 new, and the base: commit, 2 trees, 3 blobs)", len(got), ok)
	}
	// A merge before a commit the receiver has: left to the full walk.
	merge := commit(map[string]string{"deploy/api.yaml": "image: api:2\n"}, next, base)
	if _, ok := newObjects(sto, []plumbing.Hash{merge}, map[plumbing.Hash]bool{base: true}); ok {
		t.Errorf("a merge was walked")
	}
}

func sorted(hs []plumbing.Hash) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.String())
	}
	sort.Strings(out)
	return out
}
