package engine_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/orchestrator/orchestrator/reconciler/engine"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// states reads the Observed's containers as "name state", failing the test
// on an error.
func states(t *testing.T, o *engine.Observed) []string {
	t.Helper()
	cs, err := o.Current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		out = append(out, c.Name+" "+c.State)
	}
	return out
}

// managed is a config of a managed container of app:v1.
func managed(name string) engine.Config {
	return engine.Config{Name: name, Image: "app:v1", Labels: map[string]string{
		engine.LabelManagedBy: engine.ManagedBy, engine.LabelImage: "app:v1",
	}}
}

func TestObservedListsOnlyAfterAChange(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fake := rt.NewFake("app:v1")
	o := engine.NewObserved(fake)
	evs := o.Events(ctx)
	id, err := o.Create(ctx, managed("app-1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Start(ctx, id); err != nil {
		t.Fatal(err)
	}

	// Its own actions make the list stale: the read sees them at once.
	if diff := cmp.Diff([]string{"app-1 running"}, states(t, o)); diff != "" {
		t.Errorf("after create+start (-want +got):\n%s", diff)
	}
	// The events of those actions arrive later and make it stale again.
	for range 2 {
		<-evs
	}
	states(t, o)
	lists := fake.Calls("list")
	for range 5 {
		states(t, o)
	}
	if got := fake.Calls("list") - lists; got != 0 {
		t.Errorf("5 reads with nothing changed listed the engine %d times, want 0", got)
	}

	// A change by hand reaches it through its event.
	if err := fake.StopByHand(id); err != nil {
		t.Fatal(err)
	}
	if ev := <-evs; ev.Action != "die" {
		t.Fatalf("event %q, want die", ev.Action)
	}
	if diff := cmp.Diff([]string{"app-1 exited"}, states(t, o)); diff != "" {
		t.Errorf("after docker stop (-want +got):\n%s", diff)
	}
	if got := fake.Calls("list") - lists; got != 1 {
		t.Errorf("the read after an event listed %d times, want 1", got)
	}
}

func TestObservedWithoutEventsAlwaysLists(t *testing.T) {
	fake := rt.NewFake("app:v1")
	o := engine.NewObserved(fake)
	for range 3 {
		states(t, o)
	}
	if got := fake.Calls("list"); got != 3 {
		t.Errorf("3 reads without an event stream listed %d times, want 3", got)
	}

	// Once the stream is gone, the remembered list is not trusted.
	ctx, cancel := context.WithCancel(context.Background())
	evs := o.Events(ctx)
	states(t, o)
	cancel()
	for range evs { // closed when the stream has ended
	}
	before := fake.Calls("list")
	states(t, o)
	if got := fake.Calls("list") - before; got != 1 {
		t.Errorf("a read after the stream ended listed %d times, want 1", got)
	}
}

func TestObservedReadersShareOneList(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fake := rt.NewFake("app:v1")
	o := engine.NewObserved(fake)
	o.Events(ctx)
	if _, err := o.Create(ctx, managed("app-1")); err != nil { // stale from here
		t.Fatal(err)
	}
	// Hold the refresh of the first reader in the engine long enough for
	// the others to queue behind it: they take its list.
	fake.SetListDelay(50 * time.Millisecond)
	before := fake.Calls("list")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			if _, err := o.Current(ctx); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// The create's event may land during the first list: then one more.
	if got := fake.Calls("list") - before; got < 1 || got > 2 {
		t.Errorf("8 concurrent readers of a stale list listed %d times, want 1 (2 if the event came late)", got)
	}
}

func TestObservedQueuedReaderKeepsItsDeadline(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fake := rt.NewFake("app:v1")
	o := engine.NewObserved(fake)
	o.Events(ctx)
	fake.SetListDelay(time.Hour) // a list that hangs until its caller gives up
	slowCtx, stopSlow := context.WithCancel(ctx)
	slowDone := make(chan struct{})
	go func() {
		defer close(slowDone)
		o.Current(slowCtx)
	}()
	// Whichever reader gets to the engine first, the one with a deadline
	// returns at its deadline, while the other still waits.
	quick, cancelQuick := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancelQuick()
	if _, err := o.Current(quick); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Current behind a hanging list = %v, want DeadlineExceeded", err)
	}
	select {
	case <-slowDone:
		t.Errorf("the reader without a deadline returned before it was cancelled")
	default:
	}
	stopSlow()
	<-slowDone
}

func TestObservedTrustsNothingWhileItsReaderLags(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fake := rt.NewFake("app:v1")
	o := engine.NewObserved(fake)
	o.Events(ctx) // nobody reads: the stream backs up
	for i := range 70 {
		if _, err := fake.Create(ctx, managed(fmt.Sprintf("app-%d", i+1))); err != nil {
			t.Fatal(err)
		}
	}
	// Once its buffer is full, later events are unseen: every read lists.
	rt.Eventually(t, 5*time.Second, "two reads in a row both list", func() (bool, string) {
		before := fake.Calls("list")
		states(t, o)
		states(t, o)
		got := fake.Calls("list") - before
		return got == 2, fmt.Sprintf("%d lists", got)
	})
}
