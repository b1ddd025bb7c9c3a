// Package engine is the seam between the orchestrator and a container
// engine: the Engine interface that every implementation (the Docker
// adapter in engine/docker, the fake in engine/enginetest) satisfies, and
// our own types for what crosses it, so that no other package depends on an
// engine's SDK. Observed wraps any Engine with a container list that is
// reused until the engine reports a change.
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Labels on every container the orchestrator creates. A container without
// LabelManagedBy=ManagedBy (and, with an instance set, the instance label) is
// never listed, counted or touched.
const (
	LabelImage     = "orchestrator.image" // the original's key: the spec's image
	LabelSpecHash  = "orchestrator.spec-hash"
	LabelManagedBy = "orchestrator.managed-by"
	LabelInstance  = "orchestrator.instance"
	LabelSlot      = "orchestrator.slot"
	// LabelRestart is the restart policy a released container returns to
	// (SetHeld false), when the spec sets one; absent: unless-stopped.
	LabelRestart = "orchestrator.restart"
	ManagedBy    = "orchestrator"
)

// Errors an Engine classifies, for errors.Is.
var (
	// ErrNotFound: no such container (or image).
	ErrNotFound = errors.New("not found")
	// ErrNameInUse: a container of that name exists already.
	ErrNameInUse = errors.New("container name in use")
	// ErrImageUnavailable: the image is not present and could not be pulled.
	ErrImageUnavailable = errors.New("image unavailable")
	// ErrUnavailable: the engine cannot be reached.
	ErrUnavailable = errors.New("engine unavailable")
	// ErrForeign: a volume or network of that name exists and is not ours
	// (no managed-by label, or another instance's): never used or touched.
	ErrForeign = errors.New("exists and is not ours")
	// ErrInUse: a volume or network that a container still uses.
	ErrInUse = errors.New("in use")
	// ErrConflict: an update was made against a version of the object that
	// is no longer current (Swarm's service Version): re-read and retry.
	ErrConflict = errors.New("version conflict")
	// ErrUnsupported: a container-level operation that this engine has no
	// equivalent for (a Swarm task cannot be stopped or held by itself).
	ErrUnsupported = errors.New("not supported by this engine")
)

// kindError is an engine error of one of the kinds above: errors.Is
// matches the kind, its message is its own, and the cause is wrapped last.
type kindError struct {
	kind error
	err  error
}

func (e *kindError) Error() string        { return e.err.Error() }
func (e *kindError) Is(target error) bool { return target == e.kind }
func (e *kindError) Unwrap() error        { return e.err }

// KindErrorf is fmt.Errorf (a cause with %w goes last) made an error of
// kind, one of ErrNotFound, ErrNameInUse, ErrImageUnavailable,
// ErrUnavailable: for engines.
func KindErrorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, err: fmt.Errorf(format, args...)}
}

// Container is a managed container as the engine reports it.
type Container struct {
	ID       string
	Name     string
	Image    string // LabelImage: the spec it belongs to
	SpecHash string // LabelSpecHash
	Slot     int
	// Node is the swarm node a task runs on; "" on a single engine.
	Node string
	// Remote: the task runs on another swarm node, whose engine serve does
	// not reach, so its stats, logs and removal are out of reach here.
	Remote bool
	State  string // Docker's word: created, running, restarting, paused, exited, dead, removing
	Health string // Docker HEALTHCHECK status: "", starting, healthy, unhealthy
	// HealthError is what the last health probe said when it failed: its
	// exit code and output, one line (ProbeError); "" when it passed or
	// none ran. It is why a new version is not ready, for the status.
	HealthError string
	// Held: the operator stopped it through the API (restart policy "no").
	// The reconciler neither counts, starts nor removes it.
	Held         bool
	RestartCount int
	Created      time.Time
	Started      time.Time                // the last start (Docker's State.StartedAt)
	Ports        map[string][]PortBinding // like Docker's NetworkSettings.Ports
	Labels       map[string]string
}

// PortBinding is one published port.
type PortBinding struct {
	HostIP   string
	HostPort string
}

// Active reports whether the container counts as running (docs/design.md §4).
func (c Container) Active() bool { return c.State == "running" || c.State == "restarting" }

// Ready reports whether it is running and not failing its health check.
func (c Container) Ready() bool {
	return c.State == "running" && (c.Health == "" || c.Health == "healthy")
}

// Stable reports whether it is Ready and has run for at least minReady
// since its last start, as Swarm's update monitor waits. A restart moves
// Started, so a new version that crashes within minReady of each start is
// never stable, however often Docker brings it back; one that Docker
// restarted once is stable again minReady after that restart (a lifetime
// RestartCount of 0 would hold it back forever).
func (c Container) Stable(now time.Time, minReady time.Duration) bool {
	return c.Ready() && !c.Started.IsZero() && now.Sub(c.Started) >= minReady
}

// maxProbeError bounds HealthError: a probe may print a page (Docker keeps
// 4 KiB of it), and the status shows it on one line.
const maxProbeError = 200

// ProbeError is how HealthError reads a failed health probe: "exit N: "
// and its output with all whitespace (newlines too) collapsed to single
// spaces, cut to about 200 characters.
func ProbeError(exitCode int, output string) string {
	out := strings.Join(strings.Fields(output), " ")
	if r := []rune(out); len(r) > maxProbeError {
		out = string(r[:maxProbeError]) + "…"
	}
	if out == "" {
		return fmt.Sprintf("exit %d", exitCode)
	}
	return fmt.Sprintf("exit %d: %s", exitCode, out)
}

// Config is everything the orchestrator sets on a new container. The
// fields after Labels are compose's (spec runtime fields); their zero
// values leave the engine's or the image's defaults.
type Config struct {
	Name        string
	Image       string
	Env         map[string]string
	Ports       map[string]int // canonical "80/tcp" -> host port, 0 = random
	NanoCPUs    int64
	MemoryBytes int64
	Labels      map[string]string

	Cmd, Entrypoint []string // nil: the image's
	WorkingDir      string
	User            string
	Hostname        string
	Mounts          []Mount
	// Networks the container joins, with its aliases there; none: the
	// engine's default bridge. Each must exist (EnsureNetwork).
	Networks    []NetworkAttachment
	Healthcheck *Healthcheck
	Restart     RestartPolicy // zero: unless-stopped
	LogDriver   string
	LogOptions  map[string]string
	StopSignal  string
	StopTimeout time.Duration // 0: the engine's default (10s)
	CapAdd      []string
	CapDrop     []string
	SecurityOpt []string
	ExtraHosts  []string // host:ip
	DNS         []string
	ReadOnly    bool
	// Placement is where a swarm may run a service's tasks; a container
	// engine has one host and ignores it.
	Placement Placement
}

// Placement constrains the nodes of a service's tasks, in Swarm's terms.
type Placement struct {
	Constraints        []string // "node.role==manager"
	Spread             []string // node or engine labels to spread over, in order: "node.labels.zone"
	MaxReplicasPerNode int      // 0: no limit
}

// The kinds of Mount.
const (
	MountVolume = "volume" // Source is a volume's name; it must exist (EnsureVolume)
	MountBind   = "bind"   // Source is an absolute host path
	MountTmpfs  = "tmpfs"  // no Source; Options as docker run --tmpfs takes them
)

// Mount is one filesystem mount of a container.
type Mount struct {
	Type     string
	Source   string
	Target   string
	ReadOnly bool
	Options  string // tmpfs options (size=64m,mode=1777); a bind's z or Z
}

// NetworkAttachment is a network a container joins, and the names it
// answers to there.
type NetworkAttachment struct {
	Name    string
	Aliases []string
}

// Healthcheck is the engine's check of a container's health.
type Healthcheck struct {
	Test                           []string // CMD..., CMD-SHELL cmd, or NONE
	Interval, Timeout, StartPeriod time.Duration
	Retries                        int
}

// RestartPolicy is when the engine restarts a container by itself.
type RestartPolicy struct {
	Name       string // no, always, unless-stopped, on-failure
	MaxRetries int    // for on-failure; 0 for no bound
}

// OwnStopTimeout asks Stop for the container's own stop timeout, as created
// from its spec's stop_grace_period: a graceful stop (docs/design.md §4).
const OwnStopTimeout time.Duration = -1

// EventReconnect is the Action of an Event sent after the event stream was
// lost and is back (an engine restart): events may have been missed, so the
// receiver lists again.
const EventReconnect = "reconnect"

// Event is an engine event about a managed container.
type Event struct {
	ContainerID string
	Image       string // LabelImage
	Action      string // die, start, destroy, health_status, ...
	Time        time.Time
}

// Stats is one sample of a container's counters, as the engine reports them.
type Stats struct {
	Read         time.Time // when the engine read the counters
	CPUTotal     uint64    // cpu_stats.cpu_usage.total_usage (ns)
	SystemCPU    uint64    // cpu_stats.system_cpu_usage
	OnlineCPUs   uint32    // cpu_stats.online_cpus (0 if absent)
	PercpuLen    int       // len(cpu_stats.cpu_usage.percpu_usage)
	MemUsage     uint64    // memory_stats.usage
	MemLimit     uint64    // memory_stats.limit (the host's memory without a limit)
	InactiveFile uint64    // memory_stats.stats total_inactive_file (cgroup v1) or inactive_file (v2); 0 if absent
}

// Engine is the seam to the container engine: the Docker adapter in
// production, an in-memory fake in unit tests, both held to one contract
// (enginetest.Run). Consumers declare the narrower interfaces they need.
type Engine interface {
	// List returns the managed containers (label filter), any state.
	List(ctx context.Context) ([]Container, error)
	// HasImage reports whether the image is present locally (a cheap check).
	HasImage(ctx context.Context, image string) (bool, error)
	// Pull fetches the image; failure wraps ErrImageUnavailable and says
	// "image X not found locally and pull failed: ...".
	Pull(ctx context.Context, image string) error
	// Create creates (not starts) a container; a taken name wraps ErrNameInUse.
	Create(ctx context.Context, cfg Config) (id string, err error)
	Start(ctx context.Context, id string) error
	// Stop stops a container: its stop signal, then a kill after timeout;
	// OwnStopTimeout uses the container's own (its spec's
	// stop_grace_period, else the engine's 10 s).
	Stop(ctx context.Context, id string, timeout time.Duration) error
	// Remove removes a container, running or not.
	Remove(ctx context.Context, id string) error
	// SetHeld switches the restart policy between "no" (held) and unless-stopped.
	SetHeld(ctx context.Context, id string, held bool) error
	// Events streams events of managed containers until ctx ends, riding
	// out engine restarts (each reconnect is an Event with Action
	// EventReconnect). The channel is closed when ctx is done.
	Events(ctx context.Context) <-chan Event
	// Stats takes one one-shot sample of a container (Docker:
	// stream=false&one-shot=true, API >= 1.41); an unknown id wraps
	// ErrNotFound.
	Stats(ctx context.Context, id string) (Stats, error)
	// DataRoot is the engine's data root (docker info DockerRootDir), where
	// the writable layers live.
	DataRoot(ctx context.Context) (string, error)
	// Resources makes and removes the volumes and networks containers use.
	Resources
	// Logs streams a container's output, stdout and stderr interleaved as
	// plain text, from opts.Tail lines back; with opts.Follow it goes on
	// until the container stops or ctx ends. Closing the reader ends the
	// stream. An unknown id wraps ErrNotFound.
	Logs(ctx context.Context, id string, opts LogOptions) (io.ReadCloser, error)
}

// LogOptions select what Logs streams.
type LogOptions struct {
	Follow bool
	Tail   int // the last Tail lines; negative for all
}
