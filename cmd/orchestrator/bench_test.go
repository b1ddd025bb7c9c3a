package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/reconciler/engine/docker"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// BenchmarkConverge20 times a running serve from the write of a spec with
// min_replicas 20 to 20 running containers. Compare it with the baseline
// BenchmarkCreateStartLoop20 in package reconciler, in the same run.
func BenchmarkConverge20(b *testing.B) {
	image := rt.BuildTestImage(b, keepImage)
	id := rt.UniqueID(b)
	rt.CleanupInstance(b, id)
	d, err := docker.New(context.Background(), docker.Options{Instance: id})
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

// BenchmarkHealth20 times GET /images/{image}/health with 20 running
// replicas, once the sampler has filled cpu_percent and mem_percent: the
// request reads the sampler's cache and makes no engine call.
func BenchmarkHealth20(b *testing.B) {
	image := rt.BuildTestImage(b, keepImage)
	id := rt.UniqueID(b)
	rt.CleanupInstance(b, id)
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.yaml"), []byte(specText(image, "min_replicas: 20", "max_replicas: 20", `ports: {"8080/tcp": 0}`)), 0o644); err != nil {
		b.Fatal(err)
	}
	s := startServer(b, dir, id)
	defer s.stop()
	url := "http://" + s.addr + "/images/" + image + "/health"
	get := func() []map[string]any {
		resp, err := http.Get(url)
		if err != nil {
			return nil // not serving yet
		}
		defer resp.Body.Close()
		var body struct{ Health []map[string]any }
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			b.Fatal(err)
		}
		return body.Health
	}
	waitBench(b, func() bool {
		hs := get()
		if len(hs) != 20 {
			return false
		}
		for _, h := range hs {
			if h["cpu_percent"] == nil || h["mem_percent"] == nil {
				return false
			}
		}
		return true
	})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if hs := get(); len(hs) != 20 {
			b.Fatalf("%d entries", len(hs))
		}
	}
}
