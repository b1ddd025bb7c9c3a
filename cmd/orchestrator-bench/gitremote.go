package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/orchestrator/orchestrator/api/wire"
)

// gitBranch is the branch of the bench's remotes: named, so that serve
// follows it with --git-branch and a webhook names it.
const gitBranch = "main"

// gitRemote is a bare repository on disk that serve --git follows
// (file://), and a working clone of it where the bench commits and pushes
// as a person would. It is go-git, as gitsynctest's Remote is, but without
// "testing": the bench is no test.
type gitRemote struct {
	url  string          // file:// of the bare repository
	work *git.Repository // the person's clone
	dir  string          // its working tree
}

// newGitRemote makes root/remote.git with one commit holding files, and
// root/work, a clone of it.
func newGitRemote(root string, files map[string]string) (*gitRemote, error) {
	main := git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName(gitBranch)}
	bare := filepath.Join(root, "remote.git")
	if _, err := git.PlainInitWithOptions(bare, &git.PlainInitOptions{Bare: true, InitOptions: main}); err != nil {
		return nil, fmt.Errorf("git init %s: %w", bare, err)
	}
	g := &gitRemote{url: "file://" + bare, dir: filepath.Join(root, "work")}
	work, err := git.PlainInitWithOptions(g.dir, &git.PlainInitOptions{InitOptions: main})
	if err != nil {
		return nil, fmt.Errorf("git init %s: %w", g.dir, err)
	}
	if _, err := work.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{g.url}}); err != nil {
		return nil, fmt.Errorf("git remote: %w", err)
	}
	g.work = work
	for name, text := range files {
		if err := g.commit(name, text, "first"); err != nil {
			return nil, err
		}
	}
	if err := g.push(context.Background()); err != nil {
		return nil, err
	}
	return g, nil
}

// commit writes the file name and commits it: the person's local step,
// which no timing counts.
func (g *gitRemote) commit(name, text, msg string) error {
	wt, err := g.work.Worktree()
	if err != nil {
		return fmt.Errorf("git worktree: %w", err)
	}
	if err := os.WriteFile(filepath.Join(g.dir, name), []byte(text), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if _, err := wt.Add(name); err != nil {
		return fmt.Errorf("git add %s: %w", name, err)
	}
	sig := &object.Signature{Name: "Bench", Email: "bench@localhost", When: time.Now()}
	if _, err := wt.Commit(msg, &git.CommitOptions{Author: sig}); err != nil {
		return fmt.Errorf("git commit: %w", err)
	}
	return nil
}

// push pushes the branch to the remote, as `git push` does. go-git's
// file:// transport runs the git binary's git-receive-pack (and serve's
// fetches its git-upload-pack): the git scenarios need git installed.
func (g *gitRemote) push(ctx context.Context) error {
	spec := config.RefSpec("refs/heads/" + gitBranch + ":refs/heads/" + gitBranch)
	err := g.work.PushContext(ctx, &git.PushOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{spec}})
	if err != nil && err != git.NoErrAlreadyUpToDate {
		return fmt.Errorf("git push: %w", err)
	}
	return nil
}

// bare opens the remote's bare repository, as serve's fetches see it.
func (g *gitRemote) bare() (*git.Repository, error) {
	repo, err := git.PlainOpen(strings.TrimPrefix(g.url, "file://"))
	if err != nil {
		return nil, fmt.Errorf("open remote: %w", err)
	}
	return repo, nil
}

// head is the remote's branch.
func (g *gitRemote) head() (plumbing.Hash, error) {
	bare, err := g.bare()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	ref, err := bare.Reference(plumbing.NewBranchReferenceName(gitBranch), true)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("remote %s: %w", gitBranch, err)
	}
	return ref.Hash(), nil
}

// pushEvent is the body of a push webhook to the bench's branch: only ref
// is read by serve (GitHub sends much more).
func pushEvent() []byte {
	body, _ := json.Marshal(map[string]string{"ref": "refs/heads/" + gitBranch})
	return body
}

// hookSignature is GitHub's X-Hub-Signature-256 of body: "sha256=" and the
// hex HMAC-SHA256 of the body with the secret.
func hookSignature(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// postHook delivers a signed push webhook to serve at base, as GitHub
// would, and checks that serve took it: 202 and accepted.
func postHook(ctx context.Context, hc *http.Client, base, secret string) error {
	body := pushEvent()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/hooks/git", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-Hub-Signature-256", hookSignature(secret, body))
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("POST /hooks/git: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("POST /hooks/git: %s: %s", resp.Status, bytes.TrimSpace(data))
	}
	var ans wire.HookAnswer
	if err := json.Unmarshal(data, &ans); err != nil || !ans.Accepted {
		return fmt.Errorf("POST /hooks/git: not accepted: %s", bytes.TrimSpace(data))
	}
	return nil
}

// commitsSince counts the remote's commits after from, up to its head,
// along first parents: how many writes reached it.
func (g *gitRemote) commitsSince(from plumbing.Hash) (int, error) {
	head, err := g.head()
	if err != nil {
		return 0, err
	}
	bare, err := g.bare()
	if err != nil {
		return 0, err
	}
	n := 0
	for h := head; h != from; n++ {
		c, err := bare.CommitObject(h)
		if err != nil {
			return 0, fmt.Errorf("remote history: %w", err)
		}
		if c.NumParents() == 0 {
			return 0, fmt.Errorf("remote history: %s is not an ancestor of %s", from, head)
		}
		h = c.ParentHashes[0]
	}
	return n, nil
}
