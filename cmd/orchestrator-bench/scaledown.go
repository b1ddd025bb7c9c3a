package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// The scale-down scenario (issue 14 item 2): spec A runs drainReplicas
// containers that ignore their stop signal, so that each stop waits out
// the whole grace period and ends in a SIGKILL; while A scales to 0, a new
// spec B is written, and B's rename → first engine event is timed. The
// reconciler runs its actions in the background, so the loop must plan and
// create B at once, as fast as without the scale-down.
const (
	drainImage    = "orchestrator-bench:drain"
	drainFile     = "drain.yaml"
	drainReplicas = 10
	drainGrace    = 10 * time.Second
	// drainSignal is A's stop_signal: a Go program catches SIGUSR1 and does
	// nothing (os/signal: "other signals will be caught but no action will
	// be taken"), so the demo, which exits on SIGTERM, keeps running until
	// the engine kills it at the end of the grace period. A spec field, so
	// the demo needs no knob for it.
	drainSignal = "SIGUSR1"
)

// drainSpec is spec A at drainReplicas.
func drainSpec() string {
	return fmt.Sprintf("image: %s\nmin_replicas: %d\nmax_replicas: %d\nenv: {PORT: \"8080\"}\nresources: {cpu: 100m, memory: 32m}\nstop_signal: %s\nstop_grace_period: %s\n",
		drainImage, drainReplicas, drainReplicas, drainSignal, drainGrace)
}

// newSpecImage is the tag of spec B of sample i, during a scale-down or in
// the baseline: each sample's B is a spec never seen before.
func newSpecImage(i int, baseline bool) string {
	if baseline {
		return fmt.Sprintf("orchestrator-bench:new-base-%02d", i)
	}
	return fmt.Sprintf("orchestrator-bench:new-%02d", i)
}

// specFileOf is the state dir's file of a B image: its tag, .yaml.
func specFileOf(image string) string { return image[strings.LastIndexByte(image, ':')+1:] + ".yaml" }

// drainSample is one sample with the scale-down.
type drainSample struct {
	total    time.Duration // B's rename → B's first engine event
	gap      time.Duration // A's removal → B's rename
	stopping int           // A's containers sent their stop signal before B's first event
	stops    []time.Duration
	killed   int // A's containers that exited 137: killed at the end of the grace
}

// runScaleDown is the scale-down scenario: b.drainSamples rounds, each a
// baseline sample (A idle at drainReplicas, B written) and a sample during
// A's scale-down, interleaved so that both see the same noise.
func runScaleDown(ctx context.Context, b *bench) error {
	n := b.drainSamples
	if n < 1 {
		return fmt.Errorf("scale-down: -scaledown-samples %d: want at least 1", n)
	}
	// Left by the scenarios before, or by main when they were not run.
	for _, f := range []string{"app.yaml", reactionFile} {
		if err := os.Remove(filepath.Join(b.dir, f)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove %s: %w", f, err)
		}
	}
	for _, image := range []string{benchImage, reactionImage} {
		if _, err := waitRunning(ctx, b.cli, b.run, image, 0, 3*time.Minute); err != nil {
			return fmt.Errorf("scale-down setup: %s: %w", image, err)
		}
	}
	// Every tag is made before anything is timed.
	if err := b.tag(ctx, drainImage); err != nil {
		return err
	}
	for i := range n {
		for _, base := range []bool{true, false} {
			if err := b.tag(ctx, newSpecImage(i, base)); err != nil {
				return err
			}
		}
	}
	evCtx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the subscription
	log := followEvents(evCtx, b.cli, b.run)
	path := filepath.Join(b.dir, drainFile)
	// The first scale-up is also what shows the subscription live: its
	// start events are waited for through it.
	up := time.Now()
	if err := writeFile(path, drainSpec()); err != nil {
		return err
	}
	if _, err := log.atLeast(ctx, up, ofImage(drainImage, events.ActionStart), drainReplicas, 3*time.Minute, "starts of "+drainImage); err != nil {
		return fmt.Errorf("scale-down setup: %w", err)
	}
	if _, err := waitRunning(ctx, b.cli, b.run, drainImage, drainReplicas, time.Minute); err != nil {
		return fmt.Errorf("scale-down setup: %w", err)
	}
	var base []time.Duration
	var loaded []drainSample
	for i := range n {
		if err := b.quiet(ctx, "scale-down baseline"); err != nil {
			return err
		}
		t, err := b.newSpec(ctx, log, newSpecImage(i, true))
		if err != nil {
			return fmt.Errorf("scale-down baseline %d: %w", i+1, err)
		}
		base = append(base, t)

		if err := b.quiet(ctx, "scale-down sample"); err != nil {
			return err
		}
		s, err := b.drainSample(ctx, log, path, newSpecImage(i, false), i < n-1)
		if err != nil {
			return fmt.Errorf("scale-down sample %d: %w", i+1, err)
		}
		loaded = append(loaded, s)
		slog.Info("scale-down", "sample", i+1, "baseline_ms", ms(t), "during_ms", ms(s.total), "gap_ms", ms(s.gap), "stopping", s.stopping, "killed", s.killed)
	}
	b.addScaleDown(n, base, loaded)
	return nil
}

// quiet waits until serve has made no engine call for 300 ms and no
// container has started for longer than the min-ready period, so that a
// sample begins on a serve with nothing left to do.
func (b *bench) quiet(ctx context.Context, what string) error {
	ok, err := b.px.waitQuiet(ctx, 300*time.Millisecond, serveMinReady+time.Second, 30*time.Second)
	if err == nil && !ok {
		slog.Warn(what + ": serve not quiet within 30 s; measuring anyway")
	}
	return err
}

// newSpec writes spec B of image, times its rename → its first engine
// event, waits for its start, and removes it again (the removal is waited
// for too: B's demo exits on SIGTERM at once).
func (b *bench) newSpec(ctx context.Context, log *eventLog, image string) (time.Duration, error) {
	first, renamed, err := b.writeNewSpec(ctx, log, image)
	if err != nil {
		return 0, err
	}
	return eventTime(first).Sub(renamed), b.removeNewSpec(ctx, log, image, renamed)
}

// writeNewSpec writes spec B of image and returns its first engine event
// and the time of its rename, once B's container has started.
func (b *bench) writeNewSpec(ctx context.Context, log *eventLog, image string) (events.Message, time.Time, error) {
	if err := writeFile(filepath.Join(b.dir, specFileOf(image)), scaleSpec(image, 1)); err != nil {
		return events.Message{}, time.Time{}, err
	}
	renamed := time.Now()
	first, err := log.first(ctx, renamed, ofImage(image), 30*time.Second, "engine event of "+image)
	if err != nil {
		return events.Message{}, time.Time{}, err
	}
	if _, err := log.first(ctx, renamed, ofImage(image, events.ActionStart), 30*time.Second, "start of "+image); err != nil {
		return events.Message{}, time.Time{}, err
	}
	return first, renamed, nil
}

// removeNewSpec removes spec B of image and waits until its container is
// gone.
func (b *bench) removeNewSpec(ctx context.Context, log *eventLog, image string, since time.Time) error {
	if err := os.Remove(filepath.Join(b.dir, specFileOf(image))); err != nil {
		return fmt.Errorf("remove spec of %s: %w", image, err)
	}
	_, err := log.first(ctx, since, ofImage(image, events.ActionDestroy), 30*time.Second, "removal of "+image)
	return err
}

// drainSample removes A's file, writes B as soon as A's first stop signal
// is sent (its containers are then waiting out their grace period, and the
// loop would be blocked by them if it waited for its actions), and times
// B. Then, if again, it writes A back at once (new containers start while
// the old ones drain, which are left out of the plans), and waits until
// A's old containers are gone and, if again, A runs drainReplicas.
func (b *bench) drainSample(ctx context.Context, log *eventLog, path, image string, again bool) (drainSample, error) {
	old, err := runningIDs(ctx, b, drainImage)
	if err != nil {
		return drainSample{}, err
	}
	if len(old) != drainReplicas {
		return drainSample{}, fmt.Errorf("%d containers of %s running, want %d", len(old), drainImage, drainReplicas)
	}
	removed := time.Now()
	if err := os.Remove(path); err != nil {
		return drainSample{}, fmt.Errorf("remove %s: %w", drainFile, err)
	}
	if _, err := log.first(ctx, removed, ofImage(drainImage, events.ActionKill), 30*time.Second, "stop signal of "+drainImage); err != nil {
		return drainSample{}, err
	}
	first, renamed, err := b.writeNewSpec(ctx, log, image)
	if err != nil {
		return drainSample{}, err
	}
	s := drainSample{total: eventTime(first).Sub(renamed), gap: renamed.Sub(removed)}
	signalled := map[string]bool{}
	for _, m := range log.since(removed, ofImage(drainImage, events.ActionKill)) {
		if m.TimeNano <= first.TimeNano {
			signalled[m.Actor.ID] = true
		}
	}
	s.stopping = len(signalled)
	if err := b.removeNewSpec(ctx, log, image, renamed); err != nil {
		return drainSample{}, err
	}
	if again {
		if err := writeFile(path, drainSpec()); err != nil {
			return drainSample{}, err
		}
	}
	for _, id := range old {
		ofID := func(action events.Action) func(events.Message) bool {
			return func(m events.Message) bool { return m.Actor.ID == id && m.Action == action }
		}
		kill, err := log.first(ctx, removed, ofID(events.ActionKill), drainGrace+30*time.Second, "stop signal of "+id[:12])
		if err != nil {
			return drainSample{}, err
		}
		die, err := log.first(ctx, removed, ofID(events.ActionDie), drainGrace+30*time.Second, "exit of "+id[:12])
		if err != nil {
			return drainSample{}, err
		}
		if _, err := log.first(ctx, removed, ofID(events.ActionDestroy), 30*time.Second, "removal of "+id[:12]); err != nil {
			return drainSample{}, err
		}
		s.stops = append(s.stops, eventTime(die).Sub(eventTime(kill)))
		if die.Actor.Attributes["exitCode"] == "137" {
			s.killed++
		}
	}
	if again {
		if _, err := waitRunning(ctx, b.cli, b.run, drainImage, drainReplicas, time.Minute); err != nil {
			return drainSample{}, fmt.Errorf("spec A back at %d: %w", drainReplicas, err)
		}
	}
	return s, nil
}

// runningIDs is the IDs of the run's running containers of image.
func runningIDs(ctx context.Context, b *bench, image string) ([]string, error) {
	f := filters.NewArgs(
		filters.Arg("label", engine.LabelInstance+"="+b.run),
		filters.Arg("label", engine.LabelImage+"="+image),
		filters.Arg("status", "running"),
	)
	list, err := b.cli.ContainerList(ctx, container.ListOptions{Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	ids := make([]string, len(list))
	for i, c := range list {
		ids[i] = c.ID
	}
	return ids, nil
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// addScaleDown adds the scenario's rows: B's reaction during the
// scale-down (p50 with the target, p99), the baseline's, and how A's
// containers stopped (the row's premise: each waited out its grace).
func (b *bench) addScaleDown(n int, base []time.Duration, loaded []drainSample) {
	scen := fmt.Sprintf("new spec during a scale-down (%d samples)", n)
	var totals, gaps, stops []time.Duration
	var stopping []float64
	killed, all := 0, 0
	for _, s := range loaded {
		totals, gaps = append(totals, s.total), append(gaps, s.gap)
		stops = append(stops, s.stops...)
		stopping = append(stopping, float64(s.stopping))
		killed += s.killed
		all += len(s.stops)
	}
	got, baseMs := durationsMs(totals), durationsMs(base)
	slices.Sort(stopping)
	p50, p99, bp50, bp99 := percentile(got, 50), percentile(got, 99), percentile(baseMs, 50), percentile(baseMs, 99)
	metric := fmt.Sprintf("B: rename → first engine event (create), while A scales %d → 0 (%.0f s grace)", drainReplicas, drainGrace.Seconds())
	b.add(Row{Scenario: scen, Metric: metric + ", p50", Unit: "ms", Summary: Summary{Min: got[0], Median: p50, Max: got[len(got)-1]},
		Note: fmt.Sprintf("target ≤ 150 ms: %s; ratio %.2f vs the baseline's p50; B written %.0f ms (p50) after A's file was removed, once A's first stop signal was sent; %.0f of A's %d containers signalled before B's first event (p50); min/max: of the samples",
			verdict(p50, 150), ratio(p50, bp50), percentile(durationsMs(gaps), 50), percentile(stopping, 50), drainReplicas)})
	b.add(Row{Scenario: scen, Metric: metric + ", p99", Unit: "ms", Summary: Summary{Min: got[0], Median: p99, Max: got[len(got)-1]},
		Note: fmt.Sprintf("ratio %.2f vs the baseline's p99", ratio(p99, bp99))})
	b.add(Row{Scenario: scen, Metric: fmt.Sprintf("baseline: the same with A idle at %d, p50", drainReplicas), Unit: "ms",
		Summary: Summary{Min: baseMs[0], Median: bp50, Max: baseMs[len(baseMs)-1]},
		Note:    fmt.Sprintf("p99 %.1f ms; a sample of its own before each sample above, in the same run", bp99)})
	stopS := durationsMs(stops)
	for i := range stopS {
		stopS[i] /= 1000
	}
	premise := "each waited out its grace"
	if killed < all || stopS[0] < drainGrace.Seconds()-0.5 {
		premise = "NOT all waited out their grace: the rows above are not what they say"
	}
	b.add(Row{Scenario: scen, Metric: "A: stop signal → exit, per container", Unit: "s", Summary: summarize(stopS),
		Note: fmt.Sprintf("%s: %d of %d exited 137 (the SIGKILL at the end of the grace; stop_signal %s, which the demo ignores)", premise, killed, all, drainSignal)})
}
