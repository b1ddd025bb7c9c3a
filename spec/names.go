package spec

import (
	"fmt"
	"slices"
	"strings"
)

// nameConflicts finds specs whose short names collide (docs/design.md §5):
// a name is what the other containers reach a spec by on a network, and
// what depends_on waits for, so it must pick one spec. Two specs collide
// when both set the same name, or when they share a name (set or derived
// from the image) and a network. Specs without networks may share a
// derived name: "shop/web:1" and "shop/web:2" are both "web", and nothing
// resolves it.
//
// Each colliding spec gets an error at its name (or image, when the name
// is derived), and is returned for the caller to treat as a conflict:
// kept as last loaded, never pruned.
func (d *Dir) nameConflicts(good []Entry) (FieldErrors, map[string][]Source) {
	byName := map[string][]Entry{}
	for _, e := range good {
		if mayCollide(e.Spec) {
			n := e.Spec.ShortName()
			byName[n] = append(byName[n], e)
		}
	}
	var errs FieldErrors
	conflicts := map[string][]Source{}
	for _, es := range byName {
		if len(es) < 2 {
			continue
		}
		for _, e := range es {
			with := clashes(e.Spec, es)
			if len(with) == 0 {
				continue
			}
			fe := nameError(e.Spec, with)
			fe.File, fe.Line = e.Source.File, d.FieldLine(e.Source, fe.Field)
			errs = append(errs, fe)
			conflicts[e.Spec.Image] = append(conflicts[e.Spec.Image], e.Source)
		}
	}
	return errs, conflicts
}

// checkName refuses a spec about to be written whose name would collide
// with another spec of the directory: a bad request writes nothing.
func checkName(s Spec, snap *Snapshot) error {
	if with := clashes(s, snap.Specs); len(with) > 0 {
		return FieldErrors{nameError(s, with)}
	}
	return nil
}

// clashes are the other specs (of another image) that s's name collides
// with, as "image (file:line)".
func clashes(s Spec, others []Entry) []string {
	if !mayCollide(s) {
		return nil
	}
	var with []string
	name := s.ShortName()
	for _, o := range others {
		if o.Spec.Image != s.Image && mayCollide(o.Spec) && collide(s, o.Spec) && o.Spec.ShortName() == name {
			with = append(with, fmt.Sprintf("%s (%s)", o.Spec.Image, o.Source))
		}
	}
	return with
}

// nameError says why s's name collides, at its name field, or at its image
// when the name is derived from it.
func nameError(s Spec, with []string) *FieldError {
	if s.Name == "" {
		return &FieldError{Field: "image", Loc: []string{"image"}, Msg: fmt.Sprintf(
			"name %q, derived from the image, is also the name of %s on a shared network: set name: to tell them apart", s.ShortName(), strings.Join(with, ", "))}
	}
	return &FieldError{Field: "name", Loc: []string{"name"}, Msg: fmt.Sprintf(
		"name %q is also the name of %s: a name reaches one spec on its networks and in depends_on", s.Name, strings.Join(with, ", "))}
}

// mayCollide says whether s's name can be ambiguous at all: it is set, or
// it is an alias on a network. Most specs are neither, and cost nothing.
func mayCollide(s Spec) bool { return s.Name != "" || len(s.Networks) > 0 }

// collide says whether two specs of one short name are ambiguous: both
// name it, or they share a network where it is their alias.
func collide(a, b Spec) bool {
	if a.Name != "" && b.Name != "" {
		return true
	}
	return slices.ContainsFunc(a.Networks, func(n string) bool { return slices.Contains(b.Networks, n) })
}
