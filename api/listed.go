package api

import (
	"slices"
	"strings"

	"github.com/orchestrator/orchestrator/api/wire"
	"github.com/orchestrator/orchestrator/spec"
)

// What GET /images and GET /images/{image} show: the desired state as the
// files have it now, and beside it the specs whose file is broken but that
// the reconciler still keeps in force at their last good version. Leaving
// those out would say that the image has no spec, while its containers run
// on (docs/design.md §3); they are marked stale, with the file's errors.

// listed is every valid spec of snap, and every stale spec in force whose
// image snap holds no valid spec of, sorted by image.
func (s *Server) listed(snap *spec.Snapshot) []wire.Image {
	out := make([]wire.Image, 0, len(snap.Specs))
	for _, e := range snap.Specs {
		out = append(out, imageOf(e))
	}
	added := false
	for _, st := range s.rec.Stale() {
		// The files may have been fixed since the last pass: they win.
		if _, ok := snap.Get(st.Entry.Spec.Image); !ok {
			out = append(out, staleImageOf(st.Entry, st.Errors))
			added = true
		}
	}
	if added {
		slices.SortFunc(out, func(a, b wire.Image) int { return strings.Compare(a.Image, b.Image) })
	}
	return out
}

// shown is the valid spec of image, or else the last good version that the
// reconciler keeps in force (stale), or else entry's error: a 404, or a 409
// for a broken file of which no good version is known. A directory that
// cannot be read is its error, as for GET /images.
func (s *Server) shown(image string) (wire.Image, error) {
	e, err := s.entry(image)
	if err == nil {
		return imageOf(e), nil
	}
	if code := classify(err).code; code != wire.CodeBrokenFile && code != wire.CodeNotFound {
		return wire.Image{}, err
	}
	if last, why, ok := s.rec.Enforced(image); ok {
		return staleImageOf(last, why), nil
	}
	return wire.Image{}, err
}
