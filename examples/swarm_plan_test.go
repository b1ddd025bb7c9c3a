package examples

import (
	"os/exec"
	"strings"
	"testing"
)

// The multi-node test plan cannot run here (one machine, no registry), but
// it parses, asks for its three hosts before it does anything, and its
// serve command lines name the swarm engine.
func TestMultinodeTestPlan(t *testing.T) {
	const plan = "swarm/multinode-test-plan.sh"
	if out, err := exec.Command("bash", "-n", plan).CombinedOutput(); err != nil {
		t.Fatalf("bash -n %s: %v: %s", plan, err, out)
	}
	cmd := exec.Command("bash", plan)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "H1: host of the first manager") {
		t.Errorf("without hosts: %v, %q; want it to stop and ask for H1", err, out)
	}
	if strings.Contains(string(out), "==") {
		t.Errorf("without hosts it began a step: %q", out)
	}
}
