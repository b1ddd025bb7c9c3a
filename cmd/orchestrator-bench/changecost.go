package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/orchestrator/orchestrator/api/wire"
)

// stoppedSpec is the i-th padding spec: stopped, so serve keeps one
// created container of it that never runs (a stopped spec's containers
// exist, since issue 17). Once that exists the spec costs no engine call,
// but serve loads, validates and plans it on every pass. Its image is a
// local tag: a missing one would be pulled, and retried, forever.
func stoppedSpec(i int) string {
	return fmt.Sprintf("image: %s\nmin_replicas: 1\nmax_replicas: 1\nenv: {PORT: \"8080\"}\nports: {\"8080/tcp\": 0}\nresources: {cpu: 100m, memory: 32m, status: stopped}\n", stoppedImage(i))
}

// change is a single-line edit of an idle spec: min_replicas from → to.
type change struct{ from, to int }

// runChangeCost is scenario 5's second half: the engine calls of one
// single-line change of one spec file (b.changes: min_replicas 2 → 1 of an
// idle spec, then back), with b.changeSmall and then b.changeLarge spec
// files in the directory, the idle specs padded with stopped ones. A pass
// lists the containers once whatever the files, so the counts should not
// move.
func runChangeCost(ctx context.Context, b *bench) error {
	stopped := 0
	for k, size := range []int{b.changeSmall, b.changeLarge} {
		start := time.Now()
		for ; b.idleSpecs+stopped < size; stopped++ {
			if err := b.tag(ctx, stoppedImage(stopped)); err != nil {
				return err
			}
			if err := writeFile(filepath.Join(b.dir, fmt.Sprintf("stopped-%04d.yaml", stopped)), stoppedSpec(stopped)); err != nil {
				return err
			}
		}
		files, err := specFiles(b.dir)
		if err != nil {
			return err
		}
		// Serve creates the stopped specs' containers, --parallelism at a
		// time: a generous limit, since this wait times nothing.
		if err := b.waitSynced(ctx, files, 10*time.Minute); err != nil {
			return err
		}
		slog.Info("change cost: every spec synced", "files", files, "stopped_specs", stopped, "took", time.Since(start).Round(time.Millisecond))
		if _, err := b.px.waitQuiet(ctx, time.Second, serveMinReady+time.Second, 30*time.Second); err != nil {
			return err
		}
		// Each size edits its own file, which starts at idleReplicas.
		i := k % b.idleSpecs
		for _, c := range b.changes {
			calls, took, err := measureChange(ctx, b, i, c.to)
			if err != nil {
				return fmt.Errorf("change with %d files: %w", files, err)
			}
			own := calls.Without(steady)
			slog.Info("change cost", "files", files, "min_replicas", fmt.Sprintf("%d→%d", c.from, c.to), "calls", own, "window", took.Round(time.Millisecond), "by_endpoint", calls.Format(0))
			note := fmt.Sprintf("target O(1); %.1f s from the rename to quiet; by endpoint: %s", took.Seconds(), calls.Format(0))
			if s := calls[epStats]; s > 0 {
				note += fmt.Sprintf(" (the sampler's %d stats calls are not counted)", s)
			}
			what := "+1 container"
			if c.to < c.from {
				what = "−1 container"
			}
			b.add(Row{Scenario: "directory scale", Metric: fmt.Sprintf("engine calls: min_replicas %d→%d (%s), %d files", c.from, c.to, what, files),
				Unit: "calls", Summary: summarize([]float64{float64(own)}), Note: note})
		}
	}
	return nil
}

// measureChange writes idle spec i with min_replicas to (one line differs)
// and counts the engine calls serve makes from the rename until the change
// has converged and serve is quiet again, min-ready pass included.
func measureChange(ctx context.Context, b *bench, i, to int) (Counts, time.Duration, error) {
	before := b.px.snapshot()
	start := time.Now()
	if err := writeFile(filepath.Join(b.dir, idleFile(i)), idleSpec(idleImage(i), to)); err != nil {
		return nil, 0, err
	}
	if _, err := waitRunningEvery(ctx, b.cli, b.run, idleImage(i), to, time.Minute, 50*time.Millisecond); err != nil {
		return nil, 0, err
	}
	quiet, err := b.px.waitQuiet(ctx, time.Second, serveMinReady+time.Second, 30*time.Second)
	if err != nil {
		return nil, 0, err
	}
	if !quiet {
		return nil, 0, fmt.Errorf("serve not quiet for 1 s within 30 s of the change")
	}
	return b.px.snapshot().Sub(before), time.Since(start), nil
}

// waitSynced polls GET /status until serve's last pass had want specs,
// every one synced: serve has read every file, and made the stopped specs'
// containers.
func (b *bench) waitSynced(ctx context.Context, want int, within time.Duration) error {
	deadline := time.After(within)
	for {
		var st wire.StatusList
		if err := getJSON(ctx, b.hc, b.srv.url()+"/status", &st); err != nil {
			return err
		}
		synced := 0
		for _, s := range st.Specs {
			if s.Synced {
				synced++
			}
		}
		if len(st.Specs) == want && synced == want {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return fmt.Errorf("GET /status: %d specs, %d synced, not %d, within %s; errors %q (log %s)", len(st.Specs), synced, want, within, st.Errors, b.logPath)
		case <-time.After(100 * time.Millisecond): // poll interval: /status encodes every spec
		}
	}
}

// getJSON GETs u and decodes its JSON body into v.
func getJSON(ctx context.Context, hc *http.Client, u string, v any) error {
	return get(ctx, hc, u, func(body io.Reader) error { return json.NewDecoder(body).Decode(v) })
}

// specFiles counts the spec files in dir (one spec each).
func specFiles(dir string) (int, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("read state dir: %w", err)
	}
	n := 0
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".yaml") && !strings.HasPrefix(e.Name(), ".") {
			n++
		}
	}
	return n, nil
}
