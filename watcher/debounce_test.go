package watcher

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// In these tests time is virtual (testing/synctest): time.Sleep advances the
// bubble's clock once every goroutine in it is blocked, so the assertions
// are exact and take no real time.

const (
	testSettle = 10 * time.Millisecond
	testQuiet  = 50 * time.Millisecond
	testMax    = 500 * time.Millisecond
)

// runDebouncer starts a debouncer in the bubble and a reader that records
// the virtual time of every signal. signals returns the record so far; stop
// ends both goroutines and returns the whole record.
// observer, when not nil, is the debouncer's.
func runDebouncer(t *testing.T, observer Observer) (d *debouncer, signals, stop func() []time.Duration) {
	t.Helper()
	out := make(chan struct{}, 1)
	d = newDebouncer(testSettle, testQuiet, testMax, out, nil)
	d.observer = observer
	ctx, cancel := context.WithCancel(context.Background())
	begin := time.Now()
	var (
		mu  sync.Mutex
		got []time.Duration
	)
	done := make(chan struct{}, 2)
	go func() { d.run(ctx); done <- struct{}{} }()
	go func() {
		defer func() { done <- struct{}{} }()
		for {
			select {
			case <-ctx.Done():
				return
			case <-out:
				mu.Lock()
				got = append(got, time.Since(begin))
				mu.Unlock()
			}
		}
	}()
	signals = func() []time.Duration {
		synctest.Wait() // let the reader take what is there
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
	return d, signals, func() []time.Duration {
		got := signals()
		cancel()
		<-done
		<-done
		return got
	}
}

func TestDebounceQuietPeriod(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, signals, stop := runDebouncer(t, nil)
		d.kick(kickChanging)
		time.Sleep(testQuiet - time.Millisecond)
		if got := signals(); len(got) != 0 {
			t.Fatalf("signal at %v, before the quiet period ended", got)
		}
		time.Sleep(2 * time.Millisecond)
		got := stop()
		if len(got) != 1 || got[0] != testQuiet {
			t.Fatalf("signals at %v, want one at %v", got, testQuiet)
		}
	})
}

func TestDebounceTrailingEdge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, _, stop := runDebouncer(t, nil)
		// Kicks 30ms apart, each inside the previous quiet period: one
		// signal, a quiet period after the last kick.
		for i := range 5 {
			if i > 0 {
				time.Sleep(30 * time.Millisecond)
			}
			d.kick(kickChanging)
		}
		time.Sleep(time.Second)
		got := stop()
		want := 4*30*time.Millisecond + testQuiet
		if len(got) != 1 || got[0] != want {
			t.Fatalf("signals at %v, want one at %v", got, want)
		}
	})
}

func TestDebounceMaxDelayUnderContinuousStream(t *testing.T) {
	// Writes, or renames (a long stream of them): either way the cap holds.
	// Only the last batch differs: after the last kick, at 1995ms, writes
	// wait for quiet, past the cap (2012ms), renames only settle (2005ms).
	ms := time.Millisecond
	for _, tc := range []struct {
		name string
		kind kickKind
		last time.Duration
	}{
		{"writes", kickChanging, 2012 * ms},
		{"renames", kickComplete, 1995*ms + testSettle},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d, _, stop := runDebouncer(t, nil)
				// A kick every 7ms for 2s never leaves a quiet period,
				// nor a settle period: MaxDelay alone releases signals.
				// (7ms keeps kicks off the timers' instants.) Each batch
				// starts with the first kick after the previous signal: at
				// 0, 504, 1008 and 1512ms, so signals come at 500, 1004,
				// 1508ms and, for writes, 2012ms; the last kick, at 1995ms,
				// is covered by the last.
				const period = 7 * time.Millisecond
				for elapsed := time.Duration(0); elapsed < 2*time.Second; elapsed += period {
					d.kick(tc.kind)
					time.Sleep(period)
				}
				time.Sleep(time.Second)
				got := stop()
				want := []time.Duration{500 * ms, 1004 * ms, 1508 * ms, tc.last}
				if !slices.Equal(got, want) {
					t.Fatalf("signals at %v, want %v", got, want)
				}
			})
		})
	}
}

func TestDebounceCoalescesForSlowReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out := make(chan struct{}, 1)
		d := newDebouncer(testSettle, testQuiet, testMax, out, nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { d.run(ctx); close(done) }()

		// Three batches, nobody reading: the debouncer must not block, and
		// the reader finds one signal standing for all of them.
		for range 3 {
			d.kick(kickChanging)
			d.kick(kickChanging) // kicks coalesce too
			time.Sleep(time.Second)
		}
		synctest.Wait()
		if len(out) != 1 {
			t.Fatalf("%d signals buffered, want 1", len(out))
		}
		<-out
		// Still alive after the reader caught up.
		d.kick(kickChanging)
		time.Sleep(testQuiet + time.Millisecond)
		synctest.Wait()
		if len(out) != 1 {
			t.Fatalf("no signal after the reader caught up")
		}
		cancel()
		<-done // run returns on cancel
	})
}

// The tests of the event loop check kicks, not signals (see probe in
// helpers_test.go), on the strength of this: the debouncer signals only a
// batch that a kick started, once per batch.
func TestDebounceSignalsOnlyAfterKicks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, _, stop := runDebouncer(t, nil)
		time.Sleep(time.Hour) // no kick: no signal
		d.kick(kickChanging)
		time.Sleep(time.Hour) // one kick: one signal, and no more
		got := stop()
		want := []time.Duration{time.Hour + testQuiet}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("signals (-want +got):\n%s", diff)
		}
	})
}
