package swarm_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/reconciler/engine"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
	"github.com/orchestrator/orchestrator/reconciler/engine/swarm"
)

// A service's placement reaches Swarm: tasks run on the nodes that meet it,
// and a service no node can take says why its tasks wait.
func TestSwarmPlacement(t *testing.T) {
	image := rt.BuildTestImage(t)
	e, id := swarm.NewForTest(t)
	ctx := context.Background()
	labels := func(hash string) map[string]string {
		return map[string]string{engine.LabelManagedBy: engine.ManagedBy, engine.LabelImage: image, engine.LabelSpecHash: hash}
	}
	placed := engine.ServiceConfig{Replicas: 2, Config: engine.Config{Name: id + "-placed", Image: image, Labels: labels("placed"),
		Placement: engine.Placement{Constraints: []string{"node.role==manager"}, Spread: []string{"node.labels.zone"}, MaxReplicasPerNode: 2}}}
	nowhere := engine.ServiceConfig{Replicas: 1, Config: engine.Config{Name: id + "-nowhere", Image: image, Labels: labels("nowhere"),
		Placement: engine.Placement{Constraints: []string{"node.labels.orchestrator-test==" + id}}}}
	for _, cfg := range []engine.ServiceConfig{placed, nowhere} {
		if _, err := e.CreateService(ctx, cfg); err != nil {
			t.Fatalf("CreateService %s: %v", cfg.Config.Name, err)
		}
	}
	got := rt.Docker(t, "service", "inspect", "--format", "{{.Spec.TaskTemplate.Placement.Constraints}} {{(index .Spec.TaskTemplate.Placement.Preferences 0).Spread.SpreadDescriptor}} {{.Spec.TaskTemplate.Placement.MaxReplicas}} {{.Spec.UpdateConfig.Order}} {{.Spec.RollbackConfig.Order}}", placed.Config.Name)
	// Stop-first with a per-node limit: a new task could wait for the old
	// one's place without end.
	if want := "[node.role==manager] node.labels.zone 2 stop-first stop-first"; got != want {
		t.Errorf("placement of %s = %q, want %q", placed.Config.Name, got, want)
	}
	rt.Eventually(t, 60*time.Second, "2 tasks of the placed service running", func() (bool, string) {
		tasks, err := e.List(ctx)
		if err != nil {
			return false, err.Error()
		}
		n := 0
		for _, c := range tasks {
			if c.SpecHash == "placed" && c.State == "running" {
				n++
			}
		}
		return n == 2, names(tasks)
	})
	rt.Eventually(t, 60*time.Second, "the unplaceable service says why", func() (bool, string) {
		svcs, err := e.ListServices(ctx)
		if err != nil {
			return false, err.Error()
		}
		for _, s := range svcs {
			if s.SpecHash == "nowhere" {
				return strings.HasPrefix(s.TaskError, "task 1: no suitable node"), s.TaskError
			}
		}
		return false, "no service"
	})

	// An update to a placement no node meets: Swarm starts no new task and
	// waits, the old one running; the service says which task waits, and
	// why, since when.
	svcs, err := e.ListServices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var current engine.Service
	for _, s := range svcs {
		if s.SpecHash == "placed" {
			current = s
		}
	}
	moved := placed
	moved.Config.Labels = labels("moved")
	moved.Config.Placement = engine.Placement{Constraints: []string{"node.labels.orchestrator-test==" + id}}
	if err := e.UpdateService(ctx, current.ID, current.Version, moved); err != nil {
		t.Fatalf("UpdateService: %v", err)
	}
	rt.Eventually(t, 60*time.Second, "the update waits for a place, and says why", func() (bool, string) {
		svcs, err := e.ListServices(ctx)
		if err != nil {
			return false, err.Error()
		}
		for _, s := range svcs {
			if s.ID == current.ID {
				return s.Update.InProgress() && strings.Contains(s.Unplaced, ": no suitable node") && !s.UnplacedSince.IsZero(),
					s.Update.State + " " + s.Unplaced
			}
		}
		return false, "no service"
	})
}
