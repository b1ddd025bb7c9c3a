package reconciler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/spec"
)

// pass is one level-triggered reconcile: report the actions that ended,
// load (or reuse) the directory, list the containers once, plan, and
// dispatch the actions of the specs with none in flight. It returns the
// actions it reported; with wait (tests), also those it dispatched, ended.
func (r *Reconciler) pass(ctx context.Context, now time.Time, reload, wait bool) ([]Done, int, Timings, error) {
	began := time.Now()
	done := r.flights.report()
	if len(done) > 0 {
		r.settle(done, now)
	}
	if reload || r.snap == nil && r.snapErr == nil {
		r.snap, r.snapErr = r.dir.Load()
	}
	snap, loadErr := r.snap, r.snapErr
	in := Input{Desired: map[string]Desired{}, Keep: map[string]bool{}, Since: map[string]time.Time{}, Now: now,
		ReadyTimeout: r.opts.ReadyTimeout, MinReady: r.opts.MinReady, Instance: r.opts.Instance, NamePrefix: r.opts.NamePrefix}
	fileErrs := map[string]string{}
	entries := map[string]spec.Entry{}
	var lastGoodWhy map[string][]string // by image: why a spec is in force at its last good version
	switch {
	case loadErr != nil:
		r.logChange(slog.LevelError, "dir", loadErr.Error(), "state directory unusable: keeping every container as it is", "dir", r.dir.Root, "err", loadErr)
		in.NoPrune = loadErr.Error()
	case len(snap.Specs) == 0 && len(snap.Errors) == 0 && !r.opts.AllowEmpty:
		loadErr = fmt.Errorf("state directory %s holds no specs (start with --allow-empty to let that remove everything)", r.dir.Root)
		r.logChange(slog.LevelError, "dir", loadErr.Error(), "state directory empty: keeping every container as it is", "dir", r.dir.Root)
		in.NoPrune = loadErr.Error()
	default:
		r.logChange(slog.LevelInfo, "dir", "", "state directory readable", "dir", r.dir.Root)
	}
	if in.NoPrune != "" { // run on the last good specs; prune nothing
		maps.Copy(entries, r.lastGood)
	} else {
		lastGoodWhy = r.fromSnapshot(snap, entries, fileErrs, &in)
	}
	desired := map[string]spec.Spec{}
	for image, e := range entries {
		desired[image] = e.Spec
		r.backoff.resetIfChanged(image, e.Revision) // a fixed spec is tried at once
		target := 0
		if e.Spec.Resources.Status != spec.StatusStopped {
			target = max(e.Spec.MinReplicas, 1)
		}
		in.Desired[image] = Desired{Spec: e.Spec, Target: target, Hash: e.Spec.Hash(), Dir: filepath.Join(r.root, filepath.Dir(filepath.FromSlash(e.Source.File)))}
		if _, ok := r.firstSeen[image]; !ok {
			r.firstSeen[image] = now
		}
		in.Since[image] = r.firstSeen[image]
	}
	for image := range r.firstSeen {
		if _, ok := entries[image]; !ok {
			delete(r.firstSeen, image)
		}
	}
	stale := staleOf(entries, lastGoodWhy, loadErr)
	r.mu.Lock()
	r.desired = desired
	r.stale = stale
	r.mu.Unlock()

	loaded := time.Now()
	containers, err := r.engine.List(ctx)
	r.noteEngine(err, time.Now())
	if err != nil {
		r.logChange(slog.LevelError, "engine", err.Error(), "list containers failed", "err", err)
		return done, 0, Timings{}, fmt.Errorf("list containers: %w", err)
	}
	r.logChange(slog.LevelInfo, "engine", "", "engine reachable")
	if r.opts.Services != nil {
		r.announceTasks(ctx, containers)
	}
	// A container being removed is no longer counted (see flights).
	removing, removals := r.flights.beingRemoved()
	in.Containers = make([]engine.Container, 0, len(containers))
	for _, c := range containers {
		if !removing[c.ID] {
			in.Containers = append(in.Containers, c)
		} else {
			in.Leaving = append(in.Leaving, c)
		}
	}
	// A spec whose volume or network cannot be made (a foreign one has its
	// name) gets no container, and keeps those it has.
	for image, err := range r.res.ensure(ctx, r.engine, r.dir, entries, r.opts.NamePrefix) {
		delete(in.Desired, image)
		in.Keep[image] = true
		fileErrs[image] = joinErr(fileErrs[image], err.Error())
	}
	// The autoscaler's recommendations, clamped to each spec's min and max
	// as they are now: a hand edit of them counts at once.
	listed := time.Now()
	autoscale := r.autoscaleTargets(&in, now)
	plan, err := r.plan(ctx, in)
	if err != nil {
		r.logChange(slog.LevelError, "engine", err.Error(), "list services failed", "err", err)
		return done, 0, Timings{}, err
	}

	var todo []Action
	r.recheck = time.Time{}
	for _, image := range slices.Sorted(maps.Keys(plan)) {
		p := plan[image]
		if t := p.RecheckAt; !t.IsZero() && (r.recheck.IsZero() || t.Before(r.recheck)) {
			r.recheck = t
		}
		if _, desired := entries[image]; !desired {
			r.logChange(slog.LevelInfo, "orphan:"+image, p.Wait, "deleted spec waits", "image", image, "why", p.Wait)
		}
		if r.backoff.waiting(image, now) || r.flights.blocked(image) ||
			removals[image] > 0 && fixedHostPort(entries[image].Spec) { // its successor needs the port
			continue
		}
		todo = append(todo, p.Actions...)
	}
	t := Timings{List: listed.Sub(loaded), Plan: time.Since(listed)}
	if reload {
		t.Load = loaded.Sub(began)
	}
	r.log.Debug("pass planned", "reload", reload, "specs", len(entries), "containers", len(containers), "actions", len(todo),
		"load_ms", ms(t.Load), "list_ms", ms(t.List), "plan_ms", ms(t.Plan))
	revisions := make(map[string]string, len(entries))
	for image, e := range entries {
		revisions[image] = e.Revision
	}
	dispatched := r.dispatch(ctx, todo, revisions)
	if wait {
		r.flights.wait()
		more := r.flights.report()
		r.settle(more, now)
		done = append(done, more...)
	}
	if in.NoPrune == "" {
		removed, err := r.res.prune(ctx, r.engine, entries, r.opts.NamePrefix)
		for _, k := range removed {
			r.log.Info("removed: no spec names it and no container uses it", "what", k)
		}
		r.logChange(slog.LevelWarn, "resources", errString(err), "volumes or networks not removed", "err", err)
	}
	r.updateStatus(in, entries, plan, fileErrs, autoscale, loadErr, now)
	return done, dispatched, t, loadErr
}

// settle logs every action and moves each acting spec's backoff.
func (r *Reconciler) settle(done []Done, now time.Time) {
	failed := map[string]error{}
	acted := map[string]bool{}
	for _, d := range done {
		acted[d.Image] = true
		attrs := []any{"kind", d.Kind, "image", d.Image, "container", d.Name, "id", short(d.ID), "reason", d.Reason, "ok", d.OK}
		if !d.OK {
			failed[d.Image] = errors.Join(failed[d.Image], d.Err)
			r.log.Warn("action", append(attrs, "err", d.Err)...)
			continue
		}
		r.log.Info("action", attrs...)
	}
	for image := range acted {
		if err := failed[image]; err != nil {
			until := r.backoff.fail(image, r.flights.revisionOf(image), err, now)
			r.log.Warn("spec failing, backing off", "image", image, "delay", until.Sub(now), "retry_at", until.Format(time.RFC3339Nano), "err", err)
		} else {
			r.backoff.succeed(image)
		}
	}
}

// fromSnapshot picks the specs in force: the valid ones, and the last good
// version of those whose file is now broken or whose image is in conflict.
// It returns why each of the latter is not valid: its files' errors.
func (r *Reconciler) fromSnapshot(snap *spec.Snapshot, entries map[string]spec.Entry, fileErrs map[string]string, in *Input) map[string][]string {
	lastGoodWhy := map[string][]string{}
	broken := map[string][]string{}
	var all []string
	for _, e := range snap.Errors {
		broken[e.File] = append(broken[e.File], e.Error())
		all = append(all, e.Error())
	}
	r.mu.Lock()
	r.errs = all
	r.mu.Unlock()
	for _, e := range snap.Specs {
		entries[e.Spec.Image] = e
		r.lastGood[e.Spec.Image] = e
	}
	for image, srcs := range snap.Conflicts {
		var msgs []string
		for _, s := range srcs {
			msgs = append(msgs, broken[s.File]...)
		}
		msgs = slices.Compact(slices.Sorted(slices.Values(msgs)))
		fileErrs[image] = strings.Join(msgs, "; ")
		in.Keep[image] = true
		if e, ok := r.lastGood[image]; ok {
			entries[image] = e
			lastGoodWhy[image] = msgs
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
				lastGoodWhy[image] = msgs
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
	r.logChange(slog.LevelError, "noprune", in.NoPrune, "a spec file cannot be read: nothing is pruned until it can", "why", in.NoPrune)
	seen := map[string]bool{}
	for file, msgs := range broken {
		seen[file] = true
		r.logChange(slog.LevelError, "file:"+file, strings.Join(msgs, "; "), "spec file has errors: its specs keep their last good version", "file", file, "errors", strings.Join(msgs, "; "))
	}
	for key := range r.logged {
		if file, ok := strings.CutPrefix(key, "file:"); ok && !seen[file] {
			r.logChange(slog.LevelInfo, key, "", "spec file fixed", "file", file)
		}
	}
	return lastGoodWhy
}

// logChange logs msg when what changed for key since the last call, so a
// standing problem is logged once, not on every pass. An empty what that
// follows a non-empty one logs the recovery.
func (r *Reconciler) logChange(level slog.Level, key, what, msg string, attrs ...any) {
	prev, known := r.logged[key]
	if prev == what || !known && what == "" {
		return
	}
	r.logged[key] = what
	if what == "" {
		delete(r.logged, key)
		level = slog.LevelInfo
	}
	r.log.Log(context.Background(), level, msg, attrs...)
}

// ms is d in milliseconds, for log attributes.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
