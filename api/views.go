package api

import (
	"github.com/orchestrator/orchestrator/api/wire"
	"github.com/orchestrator/orchestrator/reconciler"
	"github.com/orchestrator/orchestrator/reconciler/autoscale"
	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/reconciler/stats"
	"github.com/orchestrator/orchestrator/spec"
)

// The wire views of our own types: the packages that make them know
// nothing of JSON; the API alone decides what a client sees.

func portsOf(ps map[string][]engine.PortBinding) wire.Ports {
	out := wire.Ports{}
	for k, bs := range ps {
		var ws []wire.PortBinding
		for _, b := range bs {
			ws = append(ws, wire.PortBinding{HostIP: b.HostIP, HostPort: b.HostPort})
		}
		out[k] = ws
	}
	return out
}

func containerOf(c engine.Container) wire.Container {
	out := wire.Container{ContainerID: c.ID, Image: c.Image, Name: c.Name, Status: c.State, Ports: portsOf(c.Ports)}
	if c.Node != "" { // a swarm task
		slot := c.Slot
		out.Node, out.Slot = c.Node, &slot
	}
	return out
}

func containersOf(cs []engine.Container) []wire.Container {
	out := make([]wire.Container, 0, len(cs))
	for _, c := range cs {
		out = append(out, containerOf(c))
	}
	return out
}

func actionsOf(done []reconciler.Done) []wire.Action {
	out := make([]wire.Action, 0, len(done))
	for _, d := range done {
		a := wire.Action{Action: string(d.Kind), ContainerID: d.ID, Name: d.Name, OK: d.OK}
		if d.Err != nil {
			a.Error = d.Err.Error()
		}
		out = append(out, a)
	}
	return out
}

func statusOf(st reconciler.Status) wire.Status {
	return wire.Status{
		Image: st.Image, Synced: st.Synced, Health: st.Health, Desired: st.Desired, Ready: st.Ready, Running: st.Running,
		Revision: st.Revision, Source: st.Source, LastError: st.LastError, Message: st.Message, LastReconcile: st.LastReconcile,
		Autoscale: autoscaleOf(st.Autoscale),
	}
}

func autoscaleOf(as *autoscale.Status) *wire.Autoscale {
	if as == nil {
		return nil
	}
	return &wire.Autoscale{TargetCPUPercent: as.TargetCPUPercent, UtilizationPercent: as.UtilizationPercent,
		Recommendation: as.Recommendation, Reason: as.Reason}
}

func healthOf(hs []stats.Health) []wire.ContainerHealth {
	out := make([]wire.ContainerHealth, 0, len(hs))
	for _, h := range hs {
		ch := wire.ContainerHealth{ContainerID: h.ContainerID, Name: h.Name, Status: h.Status, Ports: portsOf(h.Ports),
			ServerAlive: h.ServerAlive, CPUPercent: h.CPUPercent, MemPercent: h.MemPercent, FSFreeBytes: h.FSFreeBytes,
			StatsUnavailable: h.Unmeasured}
		if h.Node != "" { // a swarm task
			slot := h.Slot
			ch.Node, ch.Slot = h.Node, &slot
		}
		out = append(out, ch)
	}
	return out
}

func imageOf(e spec.Entry) wire.Image {
	return wire.Image{Spec: e.Spec, Revision: e.Revision, Source: e.Source.String()}
}

// staleImageOf is the last good version of a spec in force while its file
// is broken, and why the file gives no valid one.
func staleImageOf(last spec.Entry, why []string) wire.Image {
	img := imageOf(last)
	img.Stale, img.Errors = true, why
	return img
}
