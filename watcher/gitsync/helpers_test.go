package gitsync_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/orchestrator/orchestrator/watcher/gitsync"
)

// remote is a bare repository on disk (file://), and a working clone of
// it that stands for a person who commits and pushes.
type remote struct {
	t     *testing.T
	url   string
	work  *git.Repository
	dir   string // of work
	first plumbing.Hash
}

// newRemote makes a bare repository with one commit of files on main.
func newRemote(t *testing.T, files map[string]string) *remote {
	t.Helper()
	bare := filepath.Join(t.TempDir(), "remote.git")
	if _, err := git.PlainInitWithOptions(bare, &git.PlainInitOptions{Bare: true,
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")}}); err != nil {
		t.Fatal(err)
	}
	r := &remote{t: t, url: "file://" + bare, dir: t.TempDir()}
	work, err := git.PlainInitWithOptions(r.dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := work.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{r.url}}); err != nil {
		t.Fatal(err)
	}
	r.work = work
	r.first = r.commit("first", files)
	r.push(false)
	return r
}

// commit writes files (an empty text removes one) and commits them.
func (r *remote) commit(msg string, files map[string]string) plumbing.Hash {
	r.t.Helper()
	wt, err := r.work.Worktree()
	if err != nil {
		r.t.Fatal(err)
	}
	for name, text := range files {
		path := filepath.Join(r.dir, filepath.FromSlash(name))
		if text == "" {
			if _, err := wt.Remove(name); err != nil {
				r.t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			r.t.Fatal(err)
		}
		if _, err := wt.Add(name); err != nil {
			r.t.Fatal(err)
		}
	}
	h, err := wt.Commit(msg, &git.CommitOptions{Author: &object.Signature{Name: "Dev", Email: "dev@example.com", When: time.Now()}})
	if err != nil {
		r.t.Fatal(err)
	}
	return h
}

// push pushes main (force: a rewritten history).
func (r *remote) push(force bool) {
	r.t.Helper()
	spec := config.RefSpec("refs/heads/main:refs/heads/main")
	if force {
		spec = "+" + spec
	}
	if err := r.work.Push(&git.PushOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{spec}}); err != nil && err != git.NoErrAlreadyUpToDate {
		r.t.Fatal(err)
	}
}

// pull brings the working clone up to what the remote has (after our
// writes).
func (r *remote) pull() {
	r.t.Helper()
	wt, err := r.work.Worktree()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := wt.Pull(&git.PullOptions{RemoteName: "origin", ReferenceName: plumbing.NewBranchReferenceName("main")}); err != nil && err != git.NoErrAlreadyUpToDate {
		r.t.Fatal(err)
	}
}

// head is the remote's main: its commit.
func (r *remote) head() *object.Commit {
	r.t.Helper()
	repo, err := git.PlainOpen(strings.TrimPrefix(r.url, "file://"))
	if err != nil {
		r.t.Fatal(err)
	}
	ref, err := repo.Reference(plumbing.NewBranchReferenceName("main"), true)
	if err != nil {
		r.t.Fatal(err)
	}
	c, err := repo.CommitObject(ref.Hash())
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

// fileAt is a file of a commit; "" when it has none.
func fileAt(t *testing.T, c *object.Commit, name string) string {
	t.Helper()
	f, err := c.File(name)
	if err != nil {
		return ""
	}
	s, err := f.Contents()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// running is a Repo of r in a directory of the test's, with Run going
// until the test ends.
func running(t *testing.T, r *remote, mut ...func(*gitsync.Options)) *gitsync.Repo {
	t.Helper()
	repo, stop := start(t, r, mut...)
	t.Cleanup(stop)
	return repo
}

// start is running with the stop in the caller's hands.
func start(t *testing.T, r *remote, mut ...func(*gitsync.Options)) (*gitsync.Repo, func()) {
	t.Helper()
	opts := gitsync.Options{URL: r.url, Dir: t.TempDir(), Author: gitsync.Signature{Name: "Orch", Email: "orch@example.com"}}
	for _, m := range mut {
		m(&opts)
	}
	repo := gitsync.New(opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- repo.Run(ctx) }()
	var stopped bool
	return repo, func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

// syncNow syncs and fails the test on an error.
func syncNow(t *testing.T, repo *gitsync.Repo) gitsync.Revision {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rev, err := repo.SyncNow(ctx)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return rev
}

// tree is the state directory's files and their text.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	dir, err := filepath.EvalSymlinks(dir) // the state directory is a link
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// revDirs are the revision directories kept.
func revDirs(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(dir, "revs"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}
