package reconciler

import (
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/orchestrator/orchestrator/reconciler/autoscale"
	"github.com/orchestrator/orchestrator/reconciler/discovery"
	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/spec"
)

// Options configure a Reconciler.
type Options struct {
	Instance string // stamped as engine.LabelInstance on new containers
	// NamePrefix, when set, begins the name of every new container
	// (serve's explicit --instance): "team-a-orchestrator-demo-web-1".
	NamePrefix   string
	Parallelism  int           // actions at once; default 8
	Resync       time.Duration // periodic pass, jittered ±10%; default 30s
	ReadyTimeout time.Duration // a new container must be ready within this; default 60s
	// MinReady is how long a new container must run, without a restart,
	// before a rollout removes an old one for it (Swarm's update monitor);
	// default 5s. A crashing new version so never replaces a working one.
	MinReady time.Duration
	// AllowEmpty lets an empty state directory remove every container.
	// Without it an empty or missing root is an error, never a prune.
	AllowEmpty bool
	Now        func() time.Time // default time.Now
	Logger     *slog.Logger
	// Host is the "host" of discovery webhooks: where the published ports
	// are reachable. Default: this machine's hostname.
	Host string
	// Observer, if set, hears of every pass (metrics).
	Observer Observer
	// EngineObserver, if set, hears of every engine event the loop
	// receives (the event stream of GET /events).
	EngineObserver EngineObserver
	// Autoscaler, if set, recommends the running target of the autoscaled
	// specs (docs/design.md §9); its Run calls Nudge when one moves.
	Autoscaler *autoscale.Autoscaler
	// Services, when set (serve --engine swarm), makes each spec one
	// service of this engine, which rolls its tasks itself: the passes
	// plan services (PlanServices), and the engine's containers are the
	// services' tasks.
	Services engine.Services
}

// Observer hears of every pass, with its duration and the statuses after it.
type Observer interface {
	PassDone(res PassResult, took time.Duration, statuses []Status)
}

// Observers is an Observer that tells each of its own, in order.
type Observers []Observer

// PassDone implements Observer.
func (os Observers) PassDone(res PassResult, took time.Duration, statuses []Status) {
	for _, o := range os {
		o.PassDone(res, took, statuses)
	}
}

// EngineObserver hears of the engine's events about our containers, from
// the goroutine that reads them for the loop: it must not block.
type EngineObserver interface {
	EngineEvent(ev engine.Event)
}

// PassResult is what one pass did.
type PassResult struct {
	Seq   uint64
	Start time.Time
	Done  []Done // the actions it reported: those that ended since the last pass
	// Dispatched is how many actions it began (they end, and are reported,
	// later): its timings are those of a pass that acted.
	Dispatched int
	Err        error // the pass could not run (directory or engine unusable)
	// Timings is how long the pass took before its actions began.
	Timings Timings
}

// Timings split a pass's time before its actions: reading the directory
// (zero when the pass reused the last read), listing the containers, and
// planning (metrics; make bench splits reaction time with them).
type Timings struct {
	Load, List, Plan time.Duration
}

// Reconciler keeps the engine equal to the state directory.
type Reconciler struct {
	dir    *spec.Dir
	engine engine.Engine
	opts   Options
	log    *slog.Logger
	wake   chan struct{}
	reload atomic.Bool // the directory may have changed: the next pass reads it

	// Touched only by the pass, which never overlaps itself.
	snap      *spec.Snapshot // the last directory read, reused by passes that need no reload
	snapErr   error
	lastGood  map[string]spec.Entry
	firstSeen map[string]time.Time // when each desired image became desired
	logged    map[string]string    // what was last logged per file or orphan, to log changes only
	backoff   backoffs
	pull      *puller
	flights   *flights // the actions under way
	hooks     *discovery.Notifier
	res       *resources           // the specs' volumes and networks
	root      string               // the state directory, absolute: relative bind mounts are below it
	recheck   time.Time            // a plan waits for this moment (a new container's monitor period)
	asked     asked                // the spec hash last asked of each service (Options.Services)
	tasks     tasksSeen            // the running tasks of the last pass (Options.Services)
	short     map[string]time.Time // since when each service has been short of tasks (Input.Short)

	mu       sync.Mutex
	desired  map[string]spec.Spec // the specs in force after the last pass
	stale    map[string]Stale     // those of them in force at their last good version, and why
	status   map[string]Status
	errs     []string // the directory's errors after the last pass
	engineAt EngineState
	started  uint64 // passes begun
	last     PassResult
	history  []PassResult  // the last passes, oldest first
	passDone chan struct{} // closed and replaced at the end of every pass
}

// New returns a reconciler of dir onto engine.
func New(dir *spec.Dir, engine engine.Engine, opts Options) *Reconciler {
	if opts.Parallelism <= 0 {
		opts.Parallelism = 8
	}
	if opts.Resync <= 0 {
		opts.Resync = 30 * time.Second
	}
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = 60 * time.Second
	}
	if opts.MinReady <= 0 {
		opts.MinReady = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Host == "" {
		opts.Host, _ = os.Hostname()
	}
	return &Reconciler{
		dir: dir, engine: engine, opts: opts, log: log,
		wake:     make(chan struct{}, 1),
		lastGood: map[string]spec.Entry{}, firstSeen: map[string]time.Time{}, logged: map[string]string{},
		backoff: backoffs{}, pull: newPuller(), flights: newFlights(opts.Parallelism), hooks: discovery.NewNotifier(log.With("component", "discovery")),
		res: newResources(), root: absolute(dir.Root),
		status: map[string]Status{}, passDone: make(chan struct{}),
	}
}

// Nudge asks for a pass over the last directory read, as an engine event
// does: the autoscaler moved a target, the files did not change. It never
// blocks; wake-ups coalesce.
func (r *Reconciler) Nudge() { r.wakeUp() }

// Seq is the number of passes begun so far. A caller that notes it before a
// write and asks PassesSince after WaitPass sees every action taken since,
// also by a pass that began between the write and the wait.
func (r *Reconciler) Seq() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.started
}

// PassesSince returns the finished passes numbered above seq that are still
// remembered (the last 64), oldest first.
func (r *Reconciler) PassesSince(seq uint64) []PassResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []PassResult
	for _, p := range r.history {
		if p.Seq > seq {
			out = append(out, p)
		}
	}
	return out
}

// Desired returns the specs in force after the last pass, by image: the
// valid ones, and the last good version of those whose file is broken.
func (r *Reconciler) Desired() map[string]spec.Spec {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.desired)
}

// Statuses returns the status of every spec, by image. An autoscaled
// spec's Autoscale is the autoscaler's as it is now.
func (r *Reconciler) Statuses() []Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Status, 0, len(r.status))
	for _, s := range r.status {
		out = append(out, r.withLiveAutoscale(s))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Image < out[j].Image })
	return out
}

// Errors returns the state directory's errors as of the last pass
// ("file:line: field: message"), also those of files whose image cannot be
// read at all.
func (r *Reconciler) Errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// absolute is p made absolute, or p when it cannot be.
func absolute(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
