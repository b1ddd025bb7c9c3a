package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// errServed: another serve holds the state directory or the instance.
var errServed = errors.New("already served")

// lockServe takes this host's locks of the state directory and of the
// instance, so that a second serve of either refuses to start instead of
// fighting the first over the same containers (docs/design.md §13). The
// locks are flocks on files in a runtime directory of this user's: the
// kernel releases them when the process ends, also after kill -9. release
// gives them back.
func lockServe(dir, instance string) (release func(), err error) {
	abs, err := canonicalDir(dir)
	if err != nil {
		return nil, err
	}
	// The directory lock is on the directory itself, symlinks and all: two
	// paths to one directory are one directory. (The instance keeps the
	// path, so that a swapped symlink root keeps its instance.)
	real := abs
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		real = r
	}
	root, err := lockRoot()
	if err != nil {
		return nil, err
	}
	owner := fmt.Sprintf("pid %d, state directory %s, instance %q", os.Getpid(), abs, instance)
	var held []*os.File
	release = func() {
		for _, f := range held {
			f.Close() // closing the descriptor releases its lock
		}
	}
	for _, l := range []struct{ key, what, hint string }{
		{"dir-" + real, "the state directory " + real, "stop that one first"},
		{"instance-" + instance, "the instance " + strconv.Quote(instance), "stop that one first, or give this one its own --instance"},
	} {
		sum := sha256.Sum256([]byte(l.key))
		path := filepath.Join(root, hex.EncodeToString(sum[:8])+".lock")
		f, err := takeLock(path, owner)
		if errors.Is(err, errServed) {
			release()
			return nil, fmt.Errorf("%s is already served by another orchestrator on this host (%s): %w; %s", l.what, readOwner(path), errServed, l.hint)
		}
		if err != nil {
			release()
			return nil, err
		}
		held = append(held, f)
	}
	return release, nil
}

// lockRoot is where the locks live: $XDG_RUNTIME_DIR/orchestrator, else a
// directory of this user's in the temp directory. It must be this user's
// own, with no access for others: in a shared /tmp, another user could
// otherwise make it first and plant links, or hold the locks.
func lockRoot() (string, error) {
	root := filepath.Join(os.TempDir(), "orchestrator-"+strconv.Itoa(os.Getuid()))
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		root = filepath.Join(d, "orchestrator")
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return "", fmt.Errorf("lock directory %s: %w", root, err)
	}
	st, err := os.Lstat(root)
	if err != nil {
		return "", fmt.Errorf("lock directory %s: %w", root, err)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !st.IsDir() || st.Mode().Perm()&0o077 != 0 || !ok || int(sys.Uid) != os.Getuid() {
		return "", fmt.Errorf("lock directory %s is not this user's own with mode 0700: remove it, or set XDG_RUNTIME_DIR", root)
	}
	return root, nil
}

// takeLock locks path without waiting and writes owner into it, for the
// message of the next one who tries. It never follows a link, and writes
// only into a regular file.
func takeLock(path, owner string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("lock %s: not a regular file", path)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errServed
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(owner), 0) // only a message: the lock is the flock
	}
	return f, nil
}

func readOwner(path string) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return "owner unknown"
	}
	return strings.TrimSpace(string(b))
}
