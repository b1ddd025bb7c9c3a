// Package spec is the desired-state format of the orchestrator: the Spec
// document, its parsing and validation, its canonical form and hashes, and the
// state directory that holds the spec files.
package spec

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
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
type Spec struct {
	Image       string            `json:"image"`
	MinReplicas int               `json:"min_replicas"`
	MaxReplicas int               `json:"max_replicas"`
	Env         map[string]string `json:"env"`
	Ports       map[string]int    `json:"ports"`
	Resources   Resources         `json:"resources"`
	Autoscale   *Autoscale        `json:"autoscale,omitempty"`
	Health      *Health           `json:"health,omitempty"`
}

// Resources is the original Resources model. CPU and Memory may be empty,
// meaning no limit (a spec created by a scale call has none).
type Resources struct {
	CPU    string `json:"cpu,omitempty"`
	Memory string `json:"memory,omitempty"`
	Status Status `json:"status"`
}

// Autoscale configures the CPU autoscaler between min and max replicas.
type Autoscale struct {
	Enabled                *bool  `json:"enabled,omitempty"`
	TargetCPUPercent       *int   `json:"target_cpu_percent,omitempty"`
	ScaleDownStabilization string `json:"scale_down_stabilization,omitempty"`
}

// Health says how to probe a container: an HTTP GET of HTTPPath on Port, or a
// TCP connect to Port (default: the spec's first port).
type Health struct {
	HTTPPath string `json:"http_path,omitempty"`
	Port     string `json:"port,omitempty"`
	Interval string `json:"interval,omitempty"`
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
// never recreates anything.
type hashInput struct {
	Image    string            `json:"image"`
	Env      map[string]string `json:"env"`
	Ports    []string          `json:"ports"`
	NanoCPUs int64             `json:"nano_cpus"`
	Memory   int64             `json:"memory_bytes"`
	Health   *Health           `json:"health,omitempty"`
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

// Hash is the spec hash of DESIGN.md §5, stored in the
// orchestrator.spec-hash label of every container.
func (s Spec) Hash() string {
	in := hashInput{Image: s.Image, Env: s.Env, NanoCPUs: s.NanoCPUs(), Memory: s.MemoryBytes(), Health: s.Health}
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
