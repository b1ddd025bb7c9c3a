package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/docker/go-connections/nat"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// appSpec is the spec the scenarios scale: the demo server with a random
// host port and limits, the same settings the SDK baseline uses.
func appSpec(image string, replicas int) string {
	return fmt.Sprintf("image: %s\nmin_replicas: %d\nmax_replicas: %d\nenv: {PORT: \"8080\"}\nports: {\"8080/tcp\": 0}\nresources: {cpu: 100m, memory: 32m}\n",
		image, replicas, replicas)
}

// writeFile writes a spec file atomically (temp file and rename), as git and
// editors do, so the watcher never reads half a file.
func writeFile(path, text string) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		return fmt.Errorf("write spec: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename spec: %w", err)
	}
	return nil
}

// waitRunning polls the engine until want containers of image run for the
// instance, and returns how long that took.
func waitRunning(ctx context.Context, cli *client.Client, instance, image string, want int, within time.Duration) (time.Duration, error) {
	return waitRunningEvery(ctx, cli, instance, image, want, within, 5*time.Millisecond)
}

// waitRunningEvery is waitRunning with a poll interval: a wait that times
// nothing polls slower, since a list of hundreds of containers loads the
// engine that serve is working with.
func waitRunningEvery(ctx context.Context, cli *client.Client, instance, image string, want int, within, every time.Duration) (time.Duration, error) {
	start := time.Now()
	last := -1
	for {
		n, err := countRunning(ctx, cli, instance, image)
		if err != nil {
			return 0, err
		}
		if n == want {
			return time.Since(start), nil
		}
		last = n
		if time.Since(start) > within {
			return 0, fmt.Errorf("%d of %d containers running after %s", last, want, within)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(every):
		}
	}
}

// convergeServe times serve from the write of a spec with n replicas to n
// running containers, reps times, removing the spec (and waiting for 0)
// between repetitions. The last repetition's containers stay: the API
// scenario scales the same spec up from there.
func convergeServe(ctx context.Context, b *bench) ([]float64, error) {
	path := filepath.Join(b.dir, "app.yaml")
	var secs []float64
	for i := 0; i < b.reps; i++ {
		if i > 0 {
			if err := os.Remove(path); err != nil {
				return nil, fmt.Errorf("remove spec: %w", err)
			}
			if _, err := waitRunning(ctx, b.cli, b.run, benchImage, 0, 3*time.Minute); err != nil {
				return nil, fmt.Errorf("scale to 0 after removing the spec: %w", err)
			}
		}
		// Counted from the engine's start events, not by listing: a list
		// every few ms would load the engine serve is racing against,
		// which the SDK loop's timing does not suffer.
		begin := time.Now()
		starts, stop := watchStarts(ctx, b.cli, b.run, benchImage, begin)
		if err := writeFile(path, appSpec(benchImage, b.n)); err != nil {
			stop()
			return nil, err
		}
		d, err := awaitStarts(ctx, starts, begin, b.n, 3*time.Minute)
		stop()
		if err != nil {
			return nil, fmt.Errorf("serve convergence: %w", err)
		}
		if _, err := waitRunning(ctx, b.cli, b.run, benchImage, b.n, time.Minute); err != nil {
			return nil, fmt.Errorf("serve convergence: %w", err)
		}
		secs = append(secs, d.Seconds())
		slog.Info("converge serve", "rep", i+1, "n", b.n, "took", d.Round(time.Millisecond))
	}
	return secs, nil
}

// watchStarts subscribes to the engine's start events of instance's
// containers of image since since (so none is lost while the subscription
// is being set up); stop ends the subscription.
func watchStarts(ctx context.Context, cli *client.Client, instance, image string, since time.Time) (<-chan events.Message, func()) {
	ctx, stop := context.WithCancel(ctx)
	f := filters.NewArgs(
		filters.Arg("type", string(events.ContainerEventType)),
		filters.Arg("event", string(events.ActionStart)),
		filters.Arg("label", engine.LabelInstance+"="+instance),
		filters.Arg("label", engine.LabelImage+"="+image),
	)
	msgs, _ := cli.Events(ctx, events.ListOptions{Filters: f, Since: fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond())})
	return msgs, stop
}

// awaitStarts returns the time from begin until n start events came.
func awaitStarts(ctx context.Context, starts <-chan events.Message, begin time.Time, n int, within time.Duration) (time.Duration, error) {
	deadline := time.After(within)
	for got := 0; got < n; {
		select {
		case <-starts:
			got++
		case <-deadline:
			return 0, fmt.Errorf("%d of %d containers started after %s", got, n, within)
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	return time.Since(begin), nil
}

// convergeLoop is the baseline: a plain SDK loop of create+start of the same
// n containers, par at a time, reps times; the containers carry their own
// instance label, which serve ignores, and are removed between repetitions.
func convergeLoop(ctx context.Context, b *bench, par int) ([]float64, error) {
	instance := fmt.Sprintf("%s-loop", b.run)
	var secs []float64
	for i := 0; i < b.reps; i++ {
		start := time.Now()
		if err := createStart(ctx, b.cli, instance, b.n, par, i); err != nil {
			return nil, err
		}
		d := time.Since(start)
		secs = append(secs, d.Seconds())
		slog.Info("converge SDK loop", "rep", i+1, "n", b.n, "parallel", par, "took", d.Round(time.Millisecond))
		if _, err := removeInstances(ctx, b.cli, func(inst string) bool { return inst == instance }); err != nil {
			return nil, err
		}
	}
	return secs, nil
}

// createStart creates and starts n containers, par at a time, with the
// settings the Docker adapter (engine/docker) gives a container of appSpec.
func createStart(ctx context.Context, cli *client.Client, instance string, n, par, rep int) error {
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for k := 1; k <= n; k++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			name := fmt.Sprintf("%s-%d-%d", instance, rep, k)
			resp, err := cli.ContainerCreate(ctx,
				&container.Config{
					Image: benchImage, Env: []string{"PORT=8080"},
					ExposedPorts: nat.PortSet{"8080/tcp": {}},
					Labels: map[string]string{
						engine.LabelManagedBy: engine.ManagedBy, engine.LabelImage: benchImage, engine.LabelInstance: instance,
					},
				},
				&container.HostConfig{
					PortBindings:  nat.PortMap{"8080/tcp": {{HostPort: ""}}},
					RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyUnlessStopped},
					Resources:     container.Resources{NanoCPUs: 100_000_000, Memory: 32 << 20},
				}, nil, nil, name)
			if err == nil {
				err = cli.ContainerStart(ctx, resp.ID, container.StartOptions{})
			}
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("create+start %s: %w", name, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// runConverge is scenario 1: serve against the SDK loop at b.loopPars at a
// time (4 and 8: one at a time was never the best, and took a minute), the
// best of which is the baseline. The loops go first, so that serve's last
// containers can stay for the API scenario.
func runConverge(ctx context.Context, b *bench) error {
	best, bestPar := Summary{}, 0
	var loops []Row
	for _, par := range b.loopPars {
		secs, err := convergeLoop(ctx, b, par)
		if err != nil {
			return err
		}
		s := summarize(secs)
		loops = append(loops, Row{Scenario: "convergence", Metric: fmt.Sprintf("SDK loop, %d at a time", par), Unit: "s", Summary: s})
		if bestPar == 0 || s.Median < best.Median {
			best, bestPar = s, par
		}
	}
	serve, err := convergeServe(ctx, b)
	if err != nil {
		return err
	}
	sv := summarize(serve)
	b.add(Row{Scenario: "convergence", Metric: fmt.Sprintf("serve: spec with %d replicas → %d running", b.n, b.n), Unit: "s", Summary: sv,
		Note: fmt.Sprintf("ratio %.2f vs best SDK loop (%d at a time); target ≤ 1.10", ratio(sv.Median, best.Median), bestPar)})
	for _, r := range loops {
		if strings.HasSuffix(r.Metric, fmt.Sprintf(" %d at a time", bestPar)) {
			r.Note = "best: the baseline"
		}
		b.add(r)
	}
	return nil
}
