package reconciler

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// The actions on services (an engine.Services engine: swarm). The engine
// does the rollout itself, so a spec's whole plan is one of these.
const (
	KindServiceCreate Kind = "service-create"
	KindServiceUpdate Kind = "service-update" // Action.Version is the service's, Config and Replicas the new spec
	KindServiceRemove Kind = "service-remove"
)

// servicePoll is how often a pass looks again at a service that is not
// converged: Swarm sends no event of a task's progress.
const servicePoll = 2 * time.Second

// maxServiceName is Swarm's bound of a service name (a DNS label).
const maxServiceName = 63

// PlanServices decides, for every desired image and every service of ours,
// what to ask of an engine of services (docs/design.md §15): a missing
// service is created, one whose spec hash or replicas differ is updated
// (replicas: the target, 0 for a stopped spec, whose service is kept), and
// the service of a deleted spec is removed under the same safety rules as
// containers (Keep, NoPrune, a tag bump waits for its successor). The
// engine rolls the tasks; a rollback it performed is Stuck (Degraded) until
// the spec changes. in.Containers are the services' tasks; services
// without our labels are never passed here.
func PlanServices(in Input, services []engine.Service) map[string]*SpecPlan {
	byImage := map[string][]engine.Service{}
	for _, s := range services {
		byImage[s.Image] = append(byImage[s.Image], s)
	}
	out := map[string]*SpecPlan{}
	for _, image := range slices.Sorted(maps.Keys(in.Desired)) {
		out[image] = planService(in.Desired[image], byImage[image], in)
	}
	for _, image := range slices.Sorted(maps.Keys(byImage)) {
		if _, desired := in.Desired[image]; !desired {
			out[image] = planServiceOrphan(image, byImage[image], in, services)
		}
	}
	return out
}

func planService(d Desired, have []engine.Service, in Input) *SpecPlan {
	p := &SpecPlan{}
	hash := d.hash()
	cfg := serviceConfigFor(d, in.Instance, in.NamePrefix)
	if len(have) == 0 {
		p.Actions = append(p.Actions, Action{Kind: KindServiceCreate, Image: d.Spec.Image, Name: cfg.Name, Config: cfg,
			Replicas: d.Target, Reason: "no service: create it with " + strconv.Itoa(d.Target) + " replicas"})
		p.recheck(in.Now.Add(servicePoll))
		return p
	}
	svc := have[0]
	for _, dup := range have[1:] { // two serves raced to create it: keep one
		p.Actions = append(p.Actions, Action{Kind: KindServiceRemove, Image: d.Spec.Image, ID: dup.ID, Name: dup.Name,
			Reason: "duplicate service of " + svc.Name})
	}
	switch {
	case svc.Update.RolledBack() && svc.RolledBackFrom == hash:
		p.Stuck, p.StuckReason = true, "rolled back: "+orDefault(svc.Update.Message, "the update failed")
		if svc.TaskError != "" {
			p.StuckReason += "; last failure: " + svc.TaskError
		}
		p.Wait = "the engine rolled the update back; it is tried again when the spec changes"
		return p
	case svc.SpecHash != hash:
		p.Actions = append(p.Actions, serviceUpdate(d, svc, cfg, "spec changed: rolling update"))
	case svc.Replicas != d.Target:
		p.Actions = append(p.Actions, serviceUpdate(d, svc, cfg, "scale to "+strconv.Itoa(d.Target)))
	case svc.Update.State == engine.UpdatePaused || svc.Update.State == engine.UpdateRollbackPaused:
		p.Stuck, p.StuckReason = true, "update paused: "+orDefault(svc.Update.Message, "a task failed")
	case svc.Update.InProgress():
		p.Wait = "rolling update in progress: " + orDefault(svc.Update.Message, svc.Update.State)
		// Swarm waits without end for a new task that no node can take
		// (a placement nothing meets; max_replicas_per_node): after the
		// ready timeout, that is Degraded, with Swarm's reason.
		if waited := in.Now.Sub(svc.UnplacedSince); svc.Unplaced != "" && in.ReadyTimeout > 0 && waited >= in.ReadyTimeout {
			p.Stuck = true
			p.StuckReason = fmt.Sprintf("rolling update stalled: %s (for %s)", svc.Unplaced, waited.Round(time.Second))
			p.Wait = "not converging: " + p.StuckReason
		}
	case running(in.Containers, d.Spec.Image, hash) != d.Target:
		n := running(in.Containers, d.Spec.Image, hash)
		p.Wait = "the engine is scheduling tasks: " + strconv.Itoa(n) + " of " + strconv.Itoa(d.Target) + " running"
		// A service whose tasks do not start (a bad image or command on
		// create, where Swarm has no rollback; a task that crash-loops) is
		// Degraded once it has been short ReadyTimeout since both its last
		// change and the pass that first saw it short, as a container
		// that is not ready is.
		p.Short = n < d.Target
		short, seen := in.Short[d.Spec.Image]
		if short.Before(svc.Changed) {
			short = svc.Changed
		}
		if since := in.Now.Sub(short); p.Short && seen && in.ReadyTimeout > 0 && since >= in.ReadyTimeout {
			p.Stuck = true
			p.StuckReason = fmt.Sprintf("%d of %d tasks running after %s", n, d.Target, since.Round(time.Second))
			if svc.TaskError != "" {
				p.StuckReason += "; last failure: " + svc.TaskError
			}
			p.Wait = "not converging: " + p.StuckReason
		}
	default:
		return p
	}
	p.recheck(in.Now.Add(servicePoll))
	return p
}

func serviceUpdate(d Desired, svc engine.Service, cfg engine.Config, why string) Action {
	return Action{Kind: KindServiceUpdate, Image: d.Spec.Image, ID: svc.ID, Name: svc.Name, Config: cfg,
		Replicas: d.Target, Version: svc.Version, Reason: why}
}

func planServiceOrphan(image string, have []engine.Service, in Input, services []engine.Service) *SpecPlan {
	p := &SpecPlan{}
	why, successor := pruneWait(image, in, func(other string) bool {
		return serviceConverged(in.Desired[other], services, in)
	})
	if why != "" {
		p.Wait = why
		if successor != "" { // a task's progress sends no event: look again
			p.recheck(in.Now.Add(servicePoll))
		}
		return p
	}
	for _, s := range have {
		p.Actions = append(p.Actions, Action{Kind: KindServiceRemove, Image: image, ID: s.ID, Name: s.Name, Reason: "spec deleted"})
	}
	return p
}

// serviceConverged: d's service runs its target of ready tasks of its
// current version, and no update is under way.
func serviceConverged(d Desired, services []engine.Service, in Input) bool {
	hash := d.hash()
	for _, s := range services {
		if s.Image == d.Spec.Image && s.SpecHash == hash && s.Replicas == d.Target && !s.Update.InProgress() {
			return running(in.Containers, d.Spec.Image, hash) >= d.Target
		}
	}
	return false
}

// running counts the ready tasks of image at hash.
func running(tasks []engine.Container, image, hash string) int {
	n := 0
	for _, c := range tasks {
		if c.Image == image && c.SpecHash == hash && c.Ready() {
			n++
		}
	}
	return n
}

// serviceConfigFor is a spec's service: the container of configFor and
// runtimeConfig, named by ServiceName and with no slot (Swarm numbers the
// tasks); a spec's hostname gets the task's slot through Swarm's template.
func serviceConfigFor(d Desired, instance, prefix string) engine.Config {
	s := d.Spec
	cfg := configFor(s, instance, ServiceName(prefix, s.Image), 0)
	runtimeConfig(&cfg, s, d.Dir, prefix, 0)
	delete(cfg.Labels, engine.LabelSlot)
	if s.Hostname != "" {
		cfg.Hostname = s.Hostname + "-{{.Task.Slot}}"
	}
	if p := s.Placement; p != nil {
		cfg.Placement = engine.Placement{Constraints: p.Constraints, MaxReplicasPerNode: p.MaxReplicasPerNode}
		for _, pref := range p.Preferences {
			cfg.Placement.Spread = append(cfg.Placement.Spread, strings.TrimPrefix(pref, "spread="))
		}
	}
	return cfg
}

// ServiceName is the service of an image: its container name prefix
// (NamePrefix) made a DNS label, as Swarm requires: no dots, at most 63
// characters, a letter or digit at both ends.
func ServiceName(prefix, image string) string {
	name := strings.ReplaceAll(NamePrefix(prefix, image), ".", "-")
	if len(name) > maxServiceName {
		name = name[:maxServiceName]
	}
	return strings.Trim(name, "-_")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
