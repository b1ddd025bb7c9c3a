package watcher

import (
	"context"
	"log/slog"
	"time"
)

// debouncer turns kicks into signals on out: one per batch, sent after quiet
// has passed without a kick (trailing edge, so that the reader sees the tree
// after a burst, not in the middle of it), but at most max after the first
// kick of the batch, so that a continuous stream of writes cannot starve the
// reader.
//
// It uses real timers only; tests run it inside a testing/synctest bubble,
// where time is virtual, so no clock has to be injected.
type debouncer struct {
	quiet, max time.Duration
	kicks      chan struct{} // capacity 1: kicks coalesce, and kick never blocks
	out        chan struct{} // capacity 1: signals coalesce, and a slow reader never blocks us
	log        *slog.Logger
	observer   Observer // may be nil
}

func newDebouncer(quiet, max time.Duration, out chan struct{}, log *slog.Logger) *debouncer {
	return &debouncer{quiet: quiet, max: max, kicks: make(chan struct{}, 1), out: out, log: log}
}

// kick notes that something changed. It never blocks: a kick that is still
// unread already stands for this one.
func (d *debouncer) kick() {
	select {
	case d.kicks <- struct{}{}:
	default:
	}
}

// run debounces until ctx is done. A batch still pending then is dropped:
// nobody is listening any more.
func (d *debouncer) run(ctx context.Context) {
	// Stopped timers with Go 1.23+ semantics: after Stop or Reset no stale
	// tick can be received, so no draining is needed.
	quiet := time.NewTimer(time.Hour)
	quiet.Stop()
	limit := time.NewTimer(time.Hour)
	limit.Stop()
	defer quiet.Stop()
	defer limit.Stop()

	pending := false
	var first time.Time // the batch's first kick
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.kicks:
			quiet.Reset(d.quiet)
			if !pending {
				pending, first = true, time.Now()
				limit.Reset(d.max)
			}
		case <-quiet.C:
			limit.Stop()
			pending = false
			d.emit(first)
		case <-limit.C:
			quiet.Stop()
			pending = false
			d.emit(first)
		}
	}
}

// emit signals without blocking: a signal still unread covers this batch too,
// since the reader re-reads everything anyway. The wait is observed for the
// metrics (make bench splits reaction time with it) and logged at debug.
func (d *debouncer) emit(first time.Time) {
	if d.observer != nil {
		d.observer.Signalled(time.Since(first))
	}
	if d.log != nil {
		d.log.Debug("changes signalled", "first_change", first.Format(time.RFC3339Nano), "waited_ms", msSince(first))
	}
	select {
	case d.out <- struct{}{}:
	default:
	}
}

// msSince is the time since t in milliseconds, for log attributes.
func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }
