package watcher

import (
	"fmt"
	"os"
	"path/filepath"
)

// rootTarget is the directory the root resolves to.
type rootTarget struct {
	path string      // real path, symlinks resolved; "" while the root is missing
	info os.FileInfo // to tell a directory re-created at the same path from the old one
}

// resolveRoot resolves root, following every symlink, and checks that it is
// a directory. It is called on every batch of events and periodically: a
// git-sync or ConfigMap swap replaces the root link itself, and no event
// arrives inside the old target.
func resolveRoot(root string) (rootTarget, error) {
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return rootTarget{}, err
	}
	fi, err := os.Stat(real)
	if err != nil {
		return rootTarget{}, err
	}
	if !fi.IsDir() {
		return rootTarget{}, fmt.Errorf("%s: not a directory", real)
	}
	return rootTarget{path: real, info: fi}, nil
}

// same reports whether two resolutions name the same directory: the same
// path is not enough, since a root removed and made again is a new directory
// that none of the old watches cover.
func (t rootTarget) same(o rootTarget) bool {
	if t.path == "" || o.path == "" {
		return t.path == o.path
	}
	return t.path == o.path && os.SameFile(t.info, o.info)
}

// checkRoot re-resolves the root and, when it vanished, came back or now
// points elsewhere, moves the watches accordingly. It reports whether the
// reader should be told. Only an inotify failure is returned as an error.
func (n *notifier) checkRoot() (changed bool, err error) {
	t, rerr := resolveRoot(n.root)
	if rerr != nil {
		if n.missing {
			return false, nil
		}
		n.missing = true
		n.w.log.Error("state directory root missing, polling for it", "root", n.root, "err", rerr, "interval", n.w.opts.RootPoll)
		wasThere := n.target.path != ""
		n.target = rootTarget{}
		n.unwatchAll()
		return wasThere, nil
	}
	n.missing = false
	if n.target.same(t) {
		return false, nil
	}
	old := n.target
	n.target = t
	// The new target shares nothing with the old one, and events still
	// queued from the old tree must stop counting: drop every tree watch.
	n.unwatchAll()
	if _, err := n.syncWatches(); err != nil {
		return true, err
	}
	switch {
	case !n.started:
	case old.path == "":
		n.w.log.Info("state directory root is back", "root", n.root, "target", t.path)
	default:
		n.w.log.Info("state directory root moved", "root", n.root, "from", old.path, "to", t.path)
	}
	return n.started, nil
}
