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

// Bad are the requests that were not a webhook POST of a JSON body.
func (rc *Receiver) Bad() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.bad...)
}
