package gitsync_test

import (
	"context"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/spec"
	"github.com/orchestrator/orchestrator/watcher/gitsync"
	"github.com/orchestrator/orchestrator/watcher/gitsync/gitsynctest"
)

// gitServer serves the remote's bare repository over smart HTTP with
// git http-backend (the real git's server side) behind net/http/cgi, and
// basic auth with token as the password. It skips the test where there is
// no git binary: the product itself never needs one.
func gitServer(t *testing.T, r *gitsynctest.Remote, token string) string {
	t.Helper()
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git binary for git http-backend")
	}
	backend := &cgi.Handler{Path: git, Args: []string{"http-backend"}, Env: []string{
		"GIT_PROJECT_ROOT=" + filepath.Dir(r.Path()), "GIT_HTTP_EXPORT_ALL=1",
		"REMOTE_USER=orchestrator", // lets http-backend take pushes
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if _, pass, ok := req.BasicAuth(); !ok || pass != token {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/" + filepath.Base(r.Path())
}

// Over https-like smart HTTP with a token: clone, fetch and push work; a
// wrong token is a clear error that never shows the token.
func TestSyncAndRecordOverHTTP(t *testing.T) {
	r := gitsynctest.NewRemote(t, map[string]string{"web.yaml": "image: web:1\nresources: {}\n"})
	url := gitServer(t, r, "s3cret-token")
	auth, err := gitsync.Credentials{Token: "s3cret-token"}.Auth(url)
	if err != nil {
		t.Fatal(err)
	}
	repo := running(t, &gitsynctest.Remote{URL: url}, func(o *gitsync.Options) { o.Auth = auth })
	if rev := syncNow(t, repo); rev.Subject != "first" {
		t.Errorf("revision over HTTP = %+v", rev)
	}
	data := "image: web:1\nmin_replicas: 2\nresources: {}\n"
	if err := write(t, repo, spec.Write{File: "web.yaml", Data: []byte(data), Image: "web:1", Note: scaleNote}); err != nil {
		t.Fatalf("write over HTTP: %v", err)
	}
	if got := gitsynctest.FileAt(t, r.Head(), "web.yaml"); got != data {
		t.Errorf("web.yaml on the remote = %q", got)
	}

	wrong, err := gitsync.Credentials{Token: "not-the-token"}.Auth(url)
	if err != nil {
		t.Fatal(err)
	}
	bad := running(t, &gitsynctest.Remote{URL: url}, func(o *gitsync.Options) { o.Auth = wrong })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = bad.SyncNow(ctx)
	st := bad.Status()
	if err == nil || st.LastError == "" || !strings.Contains(st.LastError, "authentication") {
		t.Errorf("a wrong token: %v, status error %q", err, st.LastError)
	}
	for _, s := range []string{err.Error(), st.LastError, st.URL} {
		if strings.Contains(s, "not-the-token") || strings.Contains(s, "s3cret-token") {
			t.Errorf("a token shows: %q", s)
		}
	}
}

// A URL with a password in it is never shown with the password.
func TestRedacted(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pass@git.example.com/shop.git": "https://user:xxxxx@git.example.com/shop.git",
		"https://git.example.com/shop.git":           "https://git.example.com/shop.git",
		"git@github.com:org/shop.git":                "git@github.com:org/shop.git",
		"file:///srv/shop.git":                       "file:///srv/shop.git",
	} {
		if got := gitsync.Redacted(in); got != want {
			t.Errorf("Redacted(%q) = %q, want %q", in, got, want)
		}
	}
}
