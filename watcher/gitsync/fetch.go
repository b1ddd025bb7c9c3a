package gitsync

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// open opens the clone, or clones the remote (bare: revisions are written
// out of it, never checked out in it). A clone that a kill left half-made
// is made again. Called under mu.
func (r *Repo) open(ctx context.Context) error {
	if r.repo != nil {
		return nil
	}
	if err := r.ensureDir(); err != nil {
		return err
	}
	repo, err := git.PlainOpen(r.repoDir())
	if err == nil && r.branch == "" {
		r.branch, err = headBranch(repo)
	}
	if err != nil {
		if !errors.Is(err, git.ErrRepositoryNotExists) {
			r.log.Warn("git clone unusable: cloning again", "dir", r.repoDir(), "err", err)
		}
		if err := os.RemoveAll(r.repoDir()); err != nil {
			return fmt.Errorf("remove the old clone: %w", err)
		}
		if repo, err = r.clone(ctx); err != nil {
			return err
		}
	}
	r.repo = repo
	// After a restart, the revision the state link names is in place.
	if head, rev := r.inPlace(); !head.IsZero() {
		if c, err := repo.CommitObject(head); err == nil {
			r.rev = rev
			r.newHead(head, revisionOf(c))
		}
	}
	return nil
}

// clone clones the branch (or the remote's HEAD) into a bare repository.
func (r *Repo) clone(ctx context.Context) (*git.Repository, error) {
	opts := &git.CloneOptions{URL: r.opts.URL, Auth: r.opts.Auth, SingleBranch: true, Tags: git.NoTags}
	if r.opts.Branch != "" {
		opts.ReferenceName = plumbing.NewBranchReferenceName(r.opts.Branch)
	}
	repo, err := git.PlainCloneContext(ctx, r.repoDir(), true, opts)
	if err != nil {
		os.RemoveAll(r.repoDir()) // nothing half-made stays
		return nil, fmt.Errorf("clone %s: %w", Redacted(r.opts.URL), err)
	}
	if r.branch == "" {
		if r.branch, err = headBranch(repo); err != nil {
			return nil, err
		}
	}
	return repo, nil
}

// headBranch is the branch a clone's HEAD names: the remote's default.
func headBranch(repo *git.Repository) (string, error) {
	ref, err := repo.Reference(plumbing.HEAD, false)
	if err != nil {
		return "", fmt.Errorf("the clone's HEAD: %w", err)
	}
	name := ref.Target()
	if ref.Type() == plumbing.HashReference || !name.IsBranch() {
		return "", fmt.Errorf("the remote's HEAD names no branch: give --git-branch")
	}
	return name.Short(), nil
}

// trackingRef is where fetch keeps the remote's branch.
func trackingRef(branch string) plumbing.ReferenceName {
	return plumbing.NewRemoteReferenceName("origin", branch)
}

// fetch brings the branch (and the push branch) up to date. A rewritten
// history is fetched too: it is followed, and sync logs it. Called under
// mu.
func (r *Repo) fetch(ctx context.Context) error {
	specs := []config.RefSpec{config.RefSpec("+refs/heads/" + r.branch + ":" + trackingRef(r.branch).String())}
	if pb := r.pushBranch(); pb != r.branch {
		specs = append(specs, config.RefSpec("+refs/heads/"+pb+":"+trackingRef(pb).String()))
	}
	err := r.repo.FetchContext(ctx, &git.FetchOptions{RemoteName: "origin", RefSpecs: specs, Auth: r.opts.Auth, Tags: git.NoTags, Force: true})
	switch {
	case err == nil, errors.Is(err, git.NoErrAlreadyUpToDate):
		return nil
	case r.pushBranch() != r.branch && errors.Is(err, git.NoMatchingRefSpecError{}):
		// A push branch that does not exist yet: fetch the branch alone.
		err = r.repo.FetchContext(ctx, &git.FetchOptions{RemoteName: "origin", RefSpecs: specs[:1], Auth: r.opts.Auth, Tags: git.NoTags, Force: true})
		if err == nil || errors.Is(err, git.NoErrAlreadyUpToDate) {
			return nil
		}
	}
	return fmt.Errorf("fetch %s: %w", Redacted(r.opts.URL), err)
}

// remoteHead is the fetched head of the branch.
func (r *Repo) remoteHead() (plumbing.Hash, error) {
	ref, err := r.repo.Reference(trackingRef(r.branch), true)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("branch %s of %s: %w", r.branch, Redacted(r.opts.URL), err)
	}
	return ref.Hash(), nil
}

// descends reports whether commit has ancestor in its history.
func (r *Repo) descends(commit, ancestor plumbing.Hash) bool {
	a, err := r.repo.CommitObject(ancestor)
	if err != nil {
		return false
	}
	c, err := r.repo.CommitObject(commit)
	if err != nil {
		return false
	}
	ok, err := a.IsAncestor(c)
	return err == nil && ok
}

// revisionOf is c as status shows it.
func revisionOf(c *object.Commit) Revision {
	subject, _, _ := strings.Cut(strings.TrimSpace(c.Message), "\n")
	return Revision{Commit: c.Hash.String(), Subject: subject, Author: c.Author.Name + " <" + c.Author.Email + ">", Time: c.Author.When}
}

func (r *Repo) pushBranch() string {
	if r.opts.PushBranch != "" {
		return r.opts.PushBranch
	}
	return r.branch
}
