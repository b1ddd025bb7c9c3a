//go:build unix

package watcher

import (
	"io/fs"
	"syscall"
)

// fileID identifies a file across renames: a directory replaced by a new one
// at the same path has a new identity, and its old watch is useless.
type fileID struct{ dev, ino uint64 }

func idOf(fi fs.FileInfo) fileID {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}
	}
	return fileID{}
}
