package enginetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// ServicesHarness is an engine.Services under contract test.
type ServicesHarness struct {
	Services engine.Services
	Image    string // present on the engine
	Prefix   string // unique per test: service names start with it
	Instance string // the instance the engine stamps and lists
	// AddForeign makes a service by hand with labels (none: a stranger's),
	// removed when the test ends.
	AddForeign func(t *testing.T, name string, labels map[string]string)
}

// RunServices checks what the reconciler's service pass relies on; the
// fake and the swarm adapter both run it.
func RunServices(t *testing.T, newHarness func(t *testing.T) ServicesHarness) {
	t.Run("create list update remove", func(t *testing.T) {
		h := newHarness(t)
		ctx := context.Background()
		cfg := serviceConfig(h, "life", 2, "v1")
		id, err := h.Services.CreateService(ctx, cfg)
		if err != nil {
			t.Fatalf("CreateService: %v", err)
		}
		s := waitService(t, h, id, "a published port assigned", func(s engine.Service) bool { return len(s.Ports["8080/tcp"]) > 0 })
		want := engine.Service{ID: id, Name: cfg.Config.Name, Image: h.Image, SpecHash: "v1", Replicas: 2}
		got := engine.Service{ID: s.ID, Name: s.Name, Image: s.Image, SpecHash: s.SpecHash, Replicas: s.Replicas}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("listed service (-want +got):\n%s", diff)
		}
		for _, k := range []string{engine.LabelManagedBy, engine.LabelImage, engine.LabelSpecHash} {
			if s.Labels[k] != cfg.Config.Labels[k] {
				t.Errorf("label %s = %q, want %q", k, s.Labels[k], cfg.Config.Labels[k])
			}
		}
		if s.Labels[engine.LabelInstance] != h.Instance {
			t.Errorf("label %s = %q, want %q", engine.LabelInstance, s.Labels[engine.LabelInstance], h.Instance)
		}
		if _, err := h.Services.CreateService(ctx, cfg); !errors.Is(err, engine.ErrNameInUse) {
			t.Errorf("CreateService of a taken name = %v, want ErrNameInUse", err)
		}

		if err := h.Services.UpdateService(ctx, id, s.Version, serviceConfig(h, "life", 1, "v2")); err != nil {
			t.Fatalf("UpdateService at the listed version: %v", err)
		}
		s2 := waitService(t, h, id, "the update listed", func(s engine.Service) bool { return s.SpecHash == "v2" })
		if s2.Replicas != 1 || s2.Version <= s.Version {
			t.Errorf("after update: replicas %d version %d, want 1 and above %d", s2.Replicas, s2.Version, s.Version)
		}
		if s.Changed.IsZero() || s2.Changed.Before(s.Changed) {
			t.Errorf("Changed %v after the create, %v after the update: want set, and not earlier after the update", s.Changed, s2.Changed)
		}
		if err := h.Services.UpdateService(ctx, id, s.Version, serviceConfig(h, "life", 3, "v3")); !errors.Is(err, engine.ErrConflict) {
			t.Errorf("UpdateService at a stale version = %v, want ErrConflict", err)
		}

		if err := h.Services.RemoveService(ctx, id); err != nil {
			t.Fatalf("RemoveService: %v", err)
		}
		if _, ok := findService(t, h, id); ok {
			t.Errorf("service %s still listed after RemoveService", id)
		}
		if err := h.Services.RemoveService(ctx, id); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("RemoveService of a removed service = %v, want ErrNotFound", err)
		}
		if err := h.Services.UpdateService(ctx, id, s2.Version, cfg); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("UpdateService of a removed service = %v, want ErrNotFound", err)
		}
	})

	t.Run("foreign services are never listed", func(t *testing.T) {
		h := newHarness(t)
		h.AddForeign(t, h.Prefix+"-stranger", nil)
		h.AddForeign(t, h.Prefix+"-other", map[string]string{engine.LabelManagedBy: engine.ManagedBy, engine.LabelInstance: h.Instance + "-other"})
		list, err := h.Services.ListServices(context.Background())
		if err != nil {
			t.Fatalf("ListServices: %v", err)
		}
		for _, s := range list {
			if s.Name == h.Prefix+"-stranger" || s.Name == h.Prefix+"-other" {
				t.Errorf("listed foreign service %s (labels %v)", s.Name, s.Labels)
			}
		}
	})
}

func serviceConfig(h ServicesHarness, name string, replicas int, hash string) engine.ServiceConfig {
	return engine.ServiceConfig{Replicas: replicas, Config: engine.Config{
		Name:        h.Prefix + "-" + name,
		Image:       h.Image,
		Env:         map[string]string{"PORT": "8080"},
		Ports:       map[string]int{"8080/tcp": 0},
		NanoCPUs:    100_000_000,
		MemoryBytes: 32 << 20,
		StopTimeout: 2 * time.Second,
		Labels: map[string]string{
			engine.LabelImage: h.Image, engine.LabelSpecHash: hash, engine.LabelManagedBy: engine.ManagedBy,
		},
	}}
}

func findService(t *testing.T, h ServicesHarness, id string) (engine.Service, bool) {
	t.Helper()
	list, err := h.Services.ListServices(context.Background())
	if err != nil {
		t.Fatalf("ListServices: %v", err)
	}
	for _, s := range list {
		if s.ID == id {
			return s, true
		}
	}
	return engine.Service{}, false
}

func waitService(t *testing.T, h ServicesHarness, id, what string, cond func(engine.Service) bool) engine.Service {
	t.Helper()
	var s engine.Service
	Eventually(t, 20*time.Second, what, func() (bool, string) {
		var ok bool
		s, ok = findService(t, h, id)
		return ok && cond(s), "listed: " + boolWord(ok)
	})
	return s
}

func boolWord(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
