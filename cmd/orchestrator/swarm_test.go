package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/reconciler"
	"github.com/orchestrator/orchestrator/reconciler/discovery/discoverytest"
	"github.com/orchestrator/orchestrator/reconciler/engine"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
	"github.com/orchestrator/orchestrator/reconciler/engine/swarm"
)

// swarmView lists one instance's services and tasks, as the swarm engine
// sees them.
type swarmView struct {
	t *testing.T
	e *swarm.Engine
}

func newSwarmView(t *testing.T, instance string) swarmView {
	e, err := swarm.New(context.Background(), swarm.Options{Instance: instance})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return swarmView{t, e}
}

// of is image's services and its running tasks of the service's version.
func (v swarmView) of(image string) ([]engine.Service, []engine.Container) {
	ctx := context.Background()
	all, err := v.e.ListServices(ctx)
	if err != nil {
		v.t.Fatalf("list services: %v", err)
	}
	tasks, err := v.e.List(ctx)
	if err != nil {
		v.t.Fatalf("list tasks: %v", err)
	}
	var svcs []engine.Service
	var running []engine.Container
	for _, s := range all {
		if s.Image != image {
			continue
		}
		svcs = append(svcs, s)
		for _, c := range tasks {
			if c.Image == image && c.SpecHash == s.SpecHash && c.State == "running" {
				running = append(running, c)
			}
		}
	}
	return svcs, running
}

// wait polls until image has exactly one service with want running tasks
// of its version, and cond holds of it.
func (v swarmView) wait(image string, want int, what string, cond func(engine.Service) bool) engine.Service {
	v.t.Helper()
	var got engine.Service
	rt.Eventually(v.t, 90*time.Second, what, func() (bool, string) {
		svcs, running := v.of(image)
		state := fmt.Sprintf("%d services, %d running tasks", len(svcs), len(running))
		if len(svcs) != 1 {
			return false, state
		}
		got = svcs[0]
		state += fmt.Sprintf(", replicas %d, update %q: %s", got.Replicas, got.Update.State, got.Update.Message)
		return got.Replicas == want && len(running) == want && (cond == nil || cond(got)), state
	})
	return got
}

// waitTaskHooks polls until rc's deliveries by event are want, each body
// naming a task (its container and its service.slot name) with the status
// of its event.
func waitTaskHooks(t *testing.T, rc *discoverytest.Receiver, want map[string]int, what string) {
	t.Helper()
	rt.Eventually(t, 60*time.Second, what, func() (bool, string) {
		got := map[string]int{}
		for _, b := range rc.Bodies() {
			got[b.Event]++
			status := map[string]string{"start": "running", "stop": "stopped"}[b.Event]
			if b.ContainerID == "" || !strings.Contains(b.Name, ".") || b.Status != status {
				return false, fmt.Sprintf("a body %+v, want a task's with status %q", b, status)
			}
		}
		return fmt.Sprint(got) == fmt.Sprint(want), fmt.Sprint(got)
	})
}

// waitDegraded polls serve's GET /status until image is Degraded with a
// last_error that contains each of why.
func waitDegraded(t *testing.T, addr, image string, within time.Duration, why ...string) {
	t.Helper()
	rt.Eventually(t, within, image+" Degraded: "+strings.Join(why, ", "), func() (bool, string) {
		st, err := statusAt(addr, image)
		if err != nil {
			return false, err.Error()
		}
		ok := st.Health == "Degraded"
		for _, w := range why {
			ok = ok && strings.Contains(st.LastError, w)
		}
		return ok, st.Health + ": " + st.LastError
	})
}

// addrOf is the --addr a serve process was started with.
func addrOf(t *testing.T, args []string) string {
	for i, a := range args {
		if a == "--addr" && i+1 < len(args) {
			return args[i+1]
		}
	}
	t.Fatal("no --addr")
	return ""
}

// issue 16: the same files on a single-node swarm (ORCH_SWARM=1), served by
// a real process with --engine swarm: one service per spec, scaled, rolled
// start-first, adopted after kill -9, rolled back by Swarm (Degraded), and
// removed with its file.
func TestSwarmServe(t *testing.T) {
	rt.RequireSwarm(t)
	inst := newInstance(t)
	image := "orchestrator-test:" + inst             // its own tag: its own service name
	broken := "orchestrator-test-broken:" + inst     // a spec whose tasks never start
	unplaced := "orchestrator-test-unplaced:" + inst // a spec no node can take
	rt.BuildTestImage(t, keepImage, image, broken, unplaced)
	t.Cleanup(func() { rt.RemoveServicesLabelled(t, engine.LabelInstance+"="+inst) }) // before the containers' cleanup
	bin := buildBinary(t)
	dir := dirWithKeep(t)
	view := newSwarmView(t, inst)
	hooks := discoverytest.New(t)
	app := func(lines ...string) {
		writeFile(t, dir, "app.yaml", specText(image, append([]string{`ports: {"8080": 0}`}, lines...)...))
	}
	callback := `DISCOVERY_CALLBACK: "` + hooks.URL + `"`

	app("min_replicas: 3", "env: {"+callback+"}")
	writeFile(t, dir, "broken.yaml", specText(broken, `entrypoint: ["/no-such-binary"]`))
	writeFile(t, dir, "unplaced.yaml", specText(unplaced, `placement: {constraints: ["node.labels.orchestrator-test==`+inst+`"]}`))
	first := startProcess(t, bin, dir, inst, "--engine", "swarm", "--resync", "5s", "--ready-timeout", "10s")
	began := time.Now()
	svc := view.wait(image, 3, "a service with 3 running tasks", nil)
	t.Logf("3 running tasks after %s", time.Since(began).Round(time.Millisecond))
	waitTaskHooks(t, hooks, map[string]int{"start": 3}, "a start webhook per task")
	if len(svc.Ports["8080/tcp"]) != 1 || svc.Ports["8080/tcp"][0].HostPort == "" {
		t.Errorf("ports %v, want 8080/tcp published on a port Swarm assigned", svc.Ports)
	}

	app("min_replicas: 1", "env: {"+callback+"}")
	view.wait(image, 1, "scaled to 1", nil)
	waitTaskHooks(t, hooks, map[string]int{"start": 3, "stop": 2}, "a stop webhook per task scaled away")

	before := svc.SpecHash
	app("min_replicas: 1", "env: {"+callback+", GREETING: rolled}")
	began = time.Now()
	svc = view.wait(image, 1, "an env change rolled out", func(s engine.Service) bool {
		return s.SpecHash != before && s.Update.State == engine.UpdateCompleted
	})
	t.Logf("rolling update completed after %s", time.Since(began).Round(time.Millisecond))
	waitTaskHooks(t, hooks, map[string]int{"start": 4, "stop": 3}, "the rolling update's start and stop webhooks")
	// Start-first: the new task was announced running before the old one
	// stopped.
	if b := hooks.Bodies(); b[5].Event != "start" || b[6].Event != "stop" || b[5].ContainerID == b[6].ContainerID {
		t.Errorf("the rolling update's webhooks: %+v then %+v, want the new task's start, then the old one's stop", b[5], b[6])
	}
	// A new service whose tasks cannot start has no update to roll back:
	// Degraded after --ready-timeout, with the task's error.
	waitDegraded(t, addrOf(t, first.Args), broken, 60*time.Second, "0 of 1 tasks running after", "no-such-binary")
	// One that no node can take says so, with Swarm's reason.
	waitDegraded(t, addrOf(t, first.Args), unplaced, 60*time.Second, "0 of 1 tasks running after", "task 1: no suitable node")
	if order := rt.Docker(t, "service", "inspect", "--format", "{{.Spec.UpdateConfig.Order}} {{.Spec.UpdateConfig.FailureAction}}", svc.ID); order != "start-first rollback" {
		t.Errorf("update config %q, want start-first rollback", order)
	}

	if err := first.Process.Kill(); err != nil { // SIGKILL: no cleanup of any kind
		t.Fatal(err)
	}
	first.Wait()
	app("min_replicas: 2", "env: {GREETING: rolled}")
	second := startProcess(t, bin, dir, inst, "--engine", "swarm", "--resync", "5s", "--ready-timeout", "10s")
	adopted := view.wait(image, 2, "the service adopted and scaled to 2", nil)
	if adopted.ID != svc.ID {
		t.Errorf("service %s after the restart, want the same %s adopted", adopted.ID, svc.ID)
	}

	addr := addrOf(t, second.Args)
	rt.Eventually(t, 30*time.Second, "GET /containers lists tasks with node and slot", func() (bool, string) {
		body, err := httpGet("http://" + addr + "/images/" + image + "/containers")
		if err != nil {
			return false, err.Error()
		}
		return strings.Count(body, `"node":`) == 2 && strings.Contains(body, `"slot":`), body
	})
	rt.Eventually(t, 30*time.Second, "GET /images/{i}/health: this node's tasks measured, with node and slot", func() (bool, string) {
		s, err := httpGet("http://" + addr + "/images/" + image + "/health")
		if err != nil {
			return false, err.Error()
		}
		return strings.Count(s, `"node":`) == 2 && strings.Count(s, `"slot":`) == 2 && strings.Count(s, `"mem_percent":null`) == 0 &&
			!strings.Contains(s, "stats_unavailable"), s
	})

	// A new version that cannot start: Swarm's update fails and rolls back.
	app("min_replicas: 2", "env: {GREETING: rolled}", `entrypoint: ["/no-such-binary"]`)
	waitDegraded(t, addr, image, 120*time.Second, "rolled back")
	rolled := view.wait(image, 2, "the old version still running after the rollback", func(s engine.Service) bool {
		return s.SpecHash == adopted.SpecHash && s.Update.State == engine.UpdateRollbackCompleted
	})

	// A serve restarted after the rollback knows from the task history which
	// version failed: it does not ask for it again (the service's version
	// stays), and says Degraded, rolled back.
	if err := second.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	second.Wait()
	second = startProcess(t, bin, dir, inst, "--engine", "swarm", "--resync", "5s", "--ready-timeout", "10s")
	addr = addrOf(t, second.Args)
	waitDegraded(t, addr, image, 60*time.Second, "rolled back")
	if svcs, _ := view.of(image); len(svcs) != 1 || svcs[0].Version != rolled.Version {
		t.Errorf("after a restart: services %+v, want the rolled back one at version %d, not updated again", svcs, rolled.Version)
	}

	if err := os.Remove(filepath.Join(dir, "app.yaml")); err != nil {
		t.Fatal(err)
	}
	rt.Eventually(t, 60*time.Second, "the service removed with its file", func() (bool, string) {
		svcs, _ := view.of(image)
		return len(svcs) == 0, fmt.Sprint(len(svcs), " services")
	})
	if svcs, _ := view.of(keepImage); len(svcs) != 1 {
		t.Errorf("%d services of the other spec, want 1 untouched", len(svcs))
	}

	// down on a manager removes the instance's services, as docker stack rm,
	// and their tasks' containers are gone when it returns.
	if err := second.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	second.Wait()
	out, err := exec.Command(bin, "down", "--dir", dir, "--instance", inst).CombinedOutput()
	if err != nil {
		t.Fatalf("down: %v\n%s", err, out)
	}
	for _, img := range []string{keepImage, broken, unplaced} {
		if want := "service " + reconciler.ServiceName(inst, img) + " removed"; !strings.Contains(string(out), want) {
			t.Errorf("down said %q, want %q", out, want)
		}
	}
	if svcs, tasks := view.of(keepImage); len(svcs)+len(tasks) != 0 {
		t.Errorf("after down: %d services, %d tasks of the other spec, want none", len(svcs), len(tasks))
	}
	if left := rt.Docker(t, "ps", "-aq", "--filter", "label="+engine.LabelInstance+"="+inst); left != "" {
		t.Errorf("after down, containers of the instance are left: %s", left)
	}
}
