// Package discoverytest is a real HTTP endpoint for tests of the discovery
// webhook: it records every delivery, and every request that is not one.
package discoverytest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/reconciler/discovery"
)

// Receiver records the webhook POSTs it is sent.
type Receiver struct {
	// URL is where to send: a spec's DISCOVERY_CALLBACK.
	URL string

	mu  sync.Mutex
	got []discovery.Body
	bad []string
}

// New starts a receiver, closed when the test ends.
func New(t testing.TB) *Receiver {
	rc := &Receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var b discovery.Body
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(body, &b) != nil {
			rc.bad = append(rc.bad, r.Method+" "+string(body))
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		rc.got = append(rc.got, b)
	}))
	t.Cleanup(srv.Close)
	rc.URL = srv.URL
	return rc
}

// Bodies are the deliveries so far, in the order they came.
func (rc *Receiver) Bodies() []discovery.Body {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]discovery.Body(nil), rc.got...)
}

// Take returns the deliveries so far and forgets them.
func (rc *Receiver) Take() []discovery.Body {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	got := rc.got
	rc.got = nil
	return got
}

// Wait returns the deliveries so far once there are at least n, polling
// for up to 10 s; it fails the test (from the test's goroutine) past that.
func (rc *Receiver) Wait(t testing.TB, n int) []discovery.Body {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if got := rc.Bodies(); len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d webhook deliveries within 10s, want %d: %v", len(rc.Bodies()), n, rc.Bodies())
		}
		time.Sleep(10 * time.Millisecond) // polling a deadline, not synchronising
	}
}

// Bad are the requests that were not a webhook POST of a JSON body.
func (rc *Receiver) Bad() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.bad...)
}
