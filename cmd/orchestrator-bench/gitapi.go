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
	"time"

	"github.com/orchestrator/orchestrator/api/wire"
)

// plainImage is the spec the git API scenario scales on the run's own
// serve, without git: the baseline of the same call.
const plainImage = "orchestrator-bench:scale-plain"

// plainFile is its file in the state dir.
const plainFile = "scale-plain.yaml"

// scaleStep is one call of the API scenario: the counts it asks for, and
// whether the engine has work to do for it.
type scaleStep struct {
	min, max int
	engine   bool
}

// scaleRound is one round of calls on each serve, from min 1 max 2 back
// to it: the count up and down (min_replicas 1 ↔ 2: the engine creates,
// then removes, a container), then a write the engine never hears of
// (max_replicas 2 ↔ 3 at min 1, with the autoscaler off: no container
// changes, and max is not in the containers' hash). The first kind is
// what a user waits for; the second is the write path alone (the API, the
// commit and push, the file, one pass), which the engine's create time
// would otherwise hide.
var scaleRound = []scaleStep{{2, 2, true}, {1, 2, true}, {1, 3, false}, {1, 2, false}}

// scaler is one side of the API comparison: a serve, its proxy, the
// image it scales, and the latencies of its calls by kind.
type scaler struct {
	base, image      string
	px               *proxy
	engine, noEngine []time.Duration
}

// runGitAPI is git scenario 3: b.gitCalls calls of each kind of
// scaleRound's (rounded up to whole rounds) of POST /images/{image}/scale
// on serve --git, each a commit pushed to the remote before the file is
// written, and as many on the run's own serve without git, interleaved
// (the machine's noise falls on both alike). A call answers once its
// reconcile pass is done: with the engine's create or remove when the
// count changes, the same for both serves.
func runGitAPI(ctx context.Context, b *bench, g *gitServe) error {
	if g.replicas != 1 {
		return fmt.Errorf("git api: the spec is at min %d, not 1", g.replicas)
	}
	from, err := g.remote.head()
	if err != nil {
		return err
	}
	withGit := &scaler{base: g.srv.url(), image: g.image, px: g.px}
	plain := &scaler{base: b.srv.url(), image: plainImage, px: b.px}
	rounds := (b.gitCalls + 1) / 2
	for r := range rounds {
		for k, step := range scaleRound {
			// Which goes first alternates: a call right after the other's
			// may find the engine still busy with it.
			pair := []*scaler{withGit, plain}
			if (r+k)%2 == 1 {
				pair[0], pair[1] = plain, withGit
			}
			for _, s := range pair {
				if err := s.call(ctx, b.hc, step); err != nil {
					return err
				}
			}
		}
	}
	// Every call is one commit on the remote, or the latency is not what
	// it claims to be.
	calls := rounds * len(scaleRound)
	commits, err := g.remote.commitsSince(from)
	if err != nil {
		return err
	}
	if commits != calls {
		return fmt.Errorf("git api: %d calls on serve --git, but %d commits reached the remote (log %s)", calls, commits, g.logPath)
	}
	scen := fmt.Sprintf("git: API scale (%d calls of each kind on each serve, interleaved)", len(withGit.engine))
	b.addScale(scen, "the count changes (min_replicas 1↔2: the engine creates or removes a container)", withGit.engine, plain.engine)
	b.addScale(scen, "no engine action (max_replicas 2↔3 at min 1)", withGit.noEngine, plain.noEngine)
	return nil
}

// addScale adds the rows of one kind of call: serve --git against the
// baseline, with the targets (ratio ≤ 3, p50 ≤ 150 ms).
func (b *bench) addScale(scen, kind string, withGit, plain []time.Duration) {
	gms, pms := durationsMs(withGit), durationsMs(plain)
	gp50, pp50 := percentile(gms, 50), percentile(pms, 50)
	r := ratio(gp50, pp50)
	b.add(Row{Scenario: scen, Metric: "POST /images/{image}/scale, " + kind + ", serve --git (a commit pushed per call), p50", Unit: "ms",
		Summary: Summary{Min: gms[0], Median: gp50, Max: gms[len(gms)-1]},
		Note: fmt.Sprintf("ratio %.2f vs without git (%+.1f ms); target ratio ≤ 3: %s, p50 ≤ 150 ms: %s; p99 %.1f ms; min/max: of the calls",
			r, gp50-pp50, verdict(r, 3), verdict(gp50, 150), percentile(gms, 99))})
	b.add(Row{Scenario: scen, Metric: "POST /images/{image}/scale, " + kind + ", serve without git (the run's own), p50", Unit: "ms",
		Summary: Summary{Min: pms[0], Median: pp50, Max: pms[len(pms)-1]},
		Note:    fmt.Sprintf("baseline; p99 %.1f ms", percentile(pms, 99))})
}

// call makes step's call on s's image, times it, and waits until its
// serve is quiet.
func (s *scaler) call(ctx context.Context, hc *http.Client, step scaleStep) error {
	body, err := json.Marshal(wire.Replicas{MinReplicas: step.min, MaxReplicas: step.max})
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
		return fmt.Errorf("POST %s (min %d, max %d): %s: %s", u, step.min, step.max, resp.Status, bytes.TrimSpace(data))
	}
	if step.engine {
		s.engine = append(s.engine, took)
	} else {
		s.noEngine = append(s.noEngine, took)
	}
	slog.Debug("git api", "image", s.image, "min", step.min, "max", step.max, "took", took)
	_, err = s.px.waitQuiet(ctx, 100*time.Millisecond, 0, 5*time.Second)
	return err
}
