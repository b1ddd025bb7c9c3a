package spec

import (
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
)

// Engine limits that a spec must respect.
const (
	// MinNanoCPUs is the engine's smallest CPU limit (docker: "Range of CPUs is from 0.01").
	MinNanoCPUs = 10_000_000
	// MinMemoryBytes is the engine's smallest memory limit (6 MiB).
	MinMemoryBytes = 6 * 1024 * 1024
)

var (
	errNotCPU      = errors.New("not a CPU quantity")
	errTooPrecise  = errors.New("too precise")
	errNotSize     = errors.New("not a size")
	cpuPattern     = regexp.MustCompile(`^([+-]?[0-9]+(?:\.[0-9]+)?|[+-]?\.[0-9]+)(m?)$`)
	kubeMemPattern = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?) ?([KMGTP])i$`)
)

// ParseCPU turns "500m" or "0.5" into NanoCPUs, exactly (no float rounding).
// "" is 0, no limit. It does not check bounds.
func ParseCPU(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	m := cpuPattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, errNotCPU
	}
	r, ok := new(big.Rat).SetString(m[1])
	if !ok {
		return 0, errNotCPU
	}
	scale := int64(1_000_000_000)
	if m[2] == "m" {
		scale = 1_000_000
	}
	r.Mul(r, new(big.Rat).SetInt64(scale))
	if !r.IsInt() {
		return 0, errTooPrecise
	}
	if !r.Num().IsInt64() {
		return 0, errNotCPU
	}
	return r.Num().Int64(), nil
}

// ParseMemory turns a docker size ("256m", "1g": binary units) or a
// Kubernetes-style one ("256Mi", "1Gi") into bytes. "" is 0, no limit.
func ParseMemory(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	t := strings.TrimSpace(s)
	if m := kubeMemPattern.FindStringSubmatch(t); m != nil {
		t = m[1] + strings.ToLower(m[2]) // go-units' RAMInBytes reads k/m/g as binary units
	}
	n, err := units.RAMInBytes(t)
	if err != nil || n < 0 {
		return 0, errNotSize
	}
	return n, nil
}

// Port is a container port and protocol, the key of Spec.Ports.
type Port struct {
	Number int
	Proto  string // tcp or udp
}

// String is the canonical form, "80/tcp".
func (p Port) String() string { return strconv.Itoa(p.Number) + "/" + p.Proto }

// portError carries a message that names what is wrong with a port key.
type portError struct{ msg string }

func (e *portError) Error() string { return e.msg }

// ParsePort reads "80", "80/tcp" or "53/udp".
func ParsePort(s string) (Port, error) {
	num, proto, hasProto := strings.Cut(s, "/")
	if !hasProto {
		proto = "tcp"
	}
	n, err := strconv.Atoi(num)
	if err != nil || num == "" || num[0] == '+' || num[0] == '-' && n == 0 {
		return Port{}, &portError{fmt.Sprintf("%q is not a port (use \"80\", \"80/tcp\" or \"53/udp\")", s)}
	}
	if n < 1 || n > 65535 {
		return Port{}, &portError{fmt.Sprintf("container port must be 1-65535, got %d", n)}
	}
	if proto != "tcp" && proto != "udp" {
		return Port{}, &portError{fmt.Sprintf("protocol must be tcp or udp, got %q", proto)}
	}
	return Port{Number: n, Proto: proto}, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
