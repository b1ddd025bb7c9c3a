package gitsync_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/orchestrator/orchestrator/spec"
	"github.com/orchestrator/orchestrator/watcher/gitsync"
)

// With no remote, each API write to a state directory inside a work tree
// is a local commit, and the work tree stays clean.
func TestLocalCommits(t *testing.T) {
	root := t.TempDir()
	repo, err := git.PlainInitWithOptions(root, &git.PlainInitOptions{InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")}})
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(root, "deploy")
	if err := os.MkdirAll(state, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(state, "web.yaml"), []byte("image: web:1\nresources: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wt, _ := repo.Worktree()
	if _, err := wt.Add("deploy/web.yaml"); err != nil {
		t.Fatal(err)
	}
	if _, err := wt.Commit("first", &git.CommitOptions{Author: &object.Signature{Name: "Dev", Email: "dev@example.com", When: time.Now()}}); err != nil {
		t.Fatal(err)
	}

	local, err := gitsync.OpenLocal(state, gitsync.Signature{Name: "Orch", Email: "orch@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	d := spec.NewDir(state, spec.Options{HostCPUs: 2})
	d.Recorder = local
	ctx := spec.WithNote(context.Background(), spec.Note{Why: "scale web:1 to min 2 max 5 (POST /images/web:1/scale)", Who: "127.0.0.1:5000"})
	s := spec.New("web:1")
	s.MinReplicas = 2
	if _, err := d.PutContext(ctx, s, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := d.PutContext(ctx, spec.New("api:1"), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := d.DeleteContext(ctx, "api:1", ""); err != nil {
		t.Fatal(err)
	}
	head, err := repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	log, err := repo.Log(&git.LogOptions{From: head.Hash()})
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	_ = log.ForEach(func(c *object.Commit) error {
		subjects = append(subjects, c.Author.Name+": "+c.Message)
		return nil
	})
	if len(subjects) != 4 || subjects[3] != "Dev: first" {
		t.Errorf("git log: %q", subjects)
	}
	st, err := wt.Status()
	if err != nil {
		t.Fatal(err)
	}
	if !st.IsClean() {
		t.Errorf("the work tree is not clean after the writes:\n%s", st)
	}
}

// A directory in no work tree cannot be committed to.
func TestLocalNeedsAWorkTree(t *testing.T) {
	if _, err := gitsync.OpenLocal(t.TempDir(), gitsync.Signature{}); err == nil {
		t.Errorf("OpenLocal of a directory in no work tree: no error")
	}
}
