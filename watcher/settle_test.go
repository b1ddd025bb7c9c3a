package watcher

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// The debouncer's two waits, in virtual time (see debounce_test.go): a
// change that is complete by itself (a rename into place) is signalled
// after settle, one that may still be going on (a write) after quiet, and
// the latest kick decides.

func TestDebounceRenameSettles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out := make(chan struct{}, 1)
		d := newDebouncer(testSettle, testQuiet, testMax, out, nil)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { d.run(ctx); close(done) }()
		defer func() { cancel(); <-done }()

		begin := time.Now()
		d.kick(kickComplete)
		<-out
		if waited := time.Since(begin); waited != testSettle {
			t.Fatalf("signal %v after the rename, want %v", waited, testSettle)
		}
		time.Sleep(time.Hour)
		synctest.Wait()
		if len(out) != 0 {
			t.Fatal("a second signal for one rename")
		}
	})
}

func TestDebounceWriteWaitsForQuiet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, signals, stop := runDebouncer(t, nil)
		d.kick(kickChanging)
		time.Sleep(testSettle + time.Millisecond)
		if got := signals(); len(got) != 0 {
			t.Fatalf("signal at %v after a write: settle applied, want quiet", got)
		}
		time.Sleep(time.Second)
		got := stop()
		if len(got) != 1 || got[0] != testQuiet {
			t.Fatalf("signals at %v, want one at %v", got, testQuiet)
		}
	})
}

func TestDebounceWriteThenRenameSettles(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, _, stop := runDebouncer(t, nil)
		// A temp file written, then renamed into place: the rename ends
		// the change, whatever the write asked for.
		d.kick(kickChanging)
		time.Sleep(5 * time.Millisecond)
		d.kick(kickComplete)
		time.Sleep(time.Second)
		got := stop()
		want := 5*time.Millisecond + testSettle
		if len(got) != 1 || got[0] != want {
			t.Fatalf("signals at %v, want one at %v", got, want)
		}
	})
}

func TestDebounceRenameThenWriteWaitsForQuiet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d, _, stop := runDebouncer(t, nil)
		// A file renamed into place, then written again: the write may
		// still be going on.
		d.kick(kickComplete)
		time.Sleep(5 * time.Millisecond)
		d.kick(kickChanging)
		time.Sleep(time.Second)
		got := stop()
		want := 5*time.Millisecond + testQuiet
		if len(got) != 1 || got[0] != want {
			t.Fatalf("signals at %v, want one at %v", got, want)
		}
	})
}

// A burst of renames closer together than settle (git-sync, a script
// renaming many files into place) is read once, at its end.
func TestDebounceBurstOfRenamesIsOneSignal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		obs := &recordingObserver{}
		d, _, stop := runDebouncer(t, obs)
		begin := time.Now()
		for i := range 200 {
			if i > 0 {
				time.Sleep(time.Millisecond)
			}
			d.kick(kickComplete)
		}
		lastKick := time.Since(begin)
		time.Sleep(time.Second)
		got := stop()
		want := lastKick + testSettle // 209ms
		if len(got) != 1 || got[0] != want {
			t.Fatalf("signals at %v, want one at %v", got, want)
		}
		if got[0] > testMax {
			t.Fatalf("signal at %v, after the cap of %v", got[0], testMax)
		}
		// The observer (the debounce histogram) hears the batch's wait
		// since its first change.
		if waits := obs.waits(); !slices.Equal(waits, []time.Duration{want}) {
			t.Fatalf("observed waits %v, want [%v]", waits, want)
		}
	})
}

func TestDebounceObserverSeesSettleAndQuiet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		obs := &recordingObserver{}
		d, _, stop := runDebouncer(t, obs)
		d.kick(kickComplete)
		time.Sleep(time.Second)
		d.kick(kickChanging)
		time.Sleep(time.Second)
		stop()
		if got, want := obs.waits(), []time.Duration{testSettle, testQuiet}; !slices.Equal(got, want) {
			t.Fatalf("observed waits %v, want %v", got, want)
		}
	})
}

// recordingObserver records what the debouncer reports.
type recordingObserver struct {
	mu  sync.Mutex
	got []time.Duration
}

func (o *recordingObserver) Signalled(waited time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, waited)
}

func (o *recordingObserver) waits() []time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.got)
}
