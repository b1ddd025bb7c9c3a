package watcher

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
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
	errs *errorPump
	root string // absolute, as given: may be a symlink

	// parent is the directory holding the root's name; base is that name.
	parent, base  string
	parentWatched bool

	target  rootTarget        // what the root resolves to now
	dirs    map[string]fileID // watched tree directories, by real path
	missing bool              // the root is missing and that was logged
	started bool              // the initial watches are in place

	// renamedIn is the directory of the event taken last if that was a
	// Rename (IN_MOVED_FROM), or "": a Create right behind it in the same
	// directory is the other half of the same rename, the name renamed into
	// place (IN_MOVED_TO, which fsnotify reports as a Create without
	// telling it from a new file).
	renamedIn string
}

// startNotify sets inotify up: a new instance, with a watch on the parent of
// the root and on every directory of the tree. It fails when inotify is not
// to be had (no instance, or a watch refused for want of resources), and
// leaves nothing open then.
func (w *Watcher) startNotify(root string) (*notifier, error) {
	fsw, err := w.newFSWatcher()
	if err != nil {
		return nil, err
	}
	n := &notifier{
		w: w, fsw: fsw, errs: pumpErrors(fsw.Errors), root: root,
		parent: filepath.Dir(root), base: filepath.Base(root),
		dirs: map[string]fileID{},
	}
	if err := n.watchParent(); err != nil {
		n.close()
		return nil, err
	}
	if _, err := n.checkRoot(); err != nil {
		n.close()
		return nil, err
	}
	n.started = true
	return n, nil
}

// close ends the inotify instance and, with it, every goroutine it has.
func (n *notifier) close() {
	n.fsw.Close() // ends fsnotify's reading goroutine, and waits for it
	<-n.errs.done // fsnotify closed Errors: the pump has ended
}

// run watches with inotify until ctx is done (nil) or inotify fails (the
// error; the caller falls back to polling). The caller closes n.
func (n *notifier) run(ctx context.Context, d *debouncer) error {
	w, root := n.w, n.root
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
		var paths []string   // of the relevant events, when known
		unknown := false     // a relevant change whose path is not known
		kind := kickChanging // what is found without an event may still be going on
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-n.fsw.Events:
			if !ok {
				return errors.New("inotify event stream closed")
			}
			relevant, resync, kind, paths = n.batch(ev)
			unknown = relevant && len(paths) == 0
		case <-n.errs.ready:
			overflow, others := n.errs.take()
			for _, err := range others {
				w.log.Warn("inotify error", "err", err, "root", root)
			}
			if overflow {
				// Events were dropped: anything may have changed, even
				// the set of directories.
				w.log.Warn("inotify queue overflow, rescanning", "root", root)
				relevant, resync, unknown = true, true, true
			}
		case <-n.errs.done:
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
			relevant, unknown = relevant || changed, unknown || changed
		}
		// Kick only now, after new directories are watched: a file made in
		// one before its watch existed is then covered by this signal. A
		// root that moved without an event of its own (found by the root
		// ticker) kicks as changing: kind is that unless events decided.
		if relevant || moved {
			if unknown || moved {
				d.kick(kind) // the paths of this batch, if any, are noted below
			}
			if len(paths) > 0 {
				d.kickPaths(kind, paths)
			}
		}
	}
}

// batch handles ev and whatever else is queued right behind it. kind is
// that of the last relevant event (kickChanging if none): the debouncer,
// too, goes by the latest. paths are those of the relevant events, relative
// to the root; none when one of them has no known path.
func (n *notifier) batch(ev fsnotify.Event) (relevant, resync bool, kind kickKind, paths []string) {
	unknown := false
	note := func(r bool, path string) {
		if r && path == "" {
			unknown = true
		} else if r {
			paths = append(paths, path)
		}
	}
	defer func() {
		if unknown {
			paths = nil
		}
	}()
	relevant, resync, kind = n.take(ev)
	note(relevant, n.relative(ev.Name))
	for range maxBatch {
		select {
		case ev, ok := <-n.fsw.Events:
			if !ok {
				return // the main loop sees the closed channel next
			}
			r, s, k := n.take(ev)
			if r {
				kind = k
			}
			note(r, n.relative(ev.Name))
			relevant, resync = relevant || r, resync || s
		default:
			return
		}
	}
	return
}

// take classifies one event, and tells a complete change from one that
// may still be going on.
//
// Complete is a Create right behind a Rename in the same directory: the
// rename of a fully written file (or a link, or a directory) into place,
// which is how editors, git-sync (its root link), ConfigMaps (their ..data
// link) and our own API save. inotify queues the two halves of a rename one
// right after the other; should an event of another process ever come
// between them, or the rename come from another directory, the rename
// merely waits for quiet, as every change did before.
//
// Everything else waits for quiet: a write (the file may still be being
// written; inotify's close-after-write would tell, but fsnotify v1.10 does
// not export it), a plain Create (an empty file, its writes to come), a
// removal or a rename away (often the first step of a save, the new file to
// come: reading in between would find the spec gone).
func (n *notifier) take(ev fsnotify.Event) (relevant, resync bool, kind kickKind) {
	relevant, resync = n.classify(ev)
	dir := filepath.Dir(filepath.Clean(ev.Name))
	kind = kickChanging
	if relevant && ev.Has(fsnotify.Create) && dir == n.renamedIn {
		kind = kickComplete
	}
	n.renamedIn = ""
	if ev.Has(fsnotify.Rename) {
		n.renamedIn = dir
	}
	return relevant, resync, kind
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

// relative is name relative to the root's target, slash-separated, or ""
// when it is not below it (the root's own name in its parent).
func (n *notifier) relative(name string) string {
	if n.target.path == "" {
		return ""
	}
	rel, err := filepath.Rel(n.target.path, filepath.Clean(name))
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, "../") {
		return ""
	}
	return filepath.ToSlash(rel)
}

func isSymlink(name string) bool {
	fi, err := os.Lstat(name)
	return err == nil && fi.Mode()&os.ModeSymlink != 0
}
