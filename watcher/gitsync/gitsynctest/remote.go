// Package gitsynctest holds real git repositories for tests: a bare
// repository on disk (a file:// remote) and a working clone of it that
// commits and pushes like a person, all with go-git and gitsync's file://
// transport (no git binary).
package gitsynctest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	_ "github.com/orchestrator/orchestrator/watcher/gitsync" // the file:// transport: no git binary
)

// Remote is a bare repository on disk (URL, file://), and a working
// clone of it that stands for a person who commits and pushes.
type Remote struct {
	t     testing.TB
	URL   string
	Work  *git.Repository
	dir   string        // of Work
	First plumbing.Hash // the first commit
}

// NewRemote makes a bare repository with one commit of files on main.
func NewRemote(t testing.TB, files map[string]string) *Remote {
	t.Helper()
	bare := filepath.Join(t.TempDir(), "remote.git")
	if _, err := git.PlainInitWithOptions(bare, &git.PlainInitOptions{Bare: true,
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")}}); err != nil {
		t.Fatal(err)
	}
	r := &Remote{t: t, URL: "file://" + bare, dir: t.TempDir()}
	work, err := git.PlainInitWithOptions(r.dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := work.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{r.URL}}); err != nil {
		t.Fatal(err)
	}
	r.Work = work
	r.First = r.Commit("first", files)
	r.Push(false)
	return r
}

// Commit writes files (an empty text removes one) and commits them.
func (r *Remote) Commit(msg string, files map[string]string) plumbing.Hash {
	r.t.Helper()
	wt, err := r.Work.Worktree()
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

// Push pushes main (force: a rewritten history).
func (r *Remote) Push(force bool) {
	r.t.Helper()
	spec := config.RefSpec("refs/heads/main:refs/heads/main")
	if force {
		spec = "+" + spec
	}
	if err := r.Work.Push(&git.PushOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{spec}}); err != nil && err != git.NoErrAlreadyUpToDate {
		r.t.Fatal(err)
	}
}

// Pull brings the working clone up to what the remote has (after
// others' pushes).
func (r *Remote) Pull() {
	r.t.Helper()
	wt, err := r.Work.Worktree()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := wt.Pull(&git.PullOptions{RemoteName: "origin", ReferenceName: plumbing.NewBranchReferenceName("main")}); err != nil && err != git.NoErrAlreadyUpToDate {
		r.t.Fatal(err)
	}
}

// Head is the remote's main: its commit.
func (r *Remote) Head() *object.Commit {
	r.t.Helper()
	repo, err := git.PlainOpen(strings.TrimPrefix(r.URL, "file://"))
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

// FileAt is a file of a commit; "" when it has none.
func FileAt(t testing.TB, c *object.Commit, name string) string {
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

// Rewrite resets the working clone to the first commit, for a history
// that a force-push then rewrites.
func (r *Remote) Rewrite() {
	r.t.Helper()
	wt, err := r.Work.Worktree()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := wt.Reset(&git.ResetOptions{Commit: r.First, Mode: git.HardReset}); err != nil {
		r.t.Fatal(err)
	}
}

// Path is the bare repository's directory.
func (r *Remote) Path() string { return strings.TrimPrefix(r.URL, "file://") }
