package stats

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/spec"
)

// Source is what the sampler needs of an engine: a narrow slice of
// engine.Engine (the Docker adapter and the fake implement it).
type Source interface {
	// List returns the managed containers (label filter), any state.
	List(ctx context.Context) ([]engine.Container, error)
	// Stats takes one one-shot sample of a container (Docker:
	// ContainerStatsOneShot, API >= 1.41, stream=false&one-shot=true).
	Stats(ctx context.Context, id string) (engine.Stats, error)
	// DataRoot is the engine's data root (docker info DockerRootDir), where
	// the writable layers live.
	DataRoot(ctx context.Context) (string, error)
}

// Options configure a Sampler.
type Options struct {
	Interval     time.Duration // between rounds; default 2s
	Parallelism  int           // stats calls and probes at once; default 8
	ProbeTimeout time.Duration // one liveness probe; default 500ms
	// Lease, when positive, samples only what someone looks at: the
	// containers of autoscaled specs always, and those of an image for
	// Lease after its last Read. Zero samples every managed running
	// container all the time. With 400 containers that is 200 stats calls
	// a second for nobody; a lease makes an idle orchestrator idle.
	Lease    time.Duration
	HostCPUs int // last fallback for online CPUs; default runtime.NumCPU()
	Now      func() time.Time
	Logger   *slog.Logger
}

// Health is what the sampler knows of one container: the body of an
// element of GET /images/{image}/health. A value it cannot measure is nil. Pointer and map fields are
// shared between callers: read them, never modify them.
type Health struct {
	ContainerID string
	Name        string
	Status      string
	Ports       map[string][]engine.PortBinding
	ServerAlive *bool
	CPUPercent  *float64
	MemPercent  *float64
	FSFreeBytes *uint64
	// Node and Slot place a swarm task; Unmeasured says why its values
	// are nil when it runs on another node (engine.Container.Remote).
	Node       string
	Slot       int
	Unmeasured string
}

// Usage is what the autoscaler reads of one container of a spec.
type Usage struct {
	ContainerID string
	Name        string
	State       string
	Ready       bool // Container.Ready: running and not failing its HEALTHCHECK
	// CPU is the utilisation as a fraction of the container's CPU limit (of
	// one core without a limit): 1.0 is the limit fully used. nil when the
	// metric is missing: not running, fewer than two samples, or a failed
	// sample.
	CPU        *float64
	CPUPercent *float64  // the docker CLI's cpu_percent (100 = one core)
	LimitCPUs  float64   // the spec's CPU limit in cores; 0 = none
	Sampled    time.Time // the sampler's clock at the latest good sample; zero if none
	Created    time.Time
	// Started is when the current run began as far as the sampler can
	// tell: Created for a container first seen running, else the round
	// that saw it (re)start.
	Started time.Time
}

// Sampler samples the stats of managed running containers in the
// background, probes their servers, and serves the results from a cache
// (docs/design.md §8): every container, or with a Lease only those someone looks
// at. A request never makes an engine call itself; the first read of an
// image outside the lease waits for the round it asks for.
type Sampler struct {
	src   Source
	specs func() map[string]spec.Spec
	opts  Options
	log   *slog.Logger
	wake  chan struct{}

	roundMu     sync.Mutex              // rounds never overlap
	entries     map[string]*sampleEntry // by container id; touched only by a round
	lastRootErr string

	mu        sync.RWMutex
	health    map[string][]Health  // by image
	usage     map[string][]Usage   // by image
	reads     map[string]time.Time // by image: the last Read (with a Lease)
	sampled   map[string]bool      // images the last round covered (with a Lease)
	started   uint64               // rounds begun
	finished  uint64               // seq of the last round finished
	roundDone chan struct{}        // closed and replaced at the end of every round
}

// sampleEntry is what the sampler remembers of one container between rounds.
type sampleEntry struct {
	prev     *engine.Stats // the latest sample of the current run
	running  bool          // running in the previous round
	restarts int           // Container.RestartCount in the previous round
	started  time.Time     // see Usage.Started
	sampled  time.Time     // the sampler's clock at prev
	alive    *bool         // the latest probe result
	probed   time.Time     // when alive was taken
	lastErr  string        // the last sampling error logged, to log each once
}

// New returns a sampler of src. specs returns the specs in force by
// image (for probe targets and CPU limits); it may be nil.
func New(src Source, specs func() map[string]spec.Spec, opts Options) *Sampler {
	if opts.Interval <= 0 {
		opts.Interval = 2 * time.Second
	}
	if opts.Parallelism <= 0 {
		opts.Parallelism = 8
	}
	if opts.ProbeTimeout <= 0 {
		opts.ProbeTimeout = 500 * time.Millisecond
	}
	if opts.HostCPUs <= 0 {
		opts.HostCPUs = runtime.NumCPU()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sampler{
		src: src, specs: specs, opts: opts, log: log, wake: make(chan struct{}, 1),
		entries: map[string]*sampleEntry{}, health: map[string][]Health{}, usage: map[string][]Usage{},
		reads: map[string]time.Time{}, sampled: map[string]bool{}, roundDone: make(chan struct{}),
	}
}

// Run samples every Interval (and on Trigger) until ctx is done, then
// returns nil. Every goroutine it starts ends with its round.
func (s *Sampler) Run(ctx context.Context) error {
	tick := time.NewTicker(s.opts.Interval)
	defer tick.Stop()
	for {
		_ = s.round(ctx) // logged inside; one bad round never stops sampling
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-s.wake:
		}
	}
}

// Round runs one round now. Only Run calls it in production; tests call it
// directly for a deterministic step. It fails only when the containers
// cannot be listed (the cache is then kept) or ctx ends.
func (s *Sampler) Round(ctx context.Context) error { return s.round(ctx) }

// Trigger asks Run for a round now. It never blocks; wake-ups coalesce.
func (s *Sampler) Trigger() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// WaitRound triggers a round and waits until one that began after the
// call has finished, so that its results reflect the engine as of the call.
// It needs Run (or another caller of Round) to make that round.
func (s *Sampler) WaitRound(ctx context.Context) error {
	s.mu.RLock()
	want, ch := s.started+1, s.roundDone
	s.mu.RUnlock()
	s.Trigger()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
		s.mu.RLock()
		done := s.finished >= want
		ch = s.roundDone
		s.mu.RUnlock()
		if done {
			return nil
		}
	}
}

// Health returns the cached health of image's containers, sorted by name.
// It never calls the engine.
func (s *Sampler) Health(image string) []Health {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]Health{}, s.health[image]...)
}

// Usage returns the cached CPU usage of image's containers, sorted by name.
// It never calls the engine.
func (s *Sampler) Usage(image string) []Usage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]Usage{}, s.usage[image]...)
}

// round lists the containers once, samples and probes the running ones in
// parallel, and publishes the results.
func (s *Sampler) round(ctx context.Context) error {
	s.roundMu.Lock()
	defer s.roundMu.Unlock()
	s.mu.Lock()
	s.started++
	seq := s.started
	s.mu.Unlock()
	err := s.sample(ctx)
	s.mu.Lock()
	s.finished = seq
	close(s.roundDone)
	s.roundDone = make(chan struct{})
	s.mu.Unlock()
	return err
}

func (s *Sampler) sample(ctx context.Context) error {
	var specs map[string]spec.Spec
	if s.specs != nil {
		specs = s.specs()
	}
	now := s.opts.Now()
	want := s.wanted(specs, now)
	if want != nil && len(want) == 0 { // nobody is looking: no engine call
		s.entries = map[string]*sampleEntry{}
		s.publish(map[string][]Health{}, map[string][]Usage{}, want)
		return nil
	}
	cs, err := s.src.List(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("stats sampler: list containers failed, keeping the last results", "err", err)
		}
		return fmt.Errorf("list containers: %w", err)
	}
	if want != nil {
		cs = slices.DeleteFunc(cs, func(c engine.Container) bool { return !want[c.Image] })
	}
	free := s.fsFree(ctx)
	results := s.collect(ctx, cs, specs, now)
	if err := ctx.Err(); err != nil {
		return err // calls were cut short: publish nothing half-made
	}
	health, usage := map[string][]Health{}, map[string][]Usage{}
	seen := map[string]bool{}
	for i, c := range cs {
		seen[c.ID] = true
		h, u := s.observe(c, results[i], specs, free, now)
		health[c.Image] = append(health[c.Image], h)
		usage[c.Image] = append(usage[c.Image], u)
	}
	for id := range s.entries {
		if !seen[id] {
			delete(s.entries, id) // vanished
		}
	}
	for image := range health {
		slices.SortFunc(health[image], func(a, b Health) int { return strings.Compare(a.Name, b.Name) })
		slices.SortFunc(usage[image], func(a, b Usage) int { return strings.Compare(a.Name, b.Name) })
	}
	s.publish(health, usage, want)
	return nil
}

// publish makes a round's results the cache.
func (s *Sampler) publish(health map[string][]Health, usage map[string][]Usage, sampled map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.health, s.usage = health, usage
	if sampled != nil {
		s.sampled = sampled
	}
}

// observe folds one round's result into c's entry and returns its health
// and usage.
func (s *Sampler) observe(c engine.Container, r sampleResult, specs map[string]spec.Spec, free *uint64, now time.Time) (Health, Usage) {
	running := c.State == "running"
	e := s.entries[c.ID]
	if e == nil {
		e = &sampleEntry{running: running, restarts: c.RestartCount, started: c.Created}
		s.entries[c.ID] = e
	}
	if running && (!e.running || c.RestartCount != e.restarts) { // a new run
		*e = sampleEntry{running: true, started: now, lastErr: e.lastErr}
	}
	e.running, e.restarts = running, c.RestartCount
	h := Health{ContainerID: c.ID, Name: c.Name, Status: c.State, Ports: map[string][]engine.PortBinding{}, Node: c.Node, Slot: c.Slot}
	for k, v := range c.Ports {
		h.Ports[k] = slices.Clone(v)
	}
	if c.Remote {
		h.Unmeasured = remoteTask(c.Node)
	}
	u := Usage{ContainerID: c.ID, Name: c.Name, State: c.State, Ready: c.Ready(), Created: c.Created, Started: e.started}
	if sp := specFor(specs, c.Image); sp != nil {
		u.LimitCPUs = float64(sp.NanoCPUs()) / 1e9
	}
	if !running || c.Remote { // nothing sampled
		e.prev, e.alive, e.probed = nil, nil, time.Time{}
		return h, u
	}
	if r.probed {
		e.alive, e.probed = r.alive, now
	}
	h.ServerAlive, h.FSFreeBytes = e.alive, free
	if r.err != nil {
		s.logSampleError(c, e, r.err)
		u.Sampled = e.sampled
		return h, u
	}
	e.lastErr = ""
	if e.prev != nil && r.stats.CPUTotal < e.prev.CPUTotal { // counters reset: restarted between rounds
		e.prev, e.started = nil, now
		u.Started = now
	}
	if e.prev != nil {
		h.CPUPercent = cpuPercent(*e.prev, r.stats, s.opts.HostCPUs)
	}
	if e.prev == nil || r.stats.SystemCPU > e.prev.SystemCPU {
		st := r.stats // else keep the older sample: the next delta spans more time
		e.prev = &st
	}
	e.sampled = now
	h.MemPercent = memPercent(r.stats)
	u.Sampled, u.CPUPercent = now, h.CPUPercent
	if h.CPUPercent != nil {
		limit := u.LimitCPUs
		if limit <= 0 {
			limit = 1
		}
		frac := *h.CPUPercent / 100 / limit
		u.CPU = &frac
	}
	return h, u
}

// remoteTask is why a task on another swarm node has no stats: serve
// samples through the engine it runs on, which reaches its own node's
// containers only.
func remoteTask(node string) string {
	return "the task runs on node " + node + "; stats are sampled on serve's own node only"
}

// logSampleError logs a container's sampling error once while it repeats;
// a container removed in the middle of a round is not worth a warning.
func (s *Sampler) logSampleError(c engine.Container, e *sampleEntry, err error) {
	level := slog.LevelWarn
	if errors.Is(err, engine.ErrNotFound) || err.Error() == e.lastErr {
		level = slog.LevelDebug
	}
	e.lastErr = err.Error()
	s.log.Log(context.Background(), level, "stats sampler: sample failed", "container", c.Name, "id", shortID(c.ID), "err", err)
}

// shortID is a container id as docker ps prints it.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
