package enginetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// resourcesContract: volumes and networks are made with our labels, used
// by containers, refused while in use, and never touched when foreign.
func resourcesContract(t *testing.T, h Harness) {
	ctx := context.Background()
	vol, net := h.Prefix+"-data", h.Prefix+"-net"
	for try := 0; try < 2; try++ { // ensuring twice is ensuring once
		if err := h.Engine.EnsureVolume(ctx, vol, map[string]string{"team": "shop"}); err != nil {
			t.Fatalf("EnsureVolume: %v", err)
		}
		if err := h.Engine.EnsureNetwork(ctx, net, nil); err != nil {
			t.Fatalf("EnsureNetwork: %v", err)
		}
	}
	if v, ok := volume(t, h, vol); !ok || v.Labels[engine.LabelManagedBy] != engine.ManagedBy || v.Labels["team"] != "shop" {
		t.Errorf("Volumes: %s listed %v, labels %v; want listed with managed-by and team", vol, ok, v.Labels)
	}
	if n, ok := networkOf(t, h, net); !ok || n.Containers != 0 {
		t.Errorf("Networks: %s listed %v with %d containers, want listed with 0", net, ok, n.Containers)
	}

	cfg := config(h, "res-1")
	cfg.Mounts = []engine.Mount{{Type: engine.MountVolume, Source: vol, Target: "/data"}}
	cfg.Networks = []engine.NetworkAttachment{{Name: net, Aliases: []string{"db"}}}
	id, err := h.Engine.Create(ctx, cfg)
	if err != nil {
		t.Fatalf("Create on %s with %s: %v", net, vol, err)
	}
	if err := h.Engine.Start(ctx, id); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if n, _ := networkOf(t, h, net); n.Containers != 1 {
		t.Errorf("Networks: %s has %d containers, want 1", net, n.Containers)
	}
	if err := h.Engine.RemoveVolume(ctx, vol); !errors.Is(err, engine.ErrInUse) {
		t.Errorf("RemoveVolume of a mounted volume = %v, want ErrInUse", err)
	}
	if err := h.Engine.RemoveNetwork(ctx, net); !errors.Is(err, engine.ErrInUse) {
		t.Errorf("RemoveNetwork of a used network = %v, want ErrInUse", err)
	}
	if err := h.Engine.Remove(ctx, id); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if err := h.Engine.RemoveVolume(ctx, vol); err != nil {
		t.Errorf("RemoveVolume: %v", err)
	}
	if err := h.Engine.RemoveNetwork(ctx, net); err != nil {
		t.Errorf("RemoveNetwork: %v", err)
	}
	if _, ok := volume(t, h, vol); ok {
		t.Errorf("removed volume still listed")
	}
	if err := h.Engine.RemoveVolume(ctx, vol); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("RemoveVolume of a removed volume = %v, want ErrNotFound", err)
	}
	if err := h.Engine.RemoveNetwork(ctx, net); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("RemoveNetwork of a removed network = %v, want ErrNotFound", err)
	}

	// A network the container needs and that is gone fails its create or
	// (Docker) its start: neither as a missing image nor as a missing
	// container, which the reconciler would read as gone by hand.
	gone := config(h, "res-2")
	gone.Networks = []engine.NetworkAttachment{{Name: net}}
	id, err = h.Engine.Create(ctx, gone)
	if err == nil {
		err = h.Engine.Start(ctx, id)
	}
	if err == nil || errors.Is(err, engine.ErrNotFound) || errors.Is(err, engine.ErrImageUnavailable) || !strings.Contains(err.Error(), net) {
		t.Errorf("Create and Start on a missing network = %v, want an error naming %s, not ErrNotFound or ErrImageUnavailable", err, net)
	}

	fv, fn := h.Prefix+"-foreign-vol", h.Prefix+"-foreign-net"
	h.AddForeignVolume(t, fv)
	h.AddForeignNetwork(t, fn)
	if err := h.Engine.EnsureVolume(ctx, fv, nil); !errors.Is(err, engine.ErrForeign) {
		t.Errorf("EnsureVolume of a foreign volume = %v, want ErrForeign", err)
	}
	if err := h.Engine.EnsureNetwork(ctx, fn, nil); !errors.Is(err, engine.ErrForeign) {
		t.Errorf("EnsureNetwork of a foreign network = %v, want ErrForeign", err)
	}
	if err := h.Engine.RemoveVolume(ctx, fv); !errors.Is(err, engine.ErrForeign) {
		t.Errorf("RemoveVolume of a foreign volume = %v, want ErrForeign", err)
	}
	if err := h.Engine.RemoveNetwork(ctx, fn); !errors.Is(err, engine.ErrForeign) {
		t.Errorf("RemoveNetwork of a foreign network = %v, want ErrForeign", err)
	}
	if _, ok := volume(t, h, fv); ok {
		t.Errorf("a foreign volume is listed as ours")
	}
}

// runtimeContract: the compose-like fields of a config reach the engine; a
// healthcheck's status is the container's health.
func runtimeContract(t *testing.T, h Harness) {
	ctx := context.Background()
	cfg := config(h, "rt-1")
	cfg.Cmd = []string{"-name", "rt"}
	cfg.Hostname = "rt-1"
	cfg.Restart = engine.RestartPolicy{Name: "on-failure", MaxRetries: 2}
	cfg.Labels[engine.LabelRestart] = "on-failure:2"
	cfg.Healthcheck = &engine.Healthcheck{Test: []string{"CMD", "/demo", "-check", "http://127.0.0.1:8080/healthz"},
		Interval: 200 * time.Millisecond, Timeout: 2 * time.Second, Retries: 3}
	cfg.Mounts = []engine.Mount{{Type: engine.MountTmpfs, Target: "/scratch", Options: "size=1m"}}
	cfg.StopTimeout, cfg.StopSignal = 3*time.Second, "SIGINT"
	id, err := h.Engine.Create(ctx, cfg)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := h.Engine.Start(ctx, id); err != nil {
		t.Fatalf("Start: %v", err)
	}
	Eventually(t, 30*time.Second, "the healthcheck makes the container healthy", func() (bool, string) {
		c := mustFind(t, h, id)
		return c.Health == "healthy", "state " + c.State + ", health " + c.Health
	})
	if c := mustFind(t, h, id); c.HealthError != "" {
		t.Errorf("healthy container: HealthError %q, want none", c.HealthError)
	}
	// A hold and its release keep the spec's own policy apart from "no".
	if err := h.Engine.SetHeld(ctx, id, true); err != nil {
		t.Fatalf("SetHeld(true): %v", err)
	}
	if c := mustFind(t, h, id); !c.Held {
		t.Errorf("held container not Held")
	}
	if err := h.Engine.SetHeld(ctx, id, false); err != nil {
		t.Fatalf("SetHeld(false): %v", err)
	}
	if c := mustFind(t, h, id); c.Held {
		t.Errorf("released container still Held")
	}
}

func volume(t *testing.T, h Harness, name string) (engine.Volume, bool) {
	t.Helper()
	vs, err := h.Engine.Volumes(context.Background())
	if err != nil {
		t.Fatalf("Volumes: %v", err)
	}
	i := slices.IndexFunc(vs, func(v engine.Volume) bool { return v.Name == name })
	if i < 0 {
		return engine.Volume{}, false
	}
	return vs[i], true
}

func networkOf(t *testing.T, h Harness, name string) (engine.Network, bool) {
	t.Helper()
	ns, err := h.Engine.Networks(context.Background())
	if err != nil {
		t.Fatalf("Networks: %v", err)
	}
	i := slices.IndexFunc(ns, func(n engine.Network) bool { return n.Name == name })
	if i < 0 {
		return engine.Network{}, false
	}
	return ns[i], true
}
