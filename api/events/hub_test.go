package events_test

import (
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/api/events"
)

// ids are the ids of evs.
func ids(evs []events.Event) []uint64 {
	out := []uint64{}
	for _, ev := range evs {
		out = append(out, ev.ID)
	}
	return out
}

// publish publishes n events; it may run in another goroutine (t.Error).
func publish(t *testing.T, h *events.Hub, n int) {
	t.Helper()
	for i := range n {
		if err := h.Publish("test", map[string]int{"i": i}); err != nil {
			t.Error(err)
			return
		}
	}
}

// The ring keeps the last Buffer events; a resume gets those after its id,
// and a reset when events after it are gone or the id is none of this hub.
func TestHubResume(t *testing.T) {
	type want struct {
		Backlog []uint64
		Reset   bool
		Oldest  uint64
	}
	for _, tc := range []struct {
		name      string
		published int // ids 1..published, 4 kept
		last      uint64
		resume    bool
		want      want
	}{
		{"no resume: live only", 3, 0, false, want{[]uint64{}, false, 1}},
		{"resume from the middle", 3, 1, true, want{[]uint64{2, 3}, false, 1}},
		{"resume from the newest", 3, 3, true, want{[]uint64{}, false, 1}},
		{"0: every kept event", 6, 0, true, want{[]uint64{3, 4, 5, 6}, false, 3}},
		{"the last evicted id: nothing lost", 6, 2, true, want{[]uint64{3, 4, 5, 6}, false, 3}},
		{"older than the ring: reset", 6, 1, true, want{[]uint64{3, 4, 5, 6}, true, 3}},
		{"from the future (an earlier run): reset", 6, 99, true, want{[]uint64{3, 4, 5, 6}, true, 3}},
		{"nothing published, an unknown id: reset", 0, 7, true, want{[]uint64{}, true, 0}},
		{"the ring wrapped twice", 11, 8, true, want{[]uint64{9, 10, 11}, false, 8}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := events.New(events.Options{Buffer: 4, FirstID: 1})
			publish(t, h, tc.published)
			s := h.Subscribe(tc.last, tc.resume)
			defer s.Close()
			got := want{ids(s.Backlog), s.Reset, s.Oldest}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("subscription (-want +got):\n%s", diff)
			}
			publish(t, h, 1)
			if ev := <-s.C; ev.ID != uint64(tc.published)+1 || ev.Type != "test" || string(ev.Data) != `{"i":0}` {
				t.Errorf("live event %d %s %s, want %d test {\"i\":0}", ev.ID, ev.Type, ev.Data, tc.published+1)
			}
		})
	}
}

// By default ids begin at the time the hub was made, in microseconds: an
// id of an earlier run is older than any this one kept.
func TestHubIDsIncreaseAcrossRuns(t *testing.T) {
	before := uint64(time.Now().UnixMicro())
	earlier := events.New(events.Options{})
	publish(t, earlier, 3)
	s := earlier.Subscribe(0, true)
	last := s.Backlog[2].ID
	s.Close()
	if last < before {
		t.Fatalf("first ids %v are not the time in microseconds (≥ %d)", ids(s.Backlog), before)
	}
	for uint64(time.Now().UnixMicro()) <= last { // the next run starts later
		time.Sleep(time.Microsecond)
	}
	later := events.New(events.Options{})
	publish(t, later, 1)
	r := later.Subscribe(last, true)
	defer r.Close()
	if !r.Reset || len(r.Backlog) != 1 || r.Backlog[0].ID <= last {
		t.Errorf("resume from an earlier run's %d: reset %v, backlog %v; want a reset and the new run's event", last, r.Reset, ids(r.Backlog))
	}
}

// A subscriber that never reads is dropped once its buffer is full, and the
// publisher never waits for it: N events are published within a deadline,
// and a subscriber that reads keeps getting every one of them in order.
func TestHubDropsSlowSubscriber(t *testing.T) {
	const n = 5000
	h := events.New(events.Options{Buffer: 64, ClientBuffer: 8, FirstID: 1})
	stuck := h.Subscribe(0, false)
	reader := h.Subscribe(0, false)
	got := make(chan []uint64, 1)
	go func() { // ends when reader.C is closed (below), or at n events
		var seen []uint64
		for ev := range reader.C {
			seen = append(seen, ev.ID)
			if len(seen) == n {
				break
			}
		}
		got <- seen
	}()

	published := make(chan struct{})
	go func() { // ends after n publishes: nothing in Publish waits
		defer close(published)
		for i := range n {
			if err := h.Publish("test", i); err != nil {
				t.Error(err)
				return
			}
			if i%clientPace == 0 {
				waitDrained(reader)
			}
		}
	}()
	select {
	case <-published:
	case <-time.After(10 * time.Second):
		t.Fatal("the publisher was blocked by a subscriber that never reads")
	}

	if !stuck.Dropped() {
		t.Error("the stuck subscriber was not dropped")
	}
	for range stuck.C { // closed: ranging ends after what it had
	}
	var seen []uint64
	select {
	case seen = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the reading subscriber did not get its events")
	}
	if reader.Dropped() {
		t.Fatalf("the reading subscriber was dropped after %d events", len(seen))
	}
	for i, id := range seen {
		if id != uint64(i)+1 {
			t.Fatalf("event %d has id %d: out of order or lost", i, id)
		}
	}
	if len(seen) != n {
		t.Errorf("the reader got %d events, want %d", len(seen), n)
	}
	if got := h.Subscribers(); got != 1 {
		t.Errorf("%d subscribers left, want 1 (the reader)", got)
	}
	reader.Close()
	reader.Close() // twice is fine
	if got := h.Subscribers(); got != 0 {
		t.Errorf("%d subscribers after Close, want 0", got)
	}
}

// clientPace is how many events the publisher of TestHubDropsSlowSubscriber
// publishes before it lets the reading subscriber catch up (half its
// buffer): a real client is paced by its network, and this one must not be
// dropped for the scheduler's sake. The stuck one is not waited for.
const clientPace = 4

// waitDrained polls until s has fewer than clientPace events unread, or a
// deadline: whether it is dropped is the hub's business, not this wait's.
func waitDrained(s *events.Subscription) {
	deadline := time.Now().Add(5 * time.Second)
	for len(s.C) >= clientPace && time.Now().Before(deadline) {
		time.Sleep(10 * time.Microsecond)
	}
}

// Concurrent publishers: every subscriber sees the ids in increasing order,
// none twice.
func TestHubConcurrentPublishersKeepOrder(t *testing.T) {
	h := events.New(events.Options{Buffer: 16, ClientBuffer: 4000, FirstID: 1})
	s := h.Subscribe(0, false)
	defer s.Close()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { publish(t, h, 400) })
	}
	wg.Wait()
	var prev uint64
	for range 8 * 400 {
		ev := <-s.C
		if ev.ID <= prev {
			t.Fatalf("id %d after %d", ev.ID, prev)
		}
		prev = ev.ID
	}
	if prev != 3200 {
		t.Errorf("last id %d, want 3200", prev)
	}
}

func TestHubPublishRefusesWhatIsNoJSON(t *testing.T) {
	h := events.New(events.Options{FirstID: 1})
	if err := h.Publish("bad", func() {}); err == nil {
		t.Error("Publish of a func: no error")
	}
	if s := h.Subscribe(0, true); len(s.Backlog) != 0 {
		t.Errorf("a refused event was kept: %v", ids(s.Backlog))
	}
}
