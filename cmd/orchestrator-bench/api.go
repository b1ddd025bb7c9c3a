package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
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
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return fmt.Errorf("request: %w", err)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return fmt.Errorf("GET %s: %w", u, err)
		}
		defer resp.Body.Close()
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			return fmt.Errorf("GET %s: body: %w", u, err)
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", u, resp.Status)
		}
		return nil
	}
}

// runAPI is scenario 4: with m running containers, p50/p99 latency and
// throughput of three endpoints, against the engine's GET /containers/json.
func runAPI(ctx context.Context, b *bench) error {
	m := b.apiN
	if err := writeFile(filepath.Join(b.dir, "app.yaml"), appSpec(benchImage, m)); err != nil {
		return err
	}
	if _, err := waitRunning(ctx, b.cli, b.run, benchImage, m, 5*time.Minute); err != nil {
		return fmt.Errorf("api scenario: scale to %d: %w", m, err)
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: apiClients * 2}}
	base := b.srv.url()
	targets := []struct {
		name string
		call func(context.Context) error
	}{
		{"GET /containers", httpGet(hc, base+"/containers")},
		{"GET /images/{image}/health", httpGet(hc, base+"/images/"+url.PathEscape(benchImage)+"/health")},
		{"GET /images", httpGet(hc, base+"/images")},
		{"engine GET /containers/json (SDK, all=true)", func(ctx context.Context) error {
			_, err := b.cli.ContainerList(ctx, container.ListOptions{All: true})
			return err
		}},
	}
	type agg struct{ p50, p99, rps []float64 }
	res := make([]agg, len(targets))
	for rep := 0; rep < b.reps; rep++ {
		for i, t := range targets {
			l, err := hammer(ctx, b.apiDur, t.call)
			if err != nil {
				return fmt.Errorf("api %s: %w", t.name, err)
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			ms := durationsMs(l.lat)
			if len(ms) == 0 {
				return fmt.Errorf("api %s: no request completed in %s", t.name, b.apiDur)
			}
			res[i].p50 = append(res[i].p50, percentile(ms, 50))
			res[i].p99 = append(res[i].p99, percentile(ms, 99))
			res[i].rps = append(res[i].rps, float64(len(ms))/l.wall.Seconds())
			slog.Info("api", "rep", rep+1, "target", t.name, "requests", len(ms), "p50_ms", percentile(ms, 50), "p99_ms", percentile(ms, 99))
		}
	}
	last := len(targets) - 1
	engine := res[last]
	scen := fmt.Sprintf("api (%d containers, %d clients)", m, apiClients)
	for i, t := range targets {
		p50, p99, rps := summarize(res[i].p50), summarize(res[i].p99), summarize(res[i].rps)
		note := func(own, eng Summary) string {
			if i == last {
				return "baseline"
			}
			return fmt.Sprintf("ratio %.2f vs engine", ratio(own.Median, eng.Median))
		}
		b.add(Row{Scenario: scen, Metric: t.name + " p50", Unit: "ms", Summary: p50, Note: note(p50, summarize(engine.p50))})
		b.add(Row{Scenario: scen, Metric: t.name + " p99", Unit: "ms", Summary: p99, Note: note(p99, summarize(engine.p99))})
		b.add(Row{Scenario: scen, Metric: t.name + " throughput", Unit: "req/s", Summary: rps, Note: note(rps, summarize(engine.rps))})
	}
	return nil
}
