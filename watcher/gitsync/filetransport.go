package gitsync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	"github.com/go-git/go-git/v5/plumbing/transport/server"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"github.com/go-git/go-git/v5/utils/ioutil"
)

// go-git's own file:// transport runs git-upload-pack and git-receive-pack,
// which needs a git binary. This one serves a repository on disk in
// process, with go-git's server side, so that a local remote needs no git
// binary either. go-git's server sets a pushed branch whatever it became
// meanwhile; the receive side here updates it only if it is still what the
// pusher saw, under git's own lock file, as git-receive-pack does: a
// person's concurrent `git push` and ours never overwrite each other.
func init() {
	client.InstallProtocol("file", fileTransport{inner: server.NewClient(server.DefaultLoader)})
}

// fileTransport is the file:// transport: go-git's server side, with
// sessions of ours around it (uploadSession, receiveSession).
type fileTransport struct{ inner transport.Transport }

func (t fileTransport) NewUploadPackSession(ep *transport.Endpoint, auth transport.AuthMethod) (transport.UploadPackSession, error) {
	inner, err := t.inner.NewUploadPackSession(ep, auth)
	if err != nil {
		return nil, err
	}
	dir, _ := gitDir(ep.Path)
	return &uploadSession{UploadPackSession: inner, sto: filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRUDefault())}, nil
}

// uploadSession lets go-git's server session advertise the references. It
// sends the new commits' objects alone (newObjects) when it can tell them,
// and leaves the rest to go-git's server, told only of the fetcher's
// commits that it has: git ignores the others (a commit not pushed yet),
// go-git's server fails on them.
type uploadSession struct {
	transport.UploadPackSession
	sto *filesystem.Storage
}

func (s *uploadSession) UploadPack(ctx context.Context, req *packp.UploadPackRequest) (*packp.UploadPackResponse, error) {
	known := *req
	known.Haves = nil
	has := map[plumbing.Hash]bool{}
	for _, h := range req.Haves {
		if s.sto.HasEncodedObject(h) == nil {
			known.Haves = append(known.Haves, h)
			has[h] = true
		}
	}
	if len(has) > 0 && len(req.Shallows) == 0 && (req.Depth == nil || req.Depth.IsZero()) {
		if objects, ok := newObjects(s.sto, req.Wants, has); ok {
			return packp.NewUploadPackResponseWithPackfile(req, ioutil.NewContextReadCloser(ctx, packOf(s.sto, objects, false))), nil
		}
	}
	return s.UploadPackSession.UploadPack(ctx, &known)
}

func (t fileTransport) NewReceivePackSession(ep *transport.Endpoint, auth transport.AuthMethod) (transport.ReceivePackSession, error) {
	inner, err := t.inner.NewReceivePackSession(ep, auth)
	if err != nil {
		return nil, err
	}
	dir, bare := gitDir(ep.Path)
	sto := filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRUDefault())
	return &receiveSession{ReceivePackSession: inner, dir: dir, bare: bare, sto: sto}, nil
}

// gitDir is where the repository at path keeps its objects and references:
// path itself when bare, else path/.git.
func gitDir(path string) (dir string, bare bool) {
	if _, err := os.Stat(filepath.Join(path, "config")); err == nil {
		return path, true
	}
	return filepath.Join(path, ".git"), false
}

// receiveSession lets go-git's server session advertise the references; it
// stores the pushed objects and updates the references itself.
type receiveSession struct {
	transport.ReceivePackSession
	dir  string
	bare bool
	sto  *filesystem.Storage
}

// errStale: the branch moved since the pusher read it.
var errStale = errors.New("stale info: the branch moved; fetch first")

func (s *receiveSession) ReceivePack(ctx context.Context, req *packp.ReferenceUpdateRequest) (*packp.ReportStatus, error) {
	rs := packp.NewReportStatus()
	rs.UnpackStatus = "ok"
	if err := s.unpack(ctx, req.Packfile); err != nil {
		rs.UnpackStatus = err.Error()
		return rs, fmt.Errorf("unpack: %w", err)
	}
	var first error
	for _, cmd := range req.Commands {
		err := s.update(cmd)
		if err != nil && first == nil {
			first = fmt.Errorf("update %s: %w", cmd.Name, err)
		}
		status := "ok"
		if err != nil {
			status = err.Error()
		}
		rs.CommandStatuses = append(rs.CommandStatuses, &packp.CommandStatus{ReferenceName: cmd.Name, Status: status})
	}
	return rs, first
}

// unpack stores a push's objects one by one, as git-receive-pack does for
// a small push: a pack per push would make every later read open one
// index more.
func (s *receiveSession) unpack(ctx context.Context, pack io.ReadCloser) error {
	if pack == nil {
		return nil
	}
	defer pack.Close()
	p, err := packfile.NewParserWithStorage(packfile.NewScanner(ioutil.NewContextReader(ctx, pack)), looseObjects{s.sto})
	if err != nil {
		return err
	}
	_, err = p.Parse()
	return err
}

// looseObjects is an object storage without its PackfileWriter, so that a
// parser stores each object on its own.
type looseObjects struct{ storer.EncodedObjectStorer }

// update sets the reference cmd names from cmd.Old to cmd.New, as
// git-receive-pack does: under name.lock, only if it is still cmd.Old.
func (s *receiveSession) update(cmd *packp.Command) error {
	if cmd.Action() == packp.Delete {
		return errors.New("deleting a reference is not supported")
	}
	if !strings.HasPrefix(cmd.Name.String(), "refs/") || strings.Contains(cmd.Name.String(), "..") {
		return errors.New("not a reference name")
	}
	if !s.bare {
		if head, err := s.sto.Reference(plumbing.HEAD); err == nil && head.Target() == cmd.Name {
			return errors.New("refusing to update the branch checked out in a non-bare repository")
		}
	}
	if err := s.connected(cmd.New); err != nil {
		return err
	}
	path := filepath.Join(s.dir, filepath.FromSlash(cmd.Name.String()))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	lock, err := os.OpenFile(path+".lock", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return errors.New("locked by another push")
	}
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			lock.Close()
			os.Remove(lock.Name())
		}
	}()
	cur := plumbing.ZeroHash
	ref, err := s.sto.Reference(cmd.Name)
	switch {
	case err == nil:
		cur = ref.Hash()
	case !errors.Is(err, plumbing.ErrReferenceNotFound):
		return err
	}
	if cur != cmd.Old {
		return errStale
	}
	if _, err := lock.WriteString(cmd.New.String() + "\n"); err != nil {
		return err
	}
	if err := lock.Sync(); err != nil {
		return err
	}
	if err := lock.Close(); err != nil {
		return err
	}
	if err := os.Rename(lock.Name(), path); err != nil {
		return err
	}
	committed = true
	return nil
}

// connected checks that the pushed commit, its tree and its parents are
// here: a push that left them out must not move a branch.
func (s *receiveSession) connected(h plumbing.Hash) error {
	c, err := object.GetCommit(s.sto, h)
	if err != nil {
		return fmt.Errorf("commit %s: %w", h, err)
	}
	if _, err := object.GetTree(s.sto, c.TreeHash); err != nil {
		return fmt.Errorf("tree %s: %w", c.TreeHash, err)
	}
	for _, p := range c.ParentHashes {
		if err := s.sto.HasEncodedObject(p); err != nil {
			return fmt.Errorf("parent %s: %w", p, err)
		}
	}
	return nil
}
