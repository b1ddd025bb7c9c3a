//go:build !unix

package watcher

import "io/fs"

// fileID identifies a file across renames where the platform tells; here it
// does not, and every file compares equal (size and mtime still count).
type fileID struct{ dev, ino uint64 }

func idOf(fs.FileInfo) fileID { return fileID{} }
