// Package enginetest holds the in-memory fake Engine for unit tests and
// the contract suite that both the fake and the Docker adapter must pass.
package enginetest

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// Fake is an in-memory Engine. It keeps Docker's rules that the reconciler
// relies on: unique names, only present images, start of a created or
// exited container, events for every change. Its methods ending in ByHand
// act like a person with the docker CLI.
type Fake struct {
	mu         sync.Mutex
	images     map[string]bool
	containers map[string]*fakeContainer
	subs       map[chan engine.Event]bool
	next       int
	now        func() time.Time
	calls      map[string]int
	failNext   map[string]error // op -> error for the next call
	stats      *fakeStats       // fake_stats.go
	logs       fakeLogs         // fake_logs.go
	resources  *fakeResources   // fake_resources.go
	probe      Probe            // nil: every health probe passes
	stops      stopGate         // fake_gate.go

	slow     sync.Mutex // guards delay and the in-flight gauge, apart from mu
	delay    time.Duration
	listWait time.Duration
	inflight int
	peak     int
}

// SetDelay makes every create, start, stop and remove take d, outside the
// fake's lock, as a slow engine would: for tests of parallelism.
func (f *Fake) SetDelay(d time.Duration) {
	f.slow.Lock()
	defer f.slow.Unlock()
	f.delay = d
}

// SetListDelay makes every list take d, outside the fake's lock: for tests
// of readers that share a list.
func (f *Fake) SetListDelay(d time.Duration) {
	f.slow.Lock()
	defer f.slow.Unlock()
	f.listWait = d
}

// PeakInFlight is the most create/start/stop/remove calls seen at once.
func (f *Fake) PeakInFlight() int {
	f.slow.Lock()
	defer f.slow.Unlock()
	return f.peak
}

// busy holds one slow call's place in the gauge for its delay.
func (f *Fake) busy() {
	f.slow.Lock()
	f.inflight++
	f.peak = max(f.peak, f.inflight)
	d := f.delay
	f.slow.Unlock()
	if d > 0 {
		time.Sleep(d) // the engine's own latency, not a test's synchronisation
	}
	f.slow.Lock()
	f.inflight--
	f.slow.Unlock()
}

type fakeContainer struct {
	engine.Container
	cfg  engine.Config
	logs []string // lines written, oldest first
	runs int      // starts so far: a follow of the logs ends with its run
}

// NewFake returns an engine that has the given images.
func NewFake(images ...string) *Fake {
	f := &Fake{images: map[string]bool{}, containers: map[string]*fakeContainer{}, subs: map[chan engine.Event]bool{},
		now: time.Now, calls: map[string]int{}, failNext: map[string]error{}}
	for _, im := range images {
		f.images[im] = true
	}
	return f
}

// SetClock replaces time.Now for creation times.
func (f *Fake) SetClock(now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = now
}

// AddImage makes an image present.
func (f *Fake) AddImage(image string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.images[image] = true
}

// FailNext makes the next call of op ("create", "start", ...) fail with err.
func (f *Fake) FailNext(op string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failNext[op] = err
}

// Calls counts the engine calls made, by op.
func (f *Fake) Calls(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func (f *Fake) call(op string) error {
	f.calls[op]++
	if err, ok := f.failNext[op]; ok {
		delete(f.failNext, op)
		return err
	}
	return nil
}

// List implements engine.Engine.
func (f *Fake) List(ctx context.Context) ([]engine.Container, error) {
	f.slow.Lock()
	d := f.listWait
	f.slow.Unlock()
	if d > 0 { // the engine's own latency, not a test's synchronisation
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("list"); err != nil {
		return nil, err
	}
	var out []engine.Container
	for _, c := range f.containers {
		if c.Labels[engine.LabelManagedBy] != engine.ManagedBy {
			continue
		}
		cc := c.Container
		cc.Ports = map[string][]engine.PortBinding{}
		for k, v := range c.Ports {
			cc.Ports[k] = append([]engine.PortBinding(nil), v...)
		}
		out = append(out, cc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// HasImage implements engine.Engine.
func (f *Fake) HasImage(ctx context.Context, image string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("has-image"); err != nil {
		return false, err
	}
	return f.images[image], nil
}

// Pull implements engine.Engine; there is no registry to pull from.
func (f *Fake) Pull(ctx context.Context, image string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("pull"); err != nil {
		return err
	}
	if !f.images[image] {
		return engine.KindErrorf(engine.ErrImageUnavailable, "image %s not found locally and pull failed: no registry", image)
	}
	return nil
}

// Create implements engine.Engine.
func (f *Fake) Create(ctx context.Context, cfg engine.Config) (string, error) {
	f.busy()
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("create"); err != nil {
		return "", err
	}
	if !f.images[cfg.Image] {
		return "", engine.KindErrorf(engine.ErrImageUnavailable, "create %s: no such image %s", cfg.Name, cfg.Image)
	}
	for _, c := range f.containers {
		if c.Name == cfg.Name {
			return "", engine.KindErrorf(engine.ErrNameInUse, "create %s: name in use", cfg.Name)
		}
	}
	if n := f.missingNetwork(cfg); n != "" {
		return "", fmt.Errorf("create %s: network %s not found", cfg.Name, n)
	}
	f.next++
	id := fmt.Sprintf("fake%060d", f.next)
	labels := map[string]string{}
	for k, v := range cfg.Labels {
		labels[k] = v
	}
	slot, _ := strconv.Atoi(labels[engine.LabelSlot])
	c := &fakeContainer{cfg: cfg, Container: engine.Container{
		ID: id, Name: cfg.Name, Image: labels[engine.LabelImage], SpecHash: labels[engine.LabelSpecHash],
		Slot: slot, State: "created", Created: f.now(), Labels: labels, Ports: map[string][]engine.PortBinding{},
	}}
	for p := range cfg.Ports {
		c.Ports[p] = nil
	}
	f.containers[id] = c
	f.emit(c, "create")
	return id, nil
}

func (f *Fake) get(op, id string) (*fakeContainer, error) {
	if err := f.call(op); err != nil {
		return nil, err
	}
	for _, c := range f.containers {
		if c.ID == id || c.Name == id {
			return c, nil
		}
	}
	return nil, engine.KindErrorf(engine.ErrNotFound, "%s %s: no such container", op, id)
}

// Start implements engine.Engine.
func (f *Fake) Start(ctx context.Context, id string) error {
	f.busy()
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get("start", id)
	if err != nil {
		return err
	}
	if c.State == "running" {
		return nil
	}
	c.State, c.Started = "running", f.now()
	c.runs++
	f.checkHealth(c)
	f.logLine(c, StartLog)
	for p, host := range c.cfg.Ports {
		hp := host
		if hp == 0 {
			hp = 32768 + f.next*10 + len(c.Ports)
		}
		c.Ports[p] = []engine.PortBinding{{HostIP: "0.0.0.0", HostPort: strconv.Itoa(hp)}}
	}
	f.emit(c, "start")
	return nil
}

// Stop implements engine.Engine.
func (f *Fake) Stop(ctx context.Context, id string, timeout time.Duration) error {
	if err := f.atStopGate(ctx); err != nil {
		return err
	}
	f.busy()
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get("stop", id)
	if err != nil {
		return err
	}
	f.stop(c)
	return nil
}

func (f *Fake) stop(c *fakeContainer) {
	if c.State != "running" && c.State != "restarting" {
		return
	}
	c.State = "exited"
	for p := range c.Ports {
		c.Ports[p] = nil
	}
	f.logs.bump()
	f.emit(c, "die")
	f.emit(c, "stop")
}

// Remove implements engine.Engine.
func (f *Fake) Remove(ctx context.Context, id string) error {
	f.busy()
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get("remove", id)
	if err != nil {
		return err
	}
	f.stop(c)
	delete(f.containers, c.ID)
	f.logs.bump()
	f.emit(c, "destroy")
	return nil
}

// SetHeld implements engine.Engine.
func (f *Fake) SetHeld(ctx context.Context, id string, held bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get("update", id)
	if err != nil {
		return err
	}
	c.Held = held
	f.emit(c, "update")
	return nil
}

// Events implements engine.Engine.
func (f *Fake) Events(ctx context.Context) <-chan engine.Event {
	ch := make(chan engine.Event, 1024)
	f.mu.Lock()
	f.subs[ch] = true
	f.mu.Unlock()
	out := make(chan engine.Event)
	go func() {
		defer close(out)
		defer func() {
			f.mu.Lock()
			delete(f.subs, ch)
			f.mu.Unlock()
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-ch:
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

// emit fans an event out without blocking; a subscriber that falls 1024
// events behind loses events, as a slow Docker client would.
func (f *Fake) emit(c *fakeContainer, action string) {
	ev := engine.Event{ContainerID: c.ID, Image: c.Image, Action: action, Time: f.now()}
	for ch := range f.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

// StopByHand is `docker stop`: the container exits and stays exited.
func (f *Fake) StopByHand(id string) error { return f.Stop(context.Background(), id, 0) }

// RemoveByHand is `docker rm -f`.
func (f *Fake) RemoveByHand(id string) error { return f.Remove(context.Background(), id) }

// SetHealth sets a container's HEALTHCHECK state ("", starting, healthy,
// unhealthy); healthy clears its HealthError.
func (f *Fake) SetHealth(id, health string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.containers[id]; ok {
		c.Health = health
		if health == "healthy" || health == "" {
			c.HealthError = ""
		}
		f.emit(c, "health_status: "+health)
	}
}

// checkHealth runs the health probe of a container that just started: the
// first check passes at once, unless SetProbe says it fails for good.
func (f *Fake) checkHealth(c *fakeContainer) {
	h := c.cfg.Healthcheck
	if h == nil || len(h.Test) == 0 || h.Test[0] == "NONE" {
		return
	}
	c.Health, c.HealthError = "healthy", ""
	if f.probe != nil {
		if code, out := f.probe(c.cfg); code != 0 {
			c.Health, c.HealthError = "unhealthy", engine.ProbeError(code, out)
		}
	}
}

// Probe is a health probe's result for a container of cfg: its exit code
// (0 passes) and output, as the engine would run cfg.Healthcheck.
type Probe func(cfg engine.Config) (exitCode int, output string)

// SetProbe decides, at each start of a container with a healthcheck,
// whether its probe passes (healthy) or fails (unhealthy, with the
// probe's HealthError) from then on: a new version that never gets ready.
func (f *Fake) SetProbe(p Probe) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.probe = p
}

// FailProbe makes a container's probe fail from now on, as a running
// container's would: unhealthy, with the probe's exit code and output.
func (f *Fake) FailProbe(id string, exitCode int, output string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.containers[id]; ok {
		c.Health, c.HealthError = "unhealthy", engine.ProbeError(exitCode, output)
		f.emit(c, "health_status: unhealthy")
	}
}

// CrashAndRestart is a crash that the restart policy answers: the
// container dies and the engine starts it again, with one restart more and
// a new start time; its health check starts over.
func (f *Fake) CrashAndRestart(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.containers[id]
	if !ok || c.State != "running" {
		return
	}
	f.emit(c, "die")
	c.RestartCount++
	c.Started = f.now()
	f.checkHealth(c)
	f.emit(c, "start")
}

// SetState forces a container's state, e.g. "restarting" for a crash loop.
func (f *Fake) SetState(id, state string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.containers[id]; ok {
		c.State = state
		f.emit(c, "die")
	}
}

// PlaceOnNodeByHand makes a container a swarm task in slot of node; with
// remote, on another node than serve's, as Swarm's scheduler would place it.
func (f *Fake) PlaceOnNodeByHand(id, node string, slot int, remote bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.containers[id]; ok {
		c.Node, c.Slot, c.Remote = node, slot, remote
	}
}

// AddUnmanaged adds a container without our labels, as `docker run` would.
func (f *Fake) AddUnmanaged(name, image string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next++
	id := fmt.Sprintf("fake%060d", f.next)
	f.containers[id] = &fakeContainer{Container: engine.Container{ID: id, Name: name, State: "running", Created: f.now(), Labels: map[string]string{"app": image}}}
	return id
}

// State returns a container's state by id or name, or "" when it is gone.
func (f *Fake) State(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.containers {
		if c.ID == id || c.Name == id {
			return c.State
		}
	}
	return ""
}
