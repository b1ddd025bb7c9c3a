package gitsync

import (
	"errors"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/orchestrator/orchestrator/spec"
)

// Commits are built from objects, not in a work tree: a write is one file
// put into (or taken out of) the parent's tree, so nothing is checked out
// to make it.

// commitFile stores, in repo, the commit of w on parent (none when zero):
// parent's tree with the file at path replaced, or removed.
func commitFile(repo *git.Repository, parent plumbing.Hash, path string, w spec.Write, author Signature) (plumbing.Hash, error) {
	var tree *object.Tree
	if !parent.IsZero() {
		pc, err := repo.CommitObject(parent)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if tree, err = pc.Tree(); err != nil {
			return plumbing.ZeroHash, err
		}
	}
	root, _, err := putPath(repo, tree, strings.Split(path, "/"), w.Data)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	sig := object.Signature{Name: author.Name, Email: author.Email, When: time.Now()}
	c := &object.Commit{Author: sig, Committer: sig, Message: message(w), TreeHash: root}
	if !parent.IsZero() {
		c.ParentHashes = []plumbing.Hash{parent}
	}
	obj := repo.Storer.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return repo.Storer.SetEncodedObject(obj)
}

// putPath stores tree (nil for none) with the blob data at the path parts
// (nil data removes it), and returns the new tree's hash, and whether it is
// empty: an emptied subtree is dropped (git has no empty directories).
func putPath(repo *git.Repository, tree *object.Tree, parts []string, data []byte) (plumbing.Hash, bool, error) {
	var entries []object.TreeEntry
	if tree != nil {
		entries = append(entries, tree.Entries...)
	}
	i := -1
	for n, e := range entries {
		if e.Name == parts[0] {
			i = n
		}
	}
	drop := func() {
		if i >= 0 {
			entries = append(entries[:i], entries[i+1:]...)
		}
	}
	set := func(e object.TreeEntry) {
		if i >= 0 {
			entries[i] = e
		} else {
			entries = append(entries, e)
		}
	}
	switch {
	case len(parts) == 1 && data == nil:
		drop()
	case len(parts) == 1:
		blob, err := storeBlob(repo, data)
		if err != nil {
			return plumbing.ZeroHash, false, err
		}
		set(object.TreeEntry{Name: parts[0], Mode: filemode.Regular, Hash: blob})
	default:
		var sub *object.Tree
		if i >= 0 && entries[i].Mode == filemode.Dir {
			var err error
			if sub, err = repo.TreeObject(entries[i].Hash); err != nil {
				return plumbing.ZeroHash, false, err
			}
		}
		h, empty, err := putPath(repo, sub, parts[1:], data)
		switch {
		case err != nil:
			return plumbing.ZeroHash, false, err
		case empty:
			drop()
		default:
			set(object.TreeEntry{Name: parts[0], Mode: filemode.Dir, Hash: h})
		}
	}
	sortEntries(entries)
	t := &object.Tree{Entries: entries}
	obj := repo.Storer.NewEncodedObject()
	if err := t.Encode(obj); err != nil {
		return plumbing.ZeroHash, false, err
	}
	h, err := repo.Storer.SetEncodedObject(obj)
	return h, len(entries) == 0, err
}

func storeBlob(repo *git.Repository, data []byte) (plumbing.Hash, error) {
	obj := repo.Storer.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	w, err := obj.Writer()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	if _, err := w.Write(data); err != nil {
		return plumbing.ZeroHash, err
	}
	if err := w.Close(); err != nil {
		return plumbing.ZeroHash, err
	}
	return repo.Storer.SetEncodedObject(obj)
}

// changedBetween reports whether the file at path differs between the
// trees of two commits.
func (r *Repo) changedBetween(a, b plumbing.Hash, path string) (bool, error) {
	blob := func(h plumbing.Hash) (plumbing.Hash, error) {
		if h.IsZero() {
			return plumbing.ZeroHash, nil
		}
		c, err := r.repo.CommitObject(h)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		t, err := c.Tree()
		if err != nil {
			return plumbing.ZeroHash, err
		}
		e, err := t.FindEntry(path)
		if errors.Is(err, object.ErrEntryNotFound) || errors.Is(err, object.ErrDirectoryNotFound) {
			return plumbing.ZeroHash, nil
		}
		if err != nil {
			return plumbing.ZeroHash, err
		}
		return e.Hash, nil
	}
	ha, err := blob(a)
	if err != nil {
		return false, err
	}
	hb, err := blob(b)
	return ha != hb, err
}
