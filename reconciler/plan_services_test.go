package reconciler

import (
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/spec"
)

// svc is the service of spec s as the engine lists it after a converged
// create or update.
func svc(s spec.Spec, replicas int, mut ...func(*engine.Service)) engine.Service {
	v := engine.Service{ID: "svc-" + s.Image, Name: ServiceName("", s.Image), Image: s.Image, SpecHash: s.Hash(),
		Replicas: replicas, Version: 7, Update: engine.UpdateStatus{State: engine.UpdateCompleted}}
	for _, m := range mut {
		m(&v)
	}
	return v
}

// tasks are n running tasks of spec s, as the swarm engine lists them.
func tasks(s spec.Spec, n int) []engine.Container {
	var out []engine.Container
	for i := 1; i <= n; i++ {
		out = append(out, ctr(s, i, "running"))
	}
	return out
}

// serviceStep is a service action in a form that reads well in a table.
type serviceStep struct {
	Kind, Image, ID string
	Replicas        int
	Version         uint64
}

func serviceSteps(p map[string]*SpecPlan) []serviceStep {
	var out []serviceStep
	for _, a := range Actions(p) {
		out = append(out, serviceStep{Kind: string(a.Kind), Image: a.Image, ID: a.ID, Replicas: a.Replicas, Version: a.Version})
	}
	return out
}

func TestPlanServices(t *testing.T) {
	web := webSpec()                                                            // min 2
	web2 := webSpec(func(s *spec.Spec) { s.Env = map[string]string{"A": "b"} }) // another hash
	stopped := webSpec(func(s *spec.Spec) { s.Resources.Status = spec.StatusStopped })
	v2 := webSpec(func(s *spec.Spec) { s.Image = "web:v2" })
	other := spec.New("other:v1")
	type want struct {
		Steps []serviceStep
		Wait  string
		Stuck string
	}
	for _, tc := range []struct {
		name     string
		in       Input
		services []engine.Service
		image    string // whose Wait and Stuck are checked
		want     want
	}{
		{name: "missing service: create with min replicas", in: Input{Desired: desired(web)}, image: web.Image,
			want: want{Steps: []serviceStep{{Kind: "service-create", Image: web.Image, Replicas: 2}}}},
		{name: "converged: nothing", in: Input{Desired: desired(web), Containers: tasks(web, 2)},
			services: []engine.Service{svc(web, 2)}, image: web.Image},
		{name: "spec changed: update at the listed version", in: Input{Desired: desired(web2), Containers: tasks(web, 2)},
			services: []engine.Service{svc(web, 2)}, image: web.Image,
			want: want{Steps: []serviceStep{{Kind: "service-update", Image: web.Image, ID: "svc-web:v1", Replicas: 2, Version: 7}}}},
		{name: "replicas differ: update", in: Input{Desired: desired(web), Containers: tasks(web, 3)},
			services: []engine.Service{svc(web, 3)}, image: web.Image,
			want: want{Steps: []serviceStep{{Kind: "service-update", Image: web.Image, ID: "svc-web:v1", Replicas: 2, Version: 7}}}},
		{name: "autoscaler's target: update to it", in: Input{Desired: map[string]Desired{web.Image: {Spec: web, Target: 4}}, Containers: tasks(web, 2)},
			services: []engine.Service{svc(web, 2)}, image: web.Image,
			want: want{Steps: []serviceStep{{Kind: "service-update", Image: web.Image, ID: "svc-web:v1", Replicas: 4, Version: 7}}}},
		{name: "stopped: replicas 0, the service kept", in: Input{Desired: desired(stopped), Containers: tasks(stopped, 2)},
			services: []engine.Service{svc(stopped, 2)}, image: web.Image,
			want: want{Steps: []serviceStep{{Kind: "service-update", Image: web.Image, ID: "svc-web:v1", Replicas: 0, Version: 7}}}},
		{name: "stopped and scaled to 0: nothing", in: Input{Desired: desired(stopped)},
			services: []engine.Service{svc(stopped, 0)}, image: web.Image},
		{name: "update in progress: wait", in: Input{Desired: desired(web), Containers: tasks(web, 2)},
			services: []engine.Service{svc(web, 2, func(s *engine.Service) {
				s.Update = engine.UpdateStatus{State: "updating", Message: "update in progress"}
			})},
			image: web.Image, want: want{Wait: "rolling update in progress: update in progress"}},
		{name: "update waiting for a place for less than ReadyTimeout: wait", in: Input{Desired: desired(web), Containers: tasks(web, 2), ReadyTimeout: time.Minute},
			services: []engine.Service{svc(web, 2, func(s *engine.Service) {
				s.Update = engine.UpdateStatus{State: "updating", Message: "update in progress"}
				s.Unplaced, s.UnplacedSince = "task 2: no suitable node (max replicas per node limit exceed)", t0.Add(-30*time.Second)
			})},
			image: web.Image, want: want{Wait: "rolling update in progress: update in progress"}},
		{name: "update waiting ReadyTimeout for a place no node has: stuck, with Swarm's reason", in: Input{Desired: desired(web), Containers: tasks(web, 2), ReadyTimeout: time.Minute},
			services: []engine.Service{svc(web, 2, func(s *engine.Service) {
				s.Update = engine.UpdateStatus{State: "updating", Message: "update in progress"}
				s.Unplaced, s.UnplacedSince = "task 2: no suitable node (scheduling constraints not satisfied on 3 nodes)", t0.Add(-2*time.Minute)
			})},
			image: web.Image, want: want{Wait: "not converging: rolling update stalled: task 2: no suitable node (scheduling constraints not satisfied on 3 nodes) (for 2m0s)",
				Stuck: "rolling update stalled: task 2: no suitable node (scheduling constraints not satisfied on 3 nodes) (for 2m0s)"}},
		{name: "tasks not all running: wait", in: Input{Desired: desired(web), Containers: tasks(web, 1)},
			services: []engine.Service{svc(web, 2)}, image: web.Image,
			want: want{Wait: "the engine is scheduling tasks: 1 of 2 running"}},
		{name: "short of tasks, first seen: wait",
			in:       Input{Desired: desired(web), Containers: tasks(web, 0), ReadyTimeout: time.Minute},
			services: []engine.Service{svc(web, 2, func(s *engine.Service) { s.Changed, s.TaskError = t0.Add(-time.Hour), "task 1 on n1: no such image" })},
			image:    web.Image, want: want{Wait: "the engine is scheduling tasks: 0 of 2 running"}},
		{name: "short of tasks for less than ReadyTimeout since the change: wait",
			in: Input{Desired: desired(web), Containers: tasks(web, 0), ReadyTimeout: time.Minute,
				Short: map[string]time.Time{web.Image: t0.Add(-time.Hour)}},
			services: []engine.Service{svc(web, 2, func(s *engine.Service) {
				s.Changed, s.TaskError = t0.Add(-59*time.Second), "task 1 on n1: no such image"
			})},
			image: web.Image, want: want{Wait: "the engine is scheduling tasks: 0 of 2 running"}},
		{name: "a long-lived service short for less than ReadyTimeout: wait",
			in: Input{Desired: desired(web), Containers: tasks(web, 1), ReadyTimeout: time.Minute,
				Short: map[string]time.Time{web.Image: t0.Add(-10 * time.Second)}},
			services: []engine.Service{svc(web, 2, func(s *engine.Service) { s.Changed = t0.Add(-5 * time.Hour) })},
			image:    web.Image, want: want{Wait: "the engine is scheduling tasks: 1 of 2 running"}},
		{name: "short of tasks ReadyTimeout since the change and the first pass that saw it: stuck, with the last task failure",
			in: Input{Desired: desired(web), Containers: tasks(web, 1), ReadyTimeout: time.Minute,
				Short: map[string]time.Time{web.Image: t0.Add(-2 * time.Minute)}},
			services: []engine.Service{svc(web, 2, func(s *engine.Service) { s.Changed, s.TaskError = t0.Add(-time.Minute), "task 2 on n1: no such image" })},
			image:    web.Image, want: want{Wait: "not converging: 1 of 2 tasks running after 1m0s; last failure: task 2 on n1: no such image",
				Stuck: "1 of 2 tasks running after 1m0s; last failure: task 2 on n1: no such image"}},
		{name: "rolled back from this hash: stuck, not asked again", in: Input{Desired: desired(web2), Containers: tasks(web, 2)},
			services: []engine.Service{svc(web, 2, func(s *engine.Service) {
				s.Update = engine.UpdateStatus{State: "rollback_completed", Message: "update rolled back due to failure or early termination of task x"}
				s.RolledBackFrom, s.TaskError = web2.Hash(), "task 1 on n1: exit 1"
			})},
			image: web.Image,
			want: want{Wait: "the engine rolled the update back; it is tried again when the spec changes",
				Stuck: "rolled back: update rolled back due to failure or early termination of task x; last failure: task 1 on n1: exit 1"}},
		{name: "rolled back from another hash: the new spec is tried", in: Input{Desired: desired(web2), Containers: tasks(web, 2)},
			services: []engine.Service{svc(web, 2, func(s *engine.Service) {
				s.Update = engine.UpdateStatus{State: "rollback_completed"}
				s.RolledBackFrom = "an older edit"
			})},
			image: web.Image,
			want:  want{Steps: []serviceStep{{Kind: "service-update", Image: web.Image, ID: "svc-web:v1", Replicas: 2, Version: 7}}}},
		{name: "deleted spec: service removed", in: Input{Desired: desired(other), Containers: tasks(web, 2)},
			services: []engine.Service{svc(web, 2), svc(other, 1)}, image: web.Image,
			want: want{Steps: []serviceStep{{Kind: "service-remove", Image: web.Image, ID: "svc-web:v1"}}}},
		{name: "deleted spec, NoPrune: kept", in: Input{Desired: desired(other), NoPrune: "a file does not parse"},
			services: []engine.Service{svc(web, 2), svc(other, 1)}, image: web.Image,
			want: want{Wait: "not pruned: a file does not parse"}},
		{name: "deleted spec, Keep: kept", in: Input{Desired: desired(other), Keep: map[string]bool{web.Image: true}},
			services: []engine.Service{svc(web, 2), svc(other, 1)}, image: web.Image,
			want: want{Wait: "kept: the file that held this spec has errors, or the image is defined twice"}},
		{name: "tag bump: the old service waits for the young new one",
			in:       Input{Desired: desired(v2), Containers: tasks(web, 2), Now: t0, ReadyTimeout: time.Minute, Since: map[string]time.Time{v2.Image: t0}},
			services: []engine.Service{svc(web, 2), svc(v2, 2)}, image: web.Image,
			want: want{Wait: "prune waits for web:v2 to be ready"}},
		{name: "tag bump: removed once the new one runs",
			in:       Input{Desired: desired(v2), Containers: append(tasks(web, 2), tasks(v2, 2)...), Now: t0, ReadyTimeout: time.Minute, Since: map[string]time.Time{v2.Image: t0}},
			services: []engine.Service{svc(web, 2), svc(v2, 2)}, image: web.Image,
			want: want{Steps: []serviceStep{{Kind: "service-remove", Image: web.Image, ID: "svc-web:v1"}}}},
		{name: "duplicate services: the extra one removed",
			in:       Input{Desired: desired(web), Containers: tasks(web, 2)},
			services: []engine.Service{svc(web, 2), svc(web, 2, func(s *engine.Service) { s.ID = "svc-dup" })}, image: web.Image,
			want: want{Steps: []serviceStep{{Kind: "service-remove", Image: web.Image, ID: "svc-dup"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.in.Now.IsZero() {
				tc.in.Now = t0
			}
			p := PlanServices(tc.in, tc.services)
			got := want{Steps: serviceSteps(p)}
			if sp := p[tc.image]; sp != nil {
				got.Wait, got.Stuck = sp.Wait, sp.StuckReason
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("PlanServices (-want +got):\n%s", diff)
			}
		})
	}
}

func TestServiceConfig(t *testing.T) {
	s := webSpec(func(s *spec.Spec) {
		s.Image = "Registry.example:5000/team/web.app:1.2"
		s.Hostname = "web"
	})
	cfg := serviceConfigFor(Desired{Spec: s}, "inst", "")
	want := engine.Config{Name: "registry-example-5000-team-web-app-1-2", Image: s.Image, Hostname: "web-{{.Task.Slot}}", Env: map[string]string{},
		Ports: map[string]int{"8080/tcp": 0}, NanoCPUs: 250_000_000, MemoryBytes: 64 << 20,
		Labels: map[string]string{engine.LabelImage: s.Image, engine.LabelSpecHash: s.Hash(), engine.LabelManagedBy: engine.ManagedBy, engine.LabelInstance: "inst"}}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("serviceConfigFor (-want +got):\n%s", diff)
	}
	long := ServiceName("", "a/very-long-name-that-goes-on-and-on-and-on-well-past-sixty-three-characters:v"+strconv.Itoa(1))
	if len(long) > maxServiceName {
		t.Errorf("ServiceName = %q: %d characters, want at most %d", long, len(long), maxServiceName)
	}
}
