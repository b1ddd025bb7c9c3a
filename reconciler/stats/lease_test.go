package stats_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/orchestrator/orchestrator/reconciler/engine"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
	"github.com/orchestrator/orchestrator/reconciler/stats"
	"github.com/orchestrator/orchestrator/spec"
)

// leaseRig is a sampler with a one-minute Lease over a fake engine that
// runs one container of each of three images; web is autoscaled.
type leaseRig struct {
	fake *rt.Fake
	s    *stats.Sampler

	mu  sync.Mutex // the clock is read by Run's goroutine
	now time.Time
}

func newLeaseRig(t *testing.T) *leaseRig {
	r := &leaseRig{fake: rt.NewFake("web:1", "api:1", "db:1"), now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	specs := map[string]spec.Spec{}
	for _, image := range []string{"web:1", "api:1", "db:1"} {
		sp := spec.New(image)
		sp.MinReplicas, sp.MaxReplicas = 1, 1
		if image == "web:1" {
			sp.MaxReplicas = 3
		}
		specs[image] = sp
		id, err := r.fake.Create(context.Background(), engine.Config{Name: image[:3] + "-1", Image: image,
			Labels: map[string]string{engine.LabelManagedBy: engine.ManagedBy, engine.LabelImage: image}})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.fake.Start(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	r.s = stats.New(r.fake, func() map[string]spec.Spec { return specs }, stats.Options{
		Lease: time.Minute, Interval: time.Hour, Now: r.clock,
	})
	return r
}

func (r *leaseRig) clock() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.now
}

func (r *leaseRig) advance(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.now = r.now.Add(d)
}

// sampled is the names of the containers the cache holds health for.
func (r *leaseRig) sampled() []string {
	var out []string
	for _, image := range []string{"api:1", "db:1", "web:1"} {
		for _, h := range r.s.Health(image) {
			out = append(out, h.Name)
		}
	}
	return out
}

func TestSamplerLeaseSamplesOnlyWhatIsLookedAt(t *testing.T) {
	r := newLeaseRig(t)
	ctx := context.Background()

	// Only the autoscaled spec is sampled while nobody reads.
	if err := r.s.Round(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"web-1"}, r.sampled()); diff != "" {
		t.Errorf("sampled with no reader (-want +got):\n%s", diff)
	}
	if got := r.fake.Calls("stats"); got != 1 {
		t.Errorf("stats calls = %d, want 1 (web-1 only)", got)
	}

	// A first read of api waits for a round that covers it.
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.s.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })
	hs := r.s.Read(ctx, "api:1")
	if len(hs) != 1 || hs[0].Name != "api-1" || hs[0].MemPercent == nil {
		t.Fatalf("first Read(api:1) = %+v, want api-1 with mem_percent", hs)
	}
	if diff := cmp.Diff([]string{"api-1", "web-1"}, r.sampled()); diff != "" {
		t.Errorf("sampled after a read of api (-want +got):\n%s", diff)
	}

	// The lease runs out a minute after the last read.
	r.advance(59 * time.Second)
	if err := r.s.Round(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"api-1", "web-1"}, r.sampled()); diff != "" {
		t.Errorf("sampled 59 s after the read (-want +got):\n%s", diff)
	}
	r.advance(time.Second)
	if err := r.s.Round(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"web-1"}, r.sampled()); diff != "" {
		t.Errorf("sampled 60 s after the read (-want +got):\n%s", diff)
	}
}

func TestSamplerLeaseIdleMakesNoEngineCall(t *testing.T) {
	r := newLeaseRig(t)
	sp := spec.New("web:1") // web no longer autoscaled: nothing to sample
	sp.MinReplicas, sp.MaxReplicas = 1, 1
	s := stats.New(r.fake, func() map[string]spec.Spec { return map[string]spec.Spec{"web:1": sp} },
		stats.Options{Lease: time.Minute, Now: r.clock})
	lists, stats := r.fake.Calls("list"), r.fake.Calls("stats")
	for range 3 {
		if err := s.Round(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := r.fake.Calls("list") - lists; got != 0 {
		t.Errorf("3 idle rounds listed %d times, want 0", got)
	}
	if got := r.fake.Calls("stats") - stats; got != 0 {
		t.Errorf("3 idle rounds made %d stats calls, want 0", got)
	}
}

func TestSamplerLeaseReadOfAnUnknownImageCostsNothing(t *testing.T) {
	r := newLeaseRig(t)
	// No Run: a read that asked for a round would wait for the deadline.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	stats := r.fake.Calls("stats")
	if hs := r.s.Read(ctx, "nosuch:1"); len(hs) != 0 {
		t.Errorf("Read(nosuch:1) = %+v, want nothing", hs)
	}
	if ctx.Err() != nil {
		t.Errorf("Read of an image without a spec waited for a round")
	}
	if got := r.fake.Calls("stats") - stats; got != 0 {
		t.Errorf("it made %d stats calls, want 0", got)
	}
}
