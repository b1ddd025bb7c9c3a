package reconciler

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/spec"
)

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func webSpec(mut ...func(*spec.Spec)) spec.Spec {
	s := spec.New("web:v1")
	s.MinReplicas, s.MaxReplicas = 2, 4
	s.Ports = map[string]int{"8080/tcp": 0}
	s.Resources.CPU, s.Resources.Memory = "250m", "64m"
	for _, m := range mut {
		m(&s)
	}
	return s
}

// ctr is a container of spec s in slot n, created n minutes after t0.
func ctr(s spec.Spec, n int, state string, mut ...func(*engine.Container)) engine.Container {
	c := engine.Container{
		ID: s.Image + "#" + strconv.Itoa(n), Name: NamePrefix("", s.Image) + "-" + strconv.Itoa(n), Image: s.Image,
		SpecHash: s.Hash(), Slot: n, State: state, Created: t0.Add(time.Duration(n) * time.Minute),
	}
	c.Started = c.Created
	for _, m := range mut {
		m(&c)
	}
	return c
}

func desired(ss ...spec.Spec) map[string]Desired {
	out := map[string]Desired{}
	for _, s := range ss {
		t := max(s.MinReplicas, 1)
		if s.Resources.Status == spec.StatusStopped {
			t = 0
		}
		out[s.Image] = Desired{Spec: s, Target: t}
	}
	return out
}

// step is an action in a form that reads well in a table.
type step struct{ Kind, Image, Target string }

func steps(p map[string]*SpecPlan) []step {
	var out []step
	for _, a := range Actions(p) {
		target := a.ID
		if a.Kind == KindCreate {
			target = "new " + a.Name
			if a.Stopped {
				target += " (not started)"
			}
		}
		out = append(out, step{string(a.Kind), a.Image, target})
	}
	return out
}

func TestPlan(t *testing.T) {
	web := webSpec()
	webEnv := webSpec(func(s *spec.Spec) { s.Env = map[string]string{"A": "b"} }) // same image, new hash
	stopped := webSpec(func(s *spec.Spec) { s.Resources.Status = spec.StatusStopped })
	one := webSpec(func(s *spec.Spec) { s.MinReplicas = 1 })
	fixed := webSpec(func(s *spec.Spec) { s.MinReplicas, s.MaxReplicas, s.Ports = 1, 1, map[string]int{"8080/tcp": 8080} })
	fixedEnv := webSpec(func(s *spec.Spec) {
		s.MinReplicas, s.MaxReplicas, s.Ports, s.Env = 1, 1, map[string]int{"8080/tcp": 8080}, map[string]string{"A": "b"}
	})
	v2 := webSpec(func(s *spec.Spec) { s.Image = "web:v2" })
	db := webSpec(func(s *spec.Spec) { s.Image = "db:1" })
	held := func(c *engine.Container) { c.Held = true }
	restarts := func(n int) func(*engine.Container) { return func(c *engine.Container) { c.RestartCount = n } }
	health := func(h string) func(*engine.Container) { return func(c *engine.Container) { c.Health = h } }
	old := func(c *engine.Container) { c.SpecHash = "v1:old" }
	created := func(at time.Time) func(*engine.Container) { return func(c *engine.Container) { c.Created = at } }
	started := func(at time.Time) func(*engine.Container) { return func(c *engine.Container) { c.Started = at } }
	probeFails := func(out string) func(*engine.Container) {
		return func(c *engine.Container) { c.Health, c.HealthError = "unhealthy", out }
	}
	webEnv2 := webSpec(func(s *spec.Spec) { s.Env = map[string]string{"A": "c"} }) // the fix of webEnv

	tests := []struct {
		name      string
		in        Input
		want      []step
		wantWait  map[string]string
		wantStuck []string
		// wantRecheck is when each plan asks for a pass with no event.
		wantRecheck map[string]time.Time
	}{
		{
			name: "new spec creates min_replicas with the lowest free slots",
			in:   Input{Desired: desired(webSpec(func(s *spec.Spec) { s.MinReplicas = 3 }))},
			want: []step{{"create", "web:v1", "new web-v1-1"}, {"create", "web:v1", "new web-v1-2"}, {"create", "web:v1", "new web-v1-3"}},
		},
		{
			name: "converged spec plans nothing",
			in:   Input{Desired: desired(web), Containers: []engine.Container{ctr(web, 1, "running"), ctr(web, 2, "running")}},
		},
		{
			name: "scaling alone never recreates",
			in: Input{Desired: desired(webSpec(func(s *spec.Spec) { s.MaxReplicas = 9 })),
				Containers: []engine.Container{ctr(web, 1, "running"), ctr(web, 2, "running")}},
		},
		{
			name: "scale down removes unhealthy, then most restarts, then newest",
			in: Input{Desired: desired(one), Containers: []engine.Container{
				ctr(web, 1, "running", restarts(3)), ctr(web, 2, "running"), ctr(web, 3, "running"),
				ctr(web, 4, "running", health("unhealthy")),
			}},
			want: []step{{"remove", "web:v1", "web:v1#4"}, {"remove", "web:v1", "web:v1#1"}, {"remove", "web:v1", "web:v1#3"}},
		},
		{
			name: "a removed replica is replaced in the freed slot",
			in:   Input{Desired: desired(web), Containers: []engine.Container{ctr(web, 2, "running")}},
			want: []step{{"create", "web:v1", "new web-v1-1"}},
		},
		{
			name: "a replica stopped by hand is started again",
			in:   Input{Desired: desired(web), Containers: []engine.Container{ctr(web, 1, "running"), ctr(web, 2, "exited")}},
			want: []step{{"start", "web:v1", "web:v1#2"}},
		},
		{
			name: "status stopped stops every container and keeps it; held ones are left alone",
			in: Input{Desired: desired(stopped), Containers: []engine.Container{
				ctr(web, 1, "running"), ctr(web, 2, "restarting"), ctr(web, 3, "exited"), ctr(web, 4, "running", held),
			}},
			want: []step{{"stop", "web:v1", "web:v1#1"}, {"stop", "web:v1", "web:v1#2"}},
		},
		{
			name: "a new stopped spec creates max(min_replicas, 1) containers and starts none",
			in:   Input{Desired: desired(stopped)},
			want: []step{{"create", "web:v1", "new web-v1-1 (not started)"}, {"create", "web:v1", "new web-v1-2 (not started)"}},
		},
		{
			name: "a held container of a stopped spec counts as one that exists, and is left alone",
			in: Input{Desired: desired(webSpec(func(s *spec.Spec) { s.MinReplicas, s.Resources.Status = 1, spec.StatusStopped })),
				Containers: []engine.Container{ctr(web, 1, "running", held)}},
		},
		{
			name: "a stopped spec with min_replicas 0 still has one container",
			in:   Input{Desired: desired(webSpec(func(s *spec.Spec) { s.MinReplicas, s.Resources.Status = 0, spec.StatusStopped }))},
			want: []step{{"create", "web:v1", "new web-v1-1 (not started)"}},
		},
		{
			name: "a stopped spec replaces outdated stopped containers, removes dead ones, keeps its surplus",
			in: Input{Desired: desired(webSpec(func(s *spec.Spec) { s.MinReplicas, s.Resources.Status = 1, spec.StatusStopped })),
				Containers: []engine.Container{ctr(web, 1, "exited", old), ctr(web, 2, "dead"), ctr(web, 3, "exited"), ctr(web, 4, "created")}},
			want: []step{{"remove", "web:v1", "web:v1#1"}, {"remove", "web:v1", "web:v1#2"}},
		},
		{
			name: "a stopped spec whose only container is outdated stops it and creates its successor",
			in: Input{Desired: desired(webSpec(func(s *spec.Spec) { s.MinReplicas, s.Resources.Status = 1, spec.StatusStopped })),
				Containers: []engine.Container{ctr(web, 1, "running", old)}},
			want: []step{{"stop", "web:v1", "web:v1#1"}, {"create", "web:v1", "new web-v1-2 (not started)"}},
		},
		{
			name: "back to running starts the same containers, newest first, surplus removed",
			in: Input{Desired: desired(web), Containers: []engine.Container{
				ctr(web, 1, "exited"), ctr(web, 2, "exited"), ctr(web, 3, "exited"),
			}},
			want: []step{{"start", "web:v1", "web:v1#3"}, {"start", "web:v1", "web:v1#2"}, {"remove", "web:v1", "web:v1#1"}},
		},
		{
			name: "scale up starts stopped replicas before creating",
			in:   Input{Desired: desired(webSpec(func(s *spec.Spec) { s.MinReplicas = 3 })), Containers: []engine.Container{ctr(web, 1, "exited")}},
			want: []step{{"start", "web:v1", "web:v1#1"}, {"create", "web:v1", "new web-v1-2"}, {"create", "web:v1", "new web-v1-3"}},
		},
		{
			name: "a held container is not counted: a replacement is created",
			in:   Input{Desired: desired(web), Containers: []engine.Container{ctr(web, 1, "running"), ctr(web, 2, "exited", held)}},
			want: []step{{"create", "web:v1", "new web-v1-3"}},
		},
		{
			name: "dead containers are removed",
			in:   Input{Desired: desired(web), Containers: []engine.Container{ctr(web, 1, "running"), ctr(web, 2, "running"), ctr(web, 3, "dead")}},
			want: []step{{"remove", "web:v1", "web:v1#3"}},
		},
		{
			name: "spec change, random ports: start-first, one new container beyond the target",
			in:   Input{Desired: desired(webEnv), Containers: []engine.Container{ctr(web, 1, "running"), ctr(web, 2, "running")}},
			want: []step{{"create", "web:v1", "new web-v1-3"}},
		},
		{
			name: "spec change: outdated stopped containers serve nobody and go at once",
			in:   Input{Desired: desired(webEnv), Containers: []engine.Container{ctr(web, 1, "exited"), ctr(webEnv, 2, "running"), ctr(webEnv, 3, "running")}},
			want: []step{{"remove", "web:v1", "web:v1#1"}},
		},
		{
			name: "rollout waits while the new container is not ready, and passes again at its ready deadline",
			in: Input{Desired: desired(webEnv), Now: t0.Add(3*time.Minute + 59*time.Second), ReadyTimeout: time.Minute, Containers: []engine.Container{
				ctr(web, 1, "running"), ctr(web, 2, "running"), ctr(webEnv, 3, "running", health("starting")),
			}},
			wantWait:    map[string]string{"web:v1": "rollout waits for web-v1-3 to become ready"},
			wantRecheck: map[string]time.Time{"web:v1": t0.Add(4 * time.Minute)},
		},
		{
			name: "at its ready deadline, a new container that is not ready pauses the rollout",
			in: Input{Desired: desired(webEnv), Now: t0.Add(4 * time.Minute), ReadyTimeout: time.Minute, Containers: []engine.Container{
				ctr(web, 1, "running"), ctr(web, 2, "running"), ctr(webEnv, 3, "running", health("starting")),
			}},
			wantWait:  map[string]string{"web:v1": "rollout paused, old containers kept: web-v1-3 is not ready after 1m0s (state running, health starting, 0 restarts)"},
			wantStuck: []string{"web:v1"},
		},
		{
			name: "rollout removes one outdated container once the new one is ready",
			in: Input{Desired: desired(webEnv), Containers: []engine.Container{
				ctr(web, 1, "running"), ctr(web, 2, "running", restarts(1)), ctr(webEnv, 3, "running"),
			}},
			want: []step{{"remove", "web:v1", "web:v1#2"}},
		},
		{
			name: "rollout stops when the new container misses the deadline; old ones stay",
			in: Input{Desired: desired(webEnv), Now: t0.Add(10 * time.Minute), ReadyTimeout: time.Minute, Containers: []engine.Container{
				ctr(web, 1, "running"), ctr(web, 2, "running"), ctr(webEnv, 3, "restarting"),
			}},
			wantWait:  map[string]string{"web:v1": "rollout paused, old containers kept: web-v1-3 is not ready after 1m0s (state restarting, 0 restarts)"},
			wantStuck: []string{"web:v1"},
		},
		{
			name: "rollout pauses on a new version that fails its probe, saying what the probe said; old ones stay",
			in: Input{Desired: desired(webEnv), Now: t0.Add(10 * time.Minute), ReadyTimeout: time.Minute, MinReady: 5 * time.Second, Containers: []engine.Container{
				ctr(web, 1, "running"), ctr(web, 2, "running"), ctr(webEnv, 3, "running", probeFails("exit 1: GET /healthz answered 503")),
			}},
			wantWait: map[string]string{"web:v1": "rollout paused, old containers kept: web-v1-3 is not ready after 1m0s " +
				"(state running, health unhealthy, 0 restarts); last health check: exit 1: GET /healthz answered 503"},
			wantStuck: []string{"web:v1"},
		},
		{
			name: "a new version still starting within the ready timeout holds the rollout, not yet paused",
			in: Input{Desired: desired(webEnv), Now: t0.Add(3*time.Minute + 30*time.Second), ReadyTimeout: time.Minute, MinReady: 5 * time.Second, Containers: []engine.Container{
				ctr(web, 1, "running"), ctr(web, 2, "running"),
				ctr(webEnv, 3, "running", health("starting"), func(c *engine.Container) { c.HealthError = "exit 1: connection refused" }),
			}},
			wantWait:    map[string]string{"web:v1": "rollout waits for web-v1-3 to become ready"},
			wantRecheck: map[string]time.Time{"web:v1": t0.Add(4 * time.Minute)},
		},
		{
			name: "a paused rollout resumes on a new spec: the failed new container goes first, old ones stay",
			in: Input{Desired: desired(webEnv2), Now: t0.Add(10 * time.Minute), ReadyTimeout: time.Minute, MinReady: 5 * time.Second, Containers: []engine.Container{
				ctr(web, 1, "running"), ctr(web, 2, "running"), ctr(webEnv, 3, "running", probeFails("exit 1: sick")),
			}},
			want: []step{{"remove", "web:v1", "web:v1#3"}},
		},
		{
			name: "a resumed rollout starts one fixed container beyond the old ones",
			in: Input{Desired: desired(webEnv2), Now: t0.Add(10 * time.Minute), ReadyTimeout: time.Minute, MinReady: 5 * time.Second, Containers: []engine.Container{
				ctr(web, 1, "running"), ctr(web, 2, "running"),
			}},
			want: []step{{"create", "web:v1", "new web-v1-3"}},
		},
		{
			name: "a spec whose container fails its probe past the ready timeout is not converging, with the probe's error",
			in: Input{Desired: desired(web), ReadyTimeout: time.Minute, Containers: []engine.Container{
				ctr(web, 1, "running"), ctr(web, 2, "running", probeFails("exit -1: Health check exceeded timeout (2s)")),
			}},
			wantWait: map[string]string{"web:v1": "not converging: web-v1-2 is not ready after 1m0s " +
				"(state running, health unhealthy, 0 restarts); last health check: exit -1: Health check exceeded timeout (2s)"},
			wantStuck: []string{"web:v1"},
		},
		{
			name: "rollout waits while the new version crash-loops, even when caught running just after a restart",
			in: Input{Desired: desired(webEnv), Now: t0.Add(4 * time.Minute), ReadyTimeout: 10 * time.Minute, MinReady: 5 * time.Second, Containers: []engine.Container{
				ctr(web, 1, "running"), ctr(web, 2, "running"), ctr(webEnv, 3, "running", restarts(4), started(t0.Add(4*time.Minute-2*time.Second))),
			}},
			wantWait:    map[string]string{"web:v1": "rollout waits for web-v1-3 to become ready"},
			wantRecheck: map[string]time.Time{"web:v1": t0.Add(4*time.Minute + 3*time.Second)},
		},
		{
			name: "a crash-looping new version past the ready timeout pauses the rollout",
			in: Input{Desired: desired(webEnv), Now: t0.Add(10 * time.Minute), ReadyTimeout: time.Minute, MinReady: 5 * time.Second, Containers: []engine.Container{
				ctr(web, 1, "running"), ctr(web, 2, "running"), ctr(webEnv, 3, "restarting", restarts(9), started(t0.Add(10*time.Minute-3*time.Second))),
			}},
			wantWait:  map[string]string{"web:v1": "rollout paused, old containers kept: web-v1-3 is not ready after 1m0s (state restarting, 9 restarts)"},
			wantStuck: []string{"web:v1"},
		},
		{
			name: "a new container that Docker restarted once is stable MinReady after that restart: the rollout goes on",
			in: Input{Desired: desired(webEnv), ReadyTimeout: time.Minute, MinReady: 5 * time.Second, Containers: []engine.Container{
				ctr(web, 1, "running"), ctr(web, 2, "running"), ctr(webEnv, 3, "running", restarts(1), started(t0.Add(time.Hour-5*time.Second))),
			}},
			want: []step{{"remove", "web:v1", "web:v1#2"}},
		},
		{
			name: "within MinReady of its restart, a container past the ready timeout pauses the rollout until it is stable again",
			in: Input{Desired: desired(webEnv), ReadyTimeout: time.Minute, MinReady: 5 * time.Second, Containers: []engine.Container{
				ctr(web, 1, "running"), ctr(web, 2, "running"), ctr(webEnv, 3, "running", restarts(1), started(t0.Add(time.Hour-time.Second))),
			}},
			wantWait:    map[string]string{"web:v1": "rollout paused, old containers kept: web-v1-3 is not ready after 1m0s (state running, 1 restarts)"},
			wantStuck:   []string{"web:v1"},
			wantRecheck: map[string]time.Time{"web:v1": t0.Add(time.Hour + 4*time.Second)},
		},
		{
			name: "a converged spec whose container Docker restarted once is converged again MinReady after the restart",
			in: Input{Desired: desired(web), ReadyTimeout: time.Minute, MinReady: 5 * time.Second, Containers: []engine.Container{
				ctr(web, 1, "running", restarts(1), started(t0.Add(time.Hour-6*time.Second))), ctr(web, 2, "running"),
			}},
		},
		{
			name: "tag bump: v1 goes once v2 is stable, a restart of v2 notwithstanding",
			in: Input{Desired: desired(v2), ReadyTimeout: time.Minute, MinReady: 5 * time.Second, Containers: []engine.Container{
				ctr(web, 1, "running"), ctr(v2, 1, "running", restarts(2), started(t0.Add(30*time.Minute))), ctr(v2, 2, "running"),
			}},
			want: []step{{"remove", "web:v1", "web:v1#1"}},
		},
		{
			name: "rollout waits out the new container's monitor period",
			in: Input{Desired: desired(webEnv), Now: t0.Add(3*time.Minute + 2*time.Second), MinReady: 5 * time.Second, Containers: []engine.Container{
				ctr(web, 1, "running"), ctr(web, 2, "running"), ctr(webEnv, 3, "running"),
			}},
			wantWait:    map[string]string{"web:v1": "rollout waits for web-v1-3 to become ready"},
			wantRecheck: map[string]time.Time{"web:v1": t0.Add(3*time.Minute + 5*time.Second)},
		},
		{
			name: "a paused replica is left alone and not counted",
			in:   Input{Desired: desired(web), Containers: []engine.Container{ctr(web, 1, "paused"), ctr(web, 2, "running")}},
			want: []step{{"create", "web:v1", "new web-v1-3"}},
		},
		{
			name: "a deleted spec does not wait for an old spec of its repository",
			in: Input{Desired: desired(v2), ReadyTimeout: time.Minute, Since: map[string]time.Time{"web:v2": t0},
				Containers: []engine.Container{ctr(web, 1, "running")}},
			want: []step{{"remove", "web:v1", "web:v1#1"}, {"create", "web:v2", "new web-v2-1"}, {"create", "web:v2", "new web-v2-2"}},
		},
		{
			name: "fixed host port: stop-first, the old container goes before the new one is created",
			in:   Input{Desired: desired(fixedEnv), Containers: []engine.Container{ctr(fixed, 1, "running")}},
			want: []step{{"remove", "web:v1", "web:v1#1"}},
		},
		{
			name: "a deleted spec is pruned",
			in:   Input{Containers: []engine.Container{ctr(web, 1, "running"), ctr(web, 2, "exited", held)}},
			want: []step{{"remove", "web:v1", "web:v1#1"}, {"remove", "web:v1", "web:v1#2"}},
		},
		{
			name:     "a spec whose file is broken is kept",
			in:       Input{Keep: map[string]bool{"web:v1": true}, Containers: []engine.Container{ctr(web, 1, "running")}},
			wantWait: map[string]string{"web:v1": "kept: the file that held this spec has errors, or the image is defined twice"},
		},
		{
			name:     "no prune while a file does not parse",
			in:       Input{NoPrune: "bad.yaml does not parse", Containers: []engine.Container{ctr(web, 1, "running")}},
			wantWait: map[string]string{"web:v1": "not pruned: bad.yaml does not parse"},
		},
		{
			name:     "tag bump: v2 starts while v1 stays",
			in:       Input{Desired: desired(v2), Containers: []engine.Container{ctr(web, 1, "running"), ctr(web, 2, "running")}},
			want:     []step{{"create", "web:v2", "new web-v2-1"}, {"create", "web:v2", "new web-v2-2"}},
			wantWait: map[string]string{"web:v1": "prune waits for web:v2 to be ready"},
		},
		{
			name: "tag bump: v1 goes once v2 is ready",
			in: Input{Desired: desired(v2), Containers: []engine.Container{
				ctr(web, 1, "running"), ctr(web, 2, "running"), ctr(v2, 1, "running"), ctr(v2, 2, "running"),
			}},
			want: []step{{"remove", "web:v1", "web:v1#1"}, {"remove", "web:v1", "web:v1#2"}},
		},
		{
			name: "an unrelated deleted spec is pruned while another converges",
			in:   Input{Desired: desired(db), Containers: []engine.Container{ctr(web, 1, "running")}},
			want: []step{{"create", "db:1", "new db-1-1"}, {"create", "db:1", "new db-1-2"}, {"remove", "web:v1", "web:v1#1"}},
		},
		{
			name: "names skip slots taken by any managed container",
			in: Input{Desired: desired(web), Containers: []engine.Container{
				ctr(web, 1, "exited", held), ctr(web, 2, "running", old, created(t0)),
			}},
			want: []step{{"create", "web:v1", "new web-v1-3"}, {"create", "web:v1", "new web-v1-4"}},
		},
		{
			name: "a name prefix prefixes names",
			in:   Input{Instance: "t1", NamePrefix: "t1", Desired: desired(one)},
			want: []step{{"create", "web:v1", "new t1-web-v1-1"}},
		},
		{
			name: "an instance alone (serve's default) labels but does not prefix",
			in:   Input{Instance: "state-1a2b3c4d", Desired: desired(one)},
			want: []step{{"create", "web:v1", "new web-v1-1"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.in.Now.IsZero() {
				tc.in.Now = t0.Add(time.Hour)
			}
			p := Plan(tc.in)
			if diff := cmp.Diff(tc.want, steps(p)); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
			gotWait, gotStuck, gotRecheck := map[string]string{}, []string(nil), map[string]time.Time{}
			for image, sp := range p {
				if sp.Wait != "" {
					gotWait[image] = sp.Wait
				}
				if sp.Stuck {
					gotStuck = append(gotStuck, image)
					if sp.StuckReason == "" || !strings.HasSuffix(sp.Wait, ": "+sp.StuckReason) {
						t.Errorf("%s: StuckReason %q, want the reason its wait %q gives", image, sp.StuckReason, sp.Wait)
					}
				}
				if !sp.RecheckAt.IsZero() {
					gotRecheck[image] = sp.RecheckAt
				}
			}
			if tc.wantWait == nil {
				tc.wantWait = map[string]string{}
			}
			if diff := cmp.Diff(tc.wantWait, gotWait); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantStuck, gotStuck); diff != "" {
				t.Errorf("stuck (-want +got):\n%s", diff)
			}
			if tc.wantRecheck == nil {
				tc.wantRecheck = map[string]time.Time{}
			}
			if diff := cmp.Diff(tc.wantRecheck, gotRecheck); diff != "" {
				t.Errorf("recheck at (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCreateConfig(t *testing.T) {
	s := webSpec(func(s *spec.Spec) { s.Ports = map[string]int{"8080": 0, "53/udp": 0} })
	p := Plan(Input{Instance: "ci", NamePrefix: "ci", Desired: desired(s)})
	got := Actions(p)[0].Config
	want := engine.Config{
		Name: "ci-web-v1-1", Image: "web:v1", Env: map[string]string{},
		Ports:    map[string]int{"8080/tcp": 0, "53/udp": 0},
		NanoCPUs: 250_000_000, MemoryBytes: 64 << 20,
		Labels: map[string]string{
			engine.LabelImage: "web:v1", engine.LabelSpecHash: s.Hash(), engine.LabelManagedBy: engine.ManagedBy, engine.LabelInstance: "ci", engine.LabelSlot: "1",
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
}
