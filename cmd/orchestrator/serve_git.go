package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/orchestrator/orchestrator/api"
	"github.com/orchestrator/orchestrator/spec"
	"github.com/orchestrator/orchestrator/watcher/gitsync"
)

// envGitToken holds an https token for --git, as --git-token-file does.
const envGitToken = "ORCH_GIT_TOKEN"

// gitFlags are serve's flags of a git remote (docs/design.md §14).
type gitFlags struct {
	url, branch, path        string
	interval                 time.Duration
	author, pushBranch       string
	tokenFile, sshKey, hosts string
	secretFile               string
	commit                   bool // --git-commit: no remote, commit to the work tree of --dir
}

func (g *gitFlags) bind(fl *pflag.FlagSet) {
	fl.StringVar(&g.url, "git", "", "serve the specs of a git remote's `URL` (https://, ssh://, file://): --dir is then its local checkout")
	fl.StringVar(&g.branch, "git-branch", "", "`BRANCH` to follow (default: the remote's HEAD)")
	fl.StringVar(&g.path, "git-path", "", "`DIR` of the repository that holds the specs (default: its root)")
	fl.DurationVar(&g.interval, "git-interval", 60*time.Second, "how often to fetch the remote; 0 = only on webhooks and POST /git/sync")
	fl.StringVar(&g.author, "git-author", "orchestrator <orchestrator@localhost>", "the `\"Name <email>\"` of the commits of API writes")
	fl.StringVar(&g.pushBranch, "git-push-branch", "", "`BRANCH` the commits of API writes go to (default: --git-branch)")
	fl.StringVar(&g.tokenFile, "git-token-file", "", "`FILE` holding an https token (or $"+envGitToken+")")
	fl.StringVar(&g.sshKey, "git-ssh-key", "", "`FILE` of a private key for an ssh remote")
	fl.StringVar(&g.hosts, "git-known-hosts", "", "`FILE` of known hosts for an ssh remote (default ~/.ssh/known_hosts)")
	fl.StringVar(&g.secretFile, "webhook-secret-file", "", "`FILE` holding the secret of push webhooks (POST /hooks/git; without it, no such route)")
	fl.BoolVar(&g.commit, "git-commit", false, "without --git: commit every API write to the git work tree that holds --dir (git log is the audit trail)")
}

// check refuses git flags without --git (--git-author goes with
// --git-commit too).
func (g gitFlags) check(fl *pflag.FlagSet) error {
	if g.url != "" {
		if g.commit {
			return usagef("--git-commit is for a --dir without a remote; with --git every write is committed and pushed")
		}
		return nil
	}
	for _, name := range []string{"git-branch", "git-path", "git-interval", "git-author", "git-push-branch", "git-token-file", "git-ssh-key", "git-known-hosts", "webhook-secret-file"} {
		if fl.Changed(name) && !(name == "git-author" && g.commit) {
			return usagef("--%s needs --git URL", name)
		}
	}
	return nil
}

// localRecorder is --git-commit's: the work tree that holds dir.
func localRecorder(g gitFlags, dir string) (spec.Recorder, error) {
	author, err := parseAuthor(g.author)
	if err != nil {
		return nil, err
	}
	return gitsync.OpenLocal(dir, author)
}

// gitRepo is the Repo of --git in dir (a default when dir is ""), and the
// webhook secret.
func (a *app) gitRepo(g gitFlags, dir string, obs gitsync.Observer, log *slog.Logger) (*gitsync.Repo, string, error) {
	author, err := parseAuthor(g.author)
	if err != nil {
		return nil, "", err
	}
	creds := gitsync.Credentials{Token: a.getenv(envGitToken), SSHKey: g.sshKey, KnownHosts: g.hosts}
	if g.tokenFile != "" {
		if creds.Token, err = gitsync.TokenFromFile(g.tokenFile); err != nil {
			return nil, "", err
		}
	}
	auth, err := creds.Auth(g.url)
	if err != nil {
		return nil, "", err
	}
	secret := ""
	if g.secretFile != "" {
		if secret, err = secretFromFile("webhook-secret-file", g.secretFile); err != nil {
			return nil, "", err
		}
	}
	if dir == "" {
		dir = defaultGitDir(g.url, g.branch, g.path)
	}
	repo := gitsync.New(gitsync.Options{
		URL: g.url, Branch: g.branch, Path: strings.Trim(path.Clean("/"+g.path), "/"), Dir: dir, Interval: g.interval,
		Auth: auth, Author: author, PushBranch: g.pushBranch, Logger: log, Observer: obs,
	})
	return repo, secret, nil
}

// defaultGitDir is where a remote is checked out without --dir: one
// directory per remote, branch and path, under $XDG_STATE_HOME (else
// ~/.local/state)/orchestrator/git.
func defaultGitDir(url, branch, sub string) string {
	base := os.Getenv("XDG_STATE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = os.TempDir()
		}
		base = filepath.Join(home, ".local", "state")
	}
	sum := sha256.Sum256([]byte(gitsync.Redacted(url) + "\x00" + branch + "\x00" + sub))
	name := strings.TrimSuffix(path.Base(strings.TrimSuffix(url, "/")), ".git")
	name = strings.Trim(regexp.MustCompile(`[^A-Za-z0-9._-]+`).ReplaceAllString(name, "-"), "-.")
	if name == "" {
		name = "repo"
	}
	return filepath.Join(base, "orchestrator", "git", name+"-"+hex.EncodeToString(sum[:4]))
}

var authorRE = regexp.MustCompile(`^\s*([^<>]+?)\s*<([^<>\s]+@[^<>\s]+)>\s*$`)

// parseAuthor reads "Name <email>".
func parseAuthor(s string) (gitsync.Signature, error) {
	m := authorRE.FindStringSubmatch(s)
	if m == nil {
		return gitsync.Signature{}, usagef("--git-author %q is not \"Name <email>\"", s)
	}
	return gitsync.Signature{Name: m[1], Email: m[2]}, nil
}

// gitView is the Repo as the API sees it.
type gitView struct{ *gitsync.Repo }

func (g gitView) Status() api.GitStatus { return apiGitStatus(g.Repo.Status()) }

func (g gitView) SyncNow(ctx context.Context) (api.GitStatus, error) {
	_, err := g.Repo.SyncNow(ctx)
	return apiGitStatus(g.Repo.Status()), err
}

func (g gitView) LastChange(file string) (api.GitStatus, bool) {
	rev, ok := g.Repo.LastChange(file)
	return api.GitStatus{Commit: rev.Commit, Subject: rev.Subject, Author: rev.Author, Time: rev.Time}, ok
}

func apiGitStatus(st gitsync.Status) api.GitStatus {
	return api.GitStatus{URL: st.URL, Branch: st.Branch, Path: st.Path, Commit: st.Revision.Commit, Subject: st.Revision.Subject,
		Author: st.Revision.Author, Time: st.Revision.Time, LastFetch: st.LastFetch, LastError: st.LastError}
}

// gitMetrics counts the Repo's fetches and revisions in the API's metrics,
// and tells synced of each revision (the event stream).
type gitMetrics struct {
	m      *api.Metrics
	branch func() string
	synced func(gitsync.Revision)
}

func (g gitMetrics) Fetched(err error) { g.m.GitFetched(err) }

func (g gitMetrics) Synced(rev gitsync.Revision) {
	g.m.GitRevision(rev.Commit, g.branch())
	g.synced(rev)
}
