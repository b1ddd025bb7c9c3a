package swarm_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/reconciler/engine"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
	"github.com/orchestrator/orchestrator/reconciler/engine/swarm"
)

func TestSwarmServicesContract(t *testing.T) {
	rt.RunServices(t, func(t *testing.T) rt.ServicesHarness {
		image := rt.BuildTestImage(t)
		e, id := swarm.NewForTest(t)
		return rt.ServicesHarness{
			Services: e, Image: image, Prefix: id, Instance: id,
			AddForeign: func(t *testing.T, name string, labels map[string]string) {
				args := []string{"service", "create", "-d", "--quiet", "--name", name, "--no-resolve-image"}
				for k, v := range labels {
					args = append(args, "--label", k+"="+v)
				}
				rt.Docker(t, append(args, image)...)
				t.Cleanup(func() { exec.Command("docker", "service", "rm", name).Run() })
			},
		}
	})
}

// The container contract where a swarm's tasks behave as containers: a
// container is a service of one replica's task.
func TestSwarmContractCoinciding(t *testing.T) {
	rt.RunCoinciding(t, func(t *testing.T) rt.Harness {
		image := rt.BuildTestImage(t)
		e, id := swarm.NewForTest(t)
		return rt.Harness{Engine: e, Image: image, MissingImage: "orchestrator-test-missing:" + id, Prefix: id,
			// A service with our image label but not managed-by: its
			// task is never ours.
			AddUnmanaged: func(t *testing.T, name string) string {
				label := "orchestrator.test=" + id
				rt.Docker(t, "service", "create", "-d", "--quiet", "--name", name, "--no-resolve-image",
					"--label", label, "--container-label", label, "--container-label", engine.LabelImage+"="+image, image)
				t.Cleanup(func() { rt.RemoveServicesLabelled(t, label) })
				var cid string
				rt.Eventually(t, 60*time.Second, "the foreign service's task runs", func() (bool, string) {
					cid = rt.Docker(t, "ps", "-q", "--no-trunc", "--filter", "label=com.docker.swarm.service.name="+name)
					return cid != "", "no container yet"
				})
				return cid
			},
			Run: func(t *testing.T, cfg engine.Config) string {
				if _, err := e.CreateService(context.Background(), engine.ServiceConfig{Config: cfg, Replicas: 1}); err != nil {
					t.Fatalf("CreateService: %v", err)
				}
				var cid string
				rt.Eventually(t, 60*time.Second, "the service's task runs", func() (bool, string) {
					tasks, err := e.List(context.Background())
					if err != nil {
						return false, err.Error()
					}
					for _, c := range tasks {
						if c.Name == cfg.Name+".1" && c.State == "running" {
							cid = c.ID
							return true, ""
						}
					}
					return false, names(tasks)
				})
				return cid
			},
		}
	})
}

// Tasks are listed as containers, with their node and slot, the assigned
// port, and the spec hash of their own version; what Swarm cannot do to one
// task is ErrUnsupported; removing a task's container makes Swarm replace
// it.
func TestSwarmTasks(t *testing.T) {
	image := rt.BuildTestImage(t)
	e, id := swarm.NewForTest(t)
	ctx := context.Background()
	evs := e.Events(ctx)
	cfg := engine.ServiceConfig{Replicas: 2, Config: engine.Config{
		Name: id + "-web", Image: image, Env: map[string]string{"PORT": "8080"}, Ports: map[string]int{"8080/tcp": 0},
		StopTimeout: time.Second,
		Labels:      map[string]string{engine.LabelManagedBy: engine.ManagedBy, engine.LabelImage: image, engine.LabelSpecHash: "h1"},
	}}
	if _, err := e.CreateService(ctx, cfg); err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	var tasks []engine.Container
	running := func() (bool, string) {
		var err error
		tasks, err = e.List(ctx)
		if err != nil {
			return false, err.Error()
		}
		n := 0
		for _, c := range tasks {
			if c.State == "running" {
				n++
			}
		}
		return n == 2 && len(tasks) == 2, "tasks: " + names(tasks)
	}
	rt.Eventually(t, 60*time.Second, "2 running tasks", running)
	slots := map[int]bool{}
	for _, c := range tasks {
		slots[c.Slot] = true
		if c.Node == "" || c.SpecHash != "h1" || c.Image != image || len(c.Ports["8080/tcp"]) != 1 || c.Ports["8080/tcp"][0].HostPort == "0" {
			t.Errorf("task %s: node %q spec hash %q image %q ports %v; want a node, h1, %s, an assigned port", c.Name, c.Node, c.SpecHash, c.Image, c.Ports, image)
		}
		if c.Started.IsZero() {
			t.Errorf("task %s: no start time", c.Name)
		}
	}
	if !slots[1] || !slots[2] {
		t.Errorf("slots %v, want 1 and 2", slots)
	}
	victim := tasks[0]
	for name, err := range map[string]error{
		"Stop":    e.Stop(ctx, victim.ID, time.Second),
		"SetHeld": e.SetHeld(ctx, victim.ID, true),
		"Start":   e.Start(ctx, victim.ID),
	} {
		if !errors.Is(err, engine.ErrUnsupported) {
			t.Errorf("%s of a task = %v, want ErrUnsupported", name, err)
		}
	}
	if _, err := e.Create(ctx, cfg.Config); !errors.Is(err, engine.ErrUnsupported) {
		t.Errorf("Create = %v, want ErrUnsupported", err)
	}
	if _, err := e.Stats(ctx, victim.ID); err != nil {
		t.Errorf("Stats of a local task: %v", err)
	}
	if err := e.Remove(ctx, victim.ID); err != nil {
		t.Fatalf("Remove of a task's container: %v", err)
	}
	rt.Eventually(t, 60*time.Second, "Swarm replaced the removed task", func() (bool, string) {
		ok, state := running()
		for _, c := range tasks {
			if c.ID == victim.ID && c.State == "running" {
				return false, state
			}
		}
		return ok, state
	})
	svcs, err := e.ListServices(ctx)
	if err != nil || len(svcs) != 1 {
		t.Fatalf("ListServices = %v, %v; want our one service", svcs, err)
	}
	cfg.Config.Labels[engine.LabelSpecHash] = "h2"
	if err := e.UpdateService(ctx, svcs[0].ID, svcs[0].Version, cfg); err != nil {
		t.Fatalf("UpdateService: %v", err)
	}
	deadline := time.After(10 * time.Second)
	for seen := false; !seen; {
		select {
		case ev := <-evs:
			seen = ev.Action == "service_update" && ev.Image == image
		case <-deadline:
			t.Fatal("no service_update event of our service within 10 s")
		}
	}
}

func names(cs []engine.Container) string {
	s := ""
	for _, c := range cs {
		s += c.Name + "(" + c.State + ") "
	}
	return s
}

// On an engine that is not a swarm manager, New says so and what to do.
func TestSwarmNewNotManager(t *testing.T) {
	if os.Getenv("ORCH_SWARM") != "1" {
		t.Skip("a swarm test: set ORCH_SWARM=1 to run it")
	}
	rt.RequireDocker(t)
	rt.LockSwarm(t)
	if st := rt.SwarmState(t); st != "inactive" {
		t.Skipf("the engine is in a swarm (%s) that this test did not make: not leaving it", st)
	}
	_, err := swarm.New(context.Background(), swarm.Options{})
	if !errors.Is(err, swarm.ErrNotManager) || !strings.Contains(err.Error(), "docker swarm init") {
		t.Errorf("New on a non-manager = %v, want ErrNotManager with the docker swarm init hint", err)
	}
}

// A spec's network is an overlay network on a swarm (made once, ours by
// label): a service's tasks reach another service on it by the alias the
// spec gives (its name), as the containers of one engine do on a bridge.
func TestSwarmNetworks(t *testing.T) {
	image := rt.BuildTestImage(t)
	e, id := swarm.NewForTest(t)
	ctx := context.Background()
	net := id + "-net"
	for range 2 { // the second finds it
		if err := e.EnsureNetwork(ctx, net, nil); err != nil {
			t.Fatalf("EnsureNetwork: %v", err)
		}
	}
	if got := rt.Docker(t, "network", "inspect", "--format", "{{.Driver}} {{.Attachable}} {{index .Labels \"orchestrator.instance\"}}", net); got != "overlay true "+id {
		t.Errorf("network %q, want overlay, attachable, of instance %s", got, id)
	}
	// A bridge of ours with the name (left by serve --engine docker) is
	// refused, saying what to do.
	bridge := id + "-bridge"
	rt.Docker(t, "network", "create", "--label", engine.LabelManagedBy+"="+engine.ManagedBy, "--label", engine.LabelInstance+"="+id, bridge)
	if err := e.EnsureNetwork(ctx, bridge, nil); err == nil || !strings.Contains(err.Error(), "needs an overlay network") {
		t.Errorf("EnsureNetwork over a bridge of ours = %v, want a refusal saying a service needs an overlay network", err)
	}
	labels := func(hash string) map[string]string {
		return map[string]string{engine.LabelManagedBy: engine.ManagedBy, engine.LabelImage: image, engine.LabelSpecHash: hash}
	}
	api := engine.ServiceConfig{Replicas: 1, Config: engine.Config{Name: id + "-api", Image: image, Labels: labels("api"),
		Networks: []engine.NetworkAttachment{{Name: net, Aliases: []string{"api"}}}}}
	web := engine.ServiceConfig{Replicas: 1, Config: engine.Config{Name: id + "-web", Image: image, Labels: labels("web"),
		Networks: []engine.NetworkAttachment{{Name: net, Aliases: []string{"web"}}},
		// tasks.api: the alias's task addresses. The alias itself is a
		// virtual IP that IPVS routes, and this machine's kernel has no
		// ip_vs (nor does the ingress mesh carry traffic here).
		Healthcheck: &engine.Healthcheck{Test: []string{"CMD", "/demo", "-check", "http://tasks.api:8080/healthz"},
			Interval: time.Second, Timeout: time.Second, Retries: 3}}}
	for _, cfg := range []engine.ServiceConfig{api, web} {
		if _, err := e.CreateService(ctx, cfg); err != nil {
			t.Fatalf("CreateService %s: %v", cfg.Config.Name, err)
		}
	}
	rt.Eventually(t, 90*time.Second, "web healthy: it reaches api by name over the overlay network", func() (bool, string) {
		tasks, err := e.List(ctx)
		if err != nil {
			return false, err.Error()
		}
		for _, c := range tasks {
			if c.SpecHash == "web" && c.State == "running" && c.Health == "healthy" {
				return true, ""
			}
		}
		return false, names(tasks)
	})
	// A network a service uses with no container on this node (none
	// scheduled, or all on other nodes) is refused by Swarm itself: in
	// use, which a prune tries again later.
	idle := id + "-idle"
	if err := e.EnsureNetwork(ctx, idle, nil); err != nil {
		t.Fatalf("EnsureNetwork: %v", err)
	}
	if _, err := e.CreateService(ctx, engine.ServiceConfig{Replicas: 0, Config: engine.Config{Name: id + "-idle", Image: image,
		Labels: labels("idle"), Networks: []engine.NetworkAttachment{{Name: idle}}}}); err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	if err := e.RemoveNetwork(ctx, idle); !errors.Is(err, engine.ErrInUse) {
		t.Errorf("RemoveNetwork of a network a service uses, with no container here = %v, want ErrInUse", err)
	}
}

// RemoveAll returns once no task container of ours is left on this node,
// also of a service removed just before it (serve prunes a deleted spec's
// service; down follows): the caller's own removals never race Swarm's.
func TestSwarmRemoveAllWaitsForEarlierRemovals(t *testing.T) {
	image := rt.BuildTestImage(t)
	e, id := swarm.NewForTest(t)
	ctx := context.Background()
	svcID, err := e.CreateService(ctx, engine.ServiceConfig{Replicas: 1, Config: engine.Config{Name: id + "-gone", Image: image,
		Labels: map[string]string{engine.LabelManagedBy: engine.ManagedBy, engine.LabelImage: image, engine.LabelSpecHash: "h1"}}})
	if err != nil {
		t.Fatalf("CreateService: %v", err)
	}
	rt.Eventually(t, 60*time.Second, "the task runs", func() (bool, string) {
		tasks, err := e.List(ctx)
		return err == nil && len(tasks) == 1 && tasks[0].State == "running", names(tasks)
	})
	if err := e.RemoveService(ctx, svcID); err != nil {
		t.Fatal(err)
	}
	names, err := e.RemoveAll(ctx)
	if err != nil || len(names) != 0 {
		t.Fatalf("RemoveAll = %v, %v; want no service left to remove", names, err)
	}
	if left := rt.Docker(t, "ps", "-aq", "--filter", "label="+engine.LabelInstance+"="+id); left != "" {
		t.Errorf("after RemoveAll, task containers of the service removed before it are left: %s", left)
	}
}
