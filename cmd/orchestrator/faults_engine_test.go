package main

import (
	"encoding/json"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/api/wire"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// faultHold is how long each engine fault lasts: 30 s, as the fault suite
// asks; ORCH_FAULT_HOLD shortens it for a quick local run.
func faultHold(t *testing.T) time.Duration {
	if v := os.Getenv("ORCH_FAULT_HOLD"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("ORCH_FAULT_HOLD: %v", err)
		}
		return d
	}
	return 30 * time.Second
}

// The engine cut off (calls fail fast), then stalled (calls hang), each for
// the hold, then restored: serve stays up, /health answers throughout,
// /status says the engine is unavailable, a container removed meanwhile is
// back within one resync of the restore, and the goroutines return to
// their baseline.
func TestFaultEngineCutAndStall(t *testing.T) {
	longFault(t)
	const image = "orchestrator-test:faults"
	rt.BuildTestImage(t, keepImage, image)
	inst := newInstance(t)
	proxy := rt.StartFaultProxy(t, engineSocket())
	dir := dirWithKeep(t)
	const resync = 5 * time.Second
	s := startServer(t, dir, inst, withResync(resync), withMinReady(100*time.Millisecond), func(f *serveFlags, _ *app) {
		f.engineHost = "unix://" + proxy.Sock
		f.engineWait = 2 * time.Second
	})
	writeFile(t, dir, "app.yaml", specText(image, "min_replicas: 2"))
	waitFor(t, inst, image, time.Minute, "2 running", exactly(2))
	engineAvailable(t, s, true, time.Minute)
	baseline := runtime.NumGoroutine()

	for _, fault := range []struct {
		name  string
		start func()
	}{{"cut", proxy.Cut}, {"stall", proxy.Stall}} {
		fault.start()
		// Something to converge after the restore: the docker CLI goes to
		// the engine directly, past the proxy.
		cs := ofImage(containers(t, inst), image)
		rt.Docker(t, "rm", "-f", cs[0].ID)
		engineAvailable(t, s, false, resync+10*time.Second)
		for end := time.Now().Add(faultHold(t)); time.Now().Before(end); {
			resp, err := httpClient.Get("http://" + s.addr + "/health")
			if err != nil {
				t.Fatalf("%s: /health: %v", fault.name, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("%s: /health answered %s", fault.name, resp.Status)
			}
			time.Sleep(500 * time.Millisecond) // the fault's hold: this test lives through it
		}
		proxy.Restore()
		restored := time.Now()
		waitFor(t, inst, image, resync+15*time.Second, fault.name+": 2 running again within a resync", exactly(2))
		t.Logf("%s: converged %s after the restore", fault.name, time.Since(restored).Round(100*time.Millisecond))
		engineAvailable(t, s, true, resync+10*time.Second)
	}
	rt.Eventually(t, 30*time.Second, "goroutines back to the baseline ±5", func() (bool, string) {
		n := runtime.NumGoroutine()
		return n <= baseline+5, "baseline " + strconv.Itoa(baseline) + ", now " + strconv.Itoa(n)
	})
	t.Logf("engine cut for %s, then stalled for %s: serve up, /health 200 throughout, converged after each restore; goroutines %d before, %d after",
		faultHold(t), faultHold(t), baseline, runtime.NumGoroutine())
}

// httpClient bounds each request: a serve that hangs fails the test.
var httpClient = &http.Client{Timeout: 5 * time.Second}

// engineAvailable waits for GET /status to say whether the engine is
// available.
func engineAvailable(t *testing.T, s *server, want bool, within time.Duration) {
	t.Helper()
	rt.Eventually(t, within, "engine available = "+map[bool]string{true: "true", false: "false"}[want], func() (bool, string) {
		resp, err := httpClient.Get("http://" + s.addr + "/status")
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		var st wire.StatusList
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || st.Engine == nil {
			return false, "no engine in /status"
		}
		return st.Engine.Available == want, st.Engine.Error
	})
}

// engineSocket is the engine's unix socket, as the docker CLI finds it.
func engineSocket() string {
	if p, ok := strings.CutPrefix(os.Getenv("DOCKER_HOST"), "unix://"); ok {
		return p
	}
	return "/var/run/docker.sock"
}
