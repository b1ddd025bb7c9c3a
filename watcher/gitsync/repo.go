// Package gitsync keeps a state directory equal to a branch of a git remote
// (docs/design.md §14). It clones the remote, fetches it on a poll, a
// webhook or a request, and puts each new revision in place whole: the
// revision's tree is written into a directory of its own, and a symlink is
// swapped to it, so the watcher and the reconciler never see a
// half-checked-out tree. It also records the API's writes as commits pushed
// to the remote (spec.Recorder): the API is just another committer.
//
// It uses go-git: no git binary is needed.
package gitsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
)

// Options configure a Repo.
type Options struct {
	URL    string // https://, ssh:// (or user@host:path), file://
	Branch string // the branch to follow; "" for the remote's HEAD
	Path   string // the sub-directory that holds the specs; "" for the root
	// Dir holds the clone (repo.git), the revisions (revs/) and the state
	// directory, a symlink to the revision in place (state).
	Dir      string
	Interval time.Duration        // between polls; 0 fetches only when asked (webhooks, POST /git/sync)
	Auth     transport.AuthMethod // nil for none
	// Author signs the commits of API writes; default orchestrator
	// <orchestrator@localhost>.
	Author Signature
	// PushBranch receives the commits of API writes; default Branch.
	PushBranch string
	Logger     *slog.Logger
	Observer   Observer // may be nil
}

// Signature is a commit's author.
type Signature struct{ Name, Email string }

// Observer hears of every fetch and of every revision put in place
// (metrics).
type Observer interface {
	Fetched(err error)
	Synced(rev Revision)
}

// Revision is one commit, as status shows it.
type Revision struct {
	Commit  string
	Subject string
	Author  string
	Time    time.Time
}

// Status is what the Repo knows of the remote.
type Status struct {
	URL       string // without credentials
	Branch    string
	Path      string
	Revision  Revision // in place; zero before the first
	LastFetch time.Time
	LastError string // of the last fetch or clone; "" when it worked
}

// Repo is a clone of the remote and the revision in place.
type Repo struct {
	opts Options
	log  *slog.Logger
	wake chan struct{}

	mu     sync.Mutex // one git operation at a time: a sync or a record
	repo   *git.Repository
	branch string        // resolved: Options.Branch or the remote's HEAD
	head   plumbing.Hash // the revision in place
	rev    string        // its directory under revs/

	smu      sync.Mutex
	status   Status
	history  lastChanges   // of the revision in place
	started  uint64        // syncs begun
	finished uint64        // the last sync finished
	lastErr  error         // its error
	done     chan struct{} // closed and replaced at the end of every sync
}

// New returns a Repo; nothing is read or fetched until Run or SyncNow.
func New(opts Options) *Repo {
	if opts.Author.Name == "" {
		opts.Author = Signature{Name: "orchestrator", Email: "orchestrator@localhost"}
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Repo{opts: opts, log: log, wake: make(chan struct{}, 1), branch: opts.Branch, done: make(chan struct{})}
	r.status = Status{URL: Redacted(opts.URL), Branch: opts.Branch, Path: opts.Path}
	return r
}

// StateDir is the state directory: a symlink to the revision in place, as
// git-sync makes it, which the watcher follows.
func (r *Repo) StateDir() string { return filepath.Join(r.opts.Dir, "state") }

// Status returns what is known of the remote now.
func (r *Repo) Status() Status {
	r.smu.Lock()
	defer r.smu.Unlock()
	return r.status
}

// Run syncs at start, every Interval and on Sync, until ctx ends; it
// returns nil then. A failed sync keeps the revision in place, and is in
// Status.
func (r *Repo) Run(ctx context.Context) error {
	var tick <-chan time.Time
	if r.opts.Interval > 0 {
		t := time.NewTicker(r.opts.Interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		r.syncRound(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick:
		case <-r.wake:
		}
	}
}

// Sync asks Run for a sync now. It never blocks; requests coalesce, so a
// burst of webhooks is one fetch.
func (r *Repo) Sync() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// SyncNow asks for a sync and waits for one that began after the call,
// and returns the revision in place after it (POST /git/sync). It needs
// Run.
func (r *Repo) SyncNow(ctx context.Context) (Revision, error) {
	r.smu.Lock()
	want, ch := r.started+1, r.done
	r.smu.Unlock()
	r.Sync()
	for {
		select {
		case <-ctx.Done():
			return Revision{}, ctx.Err()
		case <-ch:
		}
		r.smu.Lock()
		if r.finished >= want {
			rev, err := r.status.Revision, r.lastErr
			r.smu.Unlock()
			return rev, err
		}
		ch = r.done
		r.smu.Unlock()
	}
}

// syncRound is one numbered sync, for SyncNow.
func (r *Repo) syncRound(ctx context.Context) {
	r.smu.Lock()
	r.started++
	seq := r.started
	r.smu.Unlock()
	err := r.sync(ctx)
	if err != nil && ctx.Err() == nil {
		r.log.Warn("git sync failed; the revision in place stays", "url", r.status.URL, "err", err)
	}
	r.smu.Lock()
	r.finished, r.lastErr = seq, err
	close(r.done)
	r.done = make(chan struct{})
	r.smu.Unlock()
}

// sync clones (once), fetches the branch and puts its head in place when it
// moved.
func (r *Repo) sync(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	err := r.open(ctx)
	if err == nil {
		err = r.fetch(ctx)
	}
	r.fetched(err)
	if err != nil {
		return err
	}
	remote, err := r.remoteHead()
	if err != nil {
		return err
	}
	if remote == r.head {
		return nil
	}
	if !r.head.IsZero() && !r.descends(remote, r.head) {
		r.log.Warn("the branch's history was rewritten (a force-push): following it", "branch", r.branch,
			"was", short(r.head), "now", short(remote))
	}
	return r.putInPlace(remote)
}

// fetched notes a fetch's outcome in the status and for the observer.
func (r *Repo) fetched(err error) {
	r.smu.Lock()
	r.status.LastFetch = time.Now()
	r.status.LastError = ""
	if err != nil {
		r.status.LastError = err.Error()
	}
	r.status.Branch = r.branch
	r.smu.Unlock()
	if r.opts.Observer != nil {
		r.opts.Observer.Fetched(err)
	}
}

// Redacted is a remote's URL without its password, for status and logs.
func Redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

func short(h plumbing.Hash) string { return h.String()[:12] }

// errNoRevision: a write came before any revision was in place.
var errNoRevision = errors.New("no revision of the remote is in place yet")

// repoDir is where the clone lives: a bare repository.
func (r *Repo) repoDir() string { return filepath.Join(r.opts.Dir, "repo.git") }

// ensureDir makes Dir.
func (r *Repo) ensureDir() error {
	if err := os.MkdirAll(filepath.Join(r.opts.Dir, "revs"), 0o755); err != nil {
		return fmt.Errorf("git checkout directory: %w", err)
	}
	return nil
}
