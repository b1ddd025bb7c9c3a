// Package spec is the desired-state format of the orchestrator: the Spec
// document, its parsing and validation, its canonical form and hashes, and the
// state directory that holds the spec files.
package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/distribution/reference"
)

// Status is the desired run state of every container of a spec.
type Status string

// The two run states of the original API.
const (
	StatusRunning Status = "running"
	StatusStopped Status = "stopped"
)

// Defaults of the original StartContainerRequest and of the extensions.
const (
	DefaultMinReplicas            = 1
	DefaultMaxReplicas            = 5
	DefaultTargetCPUPercent       = 70
	DefaultScaleDownStabilization = 5 * time.Minute
)

// Spec is one desired-state document: the body of the original
// POST /start/container, plus the optional extensions autoscale and health.
// The image is its identity: one spec per image.
//
// The struct is the one declaration of the document's fields (fields.go):
// the json tag names a field, the field order is the canonical order of a
// written document, and the jsonschema tags (github.com/invopop/jsonschema
// conventions) say what the decoder requires and what the JSON Schema
// documents. A new field is a new struct field with its tags; the decoder,
// the renderer and JSONSchema follow.
type Spec struct {
	Image       string            `json:"image" jsonschema:"required,minLength=1,example=nginx:alpine" jsonschema_description:"A Docker image reference ([registry/]name[:tag][@digest]): the spec's identity, one spec per image."`
	Name        string            `json:"name,omitempty" jsonschema:"example=web" jsonschema_description:"The spec's short name: its alias on its networks, and what depends_on names. Letters, digits, _ . -; default the last part of the image's repository (shop/web:1.4 is web)."`
	MinReplicas int               `json:"min_replicas" jsonschema:"minimum=0,default=1" jsonschema_description:"The fewest containers to run."`
	MaxReplicas int               `json:"max_replicas" jsonschema:"minimum=1,default=5" jsonschema_description:"The most containers to run; at least min_replicas."`
	Env         map[string]string `json:"env" jsonschema_description:"Environment variables. Names are POSIX ([A-Za-z_][A-Za-z0-9_]*). DISCOVERY_CALLBACK=<url> turns on the discovery webhook: a POST of each create, start and stop of a container of the image."`
	Ports       map[string]int    `json:"ports" jsonschema_description:"Container port (\"80\", \"80/tcp\" or \"53/udp\") to host port, 0-65535; 0 is a random host port. A fixed host port needs max_replicas 1 (two replicas cannot bind one host port)."`
	Resources   Resources         `json:"resources" jsonschema:"required" jsonschema_description:"Limits and run state of every container of the spec."`
	Autoscale   *Autoscale        `json:"autoscale,omitempty" jsonschema_description:"Extension: the CPU autoscaler, between min_replicas and max_replicas (HPA rules). It acts only when max_replicas > min_replicas."`
	Health      *Health           `json:"health,omitempty" jsonschema_description:"Extension: how to probe a container: an HTTP GET of http_path on port, else a TCP connect to port. The port defaults to the spec's first port."`

	// How a container runs, as in compose (runtime.go, docs/design.md §2).
	Command              Words             `json:"command,omitempty" jsonschema_description:"The container's command (the image's CMD): a list, or one string split into words as a shell would. Default the image's."`
	Entrypoint           Words             `json:"entrypoint,omitempty" jsonschema_description:"The container's entrypoint (the image's ENTRYPOINT), in the form of command. Default the image's."`
	WorkingDir           string            `json:"working_dir,omitempty" jsonschema:"pattern=^/,example=/app" jsonschema_description:"The working directory: an absolute path."`
	User                 string            `json:"user,omitempty" jsonschema:"example=1000:1000" jsonschema_description:"The user (and group) the command runs as: a name or id, user[:group]."`
	Hostname             string            `json:"hostname,omitempty" jsonschema:"example=web" jsonschema_description:"The containers' hostname prefix: each one's hostname is <hostname>-<slot>. Default the engine's (the container id)."`
	Labels               map[string]string `json:"labels,omitempty" jsonschema_description:"Labels on every container of the spec. Keys starting with orchestrator. are ours and refused."`
	Volumes              []string          `json:"volumes,omitempty" jsonschema:"example=data:/var/lib/db" jsonschema_description:"Mounts, as in compose's short form: NAME:/path[:ro] is a named volume (created if missing, labelled as ours, kept by prune unless remove_volumes_on_prune), ./dir:/path[:ro] a bind mount of a directory next to the spec file, /host/path:/path[:ro] a bind mount of a host path that serve's --allow-bind-mounts allows."`
	Tmpfs                []string          `json:"tmpfs,omitempty" jsonschema:"example=/run:size=64m" jsonschema_description:"tmpfs mounts: /path, or /path:options (size=64m,mode=1777)."`
	RemoveVolumesOnPrune bool              `json:"remove_volumes_on_prune,omitempty" jsonschema_description:"When the spec is deleted, remove its named volumes too, once its last container is gone. Off: volumes keep their data."`
	Networks             []string          `json:"networks,omitempty" jsonschema:"example=shop" jsonschema_description:"User-defined bridge networks the containers join (created if missing, labelled as ours), each with the alias name, so that the other containers of a network reach the spec by name, round-robin across replicas. Without networks, the engine's default bridge."`
	DependsOn            []string          `json:"depends_on,omitempty" jsonschema:"example=db" jsonschema_description:"Names of specs to start first: on a fresh start, this spec's first containers wait until each of those has a ready container (at most the ready timeout)."`
	Healthcheck          *Healthcheck      `json:"healthcheck,omitempty" jsonschema_description:"The engine's healthcheck (Docker HEALTHCHECK): its status is the containers' health, and a container is ready only when healthy."`
	Restart              string            `json:"restart,omitempty" jsonschema:"default=unless-stopped,example=on-failure:3" jsonschema_description:"The engine's restart policy: unless-stopped, always, on-failure[:N] or no. The orchestrator still keeps min_replicas running."`
	Logging              *Logging          `json:"logging,omitempty" jsonschema_description:"The engine's log driver and its options."`
	StopSignal           string            `json:"stop_signal,omitempty" jsonschema:"example=SIGINT" jsonschema_description:"The signal that stops a container: a name (SIGTERM, TERM) or a number. Default the image's, else SIGTERM."`
	StopGracePeriod      string            `json:"stop_grace_period,omitempty" jsonschema:"example=30s" jsonschema_description:"How long a container has to stop before it is killed: a Go duration, at most 1h. Default 10s."`
	CapAdd               []string          `json:"cap_add,omitempty" jsonschema:"example=NET_ADMIN" jsonschema_description:"Linux capabilities to add (NET_ADMIN or CAP_NET_ADMIN, or ALL)."`
	CapDrop              []string          `json:"cap_drop,omitempty" jsonschema:"example=ALL" jsonschema_description:"Linux capabilities to drop."`
	ReadOnly             bool              `json:"read_only,omitempty" jsonschema_description:"Mount the container's root filesystem read-only."`
	SecurityOpt          []string          `json:"security_opt,omitempty" jsonschema:"example=no-new-privileges" jsonschema_description:"The engine's security options (no-new-privileges, seccomp=..., apparmor=..., label=...)."`
	ExtraHosts           []string          `json:"extra_hosts,omitempty" jsonschema:"example=db.local:10.0.0.5" jsonschema_description:"Entries for /etc/hosts: host:ip (or host=ip); host-gateway is the host."`
	DNS                  []string          `json:"dns,omitempty" jsonschema:"example=1.1.1.1" jsonschema_description:"DNS servers: IP addresses."`
	Placement            *Placement        `json:"placement,omitempty" jsonschema_description:"Where a swarm may run the tasks (serve --engine swarm), as compose's deploy.placement. The docker engine has one host and ignores it."`
}

// Placement says where a swarm may run a spec's tasks.
type Placement struct {
	Constraints        []string `json:"constraints,omitempty" jsonschema:"example=node.role==manager" jsonschema_description:"Conditions every node that runs a task meets: <attribute>==<value> or !=, on node.id, node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.<label> or engine.labels.<label>."`
	Preferences        []string `json:"preferences,omitempty" jsonschema:"example=spread=node.labels.zone" jsonschema_description:"spread=<node.labels.label or engine.labels.label>: tasks spread evenly over the values of the label, in order."`
	MaxReplicasPerNode int      `json:"max_replicas_per_node,omitempty" jsonschema:"minimum=0" jsonschema_description:"The most tasks on one node; 0 for no limit."`
}

// Resources is the original Resources model. CPU and Memory may be empty,
// meaning no limit (a spec created by a scale call has none).
type Resources struct {
	CPU    string `json:"cpu,omitempty" jsonschema:"example=500m" jsonschema_description:"CPU limit: \"500m\" or \"0.5\" CPUs, exactly (nano-CPU steps); > 0, at least 10m, and at most the host's CPUs. Absent or empty: no limit."`
	Memory string `json:"memory,omitempty" jsonschema:"example=256m" jsonschema_description:"Memory limit in docker units (k/m/g are binary: 1g = 1 GiB) or Ki/Mi/Gi; at least 6m. Absent or empty: no limit."`
	Status Status `json:"status" jsonschema:"enum=running,enum=stopped,default=running" jsonschema_description:"The run state of every container of the spec."`
}

// Autoscale configures the CPU autoscaler between min and max replicas.
type Autoscale struct {
	Enabled                *bool  `json:"enabled,omitempty" jsonschema:"default=true" jsonschema_description:"On unless false."`
	TargetCPUPercent       *int   `json:"target_cpu_percent,omitempty" jsonschema:"minimum=1,maximum=100,default=70" jsonschema_description:"Target CPU use, in percent of the CPU limit."`
	ScaleDownStabilization string `json:"scale_down_stabilization,omitempty" jsonschema:"default=5m,example=5m" jsonschema_description:"How long usage must stay low before a scale-down: a Go duration, 0 to 1h."`
}

// Health says how to probe a container: an HTTP GET of HTTPPath on Port, or a
// TCP connect to Port (default: the spec's first port).
type Health struct {
	HTTPPath string `json:"http_path,omitempty" jsonschema:"pattern=^/,example=/healthz" jsonschema_description:"Path to GET; starts with \"/\"."`
	Port     string `json:"port,omitempty" jsonschema:"example=80/tcp" jsonschema_description:"One of the spec's ports: \"80\", \"80/tcp\" or \"53/udp\"."`
	Interval string `json:"interval,omitempty" jsonschema:"example=5s" jsonschema_description:"How often to probe: a Go duration, at least 1s."`
}

// New returns a spec for image with the defaults of the original API.
func New(image string) Spec {
	return Spec{
		Image:       image,
		MinReplicas: DefaultMinReplicas,
		MaxReplicas: DefaultMaxReplicas,
		Env:         map[string]string{},
		Ports:       map[string]int{},
		Resources:   Resources{Status: StatusRunning},
	}
}

// Normalized is s with the defaults that decoding leaves empty filled in
// (empty maps, status running): the form every reader and hash sees.
func (s Spec) Normalized() Spec {
	s.normalize()
	return s
}

// Clone is a deep copy of s: changing the copy's maps and pointers leaves
// s as it is.
func (s Spec) Clone() Spec {
	s.Env = maps.Clone(s.Env)
	s.Ports = maps.Clone(s.Ports)
	if s.Autoscale != nil {
		a := *s.Autoscale
		if a.Enabled != nil {
			v := *a.Enabled
			a.Enabled = &v
		}
		if a.TargetCPUPercent != nil {
			v := *a.TargetCPUPercent
			a.TargetCPUPercent = &v
		}
		s.Autoscale = &a
	}
	if s.Health != nil {
		h := *s.Health
		s.Health = &h
	}
	s.Command, s.Entrypoint = slices.Clone(s.Command), slices.Clone(s.Entrypoint)
	s.Labels = maps.Clone(s.Labels)
	s.Volumes, s.Tmpfs, s.Networks, s.DependsOn = slices.Clone(s.Volumes), slices.Clone(s.Tmpfs), slices.Clone(s.Networks), slices.Clone(s.DependsOn)
	s.CapAdd, s.CapDrop, s.SecurityOpt = slices.Clone(s.CapAdd), slices.Clone(s.CapDrop), slices.Clone(s.SecurityOpt)
	s.ExtraHosts, s.DNS = slices.Clone(s.ExtraHosts), slices.Clone(s.DNS)
	if s.Healthcheck != nil {
		h := *s.Healthcheck
		h.Test = slices.Clone(h.Test)
		s.Healthcheck = &h
	}
	if s.Logging != nil {
		l := *s.Logging
		l.Options = maps.Clone(l.Options)
		s.Logging = &l
	}
	if s.Placement != nil {
		p := *s.Placement
		p.Constraints, p.Preferences = slices.Clone(p.Constraints), slices.Clone(p.Preferences)
		s.Placement = &p
	}
	return s
}

// normalize fills defaults that decoding leaves empty, so that equal
// documents compare and hash equal.
func (s *Spec) normalize() {
	if s.Env == nil {
		s.Env = map[string]string{}
	}
	if s.Ports == nil {
		s.Ports = map[string]int{}
	}
	if s.Resources.Status == "" {
		s.Resources.Status = StatusRunning
	}
}

// NanoCPUs is the CPU limit in units of 1e-9 CPUs; 0 means no limit.
// It assumes a validated spec.
func (s Spec) NanoCPUs() int64 {
	n, _ := ParseCPU(s.Resources.CPU)
	return n
}

// MemoryBytes is the memory limit in bytes; 0 means no limit.
// It assumes a validated spec.
func (s Spec) MemoryBytes() int64 {
	n, _ := ParseMemory(s.Resources.Memory)
	return n
}

// AutoscaleEnabled reports whether the autoscaler acts on this spec: it needs
// room between min and max, and is on unless explicitly disabled.
func (s Spec) AutoscaleEnabled() bool {
	if s.MaxReplicas <= s.MinReplicas {
		return false
	}
	return s.Autoscale == nil || s.Autoscale.Enabled == nil || *s.Autoscale.Enabled
}

// Autoscaled reports whether the autoscaler acts on this spec now: it is
// enabled and the spec runs (a stopped spec has no load to follow).
func (s Spec) Autoscaled() bool {
	return s.Resources.Status != StatusStopped && s.AutoscaleEnabled()
}

// TargetCPUPercent is the autoscaler's target, defaulted.
func (s Spec) TargetCPUPercent() int {
	if s.Autoscale == nil || s.Autoscale.TargetCPUPercent == nil {
		return DefaultTargetCPUPercent
	}
	return *s.Autoscale.TargetCPUPercent
}

// ScaleDownStabilization is the autoscaler's scale-down window, defaulted.
func (s Spec) ScaleDownStabilization() time.Duration {
	if s.Autoscale == nil || s.Autoscale.ScaleDownStabilization == "" {
		return DefaultScaleDownStabilization
	}
	d, _ := time.ParseDuration(s.Autoscale.ScaleDownStabilization)
	return d
}

// hashInput is what defines a container: changing any of it replaces
// containers; min, max, status and autoscale are left out so that scaling
// never recreates anything. The runtime fields are left out when unset
// (omitempty), so that a spec without them hashes as before they existed.
type hashInput struct {
	Image    string            `json:"image"`
	Env      map[string]string `json:"env"`
	Ports    []string          `json:"ports"`
	NanoCPUs int64             `json:"nano_cpus"`
	Memory   int64             `json:"memory_bytes"`
	Health   *Health           `json:"health,omitempty"`
	Runtime  *runtimeInput     `json:"runtime,omitempty"`
}

// runtimeInput is the part of hashInput from the runtime fields: all but
// depends_on and remove_volumes_on_prune, which say nothing of a container.
// Placement says where a swarm's task runs; it is hashed so that a change
// of it is a service update (on the docker engine, a rolling replacement
// that changes nothing).
type runtimeInput struct {
	Name        string            `json:"name,omitempty"`
	Command     []string          `json:"command,omitempty"`
	Entrypoint  []string          `json:"entrypoint,omitempty"`
	WorkingDir  string            `json:"working_dir,omitempty"`
	User        string            `json:"user,omitempty"`
	Hostname    string            `json:"hostname,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Volumes     []string          `json:"volumes,omitempty"`
	Tmpfs       []string          `json:"tmpfs,omitempty"`
	Networks    []string          `json:"networks,omitempty"`
	Healthcheck *Healthcheck      `json:"healthcheck,omitempty"`
	Restart     string            `json:"restart,omitempty"`
	Logging     *Logging          `json:"logging,omitempty"`
	StopSignal  string            `json:"stop_signal,omitempty"`
	StopGrace   string            `json:"stop_grace_period,omitempty"`
	CapAdd      []string          `json:"cap_add,omitempty"`
	CapDrop     []string          `json:"cap_drop,omitempty"`
	ReadOnly    bool              `json:"read_only,omitempty"`
	SecurityOpt []string          `json:"security_opt,omitempty"`
	ExtraHosts  []string          `json:"extra_hosts,omitempty"`
	DNS         []string          `json:"dns,omitempty"`
	Placement   *Placement        `json:"placement,omitempty"`
}

// runtimeHash is s's runtimeInput, nil when no runtime field is set.
func (s Spec) runtimeHash() *runtimeInput {
	in := runtimeInput{
		Name: s.Name, Command: s.Command, Entrypoint: s.Entrypoint, WorkingDir: s.WorkingDir, User: s.User,
		Hostname: s.Hostname, Labels: s.Labels, Volumes: s.Volumes, Tmpfs: s.Tmpfs, Networks: s.Networks,
		Healthcheck: s.Healthcheck, Restart: s.Restart, Logging: s.Logging, StopSignal: s.StopSignal,
		StopGrace: s.StopGracePeriod, CapAdd: s.CapAdd, CapDrop: s.CapDrop, ReadOnly: s.ReadOnly,
		SecurityOpt: s.SecurityOpt, ExtraHosts: s.ExtraHosts, DNS: s.DNS, Placement: s.Placement,
	}
	if len(in.Labels) == 0 {
		in.Labels = nil
	}
	if p := in.Placement; p != nil && len(p.Constraints) == 0 && len(p.Preferences) == 0 && p.MaxReplicasPerNode == 0 {
		in.Placement = nil
	}
	if digest(in) == digest(runtimeInput{}) {
		return nil
	}
	return &in
}

// HashVersion prefixes every spec hash, so that a change of the hashed fields
// can be told apart from a change of the spec.
const HashVersion = "v1"

// CanonicalPorts is Ports keyed canonically ("80" is "80/tcp"): how the
// engine, the hash and the health probe name a port. Keys that do not parse
// (an invalid spec) are left out.
func (s Spec) CanonicalPorts() map[string]int {
	out := make(map[string]int, len(s.Ports))
	for k, host := range s.Ports {
		if p, err := ParsePort(k); err == nil {
			out[p.String()] = host
		}
	}
	return out
}

// Hash is the spec hash of docs/design.md §5, stored in the
// orchestrator.spec-hash label of every container.
func (s Spec) Hash() string {
	in := hashInput{Image: s.Image, Env: s.Env, NanoCPUs: s.NanoCPUs(), Memory: s.MemoryBytes(), Health: s.Health, Runtime: s.runtimeHash()}
	if in.Env == nil {
		in.Env = map[string]string{}
	}
	for port, host := range s.CanonicalPorts() {
		in.Ports = append(in.Ports, port+"="+itoa(host))
	}
	sort.Strings(in.Ports)
	if in.Health != nil {
		h := *in.Health
		if p, err := ParsePort(h.Port); err == nil {
			h.Port = p.String()
		}
		in.Health = &h
	}
	return HashVersion + ":" + digest(in)[:32]
}

// Revision identifies this exact desired state (all fields): the API's ETag.
func (s Spec) Revision() string {
	c := s
	c.normalize()
	return digest(c)[:32]
}

// digest is sha256 over the JSON of v. encoding/json sorts map keys, so the
// JSON of a struct of plain fields and maps is canonical.
func digest(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("spec: marshal for digest: " + err.Error()) // only plain types are hashed
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Repository is the image's repository without tag or digest, fully
// qualified ("app:v1" -> "docker.io/library/app"): specs of one repository
// are versions of one service, so a tag bump can be rolled over.
func Repository(image string) string {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return image
	}
	return reference.TrimNamed(named).Name()
}
