package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orchestrator/orchestrator/api"
	"github.com/orchestrator/orchestrator/reconciler"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
	"github.com/orchestrator/orchestrator/spec"
)

// apiServer is `orchestrator serve` in-process without Docker: the real API
// over a state directory in a temp dir, with the real reconciler running on
// the fake engine. The server's host has 2 CPUs.
type apiServer struct {
	url  string
	dir  string
	fake *rt.Fake
	rec  *reconciler.Reconciler
}

// serverImages are the images the fake engine has.
var serverImages = []string{"shop/web:1.0", "shop/worker:1.0", "shop/api:2", "shop/cache:7",
	"orchestrator-demo:latest", "orchestrator-demo:web", "orchestrator-demo:worker", "orchestrator-demo:api", "orchestrator-demo:cache", "orchestrator-demo:kv"}

func startAPI(t *testing.T, token string) *apiServer {
	t.Helper()
	s := &apiServer{dir: t.TempDir(), fake: rt.NewFake(serverImages...)}
	d := spec.NewDir(s.dir, spec.Options{HostCPUs: 2})
	s.rec = reconciler.New(d, s.fake, reconciler.Options{Resync: time.Hour, AllowEmpty: true})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.rec.Run(ctx, nil) }()
	srv := httptest.NewServer(api.New(d, s.rec, s.fake, nil, api.Options{Token: token, WaitTimeout: 5 * time.Second}).Handler())
	s.url = srv.URL
	t.Cleanup(func() {
		srv.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("reconciler: %v", err)
		}
	})
	return s
}

// orch runs the command line against the server.
func (s *apiServer) orch(t *testing.T, args ...string) result {
	t.Helper()
	return cli(t, nil, "", append(args, "--server", s.url)...)
}

// write puts files into the server's state directory by hand.
func (s *apiServer) write(t *testing.T, files map[string]string) {
	t.Helper()
	abs := map[string]string{}
	for name, text := range files {
		abs[filepath.Join(s.dir, name)] = text
	}
	writeFiles(t, abs)
}

// converge waits, with a deadline and no sleep, for reconcile passes until
// every status is synced (or stopped as desired).
func (s *apiServer) converge(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if _, err := s.rec.WaitPass(ctx); err != nil {
			t.Fatalf("not converged: %v; statuses %+v", err, s.rec.Statuses())
		}
		done := len(s.rec.Statuses()) > 0
		for _, st := range s.rec.Statuses() {
			done = done && st.Synced
		}
		if done {
			return
		}
	}
}

// closedURL is the URL of a port that nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// unreachable is what the CLI says when nothing listens at url, for a verb
// that also works with --dir.
func unreachable(url string) string {
	return "error: cannot reach the orchestrator at " + url + ": dial tcp " + strings.TrimPrefix(url, "http://") +
		": connect: connection refused; start it with `orchestrator serve --dir DIR`, or use --dir\n"
}

// unreachableServerOnly is the same for a verb that needs a server: it
// does not offer --dir, which that verb refuses.
func unreachableServerOnly(url string) string {
	return "error: cannot reach the orchestrator at " + url + ": dial tcp " + strings.TrimPrefix(url, "http://") +
		": connect: connection refused; start it with `orchestrator serve --dir DIR` (this command needs a running server)\n"
}

// outcome is what one store call gave, comparable across stores.
type outcome struct {
	Value any
	Err   string // the sentinel the error is, "" for none
}

// change is a spec.Change without its unexported path.
type change struct {
	spec.PutResult
	Before, After string
	New           bool // Before is nil
}

func preview(st store, s spec.Spec) outcome {
	ch, err := st.Preview(s)
	if ch.Before != nil {
		ch.Source.Line = 0 // the API's dry run gives no line for an edit
	}
	return classify(change{ch.PutResult, string(ch.Before), string(ch.After), ch.Before == nil}, err)
}

func classify(v any, err error) outcome {
	if err == nil {
		return outcome{Value: v}
	}
	for _, s := range []error{spec.ErrNotFound, spec.ErrPrecondition, spec.ErrConflict, spec.ErrBrokenFile, spec.ErrInvalid, spec.ErrRootMissing, errServer} {
		if errors.Is(err, s) {
			return outcome{Err: s.Error()}
		}
	}
	return outcome{Err: "other: " + err.Error()}
}

// The client is a store that behaves as the state directory does: the same
// calls on a server's directory and on a local one, with the same files,
// give the same results, the same sentinel errors and the same files. The
// image has "/", ":" and "@", which travel as one URL-escaped segment.
func TestClientStoreMatchesDir(t *testing.T) {
	s := startAPI(t, "")
	c, err := newClient(s.url, "")
	if err != nil {
		t.Fatal(err)
	}
	local := spec.NewDir(t.TempDir(), spec.Options{HostCPUs: 2})
	files := map[string]string{"shop.yaml": multiYAML, "broken.yaml": "image: shop/broken:1\nresources: {memory: 12q}\n",
		"twice-a.yaml": "image: shop/twice:1\nresources: {}\n", "twice-b.yaml": "image: shop/twice:1\nresources: {}\n"}
	s.write(t, files)
	for name, text := range files {
		writeFiles(t, map[string]string{filepath.Join(local.Root, name): text})
	}

	digest := "ghcr.io/org/app@sha256:" + strings.Repeat("ab", 32)
	app := spec.New(digest)
	app.Ports = map[string]int{"8080/tcp": 0}
	app.Resources.CPU = "1.5"
	bigger := app
	bigger.MaxReplicas = 9
	api2 := spec.New("shop/api:2")
	api2.Resources = spec.Resources{CPU: "1", Memory: "2g", Status: spec.StatusRunning}
	tooBig := spec.New("shop/big:1")
	tooBig.Resources.CPU = "3"
	broken := spec.New("shop/broken:1")
	twice := spec.New("shop/twice:1")
	steps := []struct {
		name string
		do   func(st store) outcome
	}{
		{"preview new", func(st store) outcome { return preview(st, app) }},
		{"put new", func(st store) outcome { return classify(st.Put(app, "")) }},
		{"put unchanged", func(st store) outcome { return classify(st.Put(app, "")) }},
		{"put stale if-match", func(st store) outcome { return classify(st.Put(bigger, "0123")) }},
		{"put if-match", func(st store) outcome { return classify(st.Put(bigger, app.Revision())) }},
		{"preview edit in place", func(st store) outcome { return preview(st, api2) }},
		{"put edit in place", func(st store) outcome { return classify(st.Put(api2, "*")) }},
		{"put too many cpus", func(st store) outcome { return classify(st.Put(tooBig, "")) }},
		{"put into broken file", func(st store) outcome { return classify(st.Put(broken, "")) }},
		{"put conflict", func(st store) outcome { return preview(st, twice) }},
		{"delete stale if-match", func(st store) outcome { return classify(st.Delete(digest, "0123")) }},
		{"delete", func(st store) outcome { return classify(st.Delete(digest, bigger.Revision())) }},
		{"delete again", func(st store) outcome { return classify(st.Delete(digest, "")) }},
		{"delete conflict", func(st store) outcome { return classify(st.Delete("shop/twice:1", "")) }},
		{"put new again", func(st store) outcome { return classify(st.Put(app, "")) }},
		{"load", func(st store) outcome {
			snap, err := st.Load()
			if err != nil {
				return classify(nil, err)
			}
			for i := range snap.Specs {
				snap.Specs[i].Source.Index = 0 // the API does not give it
			}
			return outcome{Value: snap.Specs}
		}},
	}
	for _, step := range steps {
		want, got := step.do(local), step.do(c)
		// Only a server knows its engine: its image warnings are apart.
		if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(spec.PutResult{}, "Warnings")); diff != "" {
			t.Errorf("%s: server store differs from the directory (-dir +server):\n%s", step.name, diff)
		}
	}
	if diff := cmp.Diff(readTree(t, local.Root), readTree(t, s.dir)); diff != "" {
		t.Errorf("files (-dir +server):\n%s", diff)
	}
}

// The client's own errors: a bad URL, an unreachable server, no server.
func TestClientErrors(t *testing.T) {
	for _, raw := range []string{"ftp://x", "http://", "http://x?y=1", "://"} {
		if _, err := newClient(raw, ""); err == nil {
			t.Errorf("newClient(%q) = nil error", raw)
		}
	}
	c, err := newClient("127.0.0.1:8000/", "")
	if err != nil || c.base != "http://127.0.0.1:8000" {
		t.Errorf("newClient(127.0.0.1:8000/) = %+v, %v", c, err)
	}
	url := closedURL(t)
	c, _ = newClient(url, "")
	_, err = c.Load()
	if !errors.Is(err, errServer) || err.Error()+"\n" != strings.TrimPrefix(unreachableServerOnly(url), "error: ") {
		t.Errorf("Load of %s: %v", url, err)
	}

	// A server that does not answer in time.
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer slow.Close()
	c, _ = newClient(slow.URL, "")
	c.http.Timeout = 10 * time.Millisecond
	if _, err := c.Load(); !errors.Is(err, errServer) || !strings.HasPrefix(err.Error(), "the orchestrator at "+slow.URL+" did not answer within 10ms: ") {
		t.Errorf("Load from a server that does not answer: %v", err)
	}

	// Not an orchestrator: its 404s are no "no spec" answers.
	other := httptest.NewServer(nil) // every path is 404 "404 page not found"
	defer other.Close()
	c, _ = newClient(other.URL, "")
	if _, err := c.Load(); err == nil || errors.Is(err, spec.ErrNotFound) {
		t.Errorf("Load from a plain HTTP server: %v", err)
	}
}

func TestFieldPath(t *testing.T) {
	for _, tt := range []struct {
		loc  []string
		want string
	}{
		{nil, ""},
		{[]string{"resources", "cpu"}, "resources.cpu"},
		{[]string{"env", "A.B"}, `env["A.B"]`},
		{[]string{"ports", "80/tcp"}, `ports["80/tcp"]`},
		{[]string{"health", "port"}, "health.port"},
	} {
		if got := fieldPath(tt.loc); got != tt.want {
			t.Errorf("fieldPath(%q) = %q, want %q", tt.loc, got, tt.want)
		}
	}
}

// A URL that is no orchestrator's API (a wrong base path, another server)
// is said to be so, not taken for a missing spec: the router's 404 has a
// code of its own.
func TestWrongServerURL(t *testing.T) {
	s := startAPI(t, "")
	got := orch(t, "get", "shop/web:1.0", "--server", s.url+"/api")
	if got.Code != 1 || !strings.Contains(got.Stderr, "404 Not Found: is this an orchestrator server?") {
		t.Errorf("get through a wrong base path = %+v", got)
	}
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	got = orch(t, "get", "--server", plain.URL)
	if got.Code != 1 || !strings.Contains(got.Stderr, "is this an orchestrator server?") {
		t.Errorf("get from a server that is not an orchestrator = %+v", got)
	}
}

// sync of a server that serves no git remote says so.
func TestSyncNeedsAGitServer(t *testing.T) {
	s := startAPI(t, "")
	checkResult(t, result{1, "", "error: the orchestrator at " + s.url + " serves no git remote (start it with serve --git URL)\n"}, s.orch(t, "sync"))
}
