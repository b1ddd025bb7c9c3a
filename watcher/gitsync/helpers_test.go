package gitsync_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/watcher/gitsync"
	"github.com/orchestrator/orchestrator/watcher/gitsync/gitsynctest"
)

// running is a Repo of r in a directory of the test's, with Run going
// until the test ends.
func running(t *testing.T, r *gitsynctest.Remote, mut ...func(*gitsync.Options)) *gitsync.Repo {
	t.Helper()
	repo, stop := start(t, r, mut...)
	t.Cleanup(stop)
	return repo
}

// start is running with the stop in the caller's hands.
func start(t *testing.T, r *gitsynctest.Remote, mut ...func(*gitsync.Options)) (*gitsync.Repo, func()) {
	t.Helper()
	opts := gitsync.Options{URL: r.URL, Dir: t.TempDir(), Author: gitsync.Signature{Name: "Orch", Email: "orch@example.com"}}
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
