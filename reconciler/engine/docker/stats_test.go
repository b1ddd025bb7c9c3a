package docker_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/reconciler/engine/docker"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
	"github.com/orchestrator/orchestrator/reconciler/stats"
	"github.com/orchestrator/orchestrator/spec"
)

// fakeDockerd is an engine API that serves canned stats, enough for the
// adapter: the version ping, one container's stats and docker info.
func fakeDockerd(t *testing.T, stats string, queries *atomic.Value, infos *atomic.Int32) *docker.Engine {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/v1.41/containers/{id}/stats", func(w http.ResponseWriter, req *http.Request) {
		queries.Store(req.URL.RawQuery)
		w.Header().Set("Content-Type", "application/json")
		if req.PathValue("id") != "c1" {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `{"message": "No such container: %s"}`, req.PathValue("id"))
			return
		}
		w.Write([]byte(stats))
	})
	mux.HandleFunc("/v1.41/info", func(w http.ResponseWriter, _ *http.Request) {
		infos.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"DockerRootDir": "/srv/docker", "NCPU": 2}`))
	})
	return stubEngine(t, mux)
}

// stubEngine serves mux as the engine API (version 1.41, with /_ping) and
// connects an adapter to it through DOCKER_HOST.
func stubEngine(t *testing.T, mux *http.ServeMux) *docker.Engine {
	t.Helper()
	mux.HandleFunc("/_ping", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Api-Version", "1.41")
		w.Write([]byte("OK"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Setenv("DOCKER_HOST", "tcp://"+srv.Listener.Addr().String())
	t.Setenv("DOCKER_API_VERSION", "")
	t.Setenv("DOCKER_TLS_VERIFY", "")
	t.Setenv("DOCKER_CERT_PATH", "")
	d, err := docker.New(context.Background(), docker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestDockerStatsDecodes(t *testing.T) {
	read := time.Date(2026, 11, 26, 12, 0, 0, 500_000_000, time.UTC)
	for _, tc := range []struct {
		name, body string
		want       engine.Stats
	}{{
		name: "cgroup v1: total_inactive_file before inactive_file",
		body: `{"read": "2026-11-26T12:00:00.5Z", "preread": "0001-01-01T00:00:00Z",
			"cpu_stats": {"cpu_usage": {"total_usage": 123456789, "percpu_usage": [60000000, 63456789],
				"usage_in_kernelmode": 1, "usage_in_usermode": 2}, "system_cpu_usage": 987654321000, "online_cpus": 2, "throttling_data": {}},
			"precpu_stats": {"cpu_usage": {"total_usage": 0}, "throttling_data": {}},
			"memory_stats": {"usage": 10485760, "max_usage": 20000000, "limit": 67108864,
				"stats": {"inactive_file": 1000, "total_inactive_file": 2097152, "cache": 3000000}}}`,
		want: engine.Stats{Read: read, CPUTotal: 123456789, SystemCPU: 987654321000, OnlineCPUs: 2, PercpuLen: 2,
			MemUsage: 10485760, MemLimit: 67108864, InactiveFile: 2097152},
	}, {
		name: "cgroup v2: inactive_file",
		body: `{"read": "2026-11-26T12:00:00.5Z", "cpu_stats": {"cpu_usage": {"total_usage": 5000}, "system_cpu_usage": 100000, "online_cpus": 4},
			"memory_stats": {"usage": 8388608, "limit": 33554432, "stats": {"inactive_file": 1048576, "anon": 100}}}`,
		want: engine.Stats{Read: read, CPUTotal: 5000, SystemCPU: 100000, OnlineCPUs: 4,
			MemUsage: 8388608, MemLimit: 33554432, InactiveFile: 1048576},
	}, {
		name: "old engine: no online_cpus, no memory stats",
		body: `{"read": "2026-11-26T12:00:00.5Z", "cpu_stats": {"cpu_usage": {"total_usage": 7, "percpu_usage": [1, 2, 3, 4]}, "system_cpu_usage": 9},
			"memory_stats": {}}`,
		want: engine.Stats{Read: read, CPUTotal: 7, SystemCPU: 9, PercpuLen: 4},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var q atomic.Value
			var infos atomic.Int32
			d := fakeDockerd(t, tc.body, &q, &infos)
			got, err := d.Stats(context.Background(), "c1")
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Stats (-want +got):\n%s", d)
			}
			if raw, _ := q.Load().(string); !strings.Contains(raw, "stream=0") || !strings.Contains(raw, "one-shot=1") {
				t.Errorf("stats query = %q, want stream=0 and one-shot=1", raw)
			}
		})
	}
}

func TestDockerStatsErrorsAndDataRoot(t *testing.T) {
	var q atomic.Value
	var infos atomic.Int32
	d := fakeDockerd(t, `{}`, &q, &infos)
	ctx := context.Background()
	_, err := d.Stats(ctx, "gone")
	if !errors.Is(err, engine.ErrNotFound) || !strings.HasPrefix(err.Error(), "stats gone: ") {
		t.Errorf("Stats of a missing container = %v, want ErrNotFound, prefixed \"stats gone: \"", err)
	}
	for range 3 {
		if root, err := d.DataRoot(ctx); root != "/srv/docker" || err != nil {
			t.Errorf("DataRoot = %q, %v, want /srv/docker", root, err)
		}
	}
	if n := infos.Load(); n != 1 {
		t.Errorf("docker info calls = %d, want 1 (cached)", n)
	}
}

// runDemo creates and starts a demo container with limits, publishing
// 8080/tcp on a random host port.
func runDemo(t testing.TB, d *docker.Engine, image, name string) string {
	t.Helper()
	ctx := context.Background()
	id, err := d.Create(ctx, engine.Config{
		Name: name, Image: image, Env: map[string]string{"PORT": "8080"}, Ports: map[string]int{"8080/tcp": 0},
		NanoCPUs: 500_000_000, MemoryBytes: 64 << 20,
		Labels: map[string]string{engine.LabelManagedBy: engine.ManagedBy, engine.LabelImage: image},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	return id
}

func demoSpec(image string) map[string]spec.Spec {
	sp := spec.New(image)
	sp.Ports = map[string]int{"8080/tcp": 0}
	sp.Resources.CPU, sp.Resources.Memory = "500m", "64m"
	sp.Health = &spec.Health{HTTPPath: "/healthz"}
	return map[string]spec.Spec{image: sp}
}

func describe(hs []stats.Health) string {
	var b strings.Builder
	for _, h := range hs {
		fmt.Fprintf(&b, "%s %s alive=%v cpu=%v mem=%v fs=%v; ", h.Name, h.Status, deref(h.ServerAlive), deref(h.CPUPercent), deref(h.MemPercent), deref(h.FSFreeBytes))
	}
	return b.String()
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestSamplerOnDocker(t *testing.T) {
	image := rt.BuildTestImage(t)
	d, instance := newDocker(t)
	runDemo(t, d, image, instance+"-app-1")
	s := stats.New(d, func() map[string]spec.Spec { return demoSpec(image) }, stats.Options{})
	ctx := context.Background()
	maxCPU := 100 * float64(runtime.NumCPU())
	var h stats.Health
	// Rounds until two samples apart and a live server (it needs a moment to listen).
	rt.Eventually(t, 30*time.Second, "cpu, mem, fs and a live server", func() (bool, string) {
		if err := s.Round(ctx); err != nil {
			return false, err.Error()
		}
		hs := s.Health(image)
		if len(hs) != 1 {
			return false, describe(hs)
		}
		h = hs[0]
		return h.CPUPercent != nil && h.MemPercent != nil && h.ServerAlive != nil && *h.ServerAlive, describe(hs)
	})
	if *h.CPUPercent < 0 || *h.CPUPercent > maxCPU || *h.MemPercent <= 0 || *h.MemPercent > 100 || h.FSFreeBytes == nil || *h.FSFreeBytes == 0 {
		t.Errorf("idle: %s want 0 <= cpu <= %.0f, 0 < mem <= 100, fs > 0", describe([]stats.Health{h}), maxCPU)
	}

	t.Logf("idle: %s", describe([]stats.Health{h}))

	// Burn a core in a container limited to half of one: cpu_percent nears 50.
	port := h.Ports["8080/tcp"][0].HostPort
	bctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		req, _ := http.NewRequestWithContext(bctx, http.MethodGet, "http://127.0.0.1:"+port+"/burn?seconds=60", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	rt.Eventually(t, 30*time.Second, "cpu_percent of a burning container", func() (bool, string) {
		if err := s.Round(ctx); err != nil {
			return false, err.Error()
		}
		hs := s.Health(image)
		us := s.Usage(image)
		ok := len(hs) == 1 && hs[0].CPUPercent != nil && *hs[0].CPUPercent > 25 && len(us) == 1 && us[0].CPU != nil && *us[0].CPU > 0.5
		return ok, describe(hs)
	})
	hs := s.Health(image)
	t.Logf("burning: %s", describe(hs))
	if *hs[0].CPUPercent > 75 {
		t.Errorf("burning with a limit of 0.5 CPU: cpu_percent = %.1f, want about 50", *hs[0].CPUPercent)
	}
}

// BenchmarkSamplerRoundDocker20 is one sampler round (list, 20 one-shot
// stats, 20 HTTP probes, statfs) over 20 running demo containers. A
// one-shot stats call on Docker 20.10 waits for the engine's next 1 s
// collection, shared by the calls in flight: a round takes about
// ceil(20 / Parallelism) seconds.
func BenchmarkSamplerRoundDocker20(b *testing.B) {
	image := rt.BuildTestImage(b)
	instance := rt.UniqueID(b)
	rt.CleanupInstance(b, instance)
	d, err := docker.New(context.Background(), docker.Options{Instance: instance})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	for i := range 20 {
		runDemo(b, d, image, fmt.Sprintf("%s-app-%02d", instance, i))
	}
	ctx := context.Background()
	for _, par := range []int{8, 20} {
		b.Run(fmt.Sprintf("parallel=%d", par), func(b *testing.B) {
			s := stats.New(d, func() map[string]spec.Spec { return demoSpec(image) }, stats.Options{Parallelism: par})
			rt.Eventually(b, time.Minute, "20 live servers", func() (bool, string) {
				if err := s.Round(ctx); err != nil {
					return false, err.Error()
				}
				hs := s.Health(image)
				for _, h := range hs {
					if h.ServerAlive == nil || !*h.ServerAlive || h.CPUPercent == nil {
						return false, describe(hs)
					}
				}
				return len(hs) == 20, describe(hs)
			})
			for b.Loop() {
				if err := s.Round(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
