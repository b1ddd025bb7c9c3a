// Package wire holds the JSON bodies of the REST API: what the server
// writes and what the CLI's client reads, declared once for both. Field
// names and shapes are the original FastAPI orchestrator's where it had
// the endpoint; the rest is documented in docs/design.md §11 and §12. The
// OpenAPI document reflects its schemas from these types.
package wire

import (
	"time"

	"github.com/orchestrator/orchestrator/spec"
)

// PortBinding is one published port, in Docker's JSON spelling.
type PortBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

// Ports are a container's ports as Docker's NetworkSettings.Ports has them:
// "8080/tcp" -> its bindings, none (null) when not published.
type Ports map[string][]PortBinding

// Container is the original's container summary; Image (of the spec it
// belongs to) is beyond the original.
type Container struct {
	ContainerID string `json:"container_id"`
	Image       string `json:"image"`
	Name        string `json:"name"`
	Status      string `json:"status"` // Docker's word: created, running, exited, ...
	Ports       Ports  `json:"ports"`
	// Node and Slot: on a swarm (serve --engine swarm) the container is a
	// task, which runs on a node in a slot of its service; absent on a
	// single engine, where the original's keys are all there is.
	Node string `json:"node,omitempty"`
	Slot *int   `json:"slot,omitempty"`
}

// ContainerList is GET /containers.
type ContainerList struct {
	Containers []Container `json:"containers"`
}

// ImageContainers is GET /images/{image}/containers.
type ImageContainers struct {
	Image      string      `json:"image"`
	Containers []Container `json:"containers"`
}

// Started is POST /start/container: the container that exists for the
// image, in the state its spec asks for.
type Started struct {
	OK          bool   `json:"ok"`
	Action      string `json:"action"` // created or kept-existing
	Image       string `json:"image"`
	ContainerID string `json:"container_id"`
	Name        string `json:"name"`
	Status      string `json:"status"`
	Ports       Ports  `json:"ports"`
}

// Action is one element of the original's "actions" list.
type Action struct {
	Action      string `json:"action"` // create, start, stop or remove
	ContainerID string `json:"container_id"`
	Name        string `json:"name"`
	OK          bool   `json:"ok"`
	Error       string `json:"error,omitempty"`
}

// Replicas is the original's "desired" of a scale or reconcile answer.
type Replicas struct {
	MinReplicas int `json:"min_replicas"`
	MaxReplicas int `json:"max_replicas"`
}

// Reconciled is POST /images/{image}/scale and /reconcile: what the passes
// after the call did, and the containers as they are now.
type Reconciled struct {
	OK      bool        `json:"ok"`
	Image   string      `json:"image"`
	Desired Replicas    `json:"desired"`
	Actions []Action    `json:"actions"`
	Current []Container `json:"current"`
}

// Patched is PATCH /containers/{name_or_id}.
type Patched struct {
	OK          bool   `json:"ok"`
	ContainerID string `json:"container_id"`
	Name        string `json:"name"`
	Status      string `json:"status"`
	Ports       Ports  `json:"ports"`
}

// ContainerDeleted is DELETE /containers/{name_or_id}.
type ContainerDeleted struct {
	Deleted     bool   `json:"deleted"`
	ContainerID string `json:"container_id"`
	Name        string `json:"name"`
}

// ContainerHealth is one element of GET /images/{image}/health. A value the
// sampler cannot measure is null.
type ContainerHealth struct {
	ContainerID string   `json:"container_id"`
	Name        string   `json:"name"`
	Status      string   `json:"status"`
	Ports       Ports    `json:"ports"`
	ServerAlive *bool    `json:"server_alive"`
	CPUPercent  *float64 `json:"cpu_percent"`
	MemPercent  *float64 `json:"mem_percent"`
	FSFreeBytes *uint64  `json:"fs_free_bytes"`
	// Node and Slot, on a swarm, as in Container; StatsUnavailable says
	// why the values above are null for a task on another node.
	Node             string `json:"node,omitempty"`
	Slot             *int   `json:"slot,omitempty"`
	StatsUnavailable string `json:"stats_unavailable,omitempty"`
}

// ImageHealth is GET /images/{image}/health.
type ImageHealth struct {
	Image  string            `json:"image"`
	Health []ContainerHealth `json:"health"`
}

// Status is the reconciler's status of one spec (docs/design.md §7).
type Status struct {
	Image         string    `json:"image"`
	Synced        bool      `json:"synced"`
	Health        string    `json:"health"` // Healthy, Progressing, Degraded, Missing or Stopped
	Desired       int       `json:"desired"`
	Ready         int       `json:"ready"`
	Running       int       `json:"running"`
	Revision      string    `json:"revision"`
	Source        string    `json:"source"` // file:line
	LastError     string    `json:"last_error,omitempty"`
	Message       string    `json:"message,omitempty"` // why it is not converged yet
	LastReconcile time.Time `json:"last_reconcile"`
	// Autoscale is the autoscaler's view of an autoscaled spec; absent
	// otherwise.
	Autoscale *Autoscale `json:"autoscale,omitempty"`
	// GitRevision is the commit that last changed the spec's file, with
	// serve --git.
	GitRevision *GitRevision `json:"git_revision,omitempty"`
}

// Autoscale is the autoscaler's part of a spec's status.
type Autoscale struct {
	TargetCPUPercent   int      `json:"target_cpu_percent"`
	UtilizationPercent *float64 `json:"utilization_percent"` // null without data
	Recommendation     int      `json:"recommendation"`      // the target the reconciler uses
	Reason             string   `json:"reason"`
}

// StatusList is GET /status: every spec's status, and the state
// directory's errors as "file:line: field: message".
type StatusList struct {
	Specs  []Status `json:"specs"`
	Errors []string `json:"errors"`
	// Git is the remote behind the state directory, with serve --git.
	Git *GitStatus `json:"git,omitempty"`
	// Engine is whether the last pass reached the container engine; absent
	// before the first pass.
	Engine *EngineStatus `json:"engine,omitempty"`
}

// EngineStatus is the engine as the reconciler last saw it.
type EngineStatus struct {
	Available bool      `json:"available"`
	Error     string    `json:"error,omitempty"` // why not, when not
	Since     time.Time `json:"since"`           // when it became available, or unavailable
}

// Image is a spec as GET /images lists it: the document, its revision and
// where it is written (file:line).
type Image struct {
	spec.Spec
	Revision string `json:"revision"`
	Source   string `json:"source"`
	// Stale says that this is not what the file says now: the file has
	// errors (or the directory cannot be used), and the reconciler keeps
	// this last good version in force (docs/design.md §3). Absent for a
	// valid spec.
	Stale bool `json:"stale,omitempty"`
	// Errors are why the files give no valid version of a stale spec, as
	// "file:line: field: message"; absent for a valid spec.
	Errors []string `json:"errors,omitempty"`
}

// ImageList is GET /images: the valid specs of the state directory, and
// the stale ones still in force, by image.
type ImageList struct {
	Images []Image `json:"images"`
}

// ImageDetail is GET /images/{image}: a listed spec and its status, absent
// before the first pass over it.
type ImageDetail struct {
	Image
	Status *Status `json:"status,omitempty"`
}

// ImageMissing is the warning of a write whose image is not on the engine.
const ImageMissing = "image not present on the engine: serve will try to pull it, and the spec fails until it can"

// Written is PUT /images/{image}.
type Written struct {
	Image    string      `json:"image"`
	Result   spec.Result `json:"result"` // created, configured or unchanged
	Revision string      `json:"revision"`
	Source   string      `json:"source"`
	// Warnings say what does not stop the write: the image is not on the
	// server's engine (the file is the desired state all the same).
	Warnings []string `json:"warnings,omitempty"`
}

// Preview is PUT /images/{image}?dry_run=true: the file before and after.
type Preview struct {
	Image  string      `json:"image"`
	Result spec.Result `json:"result"`
	File   string      `json:"file"`
	Before string      `json:"before"`
	After  string      `json:"after"`
	DryRun bool        `json:"dry_run"`
}

// ImageDeleted is DELETE /images/{image}.
type ImageDeleted struct {
	Deleted bool   `json:"deleted"`
	Image   string `json:"image"`
	Source  string `json:"source"`
}

// GitStatus is the git remote behind the state directory (serve --git):
// GET /status's "git", and the answer of POST /git/sync.
type GitStatus struct {
	URL       string      `json:"url"` // without credentials
	Branch    string      `json:"branch"`
	Path      string      `json:"path,omitempty"`
	Revision  GitRevision `json:"revision"` // in place; empty before the first
	LastFetch *time.Time  `json:"last_fetch"`
	LastError string      `json:"last_error,omitempty"`
}

// GitRevision is one commit.
type GitRevision struct {
	Commit  string     `json:"commit"`
	Subject string     `json:"subject"`
	Author  string     `json:"author"`
	Time    *time.Time `json:"time"`
}

// HookAnswer is the answer of POST /hooks/git: whether the push is
// fetched, and why not.
type HookAnswer struct {
	Accepted bool   `json:"accepted"`
	Reason   string `json:"reason,omitempty"`
}
