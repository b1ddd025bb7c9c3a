package reconciler

import (
	"time"
)

// Backoff bounds for a failing spec (docs/design.md §7).
const (
	backoffMin = 5 * time.Millisecond
	backoffMax = 5 * time.Minute
)

// backoff is the retry state of one spec. A failing spec waits before its
// next attempt; the other specs never wait for it.
type backoff struct {
	revision string // of the spec that failed
	delay    time.Duration
	until    time.Time
	err      error
	armed    bool // a retry is due at until and no pass has made it yet
}

// backoffs tracks every spec's retry state, by image.
type backoffs map[string]*backoff

// fail records a failure of the spec at revision at now, and returns when
// to try again.
func (b backoffs) fail(image, revision string, err error, now time.Time) time.Time {
	s := b[image]
	if s == nil {
		s = &backoff{}
		b[image] = s
	}
	s.revision = revision
	if s.delay == 0 {
		s.delay = backoffMin
	} else {
		s.delay = min(2*s.delay, backoffMax)
	}
	s.until, s.err, s.armed = now.Add(s.delay), err, true
	return s.until
}

// resetIfChanged forgets the failures of an earlier revision of the spec:
// an edit that fixes it is tried at once, not after the backoff.
func (b backoffs) resetIfChanged(image, revision string) {
	if s := b[image]; s != nil && s.revision != revision {
		delete(b, image)
	}
}

// succeed forgets a spec's failures.
func (b backoffs) succeed(image string) { delete(b, image) }

// waiting reports whether the spec must not be acted on at now. Once it
// may act again, its retry counts as made.
func (b backoffs) waiting(image string, now time.Time) bool {
	s := b[image]
	if s == nil {
		return false
	}
	if now.Before(s.until) {
		return true
	}
	s.armed = false
	return false
}

// lastError is the spec's last failure, if it is still failing.
func (b backoffs) lastError(image string) error {
	if s := b[image]; s != nil {
		return s.err
	}
	return nil
}

// next is the earliest retry still to be made (possibly already due), or
// zero. A retry that a pass made but that has not failed again (its image
// is still being pulled, say) is not due: its end wakes the loop itself.
func (b backoffs) next() time.Time {
	var t time.Time
	for _, s := range b {
		if s.armed && (t.IsZero() || s.until.Before(t)) {
			t = s.until
		}
	}
	return t
}
