package engine_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/orchestrator/orchestrator/reconciler/engine"
)

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
