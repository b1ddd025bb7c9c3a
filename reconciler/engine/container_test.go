package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/orchestrator/orchestrator/reconciler/engine"
)

func TestStable(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	const minReady = 5 * time.Second
	for _, tc := range []struct {
		name string
		c    engine.Container
		want bool
	}{
		{"running for minReady", engine.Container{State: "running", Started: t0.Add(-minReady)}, true},
		{"running, not yet minReady", engine.Container{State: "running", Started: t0.Add(-time.Second)}, false},
		{"healthy for minReady", engine.Container{State: "running", Health: "healthy", Started: t0.Add(-time.Minute)}, true},
		{"unhealthy", engine.Container{State: "running", Health: "unhealthy", Started: t0.Add(-time.Hour)}, false},
		{"health starting", engine.Container{State: "running", Health: "starting", Started: t0.Add(-time.Hour)}, false},
		{"restarting", engine.Container{State: "restarting", Started: t0.Add(-time.Hour)}, false},
		{"never started", engine.Container{State: "running"}, false},
		// A restart moves Started: once restarted, minReady counts again.
		{"restarted once, minReady ago", engine.Container{State: "running", RestartCount: 1, Started: t0.Add(-minReady)}, true},
		{"crash loop, caught running", engine.Container{State: "running", RestartCount: 7, Started: t0.Add(-2 * time.Second)}, false},
	} {
		if got := tc.c.Stable(t0, minReady); got != tc.want {
			t.Errorf("%s: Stable = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestProbeError(t *testing.T) {
	long := strings.Repeat("x", 300)
	for _, tc := range []struct {
		code      int
		out, want string
	}{
		{1, "demo -check: unhealthy: GET http://127.0.0.1:8080/healthz answered 503 Service Unavailable\n",
			"exit 1: demo -check: unhealthy: GET http://127.0.0.1:8080/healthz answered 503 Service Unavailable"},
		{1, "", "exit 1"},
		{-1, "  Health check exceeded timeout (2s)  ", "exit -1: Health check exceeded timeout (2s)"},
		{7, "first line\n\tsecond   line\r\n", "exit 7: first line second line"},
		{1, long, "exit 1: " + long[:200] + "…"},
		{1, strings.Repeat("é", 250), "exit 1: " + strings.Repeat("é", 200) + "…"}, // cut at a character, not a byte
	} {
		if diff := cmp.Diff(tc.want, engine.ProbeError(tc.code, tc.out)); diff != "" {
			t.Errorf("ProbeError(%d, %q) (-want +got):\n%s", tc.code, tc.out, diff)
		}
	}
}
