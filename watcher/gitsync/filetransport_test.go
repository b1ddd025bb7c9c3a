package gitsync_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/spec"
	"github.com/orchestrator/orchestrator/watcher/gitsync/gitsynctest"
)

// A file:// remote needs no git binary: clone, a person's push, the fetch
// of it, and an API write's push all run with none on PATH.
func TestFileRemoteNeedsNoGitBinary(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	r := gitsynctest.NewRemote(t, map[string]string{"web.yaml": "image: web:1\n"})
	repo := running(t, r)
	syncNow(t, repo)
	r.Commit("add api", map[string]string{"api.yaml": "image: api:1\n"})
	r.Push(false)
	syncNow(t, repo)
	data := "image: web:1\nmin_replicas: 2\n"
	if err := write(t, repo, spec.Write{File: "web.yaml", Data: []byte(data), Image: "web:1", Result: spec.Configured, Note: scaleNote}); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"web.yaml": data, "api.yaml": "image: api:1\n"}
	if diff := cmp.Diff(want, tree(t, repo.StateDir())); diff != "" {
		t.Errorf("state directory (-want +got):\n%s", diff)
	}
	if got := gitsynctest.FileAt(t, r.Head(), "web.yaml"); got != data {
		t.Errorf("web.yaml on the remote = %q, want %q", got, data)
	}
}

// A push to a file:// remote moves a branch only from what the pusher
// saw, as git-receive-pack does: a push made on a stale view, or while
// another push holds the branch's lock, changes nothing.
func TestFileRemotePushIsCompareAndSwap(t *testing.T) {
	for _, tc := range []struct {
		name string
		race func(r *gitsynctest.Remote) // between our view and our push
	}{
		{"the branch moved", func(r *gitsynctest.Remote) {
			r.Commit("theirs", map[string]string{"web.yaml": "image: web:2\n"})
			r.Push(false)
		}},
		{"another push holds the lock", func(r *gitsynctest.Remote) {
			lock := filepath.Join(r.Path(), "refs", "heads", "main.lock")
			if err := os.WriteFile(lock, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := gitsynctest.NewRemote(t, map[string]string{"web.yaml": "image: web:1\n"})
			// Our commit reaches the remote on another branch, so the
			// push below needs no pack.
			ours := r.Commit("ours", map[string]string{"api.yaml": "image: api:1\n"})
			side := config.RefSpec("refs/heads/main:refs/heads/side")
			if err := r.Work.Push(&git.PushOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{side}}); err != nil {
				t.Fatal(err)
			}
			sess := receiveSession(t, r)
			ar, err := sess.AdvertisedReferencesContext(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			seen := ar.References["refs/heads/main"]
			tc.race(r)
			before := r.Head().Hash
			req := packp.NewReferenceUpdateRequestFromCapabilities(ar.Capabilities)
			req.Capabilities.Set(capability.ReportStatus)
			req.Commands = []*packp.Command{{Name: plumbing.NewBranchReferenceName("main"), Old: seen, New: ours}}
			rs, err := sess.ReceivePack(context.Background(), req)
			if err == nil && (rs == nil || rs.Error() == nil) {
				t.Errorf("the push went")
			}
			if after := r.Head().Hash; after != before {
				t.Errorf("main moved from %s to %s", before, after)
			}
		})
	}
}

// receiveSession opens a push to r through the installed file://
// transport.
func receiveSession(t *testing.T, r *gitsynctest.Remote) transport.ReceivePackSession {
	t.Helper()
	ep, err := transport.NewEndpoint(r.URL)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.NewClient(ep)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := cl.NewReceivePackSession(ep, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close() })
	return sess
}
