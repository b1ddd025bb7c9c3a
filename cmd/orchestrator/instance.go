package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"

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
