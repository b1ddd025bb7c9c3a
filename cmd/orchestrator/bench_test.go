package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/reconciler"
	rt "github.com/orchestrator/orchestrator/reconciler/reconcilertest"
)

// BenchmarkConverge20 times a running serve from the write of a spec with
// min_replicas 20 to 20 running containers. Compare it with the baseline
// BenchmarkCreateStartLoop20 in package reconciler, in the same run.
func BenchmarkConverge20(b *testing.B) {
	image := rt.BuildTestImage(b, keepImage)
	id := rt.UniqueID(b)
	rt.CleanupInstance(b, id)
	d, err := reconciler.NewDocker(context.Background(), reconciler.DockerOptions{Instance: id})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	running := func() int {
		cs, err := d.List(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for _, c := range cs {
			if c.Image == image && c.State == "running" {
				n++
			}
		}
		return n
	}
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "keep.yaml"), []byte(specText(keepImage)), 0o644); err != nil {
		b.Fatal(err)
	}
	s := startServer(b, dir, id)
	defer s.stop()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		os.Remove(filepath.Join(dir, "app.yaml"))
		waitBench(b, func() bool { return running() == 0 })
		b.StartTimer()
		if err := os.WriteFile(filepath.Join(dir, "app.yaml"), []byte(specText(image, "min_replicas: 20", "max_replicas: 20")), 0o644); err != nil {
			b.Fatal(err)
		}
		waitBench(b, func() bool { return running() == 20 })
	}
}

func waitBench(b *testing.B, cond func() bool) {
	deadline := time.Now().Add(2 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatal("not converged within 2 minutes")
		}
		time.Sleep(5 * time.Millisecond) // poll interval
	}
}
