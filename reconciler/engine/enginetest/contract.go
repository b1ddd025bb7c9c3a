package enginetest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// Harness is an engine under contract test and the means to act on it.
type Harness struct {
	Engine       engine.Engine
	Image        string // present, runs a long-lived server
	MissingImage string // absent and unpullable
	Prefix       string // unique per test: container names start with it
	// AddUnmanaged runs a container of Image without our labels.
	AddUnmanaged func(t *testing.T, name string) string
	// AddForeignVolume and AddForeignNetwork make one by hand, without
	// our labels, removed when the test ends.
	AddForeignVolume  func(t *testing.T, name string)
	AddForeignNetwork func(t *testing.T, name string)
	// Run starts a managed container of cfg the engine's way and returns
	// its ID once it runs: nil is Create and Start; a swarm makes a service
	// of one replica and returns its task's container.
	Run func(t *testing.T, cfg engine.Config) string
}

// run starts a managed container of cfg by h.Run, else Create and Start.
func (h Harness) run(t *testing.T, cfg engine.Config) string {
	t.Helper()
	if h.Run != nil {
		return h.Run(t, cfg)
	}
	ctx := context.Background()
	id, err := h.Engine.Create(ctx, cfg)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := h.Engine.Start(ctx, id); err != nil {
		t.Fatalf("Start: %v", err)
	}
	return id
}

// Run checks the behaviour the reconciler relies on. The fake and
// the Docker adapter both run it, so the fake cannot drift from the engine.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Run("images", func(t *testing.T) { imagesContract(t, newHarness(t)) })

	t.Run("observed", func(t *testing.T) { observedContract(t, newHarness(t)) })
	t.Run("volumes and networks", func(t *testing.T) { resourcesContract(t, newHarness(t)) })
	t.Run("runtime config", func(t *testing.T) { runtimeContract(t, newHarness(t)) })
	t.Run("health probe error", func(t *testing.T) { probeContract(t, newHarness(t)) })

	t.Run("lifecycle", func(t *testing.T) {
		h := newHarness(t)
		ctx := context.Background()
		cfg := config(h, "life-1")
		id, err := h.Engine.Create(ctx, cfg)
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		c := mustFind(t, h, id)
		if c.State != "created" || c.Name != cfg.Name || c.Image != h.Image || c.SpecHash != "v1:test" || c.Slot != 1 || c.Held {
			t.Errorf("after create: %+v", c)
		}
		if err := h.Engine.Start(ctx, id); err != nil {
			t.Fatalf("Start: %v", err)
		}
		c = mustFind(t, h, id)
		if c.State != "running" || len(c.Ports["8080/tcp"]) == 0 || c.Ports["8080/tcp"][0].HostPort == "" {
			t.Errorf("after start: state %q ports %v, want running with a host port for 8080/tcp", c.State, c.Ports)
		}
		if err := h.Engine.Stop(ctx, id, time.Second); err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if c = mustFind(t, h, id); c.State != "exited" {
			t.Errorf("after stop: state %q, want exited", c.State)
		}
		if err := h.Engine.Start(ctx, id); err != nil {
			t.Fatalf("Start again: %v", err)
		}
		if c = mustFind(t, h, id); c.State != "running" {
			t.Errorf("after second start: state %q, want running (same id)", c.State)
		}
		if err := h.Engine.Remove(ctx, id); err != nil {
			t.Fatalf("Remove: %v", err)
		}
		if _, ok := find(t, h, id); ok {
			t.Errorf("removed container still listed")
		}
		for op, call := range map[string]func() error{
			"remove": func() error { return h.Engine.Remove(ctx, id) },
			"start":  func() error { return h.Engine.Start(ctx, id) },
			"held":   func() error { return h.Engine.SetHeld(ctx, id, true) },
		} {
			if err := call(); !errors.Is(err, engine.ErrNotFound) {
				t.Errorf("%s of a removed container = %v, want ErrNotFound", op, err)
			}
		}
	})

	t.Run("names are unique", func(t *testing.T) {
		h := newHarness(t)
		ctx := context.Background()
		if _, err := h.Engine.Create(ctx, config(h, "dup-1")); err != nil {
			t.Fatal(err)
		}
		_, err := h.Engine.Create(ctx, config(h, "dup-1"))
		if !errors.Is(err, engine.ErrNameInUse) {
			t.Errorf("second Create with the same name = %v, want ErrNameInUse", err)
		}
	})

	t.Run("create of a missing image", func(t *testing.T) {
		h := newHarness(t)
		cfg := config(h, "missing-1")
		cfg.Image = h.MissingImage
		if _, err := h.Engine.Create(context.Background(), cfg); !errors.Is(err, engine.ErrImageUnavailable) {
			t.Errorf("Create of a missing image = %v, want ErrImageUnavailable", err)
		}
	})

	t.Run("held", func(t *testing.T) {
		h := newHarness(t)
		ctx := context.Background()
		id, err := h.Engine.Create(ctx, config(h, "held-1"))
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Engine.SetHeld(ctx, id, true); err != nil {
			t.Fatal(err)
		}
		if c := mustFind(t, h, id); !c.Held {
			t.Errorf("after SetHeld(true): Held = false")
		}
		if err := h.Engine.SetHeld(ctx, id, false); err != nil {
			t.Fatal(err)
		}
		if c := mustFind(t, h, id); c.Held {
			t.Errorf("after SetHeld(false): Held = true")
		}
	})

	runCoinciding(t, newHarness)
	t.Run("logs", func(t *testing.T) { logsContract(t, newHarness(t)) })
}

// RunCoinciding runs the parts of Run whose semantics an engine of
// services (swarm) shares with a container engine, with Harness.Run making
// its containers: the images; unmanaged containers unseen; a container's
// start and destroy events; its stats, and ErrNotFound once it is
// removed. The rest of Run creates, starts and stops containers one by
// one, which a swarm's tasks cannot be (README "Running on a swarm" lists
// the differences); the services have RunServices.
func RunCoinciding(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Run("images", func(t *testing.T) { imagesContract(t, newHarness(t)) })
	runCoinciding(t, newHarness)
}

func runCoinciding(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Run("unmanaged containers are invisible", func(t *testing.T) {
		h := newHarness(t)
		id := h.AddUnmanaged(t, h.Prefix+"-unmanaged")
		if c, ok := find(t, h, id); ok {
			t.Errorf("unmanaged container listed: %+v", c)
		}
	})
	t.Run("events", func(t *testing.T) { eventsContract(t, newHarness(t)) })
	t.Run("stats", func(t *testing.T) { statsContract(t, newHarness(t)) })
}

// eventsContract: a container's start and its removal's destroy come as
// events, with its image.
func eventsContract(t *testing.T, h Harness) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	evs := h.Engine.Events(ctx)
	id := h.run(t, config(h, "ev-1"))
	waitEvent(t, evs, id, "start", h.Image)
	if err := h.Engine.Remove(ctx, id); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, evs, id, "destroy", h.Image)
	cancel()
	for range evs { // the stream ends with its context
	}
}

// statsContract: a running container has stats within its limit; a
// removed one is ErrNotFound.
func statsContract(t *testing.T, h Harness) {
	ctx := context.Background()
	cfg := config(h, "stats-1")
	id := h.run(t, cfg)
	st, err := h.Engine.Stats(ctx, id)
	if err != nil {
		t.Fatalf("Stats of a running container: %v", err)
	}
	if st.MemLimit != uint64(cfg.MemoryBytes) || st.Read.IsZero() {
		t.Errorf("Stats = %+v, want MemLimit %d (the container's limit) and a Read time", st, cfg.MemoryBytes)
	}
	if root, err := h.Engine.DataRoot(ctx); root == "" || err != nil {
		t.Errorf("DataRoot = %q, %v, want a path", root, err)
	}
	if err := h.Engine.Remove(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Engine.Stats(ctx, id); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("Stats of a removed container = %v, want ErrNotFound", err)
	}
}

func imagesContract(t *testing.T, h Harness) {
	ctx := context.Background()
	if ok, err := h.Engine.HasImage(ctx, h.Image); !ok || err != nil {
		t.Errorf("HasImage(%s) = %v, %v, want true", h.Image, ok, err)
	}
	if ok, err := h.Engine.HasImage(ctx, h.MissingImage); ok || err != nil {
		t.Errorf("HasImage(%s) = %v, %v, want false", h.MissingImage, ok, err)
	}
	err := h.Engine.Pull(ctx, h.MissingImage)
	if !errors.Is(err, engine.ErrImageUnavailable) ||
		!strings.Contains(err.Error(), "image "+h.MissingImage+" not found locally and pull failed: ") {
		t.Errorf("Pull(%s) = %v, want ErrImageUnavailable saying it is not found locally and the pull failed", h.MissingImage, err)
	}
}

// logsContract: Logs gives what a container wrote, a tail of it, and,
// following, ends when the container stops.
func logsContract(t *testing.T, h Harness) {
	ctx := context.Background()
	id, err := h.Engine.Create(ctx, config(h, "logs-1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Engine.Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	read := func(opts engine.LogOptions) string {
		t.Helper()
		rc, err := h.Engine.Logs(ctx, id, opts)
		if err != nil {
			t.Fatalf("Logs(%+v): %v", opts, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("Logs(%+v): read: %v", opts, err)
		}
		return string(b)
	}
	// The program writes its first line a moment after the start.
	Eventually(t, 10*time.Second, "the start line in the log", func() (bool, string) {
		got := read(engine.LogOptions{Tail: -1})
		return strings.Contains(got, "msg=listening"), got
	})
	if got := read(engine.LogOptions{Tail: 0}); got != "" {
		t.Errorf("Logs(Tail: 0) = %q, want nothing", got)
	}
	if got := read(engine.LogOptions{Tail: 1}); strings.Count(got, "\n") != 1 {
		t.Errorf("Logs(Tail: 1) = %q, want one line", got)
	}

	// Following: the stream gives the start line, stays open while the
	// container runs, and ends when it stops.
	fctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rc, err := h.Engine.Logs(fctx, id, engine.LogOptions{Follow: true, Tail: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	first := make([]byte, len("level=INFO"))
	if _, err := io.ReadFull(rc, first); err != nil {
		t.Fatalf("following: read the first line: %v", err)
	}
	if err := h.Engine.Stop(ctx, id, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(rc); err != nil || fctx.Err() != nil {
		t.Errorf("following a container that stopped: %v (context: %v), want the stream to end", err, fctx.Err())
	}
	if err := h.Engine.Remove(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Engine.Logs(ctx, id, engine.LogOptions{Tail: -1}); !errors.Is(err, engine.ErrNotFound) {
		t.Errorf("Logs of a removed container = %v, want ErrNotFound", err)
	}
}

// probeContract: a container whose health probe fails is unhealthy and
// says what the probe said, as HealthError (ProbeError: exit code and
// output on one line); the reconciler shows it when a rollout pauses.
func probeContract(t *testing.T, h Harness) {
	ctx := context.Background()
	cfg := config(h, "probe-1")
	url := "http://127.0.0.1:8080/nope" // the demo answers 404
	cfg.Healthcheck = &engine.Healthcheck{Test: []string{"CMD", "/demo", "-check", url},
		Interval: 200 * time.Millisecond, Timeout: 2 * time.Second, Retries: 1}
	id, err := h.Engine.Create(ctx, cfg)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := h.Engine.Start(ctx, id); err != nil {
		t.Fatalf("Start: %v", err)
	}
	want := "exit 1: demo -check: unhealthy: GET " + url + " answered 404 Not Found"
	Eventually(t, 30*time.Second, "the failing probe makes the container unhealthy, with its output", func() (bool, string) {
		c := mustFind(t, h, id)
		return c.Health == "unhealthy" && c.HealthError == want, fmt.Sprintf("health %q, error %q", c.Health, c.HealthError)
	})
}

// observedContract: engine.Observed over the engine never answers
// from a list that an engine event has made stale.
func observedContract(t *testing.T, h Harness) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := engine.NewObserved(h.Engine)
	evs := o.Events(ctx)
	id, err := o.Create(ctx, config(h, "obs-1"))
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := o.Start(ctx, id); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if got := cachedState(t, o, id); got != "running" {
		t.Errorf("Current right after its own start: %q, want running", got)
	}
	// A stop behind its back (not through the Observed) reaches it by
	// its event: once that has arrived, the answer is current.
	if err := h.Engine.Stop(ctx, id, time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	waitEvent(t, evs, id, "die", h.Image)
	if got := cachedState(t, o, id); got != "exited" {
		t.Errorf("Current after the die event: %q, want exited", got)
	}
}

// cachedState is id's state in o.Current, "" if it is not there.
func cachedState(t *testing.T, o *engine.Observed, id string) string {
	t.Helper()
	cs, err := o.Current(context.Background())
	if err != nil {
		t.Fatalf("Current: %v", err)
	}
	for _, c := range cs {
		if c.ID == id {
			return c.State
		}
	}
	return ""
}

func config(h Harness, name string) engine.Config {
	return engine.Config{
		Name:        h.Prefix + "-" + name,
		Image:       h.Image,
		Env:         map[string]string{"PORT": "8080", "GREETING": "contract"},
		Ports:       map[string]int{"8080/tcp": 0},
		NanoCPUs:    100_000_000,
		MemoryBytes: 32 << 20,
		Labels: map[string]string{
			engine.LabelImage: h.Image, engine.LabelSpecHash: "v1:test",
			engine.LabelManagedBy: engine.ManagedBy, engine.LabelSlot: "1",
		},
	}
}

func find(t *testing.T, h Harness, id string) (engine.Container, bool) {
	t.Helper()
	cs, err := h.Engine.List(context.Background())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	for _, c := range cs {
		if c.ID == id {
			return c, true
		}
	}
	return engine.Container{}, false
}

func mustFind(t *testing.T, h Harness, id string) engine.Container {
	t.Helper()
	c, ok := find(t, h, id)
	if !ok {
		t.Fatalf("container %s not listed", id)
	}
	return c
}

func waitEvent(t *testing.T, evs <-chan engine.Event, id, action, image string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-evs:
			if !ok {
				t.Fatalf("event stream closed before %s of %s", action, id)
			}
			if ev.ContainerID == id && ev.Action == action {
				if ev.Image != image {
					t.Errorf("%s event image = %q, want %q", action, ev.Image, image)
				}
				return
			}
		case <-deadline:
			t.Fatalf("no %s event for %s within 10s", action, id)
		}
	}
}
