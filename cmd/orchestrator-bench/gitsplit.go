package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// editTimes are the moments of one pushed edit, each seen by the bench
// itself: the push began and ended, the webhook was answered (the push's
// end when there is none), serve swapped its state link to the new
// revision, and the engine's first event about the change.
type editTimes struct {
	start, pushed, announced, swapped, event time.Time
}

// editSplit is an edit's total cut where the bench sees it: the push, the
// webhook's answer, the sync (announced → swapped: serve's fetch and
// checkout, and with polling the wait for the next fetch), and the rest
// (the watcher's debounce, the pass, the engine's first action).
type editSplit struct {
	total, push, hook, sync, rest time.Duration
}

func (e editTimes) split() editSplit {
	return editSplit{
		total: e.event.Sub(e.start),
		push:  e.pushed.Sub(e.start),
		hook:  e.announced.Sub(e.pushed),
		sync:  e.swapped.Sub(e.announced),
		rest:  e.event.Sub(e.swapped),
	}
}

// splitNote is the parts' p50s for a row's note. The p50s of the parts
// need not add up to the total's.
func splitNote(ss []editSplit, webhook bool) string {
	part := func(f func(editSplit) time.Duration) float64 {
		ds := make([]time.Duration, len(ss))
		for i, s := range ss {
			ds[i] = f(s)
		}
		return percentile(durationsMs(ds), 50)
	}
	push := part(func(s editSplit) time.Duration { return s.push })
	sync := part(func(s editSplit) time.Duration { return s.sync })
	rest := part(func(s editSplit) time.Duration { return s.rest })
	if !webhook {
		return fmt.Sprintf("p50 of the parts: the push %.1f ms, its end → state link swapped (the wait for the next fetch, the fetch, the checkout) %.1f ms, swapped → engine event (debounce, pass, engine) %.1f ms", push, sync, rest)
	}
	hook := part(func(s editSplit) time.Duration { return s.hook })
	return fmt.Sprintf("p50 of the parts: the push %.1f ms, the webhook's answer %.1f ms, answered → state link swapped (fetch, checkout) %.1f ms, swapped → engine event (debounce, pass, engine) %.1f ms", push, hook, sync, rest)
}

// swapWatch sees serve --git put a revision in place from outside: the
// state link of its checkout is replaced by a rename onto it, which
// inotify reports in the checkout directory.
type swapWatch struct {
	fsw   *fsnotify.Watcher
	swaps chan time.Time
}

// watchSwaps watches checkout for renames onto its state link; close ends
// it.
func watchSwaps(checkout string) (*swapWatch, error) {
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch %s: %w", checkout, err)
	}
	if err := fsw.Add(checkout); err != nil {
		fsw.Close()
		return nil, fmt.Errorf("watch %s: %w", checkout, err)
	}
	s := &swapWatch{fsw: fsw, swaps: make(chan time.Time, 64)}
	go func() {
		defer close(s.swaps)
		for ev := range fsw.Events {
			if filepath.Base(ev.Name) == "state" && ev.Has(fsnotify.Create) {
				select {
				case s.swaps <- time.Now():
				default: // nobody waits for this many: drop
				}
			}
		}
	}()
	go func() {
		for range fsw.Errors { // an overflow only loses a part's time; the wait says so
		}
	}()
	return s, nil
}

// next returns the first swap at or after since, waiting at most within.
func (s *swapWatch) next(ctx context.Context, since time.Time, within time.Duration) (time.Time, error) {
	deadline := time.After(within)
	for {
		select {
		case t, ok := <-s.swaps:
			if !ok {
				return time.Time{}, fmt.Errorf("state link watch closed")
			}
			if !t.Before(since) {
				return t, nil
			}
		case <-deadline:
			return time.Time{}, fmt.Errorf("state link not swapped within %s", within)
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		}
	}
}

func (s *swapWatch) close() { s.fsw.Close() }
