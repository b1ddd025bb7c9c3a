package reconciler_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/reconciler"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
	"github.com/orchestrator/orchestrator/spec"
)

// TestRunCreatesBatchAfterBatch: a spec of more replicas than a pass
// creates at once (maxCreatesPerPass) converges, each batch's engine
// events waking the pass of the next, with no other trigger.
func TestRunCreatesBatchAfterBatch(t *testing.T) {
	const want = 1200
	root := t.TempDir()
	fake := rt.NewFake("app:v1")
	text := fmt.Sprintf("image: app:v1\nmin_replicas: %d\nmax_replicas: %d\nresources: {}\n", want, want)
	if err := os.WriteFile(filepath.Join(root, "app.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	r := reconciler.New(spec.NewDir(root, spec.Options{}), fake, reconciler.Options{Resync: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx, nil) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	rt.Eventually(t, 30*time.Second, fmt.Sprintf("%d replicas", want), func() (bool, string) {
		cs, _ := fake.List(context.Background())
		n := 0
		for _, c := range cs {
			if c.State == "running" {
				n++
			}
		}
		return n == want, fmt.Sprintf("%d running", n)
	})
}
