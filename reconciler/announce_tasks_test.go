package reconciler_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/reconciler"
	"github.com/orchestrator/orchestrator/reconciler/discovery/discoverytest"
	"github.com/orchestrator/orchestrator/reconciler/engine"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
	"github.com/orchestrator/orchestrator/spec"
)

// take waits for n deliveries to rc and returns them as "event name
// status", forgetting them.
func take(t *testing.T, rc *discoverytest.Receiver, n int) []string {
	t.Helper()
	var out []string
	rc.Wait(t, n)
	for _, b := range rc.Take() {
		out = append(out, b.Event+" "+b.Name+" "+b.Status)
	}
	return out
}

// task starts a container of image as Swarm would start a task of its
// service; hash, when given, is its version's spec hash.
func task(t *testing.T, fake *rt.Fake, image, name string, hash ...string) string {
	t.Helper()
	ctx := context.Background()
	fake.AddImage(image)
	id, err := fake.Create(ctx, engine.Config{Name: name, Image: image,
		Labels: map[string]string{engine.LabelManagedBy: engine.ManagedBy, engine.LabelInstance: "inst", engine.LabelImage: image,
			engine.LabelSpecHash: strings.Join(hash, "")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := fake.Start(ctx, id); err != nil {
		t.Fatal(err)
	}
	return id
}

// On a swarm, Swarm starts and stops the tasks: the discovery webhook
// fires for each task that began or ended running between two passes, for
// the specs that name a callback. A serve that starts (again) announces
// nothing of what already runs.
func TestSwarmTaskWebhooks(t *testing.T) {
	rc := discoverytest.New(t)
	w := newServiceWorld(t)
	w.write("web.yaml", "image: web:v1\nmin_replicas: 2\nenv: {DISCOVERY_CALLBACK: \""+rc.URL+"\"}\nresources: {}\n")
	w.passes(1)
	first := task(t, w.fake, "web:v1", "web-v1.1")
	task(t, w.fake, "web:v1", "web-v1.2")
	task(t, w.fake, "keep:v1", "keep-v1.1") // no callback: nothing sent
	w.passes(1)
	if diff := cmp.Diff([]string{"start web-v1.1 running", "start web-v1.2 running"}, take(t, rc, 2)); diff != "" {
		t.Errorf("tasks started (-want +got):\n%s", diff)
	}

	if err := w.fake.StopByHand(first); err != nil {
		t.Fatal(err)
	}
	task(t, w.fake, "web:v1", "web-v1.3") // Swarm's replacement
	w.passes(2)
	if diff := cmp.Diff([]string{"start web-v1.3 running", "stop web-v1.1 stopped"}, take(t, rc, 2)); diff != "" {
		t.Errorf("a task died and Swarm replaced it (-want +got):\n%s", diff)
	}

	// serve restarted: a new reconciler on the same swarm.
	again := reconciler.New(spec.NewDir(w.root, spec.Options{HostCPUs: 4}), w.fake, reconciler.Options{
		Now: func() time.Time { return w.now }, Instance: "inst", Services: w.svcs})
	again.Pass(context.Background())
	task(t, w.fake, "web:v1", "web-v1.4")
	again.Pass(context.Background())
	if diff := cmp.Diff([]string{"start web-v1.4 running"}, take(t, rc, 1)); diff != "" {
		t.Errorf("after a restart (-want +got):\n%s", diff)
	}
}

// A task removed through the API (DELETE /containers/{id}, which announces
// the stop it causes on a single engine) is announced stopped once, by the
// pass that sees it gone, and its replacement started.
func TestSwarmTaskRemovedThroughTheAPIIsAnnouncedOnce(t *testing.T) {
	rc := discoverytest.New(t)
	w := newServiceWorld(t)
	w.write("web.yaml", "image: web:v1\nmin_replicas: 1\nenv: {DISCOVERY_CALLBACK: \""+rc.URL+"\"}\nresources: {}\n")
	w.passes(1)
	gone := task(t, w.fake, "web:v1", "web-v1.1")
	w.passes(1)
	take(t, rc, 1)

	w.r.Announce(context.Background(), "web:v1", gone, "stop") // as the API's DELETE does
	if err := w.fake.Remove(context.Background(), gone); err != nil {
		t.Fatal(err)
	}
	task(t, w.fake, "web:v1", "web-v1.1") // Swarm's replacement
	w.passes(2)
	if diff := cmp.Diff([]string{"start web-v1.1 running", "stop web-v1.1 stopped"}, take(t, rc, 2)); diff != "" {
		t.Errorf("a task deleted through the API (-want +got):\n%s", diff)
	}
	if extra := rc.Bodies(); len(extra) > 0 {
		t.Errorf("more deliveries: %+v", extra)
	}
}
