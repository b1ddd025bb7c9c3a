package watcher

import (
	"io/fs"

	"github.com/orchestrator/orchestrator/spec"
)

// entry is one directory or spec file of the tree.
type entry struct {
	rel  string      // slash-separated, relative to the root; "" for the root
	path string      // for a directory its real path (what inotify watches); for a file its path in the tree
	info fs.FileInfo // symlinks followed
	dir  bool
}

// walkTree visits the root and every directory and spec file under it as
// spec.Dir reads them: the same walk (spec.WalkTree), so that the watcher
// and the loader never disagree on which files count. Each real directory
// is visited once (what inotify watches). root must be a real path (see
// resolveRoot); unreadable parts are left out, as spec.Dir leaves them out.
func walkTree(root string, visit func(entry)) {
	dirs := map[string]bool{}
	_ = spec.WalkTree(root, func(e spec.TreeEntry) { // an unreadable root: nothing to watch yet
		if e.Dir {
			if dirs[e.Path] {
				return
			}
			dirs[e.Path] = true
		}
		visit(entry{rel: e.Rel, path: e.Path, info: e.Info, dir: e.Dir})
	})
}
