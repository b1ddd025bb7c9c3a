package api_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/api"
)

// fakeGit is a GitSource that counts the syncs asked of it.
type fakeGit struct {
	mu    sync.Mutex
	syncs int
	err   error // of SyncNow
	// unknownBranch: no clone has worked yet, and no --git-branch names
	// the branch.
	unknownBranch bool
}

func (g *fakeGit) Status() api.GitStatus {
	if g.unknownBranch {
		return api.GitStatus{URL: "file:///srv/shop.git", LastError: "clone file:///srv/shop.git: repository not found"}
	}
	return api.GitStatus{URL: "file:///srv/shop.git", Branch: "main", Commit: "4f1c2d3e", Subject: "first", Author: "Dev <dev@example.com>",
		Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (g *fakeGit) Sync() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.syncs++
}

func (g *fakeGit) SyncNow(context.Context) (api.GitStatus, error) {
	g.Sync()
	return g.Status(), g.err
}

func (g *fakeGit) LastChange(file string) (api.GitStatus, bool) {
	return api.GitStatus{Commit: "4f1c2d3e", Subject: "changed " + file, Author: "Dev <dev@example.com>"}, true
}

func (g *fakeGit) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.syncs
}

func hmacHex(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

// The webhook fetches only for a push to the followed branch signed with
// the secret, in any of the hosts' ways; it needs no API token.
func TestGitHook(t *testing.T) {
	const secret = "hook-s3cret"
	g := &fakeGit{}
	e := newEnv(t, withToken("api-token"), withGit(g, secret))
	push := `{"ref":"refs/heads/main","commits":[]}`
	other := `{"ref":"refs/heads/feature"}`
	for _, tc := range []struct {
		name    string
		body    string
		headers []string
		code    int
		fetch   bool
		want    string
	}{
		{"GitHub, signed", push, []string{"X-Hub-Signature-256", "sha256=" + hmacHex(secret, push)}, 202, true, `"accepted":true`},
		{"GitHub, wrong secret", push, []string{"X-Hub-Signature-256", "sha256=" + hmacHex("nope", push)}, 401, false, `"code":"unauthorized"`},
		{"GitHub, no prefix", push, []string{"X-Hub-Signature-256", hmacHex(secret, push)}, 401, false, `"code":"unauthorized"`},
		{"GitHub, signature of another body", push, []string{"X-Hub-Signature-256", "sha256=" + hmacHex(secret, other)}, 401, false, "signature"},
		{"Gitea, signed", push, []string{"X-Gitea-Signature", hmacHex(secret, push)}, 202, true, `"accepted":true`},
		{"Forgejo, signed", push, []string{"X-Forgejo-Signature", hmacHex(secret, push)}, 202, true, `"accepted":true`},
		{"Gitea, wrong", push, []string{"X-Gitea-Signature", hmacHex("nope", push)}, 401, false, "signature"},
		{"GitLab, token", push, []string{"X-Gitlab-Token", secret}, 202, true, `"accepted":true`},
		{"GitLab, wrong token", push, []string{"X-Gitlab-Token", "nope"}, 401, false, "signature"},
		{"no signature at all", push, nil, 401, false, "signature"},
		{"a push to another branch", other, []string{"X-Hub-Signature-256", "sha256=" + hmacHex(secret, other)}, 202, false,
			`"accepted":false,"reason":"not a push to refs/heads/main: refs/heads/feature"`},
		{"GitHub's ping", `{"zen":"hi"}`, []string{"X-GitHub-Event", "ping", "X-Hub-Signature-256", "sha256=" + hmacHex(secret, `{"zen":"hi"}`)}, 200, false, `"reason":"ping"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := g.count()
			r := e.do("POST", "/hooks/git", tc.body, tc.headers...)
			if r.code != tc.code || !strings.Contains(r.raw, tc.want) {
				t.Errorf("= %d %s, want %d with %s", r.code, r.raw, tc.code, tc.want)
			}
			if fetched := g.count() > before; fetched != tc.fetch {
				t.Errorf("fetched %v, want %v", fetched, tc.fetch)
			}
		})
	}
	// A serve whose first clone failed does not know the branch yet: any
	// signed push may be the one that makes the remote reachable.
	g.unknownBranch = true
	before := g.count()
	sig := []string{"X-Hub-Signature-256", "sha256=" + hmacHex(secret, other)}
	if r := e.do("POST", "/hooks/git", other, sig...); r.code != 202 || r.body["accepted"] != true || g.count() != before+1 {
		t.Errorf("a push before any clone = %d %s; fetches %d, want 1", r.code, r.raw, g.count()-before)
	}
	g.unknownBranch = false
	// The other git route needs the token like every other.
	if r := e.do("POST", "/git/sync", ""); r.code != 401 {
		t.Errorf("POST /git/sync without the token = %d", r.code)
	}
	r := e.do("POST", "/git/sync", "", "Authorization", "Bearer api-token")
	if r.code != 200 || r.body["branch"] != "main" {
		t.Errorf("POST /git/sync = %d %s", r.code, r.raw)
	}
	if r := e.do("GET", "/status", "", "Authorization", "Bearer api-token"); !strings.Contains(r.raw, `"git":{"url":"file:///srv/shop.git","branch":"main"`) {
		t.Errorf("GET /status has no git: %s", r.raw)
	}
	g.err = errors.New("fetch file:///srv/shop.git: repository not found")
	if r := e.do("POST", "/git/sync", "", "Authorization", "Bearer api-token"); r.code != 502 || r.body["code"] != "git_unavailable" {
		t.Errorf("POST /git/sync of a failing remote = %d %s", r.code, r.raw)
	}
}

// Without a webhook secret the route does not exist.
func TestGitHookNeedsASecret(t *testing.T) {
	e := newEnv(t, withGit(&fakeGit{}, ""))
	if r := e.do("POST", "/hooks/git", `{"ref":"refs/heads/main"}`); r.code != 404 || r.body["code"] != "no_route" {
		t.Errorf("POST /hooks/git without a secret = %d %s", r.code, r.raw)
	}
}
