package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

// benchImage is the FROM-scratch demo HTTP server the benchmark runs; keepImage
// is a second tag of it, for the spec that keeps the watched dir non-empty.
// A spec's identity is its image string, so every further spec runs its own
// tag of the same image: reactionImage, idleImage(i) and stoppedImage(i);
// those tags are the run's own and are removed at the end.
const (
	benchImage    = "orchestrator-bench:latest"
	keepImage     = "orchestrator-bench:keep"
	reactionImage = "orchestrator-bench:reaction"
)

// idleImage is the tag of the idle scenario's i-th spec.
func idleImage(i int) string { return fmt.Sprintf("orchestrator-bench:idle-%03d", i) }

// stoppedImage is the tag of the change cost's i-th padding spec.
func stoppedImage(i int) string { return fmt.Sprintf("orchestrator-bench:stopped-%04d", i) }

// buildImage builds examples/demo as a static binary into a temp dir and the
// image FROM scratch around it, as the Makefile's demo-image target does.
// It must run from the module root (make does).
func buildImage(ctx context.Context, tmp string) error {
	dir := filepath.Join(tmp, "image")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("image dir: %w", err)
	}
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", filepath.Join(dir, "demo"), "./examples/demo")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build examples/demo: %s: %w", out, err)
	}
	if out, err := exec.CommandContext(ctx, "docker", "build", "-q", "-t", benchImage, "-f", "examples/demo/Dockerfile", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("docker build: %s: %w", out, err)
	}
	if out, err := exec.CommandContext(ctx, "docker", "tag", benchImage, keepImage).CombinedOutput(); err != nil {
		return fmt.Errorf("docker tag: %s: %w", out, err)
	}
	return nil
}

// tag tags benchImage as ref and notes the tag for the cleanup, which
// removes it.
func (b *bench) tag(ctx context.Context, ref string) error {
	b.tags = append(b.tags, ref) // noted first: an interrupted call may still have tagged
	if err := b.cli.ImageTag(ctx, benchImage, ref); err != nil {
		return fmt.Errorf("tag %s: %w", ref, err)
	}
	return nil
}

// removeTags removes the run's tags: untags only, never the image, which
// benchImage still names.
func removeTags(ctx context.Context, cli *client.Client, tags []string) (int, error) {
	n := 0
	for _, ref := range tags {
		_, err := cli.ImageRemove(ctx, ref, image.RemoveOptions{})
		switch {
		case cerrdefs.IsNotFound(err):
		case err != nil:
			return n, fmt.Errorf("untag %s: %w", ref, err)
		default:
			n++
		}
	}
	return n, nil
}
