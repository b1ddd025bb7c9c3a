package stats_test

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/orchestrator/orchestrator/reconciler/engine"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
	"github.com/orchestrator/orchestrator/reconciler/stats"
	"github.com/orchestrator/orchestrator/spec"
)

const sampledImage = "app:v1"

// samplerRig is a fake engine, the specs in force, a clock and a sampler.
type samplerRig struct {
	t     testing.TB
	fake  *rt.Fake
	specs map[string]spec.Spec
	now   time.Time
	s     *stats.Sampler
}

func newSamplerRig(t testing.TB, opts stats.Options) *samplerRig {
	r := &samplerRig{t: t, fake: rt.NewFake(sampledImage), specs: map[string]spec.Spec{},
		now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	r.fake.SetClock(func() time.Time { return r.now })
	opts.Now = func() time.Time { return r.now }
	r.s = stats.New(r.fake, func() map[string]spec.Spec { return r.specs }, opts)
	return r
}

// run creates and starts a managed container of sampledImage; ports maps
// "8080/tcp" to a host port (0 lets the fake pick one).
func (r *samplerRig) run(name string, ports map[string]int) string {
	r.t.Helper()
	id, err := r.fake.Create(context.Background(), engine.Config{
		Name: name, Image: sampledImage, Ports: ports, MemoryBytes: 64 << 20,
		Labels: map[string]string{engine.LabelManagedBy: engine.ManagedBy, engine.LabelImage: sampledImage},
	})
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.fake.Start(context.Background(), id); err != nil {
		r.t.Fatal(err)
	}
	return id
}

// round runs one round, a second later than the last.
func (r *samplerRig) round() {
	r.t.Helper()
	r.now = r.now.Add(time.Second)
	if err := r.s.Round(context.Background()); err != nil {
		r.t.Fatalf("Round: %v", err)
	}
}

func (r *samplerRig) health(name string) stats.Health {
	r.t.Helper()
	for _, h := range r.s.Health(sampledImage) {
		if h.Name == name {
			return h
		}
	}
	r.t.Fatalf("%s not in Health(%s)", name, sampledImage)
	return stats.Health{}
}

func fp(v float64) *float64 { return &v }

var approx = cmpopts.EquateApprox(0, 1e-9)

func TestSamplerCPUPercent(t *testing.T) {
	base := engine.Stats{CPUTotal: 1e9, SystemCPU: 10e9, OnlineCPUs: 2, MemLimit: 1}
	for _, tc := range []struct {
		name      string
		cur       engine.Stats // the second sample; the first is base
		hostCPUs  int
		oneSample bool
		want      *float64
	}{
		{name: "online cpus", cur: engine.Stats{CPUTotal: 1.5e9, SystemCPU: 12e9, OnlineCPUs: 2}, want: fp(50)},
		{name: "falls back to len(percpu_usage)", cur: engine.Stats{CPUTotal: 1.5e9, SystemCPU: 12e9, PercpuLen: 4}, want: fp(100)},
		{name: "falls back to host cpus", cur: engine.Stats{CPUTotal: 1.5e9, SystemCPU: 12e9}, hostCPUs: 3, want: fp(75)},
		{name: "idle", cur: engine.Stats{CPUTotal: 1e9, SystemCPU: 12e9, OnlineCPUs: 2}, want: fp(0)},
		{name: "zero system delta", cur: engine.Stats{CPUTotal: 1.5e9, SystemCPU: 10e9, OnlineCPUs: 2}},
		{name: "counters reset (restart between rounds)", cur: engine.Stats{CPUTotal: 1e6, SystemCPU: 12e9, OnlineCPUs: 2}},
		{name: "one sample only", oneSample: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newSamplerRig(t, stats.Options{HostCPUs: tc.hostCPUs})
			id := r.run("app-1", nil)
			r.fake.SetStats(id, base)
			r.round()
			if !tc.oneSample {
				tc.cur.MemLimit = 1
				r.fake.SetStats(id, tc.cur)
				r.round()
			}
			if d := cmp.Diff(tc.want, r.health("app-1").CPUPercent, approx); d != "" {
				t.Errorf("cpu_percent (-want +got):\n%s", d)
			}
		})
	}
}

func TestSamplerCPUPercentAfterZeroDeltaUsesTheOlderSample(t *testing.T) {
	r := newSamplerRig(t, stats.Options{})
	id := r.run("app-1", nil)
	for _, st := range []engine.Stats{
		{CPUTotal: 1e9, SystemCPU: 10e9, OnlineCPUs: 2},
		{CPUTotal: 1.1e9, SystemCPU: 10e9, OnlineCPUs: 2}, // the system counter has not ticked yet
		{CPUTotal: 2e9, SystemCPU: 14e9, OnlineCPUs: 2},
	} {
		r.fake.SetStats(id, st)
		r.round()
	}
	if d := cmp.Diff(fp(50), r.health("app-1").CPUPercent, approx); d != "" {
		t.Errorf("cpu_percent over the first and third samples (-want +got):\n%s", d)
	}
}

func TestSamplerMemPercent(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		name string
		st   engine.Stats
		want *float64
	}{
		{name: "usage over limit", st: engine.Stats{MemUsage: 50 * mib, MemLimit: 100 * mib}, want: fp(50)},
		{name: "inactive_file subtracted", st: engine.Stats{MemUsage: 60 * mib, InactiveFile: 10 * mib, MemLimit: 100 * mib}, want: fp(50)},
		{name: "inactive_file not below usage is ignored", st: engine.Stats{MemUsage: 10 * mib, InactiveFile: 20 * mib, MemLimit: 100 * mib}, want: fp(10)},
		{name: "zero limit", st: engine.Stats{MemUsage: 10 * mib}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newSamplerRig(t, stats.Options{})
			id := r.run("app-1", nil)
			r.fake.SetStats(id, tc.st)
			r.round()
			if d := cmp.Diff(tc.want, r.health("app-1").MemPercent, approx); d != "" {
				t.Errorf("mem_percent (-want +got):\n%s", d)
			}
		})
	}
}

func TestSamplerStatesAndCache(t *testing.T) {
	r := newSamplerRig(t, stats.Options{})
	a := r.run("app-1", nil)
	b := r.run("app-2", map[string]int{"8080/tcp": 0})
	if err := r.fake.StopByHand(b); err != nil {
		t.Fatal(err)
	}
	r.fake.AddUnmanaged("other", sampledImage)
	r.round()
	got := r.s.Health(sampledImage)
	if len(got) != 2 || got[0].Name != "app-1" || got[1].Name != "app-2" {
		t.Fatalf("Health = %+v, want app-1 and app-2, sorted by name, and no unmanaged container", got)
	}
	if h := got[0]; h.Status != "running" || h.MemPercent == nil || h.FSFreeBytes == nil || h.CPUPercent != nil || h.ServerAlive != nil {
		t.Errorf("running app-1 after one round = %+v, want mem and fs, and no cpu (one sample) nor liveness (no port)", h)
	}
	want := stats.Health{ContainerID: b, Name: "app-2", Status: "exited", Ports: map[string][]engine.PortBinding{"8080/tcp": nil}}
	if d := cmp.Diff(want, got[1]); d != "" {
		t.Errorf("exited app-2 (-want +got):\n%s", d)
	}

	lists, stats := r.fake.Calls("list"), r.fake.Calls("stats")
	if stats != 1 {
		t.Errorf("stats calls in a round = %d, want 1 (the running container only)", stats)
	}
	for range 100 {
		r.s.Health(sampledImage)
		r.s.Usage(sampledImage)
	}
	if r.fake.Calls("list") != lists || r.fake.Calls("stats") != stats {
		t.Errorf("Health and Usage called the engine")
	}

	if err := r.fake.RemoveByHand(a); err != nil {
		t.Fatal(err)
	}
	r.round()
	if got := r.s.Health(sampledImage); len(got) != 1 || got[0].Name != "app-2" {
		t.Errorf("after app-1 vanished: Health = %+v, want app-2 only", got)
	}
	if got := r.s.Health("unknown:v1"); got == nil || len(got) != 0 {
		t.Errorf("Health of an unknown image = %#v, want an empty list", got)
	}
}

func TestSamplerKeepsItsCacheWhenListFails(t *testing.T) {
	r := newSamplerRig(t, stats.Options{})
	r.run("app-1", nil)
	r.round()
	before := r.s.Health(sampledImage)
	boom := errors.New("engine down")
	r.fake.FailNext("list", boom)
	if err := r.s.Round(context.Background()); !errors.Is(err, boom) {
		t.Errorf("Round with a failing list = %v, want it", err)
	}
	if d := cmp.Diff(before, r.s.Health(sampledImage)); d != "" {
		t.Errorf("cache after a failed list (-want +got):\n%s", d)
	}
}

func TestSamplerOneFailedSampleSparesTheOthers(t *testing.T) {
	r := newSamplerRig(t, stats.Options{})
	r.run("app-1", nil)
	r.run("app-2", nil)
	r.fake.FailNext("stats", errors.New("boom"))
	r.round()
	missing := 0
	for _, h := range r.s.Health(sampledImage) {
		if h.MemPercent == nil {
			missing++
		}
		if h.FSFreeBytes == nil {
			t.Errorf("%s: fs_free_bytes nil", h.Name)
		}
	}
	if missing != 1 {
		t.Errorf("containers without mem_percent = %d, want 1 (the failed sample)", missing)
	}
	r.round()
	for _, h := range r.s.Health(sampledImage) {
		if h.MemPercent == nil {
			t.Errorf("%s: mem_percent nil in the next round", h.Name)
		}
	}
}

func TestSamplerUsage(t *testing.T) {
	r := newSamplerRig(t, stats.Options{})
	sp := spec.New(sampledImage)
	sp.Resources.CPU = "500m"
	r.specs[sampledImage] = sp
	id := r.run("app-1", nil)
	created := r.now
	r.fake.SetStats(id, engine.Stats{CPUTotal: 1e9, SystemCPU: 10e9, OnlineCPUs: 2, MemLimit: 1})
	r.round()
	want := []stats.Usage{{ContainerID: id, Name: "app-1", State: "running", Ready: true, LimitCPUs: 0.5,
		Sampled: r.now, Created: created, Started: created}}
	if d := cmp.Diff(want, r.s.Usage(sampledImage), approx); d != "" {
		t.Errorf("after one sample: Usage (-want +got):\n%s", d)
	}

	r.fake.SetStats(id, engine.Stats{CPUTotal: 1.25e9, SystemCPU: 12e9, OnlineCPUs: 2, MemLimit: 1}) // 25% of the host's 2 CPUs
	r.round()
	want[0].Sampled, want[0].CPUPercent, want[0].CPU = r.now, fp(25), fp(0.5)
	if d := cmp.Diff(want, r.s.Usage(sampledImage), approx); d != "" {
		t.Errorf("after two samples: Usage (-want +got):\n%s", d)
	}

	delete(r.specs, sampledImage) // no spec, no limit: a fraction of one core
	r.round()
	want[0].Sampled, want[0].LimitCPUs, want[0].CPUPercent, want[0].CPU = r.now, 0, nil, nil
	if d := cmp.Diff(want, r.s.Usage(sampledImage), approx); d != "" {
		t.Errorf("no system delta: Usage (-want +got):\n%s", d)
	}
	r.fake.SetStats(id, engine.Stats{CPUTotal: 1.75e9, SystemCPU: 14e9, OnlineCPUs: 2, MemLimit: 1})
	r.round()
	want[0].Sampled, want[0].CPUPercent, want[0].CPU = r.now, fp(50), fp(0.5)
	if d := cmp.Diff(want, r.s.Usage(sampledImage), approx); d != "" {
		t.Errorf("without a limit: Usage (-want +got):\n%s", d)
	}

	if err := r.fake.StopByHand(id); err != nil {
		t.Fatal(err)
	}
	r.round()
	if got := r.s.Usage(sampledImage); got[0].CPU != nil || got[0].State != "exited" || got[0].Ready {
		t.Errorf("stopped: Usage = %+v, want no cpu, not ready", got[0])
	}
	if err := r.fake.Start(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	r.round()
	if got := r.s.Usage(sampledImage); !got[0].Started.Equal(r.now) || got[0].CPU != nil {
		t.Errorf("started again: Usage = %+v, want Started = this round (%s) and no cpu yet", got[0], r.now)
	}
}

func TestSamplerFSFree(t *testing.T) {
	for _, tc := range []struct{ name, root, measured string }{
		{"local data root", t.TempDir(), ""},
		{"data root not local", "/nonexistent/docker", "/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newSamplerRig(t, stats.Options{})
			r.fake.SetDataRoot(tc.root)
			r.run("app-1", nil)
			r.run("app-2", nil)
			r.round()
			measured := tc.measured
			if measured == "" {
				measured = tc.root
			}
			var st syscall.Statfs_t
			if err := syscall.Statfs(measured, &st); err != nil {
				t.Fatal(err)
			}
			want := float64(st.Bavail) * float64(st.Bsize)
			hs := r.s.Health(sampledImage)
			for _, h := range hs {
				if h.FSFreeBytes == nil || *h.FSFreeBytes != *hs[0].FSFreeBytes {
					t.Fatalf("fs_free_bytes = %v, want one value for every container", h.FSFreeBytes)
				}
			}
			if got := float64(*hs[0].FSFreeBytes); got <= 0 || got < want*0.99 || got > want*1.01 {
				t.Errorf("fs_free_bytes = %.0f, want about %.0f (free bytes of %s)", got, want, measured)
			}
		})
	}
}

func TestSamplerRunUntilCanceled(t *testing.T) {
	r := newSamplerRig(t, stats.Options{Interval: time.Hour})
	r.run("app-1", nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.s.Run(ctx) }()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	for range 2 { // the first round, then one on Trigger
		if err := r.s.WaitRound(wctx); err != nil {
			t.Fatalf("WaitRound: %v", err)
		}
	}
	if got := r.s.Health(sampledImage); len(got) != 1 {
		t.Errorf("after WaitRound: Health = %+v, want app-1", got)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v, want nil after cancel", err)
		}
	case <-wctx.Done():
		t.Fatal("Run did not return after its context was canceled")
	}
}

// BenchmarkSamplerHealth20 is the work of GET /images/{image}/health over
// 20 sampled containers: a read of the cache.
func BenchmarkSamplerHealth20(b *testing.B) {
	r := newSamplerRig(b, stats.Options{})
	for i := range 20 {
		id := r.run(fmt.Sprintf("app-%02d", i), nil)
		r.fake.SetStats(id, engine.Stats{CPUTotal: 1e9, SystemCPU: 1e10, OnlineCPUs: 2, MemUsage: 1 << 20, MemLimit: 1 << 26})
	}
	r.round()
	for b.Loop() {
		if len(r.s.Health(sampledImage)) != 20 {
			b.Fatal("not 20 containers")
		}
	}
}
