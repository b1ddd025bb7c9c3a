package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
)

// apiClients is how many clients call an endpoint at once.
const apiClients = 4

// load is the outcome of one endpoint under load: every request's latency.
type load struct {
	lat  []time.Duration
	wall time.Duration
}

// hammer calls call from apiClients goroutines for d and records latencies.
func hammer(ctx context.Context, d time.Duration, call func(context.Context) error) (load, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	var all []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for range apiClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for ctx.Err() == nil {
				t := time.Now()
				err := call(ctx)
				if ctx.Err() != nil {
					break // cut off by the end of the window
				}
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					cancel()
					break
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return load{lat: all, wall: time.Since(start)}, firstErr
}

// httpGet returns a call that GETs u and reads the whole body.
func httpGet(hc *http.Client, u string) func(context.Context) error {
	return func(ctx context.Context) error {
		return get(ctx, hc, u, func(body io.Reader) error {
			_, err := io.Copy(io.Discard, body)
			return err
		})
	}
}

// get GETs u, and hands read the body of a 200.
func get(ctx context.Context, hc *http.Client, u string, read func(io.Reader) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("request: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body) // the connection is reused
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	if err := read(resp.Body); err != nil {
		return fmt.Errorf("GET %s: body: %w", u, err)
	}
	return nil
}

// target is an endpoint under load: a name and one call of it.
type target struct {
	name string
	call func(context.Context) error
}

// runAPI is scenario 4: with m running containers (the convergence
// scenario's spec, scaled up), p50/p99 latency and throughput of three
// endpoints, against the engine's GET /containers/json.
func runAPI(ctx context.Context, b *bench) error {
	m := b.apiN
	if err := writeFile(filepath.Join(b.dir, "app.yaml"), appSpec(benchImage, m)); err != nil {
		return err
	}
	if _, err := waitRunning(ctx, b.cli, b.run, benchImage, m, 5*time.Minute); err != nil {
		return fmt.Errorf("api scenario: scale to %d: %w", m, err)
	}
	base := b.srv.url()
	targets := []target{
		{"GET /containers", httpGet(b.hc, base+"/containers")},
		{"GET /images/{image}/health", httpGet(b.hc, base+"/images/"+url.PathEscape(benchImage)+"/health")},
		{"GET /images", httpGet(b.hc, base+"/images")},
		engineList(b),
	}
	scen := fmt.Sprintf("api (%d containers, %d clients)", m, apiClients)
	return measureAPI(ctx, b, scen, targets, b.reps, b.apiDur, map[string]string{"GET /containers p50": "target ≤ 5 ms at 400 containers"})
}

// runAPIAt400 is scenario 4's target measured where it is set: GET
// /containers with the idle scenario's containers running, against the
// engine's own list.
func runAPIAt400(ctx context.Context, b *bench, running int) error {
	targets := []target{{"GET /containers", httpGet(b.hc, b.srv.url()+"/containers")}, engineList(b)}
	scen := fmt.Sprintf("api, idle setup (%d containers, %d clients)", running, apiClients)
	return measureAPI(ctx, b, scen, targets, b.reps400, b.apiDur400, map[string]string{"GET /containers p50": "target ≤ 5 ms at 400 containers"})
}

// engineList is the baseline target: the engine's own list of every
// container, through the SDK, as serve's GET /containers answered it
// before it had a cache.
func engineList(b *bench) target {
	return target{"engine GET /containers/json (SDK, all=true)", func(ctx context.Context) error {
		_, err := b.cli.ContainerList(ctx, container.ListOptions{All: true})
		return err
	}}
}

// measureAPI calls each target once, then hammers it for dur, reps
// times, and adds rows of p50, p99 and throughput; the last target is the
// baseline the others are compared with. goals adds a target to a row's
// note, by "name p50".
func measureAPI(ctx context.Context, b *bench, scen string, targets []target, reps int, dur time.Duration, goals map[string]string) error {
	type agg struct{ p50, p99, rps []float64 }
	res := make([]agg, len(targets))
	// One untimed call each first: the first read of an image's health
	// starts the sampler's lease on it and waits for its first round,
	// which the steady state does not; its time goes into the note.
	first := make([]time.Duration, len(targets))
	for i, t := range targets {
		start := time.Now()
		if err := t.call(ctx); err != nil {
			return fmt.Errorf("api %s: warm-up: %w", t.name, err)
		}
		first[i] = time.Since(start)
	}
	for rep := 0; rep < reps; rep++ {
		for i, t := range targets {
			l, err := hammer(ctx, dur, t.call)
			if err != nil {
				return fmt.Errorf("api %s: %w", t.name, err)
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			ms := durationsMs(l.lat)
			if len(ms) == 0 {
				return fmt.Errorf("api %s: no request completed in %s", t.name, dur)
			}
			res[i].p50 = append(res[i].p50, percentile(ms, 50))
			res[i].p99 = append(res[i].p99, percentile(ms, 99))
			res[i].rps = append(res[i].rps, float64(len(ms))/l.wall.Seconds())
			slog.Info("api", "scenario", scen, "rep", rep+1, "target", t.name, "requests", len(ms), "p50_ms", percentile(ms, 50), "p99_ms", percentile(ms, 99))
		}
	}
	last := len(targets) - 1
	engine := res[last]
	for i, t := range targets {
		p50, p99, rps := summarize(res[i].p50), summarize(res[i].p99), summarize(res[i].rps)
		note := func(metric string, own, eng Summary) string {
			if i == last {
				return "baseline"
			}
			n := fmt.Sprintf("ratio %.2f vs engine", ratio(own.Median, eng.Median))
			if g := goals[metric]; g != "" {
				n += "; " + g
			}
			if strings.HasSuffix(metric, " p50") {
				n += fmt.Sprintf("; first (untimed) request %.1f ms", float64(first[i])/float64(time.Millisecond))
			}
			return n
		}
		b.add(Row{Scenario: scen, Metric: t.name + " p50", Unit: "ms", Summary: p50, Note: note(t.name+" p50", p50, summarize(engine.p50))})
		b.add(Row{Scenario: scen, Metric: t.name + " p99", Unit: "ms", Summary: p99, Note: note(t.name+" p99", p99, summarize(engine.p99))})
		b.add(Row{Scenario: scen, Metric: t.name + " throughput", Unit: "req/s", Summary: rps, Note: note(t.name+" throughput", rps, summarize(engine.rps))})
	}
	return nil
}
