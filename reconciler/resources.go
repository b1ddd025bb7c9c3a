package reconciler

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/spec"
)

// resources keeps the volumes and networks that specs name
// (docs/design.md §4): each is made, with our labels, before a container
// of its spec is planned; once no spec names it, it is removed when its
// last container is gone: a network always, a volume only when the spec
// that named it last said remove_volumes_on_prune. A name taken by a
// volume or network that is not ours is the spec's error, and the spec
// gets no new container.
type resources struct {
	mu      sync.Mutex
	known   map[string]bool // "volume/NAME", "network/NAME" that exist and are ours
	wanted  map[string]bool // named by the specs of the last pass
	optIn   map[string]bool // volumes whose spec said remove_volumes_on_prune, as last seen
	pending map[string]bool // no longer named: removed once unused
	swept   bool            // our networks were listed once, for those a restart left behind
}

func newResources() *resources {
	return &resources{known: map[string]bool{}, wanted: map[string]bool{}, optIn: map[string]bool{}, pending: map[string]bool{}}
}

// resource is one volume or network of a spec, with the field that names
// it.
type resource struct {
	kind, name string   // kind: "volume" or "network"; name: the engine's
	loc        []string // the field, for errors: volumes, 0
}

func (x resource) key() string { return x.kind + "/" + x.name }

// resourcesOf lists what spec s needs, by the engine's names.
func resourcesOf(s spec.Spec, prefix string) []resource {
	var out []resource
	for i, v := range s.Volumes {
		if m, err := spec.ParseVolume(v); err == nil && m.Type == spec.MountVolume {
			out = append(out, resource{"volume", ResourceName(prefix, m.Source), []string{"volumes", strconv.Itoa(i)}})
		}
	}
	for i, n := range s.Networks {
		out = append(out, resource{"network", ResourceName(prefix, n), []string{"networks", strconv.Itoa(i)}})
	}
	return out
}

// ensure makes what each desired spec needs and that is not known to
// exist, one engine call at a time (two concurrent creates of one network
// would make two). It returns, by image, the error of a spec whose
// resource could not be made: file:line: field: message.
func (r *resources) ensure(ctx context.Context, e engine.Resources, dir *spec.Dir, entries map[string]spec.Entry, prefix string) map[string]error {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]error{}
	for _, image := range slices.Sorted(maps.Keys(entries)) {
		ent := entries[image]
		for _, x := range resourcesOf(ent.Spec, prefix) {
			if r.known[x.key()] {
				continue
			}
			var err error
			if x.kind == "volume" {
				err = e.EnsureVolume(ctx, x.name, nil)
			} else {
				err = e.EnsureNetwork(ctx, x.name, nil)
			}
			if err != nil {
				fe := &spec.FieldError{File: ent.Source.File, Line: dir.FieldLine(ent.Source, x.loc...),
					Field: x.loc[0] + "[" + x.loc[1] + "]", Msg: err.Error()}
				out[image] = errors.Join(out[image], fe)
				continue
			}
			r.known[x.key()] = true
		}
	}
	return out
}

// forget drops what is known to exist, after a create failed: a volume or
// network removed by hand is made again by the next pass.
func (r *resources) forget() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.known)
}

// prune removes what no spec names any more and no container uses, and
// returns what it removed ("volume/NAME", "network/NAME"). Only a pass that
// may prune calls it (no unreadable file).
func (r *resources) prune(ctx context.Context, e engine.Resources, entries map[string]spec.Entry, prefix string) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	wanted := map[string]bool{}
	for _, ent := range entries {
		for _, x := range resourcesOf(ent.Spec, prefix) {
			wanted[x.key()] = true
			if x.kind == "volume" {
				r.optIn[x.key()] = ent.Spec.RemoveVolumesOnPrune
			}
		}
	}
	for k := range r.wanted {
		if !wanted[k] {
			r.pending[k] = true
		}
	}
	r.wanted = wanted
	if !r.swept { // networks a serve that stopped meanwhile left behind
		ns, err := e.Networks(ctx)
		if err != nil {
			return nil, fmt.Errorf("list networks: %w", err)
		}
		for _, n := range ns {
			if k := "network/" + n.Name; !wanted[k] {
				r.pending[k] = true
			}
		}
		r.swept = true
	}
	var removed []string
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(r.pending)) {
		kind, name, _ := strings.Cut(k, "/")
		var err error
		switch {
		case wanted[k]:
			delete(r.pending, k) // named again
			continue
		case kind == "volume" && !r.optIn[k]:
			delete(r.pending, k) // its data stays
			continue
		case kind == "volume":
			err = e.RemoveVolume(ctx, name)
		default:
			err = e.RemoveNetwork(ctx, name)
		}
		switch {
		case errors.Is(err, engine.ErrInUse):
			continue // a container still uses it: a later pass tries again
		case err == nil, errors.Is(err, engine.ErrNotFound), errors.Is(err, engine.ErrForeign):
			if err == nil {
				removed = append(removed, k)
			}
			delete(r.pending, k)
			delete(r.known, k)
			delete(r.optIn, k)
		default:
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}
