package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// idleReplicas is the count of every idle spec: no room to scale, so no
// autoscaler, and nothing for serve to do once they run.
const idleReplicas = 2

// idleWindows is how many windows the idle time is cut into: min, median
// and max of the windows show how steady the idle cost is.
const idleWindows = 3

// idleSpec is the idle scenario's spec of image at min replicas: max is
// idleReplicas, and the autoscaler off, so that a change of min_replicas
// alone (one line) sets the count.
func idleSpec(image string, replicas int) string {
	return fmt.Sprintf("image: %s\nmin_replicas: %d\nmax_replicas: %d\nenv: {PORT: \"8080\"}\nports: {\"8080/tcp\": 0}\nresources: {cpu: 100m, memory: 32m}\nautoscale: {enabled: false}\n",
		image, replicas, idleReplicas)
}

// idleFile is the name of the idle scenario's i-th spec file.
func idleFile(i int) string { return fmt.Sprintf("idle-%03d.yaml", i) }

// window is what serve cost during one idle window.
type window struct {
	secs    float64 // its length
	cpu     float64 // serve's CPU seconds in it
	peakRSS int64   // the highest VmRSS sampled in it, bytes
	calls   Counts  // engine calls in it
}

// runIdle is scenario 3: with b.idleSpecs specs of idleReplicas containers
// running and nothing changing, serve's CPU, resident memory and engine
// calls per second over b.idleDur. It returns how many containers run, for
// the scenarios that reuse the setup.
func runIdle(ctx context.Context, b *bench) (int, error) {
	n, want := b.idleSpecs, b.idleSpecs*idleReplicas
	for i := range n {
		if err := b.tag(ctx, idleImage(i)); err != nil {
			return 0, err
		}
	}
	start := time.Now()
	for i := range n {
		if err := writeFile(filepath.Join(b.dir, idleFile(i)), idleSpec(idleImage(i), idleReplicas)); err != nil {
			return 0, err
		}
	}
	if err := waitIdleRunning(ctx, b, want, 10*time.Minute); err != nil {
		return 0, err
	}
	setup := time.Since(start)
	slog.Info("idle: all running", "specs", n, "containers", want, "took", setup.Round(time.Millisecond))
	// The starts' passes and the min-ready passes after them end first.
	quiet, err := b.px.waitQuiet(ctx, 3*time.Second, serveMinReady+time.Second, 20*time.Second)
	if err != nil {
		return 0, err
	}
	settled := time.Since(start) - setup
	if !quiet {
		slog.Warn("idle: serve never quiet for 3 s; measuring anyway", "waited", settled.Round(time.Millisecond))
	}

	pid := b.srv.cmd.Process.Pid
	var ws []window
	for i := range idleWindows {
		w, err := measureWindow(ctx, b.px, pid, b.idleDur/idleWindows)
		if err != nil {
			return 0, err
		}
		slog.Info("idle window", "window", i+1, "cpu_s", w.cpu, "peak_rss_mib", mib(w.peakRSS), "calls", w.calls.Total())
		ws = append(ws, w)
	}
	_, hwm, err := procMem(pid)
	if err != nil {
		return 0, err
	}
	b.addIdle(ws, hwm, setup, settled, quiet)
	return want, nil
}

// waitIdleRunning polls until want containers of the idle images run and
// no other spec's container than keep's does. The poll is slow on purpose:
// a list of 400 containers is work for the engine that serve is waiting on.
func waitIdleRunning(ctx context.Context, b *bench, want int, within time.Duration) error {
	f := filters.NewArgs(filters.Arg("label", engine.LabelInstance+"="+b.run), filters.Arg("status", "running"))
	deadline := time.Now().Add(within)
	logAt := time.Now().Add(15 * time.Second)
	for {
		list, err := b.cli.ContainerList(ctx, container.ListOptions{Filters: f})
		if err != nil {
			return fmt.Errorf("list containers: %w", err)
		}
		idle, other := 0, 0
		for _, c := range list {
			switch img := c.Labels[engine.LabelImage]; {
			case strings.HasPrefix(img, "orchestrator-bench:idle-"):
				idle++
			case img != keepImage:
				other++
			}
		}
		if idle == want && other == 0 {
			return nil
		}
		if time.Now().After(logAt) {
			slog.Info("idle: waiting", "running", idle, "want", want, "others", other)
			logAt = time.Now().Add(15 * time.Second)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("idle: %d of %d running (%d others) after %s", idle, want, other, within)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond): // poll interval
		}
	}
}

// measureWindow measures serve (pid) for d: CPU from /proc, VmRSS every
// second, engine calls from the proxy.
func measureWindow(ctx context.Context, px *proxy, pid int, d time.Duration) (window, error) {
	c0 := px.snapshot()
	cpu0, err := procCPU(pid)
	if err != nil {
		return window{}, err
	}
	start := time.Now()
	var peak int64
	sample := func() error {
		rss, _, err := procMem(pid)
		peak = max(peak, rss)
		return err
	}
	if err := sample(); err != nil {
		return window{}, err
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	end := time.After(d)
	for done := false; !done; {
		select {
		case <-ctx.Done():
			return window{}, ctx.Err()
		case <-tick.C:
			if err := sample(); err != nil {
				return window{}, err
			}
		case <-end:
			done = true
		}
	}
	cpu1, err := procCPU(pid)
	if err != nil {
		return window{}, err
	}
	if err := sample(); err != nil {
		return window{}, err
	}
	return window{secs: time.Since(start).Seconds(), cpu: (cpu1 - cpu0).Seconds(), peakRSS: peak, calls: px.snapshot().Sub(c0)}, nil
}

// addIdle adds the idle rows: one value per window.
func (b *bench) addIdle(ws []window, hwm int64, setup, settled time.Duration, quiet bool) {
	var cpu, rss, rate []float64
	var secs, cpuSecs float64
	all := Counts{}
	for _, w := range ws {
		cpu = append(cpu, 100*w.cpu/w.secs)
		rss = append(rss, mib(w.peakRSS))
		rate = append(rate, float64(w.calls.Total())/w.secs)
		secs += w.secs
		cpuSecs += w.cpu
		for k, v := range w.calls {
			all[k] += v
		}
	}
	n := b.idleSpecs * idleReplicas
	scen := fmt.Sprintf("idle (%d specs, %d containers)", b.idleSpecs, n)
	per := fmt.Sprintf("%d windows of %.0f s", len(ws), secs/float64(len(ws)))
	b.add(Row{Scenario: scen, Metric: "serve CPU", Unit: "% core", Summary: summarize(cpu),
		Note: fmt.Sprintf("target ≤ 0.5 %%; %.2f CPU-s in %.0f s (%s)", cpuSecs, secs, per)})
	b.add(Row{Scenario: scen, Metric: "serve peak RSS (VmRSS each second)", Unit: "MiB", Summary: summarize(rss),
		Note: fmt.Sprintf("target ≤ 60 MiB; VmHWM (peak since start, incl. earlier scenarios) %.1f MiB", mib(hwm))})
	b.add(Row{Scenario: scen, Metric: "engine calls by serve (counting proxy)", Unit: "calls/s", Summary: summarize(rate),
		Note: fmt.Sprintf("target ≤ 2/s; by endpoint: %s", all.Format(secs))})
	q := "quiet"
	if !quiet {
		q = "never quiet for 3 s"
	}
	b.add(Row{Scenario: scen, Metric: fmt.Sprintf("setup: %d specs written → %d running", b.idleSpecs, n), Unit: "s", Summary: summarize([]float64{setup.Seconds()}),
		Note: fmt.Sprintf("then %s after %.1f s (no engine call for 3 s, min-ready pass done); polled every 0.5 s", q, settled.Seconds())})
}

// mib is bytes in MiB.
func mib(b int64) float64 { return float64(b) / (1 << 20) }
