package gitsync_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/watcher/gitsync"
	"github.com/orchestrator/orchestrator/watcher/gitsync/gitsynctest"
)

// Each revision of the branch is put in place whole: a directory of its
// own, and the state symlink swapped to it; a sync that finds nothing new
// changes nothing.
func TestSyncPutsEachRevisionInPlace(t *testing.T) {
	r := gitsynctest.NewRemote(t, map[string]string{"web.yaml": "image: web:1\nresources: {}\n", "README.md": "docs\n"})
	repo := running(t, r)
	rev := syncNow(t, repo)
	if rev.Subject != "first" || rev.Author != "Dev <dev@example.com>" {
		t.Errorf("revision = %+v", rev)
	}
	want := map[string]string{"web.yaml": "image: web:1\nresources: {}\n", "README.md": "docs\n"}
	if diff := cmp.Diff(want, tree(t, repo.StateDir())); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
	before, _ := os.Readlink(repo.StateDir())
	if got := syncNow(t, repo); got != rev {
		t.Errorf("a sync with nothing new moved to %+v", got)
	}
	if after, _ := os.Readlink(repo.StateDir()); after != before {
		t.Errorf("a sync with nothing new swapped the directory: %s -> %s", before, after)
	}

	// Two commits in a burst: read once, at the second.
	r.Commit("second", map[string]string{"web.yaml": "image: web:1\nmin_replicas: 2\nresources: {}\n"})
	r.Commit("third", map[string]string{"api.yaml": "image: api:1\nresources: {}\n", "README.md": ""})
	r.Push(false)
	if got := syncNow(t, repo); got.Subject != "third" {
		t.Errorf("revision = %+v, want third", got)
	}
	want = map[string]string{"web.yaml": "image: web:1\nmin_replicas: 2\nresources: {}\n", "api.yaml": "image: api:1\nresources: {}\n"}
	if diff := cmp.Diff(want, tree(t, repo.StateDir())); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
	if n := len(revDirs(t, filepath.Dir(repo.StateDir()))); n != 2 {
		t.Errorf("%d revision directories kept, want 2 (in place, previous)", n)
	}
	if st := repo.Status(); st.Branch != "main" || st.LastError != "" || st.LastFetch.IsZero() || st.Revision.Subject != "third" {
		t.Errorf("status = %+v", st)
	}
}

// --git-path: only that sub-directory is the state directory.
func TestSyncOfASubdirectory(t *testing.T) {
	r := gitsynctest.NewRemote(t, map[string]string{"deploy/web.yaml": "image: web:1\nresources: {}\n", "src/main.go": "package main\n"})
	repo := running(t, r, func(o *gitsync.Options) { o.Path = "deploy" })
	syncNow(t, repo)
	if diff := cmp.Diff(map[string]string{"web.yaml": "image: web:1\nresources: {}\n"}, tree(t, repo.StateDir())); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
}

// A force-push that rewrites history is followed.
func TestSyncFollowsAForcePush(t *testing.T) {
	r := gitsynctest.NewRemote(t, map[string]string{"web.yaml": "image: web:1\nresources: {}\n"})
	repo := running(t, r)
	syncNow(t, repo)
	r.Commit("to be rewritten", map[string]string{"web.yaml": "image: web:2\nresources: {}\n"})
	r.Push(false)
	syncNow(t, repo)
	r.Rewrite() // a new history from the first commit
	r.Commit("rewritten", map[string]string{"web.yaml": "image: web:3\nresources: {}\n"})
	r.Push(true)
	if got := syncNow(t, repo); got.Subject != "rewritten" {
		t.Errorf("after a force-push: %+v", got)
	}
	if got := tree(t, repo.StateDir())["web.yaml"]; got != "image: web:3\nresources: {}\n" {
		t.Errorf("web.yaml = %q", got)
	}
}

// An unreachable remote is an error in status; the revision in place
// stays.
func TestSyncOfAnUnreachableRemote(t *testing.T) {
	r := gitsynctest.NewRemote(t, map[string]string{"web.yaml": "image: web:1\nresources: {}\n"})
	repo := running(t, r)
	syncNow(t, repo)
	if err := os.RemoveAll(r.Path()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := repo.SyncNow(ctx); err == nil {
		t.Errorf("sync of a removed remote: no error")
	}
	if st := repo.Status(); st.LastError == "" || st.Revision.Subject != "first" {
		t.Errorf("status = %+v, want the error and the first revision", st)
	}
	if got := tree(t, repo.StateDir())["web.yaml"]; got == "" {
		t.Errorf("the revision in place is gone")
	}

	// A remote that is not there at all: no revision, a clear error.
	none := running(t, &gitsynctest.Remote{URL: "file://" + filepath.Join(t.TempDir(), "nothing.git")})
	if _, err := none.SyncNow(ctx); err == nil {
		t.Errorf("sync of no repository: no error")
	}
	if _, err := os.Stat(none.StateDir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a state directory without a revision: %v", err)
	}
}

// A restarted Repo finds the revision in place and puts nothing anew.
func TestSyncAfterARestart(t *testing.T) {
	r := gitsynctest.NewRemote(t, map[string]string{"web.yaml": "image: web:1\nresources: {}\n"})
	dir := t.TempDir()
	first, stop := start(t, r, func(o *gitsync.Options) { o.Dir = dir })
	syncNow(t, first)
	stop()
	link, _ := os.Readlink(first.StateDir())
	second := running(t, r, func(o *gitsync.Options) { o.Dir = dir })
	syncNow(t, second)
	if after, _ := os.Readlink(second.StateDir()); after != link {
		t.Errorf("a restart put the same revision in place anew: %s -> %s", link, after)
	}
	if st := second.Status(); st.Revision.Subject != "first" {
		t.Errorf("after a restart, the status names %+v, want the revision in place", st.Revision)
	}
	if rev, ok := second.LastChange("web.yaml"); !ok || rev.Subject != "first" {
		t.Errorf("after a restart, web.yaml's last change = %+v %v", rev, ok)
	}
}

// Each file's last change is known, as of the revision in place.
func TestLastChange(t *testing.T) {
	r := gitsynctest.NewRemote(t, map[string]string{"deploy/web.yaml": "a\n", "deploy/api.yaml": "a\n", "src/x.go": "a\n"})
	r.Commit("api changed", map[string]string{"deploy/api.yaml": "b\n"})
	r.Commit("code changed", map[string]string{"src/x.go": "b\n"})
	r.Push(false)
	repo := running(t, r, func(o *gitsync.Options) { o.Path = "deploy" })
	syncNow(t, repo)
	for file, want := range map[string]string{"web.yaml": "first", "api.yaml": "api changed"} {
		rev, ok := repo.LastChange(file)
		if !ok || rev.Subject != want {
			t.Errorf("last change of %s = %+v %v, want %q", file, rev, ok, want)
		}
	}
	if _, ok := repo.LastChange("x.go"); ok {
		t.Errorf("a file outside the path has a last change")
	}
	r.Commit("web changed", map[string]string{"deploy/web.yaml": "c\n"})
	r.Push(false)
	syncNow(t, repo)
	if rev, _ := repo.LastChange("web.yaml"); rev.Subject != "web changed" {
		t.Errorf("after a new revision, web.yaml's last change = %+v", rev)
	}
}
