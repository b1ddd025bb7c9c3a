package reconciler

import (
	"slices"
	"time"
)

// waitsFor is the first of d's dependencies (depends_on: the names of
// other desired specs) that has no ready container, and until when d
// waits for it: a spec waits at most ReadyTimeout after it appeared, so a
// dependency that never gets ready delays it, never blocks it. A name that
// no desired spec has is no wait: the dependency is not run here.
func waitsFor(d Desired, in Input) (string, time.Time) {
	if len(d.Spec.DependsOn) == 0 {
		return "", time.Time{}
	}
	until := in.Since[d.Spec.Image].Add(in.ReadyTimeout)
	if in.ReadyTimeout > 0 && !in.Now.Before(until) {
		return "", time.Time{}
	}
	for _, dep := range d.Spec.DependsOn {
		var images []string
		for image, other := range in.Desired {
			if other.Spec.ShortName() == dep {
				images = append(images, image)
			}
		}
		if len(images) > 0 && !anyReady(images, in) {
			return dep, until
		}
	}
	return "", time.Time{}
}

// anyReady reports whether a container of one of images is ready.
func anyReady(images []string, in Input) bool {
	for _, c := range in.Containers {
		if slices.Contains(images, c.Image) && !c.Held && c.Ready() {
			return true
		}
	}
	return false
}
