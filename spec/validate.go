package spec

import (
	"errors"
	"fmt"
	"maps"
	"math/big"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/distribution/reference"
)

// Options are the facts of the host that validation needs.
type Options struct {
	// HostCPUs bounds resources.cpu; 0 means the CPUs of this machine.
	HostCPUs int
	// BindRoots are the host directories that a bind mount of an absolute
	// path may use (serve's --allow-bind-mounts); "/" allows any. A bind
	// mount of a directory next to the spec file (./dir) needs none.
	BindRoots []string
}

func (o Options) equal(p Options) bool {
	return o.HostCPUs == p.HostCPUs && slices.Equal(o.BindRoots, p.BindRoots)
}

func (o Options) hostCPUs() int {
	if o.HostCPUs > 0 {
		return o.HostCPUs
	}
	return runtime.NumCPU()
}

// envName is a POSIX environment variable name, which every shell can read.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate checks every rule of docs/design.md §2 and returns all violations.
// The errors carry field paths but no file or line.
func Validate(s Spec, opts Options) FieldErrors {
	var errs FieldErrors
	add := func(e *FieldError) { errs = append(errs, e) }
	root := path{}

	validateImage(s.Image, root.field("image"), add)

	if s.MinReplicas < 0 {
		add(root.field("min_replicas").kindErrorf("greater_than_equal", "must be >= 0, got %d", s.MinReplicas))
	}
	if s.MaxReplicas < 1 {
		add(root.field("max_replicas").kindErrorf("greater_than_equal", "must be >= 1, got %d", s.MaxReplicas))
	}
	if s.MinReplicas >= 0 && s.MaxReplicas >= 1 && s.MinReplicas > s.MaxReplicas {
		add(root.field("min_replicas").errorf("%d is greater than max_replicas %d", s.MinReplicas, s.MaxReplicas))
	}

	for _, k := range sortedKeys(s.Env) {
		kp := root.field("env").key(k)
		if !envName.MatchString(k) {
			add(kp.errorf("%q is not a valid variable name (letters, digits and _, not starting with a digit)", k))
		}
		switch v := s.Env[k]; {
		case strings.ContainsRune(v, 0):
			add(kp.errorf("value must not contain a NUL byte"))
		case !utf8.ValidString(v):
			add(kp.errorf("value must be valid UTF-8, got %q", v))
		}
	}

	validatePorts(s, root.field("ports"), add)
	validateResources(s.Resources, opts, root.field("resources"), add)
	if s.Autoscale != nil {
		validateAutoscale(*s.Autoscale, root.field("autoscale"), add)
	}
	if s.Health != nil {
		validateHealth(s, root.field("health"), add)
	}
	validateRuntime(s, opts, root, add)
	return errs
}

func validateImage(image string, p path, add func(*FieldError)) {
	if image == "" {
		add(p.kindErrorf("missing", "is required"))
		return
	}
	if _, err := reference.ParseNormalizedNamed(image); err != nil {
		msg := strings.TrimPrefix(err.Error(), reference.ErrReferenceInvalidFormat.Error()+": ")
		if errors.Is(err, reference.ErrReferenceInvalidFormat) && msg == err.Error() {
			msg = "the form is [registry/]name[:tag][@digest], e.g. nginx:alpine"
		}
		add(p.errorf("%q is not a valid image reference: %s", image, msg))
		return
	}
	// The image names its file when apply or the API writes it; a name
	// that cannot be one is refused here too, so validate agrees with apply.
	if _, err := FileName(image); err != nil {
		add(p.errorf("%q cannot be stored: %s", image, strings.TrimPrefix(err.Error(), ErrUnsafeName.Error()+": ")))
	}
}

func validatePorts(s Spec, p path, add func(*FieldError)) {
	canonical := map[string]string{} // "80/tcp" -> key as written
	fixed := map[string]string{}     // "8080/tcp" host binding -> key as written
	for _, k := range sortedKeys(s.Ports) {
		kp := p.key(k)
		port, err := ParsePort(k)
		if err != nil {
			add(kp.errorf("%s", err.Error()))
			continue
		}
		if other, dup := canonical[port.String()]; dup {
			add(kp.errorf("same container port as %q (both are %s)", other, port))
			continue
		}
		canonical[port.String()] = k
		host := s.Ports[k]
		switch {
		case host < 0 || host > 65535:
			add(kp.errorf("host port must be 0-65535 (0 = random), got %d", host))
		case host != 0 && s.MaxReplicas > 1:
			add(kp.errorf("host port %d is fixed but max_replicas is %d: two replicas cannot bind one host port (use 0 for a random port, or max_replicas: 1)", host, s.MaxReplicas))
		case host != 0:
			binding := fmt.Sprintf("%d/%s", host, port.Proto)
			if other, dup := fixed[binding]; dup {
				add(kp.errorf("host port %s is already bound by %q", binding, other))
			}
			fixed[binding] = k
		}
	}
}

func validateResources(r Resources, opts Options, p path, add func(*FieldError)) {
	if r.CPU != "" {
		cp := p.field("cpu")
		n, err := ParseCPU(r.CPU)
		host := opts.hostCPUs()
		switch {
		case errors.Is(err, errTooPrecise):
			add(cp.errorf("%q is too precise (the smallest step is 1 nano-CPU: 0.000000001)", r.CPU))
		case err != nil:
			add(cp.errorf("%q is not a CPU quantity (use e.g. \"500m\" or \"0.5\")", r.CPU))
		case n <= 0:
			add(cp.errorf("must be > 0, got %q", r.CPU))
		case n < MinNanoCPUs:
			add(cp.errorf("%q is below the engine's minimum of 0.01 CPU (10m)", r.CPU))
		case n > int64(host)*1_000_000_000:
			add(cp.errorf("%q is more than the host's %d CPUs", r.CPU, host))
		}
	}
	if r.Memory != "" {
		mp := p.field("memory")
		n, err := ParseMemory(r.Memory)
		switch {
		case err != nil:
			add(mp.errorf("%q is not a size (use e.g. 256m, 1g)", r.Memory))
		case n < MinMemoryBytes:
			add(mp.errorf("%q is below the engine's minimum of 6 MiB (6m)", r.Memory))
		}
	}
	if r.Status != StatusRunning && r.Status != StatusStopped && r.Status != "" {
		add(p.field("status").kindErrorf("literal_error", "must be %q or %q, got %q", StatusRunning, StatusStopped, r.Status))
	}
}

func validateAutoscale(a Autoscale, p path, add func(*FieldError)) {
	if t := a.TargetCPUPercent; t != nil && (*t < 1 || *t > 100) {
		add(p.field("target_cpu_percent").errorf("must be 1-100 (percent of the CPU limit), got %d", *t))
	}
	if a.ScaleDownStabilization != "" {
		sp := p.field("scale_down_stabilization")
		d, err := time.ParseDuration(a.ScaleDownStabilization)
		switch {
		case err != nil:
			add(sp.errorf("%q is not a duration (use e.g. 30s, 5m)", a.ScaleDownStabilization))
		case d < 0:
			add(sp.kindErrorf("greater_than_equal", "must be >= 0, got %s", a.ScaleDownStabilization))
		case d > time.Hour:
			add(sp.errorf("must be at most 1h, got %s", a.ScaleDownStabilization))
		}
	}
}

func validateHealth(s Spec, p path, add func(*FieldError)) {
	h := *s.Health
	switch hp := h.HTTPPath; {
	case hp == "":
	case !strings.HasPrefix(hp, "/"):
		add(p.field("http_path").errorf("must start with \"/\", got %q", hp))
	case !utf8.ValidString(hp) || strings.IndexFunc(hp, unicode.IsControl) >= 0:
		add(p.field("http_path").errorf("must be valid UTF-8 without control characters, got %q", hp))
	}
	if h.Port != "" {
		pp := p.field("port")
		port, err := ParsePort(h.Port)
		switch {
		case err != nil:
			add(pp.errorf("%s", err.Error()))
		case !hasPort(s, port):
			written := strconv.Quote(h.Port)
			if h.Port != port.String() && hasPort(s, Port{Number: port.Number, Proto: otherProto(port.Proto)}) {
				written += " (" + port.String() + ")" // "53" is tcp: say so when 53/udp is there
			}
			have := strings.Join(sortedKeys(s.Ports), ", ")
			if have == "" {
				have = "it has none"
			}
			add(pp.errorf("%s is not one of the spec's ports (%s)", written, have))
		}
	} else if h.HTTPPath != "" && len(s.Ports) == 0 {
		add(p.field("http_path").errorf("needs a port to probe: add one to ports"))
	}
	if h.Interval != "" {
		ip := p.field("interval")
		d, err := time.ParseDuration(h.Interval)
		switch {
		case err != nil:
			add(ip.errorf("%q is not a duration (use e.g. 5s, 1m)", h.Interval))
		case d < time.Second:
			add(ip.errorf("must be at least 1s, got %s", h.Interval))
		}
	}
}

func otherProto(proto string) string {
	if proto == "tcp" {
		return "udp"
	}
	return "tcp"
}

func hasPort(s Spec, want Port) bool {
	_, ok := s.CanonicalPorts()[want.String()]
	return ok
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// FormatCPU prints NanoCPUs as a number of CPUs without trailing zeros ("0.5", "2").
func FormatCPU(n int64) string {
	s := new(big.Rat).SetFrac64(n, 1_000_000_000).FloatString(9)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
