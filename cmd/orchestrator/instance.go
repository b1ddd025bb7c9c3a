package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/orchestrator/orchestrator/reconciler/engine/docker"
)

// defaultInstance is the instance of a serve started without --instance:
// the state directory's base name and a short hash of its absolute path,
// "state-1a2b3c4d" (docs/design.md §13). Two serves on two directories so
// never see each other's containers; the same directory always gives the
// same instance, so a restarted serve adopts its containers. The parent is
// resolved through symlinks, the directory itself is not: a root that is a
// swapped symlink (git-sync) keeps its instance across swaps.
func defaultInstance(dir string) (string, error) {
	abs, err := canonicalDir(dir)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(abs))
	var b strings.Builder
	for _, r := range strings.ToLower(filepath.Base(abs)) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-' {
			b.WriteRune(r)
		}
	}
	name := strings.Trim(b.String(), "-._")
	if len(name) > 32 {
		name = name[:32]
	}
	if name == "" {
		name = "dir"
	}
	return name + "-" + hex.EncodeToString(sum[:4]), nil
}

// canonicalDir is dir as an absolute path with its parent's symlinks
// resolved: "./examples/state" and "/work/main/examples/state" are the
// same directory.
func canonicalDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("state directory %s: %w", dir, err)
	}
	if parent, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		abs = filepath.Join(parent, filepath.Base(abs))
	}
	return abs, nil
}

// errServed: another serve holds the state directory or the instance.
var errServed = errors.New("already served")

// lockServe takes this host's locks of the state directory and of the
// instance, so that a second serve of either refuses to start instead of
// fighting the first over the same containers. The locks are flocks on
// files in a runtime directory: the kernel releases them when the process
// ends, also after kill -9. release gives them back.
func lockServe(dir, instance string) (release func(), err error) {
	abs, err := canonicalDir(dir)
	if err != nil {
		return nil, err
	}
	root := lockRoot()
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("lock directory %s: %w", root, err)
	}
	owner := fmt.Sprintf("pid %d, state directory %s, instance %q", os.Getpid(), abs, instance)
	var held []*os.File
	release = func() {
		for _, f := range held {
			f.Close() // closing the descriptor releases its lock
		}
	}
	for _, l := range []struct{ key, what string }{
		{"dir-" + abs, "the state directory " + abs},
		{"instance-" + instance, "the instance " + strconv.Quote(instance)},
	} {
		sum := sha256.Sum256([]byte(l.key))
		path := filepath.Join(root, hex.EncodeToString(sum[:8])+".lock")
		f, err := takeLock(path, owner)
		if errors.Is(err, errServed) {
			release()
			return nil, fmt.Errorf("%s is already served by another orchestrator on this host (%s): %w; stop that one first, or give this one its own --dir or --instance", l.what, readOwner(path), errServed)
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
// directory of this user's in the temp directory.
func lockRoot() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		return filepath.Join(d, "orchestrator")
	}
	return filepath.Join(os.TempDir(), "orchestrator-"+strconv.Itoa(os.Getuid()))
}

// takeLock locks path without waiting and writes owner into it, for the
// message of the next one who tries.
func takeLock(path, owner string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
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

// logOthers says once, at start, which other orchestrators have containers
// on this engine: they are left alone, as Argo CD leaves resources that
// another application tracks. Containers without an instance label come
// from before instances existed; only `serve --instance ”` adopts them.
func logOthers(ctx context.Context, d *docker.Engine, instance string, log *slog.Logger) {
	others, err := d.Others(ctx)
	if err != nil {
		log.Warn("listing other orchestrators' containers failed", "err", err)
		return
	}
	for _, inst := range slices.Sorted(maps.Keys(others)) {
		if inst == "" {
			log.Warn("containers without an instance label are left alone; serve --instance '' adopts them",
				"containers", others[inst])
			continue
		}
		log.Info("another orchestrator's containers are left alone", "instance", inst, "containers", others[inst])
	}
}
