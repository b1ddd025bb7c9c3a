package reconciler

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/spec"
)

// Kind is what an action does to a container.
type Kind string

// The four actions of the original API's "actions" list.
const (
	KindCreate Kind = "create" // create and start a new container
	KindStart  Kind = "start"
	KindStop   Kind = "stop"
	KindRemove Kind = "remove"
)

// Action is one step of a plan.
type Action struct {
	Kind   Kind
	Image  string
	ID     string // the container acted on; empty for create
	Name   string
	Config engine.Config // for create
	// Stopped: for create, leave the new container created and not
	// started: a stopped spec's containers exist but do not run.
	Stopped bool
	// Running: for remove, the container still runs, so it is stopped
	// gracefully first.
	Running bool
	// Replicas and Version: for the service kinds (plan_services.go), the
	// service's task count and the version of it an update is made at.
	Replicas int
	Version  uint64
	Reason   string // why, for the log
}

// Desired is one spec as a pass wants it.
type Desired struct {
	Spec   spec.Spec
	Target int    // running replicas wanted; 0 when stopped
	Hash   string // Spec.Hash(), when the caller has it: a pass hashes each spec once
	// Dir is the absolute directory of the spec's file: where its relative
	// bind mounts (./conf) are.
	Dir string
}

// hash is the spec's hash, computed only when the caller left it out.
func (d Desired) hash() string {
	if d.Hash != "" {
		return d.Hash
	}
	return d.Spec.Hash()
}

// Input is everything a plan is computed from: no I/O happens in Plan.
type Input struct {
	Desired map[string]Desired // by image
	// Keep lists images that are not desired now but whose containers stay:
	// their file is broken or their image is in conflict.
	Keep map[string]bool
	// NoPrune, when set, is why no container of an undesired image may be
	// removed in this pass (say, a file that does not parse at all).
	NoPrune      string
	Containers   []engine.Container
	Now          time.Time
	ReadyTimeout time.Duration // a new container must be stable within this
	MinReady     time.Duration // ...and running that long without a restart
	// Since says when each desired image became desired. A deleted spec of
	// the same repository waits for a young one (a tag bump), not an old one.
	Since      map[string]time.Time
	Instance   string // labels new containers, when set
	NamePrefix string // begins new containers' names, when set
	// Leaving are containers left out of the plan (their removal is under
	// way) whose names are still taken: no new container is named after
	// one of them.
	Leaving []engine.Container
	// Short says, of an engine of services, since when each image's
	// service has run fewer ready tasks than its target, as the passes
	// before this one saw it (SpecPlan.Short): a shortfall that lasts
	// ReadyTimeout is Degraded.
	Short map[string]time.Time
}

// SpecPlan is the plan for one image.
type SpecPlan struct {
	Actions []Action
	// Wait says why the spec is not converging further in this pass: a new
	// container not ready yet, a prune held back.
	Wait string
	// Stuck: a new container missed ReadyTimeout. A rollout pauses, as
	// Swarm's failure_action: pause does: the old containers stay, and the
	// spec is Degraded until a container, an edit or an event moves it.
	Stuck bool
	// StuckReason is which container missed ReadyTimeout and why: its state,
	// restarts and its health probe's last failure. The status's last error.
	StuckReason string
	// Short: the service runs fewer ready tasks than its target (see
	// Input.Short).
	Short bool
	// RecheckAt is when the plan may change with no event: a new container
	// finishes its MinReady period.
	RecheckAt time.Time
}

// Plan decides, for every desired and every orphaned image, what to do now.
// It is level-triggered: each call looks only at desired and actual state,
// and takes one safe step of any rollout.
func Plan(in Input) map[string]*SpecPlan {
	byImage := map[string][]engine.Container{}
	names := map[string]bool{}
	for _, c := range in.Containers {
		byImage[c.Image] = append(byImage[c.Image], c)
		names[c.Name] = true
	}
	for _, c := range in.Leaving {
		names[c.Name] = true
	}
	n := &namer{taken: names, instance: in.Instance, prefix: in.NamePrefix}
	out := map[string]*SpecPlan{}
	for _, image := range slices.Sorted(maps.Keys(in.Desired)) {
		d := in.Desired[image]
		if d.Spec.Resources.Status == spec.StatusStopped {
			out[image] = planStopped(d, byImage[image], n)
		} else {
			out[image] = planRunning(d, byImage[image], in, n)
		}
	}
	for image, cs := range byImage {
		if _, desired := in.Desired[image]; !desired {
			out[image] = planOrphan(image, cs, in, out)
		}
	}
	return out
}

// maxCreatesPerPass bounds the containers one pass plans to create for one
// spec, as Kubernetes' ReplicaSet controller bounds a sync (burstReplicas):
// a spec asking for a million replicas (min_replicas has no upper bound)
// costs each pass one batch, and the events of that batch's creates wake
// the pass of the next (a failed batch backs off as any failure does),
// instead of one pass that names a million containers and never ends (nor
// lets any other spec, a write's wait or a shutdown through).
const maxCreatesPerPass = 500

// Actions flattens a plan in image order.
func Actions(p map[string]*SpecPlan) []Action {
	var out []Action
	for _, image := range slices.Sorted(maps.Keys(p)) {
		out = append(out, p[image].Actions...)
	}
	return out
}

// planStopped makes a stopped spec's containers exist without running
// (docs/design.md §4): running ones are stopped and kept, and when fewer than
// max(min_replicas, 1) of the current version exist, the missing ones are
// created and not started, as `docker create` does. Outdated containers
// that are not running are replaced; surplus stopped ones are kept until
// the spec runs again.
func planStopped(d Desired, cs []engine.Container, n *namer) *SpecPlan {
	p := &SpecPlan{}
	hash, have := d.hash(), 0
	for _, c := range cs {
		switch {
		case c.State == "removing":
		case c.Held: // the operator's: never stopped or removed here, but it exists
			if c.SpecHash == hash {
				have++
			}
		case c.Active() || c.State == "paused":
			p.Actions = append(p.Actions, act(KindStop, c, "spec status is stopped"))
			if c.SpecHash == hash {
				have++
			}
		case c.State == "dead":
			p.Actions = append(p.Actions, act(KindRemove, c, "dead"))
		case c.SpecHash != hash:
			p.Actions = append(p.Actions, act(KindRemove, c, "outdated and not running"))
		default:
			have++
		}
	}
	for made := 0; have < max(d.Spec.MinReplicas, 1) && made < maxCreatesPerPass; have, made = have+1, made+1 {
		cfg := n.config(d)
		p.Actions = append(p.Actions, Action{Kind: KindCreate, Image: d.Spec.Image, Name: cfg.Name, Config: cfg, Stopped: true,
			Reason: "spec status is stopped: create, do not start"})
	}
	return p
}

func planRunning(d Desired, cs []engine.Container, in Input, n *namer) *SpecPlan {
	p := &SpecPlan{}
	hash := d.hash()
	var activeCur, inactiveCur, activeOld []engine.Container
	for _, c := range cs {
		switch {
		case c.Held || c.State == "removing" || c.State == "paused":
			// the operator holds it (or paused it by hand: never destroy
			// what someone is looking at), or the engine is removing it
		case c.State == "dead":
			p.Actions = append(p.Actions, act(KindRemove, c, "dead"))
		case c.SpecHash != hash && !c.Active():
			p.Actions = append(p.Actions, act(KindRemove, c, "outdated and not running"))
		case c.SpecHash != hash:
			activeOld = append(activeOld, c)
		case c.Active():
			activeCur = append(activeCur, c)
		default:
			inactiveCur = append(inactiveCur, c)
		}
	}
	// A new container must be stable (ready for MinReady since its last
	// start) before an old one goes for it.
	var unstable []engine.Container
	for _, c := range activeCur {
		if c.Stable(in.Now, in.MinReady) {
			continue
		}
		unstable = append(unstable, c)
		if c.Ready() && !c.Started.IsZero() {
			// It turns stable then with no event to say so; also when the
			// plan is stuck, which a restarted container past ReadyTimeout
			// is until then.
			p.recheck(c.Started.Add(in.MinReady))
		}
		if in.ReadyTimeout <= 0 {
			continue
		}
		switch deadline := c.Created.Add(in.ReadyTimeout); {
		case !in.Now.Before(deadline):
			if !p.Stuck {
				p.Stuck, p.StuckReason = true, notReady(c, in.ReadyTimeout)
			}
		default:
			// A container that never gets ready may send no event when its
			// time is up (an unhealthy one stays unhealthy): pass then, so
			// that the pause and its reason show at once, not at a resync.
			p.recheck(deadline)
		}
	}
	target := d.Target

	if len(activeOld) > 0 { // a rollout: one container at a time
		switch {
		case p.Stuck:
			// Paused: the new version's containers stay (one, start-first)
			// for the operator to look at, the old ones serve. A new spec
			// hash makes both outdated, and the rollout to it ranks the
			// unhealthy one out first.
			p.Wait = "rollout paused, old containers kept: " + p.StuckReason
			return p
		case len(unstable) > 0:
			p.Wait = "rollout waits for " + unstable[0].Name + " to become ready"
			return p
		}
		total := len(activeCur) + len(activeOld)
		if fixedHostPort(d.Spec) { // stop-first: the new one needs the old one's port
			if total >= target {
				p.Actions = append(p.Actions, act(KindRemove, rank(activeOld, hash)[0], "outdated (stop-first rollout)"))
				return p
			}
			p.Actions = append(p.Actions, scaleUp(d, inactiveCur, target-total, n)...)
			return p
		}
		if total > target {
			p.Actions = append(p.Actions, act(KindRemove, rank(activeOld, hash)[0], "outdated, replaced (start-first rollout)"))
			return p
		}
		p.Actions = append(p.Actions, scaleUp(d, inactiveCur, min(target-len(activeCur), target+1-total), n)...)
		return p
	}

	// A fresh start waits for its dependencies (depends_on).
	if len(activeCur)+len(inactiveCur) == 0 && target > 0 {
		if dep, until := waitsFor(d, in); dep != "" {
			p.Wait = "waits for " + dep + " to be ready (depends_on)"
			p.recheck(until)
			return p
		}
	}
	deficit := target - len(activeCur)
	started := 0
	if deficit > 0 {
		ups := scaleUp(d, inactiveCur, deficit, n)
		for _, a := range ups {
			if a.Kind == KindStart {
				started++
			}
		}
		p.Actions = append(p.Actions, ups...)
	}
	if deficit < 0 {
		for _, c := range rank(activeCur, hash)[:-deficit] {
			p.Actions = append(p.Actions, act(KindRemove, c, "scale down to "+strconv.Itoa(target)))
		}
	}
	// Stopped containers that are not started now are surplus.
	for _, c := range newestFirst(startable(inactiveCur))[started:] {
		p.Actions = append(p.Actions, act(KindRemove, c, "surplus, not running"))
	}
	for _, c := range inactiveCur {
		if !canStart(c) {
			p.Actions = append(p.Actions, act(KindRemove, c, "surplus, state "+c.State))
		}
	}
	if p.Stuck {
		p.Wait = "not converging: " + p.StuckReason
	}
	return p
}

// notReady says why c missed the ready timeout: its state, restarts and
// its health probe's last failure (what a `docker inspect` would show).
func notReady(c engine.Container, timeout time.Duration) string {
	why := fmt.Sprintf("%s is not ready after %s (state %s%s, %d restarts)", c.Name, timeout, c.State, healthSuffix(c), c.RestartCount)
	if c.HealthError != "" {
		why += "; last health check: " + c.HealthError
	}
	return why
}

func (p *SpecPlan) recheck(t time.Time) {
	if p.RecheckAt.IsZero() || t.Before(p.RecheckAt) {
		p.RecheckAt = t
	}
}

// scaleUp starts this spec's own stopped containers first, newest first,
// then creates new ones, for want containers in all.
func scaleUp(d Desired, inactive []engine.Container, want int, n *namer) []Action {
	var out []Action
	for _, c := range newestFirst(startable(inactive)) {
		if len(out) == want {
			return out
		}
		out = append(out, act(KindStart, c, "scale up: start a stopped replica"))
	}
	for made := 0; len(out) < want && made < maxCreatesPerPass; made++ {
		cfg := n.config(d)
		out = append(out, Action{Kind: KindCreate, Image: d.Spec.Image, Name: cfg.Name, Config: cfg, Reason: "scale up to " + strconv.Itoa(d.Target)})
	}
	return out
}

func planOrphan(image string, cs []engine.Container, in Input, plans map[string]*SpecPlan) *SpecPlan {
	p := &SpecPlan{}
	why, successor := pruneWait(image, in, func(other string) bool {
		return !hasActive(cs) || converged(plans[other], in.Desired[other], in)
	})
	if why != "" {
		p.Wait = why
		if successor != "" {
			if !in.Since[successor].IsZero() {
				p.recheck(in.Since[successor].Add(in.ReadyTimeout))
			}
			if op := plans[successor]; op != nil && !op.RecheckAt.IsZero() {
				p.recheck(op.RecheckAt)
			}
		}
		return p
	}
	for _, c := range cs {
		if c.State != "removing" {
			p.Actions = append(p.Actions, act(KindRemove, c, "spec deleted"))
		}
	}
	return p
}

// pruneWait says why what a deleted spec's image runs must stay this pass,
// "" when it may go: its file is broken or its image defined twice (Keep),
// nothing may be pruned (NoPrune), or a tag bump (app:v1 -> app:v2 in one
// snapshot) whose successor, a spec of the same repository, is not ready
// yet, which it names. Only a successor that is young (desired for less
// than ReadyTimeout) is waited for, so an old spec that never gets ready
// cannot hold a delete back forever. Containers and services alike.
func pruneWait(image string, in Input, ready func(other string) bool) (why, successor string) {
	switch {
	case in.Keep[image]:
		return "kept: the file that held this spec has errors, or the image is defined twice", ""
	case in.NoPrune != "":
		return "not pruned: " + in.NoPrune, ""
	}
	repo := spec.Repository(image)
	for _, other := range slices.Sorted(maps.Keys(in.Desired)) {
		young := in.ReadyTimeout <= 0 || in.Now.Sub(in.Since[other]) < in.ReadyTimeout
		if young && spec.Repository(other) == repo && !ready(other) {
			return "prune waits for " + other + " to be ready", other
		}
	}
	return "", ""
}

// converged: the spec needs nothing more and has its target of stable,
// current containers.
func converged(p *SpecPlan, d Desired, in Input) bool {
	if p == nil || len(p.Actions) > 0 || p.Wait != "" {
		return false
	}
	hash, ready := d.hash(), 0
	for _, c := range in.Containers {
		if c.Image == d.Spec.Image && !c.Held && c.SpecHash == hash && c.Stable(in.Now, in.MinReady) {
			ready++
		}
	}
	return ready >= d.Target
}

func hasActive(cs []engine.Container) bool {
	for _, c := range cs {
		if c.Active() {
			return true
		}
	}
	return false
}

func act(k Kind, c engine.Container, why string) Action {
	return Action{Kind: k, Image: c.Image, ID: c.ID, Name: c.Name, Reason: why, Running: k == KindRemove && c.Active()}
}

func healthSuffix(c engine.Container) string {
	if c.Health == "" {
		return ""
	}
	return ", health " + c.Health
}

func fixedHostPort(s spec.Spec) bool {
	for _, host := range s.Ports {
		if host != 0 {
			return true
		}
	}
	return false
}

func canStart(c engine.Container) bool { return c.State == "created" || c.State == "exited" }

func startable(cs []engine.Container) []engine.Container {
	var out []engine.Container
	for _, c := range cs {
		if canStart(c) {
			out = append(out, c)
		}
	}
	return out
}

func newestFirst(cs []engine.Container) []engine.Container {
	out := append([]engine.Container(nil), cs...)
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].Slot > out[j].Slot
	})
	return out
}
