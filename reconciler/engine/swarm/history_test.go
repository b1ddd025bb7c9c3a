package swarm

import (
	"testing"
	"time"

	"github.com/docker/docker/api/types/swarm"
	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// historyOf reads the failed version of a rollback, and the newest task
// failure, from a service's task history.
func TestHistoryOf(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	task := func(hash string, created int, state swarm.TaskState, err string) swarm.Task {
		return swarm.Task{
			Slot: 1, NodeID: "n1", Meta: swarm.Meta{CreatedAt: at(created)},
			Spec:   swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Labels: map[string]string{engine.LabelSpecHash: hash}}},
			Status: swarm.TaskStatus{State: state, Err: err, Timestamp: at(created + 1)},
		}
	}
	rolledBack := engine.UpdateStatus{State: engine.UpdateRollbackCompleted, Started: at(30)}
	// v1 and v2 rolled out fine, v3 failed at minute 31 and was rolled back to v2.
	history := []swarm.Task{
		task("v1", 0, swarm.TaskStateShutdown, ""),
		task("v2", 10, swarm.TaskStateShutdown, ""),
		task("v2", 20, swarm.TaskStateFailed, "task: non-zero exit (1)"),
		task("v3", 31, swarm.TaskStateFailed, "starting container failed: no such file"),
		task("v2", 33, swarm.TaskStateRunning, ""),
	}
	type got struct {
		RolledBackFrom, TaskError, Unplaced string
		UnplacedSince                       time.Time
	}
	for _, tc := range []struct {
		name    string
		update  engine.UpdateStatus
		changed time.Time // the service's last change
		tasks   []swarm.Task
		want    got
	}{
		{name: "rolled back: the version begun since the update, and its failure", update: rolledBack, tasks: history,
			want: got{RolledBackFrom: "v3", TaskError: "task 1 on node-1: starting container failed: no such file"}},
		{name: "rolled back, the failed version's tasks pruned: older versions do not count", update: rolledBack,
			tasks: []swarm.Task{history[0], history[1], history[4]}},
		{name: "rolled back, when the update began unknown: nothing inferred", update: engine.UpdateStatus{State: engine.UpdateRollbackCompleted},
			tasks: history},
		{name: "not rolled back: the current version's newest failure", update: engine.UpdateStatus{State: engine.UpdateCompleted},
			tasks: history, want: got{TaskError: "task 1 on node-1: task: non-zero exit (1)"}},
		{name: "not rolled back, changed since the failure: v2 returned to at minute 40 has no failure of its own yet",
			update: engine.UpdateStatus{State: engine.UpdateCompleted}, changed: at(40), tasks: history},
		{name: "not rolled back, a failure after the change counts", update: engine.UpdateStatus{State: engine.UpdateCompleted},
			changed: at(40), tasks: append(history[:5:5], task("v2", 41, swarm.TaskStateFailed, "task: non-zero exit (2)")),
			want: got{TaskError: "task 1 on node-1: task: non-zero exit (2)"}},
		{name: "not rolled back, no failure: why a task waits to be placed", update: engine.UpdateStatus{State: engine.UpdateCompleted},
			changed: at(40), tasks: append(history[:5:5], swarm.Task{Slot: 2, Meta: swarm.Meta{CreatedAt: at(41)},
				Spec: history[4].Spec, DesiredState: swarm.TaskStateRunning,
				Status: swarm.TaskStatus{State: swarm.TaskStatePending, Err: "no suitable node (scheduling constraints not satisfied on 1 node)", Timestamp: at(41)}}),
			want: got{TaskError: "task 2: no suitable node (scheduling constraints not satisfied on 1 node)", Unplaced: "task 2: no suitable node (scheduling constraints not satisfied on 1 node)", UnplacedSince: at(41)}},
		{name: "a failure is told by when the manager made its task, not by the worker's clock",
			update: engine.UpdateStatus{State: engine.UpdateCompleted}, changed: at(40),
			tasks: []swarm.Task{func() swarm.Task {
				t := task("v2", 41, swarm.TaskStateFailed, "task: non-zero exit (3)")
				t.Status.Timestamp = at(39) // a worker two minutes behind
				return t
			}()},
			want: got{TaskError: "task 1 on node-1: task: non-zero exit (3)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := engine.Service{SpecHash: "v2", Update: tc.update, Changed: tc.changed}
			historyOf(&svc, tc.tasks, func(id string) string { return map[string]string{"n1": "node-1"}[id] })
			if diff := cmp.Diff(tc.want, got{svc.RolledBackFrom, svc.TaskError, svc.Unplaced, svc.UnplacedSince}); diff != "" {
				t.Errorf("historyOf (-want +got):\n%s", diff)
			}
		})
	}
}
