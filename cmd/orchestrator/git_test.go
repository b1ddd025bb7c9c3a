package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
	"github.com/orchestrator/orchestrator/watcher/gitsync/gitsynctest"
)

// withGit serves from the remote at url, its checkout in the test's
// directory, fetching only when asked unless interval is set.
func withGit(url, secretFile string, interval time.Duration) serverOpt {
	return func(f *serveFlags, _ *app) {
		f.git = gitFlags{url: url, interval: interval, author: "Orch Test <orch@example.com>", secretFile: secretFile}
	}
}

// hook POSTs a GitHub push of main to the server's webhook, signed.
func hook(t *testing.T, s *server, secret string) (int, map[string]any) {
	t.Helper()
	body := `{"ref":"refs/heads/main"}`
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	req, err := http.NewRequest("POST", "http://"+s.addr+"/hooks/git", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
	return callReq(t, req)
}

// The remote is the source of truth: a pushed commit changes the
// containers (through the webhook; a bad signature changes nothing), an
// API scale is a commit in the remote by the configured author, a write
// racing a commit to another file lands rebased, one racing a commit to the
// same file is refused with 409 and nothing is lost, and a force-push is
// followed.
func TestServeFromGit(t *testing.T) {
	image := rt.BuildTestImage(t, keepImage)
	inst := newInstance(t)
	remote := gitsynctest.NewRemote(t, map[string]string{
		"deploy/app.yaml":  specText(image, "min_replicas: 1", "max_replicas: 1"),
		"deploy/keep.yaml": specText(keepImage),
		"README.md":        "not a spec\n",
	})
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("hook-s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, t.TempDir(), inst, withGit(remote.URL, secretFile, 0), func(f *serveFlags, _ *app) { f.git.path = "deploy" })
	waitHealth(t, s)
	waitFor(t, inst, image, 60*time.Second, "1 running from the first revision", exactly(1))

	// A push, and the webhook: the containers follow.
	remote.Commit("app to 2 replicas", map[string]string{"deploy/app.yaml": specText(image, "min_replicas: 2", "max_replicas: 2")})
	remote.Push(false)
	req, _ := http.NewRequest("POST", "http://"+s.addr+"/hooks/git", strings.NewReader(`{"ref":"refs/heads/main"}`))
	req.Header.Set("X-Hub-Signature-256", "sha256=00")
	if code, body := callReq(t, req); code != 401 {
		t.Errorf("webhook with a bad signature = %d %v", code, body)
	}
	if code, body := hook(t, s, "hook-s3cret"); code != 202 || body["accepted"] != true {
		t.Fatalf("webhook = %d %v", code, body)
	}
	start := time.Now()
	waitFor(t, inst, image, 30*time.Second, "2 running after the push", exactly(2))
	t.Logf("push → webhook → 2 running in %s", time.Since(start).Round(time.Millisecond))

	// An API scale is a commit in the remote.
	code, body := call(t, s, "POST", "/images/"+image+"/scale", `{"min_replicas": 3, "max_replicas": 3}`)
	if code != 200 {
		t.Fatalf("scale = %d %v", code, body)
	}
	head := remote.Head()
	if !strings.HasPrefix(head.Message, "scale "+image+" to min 3 max 3 (POST /images/"+image+"/scale)\n\nOrchestrator-Client: 127.0.0.1:") ||
		head.Author.Name != "Orch Test" || head.Author.Email != "orch@example.com" {
		t.Errorf("the remote's head after a scale: %q by %s <%s>", head.Message, head.Author.Name, head.Author.Email)
	}
	if got := gitsynctest.FileAt(t, head, "deploy/app.yaml"); !strings.Contains(got, "min_replicas: 3") {
		t.Errorf("deploy/app.yaml in the remote:\n%s", got)
	}
	waitFor(t, inst, image, 30*time.Second, "3 running after the scale", exactly(3))

	// An upstream commit to another file races an API write: both land.
	remote.Pull()
	remote.Commit("a new spec", map[string]string{"deploy/other.yaml": "# nothing yet\n"})
	remote.Push(false)
	code, body = call(t, s, "POST", "/images/"+image+"/scale", `{"min_replicas": 2, "max_replicas": 2}`)
	if code != 200 {
		t.Fatalf("scale racing a commit to another file = %d %v", code, body)
	}
	head = remote.Head()
	if gitsynctest.FileAt(t, head, "deploy/other.yaml") == "" || !strings.Contains(gitsynctest.FileAt(t, head, "deploy/app.yaml"), "min_replicas: 2") ||
		head.NumParents() != 1 {
		t.Errorf("after the race, the remote's head %q lacks one of the two changes", head.Message)
	}

	// An upstream commit to the same file: 409, and nothing lost.
	remote.Pull()
	upstream := remote.Commit("app to 1 replica, by hand", map[string]string{"deploy/app.yaml": specText(image, "min_replicas: 1", "max_replicas: 1")})
	remote.Push(false)
	code, body = call(t, s, "POST", "/images/"+image+"/scale", `{"min_replicas": 3, "max_replicas": 3}`)
	if code != 409 || body["code"] != "upstream_changed" || !strings.Contains(body["detail"].(string), "app to 1 replica, by hand") {
		t.Errorf("scale racing a commit to the same file = %d %v", code, body)
	}
	if remote.Head().Hash != upstream {
		t.Errorf("the remote moved past the upstream commit: %s", remote.Head().Message)
	}
	if code, body := call(t, s, "POST", "/git/sync", ""); code != 200 || !strings.HasPrefix(body["revision"].(map[string]any)["commit"].(string), upstream.String()) {
		t.Errorf("POST /git/sync = %d %v", code, body)
	}
	waitFor(t, inst, image, 30*time.Second, "1 running: the upstream commit is in force", exactly(1))

	// The CLI's sync and status name the revision in place.
	server := "http://" + s.addr
	got := orch(t, "sync", "--server", server)
	want := "git: " + remote.URL + " main at " + upstream.String()[:12] + " \"app to 1 replica, by hand\" by Dev <dev@example.com>, fetched "
	if got.Code != 0 || !strings.HasPrefix(got.Stdout, want) {
		t.Errorf("orchestrator sync = %+v, want %q...", got, want)
	}
	if got := orch(t, "status", "--server", server); got.Code != 0 || !strings.HasPrefix(got.Stdout, want) {
		t.Errorf("orchestrator status = %+v, want the git line first", got)
	}

	// A force-push rewrites the history: followed.
	remote.Rewrite()
	remote.Commit("rewritten: app to 2 replicas", map[string]string{"deploy/app.yaml": specText(image, "min_replicas: 2", "max_replicas: 2")})
	remote.Push(true)
	if code, _ := call(t, s, "POST", "/git/sync", ""); code != 200 {
		t.Fatalf("sync after a force-push = %d", code)
	}
	waitFor(t, inst, image, 30*time.Second, "2 running after the force-push", exactly(2))
	code, body = call(t, s, "GET", "/status", "")
	if code != 200 || body["git"].(map[string]any)["revision"].(map[string]any)["subject"] != "rewritten: app to 2 replicas" {
		t.Errorf("GET /status's git = %v", body["git"])
	}
	resp, err := http.Get("http://" + s.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`orchestrator_git_fetch_total{result="ok"}`,
		`orchestrator_git_revision_info{branch="main",commit="` + remote.Head().Hash.String() + `"} 1`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// Each spec names the commit that last changed its file.
	for _, sp := range body["specs"].([]any) {
		st := sp.(map[string]any)
		rev, _ := st["git_revision"].(map[string]any)
		want := map[string]string{image: "rewritten: app to 2 replicas", keepImage: "first"}[st["image"].(string)]
		if rev == nil || rev["subject"] != want {
			t.Errorf("%s's git_revision = %v, want %q", st["image"], rev, want)
		}
	}
}

// kill -9 of a serve --git while a new revision is synced and its
// containers are made; the restarted serve, on the same checkout, adopts
// them: no duplicates, and exactly what the remote's head asks.
func TestServeFromGitKill9WhileSyncing(t *testing.T) {
	image := rt.BuildTestImage(t, keepImage)
	inst := newInstance(t)
	bin := buildBinary(t)
	remote := gitsynctest.NewRemote(t, map[string]string{
		"app.yaml": specText(image, "min_replicas: 6", "max_replicas: 12"), "keep.yaml": specText(keepImage),
	})
	checkout := t.TempDir()
	first := startProcess(t, bin, checkout, inst, "--git", remote.URL, "--git-interval", "200ms", "--parallelism", "1")
	rt.Eventually(t, 60*time.Second, "the first containers", func() (bool, string) {
		n := len(ofImage(containers(t, inst), image))
		return n >= 2, fmt.Sprint(n, " containers")
	})
	remote.Commit("app to 12", map[string]string{"app.yaml": specText(image, "min_replicas: 12", "max_replicas: 12")})
	remote.Push(false)
	// Kill once the new revision is in place and its containers are being
	// made: the checkout's state link names it.
	rt.Eventually(t, 30*time.Second, "the new revision in place", func() (bool, string) {
		target, err := os.Readlink(filepath.Join(checkout, "state"))
		return err == nil && strings.HasSuffix(target, remote.Head().Hash.String()[:12]), target
	})
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	atKill := ofImage(containers(t, inst), image)
	t.Logf("killed with %d of 12 containers made", len(atKill))

	startProcess(t, bin, checkout, inst, "--git", remote.URL, "--git-interval", "200ms")
	cs := waitFor(t, inst, image, 90*time.Second, "exactly 12 running", exactly(12))
	names := map[string]bool{}
	for _, c := range cs {
		if names[c.Name] {
			t.Errorf("duplicate name %s", c.Name)
		}
		names[c.Name] = true
	}
	for _, c := range atKill {
		if !names[c.Name] {
			t.Errorf("%s, made before the kill, was not adopted", c.Name)
		}
	}
}

// Without a remote, --git-commit makes each API write a commit of the work
// tree that holds --dir.
func TestServeGitCommit(t *testing.T) {
	image := rt.BuildTestImage(t, keepImage)
	inst := newInstance(t)
	root := t.TempDir()
	repo, err := git.PlainInitWithOptions(root, &git.PlainInitOptions{InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")}})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "state")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "keep.yaml", specText(keepImage))
	writeFile(t, dir, "app.yaml", specText(image, "min_replicas: 1", "max_replicas: 2"))
	wt, _ := repo.Worktree()
	if err := wt.AddGlob("state/*.yaml"); err != nil {
		t.Fatal(err)
	}
	if _, err := wt.Commit("first", &git.CommitOptions{Author: &object.Signature{Name: "Dev", Email: "dev@example.com", When: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, dir, inst, func(f *serveFlags, _ *app) { f.git = gitFlags{commit: true, author: "Orch Test <orch@example.com>"} })
	waitHealth(t, s)
	if code, body := call(t, s, "POST", "/images/"+image+"/scale", `{"min_replicas": 2, "max_replicas": 2}`); code != 200 {
		t.Fatalf("scale = %d %v", code, body)
	}
	head, err := repo.Head()
	if err != nil {
		t.Fatal(err)
	}
	c, err := repo.CommitObject(head.Hash())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.Message, "scale "+image+" to min 2 max 2 (POST /images/") || c.Author.Name != "Orch Test" {
		t.Errorf("HEAD after a scale: %q by %s", c.Message, c.Author.Name)
	}
	if st, err := wt.Status(); err != nil || !st.IsClean() {
		t.Errorf("the work tree after a write: %v\n%s", err, st)
	}
}

// The git flags need --git (--git-author also goes with --git-commit).
func TestServeGitFlagsNeedGit(t *testing.T) {
	inTempDir(t)
	mkdir(t, "state")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--dir", "state", "--git-branch", "main"}, "error: --git-branch needs --git URL\n"},
		{[]string{"serve", "--dir", "state", "--webhook-secret-file", "x"}, "error: --webhook-secret-file needs --git URL\n"},
		{[]string{"serve", "--git", "file:///nowhere", "--git-commit"}, "error: --git-commit is for a --dir without a remote; with --git every write is committed and pushed\n"},
	} {
		got := orch(t, tc.args...)
		if got.Code != 2 || !strings.HasPrefix(got.Stderr, tc.want) {
			t.Errorf("%v = %+v, want usage error %q", tc.args, got, tc.want)
		}
	}
}

// A commit with a broken file, or one that deletes every spec, changes no
// container; the status says why; a good commit after them is applied.
func TestServeFromGitBadCommits(t *testing.T) {
	image := rt.BuildTestImage(t, keepImage)
	inst := newInstance(t)
	remote := gitsynctest.NewRemote(t, map[string]string{
		"app.yaml": specText(image, "min_replicas: 2", "max_replicas: 2"), "keep.yaml": specText(keepImage),
	})
	s := startServer(t, t.TempDir(), inst, withGit(remote.URL, "", 0))
	waitHealth(t, s)
	before := ids(waitFor(t, inst, image, 60*time.Second, "2 running", exactly(2)))
	sync := func(what string) {
		t.Helper()
		if code, body := call(t, s, "POST", "/git/sync", ""); code != 200 {
			t.Fatalf("sync after %s = %d %v", what, code, body)
		}
	}
	statusOf := func(image string) map[string]any {
		t.Helper()
		_, body := call(t, s, "GET", "/status", "")
		for _, sp := range body["specs"].([]any) {
			if st := sp.(map[string]any); st["image"] == image {
				return st
			}
		}
		return nil
	}

	remote.Commit("broken", map[string]string{"app.yaml": "image: " + image + "\nmin_replicas: [\nresources: {}\n"})
	remote.Push(false)
	sync("a broken file")
	rt.Eventually(t, 30*time.Second, "the broken file in the status", func() (bool, string) {
		st := statusOf(image)
		msg, _ := st["last_error"].(string)
		return strings.Contains(msg, "app.yaml:"), msg
	})
	if got := ids(ofImage(containers(t, inst), image)); !slices.Equal(got, before) {
		t.Errorf("a broken file changed the containers: %v -> %v", before, got)
	}

	remote.Commit("delete everything", map[string]string{"app.yaml": "", "keep.yaml": ""})
	remote.Push(false)
	sync("a commit that deletes every spec")
	rt.Eventually(t, 30*time.Second, "the empty directory in the status", func() (bool, string) {
		_, body := call(t, s, "GET", "/status", "")
		errs := fmt.Sprint(body["specs"])
		return strings.Contains(errs, "holds no specs"), errs
	})
	if got := ids(ofImage(containers(t, inst), image)); !slices.Equal(got, before) {
		t.Errorf("a commit that deletes every spec changed the containers: %v -> %v", before, got)
	}

	remote.Commit("fixed", map[string]string{"app.yaml": specText(image, "min_replicas: 1", "max_replicas: 1"), "keep.yaml": specText(keepImage)})
	remote.Push(false)
	sync("a good commit")
	waitFor(t, inst, image, 30*time.Second, "1 running after the fix", exactly(1))
}
