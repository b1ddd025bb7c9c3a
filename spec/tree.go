package spec

import (
	"io/fs"
	"os"
	"path/filepath"
)

// TreeEntry is one directory or spec file of a state directory's tree, as
// Load reads it and the watcher watches it.
type TreeEntry struct {
	Rel    string      // slash-separated, relative to the root; "" for the root
	Path   string      // a directory's real path; a file's path in the tree
	Target string      // a file's real path: Path, unless the file is reached through a link
	Info   fs.FileInfo // links followed
	Dir    bool
}

// WalkTree visits root, which must be a real path, and every directory and
// spec file below it: ignored names are skipped, symlinked files and
// directories are followed (git-sync and ConfigMap mounts are built of
// them), each link's target directory once, so that a link cycle ends. A
// plain directory is walked even when a link led to it first, so that its
// files are also visited under their own names. The entries of a directory
// come in name order. Only an unreadable root is an error: a part that
// vanishes in the middle of the walk is simply not there.
func WalkTree(root string, visit func(TreeEntry)) error {
	st, err := os.Stat(root)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return &fs.PathError{Op: "walk", Path: root, Err: errNotDir}
	}
	visit(TreeEntry{Path: root, Info: st, Dir: true})
	visited := map[string]bool{root: true}
	var walk func(dir, rel string) error
	walk = func(dir, rel string) error {
		entries, err := os.ReadDir(dir)
		if err != nil {
			if rel == "" {
				return err
			}
			return nil
		}
		for _, e := range entries {
			name := e.Name()
			if Ignored(name) {
				continue
			}
			// dir is always a real path (the root, a resolved link target,
			// or a plain directory below one), so full is too unless it is
			// itself a link.
			full, relName := filepath.Join(dir, name), pathJoin(rel, name)
			typ := e.Type()
			if typ&fs.ModeSymlink != 0 {
				target, err := filepath.EvalSymlinks(full)
				if err != nil {
					// Dangling, or a loop: a spec file all the same, which
					// the loader cannot read (an error that keeps its last
					// good specs and prunes nothing), never a file that is
					// simply gone and whose containers go with it.
					if st, lerr := os.Lstat(full); lerr == nil && IsSpecFile(name) {
						visit(TreeEntry{Rel: relName, Path: full, Target: full, Info: st})
					}
					continue
				}
				st, err := os.Stat(target)
				switch {
				case err != nil:
				case st.IsDir() && !visited[target]:
					visited[target] = true
					visit(TreeEntry{Rel: relName, Path: target, Info: st, Dir: true})
					_ = walk(target, relName)
				case st.Mode().IsRegular() && IsSpecFile(name):
					visit(TreeEntry{Rel: relName, Path: full, Target: target, Info: st})
				}
				continue
			}
			st, err := e.Info()
			if err != nil {
				continue // gone since the directory was read
			}
			switch {
			case typ.IsDir():
				// Walked even when a link led here first; it cannot form a
				// cycle without a link, which is checked above.
				visited[full] = true
				visit(TreeEntry{Rel: relName, Path: full, Info: st, Dir: true})
				_ = walk(full, relName)
			case typ.IsRegular() && IsSpecFile(name):
				visit(TreeEntry{Rel: relName, Path: full, Target: full, Info: st})
			}
		}
		return nil
	}
	return walk(root, "")
}
