package reconciler_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/orchestrator/orchestrator/reconciler"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
	"github.com/orchestrator/orchestrator/spec"
)

// BenchmarkIdleResync is the periodic resync of an idle host, 200 specs of
// 2 replicas with nothing to do, on the fake engine: the orchestrator's own
// CPU per resync pass (make bench's idle cost, without the engine).
func BenchmarkIdleResync(b *testing.B) {
	root := b.TempDir()
	var images []string
	for i := range 200 {
		image := fmt.Sprintf("idle:%03d", i)
		images = append(images, image)
		text := fmt.Sprintf("image: %s\nmin_replicas: 2\nmax_replicas: 2\nenv: {PORT: \"8080\"}\nports: {\"8080/tcp\": 0}\nresources: {cpu: 100m, memory: 32m}\n", image)
		if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("idle-%03d.yaml", i)), []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	fake := rt.NewFake(images...)
	r := reconciler.New(spec.NewDir(root, spec.Options{HostCPUs: 2}), fake, reconciler.Options{})
	ctx := context.Background()
	for range 3 {
		r.Pass(ctx)
	}
	if res := r.Pass(ctx); len(res.Done) != 0 || res.Err != nil {
		b.Fatalf("not idle: %d actions, err %v", len(res.Done), res.Err)
	}
	b.ResetTimer()
	for b.Loop() {
		if res := r.Pass(ctx); len(res.Done) != 0 {
			b.Fatalf("%d actions in an idle pass", len(res.Done))
		}
	}
}
