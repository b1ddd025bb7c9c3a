package main

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/docker/docker/api/types/events"
)

// gitPollInterval is serve's --git-interval in the polling scenario.
const gitPollInterval = time.Second

// pushed is what the push scenarios measure of their edits: each edit's
// parts (its total is the push's start → the first engine event of its
// change), and the totals by direction.
type pushed struct {
	edits    []editSplit
	up, down []time.Duration
}

// totals are the edits' totals.
func (p pushed) totals() []time.Duration {
	ds := make([]time.Duration, len(p.edits))
	for i, e := range p.edits {
		ds[i] = e.total
	}
	return ds
}

// pushEdits makes n edits of g's spec (min_replicas 1 ↔ 2, one line), each
// a commit in the bench's clone, pushed to the remote, then announced by a
// signed webhook when g has a secret. Each is timed from the push's start
// to the first engine event about g's containers at or after it, the
// moment the engine hears of the change, as in the reaction scenario;
// committing is the person's local step and is not timed. pause(i), when
// not nil, is waited between the commit and the push.
func pushEdits(ctx context.Context, b *bench, g *gitServe, n int, pause func(i int) time.Duration) (pushed, error) {
	var res pushed
	evCtx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the subscription
	evs := watchEvents(evCtx, b.cli, g.instance, g.image)
	swaps, err := watchSwaps(g.checkout)
	if err != nil {
		return pushed{}, err
	}
	defer swaps.close()
	for i := range n {
		want := 3 - g.replicas // 1 ↔ 2
		fail := func(err error) (pushed, error) {
			return pushed{}, fmt.Errorf("git %s: edit %d (min %d): %w (log %s)", g.mode, i+1, want, err, g.logPath)
		}
		if err := g.remote.commit(gitSpecFile, scaleSpec(g.image, want), fmt.Sprintf("min_replicas %d", want)); err != nil {
			return fail(err)
		}
		if pause != nil {
			select {
			case <-ctx.Done():
				return pushed{}, ctx.Err()
			case <-time.After(pause(i)):
			}
		}
		var t editTimes
		t.start = time.Now()
		if err := g.remote.push(ctx); err != nil {
			return fail(err)
		}
		t.pushed = time.Now()
		t.announced = t.pushed
		if g.secret != "" {
			if err := postHook(ctx, b.hc, g.srv.url(), g.secret); err != nil {
				return fail(err)
			}
			t.announced = time.Now()
		}
		first, err := evs.next(ctx, t.start, 30*time.Second)
		if err != nil {
			return fail(err)
		}
		t.event = time.Unix(0, first.TimeNano)
		// The swap came before the event (the watcher reads the new
		// revision): it waits in the channel.
		if t.swapped, err = swaps.next(ctx, t.start, 5*time.Second); err != nil {
			return fail(err)
		}
		total := t.event.Sub(t.start)
		// Done when the engine has started the new container or destroyed
		// the old one, and the count is right.
		last := events.ActionStart
		if want == 1 {
			last = events.ActionDestroy
		}
		if first.Action != last {
			if err := evs.until(ctx, last, t.start, 30*time.Second); err != nil {
				return fail(err)
			}
		}
		if _, err := waitRunning(ctx, b.cli, g.instance, g.image, want, 30*time.Second); err != nil {
			return fail(err)
		}
		g.replicas = want
		res.edits = append(res.edits, t.split())
		if want == 2 {
			res.up = append(res.up, total)
		} else {
			res.down = append(res.down, total)
		}
		slog.Debug("git push", "mode", g.mode, "edit", i+1, "min", want, "event", first.Action, "total", total)
		// As in the reaction scenario: the passes after the events end
		// before the next edit; the min-ready pass is not waited for.
		if _, err := g.px.waitQuiet(ctx, 100*time.Millisecond, 0, 5*time.Second); err != nil {
			return pushed{}, err
		}
	}
	return res, nil
}

// spread is the pause before the i-th push of the polling scenario: a
// fraction of the interval that differs for every i. Each edit takes
// about as long as the one before, so without it every push would land at
// the same phase of serve's fetch ticker, and the scenario would measure
// one point of the interval again and again, not the wait a push has on
// average. The fractions i·(golden ratio) mod 1 cover [0, 1) evenly for
// any number of edits, without randomness.
func spread(i int, interval time.Duration) time.Duration {
	_, frac := math.Modf(float64(i) * (math.Sqrt(5) - 1) / 2)
	return time.Duration(frac * float64(interval))
}

// runGitWebhook is git scenario 1, on the webhook serve of runGit:
// b.gitEdits pushes, each announced by a webhook.
func runGitWebhook(ctx context.Context, b *bench, g *gitServe) error {
	res, err := pushEdits(ctx, b, g, b.gitEdits, nil)
	if err != nil {
		return err
	}
	ms := durationsMs(res.totals())
	p50, p99 := percentile(ms, 50), percentile(ms, 99)
	scen := fmt.Sprintf("git push → engine, webhook (%d edits)", len(ms))
	metric := "push start → first engine event (--git-interval 0, signed POST /hooks/git after the push)"
	b.add(Row{Scenario: scen, Metric: metric + ", p50", Unit: "ms", Summary: Summary{Min: ms[0], Median: p50, Max: ms[len(ms)-1]},
		Note: fmt.Sprintf("target ≤ 300 ms: %s; +1 container p50 %.1f ms, −1 p50 %.1f ms; %s; min/max: of the edits",
			verdict(p50, 300), percentile(durationsMs(res.up), 50), percentile(durationsMs(res.down), 50), splitNote(res.edits, true))})
	b.add(Row{Scenario: scen, Metric: metric + ", p99", Unit: "ms", Summary: Summary{Min: ms[0], Median: p99, Max: ms[len(ms)-1]},
		Note: fmt.Sprintf("target ≤ 600 ms: %s", verdict(p99, 600))})
	return nil
}

// runGitPoll is git scenario 2, on the serve of runGit that polls the
// remote every gitPollInterval and has no webhook: b.gitPollEdits pushes,
// spread over the interval.
func runGitPoll(ctx context.Context, b *bench, g *gitServe) error {
	res, err := pushEdits(ctx, b, g, b.gitPollEdits, func(i int) time.Duration { return spread(i, gitPollInterval) })
	if err != nil {
		return err
	}
	ms := durationsMs(res.totals())
	p50 := percentile(ms, 50)
	scen := fmt.Sprintf("git push → engine, polling (%d edits)", len(ms))
	b.add(Row{Scenario: scen, Metric: fmt.Sprintf("push start → first engine event (--git-interval %s, no webhook), p50", gitPollInterval), Unit: "ms",
		Summary: Summary{Min: ms[0], Median: p50, Max: ms[len(ms)-1]},
		Note: fmt.Sprintf("target ≤ 1200 ms: %s; p99 %.0f ms; pushes spread over the interval (half of it is the expected wait for the next fetch); %s; min/max: of the edits",
			verdict(p50, 1200), percentile(ms, 99), splitNote(res.edits, false))})
	return nil
}
