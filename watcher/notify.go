package watcher

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/orchestrator/orchestrator/spec"
)

// maxBatch bounds how many queued events are handled before the root is
// re-resolved and the debouncer kicked, so that a flood of events cannot
// delay either for long.
const maxBatch = 512

// notifier is the inotify side of a run: one fsnotify watcher with a watch
// on every directory of the tree (inotify is not recursive), plus one on the
// parent of the root, where a swap of a symlinked root shows.
type notifier struct {
	w    *Watcher
	fsw  *fsnotify.Watcher
	root string // absolute, as given: may be a symlink

	// parent is the directory holding the root's name; base is that name.
	parent, base  string
	parentWatched bool

	target  rootTarget        // what the root resolves to now
	dirs    map[string]fileID // watched tree directories, by real path
	missing bool              // the root is missing and that was logged
	started bool              // the initial watches are in place
}

// runNotify watches with inotify until ctx is done (nil) or inotify fails
// (the error; the caller falls back to polling).
func (w *Watcher) runNotify(ctx context.Context, root string, d *debouncer) error {
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	errs := pumpErrors(fsw.Errors)
	defer func() {
		fsw.Close() // ends fsnotify's reading goroutine, and waits for it
		<-errs.done // fsnotify closed Errors: the pump has ended
	}()
	n := &notifier{
		w: w, fsw: fsw, root: root,
		parent: filepath.Dir(root), base: filepath.Base(root),
		dirs: map[string]fileID{},
	}
	if err := n.watchParent(); err != nil {
		return err
	}
	if _, err := n.checkRoot(); err != nil {
		return err
	}
	n.started = true
	w.markReady()

	// rootTick re-resolves the root: the safety net for a swap whose parent
	// event was missed, and the poll for a missing root. treeTick re-walks
	// the tree to repair watches lost to missed events; content changes are
	// the reconciler's resync's business.
	rootTick := time.NewTicker(w.opts.RootPoll)
	defer rootTick.Stop()
	treeTick := time.NewTicker(w.opts.PollInterval)
	defer treeTick.Stop()

	for {
		var relevant, resync bool
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-fsw.Events:
			if !ok {
				return errors.New("inotify event stream closed")
			}
			relevant, resync = n.batch(ev)
		case <-errs.ready:
			overflow, others := errs.take()
			for _, err := range others {
				w.log.Warn("inotify error", "err", err, "root", root)
			}
			if overflow {
				// Events were dropped: anything may have changed, even
				// the set of directories.
				w.log.Warn("inotify queue overflow, rescanning", "root", root)
				relevant, resync = true, true
			}
		case <-errs.done:
			return errors.New("inotify error stream closed")
		case <-rootTick.C:
			if err := n.watchParent(); err != nil {
				return err
			}
		case <-treeTick.C:
			resync = true
		}

		moved, err := n.checkRoot()
		if err != nil {
			return err
		}
		if resync && !moved {
			changed, err := n.syncWatches()
			if err != nil {
				return err
			}
			relevant = relevant || changed
		}
		// Kick only now, after new directories are watched: a file made in
		// one before its watch existed is then covered by this signal.
		if relevant || moved {
			d.kick()
		}
	}
}

// errorPump receives fsnotify's errors in a goroutine of its own. fsnotify
// can send an error while holding the lock that Add, Remove and Close take;
// were the main loop, busy in an Add, the only receiver, both would wait
// for each other forever.
type errorPump struct {
	mu       sync.Mutex
	overflow bool          // events were lost
	errs     []error       // other errors, bounded
	ready    chan struct{} // capacity 1: there is something to take
	done     chan struct{} // closed when fsnotify closed its Errors
}

func pumpErrors(src <-chan error) *errorPump {
	p := &errorPump{ready: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for err := range src {
			p.mu.Lock()
			switch {
			case errors.Is(err, fsnotify.ErrEventOverflow):
				p.overflow = true
			case len(p.errs) < 100: // in case the main loop is slow to take them
				p.errs = append(p.errs, err)
			}
			p.mu.Unlock()
			select {
			case p.ready <- struct{}{}:
			default:
			}
		}
	}()
	return p
}

// take returns and clears what was received.
func (p *errorPump) take() (overflow bool, errs []error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	overflow, errs = p.overflow, p.errs
	p.overflow, p.errs = false, nil
	return overflow, errs
}

// batch handles ev and whatever else is queued right behind it.
func (n *notifier) batch(ev fsnotify.Event) (relevant, resync bool) {
	relevant, resync = n.classify(ev)
	for range maxBatch {
		select {
		case ev, ok := <-n.fsw.Events:
			if !ok {
				return // the main loop sees the closed channel next
			}
			r, s := n.classify(ev)
			relevant, resync = relevant || r, resync || s
		default:
			return
		}
	}
	return
}

// classify tells whether an event may change what spec.Dir reads (relevant),
// and whether the set of directories may have changed (resync). Create,
// write, rename, remove and chmod count alike; what matters is the name.
func (n *notifier) classify(ev fsnotify.Event) (relevant, resync bool) {
	name := filepath.Clean(ev.Name)
	dir, base := filepath.Dir(name), filepath.Base(name)
	if name == n.parent && (ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename)) {
		n.parentWatched = false // inotify dropped it; the root ticker re-adds it
		return false, false
	}
	if dir == n.parent && base == n.base {
		// The root's own name: a swap of a symlinked root, its removal or
		// return, or a chmod. checkRoot, after every batch, moves the
		// watches; a wake-up too many does no harm.
		return true, false
	}
	if _, ok := n.dirs[name]; ok {
		// A watched directory itself: removed, renamed away, or its mode
		// changed (which may make it unreadable).
		if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
			n.unwatchTree(name)
		}
		return true, true
	}
	if _, ok := n.dirs[dir]; !ok {
		// The parent's other entries, or a late event from a directory no
		// longer watched, such as an old symlink target.
		return false, false
	}
	if spec.Ignored(base) {
		// Temp and editor files never matter by themselves: the rename onto
		// a spec name is an event of its own. A dotted symlink does matter:
		// it is how a ConfigMap swaps its "..data" link that files link through.
		return ev.Has(fsnotify.Create) && isSymlink(name), false
	}
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		// Gone, so no telling a file from a link to a directory: anything
		// but a spec name may have been one.
		return true, !spec.IsSpecFile(base)
	}
	fi, err := os.Stat(name)
	if err != nil {
		return spec.IsSpecFile(base), false // gone again (its Remove follows), or dangling
	}
	if fi.IsDir() {
		return true, true // a new directory, or a link to one: watch it
	}
	return spec.IsSpecFile(base), false
}

func isSymlink(name string) bool {
	fi, err := os.Lstat(name)
	return err == nil && fi.Mode()&os.ModeSymlink != 0
}

// syncWatches makes the watched directories those of the tree now: it adds
// new ones, drops vanished ones and re-adds replaced ones. It reports whether
// anything changed. Only an inotify failure is returned as an error;
// directories that vanish or cannot be read meanwhile are skipped, as
// spec.Dir skips them.
func (n *notifier) syncWatches() (changed bool, err error) {
	want := map[string]fileID{}
	if n.target.path != "" {
		walkTree(n.target.path, func(e entry) {
			if e.dir {
				want[e.path] = idOf(e.info)
			}
		})
	}
	for d, id := range n.dirs {
		if wid, ok := want[d]; !ok || wid != id {
			n.unwatch(d)
			changed = true
		}
	}
	// Sorted, so that parents are watched before their children.
	for _, d := range slices.Sorted(maps.Keys(want)) {
		if _, ok := n.dirs[d]; ok {
			continue
		}
		if err := n.w.addWatch(n.fsw, d); err != nil {
			if skippable(err) {
				n.w.log.Debug("directory not watched", "dir", d, "err", err)
				continue
			}
			return changed, err
		}
		n.dirs[d] = want[d]
		changed = true
	}
	return changed, nil
}

// watchParent watches the parent of the root, where a swap of a symlinked
// root, or the root's removal and return, shows at once. A missing parent
// is retried on the root ticker.
func (n *notifier) watchParent() error {
	if n.parent == n.root {
		return nil // the root is "/"
	}
	if n.parentWatched && slices.Contains(n.fsw.WatchList(), n.parent) {
		return nil
	}
	n.parentWatched = false
	if err := n.w.addWatch(n.fsw, n.parent); err != nil {
		if skippable(err) {
			return nil
		}
		return err
	}
	n.parentWatched = true
	return nil
}

// unwatch drops the watch on one tree directory. inotify may have dropped it
// already (the directory is gone), so errors do not matter.
func (n *notifier) unwatch(dir string) {
	if dir != n.parent {
		_ = n.fsw.Remove(dir)
	}
	delete(n.dirs, dir)
}

// unwatchTree drops the watches on dir and every directory under it.
// Linked directories elsewhere are dropped by the next syncWatches.
func (n *notifier) unwatchTree(dir string) {
	prefix := dir + string(filepath.Separator)
	for d := range n.dirs {
		if d == dir || strings.HasPrefix(d, prefix) {
			n.unwatch(d)
		}
	}
}

func (n *notifier) unwatchAll() {
	for d := range n.dirs {
		n.unwatch(d)
	}
}

// skippable reports whether a failure to add a watch concerns only that
// directory (gone, not a directory, unreadable), rather than inotify itself
// (ENOSPC: too many watches, EMFILE, ENOMEM), which ends the inotify run.
func skippable(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) ||
		errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM) ||
		errors.Is(err, syscall.ELOOP)
}
