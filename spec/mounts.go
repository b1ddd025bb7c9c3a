package spec

import (
	"fmt"

	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// The kinds of Mount.
const (
	MountVolume = "volume" // a named volume of the engine
	MountBind   = "bind"   // a host directory or file
	MountTmpfs  = "tmpfs"  // memory
)

// Mount is one entry of volumes or tmpfs, parsed.
type Mount struct {
	Type     string // MountVolume, MountBind or MountTmpfs
	Source   string // the volume's name, or the host path as written (./dir, /abs); "" for tmpfs
	Target   string // the path in the container
	ReadOnly bool
	Options  string // tmpfs options (size=64m,mode=1777); bind propagation/SELinux flags (z, Z)
}

// Relative reports whether a bind mount's source is relative to the spec's
// file.
func (m Mount) Relative() bool { return m.Type == MountBind && !filepath.IsAbs(m.Source) }

// resourceName is the form of a named volume, a network and a spec's name:
// the engine's own rule for volume names.
var resourceName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// ParseVolume reads one entry of volumes: NAME:/path, ./dir:/path or
// /host:/path, each with an optional :ro, :rw, :z or :Z (comma-separated).
func ParseVolume(v string) (Mount, error) {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return Mount{}, fmt.Errorf("%q is not SOURCE:/path[:ro]: a volume needs a name or a host path (NAME:/path, ./dir:/path, /host:/path)", v)
	}
	m := Mount{Source: parts[0], Target: parts[1]}
	if len(parts) == 3 {
		for _, flag := range strings.Split(parts[2], ",") {
			switch flag {
			case "ro":
				m.ReadOnly = true
			case "rw":
			case "z", "Z":
				m.Options = flag
			default:
				return Mount{}, fmt.Errorf("%q: unknown mode %q (use ro, rw, z or Z)", v, flag)
			}
		}
	}
	if err := checkTarget(m.Target); err != nil {
		return Mount{}, fmt.Errorf("%q: %w", v, err)
	}
	switch src := m.Source; {
	case strings.HasPrefix(src, "/"):
		m.Type = MountBind
		if filepath.Clean(src) != src {
			return Mount{}, fmt.Errorf("%q: the host path must be clean (%s)", v, filepath.Clean(src))
		}
	case src == "." || strings.HasPrefix(src, "./"):
		m.Type = MountBind
		if slices.Contains(strings.Split(src, "/"), "..") {
			return Mount{}, fmt.Errorf("%q: a relative host path stays below the spec's directory (no ..)", v)
		}
	case strings.HasPrefix(src, "../"), strings.HasPrefix(src, "~"):
		return Mount{}, fmt.Errorf("%q: a relative host path starts with ./ and stays below the spec's directory", v)
	case resourceName.MatchString(src):
		m.Type = MountVolume
		if m.Options != "" {
			return Mount{}, fmt.Errorf("%q: %s is for bind mounts", v, m.Options)
		}
	default:
		return Mount{}, fmt.Errorf("%q: %q is neither a volume name (letters, digits, _ . -) nor a host path (./dir or /path)", v, src)
	}
	return m, nil
}

// ParseTmpfs reads one entry of tmpfs: /path or /path:options.
func ParseTmpfs(v string) (Mount, error) {
	target, opts, _ := strings.Cut(v, ":")
	if err := checkTarget(target); err != nil {
		return Mount{}, fmt.Errorf("%q: %w", v, err)
	}
	return Mount{Type: MountTmpfs, Target: target, Options: opts}, nil
}

func checkTarget(t string) error {
	switch {
	case !strings.HasPrefix(t, "/"):
		return fmt.Errorf("the path in the container must be absolute, got %q", t)
	case t == "/":
		return fmt.Errorf("cannot mount over the container's root")
	case filepath.Clean(t) != t:
		return fmt.Errorf("the path in the container must be clean (%s)", filepath.Clean(t))
	}
	return nil
}

// Mounts are the spec's volumes and tmpfs, parsed; entries that do not
// parse (an invalid spec) are left out.
func (s Spec) Mounts() []Mount {
	var out []Mount
	for _, v := range s.Volumes {
		if m, err := ParseVolume(v); err == nil {
			out = append(out, m)
		}
	}
	for _, v := range s.Tmpfs {
		if m, err := ParseTmpfs(v); err == nil {
			out = append(out, m)
		}
	}
	return out
}

// VolumeNames are the named volumes of the spec, in order.
func (s Spec) VolumeNames() []string {
	var out []string
	for _, m := range s.Mounts() {
		if m.Type == MountVolume {
			out = append(out, m.Source)
		}
	}
	return out
}

// bindAllowed reports whether the absolute host path p is below one of
// roots.
func bindAllowed(p string, roots []string) bool {
	for _, r := range roots {
		r = filepath.Clean(r)
		if r == "/" || p == r || strings.HasPrefix(p, r+"/") {
			return true
		}
	}
	return false
}
