package watcher

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

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
