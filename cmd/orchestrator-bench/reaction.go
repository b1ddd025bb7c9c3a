package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
)

// reactionSpec is the reaction scenario's spec at min replicas. Room to
// scale (max 2) with the autoscaler off: the count is min, and an edit
// changes exactly one line.
func reactionSpec(replicas int) string {
	return fmt.Sprintf("image: %s\nmin_replicas: %d\nmax_replicas: 2\nenv: {PORT: \"8080\"}\nports: {\"8080/tcp\": 0}\nresources: {cpu: 100m, memory: 32m}\nautoscale: {enabled: false}\n",
		reactionImage, replicas)
}

// reactionFile is the reaction spec's file in the state dir.
const reactionFile = "reaction.yaml"

// serveMinReady is serve's default --min-ready: a pass follows every start
// by that long, which a wait for quiet has to outlast.
const serveMinReady = 5 * time.Second

// split is one edit's reaction time, from the rename of the file to the
// first engine event it causes, and its parts, which add up to it.
type split struct {
	total    time.Duration // rename → the engine's event
	debounce time.Duration // rename → the watcher's signal
	loadPlan time.Duration // signal → the pass that acts has planned (any pass still running, load, list, plan)
	engine   time.Duration // planned → the engine's event (the create or kill call)
	list     time.Duration // of loadPlan: that pass's container list, as it logged it
}

// splitReaction splits an edit renamed at rename whose first engine event
// came at event, with serve's log lines around it: the watcher's first
// signal after the rename, and the first pass planned with actions after
// that signal.
func splitReaction(rename, event time.Time, lines []logLine) (split, error) {
	var sig, plan *logLine
	for i := range lines {
		l := &lines[i]
		switch {
		case sig == nil && l.Msg == msgSignalled && !l.Time.Before(rename):
			sig = l
		case sig != nil && l.Msg == msgPlanned && l.Actions > 0 && !l.Time.Before(sig.Time):
			plan = l
		}
		if plan != nil {
			break
		}
	}
	switch {
	case sig == nil:
		return split{}, errors.New("no \"changes signalled\" line after the rename")
	case plan == nil:
		return split{}, errors.New("no \"pass planned\" line with actions after the signal")
	case plan.Time.After(event):
		return split{}, fmt.Errorf("the pass planned at %s, after the engine event at %s", plan.Time.Format(time.RFC3339Nano), event.Format(time.RFC3339Nano))
	}
	return split{
		total:    event.Sub(rename),
		debounce: sig.Time.Sub(rename),
		loadPlan: plan.Time.Sub(sig.Time),
		engine:   event.Sub(plan.Time),
		list:     time.Duration(plan.ListMs * float64(time.Millisecond)),
	}, nil
}

// reactionEvents follows the engine's events about the reaction spec's
// containers, on the bench's own connection (serve's are counted by the
// proxy; these are not).
type reactionEvents struct {
	msgs <-chan events.Message
	errs <-chan error
}

func watchReaction(ctx context.Context, b *bench) reactionEvents {
	f := filters.NewArgs(
		filters.Arg("type", string(events.ContainerEventType)),
		filters.Arg("label", labelInstance+"="+b.run),
		filters.Arg("label", labelImage+"="+reactionImage),
	)
	msgs, errs := b.cli.Events(ctx, events.ListOptions{Filters: f})
	return reactionEvents{msgs: msgs, errs: errs}
}

// next returns the next event at or after since (older ones are the tail
// of an earlier edit), waiting at most within.
func (r reactionEvents) next(ctx context.Context, since time.Time, within time.Duration) (events.Message, error) {
	deadline := time.After(within)
	for {
		select {
		case m := <-r.msgs:
			if m.TimeNano >= since.UnixNano() {
				return m, nil
			}
		case err := <-r.errs:
			return events.Message{}, fmt.Errorf("engine events: %w", err)
		case <-deadline:
			return events.Message{}, fmt.Errorf("no engine event within %s", within)
		case <-ctx.Done():
			return events.Message{}, ctx.Err()
		}
	}
}

// until waits for an event of the action at or after since: the end of an
// edit's work (start of a new container, destroy of a removed one).
func (r reactionEvents) until(ctx context.Context, action events.Action, since time.Time, within time.Duration) error {
	end := time.Now().Add(within)
	for {
		m, err := r.next(ctx, since, time.Until(end))
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", action, err)
		}
		if m.Action == action {
			return nil
		}
	}
}

// runReaction is scenario 2: b.edits single-line edits of a spec file
// (min_replicas 1 ↔ 2), each timed from its rename to the first engine
// event it causes, and split with serve's debug lines.
func runReaction(ctx context.Context, b *bench) error {
	path := filepath.Join(b.dir, reactionFile)
	// The API scenario's containers go first: the reaction is measured on
	// a serve with nothing else to do. The reaction spec has run (min 1)
	// since serve started.
	if err := os.Remove(filepath.Join(b.dir, "app.yaml")); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("remove app spec: %w", err)
	}
	for image, want := range map[string]int{benchImage: 0, reactionImage: 1} {
		if _, err := waitRunning(ctx, b.cli, b.run, image, want, 3*time.Minute); err != nil {
			return fmt.Errorf("reaction setup: %s: %w", image, err)
		}
	}
	if _, err := b.px.waitQuiet(ctx, 300*time.Millisecond, serveMinReady+time.Second, 30*time.Second); err != nil {
		return err
	}
	evCtx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the subscription
	evs := watchReaction(evCtx, b)
	var all, up, down []split
	want := 1
	for i := range b.edits {
		if _, err := b.log.read(); err != nil { // skip what came before this edit
			return err
		}
		want = 3 - want // 1 ↔ 2
		if err := writeFile(path, reactionSpec(want)); err != nil {
			return err
		}
		renamed := time.Now()
		first, err := evs.next(ctx, renamed, 30*time.Second)
		if err != nil {
			return fmt.Errorf("edit %d (min %d): %w", i+1, want, err)
		}
		event := time.Unix(0, first.TimeNano)
		// The edit is done when the engine has started the new container or
		// destroyed the old one; the count is checked too.
		last := events.ActionStart
		if want == 1 {
			last = events.ActionDestroy
		}
		if first.Action != last {
			if err := evs.until(ctx, last, renamed, 30*time.Second); err != nil {
				return fmt.Errorf("edit %d (min %d): %w", i+1, want, err)
			}
		}
		if _, err := waitRunning(ctx, b.cli, b.run, reactionImage, want, 30*time.Second); err != nil {
			return fmt.Errorf("edit %d (min %d): %w", i+1, want, err)
		}
		s, err := b.splitFromLog(ctx, renamed, event)
		if err != nil {
			return fmt.Errorf("edit %d (min %d): %w", i+1, want, err)
		}
		all = append(all, s)
		if want == 2 {
			up = append(up, s)
		} else {
			down = append(down, s)
		}
		slog.Debug("reaction", "edit", i+1, "min", want, "event", first.Action, "total", s.total, "debounce", s.debounce, "load_plan", s.loadPlan, "engine", s.engine)
		// Serve's passes after the events end before the next edit; the
		// min-ready pass 5 s after a start is not waited for, and may
		// overlap a later edit, as it would in use.
		if _, err := b.px.waitQuiet(ctx, 100*time.Millisecond, 0, 5*time.Second); err != nil {
			return err
		}
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("remove reaction spec: %w", err)
	}
	b.addReaction(all, up, down)
	return nil
}

// splitFromLog reads serve's log until it holds the lines of the edit
// renamed at rename, and splits it.
func (b *bench) splitFromLog(ctx context.Context, rename, event time.Time) (split, error) {
	var lines []logLine
	deadline := time.After(5 * time.Second)
	for {
		more, err := b.log.read()
		if err != nil {
			return split{}, err
		}
		lines = append(lines, more...)
		s, err := splitReaction(rename, event, lines)
		if err == nil {
			return s, nil
		}
		select {
		case <-ctx.Done():
			return split{}, ctx.Err()
		case <-deadline:
			return split{}, fmt.Errorf("serve log %s: %w", b.log.path, err)
		case <-time.After(10 * time.Millisecond): // poll interval: serve writes the lines before the event
		}
	}
}

// addReaction adds the rows: p50 and p99 of the total and of each part;
// min and max are those of the samples.
func (b *bench) addReaction(all, up, down []split) {
	scen := fmt.Sprintf("reaction (%d edits)", len(all))
	part := func(get func(split) time.Duration, of []split) []float64 {
		ds := make([]time.Duration, len(of))
		for i, s := range of {
			ds[i] = get(s)
		}
		return durationsMs(ds)
	}
	total := func(s split) time.Duration { return s.total }
	parts := []struct {
		name     string
		get      func(split) time.Duration
		p50, p99 string // notes
	}{
		{"total: rename → first engine event", total,
			fmt.Sprintf("target ≤ 100 ms; +1 container p50 %.1f ms, −1 p50 %.1f ms; min/max: of the edits", percentile(part(total, up), 50), percentile(part(total, down), 50)),
			"target ≤ 250 ms"},
		{"debounce: rename → watcher's signal", func(s split) time.Duration { return s.debounce }, "50 ms of quiet by design", ""},
		{"load+plan: signal → pass planned", func(s split) time.Duration { return s.loadPlan }, fmt.Sprintf("of which the pass's container list p50 %.1f ms", percentile(part(func(s split) time.Duration { return s.list }, all), 50)), ""},
		{"engine: pass planned → engine event", func(s split) time.Duration { return s.engine }, "the create (+1) or kill (−1) call, through the proxy", ""},
	}
	for _, p := range parts {
		ms := part(p.get, all)
		b.add(Row{Scenario: scen, Metric: p.name + ", p50", Unit: "ms", Summary: Summary{Min: ms[0], Median: percentile(ms, 50), Max: ms[len(ms)-1]}, Note: p.p50})
		b.add(Row{Scenario: scen, Metric: p.name + ", p99", Unit: "ms", Summary: Summary{Min: ms[0], Median: percentile(ms, 99), Max: ms[len(ms)-1]}, Note: p.p99})
	}
}
