package reconciler

import (
	"sort"
	"strconv"
	"strings"

	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/spec"
)

// rank orders containers of one spec for removal (docs/design.md §4): not
// running first, then unhealthy, then outdated (a hash other than current),
// then most restarts, then newest.
func rank(cs []engine.Container, current string) []engine.Container {
	out := append([]engine.Container(nil), cs...)
	key := func(c engine.Container) [3]int {
		var k [3]int
		if c.State != "running" {
			k[0] = -1
		}
		if c.Health == "unhealthy" {
			k[1] = -1
		}
		if c.SpecHash != current {
			k[2] = -1
		}
		return k
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := key(out[i]), key(out[j])
		if a != b {
			for n := range a {
				if a[n] != b[n] {
					return a[n] < b[n]
				}
			}
		}
		if out[i].RestartCount != out[j].RestartCount {
			return out[i].RestartCount > out[j].RestartCount
		}
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		return out[i].Slot > out[j].Slot
	})
	return out
}

// namer gives new containers readable, unique names: the image made safe
// for a container name, and the lowest free slot: orchestrator-demo-web-1.
type namer struct {
	taken    map[string]bool
	instance string // the label
	prefix   string // of the name
}

func (n *namer) config(d Desired) engine.Config {
	s := d.Spec
	prefix := NamePrefix(n.prefix, s.Image)
	slot := 1
	for n.taken[prefix+"-"+strconv.Itoa(slot)] {
		slot++
	}
	name := prefix + "-" + strconv.Itoa(slot)
	n.taken[name] = true
	cfg := configFor(s, n.instance, name, slot)
	runtimeConfig(&cfg, s, d.Dir, n.prefix, slot)
	return cfg
}

// configFor is the container for spec s: its labels say whose it is and
// which version of the spec made it.
func configFor(s spec.Spec, instance, name string, slot int) engine.Config {
	labels := map[string]string{
		engine.LabelImage:     s.Image,
		engine.LabelSpecHash:  s.Hash(),
		engine.LabelManagedBy: engine.ManagedBy,
		engine.LabelSlot:      strconv.Itoa(slot),
	}
	if instance != "" {
		labels[engine.LabelInstance] = instance
	}
	return engine.Config{
		Name:        name,
		Image:       s.Image,
		Env:         s.Env,
		Ports:       s.CanonicalPorts(),
		NanoCPUs:    s.NanoCPUs(),
		MemoryBytes: s.MemoryBytes(),
		Labels:      labels,
	}
}

// NamePrefix is the container name of an image without its slot: lowercase,
// with anything a container name cannot hold turned into "-", after prefix
// and "-" when prefix is set.
func NamePrefix(prefix, image string) string {
	var b strings.Builder
	if prefix != "" {
		b.WriteString(prefix + "-")
	}
	for _, r := range strings.ToLower(image) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-.")
}
