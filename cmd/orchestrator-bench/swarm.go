package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/client"

	"github.com/orchestrator/orchestrator/reconciler/engine"
	swarmengine "github.com/orchestrator/orchestrator/reconciler/engine/swarm"
)

// The swarm rows (issue 16; -only swarm). A serve --engine swarm of the
// scenario's own (instance bench-<pid>-swarm, its own state dir and
// counting proxy) runs on a single-node swarm: the engine's, when it is a
// manager already, else one this scenario makes (`docker swarm init
// --advertise-addr 127.0.0.1`) and leaves at its end. The swarm tests'
// machine-wide lock is held throughout, so that no swarm test inits or
// leaves the swarm meanwhile (and none of theirs runs during the timing).
//
//   - convergence: a spec with n replicas written → n tasks running,
//     against a ServiceCreate of the same service spec with n replicas
//     (`docker service create --replicas n`), alternating, b.reps times
//     each. Both are counted the same way: n task containers started (the
//     engine's start events; a list every few ms would load the engine),
//     then the task list is checked.
//   - reaction: an env value of a spec of swarmEditReplicas replicas
//     edited (renamed into place) → the service's update event, whose time
//     is Swarm's store commit of the new spec (the event carries the
//     service's UpdatedAt). Each edit starts on a settled service: its
//     rolling update of the edit before has completed.
const (
	swarmImage        = "orchestrator-bench:swarm"      // the convergence spec's and the baseline's
	swarmEditImage    = "orchestrator-bench:swarm-edit" // the edited spec's
	swarmAppFile      = "app.yaml"
	swarmEditFile     = "edit.yaml"
	swarmEditReplicas = 2
	swarmEditEnv      = "EDIT" // the env key the edits change
	// The goals (issue 16).
	swarmConvergeGoal = 1.10  // serve's p50 / the baseline's p50
	swarmEditGoal     = 150.0 // ms, p50
	// epServiceUpdate is serve's update call, as the proxy counts it.
	epServiceUpdate = "POST /services/{id}/update"
)

// swarmLockPath is the swarm tests' machine-wide lock
// (reconciler/engine/enginetest/swarm.go).
var swarmLockPath = filepath.Join(os.TempDir(), "orchestrator-swarm-test.lock")

// swarmRun is the scenario's state, for its teardown as much as for the
// measures.
type swarmRun struct {
	b            *bench
	instance     string // serve's: bench-<pid>-swarm
	baseInstance string // the baseline's services: bench-<pid>-swarm-base
	dir, logPath string
	srv          *server
	px           *proxy
	lock         *os.File // held from the start to the teardown's end
	joined       bool     // the engine is a manager: there may be services to remove
	inited       bool     // this run made the swarm: the teardown leaves it

	serveEvs, baseEvs *eventLog // container events of each instance
	svcEvs            *eventLog // service events

	once sync.Once
	err  error
}

// swarmUsable says why the engine cannot run the swarm rows: it is in a
// swarm without being a manager, or its swarm is in a state of its own.
func swarmUsable(info system.Info) error {
	st := info.Swarm.LocalNodeState
	if st == swarm.LocalNodeStateInactive || st == swarm.LocalNodeStateActive && info.Swarm.ControlAvailable {
		return nil
	}
	return fmt.Errorf("the swarm rows need an engine in no swarm (the bench makes one) or a swarm manager: swarm state %q, manager %v; -only without swarm skips them", st, info.Swarm.ControlAvailable)
}

// runSwarm is the swarm scenario: serve --engine swarm up with the edited
// spec, the convergence rows, the edits, then the teardown (the serve, the
// services, the swarm if this run made it, the lock) before the next
// scenario.
func runSwarm(ctx context.Context, b *bench) error {
	if b.swarmEdits < 1 {
		return fmt.Errorf("swarm: -swarm-edits %d: want at least 1", b.swarmEdits)
	}
	root := filepath.Join(b.tmp, "swarm") // removed with b.tmp
	s := &swarmRun{b: b, instance: b.run + "-swarm", baseInstance: b.run + "-swarm-base",
		dir: filepath.Join(root, "state"), logPath: filepath.Join(os.TempDir(), b.run+"-swarm-serve.log")}
	// The run's cleanup (a failure, Ctrl-C) tears down too; once.
	b.onCleanup = append(b.onCleanup, s.teardown)
	defer s.teardown()
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("swarm: %w", err)
	}
	// Left by the scenarios before, or by main when they were not run: the
	// engine has nothing else to do.
	for _, f := range []string{"app.yaml", reactionFile} {
		if err := os.Remove(filepath.Join(b.dir, f)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove %s: %w", f, err)
		}
	}
	for _, image := range []string{benchImage, reactionImage} {
		if _, err := waitRunningEvery(ctx, b.cli, b.run, image, 0, 3*time.Minute, 100*time.Millisecond); err != nil {
			return fmt.Errorf("swarm setup: %s: %w", image, err)
		}
	}
	if err := s.lockSwarm(ctx); err != nil {
		return err
	}
	if err := s.join(ctx); err != nil {
		return err
	}
	for _, ref := range []string{swarmImage, swarmEditImage} {
		if err := b.tag(ctx, ref); err != nil {
			return err
		}
	}
	evCtx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the subscriptions
	s.serveEvs = followEvents(evCtx, b.cli, s.instance)
	s.baseEvs = followEvents(evCtx, b.cli, s.baseInstance)
	s.svcEvs = followServiceEvents(evCtx, b.cli)
	if err := s.startServe(ctx); err != nil {
		return err
	}
	serve, base, specNote, err := s.converge(ctx)
	if err != nil {
		return err
	}
	edits, err := s.edits(ctx)
	if err != nil {
		return err
	}
	b.addSwarmConverge(serve, base, specNote)
	b.addSwarmEdits(edits)
	if err := s.close(); err != nil {
		return fmt.Errorf("swarm teardown: %w", err)
	}
	return nil
}

// lockSwarm takes the swarm tests' lock, waiting (and saying so) while one
// of them holds it.
func (s *swarmRun) lockSwarm(ctx context.Context) error {
	f, err := os.OpenFile(swarmLockPath, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return fmt.Errorf("swarm lock: %w", err)
	}
	for said := false; ; said = true {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			s.lock = f
			return nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return fmt.Errorf("swarm lock %s: %w", swarmLockPath, err)
		}
		if !said {
			slog.Info("swarm: waiting for the swarm tests' lock", "lock", swarmLockPath)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return ctx.Err()
		case <-time.After(500 * time.Millisecond): // poll interval
		}
	}
}

// join makes sure the engine is a swarm manager: a manager already is used
// as it is (and left a manager); an engine in no swarm becomes a
// single-node swarm, which the teardown leaves.
func (s *swarmRun) join(ctx context.Context) error {
	cli := s.b.cli
	info, err := cli.Info(ctx)
	if err != nil {
		return fmt.Errorf("swarm: docker info: %w", err)
	}
	if err := swarmUsable(info); err != nil {
		return err
	}
	if info.Swarm.LocalNodeState == swarm.LocalNodeStateActive {
		slog.Info("swarm: the engine is a swarm manager already: using its swarm, and leaving it as found")
		s.joined = true
		// Services of runs killed before their teardown: their tasks
		// would come back after the run's removal of leftover containers.
		n, err := removeServices(ctx, cli, deadRun)
		if err != nil {
			return fmt.Errorf("swarm: leftover services: %w", err)
		}
		if n > 0 {
			slog.Info("swarm: removed leftover services of earlier runs", "services", n)
			return waitNoContainers(ctx, cli, deadRun, 3*time.Minute)
		}
		return nil
	}
	slog.Info("swarm: making this engine a single-node swarm for the swarm rows (left at their end)")
	s.inited = true // first: an interrupted init may still have made it
	if _, err := cli.SwarmInit(ctx, swarm.InitRequest{ListenAddr: "127.0.0.1:2377", AdvertiseAddr: "127.0.0.1"}); err != nil {
		return fmt.Errorf("swarm init: %w", err)
	}
	s.joined = true
	return poll(ctx, 100*time.Millisecond, 30*time.Second, "swarm init: a manager", func() (bool, string, error) {
		info, err := cli.Info(ctx)
		return err == nil && info.Swarm.ControlAvailable, fmt.Sprintf("state %q, err %v", info.Swarm.LocalNodeState, err), nil
	})
}

// startServe writes the edited spec and starts serve --engine swarm on the
// scenario's dir, then waits for its service to run its tasks, and serve
// to be quiet. The service is also the first of the swarm, which pays for
// whatever a first service costs (the routing mesh's ingress sandbox)
// before anything is timed.
func (s *swarmRun) startServe(ctx context.Context) error {
	if err := writeFile(filepath.Join(s.dir, swarmEditFile), swarmEditSpec("0")); err != nil {
		return err
	}
	var err error
	if s.px, err = startProxy(filepath.Join(filepath.Dir(s.dir), "engine.sock"), engineSocket()); err != nil {
		return err
	}
	args := append([]string{"--engine", "swarm"}, s.b.serveArgs...)
	if s.srv, err = startServe(ctx, s.b.bin, s.dir, s.instance, "unix://"+s.px.sock, s.logPath, args); err != nil {
		return fmt.Errorf("swarm: %w", err)
	}
	slog.Info("serve --engine swarm is up", "addr", s.srv.addr, "instance", s.instance, "log", s.logPath)
	svc, err := s.waitService(ctx, s.instance, swarmEditImage, time.Minute)
	if err != nil {
		return err
	}
	return s.settleEdit(ctx, svc.ID, "0")
}

// followServiceEvents subscribes to the engine's service events (create,
// update, remove); the subscription ends with ctx.
func followServiceEvents(ctx context.Context, cli *client.Client) *eventLog {
	f := filters.NewArgs(filters.Arg("type", string(events.ServiceEventType)))
	msgs, errs := cli.Events(ctx, events.ListOptions{Filters: f})
	return newEventLog(msgs, errs)
}

// swarmEditSpec is the edited spec, its env value EDIT at value.
func swarmEditSpec(value string) string {
	return fmt.Sprintf("image: %s\nmin_replicas: %d\nmax_replicas: %d\nenv: {PORT: \"8080\", %s: %q}\nports: {\"8080/tcp\": 0}\nresources: {cpu: 100m, memory: 32m}\n",
		swarmEditImage, swarmEditReplicas, swarmEditReplicas, swarmEditEnv, value)
}

// baseServiceSpec is the baseline's service: what the swarm adapter sends
// for appSpec(swarmImage, n) (its ServiceSpec, of the same config), with
// the baseline's name and instance. The convergence check compares it with
// serve's service, as the engine stored both.
func baseServiceSpec(name, instance string, n int) swarm.ServiceSpec {
	return swarmengine.ServiceSpec(engine.ServiceConfig{Replicas: n, Config: engine.Config{
		Name: name, Image: swarmImage, Env: map[string]string{"PORT": "8080"}, Ports: map[string]int{"8080/tcp": 0},
		NanoCPUs: 100_000_000, MemoryBytes: 32 << 20,
		Labels: map[string]string{engine.LabelManagedBy: engine.ManagedBy, engine.LabelImage: swarmImage},
	}}, instance)
}

// specDiff names the parts of two stored service specs that differ, names
// and labels left out (instances, hashes); none when they are the same
// service.
func specDiff(a, b swarm.ServiceSpec) []string {
	norm := func(s swarm.ServiceSpec) swarm.ServiceSpec {
		s.Annotations = swarm.Annotations{}
		if cs := s.TaskTemplate.ContainerSpec; cs != nil {
			c := *cs
			c.Labels = nil
			s.TaskTemplate.ContainerSpec = &c
		}
		return s
	}
	a, b = norm(a), norm(b)
	parts := []struct {
		name string
		x, y any
	}{
		{"task template", a.TaskTemplate, b.TaskTemplate}, {"mode", a.Mode, b.Mode},
		{"update config", a.UpdateConfig, b.UpdateConfig}, {"rollback config", a.RollbackConfig, b.RollbackConfig},
		{"endpoint", a.EndpointSpec, b.EndpointSpec}, {"the whole spec", a, b},
	}
	var out []string
	for _, p := range parts {
		x, _ := json.Marshal(p.x)
		y, _ := json.Marshal(p.y)
		if string(x) != string(y) {
			out = append(out, p.name)
			slog.Warn("swarm: the baseline's service differs from serve's", "part", p.name, "serve", string(x), "baseline", string(y))
		}
	}
	return out
}

// converge measures serve against the baseline b.reps times each,
// alternating which goes first, and returns both in seconds, and a note on
// whether the two services were the same (compared once).
func (s *swarmRun) converge(ctx context.Context) (serve, base []float64, specNote string, err error) {
	n := s.b.n
	var serveSpec, baseSpec *swarm.ServiceSpec
	for i := range s.b.reps {
		order := []bool{false, true} // serve first...
		if i%2 == 1 {
			order = []bool{true, false} // ...then the baseline first
		}
		for _, baseline := range order {
			if err := s.quiet(ctx, "swarm convergence"); err != nil {
				return nil, nil, "", err
			}
			var d time.Duration
			var spec swarm.ServiceSpec
			if baseline {
				d, spec, err = s.convergeBase(ctx, i)
			} else {
				d, spec, err = s.convergeServe(ctx)
			}
			if err != nil {
				return nil, nil, "", fmt.Errorf("swarm convergence, repetition %d: %w", i+1, err)
			}
			if baseline {
				base, baseSpec = append(base, d.Seconds()), &spec
			} else {
				serve, serveSpec = append(serve, d.Seconds()), &spec
			}
			slog.Info("swarm convergence", "rep", i+1, "n", n, "baseline", baseline, "took", d.Round(time.Millisecond))
		}
	}
	specNote = "the same service spec as serve's (as stored: image, env, limits, port, restart, update and rollback config)"
	if diff := specDiff(*serveSpec, *baseSpec); len(diff) > 0 {
		specNote = "NOT the same service spec as serve's: " + strings.Join(diff, ", ") + " differ (the bench's log has both)"
	}
	return serve, base, specNote, nil
}

// convergeServe writes the spec with n replicas, times it to n task
// containers started, checks the task list, and removes the spec again,
// waiting until serve has removed the service and its containers are gone.
// It returns the service's spec as the engine stored it.
func (s *swarmRun) convergeServe(ctx context.Context) (time.Duration, swarm.ServiceSpec, error) {
	n := s.b.n
	path := filepath.Join(s.dir, swarmAppFile)
	begin := time.Now()
	if err := writeFile(path, appSpec(swarmImage, n)); err != nil {
		return 0, swarm.ServiceSpec{}, err
	}
	d, err := started(ctx, s.serveEvs, swarmImage, begin, n, 5*time.Minute)
	if err != nil {
		return 0, swarm.ServiceSpec{}, fmt.Errorf("serve: %w (log %s)", err, s.logPath)
	}
	svc, err := s.waitService(ctx, s.instance, swarmImage, 10*time.Second)
	if err != nil {
		return 0, swarm.ServiceSpec{}, err
	}
	if err := waitTasks(ctx, s.b.cli, svc.ID, n, time.Minute); err != nil {
		return 0, swarm.ServiceSpec{}, fmt.Errorf("serve: %w", err)
	}
	if err := os.Remove(path); err != nil {
		return 0, swarm.ServiceSpec{}, fmt.Errorf("remove spec: %w", err)
	}
	if err := s.waitNoService(ctx, s.instance, swarmImage, 2*time.Minute); err != nil {
		return 0, swarm.ServiceSpec{}, err
	}
	return d, svc.Spec, waitNoContainers(ctx, s.b.cli, func(inst string) bool { return inst == s.instance }, 3*time.Minute, swarmImage)
}

// convergeBase creates the baseline's service with n replicas, times it to
// n task containers started, checks the task list, removes the service and
// waits until its containers are gone. It returns the service's spec as
// the engine stored it.
func (s *swarmRun) convergeBase(ctx context.Context, rep int) (time.Duration, swarm.ServiceSpec, error) {
	n := s.b.n
	cli := s.b.cli
	spec := baseServiceSpec(fmt.Sprintf("%s-%d", s.baseInstance, rep+1), s.baseInstance, n)
	begin := time.Now()
	resp, err := cli.ServiceCreate(ctx, spec, swarm.ServiceCreateOptions{QueryRegistry: false})
	if err != nil {
		return 0, swarm.ServiceSpec{}, fmt.Errorf("baseline: service create: %w", err)
	}
	d, err := started(ctx, s.baseEvs, swarmImage, begin, n, 5*time.Minute)
	if err != nil {
		return 0, swarm.ServiceSpec{}, fmt.Errorf("baseline: %w", err)
	}
	if err := waitTasks(ctx, cli, resp.ID, n, time.Minute); err != nil {
		return 0, swarm.ServiceSpec{}, fmt.Errorf("baseline: %w", err)
	}
	stored, _, err := cli.ServiceInspectWithRaw(ctx, resp.ID, swarm.ServiceInspectOptions{})
	if err != nil {
		return 0, swarm.ServiceSpec{}, fmt.Errorf("baseline: inspect: %w", err)
	}
	if err := cli.ServiceRemove(ctx, resp.ID); err != nil {
		return 0, swarm.ServiceSpec{}, fmt.Errorf("baseline: remove: %w", err)
	}
	return d, stored.Spec, waitNoContainers(ctx, cli, func(inst string) bool { return inst == s.baseInstance }, 3*time.Minute)
}

// started returns the time from begin to the engine's start event of the
// n-th distinct container of image in l.
func started(ctx context.Context, l *eventLog, image string, begin time.Time, n int, within time.Duration) (time.Duration, error) {
	end := time.Now().Add(within)
	match := ofImage(image, events.ActionStart)
	for need := n; ; {
		ms, err := l.atLeast(ctx, begin, match, need, time.Until(end), fmt.Sprintf("starts of %d task containers of %s", n, image))
		if err != nil {
			return 0, err
		}
		seen := map[string]bool{}
		for _, m := range ms {
			if seen[m.Actor.ID] {
				continue
			}
			seen[m.Actor.ID] = true
			if len(seen) == n {
				return eventTime(m).Sub(begin), nil
			}
		}
		need = len(ms) + n - len(seen) // a container started twice
	}
}

// serviceOf is instance's service of image; ok false when there is none.
func serviceOf(ctx context.Context, cli *client.Client, instance, image string) (swarm.Service, bool, error) {
	f := filters.NewArgs(
		filters.Arg("label", engine.LabelInstance+"="+instance),
		filters.Arg("label", engine.LabelImage+"="+image),
	)
	list, err := cli.ServiceList(ctx, swarm.ServiceListOptions{Filters: f})
	if err != nil || len(list) == 0 {
		return swarm.Service{}, false, err
	}
	if len(list) > 1 {
		return swarm.Service{}, false, fmt.Errorf("%d services of %s for instance %s, want 1", len(list), image, instance)
	}
	return list[0], true, nil
}

// poll calls done every interval until it reports true or an error, or
// within has passed; what names the wait in the error, state says where it
// was.
func poll(ctx context.Context, interval, within time.Duration, what string, done func() (bool, string, error)) error {
	deadline := time.Now().Add(within)
	for {
		ok, state, err := done()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not within %s (%s)", what, within, state)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}

// waitService waits for instance's service of image.
func (s *swarmRun) waitService(ctx context.Context, instance, image string, within time.Duration) (swarm.Service, error) {
	var svc swarm.Service
	err := poll(ctx, 50*time.Millisecond, within, "the service of "+image, func() (bool, string, error) {
		var ok bool
		var err error
		svc, ok, err = serviceOf(ctx, s.b.cli, instance, image)
		return ok, "none", err
	})
	return svc, err
}

// waitNoService waits until instance's service of image is gone.
func (s *swarmRun) waitNoService(ctx context.Context, instance, image string, within time.Duration) error {
	return poll(ctx, 100*time.Millisecond, within, "removal of the service of "+image, func() (bool, string, error) {
		_, ok, err := serviceOf(ctx, s.b.cli, instance, image)
		return !ok, "still there", err
	})
}

// runningTasks is the tasks of the service that run now.
func runningTasks(ctx context.Context, cli *client.Client, id string) ([]swarm.Task, error) {
	tasks, err := cli.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", id))})
	if err != nil {
		return nil, fmt.Errorf("task list: %w", err)
	}
	return slices.DeleteFunc(tasks, func(t swarm.Task) bool { return t.Status.State != swarm.TaskStateRunning }), nil
}

// waitTasks waits until the service runs n tasks.
func waitTasks(ctx context.Context, cli *client.Client, id string, n int, within time.Duration) error {
	return poll(ctx, 100*time.Millisecond, within, fmt.Sprintf("%d tasks running", n), func() (bool, string, error) {
		tasks, err := runningTasks(ctx, cli, id)
		return len(tasks) == n, fmt.Sprintf("%d running", len(tasks)), err
	})
}

// waitNoContainers waits until no managed container, running or not, of
// an instance that match accepts is left (of the images given, or any).
func waitNoContainers(ctx context.Context, cli *client.Client, match func(instance string) bool, within time.Duration, images ...string) error {
	return poll(ctx, 250*time.Millisecond, within, "task containers gone", func() (bool, string, error) {
		list, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", engine.LabelManagedBy))})
		if err != nil {
			return false, "", fmt.Errorf("list containers: %w", err)
		}
		left := 0
		for _, c := range list {
			if match(c.Labels[engine.LabelInstance]) && (len(images) == 0 || slices.Contains(images, c.Labels[engine.LabelImage])) {
				left++
			}
		}
		return left == 0, fmt.Sprintf("%d left", left), nil
	})
}

// removeServices removes every managed service whose instance label
// satisfies match, and returns how many it removed.
func removeServices(ctx context.Context, cli *client.Client, match func(instance string) bool) (int, error) {
	list, err := cli.ServiceList(ctx, swarm.ServiceListOptions{Filters: filters.NewArgs(filters.Arg("label", engine.LabelManagedBy))})
	if err != nil {
		return 0, fmt.Errorf("list services: %w", err)
	}
	n := 0
	var errs []error
	for _, svc := range list {
		if !match(svc.Spec.Labels[engine.LabelInstance]) {
			continue
		}
		switch err := cli.ServiceRemove(ctx, svc.ID); {
		case err == nil:
			n++
		case !cerrdefs.IsNotFound(err):
			errs = append(errs, fmt.Errorf("remove service %s: %w", svc.Spec.Name, err))
		}
	}
	return n, errors.Join(errs...)
}

// quiet waits until serve has made no engine call for 300 ms.
func (s *swarmRun) quiet(ctx context.Context, what string) error {
	ok, err := s.px.waitQuiet(ctx, 300*time.Millisecond, 0, 30*time.Second)
	if err == nil && !ok {
		slog.Warn(what + ": serve not quiet within 30 s; measuring anyway")
	}
	return err
}

// hasEnv reports whether a container spec's env holds kv.
func hasEnv(cs *swarm.ContainerSpec, kv string) bool {
	return cs != nil && slices.Contains(cs.Env, kv)
}

// settleEdit waits until the edited service has finished what its last
// edit started: its spec holds EDIT=value, its rolling update is over
// (completed, or none), exactly its replicas run and all of that spec;
// then until serve is quiet.
func (s *swarmRun) settleEdit(ctx context.Context, id, value string) error {
	kv := swarmEditEnv + "=" + value
	err := poll(ctx, 100*time.Millisecond, 2*time.Minute, "the edited service settled at "+kv, func() (bool, string, error) {
		svc, _, err := s.b.cli.ServiceInspectWithRaw(ctx, id, swarm.ServiceInspectOptions{})
		if err != nil {
			return false, "", fmt.Errorf("inspect the edited service: %w", err)
		}
		tasks, err := runningTasks(ctx, s.b.cli, id)
		if err != nil {
			return false, "", err
		}
		current := 0
		for _, t := range tasks {
			if hasEnv(t.Spec.ContainerSpec, kv) {
				current++
			}
		}
		update := "none"
		if u := svc.UpdateStatus; u != nil && u.State != "" {
			update = string(u.State)
		}
		state := fmt.Sprintf("spec at %s: %v; update %s; %d running, %d of them at %s", kv, hasEnv(svc.Spec.TaskTemplate.ContainerSpec, kv), update, len(tasks), current, kv)
		done := hasEnv(svc.Spec.TaskTemplate.ContainerSpec, kv) && (update == "none" || update == string(swarm.UpdateStateCompleted)) &&
			len(tasks) == swarmEditReplicas && current == swarmEditReplicas
		return done, state, nil
	})
	if err != nil {
		return fmt.Errorf("swarm: %w (log %s)", err, s.logPath)
	}
	return s.quiet(ctx, "swarm edit")
}

// swarmEdit is one edit's times, from the rename.
type swarmEdit struct {
	total time.Duration // → the service's update event (Swarm's commit of the new spec)
	call  time.Duration // → serve's update call reached the engine (the proxy)
}

// edits edits the env value b.swarmEdits times, each on a settled service,
// timing the rename → the first update event of the service at or after
// serve's update call, and checks that the service then holds the value.
func (s *swarmRun) edits(ctx context.Context) ([]swarmEdit, error) {
	svc, err := s.waitService(ctx, s.instance, swarmEditImage, 10*time.Second)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(s.dir, swarmEditFile)
	var out []swarmEdit
	for i := 1; i <= s.b.swarmEdits; i++ {
		if err := s.settleEdit(ctx, svc.ID, strconv.Itoa(i-1)); err != nil {
			return nil, fmt.Errorf("before edit %d: %w", i, err)
		}
		value := strconv.Itoa(i)
		if err := writeFile(path, swarmEditSpec(value)); err != nil {
			return nil, err
		}
		renamed := time.Now()
		// The call is read when the event is: the engine commits the
		// update, and sends its event, after the call has reached it.
		var call time.Time
		ev, err := s.svcEvs.first(ctx, renamed, func(m events.Message) bool {
			if m.Actor.ID != svc.ID || m.Action != events.ActionUpdate {
				return false
			}
			call = s.px.lastCall(epServiceUpdate)
			return call.After(renamed) && m.TimeNano >= call.UnixNano()
		}, 30*time.Second, "update event of the edited service")
		if err != nil {
			return nil, fmt.Errorf("edit %d: %w (log %s)", i, err, s.logPath)
		}
		got, _, err := s.b.cli.ServiceInspectWithRaw(ctx, svc.ID, swarm.ServiceInspectOptions{})
		if err != nil {
			return nil, fmt.Errorf("edit %d: inspect: %w", i, err)
		}
		if kv := swarmEditEnv + "=" + value; !hasEnv(got.Spec.TaskTemplate.ContainerSpec, kv) {
			return nil, fmt.Errorf("edit %d: the service's update after serve's call does not hold %s", i, kv)
		}
		e := swarmEdit{total: eventTime(ev).Sub(renamed), call: call.Sub(renamed)}
		out = append(out, e)
		slog.Info("swarm edit", "edit", i, "total_ms", ms(e.total), "call_ms", ms(e.call))
	}
	return out, nil
}

// close tears the scenario down once: serve and its proxy, the services of
// serve and of the baseline (waiting for their containers), the swarm when
// this run made it, the lock.
func (s *swarmRun) close() error {
	s.once.Do(func() { s.err = s.shut() })
	return s.err
}

// teardown is close for the deferred and interrupted paths: it logs.
func (s *swarmRun) teardown() {
	if err := s.close(); err != nil {
		slog.Error("swarm teardown", "err", err)
	}
}

func (s *swarmRun) shut() error {
	s.srv.stop()
	s.px.close()
	// A fresh context: the run's own may be cancelled by a signal.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cli := s.b.cli
	ours := func(inst string) bool { return inst == s.instance || inst == s.baseInstance }
	var errs []error
	if s.joined {
		n, err := removeServices(ctx, cli, ours)
		errs = append(errs, err)
		if err := waitNoContainers(ctx, cli, ours, 3*time.Minute); err != nil {
			errs = append(errs, err)
		}
		slog.Info("swarm: removed this run's services", "services", n)
	}
	// Whatever is left: a task container Swarm did not remove in time.
	n, err := removeInstances(ctx, cli, ours)
	errs = append(errs, err)
	if n > 0 {
		slog.Warn("swarm: task containers left after the services' removal, removed", "containers", n)
	}
	if s.inited {
		if info, err := cli.Info(ctx); err != nil || info.Swarm.LocalNodeState != swarm.LocalNodeStateInactive {
			if err := cli.SwarmLeave(ctx, true); err != nil {
				errs = append(errs, fmt.Errorf("swarm leave: %w", err))
			} else {
				slog.Info("swarm: left the swarm this run made")
			}
		}
	}
	if s.lock != nil {
		_ = syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN)
		s.lock.Close()
	}
	return errors.Join(errs...)
}

// addSwarmConverge adds the convergence rows: serve with the ratio of the
// p50s against the baseline's, and the baseline.
func (b *bench) addSwarmConverge(serve, base []float64, specNote string) {
	scen := fmt.Sprintf("swarm: convergence (%d replicas, %d reps each)", b.n, len(serve))
	sv, bs := summarize(serve), summarize(base)
	r := ratio(sv.Median, bs.Median)
	b.add(Row{Scenario: scen, Metric: fmt.Sprintf("serve --engine swarm: spec with %d replicas → %d tasks running", b.n, b.n), Unit: "s", Summary: sv,
		Note: fmt.Sprintf("ratio %.2f vs docker service create (p50s); target ≤ %.2f: %s", r, swarmConvergeGoal, verdict(r, swarmConvergeGoal))})
	b.add(Row{Scenario: scen, Metric: fmt.Sprintf("baseline: ServiceCreate --replicas %d → %d tasks running", b.n, b.n), Unit: "s", Summary: bs,
		Note: "same run, alternating with serve; both timed to the start event of the last task container; " + specNote})
}

// addSwarmEdits adds the edit rows: p50 with the target, p99, and the part
// before serve's update call.
func (b *bench) addSwarmEdits(edits []swarmEdit) {
	scen := fmt.Sprintf("swarm: file edit → service update (%d edits)", len(edits))
	var totals, calls []time.Duration
	for _, e := range edits {
		totals, calls = append(totals, e.total), append(calls, e.call)
	}
	got, upto := durationsMs(totals), durationsMs(calls)
	sum := func(xs []float64, q float64) Summary {
		return Summary{Min: xs[0], Median: percentile(xs, q), Max: xs[len(xs)-1]}
	}
	p50 := percentile(got, 50)
	metric := fmt.Sprintf("rename (env value, %d replicas) → the service's update event", swarmEditReplicas)
	b.add(Row{Scenario: scen, Metric: metric + ", p50", Unit: "ms", Summary: sum(got, 50),
		Note: fmt.Sprintf("target ≤ %.0f ms: %s; the event's time is Swarm's commit of the new spec; min/max: of the edits", swarmEditGoal, verdict(p50, swarmEditGoal))})
	b.add(Row{Scenario: scen, Metric: metric + ", p99", Unit: "ms", Summary: sum(got, 99)})
	b.add(Row{Scenario: scen, Metric: "… rename → serve's update call reaches the engine, p50", Unit: "ms", Summary: sum(upto, 50),
		Note: fmt.Sprintf("p99 %.1f ms: the watcher, a pass (list services, tasks, containers), the plan; the rest is the engine's update", percentile(upto, 99))})
}
