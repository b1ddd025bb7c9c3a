package gitsync

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/orchestrator/orchestrator/spec"
)

// pushTimeout bounds the pushes and fetches of one write.
const pushTimeout = 30 * time.Second

// ConflictError: the remote moved, and its new commits changed the file
// that the write changes. Nothing was written or pushed.
type ConflictError struct {
	File     string
	Upstream Revision // the remote's head
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s changed upstream in %s %q: the write is not applied; retry it on the new revision",
		e.File, short(plumbing.NewHash(e.Upstream.Commit)), e.Upstream.Subject)
}

// Is makes errors.Is(err, spec.ErrUpstreamChanged) hold.
func (e *ConflictError) Is(target error) bool { return target == spec.ErrUpstreamChanged }

// Record implements spec.Recorder: the write becomes one commit on the
// revision in place, pushed to the push branch, before the file is written.
// When the remote moved meanwhile, the commit is made again on its new
// head, unless the new commits changed the same file: that is a
// ConflictError, and nothing is pushed or written. Our own commit then
// needs no fetch and no second pass: the file the caller writes makes the
// revision in place equal to it.
func (r *Repo) Record(ctx context.Context, w spec.Write) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.repo == nil || r.head.IsZero() {
		return fmt.Errorf("%w: %w", spec.ErrRecordFailed, errNoRevision)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pushTimeout) // a write, once accepted, is pushed
	defer cancel()
	path := w.File
	if r.opts.Path != "" {
		path = strings.TrimSuffix(r.opts.Path, "/") + "/" + w.File
	}
	base, lease := r.head, r.pushLease()
	for try := 0; ; try++ {
		commit, err := r.commitOn(base, path, w)
		if err != nil {
			return fmt.Errorf("%w: %w", spec.ErrRecordFailed, err)
		}
		perr := r.push(ctx, commit, lease)
		if perr == nil {
			return r.recorded(commit, base)
		}
		// Rejected because the remote moved, or failed for another reason
		// (unreachable, refused): a fetch tells which.
		if err := r.fetch(ctx); err != nil {
			return fmt.Errorf("%w: push: %w; then %w", spec.ErrRecordFailed, perr, err)
		}
		upstream, err := r.pushHead()
		if err != nil || upstream == lease || try == 3 {
			return fmt.Errorf("%w: push to %s: %w", spec.ErrRecordFailed, Redacted(r.opts.URL), perr)
		}
		if changed, err := r.changedBetween(lease, upstream, path); err != nil || changed {
			if err != nil {
				return fmt.Errorf("%w: %w", spec.ErrRecordFailed, err)
			}
			c, err := r.repo.CommitObject(upstream)
			if err != nil {
				return fmt.Errorf("%w: %w", spec.ErrRecordFailed, err)
			}
			return &ConflictError{File: w.File, Upstream: revisionOf(c)}
		}
		r.log.Info("the remote moved: our commit goes on its new head", "file", path, "upstream", short(upstream))
		base, lease = upstream, upstream
	}
}

// recorded takes note of a pushed commit. When it was made on the revision
// in place, the caller's write makes the directory equal to it: only the
// head moves. Made on a newer head (the remote had moved), that head's
// other changes must come in: the commit is put in place.
func (r *Repo) recorded(commit, base plumbing.Hash) error {
	if r.pushBranch() == r.branch {
		// The fetched branch is our commit now: the next fetch finds
		// nothing new, and makes no second pass.
		if err := r.repo.Storer.SetReference(plumbing.NewHashReference(trackingRef(r.branch), commit)); err != nil {
			return fmt.Errorf("%w: %w", spec.ErrRecordFailed, err)
		}
	} else {
		if err := r.repo.Storer.SetReference(plumbing.NewHashReference(trackingRef(r.pushBranch()), commit)); err != nil {
			return fmt.Errorf("%w: %w", spec.ErrRecordFailed, err)
		}
		return nil // the followed branch did not move: the write lasts until it does
	}
	if base == r.head {
		c, err := r.repo.CommitObject(commit)
		if err != nil {
			return fmt.Errorf("%w: %w", spec.ErrRecordFailed, err)
		}
		r.newHead(commit, revisionOf(c))
		return nil
	}
	return r.putInPlace(commit)
}

// pushLease is what the push branch must be on the remote for our push to
// go: the branch's head in place, or the push branch as last fetched.
func (r *Repo) pushLease() plumbing.Hash {
	if r.pushBranch() == r.branch {
		return r.head
	}
	h, err := r.pushHead()
	if err != nil {
		return plumbing.ZeroHash // the push branch does not exist yet
	}
	return h
}

// pushHead is the push branch as last fetched.
func (r *Repo) pushHead() (plumbing.Hash, error) {
	ref, err := r.repo.Reference(trackingRef(r.pushBranch()), true)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return ref.Hash(), nil
}

// commitOn makes the commit of w on parent: parent's tree with the file at
// path replaced (or removed), by the author of the options.
func (r *Repo) commitOn(parent plumbing.Hash, path string, w spec.Write) (plumbing.Hash, error) {
	return commitFile(r.repo, parent, path, w, r.opts.Author)
}

// message is a write's commit message: what changed and through which
// call, and by whom in a trailer.
func message(w spec.Write) string {
	subject := w.Note.Why
	if subject == "" {
		verb := "put"
		if w.Delete {
			verb = "delete"
		}
		subject = verb + " " + w.Image
	}
	msg := subject + "\n"
	if w.Note.Who != "" {
		msg += "\nOrchestrator-Client: " + w.Note.Who + "\n"
	}
	return msg
}
