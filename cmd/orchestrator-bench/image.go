package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// benchImage is the FROM-scratch demo HTTP server the benchmark runs; keepImage
// is a second tag of it, for the spec that keeps the watched dir non-empty.
const (
	benchImage = "orchestrator-bench:latest"
	keepImage  = "orchestrator-bench:keep"
)

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
