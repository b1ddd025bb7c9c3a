package gitsync

import (
	"context"
	"errors"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
)

// errRemoteMoved: the push branch is no longer the lease on the remote.
var errRemoteMoved = errors.New("the remote's branch moved")

// push sends commit to the push branch, only if the remote's branch is
// still lease (a lease, not a force): a remote that moved rejects it. It
// sends the objects of the new commits alone (newObjects); when it cannot
// tell them, go-git's push walks the history.
func (r *Repo) push(ctx context.Context, commit, lease plumbing.Hash) error {
	ep, err := transport.NewEndpoint(r.opts.URL)
	if err != nil {
		return err
	}
	cl, err := client.NewClient(ep)
	if err != nil {
		return err
	}
	sess, err := cl.NewReceivePackSession(ep, r.opts.Auth)
	if err != nil {
		return err
	}
	defer sess.Close()
	ar, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		return err
	}
	dst := plumbing.NewBranchReferenceName(r.pushBranch())
	if ar.References[dst.String()] != lease {
		return errRemoteMoved
	}
	has := map[plumbing.Hash]bool{}
	for _, h := range ar.References {
		if r.repo.Storer.HasEncodedObject(h) == nil {
			has[h] = true
		}
	}
	objects, ok := newObjects(r.repo.Storer, []plumbing.Hash{commit}, has)
	if !ok {
		return r.pushWalking(ctx, commit, lease)
	}
	req := packp.NewReferenceUpdateRequestFromCapabilities(ar.Capabilities)
	req.Commands = []*packp.Command{{Name: dst, Old: lease, New: commit}}
	req.Packfile = packOf(r.repo.Storer, objects, !ar.Capabilities.Supports(capability.OFSDelta))
	defer req.Packfile.Close()
	rs, err := sess.ReceivePack(ctx, req)
	if err != nil {
		return err
	}
	if rs != nil {
		return rs.Error()
	}
	return nil
}

// pushWalking is push by go-git: it finds the objects to send by walking
// all that the remote has.
func (r *Repo) pushWalking(ctx context.Context, commit, lease plumbing.Hash) error {
	local := plumbing.NewBranchReferenceName("orchestrator-write")
	if err := r.repo.Storer.SetReference(plumbing.NewHashReference(local, commit)); err != nil {
		return err
	}
	// go-git's lease check reads the remote-tracking ref of the local
	// branch's name: keep it at the lease.
	if err := r.repo.Storer.SetReference(plumbing.NewHashReference(trackingRef("orchestrator-write"), lease)); err != nil {
		return err
	}
	dst := plumbing.NewBranchReferenceName(r.pushBranch())
	err := r.repo.PushContext(ctx, &git.PushOptions{
		RemoteName:     "origin",
		RefSpecs:       []config.RefSpec{config.RefSpec(local.String() + ":" + dst.String())},
		Auth:           r.opts.Auth,
		ForceWithLease: &git.ForceWithLease{RefName: dst, Hash: lease},
	})
	if errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil
	}
	return err
}
