package gitsync

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/format/index"

	"github.com/orchestrator/orchestrator/spec"
)

// Local records the API's writes as commits of the git work tree that holds
// a state directory, with no remote (serve --dir DIR --git-commit): git log
// is then the audit trail. Each write is one commit on the checked-out
// branch, and the index is moved along, so that the work tree, once the
// file is written, is clean.
type Local struct {
	repo   *git.Repository
	prefix string // the state directory, relative to the work tree, with "/"; "" at its root
	author Signature

	mu sync.Mutex
}

// OpenLocal finds the git work tree that holds dir.
func OpenLocal(dir string, author Signature) (*Local, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	repo, err := git.PlainOpenWithOptions(abs, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return nil, fmt.Errorf("--git-commit: %s is in no git work tree: %w", dir, err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil, fmt.Errorf("--git-commit: %w", err)
	}
	root := wt.Filesystem.Root()
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || strings.HasPrefix(rel, "..") {
		return nil, fmt.Errorf("--git-commit: %s is outside the work tree %s", dir, root)
	}
	prefix := ""
	if rel != "." {
		prefix = filepath.ToSlash(rel) + "/"
	}
	if author.Name == "" {
		author = Signature{Name: "orchestrator", Email: "orchestrator@localhost"}
	}
	return &Local{repo: repo, prefix: prefix, author: author}, nil
}

// Record implements spec.Recorder: the write becomes a commit on HEAD's
// branch, and the index gets the file's new blob (or loses the file).
func (l *Local) Record(_ context.Context, w spec.Write) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	path := l.prefix + w.File
	head, err := l.repo.Reference(plumbing.HEAD, false)
	if err != nil {
		return fmt.Errorf("%w: HEAD: %w", spec.ErrRecordFailed, err)
	}
	branch := head.Target()
	if head.Type() != plumbing.SymbolicReference || !branch.IsBranch() {
		return fmt.Errorf("%w: HEAD names no branch (a detached HEAD): check one out", spec.ErrRecordFailed)
	}
	parent := plumbing.ZeroHash
	if ref, err := l.repo.Reference(branch, true); err == nil {
		parent = ref.Hash()
	}
	commit, err := commitFile(l.repo, parent, path, w, l.author)
	if err != nil {
		return fmt.Errorf("%w: %w", spec.ErrRecordFailed, err)
	}
	if err := l.updateIndex(path, w.Data); err != nil {
		return fmt.Errorf("%w: index: %w", spec.ErrRecordFailed, err)
	}
	if err := l.repo.Storer.SetReference(plumbing.NewHashReference(branch, commit)); err != nil {
		return fmt.Errorf("%w: %w", spec.ErrRecordFailed, err)
	}
	return nil
}

// updateIndex gives path the blob of data in the index (or removes it), so
// that the work tree and the index agree with the new commit.
func (l *Local) updateIndex(path string, data []byte) error {
	idx, err := l.repo.Storer.Index()
	if err != nil {
		return err
	}
	if data == nil {
		_, err := idx.Remove(path)
		if err != nil && err != index.ErrEntryNotFound {
			return err
		}
		return l.repo.Storer.SetIndex(idx)
	}
	blob, err := storeBlob(l.repo, data)
	if err != nil {
		return err
	}
	e, err := idx.Entry(path)
	if err == index.ErrEntryNotFound {
		e = idx.Add(path)
	} else if err != nil {
		return err
	}
	e.Hash, e.Size, e.Mode = blob, uint32(len(data)), filemode.Regular
	return l.repo.Storer.SetIndex(idx)
}
