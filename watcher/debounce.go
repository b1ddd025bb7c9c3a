package watcher

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// kickKind tells the debouncer how long a change may still be going on.
type kickKind uint32

const (
	// kickChanging is a change that may not be over: a write (the file may
	// still be being written), a removal (often the first step of a save),
	// a new directory, a rescan. The batch waits for quiet.
	kickChanging kickKind = iota
	// kickComplete is a change that is whole by itself: a file or link
	// renamed into place, as editors, git-sync, ConfigMaps and our own API
	// write. Nothing more is to come for it, so the batch waits only for
	// settle, time enough for the rest of a burst of renames to join it.
	kickComplete
)

func (k kickKind) String() string {
	if k == kickComplete {
		return "complete"
	}
	return "changing"
}

// debouncer turns kicks into signals on out: one per batch, sent at the
// trailing edge, so that the reader sees the tree after a burst, not in the
// middle of it. The latest kick sets the wait: quiet after a change that may
// still be going on, settle after a complete one (a write followed by a
// rename into place is therefore signalled settle after the rename, and a
// rename followed by a write quiet after the write). Each kick restarts the
// wait, so a burst of renames closer together than settle is one batch. A
// batch never lasts more than max after its first kick, so that a
// continuous stream of changes cannot starve the reader.
//
// It uses real timers only; tests run it inside a testing/synctest bubble,
// where time is virtual, so no clock has to be injected.
type debouncer struct {
	settle, quiet, max time.Duration
	kicks              chan struct{} // capacity 1: kicks coalesce, and kick never blocks
	latest             atomic.Uint32 // the kickKind of the latest kick
	out                chan struct{} // capacity 1: signals coalesce, and a slow reader never blocks us
	log                *slog.Logger
	observer           Observer     // may be nil
	files              FileObserver // may be nil

	// What changed in the batch, for files; guarded by mu.
	mu     sync.Mutex
	paths  map[string]bool
	others bool
}

func newDebouncer(settle, quiet, max time.Duration, out chan struct{}, log *slog.Logger) *debouncer {
	return &debouncer{settle: settle, quiet: quiet, max: max, kicks: make(chan struct{}, 1), out: out, log: log}
}

// kick notes that something changed. It never blocks: a kick that is still
// unread already stands for this one. Its kind is stored before the send, so
// that whichever kick the debouncer receives, it reads the kind of that kick
// or of a later one: the last kick always decides.
func (d *debouncer) kick(kind kickKind) { d.kickPaths(kind, nil) }

// kickPaths is kick with the paths that changed (relative to the root,
// slash-separated); none means that they are not known.
func (d *debouncer) kickPaths(kind kickKind, paths []string) {
	if d.files != nil {
		d.mu.Lock()
		if d.paths == nil {
			d.paths = map[string]bool{}
		}
		d.others = d.others || len(paths) == 0
		for _, p := range paths {
			if len(d.paths) >= MaxPaths && !d.paths[p] {
				d.others = true
				break
			}
			d.paths[p] = true
		}
		d.mu.Unlock()
	}
	d.latest.Store(uint32(kind))
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
	wait := time.NewTimer(time.Hour)
	wait.Stop()
	limit := time.NewTimer(time.Hour)
	limit.Stop()
	defer wait.Stop()
	defer limit.Stop()

	pending := false
	var first time.Time // the batch's first kick
	window := "quiet"   // the wait the latest kick set, for the log
	for {
		select {
		case <-ctx.Done():
			return
		case <-d.kicks:
			if kickKind(d.latest.Load()) == kickComplete {
				window = "settle"
				wait.Reset(d.settle)
			} else {
				window = "quiet"
				wait.Reset(d.quiet)
			}
			if !pending {
				pending, first = true, time.Now()
				limit.Reset(d.max)
			}
		case <-wait.C:
			limit.Stop()
			pending = false
			d.emit(first, window)
		case <-limit.C:
			wait.Stop()
			pending = false
			d.emit(first, "max")
		}
	}
}

// emit signals without blocking: a signal still unread covers this batch too,
// since the reader re-reads everything anyway. The wait is observed for the
// metrics (make bench splits reaction time with it) and logged at debug,
// with what ended the batch: "settle" or "quiet" (the wait after its last
// kick), or "max".
func (d *debouncer) emit(first time.Time, endedBy string) {
	if d.observer != nil {
		d.observer.Signalled(time.Since(first))
	}
	if d.files != nil {
		d.mu.Lock()
		paths, others := slices.Sorted(maps.Keys(d.paths)), d.others
		d.paths, d.others = nil, false
		d.mu.Unlock()
		d.files.FilesChanged(paths, others)
	}
	if d.log != nil {
		d.log.Debug("changes signalled", "first_change", first.Format(time.RFC3339Nano), "waited_ms", msSince(first), "ended_by", endedBy)
	}
	select {
	case d.out <- struct{}{}:
	default:
	}
}

// msSince is the time since t in milliseconds, for log attributes.
func msSince(t time.Time) float64 { return float64(time.Since(t).Microseconds()) / 1000 }
