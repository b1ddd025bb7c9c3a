package gitsync

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// putInPlace writes the tree of commit (its Path) into a new revision
// directory, and then swaps the state symlink to it: one rename, so that a
// reader sees the old revision or the new one, never a mix. Older
// revisions go, but the previous one, which a write begun before the swap
// may still be writing. Called under mu.
func (r *Repo) putInPlace(commit plumbing.Hash) error {
	c, err := r.repo.CommitObject(commit)
	if err != nil {
		return fmt.Errorf("revision %s: %w", short(commit), err)
	}
	tree, err := c.Tree()
	if err == nil && r.opts.Path != "" {
		tree, err = tree.Tree(r.opts.Path)
	}
	if err != nil {
		return fmt.Errorf("revision %s has no %q: %w", short(commit), r.opts.Path, err)
	}
	name := fmt.Sprintf("%d-%s", time.Now().UnixNano(), short(commit))
	dir := filepath.Join(r.opts.Dir, "revs", name)
	if err := writeTree(tree, dir); err != nil {
		os.RemoveAll(dir)
		return fmt.Errorf("write revision %s: %w", short(commit), err)
	}
	link := filepath.Join(r.opts.Dir, ".state.tmp")
	os.Remove(link)
	if err := os.Symlink(filepath.Join("revs", name), link); err != nil {
		return fmt.Errorf("swap to revision %s: %w", short(commit), err)
	}
	if err := os.Rename(link, r.StateDir()); err != nil {
		return fmt.Errorf("swap to revision %s: %w", short(commit), err)
	}
	prev := r.rev
	r.rev = name
	r.prune(prev)
	rev := revisionOf(c)
	r.newHead(commit, rev)
	r.log.Info("git revision in place", "commit", short(commit), "subject", rev.Subject, "author", rev.Author)
	return nil
}

// inPlace is the revision the state symlink names (after a restart), or
// none.
func (r *Repo) inPlace() (plumbing.Hash, string) {
	target, err := os.Readlink(r.StateDir())
	if err != nil {
		return plumbing.ZeroHash, ""
	}
	name := filepath.Base(target)
	_, sha, ok := strings.Cut(name, "-")
	if !ok {
		return plumbing.ZeroHash, ""
	}
	// The directory names a prefix of the commit.
	h, err := r.repo.ResolveRevision(plumbing.Revision(sha))
	if err != nil {
		return plumbing.ZeroHash, ""
	}
	return *h, name
}

// prune removes the revision directories other than the one in place and
// prev, and any a kill left half-written.
func (r *Repo) prune(prev string) {
	revs := filepath.Join(r.opts.Dir, "revs")
	entries, err := os.ReadDir(revs)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.Name() != r.rev && e.Name() != prev {
			os.RemoveAll(filepath.Join(revs, e.Name()))
		}
	}
}

// writeTree writes the files of tree under dir: regular and executable
// files only (a link in the repository could point anywhere on the host;
// submodules are not ours).
func writeTree(tree *object.Tree, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := tree.Files()
	defer files.Close()
	return files.ForEach(func(f *object.File) error {
		if f.Mode != filemode.Regular && f.Mode != filemode.Executable {
			return nil
		}
		path := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		rd, err := f.Reader()
		if err != nil {
			return err
		}
		defer rd.Close()
		out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, rd); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

// sortEntries orders a tree's entries as git does: by name, a directory's
// name compared as if it ended in "/".
func sortEntries(es []object.TreeEntry) {
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(es, func(i, j int) bool { return key(es[i]) < key(es[j]) })
}
