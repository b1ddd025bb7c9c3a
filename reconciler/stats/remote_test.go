package stats_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/reconciler/stats"
)

// On a swarm, a task on serve's node is sampled as any container; one on
// another node is not asked for (its container is another engine's): its
// values are nil, and Unmeasured says why. Both carry node and slot, and
// the autoscaler's usage of the remote one has no CPU.
func TestSamplerRemoteTaskHasNoStatsAndSaysWhy(t *testing.T) {
	r := newSamplerRig(t, stats.Options{})
	here, there := r.run("app.1", nil), r.run("app.2", nil)
	r.fake.PlaceOnNodeByHand(here, "manager-1", 1, false)
	r.fake.PlaceOnNodeByHand(there, "worker-2", 2, true)
	for _, id := range []string{here, there} {
		r.fake.SetStats(id, engine.Stats{CPUTotal: 1e9, SystemCPU: 10e9, OnlineCPUs: 2, MemUsage: 32 << 20, MemLimit: 64 << 20})
	}
	r.round()
	for _, id := range []string{here, there} {
		r.fake.SetStats(id, engine.Stats{CPUTotal: 2e9, SystemCPU: 12e9, OnlineCPUs: 2, MemUsage: 32 << 20, MemLimit: 64 << 20})
	}
	statsCalls := r.fake.Calls("stats")
	r.round()
	if got := r.fake.Calls("stats") - statsCalls; got != 1 {
		t.Errorf("stats calls in a round = %d, want 1 (the local task only)", got)
	}

	local := r.health("app.1")
	if local.CPUPercent == nil || local.MemPercent == nil || local.Unmeasured != "" || local.Node != "manager-1" || local.Slot != 1 {
		t.Errorf("local task = cpu %v mem %v unmeasured %q node %q slot %d, want measured on manager-1 slot 1",
			local.CPUPercent, local.MemPercent, local.Unmeasured, local.Node, local.Slot)
	}
	remote := r.health("app.2")
	want := stats.Health{ContainerID: there, Name: "app.2", Status: "running", Node: "worker-2", Slot: 2,
		Unmeasured: "the task runs on node worker-2; stats are sampled on serve's own node only"}
	if diff := cmp.Diff(want, remote, cmpopts.IgnoreFields(stats.Health{}, "Ports")); diff != "" {
		t.Errorf("remote task health (-want +got):\n%s", diff)
	}
	for _, u := range r.s.Usage(sampledImage) {
		if u.Name == "app.2" && u.CPU != nil {
			t.Errorf("remote task usage CPU = %v, want nil: the autoscaler cannot see it", *u.CPU)
		}
	}
}
