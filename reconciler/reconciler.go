package reconciler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/orchestrator/orchestrator/spec"
)

// Options configure a Reconciler.
type Options struct {
	Instance     string        // see DockerOptions.Instance; names new containers
	Parallelism  int           // actions at once; default 4
	Resync       time.Duration // periodic pass, jittered ±10%; default 30s
	ReadyTimeout time.Duration // a new container must be ready within this; default 60s
	StopTimeout  time.Duration // before a stop kills; default 10s
	// AllowEmpty lets an empty state directory remove every container.
	// Without it an empty or missing root is an error, never a prune.
	AllowEmpty bool
	Now        func() time.Time // default time.Now
	Logger     *slog.Logger
}

// PassResult is what one pass did.
type PassResult struct {
	Seq   uint64
	Start time.Time
	Done  []Done
	Err   error // the pass could not run (directory or engine unusable)
}

// Reconciler keeps the engine equal to the state directory.
type Reconciler struct {
	dir    *spec.Dir
	engine Engine
	opts   Options
	log    *slog.Logger
	wake   chan struct{}

	// Touched only by the pass, which never overlaps itself.
	lastGood map[string]spec.Entry
	backoff  backoffs
	pull     *puller

	mu       sync.Mutex
	status   map[string]Status
	started  uint64 // passes begun
	last     PassResult
	passDone chan struct{} // closed and replaced at the end of every pass
}

// New returns a reconciler of dir onto engine.
func New(dir *spec.Dir, engine Engine, opts Options) *Reconciler {
	if opts.Parallelism <= 0 {
		opts.Parallelism = 4
	}
	if opts.Resync <= 0 {
		opts.Resync = 30 * time.Second
	}
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = 60 * time.Second
	}
	if opts.StopTimeout <= 0 {
		opts.StopTimeout = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Reconciler{
		dir: dir, engine: engine, opts: opts, log: log,
		wake:     make(chan struct{}, 1),
		lastGood: map[string]spec.Entry{}, backoff: backoffs{}, pull: newPuller(),
		status: map[string]Status{}, passDone: make(chan struct{}),
	}
}

// Trigger asks for a pass. It never blocks; wake-ups coalesce.
func (r *Reconciler) Trigger() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run makes passes until ctx is done: at start, on Trigger, on every engine
// event, after a jittered resync interval, and when a backoff expires.
// changes (the watcher's) may be nil.
func (r *Reconciler) Run(ctx context.Context, changes <-chan struct{}) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events := r.engine.Events(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // forwarders only wake the loop, like informer handlers enqueue
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-changes:
				if !ok {
					changes = nil
					continue
				}
				r.Trigger()
			case ev, ok := <-events:
				if !ok {
					events = nil
					continue
				}
				r.log.Debug("engine event", "action", ev.Action, "container", short(ev.ContainerID), "image", ev.Image)
				r.Trigger()
			}
		}
	}()
	defer wg.Wait()
	defer r.pull.wait() // after cancel: pulls end with ctx

	r.Trigger()
	timer := time.NewTimer(r.jitter())
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-r.wake:
		case <-timer.C:
		}
		r.Pass(ctx)
		if ctx.Err() != nil {
			return nil
		}
		next := r.jitter()
		if t := r.backoff.next(); !t.IsZero() {
			next = min(next, t.Sub(r.opts.Now()))
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(max(next, time.Millisecond))
	}
}

func (r *Reconciler) jitter() time.Duration {
	d := r.opts.Resync
	return d - d/10 + time.Duration(rand.Int64N(int64(d/5)+1))
}

// Pass runs one pass now. Only Run calls it in production, so passes never
// overlap; tests call it directly for a deterministic step.
func (r *Reconciler) Pass(ctx context.Context) PassResult {
	r.mu.Lock()
	r.started++
	res := PassResult{Seq: r.started, Start: r.opts.Now()}
	r.mu.Unlock()
	res.Done, res.Err = r.pass(ctx, res.Start)
	r.mu.Lock()
	r.last = res
	close(r.passDone)
	r.passDone = make(chan struct{})
	r.mu.Unlock()
	return res
}

// WaitPass triggers a pass and waits for one that started after the call,
// so that it saw every write made before the call; it returns that pass's
// result. (A pass already running may have loaded the directory earlier.)
func (r *Reconciler) WaitPass(ctx context.Context) (PassResult, error) {
	r.mu.Lock()
	want, ch := r.started+1, r.passDone
	r.mu.Unlock()
	r.Trigger()
	for {
		select {
		case <-ctx.Done():
			return PassResult{}, ctx.Err()
		case <-ch:
		}
		r.mu.Lock()
		if r.last.Seq >= want {
			res := r.last
			r.mu.Unlock()
			return res, nil
		}
		ch = r.passDone
		r.mu.Unlock()
	}
}

// Statuses returns the status of every spec, by image.
func (r *Reconciler) Statuses() []Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Status, 0, len(r.status))
	for _, s := range r.status {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Image < out[j].Image })
	return out
}

// pass is one level-triggered reconcile: load, list, plan, execute.
func (r *Reconciler) pass(ctx context.Context, now time.Time) ([]Done, error) {
	snap, loadErr := r.dir.Load()
	in := Input{Desired: map[string]Desired{}, Keep: map[string]bool{}, Now: now, ReadyTimeout: r.opts.ReadyTimeout, Instance: r.opts.Instance}
	fileErrs := map[string]string{}
	entries := map[string]spec.Entry{}
	switch {
	case loadErr != nil:
		r.log.Error("state directory unusable: keeping every container as it is", "dir", r.dir.Root, "err", loadErr)
		in.NoPrune = loadErr.Error()
	case len(snap.Specs) == 0 && len(snap.Errors) == 0 && !r.opts.AllowEmpty:
		loadErr = fmt.Errorf("state directory %s holds no specs (start with --allow-empty to let that remove everything)", r.dir.Root)
		r.log.Error("state directory empty: keeping every container as it is", "dir", r.dir.Root)
		in.NoPrune = loadErr.Error()
	}
	if in.NoPrune != "" { // run on the last good specs; prune nothing
		for image, e := range r.lastGood {
			entries[image] = e
		}
	} else {
		r.fromSnapshot(snap, entries, fileErrs, &in)
	}
	for image, e := range entries {
		target := 0
		if e.Spec.Resources.Status != spec.StatusStopped {
			target = max(e.Spec.MinReplicas, 1)
		}
		in.Desired[image] = Desired{Spec: e.Spec, Target: target}
	}

	containers, err := r.engine.List(ctx)
	if err != nil {
		r.log.Error("list containers failed", "err", err)
		return nil, fmt.Errorf("list containers: %w", err)
	}
	in.Containers = containers
	plan := Plan(in)

	var todo []Action
	for _, image := range slices.Sorted(maps.Keys(plan)) {
		if r.backoff.waiting(image, now) {
			continue
		}
		todo = append(todo, plan[image].Actions...)
	}
	done := r.execute(ctx, todo)
	failed := map[string]error{}
	acted := map[string]bool{}
	for _, d := range done {
		acted[d.Image] = true
		level := slog.LevelInfo
		if !d.OK {
			level = slog.LevelWarn
			failed[d.Image] = errors.Join(failed[d.Image], d.Err)
		}
		r.log.Log(ctx, level, "action", "kind", d.Kind, "image", d.Image, "container", d.Name, "id", short(d.ID), "reason", d.Reason, "ok", d.OK, "err", d.Err)
	}
	for image := range acted {
		if err := failed[image]; err != nil {
			until := r.backoff.fail(image, err, now)
			r.log.Warn("spec failing, backing off", "image", image, "delay", until.Sub(now), "retry_at", until.Format(time.RFC3339Nano), "err", err)
		} else {
			r.backoff.succeed(image)
		}
	}
	r.updateStatus(in, entries, plan, fileErrs, loadErr, now)
	return done, loadErr
}

// fromSnapshot picks the specs in force: the valid ones, and the last good
// version of those whose file is now broken or whose image is in conflict.
func (r *Reconciler) fromSnapshot(snap *spec.Snapshot, entries map[string]spec.Entry, fileErrs map[string]string, in *Input) {
	broken := map[string][]string{}
	for _, e := range snap.Errors {
		broken[e.File] = append(broken[e.File], e.Error())
	}
	for _, e := range snap.Specs {
		entries[e.Spec.Image] = e
		r.lastGood[e.Spec.Image] = e
	}
	for image, srcs := range snap.Conflicts {
		var msgs []string
		for _, s := range srcs {
			msgs = append(msgs, broken[s.File]...)
		}
		fileErrs[image] = strings.Join(slices.Compact(slices.Sorted(slices.Values(msgs))), "; ")
		in.Keep[image] = true
		if e, ok := r.lastGood[image]; ok {
			entries[image] = e
		}
	}
	for image, srcs := range snap.Found { // images named in broken documents
		for _, s := range srcs {
			if msgs := broken[s.File]; len(msgs) > 0 {
				fileErrs[image] = strings.Join(msgs, "; ")
				in.Keep[image] = true
			}
		}
	}
	for image, e := range r.lastGood {
		if msgs := broken[e.Source.File]; len(msgs) > 0 {
			if _, ok := entries[image]; !ok {
				entries[image] = e
				fileErrs[image] = strings.Join(msgs, "; ")
			}
		} else if _, ok := entries[image]; !ok && !in.Keep[image] {
			delete(r.lastGood, image) // its document is gone: a real delete
		}
	}
	// A broken document whose image cannot be read (the YAML does not
	// parse, the document is not a mapping, the image field is bad) may be
	// any image's: prune nothing until it is fixed.
	for _, e := range snap.Errors {
		if e.Field == "" || e.Field == "image" {
			in.NoPrune = joinErr(in.NoPrune, e.Error())
		}
	}
	if in.NoPrune != "" {
		r.log.Error("a spec file does not parse: nothing is pruned until it does", "why", in.NoPrune)
	}
	for file, msgs := range broken {
		r.log.Error("spec file has errors: its specs keep their last good version", "file", file, "errors", strings.Join(msgs, "; "))
	}
}

func (r *Reconciler) updateStatus(in Input, entries map[string]spec.Entry, plan map[string]*SpecPlan, fileErrs map[string]string, loadErr error, now time.Time) {
	byImage := map[string][]Container{}
	for _, c := range in.Containers {
		byImage[c.Image] = append(byImage[c.Image], c)
	}
	status := map[string]Status{}
	for image, e := range entries {
		actErr := ""
		if err := r.backoff.lastError(image); err != nil {
			actErr = err.Error()
		}
		fe := fileErrs[image]
		if loadErr != nil {
			fe = joinErr(fe, loadErr.Error())
		}
		st := specStatus(e, in.Desired[image].Target, byImage[image], plan[image], fe, actErr, now)
		if r.pull.pulling(image) {
			st.Message = joinErr(st.Message, "pulling image "+image)
		}
		status[image] = st
		if prev, ok := r.status[image]; !ok || prev.Health != st.Health || prev.LastError != st.LastError {
			r.log.Info("spec status", "image", image, "health", st.Health, "synced", st.Synced,
				"desired", st.Desired, "ready", st.Ready, "running", st.Running, "source", st.Source, "error", st.LastError, "message", st.Message)
		}
	}
	r.mu.Lock()
	r.status = status
	r.mu.Unlock()
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
