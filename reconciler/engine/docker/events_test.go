package docker_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/reconciler/engine"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// An engine API whose event stream ends after one event, as it does when
// dockerd restarts: the adapter subscribes again, says so with a
// "reconnect" event, and goes on delivering.
func TestDockerEventsResubscribeAfterTheStreamEnds(t *testing.T) {
	var subscriptions atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/v1.41/events", func(w http.ResponseWriter, r *http.Request) {
		n := subscriptions.Add(1)
		w.Header().Set("Content-Type", "application/json")
		// One event of a managed container, then the stream ends.
		fmt.Fprintf(w, `{"Type":"container","Action":"die","Actor":{"ID":"c%d","Attributes":{"orchestrator.managed-by":"orchestrator","orchestrator.image":"web:v1"}},"time":1,"timeNano":%d}`+"\n",
			n, time.Now().UnixNano())
		w.(http.Flusher).Flush()
	})
	d := stubEngine(t, mux)

	ctx, cancel := context.WithCancel(context.Background())
	evs := d.Events(ctx)
	var got []string
	deadline := time.After(10 * time.Second)
	for len(got) < 4 {
		select {
		case ev := <-evs:
			got = append(got, ev.Action+" "+ev.ContainerID)
		case <-deadline:
			t.Fatalf("events so far: %v; want a die, a reconnect, a die from the second subscription", got)
		}
	}
	cancel()
	for range evs { // the channel closes with its context
	}
	want := []string{"die c1", engine.EventReconnect + " ", "die c2", engine.EventReconnect + " "}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("events = %q, want %q", got, want)
			break
		}
	}
}

// A new subscription starts at the last event seen, so what happened while
// the stream was down is delivered; the engine's replay of that last event
// is not delivered twice.
func TestDockerEventsResumeFromTheLastEventSeen(t *testing.T) {
	base := time.Date(2026, 12, 2, 12, 0, 0, 123456789, time.UTC).UnixNano()
	event := func(id, action string, at int64) string {
		return fmt.Sprintf(`{"Type":"container","Action":"%s","Actor":{"ID":"%s","Attributes":{"orchestrator.managed-by":"orchestrator","orchestrator.image":"web:v1"}},"time":%d,"timeNano":%d}`+"\n",
			action, id, at/1e9, at)
	}
	var mu sync.Mutex
	var since []string
	mux := http.NewServeMux()
	mux.HandleFunc("/v1.41/events", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		since = append(since, r.URL.Query().Get("since"))
		n := len(since)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch n {
		case 1: // two events, then the engine goes away
			fmt.Fprint(w, event("a", "start", base)+event("b", "start", base+1000))
		case 2: // from b's time: b again (the engine's since is inclusive), then what was missed
			fmt.Fprint(w, event("b", "start", base+1000)+event("a", "die", base+2000))
		default: // stay open until the test ends
			w.(http.Flusher).Flush()
			<-r.Context().Done()
			return
		}
		w.(http.Flusher).Flush()
	})
	d := stubEngine(t, mux)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	evs := d.Events(ctx)
	var got []string
	deadline := time.After(10 * time.Second)
	for len(got) < 5 {
		select {
		case ev := <-evs:
			got = append(got, ev.Action+" "+ev.ContainerID)
		case <-deadline:
			t.Fatalf("events so far: %v", got)
		}
	}
	want := []string{"start a", "start b", engine.EventReconnect + " ", "die a", engine.EventReconnect + " "}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	rt.Eventually(t, 10*time.Second, "a third subscription", func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		return len(since) >= 3, fmt.Sprint(since)
	})
	mu.Lock()
	defer mu.Unlock()
	wantSince := []string{"", fmt.Sprintf("%d.%09d", (base+1000)/1e9, (base+1000)%1e9), fmt.Sprintf("%d.%09d", (base+2000)/1e9, (base+2000)%1e9)}
	if diff := cmp.Diff(wantSince, since[:3]); diff != "" {
		t.Errorf("since of each subscription (-want +got):\n%s", diff)
	}
}
