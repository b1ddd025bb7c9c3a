package reconciler

import (
	"math"
	"testing"

	"github.com/orchestrator/orchestrator/spec"
)

// TestPlanCreatesInBatches: a spec asking for more replicas than one pass
// creates gets one batch. Found by
// FuzzRouter (api): POST /images/web:v1/scale {"min_replicas":100000,...}
// made a pass plan 100000 names, each by a scan of the taken ones (minutes;
// 2147483647 never ended or ran out of memory), and every other spec, every
// write's wait and the shutdown waited behind it.
func TestPlanCreatesInBatches(t *testing.T) {
	tests := []struct {
		name    string
		spec    spec.Spec
		creates int
	}{
		{"a few", webSpec(func(s *spec.Spec) { s.MinReplicas, s.MaxReplicas = 3, 3 }), 3},
		{"one more than a batch", webSpec(func(s *spec.Spec) { s.MinReplicas, s.MaxReplicas = maxCreatesPerPass+1, maxCreatesPerPass+1 }), maxCreatesPerPass},
		{"running, the most", webSpec(func(s *spec.Spec) { s.MinReplicas, s.MaxReplicas = math.MaxInt32, math.MaxInt32 }), maxCreatesPerPass},
		{"stopped, the most", webSpec(func(s *spec.Spec) {
			s.MinReplicas, s.MaxReplicas, s.Resources.Status = math.MaxInt32, math.MaxInt32, spec.StatusStopped
		}), maxCreatesPerPass},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Plan(Input{Desired: desired(tt.spec), Now: t0})[tt.spec.Image]
			creates := 0
			for _, a := range p.Actions {
				if a.Kind == KindCreate {
					creates++
				}
			}
			if creates != tt.creates {
				t.Errorf("creates = %d, want %d", creates, tt.creates)
			}
		})
	}
}
