package reconciler_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/reconciler"
	"github.com/orchestrator/orchestrator/reconciler/engine"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
	"github.com/orchestrator/orchestrator/spec"
)

// serviceWorld is a state directory and a reconciler onto a fake engine of
// services; its tasks are not simulated (the fake engine lists none).
type serviceWorld struct {
	*world
	svcs *rt.FakeServices
}

func newServiceWorld(t *testing.T) *serviceWorld {
	w := &serviceWorld{world: &world{t: t, root: t.TempDir(), fake: rt.NewFake(), now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)},
		svcs: rt.NewFakeServices("inst")}
	w.svcs.Now = func() time.Time { return w.now }
	w.r = reconciler.New(spec.NewDir(w.root, spec.Options{HostCPUs: 4}), w.fake, reconciler.Options{
		Now: func() time.Time { return w.now }, ReadyTimeout: time.Minute, MinReady: time.Second,
		Instance: "inst", Services: w.svcs,
	})
	w.write("keep.yaml", "image: keep:v1\nresources: {}\n")
	return w
}

// service is image's service, by the fake's list.
func (w *serviceWorld) service(image string) (engine.Service, bool) {
	w.t.Helper()
	list, err := w.svcs.ListServices(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	for _, s := range list {
		if s.Image == image {
			return s, true
		}
	}
	return engine.Service{}, false
}

// passes runs n passes (each waits for its own actions).
func (w *serviceWorld) passes(n int) {
	for range n {
		w.pass()
	}
}

// A spec is one service: created with min replicas, updated when the file
// changes (also after another writer moved its version), scaled to 0 when
// stopped, and removed with its file; the spec's status says what Swarm
// reports.
func TestServicesFollowTheFiles(t *testing.T) {
	w := newServiceWorld(t)
	w.write("web.yaml", "image: web:v1\nmin_replicas: 3\nports: {\"8080\": 0}\nresources: {}\n")
	w.passes(2)
	s, ok := w.service("web:v1")
	if !ok || s.Replicas != 3 || s.Name != "web-v1" || s.Labels[engine.LabelInstance] != "inst" {
		t.Fatalf("service %+v (listed %v), want web-v1 with 3 replicas and the instance label", s, ok)
	}
	if got := w.svcs.Calls("create"); got != 2 {
		t.Errorf("%d creates, want 2 (web and keep)", got)
	}

	w.write("web.yaml", "image: web:v1\nmin_replicas: 1\nports: {\"8080\": 0}\nresources: {}\n")
	w.svcs.BumpVersionByHand(s.ID) // someone else updated it since our list
	w.passes(2)
	if s2, _ := w.service("web:v1"); s2.Replicas != 1 {
		t.Errorf("after the edit to min 1 with a stale version: %d replicas, want 1 (re-read and retried)", s2.Replicas)
	}

	w.svcs.SetUpdateByHand(s.ID, engine.UpdateStatus{State: engine.UpdateUpdating, Message: "update in progress"})
	w.passes(1)
	if st := w.status("web:v1"); st.Health != reconciler.Progressing {
		t.Errorf("while Swarm updates: health %s, want Progressing", st.Health)
	}

	w.write("web.yaml", "image: web:v1\nmin_replicas: 1\nenv: {A: b}\nports: {\"8080\": 0}\nresources: {}\n")
	w.passes(2)
	s3, _ := w.service("web:v1")
	w.svcs.SetUpdateByHand(s.ID, engine.UpdateStatus{State: engine.UpdateRollbackCompleted, Message: "update rolled back due to failure"})
	// Swarm restored the spec before the failed edit: its hash is not ours.
	w.svcs.UpdateService(context.Background(), s.ID, s3.Version, engine.ServiceConfig{Replicas: 1,
		Config: engine.Config{Name: s3.Name, Labels: map[string]string{engine.LabelManagedBy: engine.ManagedBy, engine.LabelImage: "web:v1", engine.LabelSpecHash: "old"}}})
	w.svcs.SetUpdateByHand(s.ID, engine.UpdateStatus{State: engine.UpdateRollbackCompleted, Message: "update rolled back due to failure"})
	updates := w.svcs.Calls("update")
	w.passes(2)
	st := w.status("web:v1")
	if st.Health != reconciler.Degraded || st.LastError != "rolled back: update rolled back due to failure" {
		t.Errorf("after Swarm's rollback: health %s, last error %q; want Degraded, rolled back: its message", st.Health, st.LastError)
	}
	if got := w.svcs.Calls("update"); got != updates {
		t.Errorf("%d updates after the rollback, want none (the rolled back spec is not asked again)", got-updates)
	}

	w.write("web.yaml", "image: web:v1\nmin_replicas: 1\nports: {\"8080\": 0}\nresources: {status: stopped}\n")
	w.passes(2)
	if s4, ok := w.service("web:v1"); !ok || s4.Replicas != 0 {
		t.Errorf("stopped: service %+v (listed %v), want kept with 0 replicas", s4, ok)
	}

	w.remove("web.yaml")
	w.passes(2)
	if _, ok := w.service("web:v1"); ok {
		t.Errorf("the service of a deleted spec is still there")
	}
	if _, ok := w.service("keep:v1"); !ok {
		t.Errorf("the other spec's service is gone")
	}
}

// A service without our labels is never updated or removed.
func TestServicesForeignNeverTouched(t *testing.T) {
	w := newServiceWorld(t)
	id := w.svcs.AddForeignByHand("web-v1", map[string]string{engine.LabelImage: "web:v1"})
	w.passes(2)
	if got := w.svcs.Calls("update") + w.svcs.Calls("remove"); got != 0 {
		t.Errorf("%d updates or removes with only a foreign service and keep:v1, want 0 (foreign %s)", got, id)
	}
}

// A service whose tasks never run (a bad image on a new service: Swarm has
// no earlier version to roll back to) is Progressing for ReadyTimeout, then
// Degraded with its newest task failure; running its tasks heals it.
func TestServiceThatNeverRunsIsDegraded(t *testing.T) {
	w := newServiceWorld(t)
	w.write("web.yaml", "image: web:v1\nmin_replicas: 1\nresources: {}\n")
	w.passes(2)
	s, ok := w.service("web:v1")
	if !ok {
		t.Fatal("no service")
	}
	w.svcs.SetTaskErrorByHand(s.ID, "task 1 on node-a: No such image: web:v1")
	if st := w.status("web:v1"); st.Health != reconciler.Progressing {
		t.Errorf("at first: health %s, want Progressing", st.Health)
	}
	w.now = w.now.Add(time.Minute) // the world's ReadyTimeout
	w.passes(1)
	st := w.status("web:v1")
	if want := "0 of 1 tasks running after 1m"; st.Health != reconciler.Degraded || !strings.Contains(st.LastError, want) ||
		!strings.Contains(st.LastError, "last failure: task 1 on node-a: No such image: web:v1") {
		t.Errorf("after ReadyTimeout: health %s, last error %q; want Degraded, %q and the task failure", st.Health, st.LastError, want)
	}
	task(t, w.fake, "web:v1", "web-v1.1", s.SpecHash)
	w.passes(1)
	if st := w.status("web:v1"); st.Health == reconciler.Degraded {
		t.Errorf("with its task running: still Degraded (%s)", st.LastError)
	}
}
