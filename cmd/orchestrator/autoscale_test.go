package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/api/wire"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// The CPU autoscaler on the real engine (acceptance 2): one replica burning
// a core against a 250m limit is 200 % of a 50 % target, so serve scales
// the spec up; when the burn ends, the count returns to 1 once the 20 s
// scale-down stabilization window has passed. The sampler and the
// autoscaler run at their defaults (2 s); a container's CPU counts once it
// has run 30 s, so the whole test takes about 80 s.
func TestServeAutoscale(t *testing.T) {
	image := rt.BuildTestImage(t)
	inst := newInstance(t)
	dir := t.TempDir()
	s := startServer(t, dir, inst)
	t.Cleanup(func() { // on failure, what the autoscaler and the reconciler did
		if !t.Failed() {
			return
		}
		for _, l := range strings.Split(s.log.String(), "\n") {
			if strings.Contains(l, "autoscale") || strings.Contains(l, "msg=action") || strings.Contains(l, "component=sampler") {
				t.Log(l)
			}
		}
	})
	writeFile(t, dir, "app.yaml", "image: "+image+`
min_replicas: 1
max_replicas: 3
ports: {"8080/tcp": 0}
resources: {cpu: 250m, memory: 32m}
autoscale: {target_cpu_percent: 50, scale_down_stabilization: 20s}
`)
	cs := waitFor(t, inst, image, 30*time.Second, "1 running", exactly(1))
	url := "http://" + hostPort(t, cs[0].ID, "8080/tcp") + "/burn?seconds=40"

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // a failed test stops the burn
	burned := make(chan error, 1)
	began := time.Now()
	go func() { burned <- get(ctx, url) }() // reports over the channel only

	up := waitFor(t, inst, image, 75*time.Second, "more than 1 running under load", func(cs []ctr) bool { return count(cs, "running") > 1 })
	t.Logf("scaled up to %d %v after the burn began: %s", count(up, "running"), time.Since(began).Round(time.Second), summary(up))
	line := s.waitLog(10*time.Second, "msg=autoscale", "image="+image, "from=1", "reason=\"cpu ")
	t.Logf("log: %s", line)
	// The status is the last finished pass's: the pass making the new
	// replicas may still be running when they show up in the engine.
	rt.Eventually(t, 30*time.Second, "status under load", func() (bool, string) {
		st := specStatus(t, s, image)
		a := st.Autoscale
		ok := a != nil && a.UtilizationPercent != nil && a.Recommendation >= 2 && a.TargetCPUPercent == 50 && st.Desired == a.Recommendation
		return ok, fmt.Sprintf("desired %d, autoscale %+v; want a utilisation, a recommendation of 2 or more, as desired", st.Desired, a)
	})
	table := cli(t, nil, "", "status", image, "--server", "http://"+s.addr)
	t.Logf("orchestrator status:\n%s", table.Stdout)
	if table.Code != 0 || !strings.Contains(table.Stdout, "/50%") || !strings.Contains(table.Stdout, "autoscale: cpu ") {
		t.Errorf("orchestrator status under load: %+v, want the CPU column and the autoscaler's reason", table)
	}

	select {
	case err := <-burned:
		if err != nil {
			t.Fatalf("burn: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the 40s burn did not end within 60s")
	}
	ended := time.Now()
	t.Logf("burn ended %v after it began", ended.Sub(began).Round(time.Second))
	// ~40 s: the new replicas count after their own 30 s, then the window.
	waitFor(t, inst, image, 90*time.Second, "back to 1 after the load", exactly(1))
	took := time.Since(ended)
	t.Logf("scaled down to 1 %v after the burn ended", took.Round(time.Second))
	// The last recommendation of 2 or more was made at most one sampling
	// (2 s) and one evaluation (2 s) before the burn ended.
	if took < 20*time.Second-5*time.Second {
		t.Errorf("scaled down %v after the load ended, before the 20s stabilization window", took)
	}
	s.waitLog(10*time.Second, "msg=autoscale", "image="+image, "to=1")
}

// get makes a GET and reads the body; an error says what went wrong.
func get(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	return nil
}

// hostPort is where a container's port is published on the loopback.
func hostPort(t *testing.T, id, port string) string {
	t.Helper()
	out := rt.Docker(t, "port", id, port) // "0.0.0.0:49153" and maybe ":::49153"
	first, _, _ := strings.Cut(out, "\n")
	i := strings.LastIndex(first, ":")
	if i < 0 {
		t.Fatalf("docker port %s %s: %q", id, port, out)
	}
	return "127.0.0.1" + first[i:]
}

// specStatus is the server's status of image, from GET /status.
func specStatus(t *testing.T, s *server, image string) wire.Status {
	t.Helper()
	st, err := statusAt(s.addr, image)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// statusAt is the status of image from GET /status of the serve on addr;
// an error when it cannot be read or has none of image (yet).
func statusAt(addr, image string) (wire.Status, error) {
	body, err := httpGet("http://" + addr + "/status")
	if err != nil {
		return wire.Status{}, fmt.Errorf("GET /status: %w", err)
	}
	var list wire.StatusList
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		return wire.Status{}, fmt.Errorf("GET /status: %w", err)
	}
	for _, st := range list.Specs {
		if st.Image == image {
			return st, nil
		}
	}
	return wire.Status{}, fmt.Errorf("GET /status: no status of %s", image)
}

// The status table's CPU column and note, as kubectl get hpa shows them.
func TestStatusAutoscaleColumns(t *testing.T) {
	util := 182.4
	for _, tt := range []struct {
		st        wire.Status
		cpu, note string
	}{
		{wire.Status{}, "-", "-"},
		{wire.Status{Autoscale: &wire.Autoscale{TargetCPUPercent: 70, Recommendation: 1, Reason: "no cpu metrics yet → keeps 1"}},
			"?/70%", "autoscale: no cpu metrics yet → keeps 1"},
		{wire.Status{Message: "waiting for 2 containers to be ready",
			Autoscale: &wire.Autoscale{TargetCPUPercent: 50, UtilizationPercent: &util, Recommendation: 4, Reason: "cpu 365% of target → 4"}},
			"182%/50%", "waiting for 2 containers to be ready; autoscale: cpu 365% of target → 4"},
		{wire.Status{LastError: "boom", Autoscale: &wire.Autoscale{TargetCPUPercent: 50, Reason: "r"}},
			"?/50%", "error: boom"},
	} {
		if got := cpuColumn(tt.st.Autoscale); got != tt.cpu {
			t.Errorf("cpu of %+v = %q, want %q", tt.st, got, tt.cpu)
		}
		if got := orDash(oneLine(statusNote(tt.st))); got != tt.note {
			t.Errorf("note of %+v = %q, want %q", tt.st, got, tt.note)
		}
	}
}
