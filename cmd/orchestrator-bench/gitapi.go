package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/orchestrator/orchestrator/api/wire"
)

// plainImage is the spec the git API scenario scales on the run's own
// serve, without git: the baseline of the same call.
const plainImage = "orchestrator-bench:scale-plain"

// plainFile is its file in the state dir.
const plainFile = "scale-plain.yaml"

// runGit is the git scenarios (issue 12): a push → the engine through a
// webhook, then an API scale with commit and push against the same call
// without git, on one serve --git; then a push → the engine through
// polling, on a second one. Each serve --git is stopped, and its
// containers removed, before the next scenario begins.
func runGit(ctx context.Context, b *bench) error {
	// Left by the scenarios before, or by main when they were not run: the
	// run's own serve has nothing else to do in the baseline.
	for _, f := range []string{"app.yaml", reactionFile} {
		if err := os.Remove(filepath.Join(b.dir, f)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove %s: %w", f, err)
		}
	}
	// The baseline's spec starts first: its min-ready pass ends while the
	// serve --git starts.
	if err := b.tag(ctx, plainImage); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(b.dir, plainFile), scaleSpec(plainImage, 1)); err != nil {
		return err
	}
	g, err := startGitServe(ctx, b, "webhook", true, "--git-interval", "0")
	if err != nil {
		return err
	}
	for image, want := range map[string]int{benchImage: 0, reactionImage: 0, plainImage: 1} {
		if _, err := waitRunning(ctx, b.cli, b.run, image, want, 3*time.Minute); err != nil {
			return fmt.Errorf("git setup: %s: %w", image, err)
		}
	}
	if _, err := b.px.waitQuiet(ctx, 300*time.Millisecond, serveMinReady+time.Second, 30*time.Second); err != nil {
		return err
	}
	if err := runGitWebhook(ctx, b, g); err != nil {
		return err
	}
	if err := runGitAPI(ctx, b, g); err != nil {
		return err
	}
	if err := g.finish(ctx, b); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(b.dir, plainFile)); err != nil {
		return fmt.Errorf("remove %s: %w", plainFile, err)
	}
	if _, err := waitRunningEvery(ctx, b.cli, b.run, plainImage, 0, time.Minute, 50*time.Millisecond); err != nil {
		return fmt.Errorf("git: remove the baseline's spec: %w", err)
	}
	return runGitPoll(ctx, b)
}

// scaler is one side of the API comparison: a serve, its proxy and the
// image it scales.
type scaler struct {
	base, image string
	px          *proxy
	replicas    int
	lat         []time.Duration
}

// runGitAPI is git scenario 3: b.gitCalls calls of POST
// /images/{image}/scale (min_replicas 1 ↔ 2) on serve --git, each a commit
// pushed to the remote before the file is written, and as many on the
// run's own serve without git, interleaved (the machine's noise falls on
// both alike). Each call answers once its reconcile pass is done, so the
// latency holds the engine's create or remove as well: the same for both.
func runGitAPI(ctx context.Context, b *bench, g *gitServe) error {
	from, err := g.remote.head()
	if err != nil {
		return err
	}
	withGit := &scaler{base: g.srv.url(), image: g.image, px: g.px, replicas: g.replicas}
	plain := &scaler{base: b.srv.url(), image: plainImage, px: b.px, replicas: 1}
	for i := range b.gitCalls {
		// Which goes first alternates: a call right after the other's may
		// find the engine still busy with it.
		pair := []*scaler{withGit, plain}
		if i%2 == 1 {
			pair[0], pair[1] = plain, withGit
		}
		for _, s := range pair {
			if err := s.call(ctx, b.hc); err != nil {
				return err
			}
		}
	}
	g.replicas = withGit.replicas
	// Every call is one commit on the remote, or the latency is not what
	// it claims to be.
	commits, err := g.remote.commitsSince(from)
	if err != nil {
		return err
	}
	if commits != b.gitCalls {
		return fmt.Errorf("git api: %d calls on serve --git, but %d commits reached the remote (log %s)", b.gitCalls, commits, g.logPath)
	}
	gms, pms := durationsMs(withGit.lat), durationsMs(plain.lat)
	gp50, pp50 := percentile(gms, 50), percentile(pms, 50)
	r := ratio(gp50, pp50)
	scen := fmt.Sprintf("git: API scale (%d calls each, interleaved)", b.gitCalls)
	b.add(Row{Scenario: scen, Metric: "POST /images/{image}/scale, serve --git (a commit pushed per call), p50", Unit: "ms",
		Summary: Summary{Min: gms[0], Median: gp50, Max: gms[len(gms)-1]},
		Note: fmt.Sprintf("ratio %.2f vs without git; target ratio ≤ 3: %s, p50 ≤ 150 ms: %s; p99 %.1f ms; min/max: of the calls",
			r, verdict(r, 3), verdict(gp50, 150), percentile(gms, 99))})
	b.add(Row{Scenario: scen, Metric: "POST /images/{image}/scale, serve without git (the run's own), p50", Unit: "ms",
		Summary: Summary{Min: pms[0], Median: pp50, Max: pms[len(pms)-1]},
		Note:    fmt.Sprintf("baseline; p99 %.1f ms", percentile(pms, 99))})
	return nil
}

// call scales s's image to the other count, min_replicas 1 ↔ 2 at
// max_replicas 2, times the call, and waits until its serve is quiet.
func (s *scaler) call(ctx context.Context, hc *http.Client) error {
	want := 3 - s.replicas
	body, err := json.Marshal(wire.Replicas{MinReplicas: want, MaxReplicas: 2})
	if err != nil {
		return err
	}
	u := s.base + "/images/" + url.PathEscape(s.image) + "/scale"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("scale request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("POST %s: %w", u, err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s (min %d): %s: %s", u, want, resp.Status, bytes.TrimSpace(data))
	}
	s.lat = append(s.lat, took)
	s.replicas = want
	slog.Debug("git api", "image", s.image, "min", want, "took", took)
	_, err = s.px.waitQuiet(ctx, 100*time.Millisecond, 0, 5*time.Second)
	return err
}
