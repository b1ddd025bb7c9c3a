package discovery_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/reconciler/discovery"
)

// A delivery posts the body as JSON; one that fails is logged, never
// returned; Wait returns when every delivery has ended.
func TestNotifier(t *testing.T) {
	var mu sync.Mutex
	var got []discovery.Body
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b discovery.Body
		if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&b) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, b)
		mu.Unlock()
	}))
	defer ok.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer failing.Close()

	var logs bytes.Buffer
	n := discovery.NewNotifier(slog.New(slog.NewTextHandler(&logs, nil)))
	body := discovery.Body{Image: "web:v1", ContainerID: "abc", Name: "web-v1-1", Host: "h",
		Ports: map[string][]discovery.PortBinding{"8080/tcp": {{HostIP: "0.0.0.0", HostPort: "32768"}}}, Status: "running", Event: "create"}
	ctx, cancel := context.WithCancel(context.Background())
	n.Send(ctx, ok.URL, body)
	n.Send(ctx, failing.URL, body)
	cancel() // a delivery outlives the context that asked for it
	n.Wait()
	if diff := cmp.Diff([]discovery.Body{body}, got); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}
	if !strings.Contains(logs.String(), "webhook failed") || !strings.Contains(logs.String(), "503") {
		t.Errorf("the failed delivery is not logged:\n%s", logs.String())
	}
}

// Deliveries reach one URL in the order they were sent: a
// receiver never sees a stop after the start that followed it.
func TestNotifierKeepsTheOrderPerURL(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b discovery.Body
		if json.NewDecoder(r.Body).Decode(&b) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, b.Event)
		mu.Unlock()
	}))
	defer srv.Close()

	n := discovery.NewNotifier(slog.New(slog.DiscardHandler))
	var want []string
	for i := range 100 {
		event := []string{"create", "start", "stop"}[i%3] + "-" + strconv.Itoa(i)
		want = append(want, event)
		n.Send(context.Background(), srv.URL, discovery.Body{Image: "web:v1", Event: event})
	}
	n.Wait()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("delivery order (-sent +received):\n%s", diff)
	}
}
