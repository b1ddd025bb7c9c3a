package gitsync

import (
	"io"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// newCommitsLimit bounds the commits newObjects walks before it gives up.
const newCommitsLimit = 200

// newObjects lists the objects a receiver that has the commits of has
// needs to have tips too: each commit from a tip back to the first one it
// has, and each commit's trees and blobs that its parent's tree lacks.
//
// go-git's push and its server list them by walking every object the
// receiver has (go-git issue 1102), which grows with the history: each API
// write would get slower than the last. This walk costs the new commits
// only. It is false, for a full walk instead, when a merge or the limit
// comes before a commit the receiver has.
func newObjects(s storer.EncodedObjectStorer, tips []plumbing.Hash, has map[plumbing.Hash]bool) ([]plumbing.Hash, bool) {
	seen := map[plumbing.Hash]bool{}
	var out []plumbing.Hash
	for _, tip := range tips {
		h := tip
		for n := 0; !has[h] && !seen[h]; n++ {
			c, err := object.GetCommit(s, h)
			if err != nil || n == newCommitsLimit || len(c.ParentHashes) > 1 {
				return nil, false
			}
			seen[h] = true
			out = append(out, h)
			parentTree := plumbing.ZeroHash
			if len(c.ParentHashes) == 1 {
				p, err := object.GetCommit(s, c.ParentHashes[0])
				if err != nil {
					return nil, false
				}
				parentTree = p.TreeHash
			}
			if err := treeDelta(s, c.TreeHash, parentTree, seen, &out); err != nil {
				return nil, false
			}
			if len(c.ParentHashes) == 0 {
				break
			}
			h = c.ParentHashes[0]
		}
	}
	return out, true
}

// treeDelta appends tree and what it holds that old (the same path in the
// parent's tree; zero for none) does not.
func treeDelta(s storer.EncodedObjectStorer, tree, old plumbing.Hash, seen map[plumbing.Hash]bool, out *[]plumbing.Hash) error {
	if tree == old || seen[tree] {
		return nil
	}
	seen[tree] = true
	*out = append(*out, tree)
	t, err := object.GetTree(s, tree)
	if err != nil {
		return err
	}
	before := map[string]object.TreeEntry{}
	if !old.IsZero() {
		ot, err := object.GetTree(s, old)
		if err != nil {
			return err
		}
		for _, e := range ot.Entries {
			before[e.Name] = e
		}
	}
	for _, e := range t.Entries {
		was, ok := before[e.Name]
		if ok && was.Hash == e.Hash {
			continue
		}
		switch e.Mode {
		case filemode.Dir:
			oldSub := plumbing.ZeroHash
			if ok && was.Mode == filemode.Dir {
				oldSub = was.Hash
			}
			if err := treeDelta(s, e.Hash, oldSub, seen, out); err != nil {
				return err
			}
		case filemode.Submodule: // a commit of another repository
		default:
			if !seen[e.Hash] {
				seen[e.Hash] = true
				*out = append(*out, e.Hash)
			}
		}
	}
	return nil
}

// packOf streams a pack of objects from s.
func packOf(s storer.EncodedObjectStorer, objects []plumbing.Hash, refDeltas bool) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		_, err := packfile.NewEncoder(pw, s, refDeltas).Encode(objects, 10)
		pw.CloseWithError(err)
	}()
	return pr
}
