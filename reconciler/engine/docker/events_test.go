package docker_test

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/reconciler/engine"
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
