package stats

import (
	"context"
	"time"

	"github.com/orchestrator/orchestrator/spec"
)

// The lease: with Options.Lease set, the sampler samples only what someone
// looks at (the autoscaled specs, and the images read within the lease),
// as docker stats does, not every container all the time.

// Read returns image's health for a request. With a Lease it also keeps
// the image sampled for the lease; an image that was not being sampled is
// sampled now, and Read waits for that round (at most until ctx ends), so
// even the first answer has memory, liveness and disk filled in. CPU needs
// a second sample: it follows a round later.
func (s *Sampler) Read(ctx context.Context, image string) []Health {
	if s.opts.Lease <= 0 {
		return s.Health(image)
	}
	now := s.opts.Now()
	s.mu.Lock()
	last, seen := s.reads[image]
	// A lease that ran out may have been dropped by the round now running,
	// whatever the last round covered.
	warm := s.sampled[image] && seen && now.Sub(last) < s.opts.Lease
	if warm {
		s.reads[image] = now
	}
	s.mu.Unlock()
	// Only a cold read looks the image up among the specs: the warm path,
	// every request under load, stays a map read.
	if !warm && s.known(image) {
		s.mu.Lock()
		s.reads[image] = now
		s.mu.Unlock()
		_ = s.WaitRound(ctx) // on timeout, what is known so far
	}
	return s.Health(image)
}

// known reports whether image has a spec in force: a read of any other name
// answers at once, and costs no round.
func (s *Sampler) known(image string) bool {
	if s.specs == nil {
		return true
	}
	_, ok := s.specs()[image]
	return ok
}

// wanted is the set of images to sample now: nil for all (no Lease), else
// the autoscaled specs' and those read within the Lease. Expired reads are
// forgotten, and so are their containers' samples: CPU after a lapse comes
// from two new samples, not from one taken minutes ago.
func (s *Sampler) wanted(specs map[string]spec.Spec, now time.Time) map[string]bool {
	if s.opts.Lease <= 0 {
		return nil
	}
	want := map[string]bool{}
	for image, sp := range specs {
		if sp.Autoscaled() {
			want[image] = true
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for image, t := range s.reads {
		if now.Sub(t) < s.opts.Lease {
			want[image] = true
		} else {
			delete(s.reads, image)
		}
	}
	return want
}
