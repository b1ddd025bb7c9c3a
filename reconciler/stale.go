package reconciler

import (
	"maps"
	"slices"

	"github.com/orchestrator/orchestrator/spec"
)

// Stale is a spec that the reconciler keeps in force at its last good
// version while the files give no valid one (docs/design.md §3): its file
// has errors, its image is written twice, or the directory is unusable.
type Stale struct {
	// Entry is the last good version, the one its containers follow.
	Entry spec.Entry
	// Errors say why the files give no valid version: the errors of its
	// file as "file:line: field: message", or the directory's error.
	Errors []string
}

// Enforced returns the last good version of image that the reconciler
// keeps in force because the files give no valid one, and why, as of the
// last pass. It is false for an image the files hold a valid spec of, and
// for one the reconciler never had a good version of.
func (r *Reconciler) Enforced(image string) (spec.Entry, []string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, ok := r.stale[image]
	if !ok {
		return spec.Entry{}, nil, false
	}
	return cloneEntry(st.Entry), slices.Clone(st.Errors), true
}

// Stale returns every spec kept in force at its last good version as of
// the last pass (see Enforced), sorted by image.
func (r *Reconciler) Stale() []Stale {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Stale, 0, len(r.stale))
	for _, image := range slices.Sorted(maps.Keys(r.stale)) {
		st := r.stale[image]
		out = append(out, Stale{Entry: cloneEntry(st.Entry), Errors: slices.Clone(st.Errors)})
	}
	return out
}

// staleOf is the specs in force that are not valid in the files: those of
// entries that errs (by image) gives a reason for, each with its reason,
// or every entry with the directory's error when it could not be used.
func staleOf(entries map[string]spec.Entry, errs map[string][]string, loadErr error) map[string]Stale {
	out := map[string]Stale{}
	for image, e := range entries {
		why := errs[image]
		if loadErr != nil {
			why = append(slices.Clone(why), loadErr.Error())
		}
		if len(why) > 0 {
			out[image] = Stale{Entry: e, Errors: why}
		}
	}
	return out
}

// cloneEntry is e with a spec of its own: a caller may keep it while the
// passes go on.
func cloneEntry(e spec.Entry) spec.Entry {
	e.Spec = e.Spec.Clone()
	return e
}
