package gitsync_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/spec"
	"github.com/orchestrator/orchestrator/watcher/gitsync"
	"github.com/orchestrator/orchestrator/watcher/gitsync/gitsynctest"
)

// write records w and then writes it into the state directory, as
// spec.Dir does.
func write(t *testing.T, repo *gitsync.Repo, w spec.Write) error {
	t.Helper()
	if err := repo.Record(context.Background(), w); err != nil {
		return err
	}
	path := filepath.Join(repo.StateDir(), filepath.FromSlash(w.File))
	if w.Data == nil {
		return os.Remove(path)
	}
	return os.WriteFile(path, w.Data, 0o644)
}

var scaleNote = spec.Note{Why: "scale web:1 to min 2 max 5 (POST /images/web:1/scale)", Who: "127.0.0.1:5000"}

// An API write is one commit on the remote's branch, by the configured
// author, with the call in its subject and the client in a trailer; it
// needs no new revision in place.
func TestRecordPushesOneCommit(t *testing.T) {
	r := gitsynctest.NewRemote(t, map[string]string{"deploy/web.yaml": "image: web:1\nresources: {}\n"})
	repo := running(t, r, func(o *gitsync.Options) { o.Path = "deploy" })
	syncNow(t, repo)
	link, _ := os.Readlink(repo.StateDir())
	data := "image: web:1\nmin_replicas: 2\nresources: {}\n"
	if err := write(t, repo, spec.Write{File: "web.yaml", Data: []byte(data), Image: "web:1", Result: spec.Configured, Note: scaleNote}); err != nil {
		t.Fatal(err)
	}
	head := r.Head()
	want := "scale web:1 to min 2 max 5 (POST /images/web:1/scale)\n\nOrchestrator-Client: 127.0.0.1:5000\n"
	if head.Message != want || head.Author.Name != "Orch" || head.Author.Email != "orch@example.com" || len(head.ParentHashes) != 1 || head.ParentHashes[0] != r.First {
		t.Errorf("remote head: %q by %s <%s>, parents %v", head.Message, head.Author.Name, head.Author.Email, head.ParentHashes)
	}
	if got := gitsynctest.FileAt(t, head, "deploy/web.yaml"); got != data {
		t.Errorf("deploy/web.yaml in the commit = %q", got)
	}
	if rev := repo.Status().Revision; rev.Commit != head.Hash.String() {
		t.Errorf("status revision %s, want our commit %s", rev.Commit, head.Hash)
	}
	// Our own commit is no news: a sync puts nothing anew.
	syncNow(t, repo)
	if after, _ := os.Readlink(repo.StateDir()); after != link {
		t.Errorf("our own commit was put in place again: %s -> %s", link, after)
	}

	// A new file, and a removed one.
	if err := write(t, repo, spec.Write{File: "api.yaml", Data: []byte("image: api:1\nresources: {}\n"), Image: "api:1", Result: spec.Created}); err != nil {
		t.Fatal(err)
	}
	if err := write(t, repo, spec.Write{File: "web.yaml", Image: "web:1", Delete: true}); err != nil {
		t.Fatal(err)
	}
	head = r.Head()
	if gitsynctest.FileAt(t, head, "deploy/web.yaml") != "" || gitsynctest.FileAt(t, head, "deploy/api.yaml") == "" || head.Message != "delete web:1\n" {
		t.Errorf("after create and delete: %q, web %q, api %q", head.Message, gitsynctest.FileAt(t, head, "deploy/web.yaml"), gitsynctest.FileAt(t, head, "deploy/api.yaml"))
	}
}

// The remote moved, by a commit to another file: our commit goes on its
// new head, and both land; the revision in place then has both.
func TestRecordRebasesOverAnotherFile(t *testing.T) {
	r := gitsynctest.NewRemote(t, map[string]string{"web.yaml": "image: web:1\nresources: {}\n", "api.yaml": "image: api:1\nresources: {}\n"})
	repo := running(t, r)
	syncNow(t, repo)
	upstream := r.Commit("api to 2 replicas", map[string]string{"api.yaml": "image: api:1\nmin_replicas: 2\nresources: {}\n"})
	r.Push(false)
	web := "image: web:1\nmin_replicas: 3\nresources: {}\n"
	if err := write(t, repo, spec.Write{File: "web.yaml", Data: []byte(web), Image: "web:1", Note: scaleNote}); err != nil {
		t.Fatalf("a write racing a commit to another file: %v", err)
	}
	head := r.Head()
	if len(head.ParentHashes) != 1 || head.ParentHashes[0] != upstream {
		t.Errorf("our commit's parent %v, want the upstream commit %s", head.ParentHashes, upstream)
	}
	want := map[string]string{"web.yaml": web, "api.yaml": "image: api:1\nmin_replicas: 2\nresources: {}\n"}
	for name, text := range want {
		if got := gitsynctest.FileAt(t, head, name); got != text {
			t.Errorf("%s on the remote = %q, want %q", name, got, text)
		}
	}
	if diff := cmp.Diff(want, tree(t, repo.StateDir())); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
}

// The remote moved, by a commit to the same file: 409 with the upstream
// commit, and nothing lost: the remote keeps the upstream commit, the
// state directory its revision.
func TestRecordRefusesWhenTheSameFileMoved(t *testing.T) {
	r := gitsynctest.NewRemote(t, map[string]string{"web.yaml": "image: web:1\nresources: {}\n"})
	repo := running(t, r)
	syncNow(t, repo)
	before := tree(t, repo.StateDir())
	upstream := r.Commit("web to 4 replicas", map[string]string{"web.yaml": "image: web:1\nmin_replicas: 4\nresources: {}\n"})
	r.Push(false)
	err := write(t, repo, spec.Write{File: "web.yaml", Data: []byte("image: web:1\nmin_replicas: 3\nresources: {}\n"), Image: "web:1", Note: scaleNote})
	var ce *gitsync.ConflictError
	if !errors.Is(err, spec.ErrUpstreamChanged) || !errors.As(err, &ce) || ce.Upstream.Commit != upstream.String() ||
		ce.Upstream.Subject != "web to 4 replicas" || !strings.Contains(err.Error(), "web to 4 replicas") {
		t.Fatalf("write onto a moved file = %v, want a conflict naming %s", err, upstream)
	}
	if head := r.Head(); head.Hash != upstream {
		t.Errorf("the remote moved to %s, want it left at the upstream commit", head.Hash)
	}
	if diff := cmp.Diff(before, tree(t, repo.StateDir())); diff != "" {
		t.Errorf("the state directory changed (-before +after):\n%s", diff)
	}
	// The next sync brings the upstream commit in.
	if got := syncNow(t, repo); got.Commit != upstream.String() {
		t.Errorf("after the conflict, sync = %+v", got)
	}
}

// A write to an unreachable remote is not recorded, and so not made.
func TestRecordFailsWithoutTheRemote(t *testing.T) {
	r := gitsynctest.NewRemote(t, map[string]string{"web.yaml": "image: web:1\nresources: {}\n"})
	repo := running(t, r)
	syncNow(t, repo)
	if err := os.RemoveAll(r.Path()); err != nil {
		t.Fatal(err)
	}
	err := repo.Record(context.Background(), spec.Write{File: "web.yaml", Data: []byte("x: 1\n"), Image: "web:1"})
	if !errors.Is(err, spec.ErrRecordFailed) {
		t.Errorf("record to a removed remote = %v, want ErrRecordFailed", err)
	}
	// And before any revision is in place.
	none := gitsync.New(gitsync.Options{URL: r.URL, Dir: t.TempDir()})
	if err := none.Record(context.Background(), spec.Write{File: "web.yaml", Data: []byte("x: 1\n")}); !errors.Is(err, spec.ErrRecordFailed) {
		t.Errorf("record with no revision = %v", err)
	}
}
