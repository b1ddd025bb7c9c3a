package watcher

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"

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
// spec.Dir reads them: ignored names skipped, symlinked files and
// directories followed, each real directory once so that a link cycle ends.
// Entries come in name order, so that fingerprints are stable. root must be
// a real path (see resolveRoot); unreadable parts are left out, as spec.Dir
// leaves them out.
func walkTree(root string, visit func(entry)) {
	fi, err := os.Stat(root)
	if err != nil || !fi.IsDir() {
		return
	}
	visited := map[string]bool{root: true}
	visit(entry{path: root, info: fi, dir: true})

	var walk func(dir, rel string)
	walk = func(dir, rel string) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		for _, e := range entries {
			name := e.Name()
			if spec.Ignored(name) {
				continue
			}
			full, relName := filepath.Join(dir, name), path.Join(rel, name)
			if e.Type()&fs.ModeSymlink != 0 {
				real, err := filepath.EvalSymlinks(full)
				if err != nil {
					continue // dangling
				}
				st, err := os.Stat(real)
				if err != nil {
					continue
				}
				switch {
				case st.IsDir() && !visited[real]:
					visited[real] = true
					visit(entry{rel: relName, path: real, info: st, dir: true})
					walk(real, relName)
				case st.Mode().IsRegular() && spec.IsSpecFile(name):
					visit(entry{rel: relName, path: full, info: st})
				}
				continue
			}
			switch {
			case e.IsDir():
				// The child of a real directory is real too.
				st, err := e.Info()
				if err != nil || visited[full] {
					continue
				}
				visited[full] = true
				visit(entry{rel: relName, path: full, info: st, dir: true})
				walk(full, relName)
			case e.Type().IsRegular() && spec.IsSpecFile(name):
				st, err := e.Info()
				if err != nil {
					continue
				}
				visit(entry{rel: relName, path: full, info: st})
			}
		}
	}
	walk(root, "")
}
