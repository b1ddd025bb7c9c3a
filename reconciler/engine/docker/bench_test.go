package docker_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/reconciler/engine/docker"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// BenchmarkCreateStartLoop20 is the baseline for the orchestrator's
// convergence: the same 20 containers (image, limits, random port, labels)
// made by a plain loop of create+start, with no orchestrator at all.
func BenchmarkCreateStartLoop20(b *testing.B) {
	for _, par := range []int{1, 4} {
		b.Run(fmt.Sprintf("parallel=%d", par), func(b *testing.B) {
			image := rt.BuildTestImage(b)
			id := rt.UniqueID(b)
			rt.CleanupInstance(b, id)
			d, err := docker.New(context.Background(), docker.Options{Instance: id})
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			ctx := context.Background()
			for i := 0; i < b.N; i++ {
				sem := make(chan struct{}, par)
				var wg sync.WaitGroup
				var mu sync.Mutex
				var errs []error
				for n := 1; n <= 20; n++ {
					wg.Add(1)
					sem <- struct{}{}
					go func() {
						defer wg.Done()
						defer func() { <-sem }()
						cfg := engine.Config{
							Name: fmt.Sprintf("%s-loop-%d-%d", id, i, n), Image: image,
							Env: map[string]string{"PORT": "8080"}, Ports: map[string]int{"8080/tcp": 0},
							NanoCPUs: 100_000_000, MemoryBytes: 32 << 20,
							Labels: map[string]string{engine.LabelManagedBy: engine.ManagedBy, engine.LabelImage: image},
						}
						cid, err := d.Create(ctx, cfg)
						if err == nil {
							err = d.Start(ctx, cid)
						}
						if err != nil {
							mu.Lock()
							errs = append(errs, err)
							mu.Unlock()
						}
					}()
				}
				wg.Wait()
				if len(errs) > 0 {
					b.Fatal(errs[0])
				}
				b.StopTimer()
				rt.RemoveLabelled(b, "orchestrator.instance="+id)
				b.StartTimer()
			}
		})
	}
}
