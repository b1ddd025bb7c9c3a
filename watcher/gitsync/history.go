package gitsync

import (
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// historyDepth bounds the walk that finds each file's last change: a file
// older than this many commits shows no revision.
const historyDepth = 500

// lastChanges is, for one head, the commit that last changed each file
// (by its name below Path).
type lastChanges struct {
	head  plumbing.Hash
	files map[string]Revision
}

// LastChange is the revision that last changed file (slash-separated,
// relative to the state directory), as of the revision in place; false
// when it is not known (older than the walk, or no revision in place). It
// never waits for a fetch or a push: the walk is made when a revision
// comes in place.
func (r *Repo) LastChange(file string) (Revision, bool) {
	r.smu.Lock()
	defer r.smu.Unlock()
	rev, ok := r.history.files[file]
	return rev, ok
}

// newHead notes that head is the revision in place: its history for
// LastChange, and the status. Called under mu.
func (r *Repo) newHead(head plumbing.Hash, rev Revision) {
	r.head = head
	files := r.walkHistory(r.history)
	r.smu.Lock()
	r.history = lastChanges{head: head, files: files}
	r.status.Revision = rev
	r.smu.Unlock()
	if r.opts.Observer != nil {
		r.opts.Observer.Synced(rev)
	}
}

// walkHistory attributes each file below Path to the newest commit of the
// first-parent history that changed it. The walk stops at prev's head: a
// new head on top of the last (a push, our own commit) costs only its new
// commits, whatever the length of the history.
func (r *Repo) walkHistory(prev lastChanges) map[string]Revision {
	out := map[string]Revision{}
	prefix := ""
	if r.opts.Path != "" {
		prefix = strings.TrimSuffix(r.opts.Path, "/") + "/"
	}
	c, err := r.repo.CommitObject(r.head)
	for n := 0; err == nil && n < historyDepth; n++ {
		if !prev.head.IsZero() && c.Hash == prev.head {
			for name, rev := range prev.files {
				if _, seen := out[name]; !seen {
					out[name] = rev
				}
			}
			break
		}
		tree, terr := c.Tree()
		if terr != nil {
			break
		}
		var parentTree *object.Tree
		parent, perr := c.Parent(0)
		if perr == nil {
			parentTree, _ = parent.Tree()
		}
		changes, derr := object.DiffTree(parentTree, tree)
		if derr != nil {
			break
		}
		for _, ch := range changes {
			name := ch.To.Name
			if name == "" {
				name = ch.From.Name
			}
			rel, ok := strings.CutPrefix(name, prefix)
			if !ok {
				continue
			}
			if _, seen := out[rel]; !seen {
				out[rel] = revisionOf(c)
			}
		}
		if perr != nil {
			break
		}
		c, err = parent, nil
	}
	return out
}
