package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// reactionSpec is the reaction scenario's spec at min replicas.
func reactionSpec(replicas int) string { return scaleSpec(reactionImage, replicas) }

// scaleSpec is a spec of image at min replicas, with room to scale (max 2)
// and the autoscaler off: the count is min, and an edit changes exactly
// one line. The git scenarios edit the same spec, so that their numbers
// compare with the reaction's.
func scaleSpec(image string, replicas int) string {
	return fmt.Sprintf("image: %s\nmin_replicas: %d\nmax_replicas: 2\nenv: {PORT: \"8080\"}\nports: {\"8080/tcp\": 0}\nresources: {cpu: 100m, memory: 32m}\nautoscale: {enabled: false}\n",
		image, replicas)
}

// reactionFile is the reaction spec's file in the state dir.
const reactionFile = "reaction.yaml"

// serveMinReady is serve's default --min-ready: a pass follows every start
// by that long, which a wait for quiet has to outlast.
const serveMinReady = 5 * time.Second

// reactionEvents follows the engine's events about the reaction spec's
// containers, on the bench's own connection (serve's are counted by the
// proxy; these are not).
type reactionEvents struct {
	msgs <-chan events.Message
	errs <-chan error
}

func watchReaction(ctx context.Context, b *bench) reactionEvents {
	return watchEvents(ctx, b.cli, b.run, reactionImage)
}

// watchEvents follows the engine's events about instance's containers of
// image (the git scenarios' serves have instances of their own).
func watchEvents(ctx context.Context, cli *client.Client, instance, image string) reactionEvents {
	f := filters.NewArgs(
		filters.Arg("type", string(events.ContainerEventType)),
		filters.Arg("label", engine.LabelInstance+"="+instance),
		filters.Arg("label", engine.LabelImage+"="+image),
	)
	msgs, errs := cli.Events(ctx, events.ListOptions{Filters: f})
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
// event it causes, and split with serve's /metrics histograms, scraped
// before the first edit and after the last.
func runReaction(ctx context.Context, b *bench) error {
	if b.edits < 1 {
		return fmt.Errorf("reaction: -edits %d: want at least 1", b.edits)
	}
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
	before, err := b.scrapeSplit(ctx)
	if err != nil {
		return fmt.Errorf("reaction: %w", err)
	}
	var all, up, down []time.Duration
	want := 1
	for i := range b.edits {
		want = 3 - want // 1 ↔ 2
		if err := writeFile(path, reactionSpec(want)); err != nil {
			return err
		}
		renamed := time.Now()
		first, err := evs.next(ctx, renamed, 30*time.Second)
		if err != nil {
			return fmt.Errorf("edit %d (min %d): %w", i+1, want, err)
		}
		total := time.Unix(0, first.TimeNano).Sub(renamed)
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
		all = append(all, total)
		if want == 2 {
			up = append(up, total)
		} else {
			down = append(down, total)
		}
		slog.Debug("reaction", "edit", i+1, "min", want, "event", first.Action, "total", total)
		// Serve's passes after the events end before the next edit; the
		// min-ready pass 5 s after a start is not waited for, and may
		// overlap a later edit, as it would in use.
		if _, err := b.px.waitQuiet(ctx, 100*time.Millisecond, 0, 5*time.Second); err != nil {
			return err
		}
	}
	// Scraped before the spec goes: its removal is a change of its own.
	parts, err := b.waitSplit(ctx, before, len(all))
	if err != nil {
		return fmt.Errorf("reaction: %w", err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("remove reaction spec: %w", err)
	}
	scen := fmt.Sprintf("reaction (%d edits)", len(all))
	b.addReaction(scen, all, up, down)
	b.addSplit(scen, parts, all)
	return nil
}

// The reaction's goals (issue 14 item 8), in ms: the watcher signals a
// rename into place after ~10 ms (it was 50 ms of quiet).
const reactionP50Goal, reactionP99Goal = 60.0, 150.0

// addReaction adds the headline rows, timed by the benchmark itself: p50
// and p99 of rename → first engine event; min and max are those of the
// edits.
func (b *bench) addReaction(scen string, all, up, down []time.Duration) {
	ms, upMs, downMs := durationsMs(all), durationsMs(up), durationsMs(down)
	sum := func(q float64) Summary {
		return Summary{Min: ms[0], Median: percentile(ms, q), Max: ms[len(ms)-1]}
	}
	metric := "total: rename → first engine event (timed by the bench)"
	p50, p99 := percentile(ms, 50), percentile(ms, 99)
	b.add(Row{Scenario: scen, Metric: metric + ", p50", Unit: "ms", Summary: sum(50),
		Note: fmt.Sprintf("target ≤ %.0f ms: %s; +1 container p50 %.1f ms, −1 p50 %.1f ms; min/max: of the edits", reactionP50Goal, verdict(p50, reactionP50Goal), percentile(upMs, 50), percentile(downMs, 50))})
	b.add(Row{Scenario: scen, Metric: metric + ", p99", Unit: "ms", Summary: sum(99),
		Note: fmt.Sprintf("target ≤ %.0f ms: %s", reactionP99Goal, verdict(p99, reactionP99Goal))})
}
