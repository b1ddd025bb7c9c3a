package watcher

import (
	"context"
	"time"
)

// maxRetry bounds the wait between two attempts to go back to inotify while
// polling (unless PollInterval is longer). An attempt that fails has taken
// watches for a moment, under the same per-user limit as every other
// program's: attempts are spaced out the longer inotify stays unavailable.
const maxRetry = time.Minute

// watch runs inotify, or polling while inotify is not to be had, until ctx
// is done. Every goroutine it starts has ended when it returns.
func (w *Watcher) watch(ctx context.Context, root string, d *debouncer) {
	if w.opts.ForcePolling {
		w.runPoll(ctx, root, d, nil)
		return
	}
	retry := &backoff{first: w.opts.PollInterval, max: max(w.opts.PollInterval, maxRetry)}
	n, err := w.startNotify(root)
	for {
		if err == nil {
			w.markReady()
			began := time.Now()
			err = n.run(ctx, d)
			n.close()
			if err == nil || ctx.Err() != nil {
				return
			}
			// A run that lasted starts the backoff afresh. One that failed
			// soon after inotify came back (a tree that keeps outgrowing
			// the limit) does not: the retries go on from the last wait,
			// so that the watcher cannot flap between the two every
			// PollInterval.
			if time.Since(began) >= retry.max {
				retry.reset()
			}
		}
		w.log.Warn("inotify unavailable, polling", "err", err, "interval", w.opts.PollInterval, "root", root)
		// Whatever happened between the failure and the polling baseline
		// would be lost: announce it instead.
		d.kick(kickChanging)

		began := time.Now()
		if n = w.runPoll(ctx, root, d, retry); n == nil {
			return // ctx is done
		}
		err = nil
		w.log.Info("inotify available again, stopped polling", "root", root, "polled_for", time.Since(began).Round(time.Millisecond).String())
		// The watches are in place now, but whatever happened between the
		// last poll and then was seen by neither: announce it, so that the
		// reader's next read is the new baseline.
		d.kick(kickChanging)
	}
}

// backoff spaces the attempts to set inotify up again: first, then twice as
// long after each failed attempt, up to max.
type backoff struct {
	first, max time.Duration
	cur        time.Duration // the next wait; 0: first
}

// next returns the wait before the next attempt, and doubles the one after.
func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.first
	}
	d := b.cur
	b.cur = min(2*d, b.max)
	return d
}

func (b *backoff) reset() { b.cur = 0 }
