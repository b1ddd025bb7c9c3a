package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// getChain GETs url+"/chain" and decodes the answer.
func getChain(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	code, body := do(t, "GET", url+"/chain", "")
	var got map[string]any
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("GET %s/chain = %d %q: not JSON: %v", url, code, body, err)
	}
	return code, got
}

// TestChain runs the three tiers in process: web calls api, api calls kv.
func TestChain(t *testing.T) {
	host, _ := os.Hostname()
	_, kv := newTestServer(t, config{name: "kv"})
	_, api := newTestServer(t, config{name: "api", upstream: kv.URL})
	_, web := newTestServer(t, config{name: "web", upstream: api.URL})
	_, anon := newTestServer(t, config{upstream: kv.URL})

	for _, tc := range []struct {
		desc, url string
		want      map[string]any
	}{
		{"no upstream: no upstream key", kv.URL, map[string]any{"hostname": host, "name": "kv"}},
		{"one hop", api.URL, map[string]any{"hostname": host, "name": "api",
			"upstream": map[string]any{"hostname": host, "name": "kv"}}},
		{"two hops", web.URL, map[string]any{"hostname": host, "name": "web",
			"upstream": map[string]any{"hostname": host, "name": "api",
				"upstream": map[string]any{"hostname": host, "name": "kv"}}}},
		{"no NAME: empty name", anon.URL, map[string]any{"hostname": host, "name": "",
			"upstream": map[string]any{"hostname": host, "name": "kv"}}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			code, got := getChain(t, tc.url)
			if code != http.StatusOK {
				t.Errorf("GET /chain = %d, want 200", code)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("GET /chain (-want +got):\n%s", diff)
			}
		})
	}
}

func TestChainUpstreamFails(t *testing.T) {
	host, _ := os.Hostname()
	serve := func(h http.HandlerFunc) func(t *testing.T) string {
		return func(t *testing.T) string {
			srv := httptest.NewServer(h)
			t.Cleanup(srv.Close)
			return srv.URL
		}
	}
	dead := func(t *testing.T) string {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close() // nothing listens there any more
		return srv.URL
	}
	for _, tc := range []struct {
		desc     string
		upstream func(t *testing.T) string
		want     string // in the error
	}{
		{"nothing listens", dead, "connection refused"},
		{"upstream answers 500", serve(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "boom", 500)
		}), "answered 500 Internal Server Error: boom"},
		{"upstream is not a demo", serve(func(w http.ResponseWriter, _ *http.Request) {
			w.Write([]byte("<html>hi</html>"))
		}), "answer is not JSON: <html>hi</html>"},
		{"upstream answer too large", serve(func(w http.ResponseWriter, _ *http.Request) {
			w.Write([]byte(`"` + strings.Repeat("x", maxUpstreamAnswer) + `"`))
		}), "answer larger than 1048576 bytes"},
		// The deepest failure surfaces, named by the tier that saw it.
		{"upstream's upstream is dead", func(t *testing.T) string {
			_, api := newTestServer(t, config{name: "api", upstream: dead(t)})
			return api.URL
		}, "answered 502 Bad Gateway: api: upstream: Get"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			_, web := newTestServer(t, config{name: "web", upstream: tc.upstream(t)})
			code, got := getChain(t, web.URL)
			if code != http.StatusBadGateway {
				t.Errorf("GET /chain = %d, want 502", code)
			}
			errText, _ := got["error"].(string)
			if !strings.Contains(errText, tc.want) {
				t.Errorf("error = %q, want it to contain %q", errText, tc.want)
			}
			if got["hostname"] != host || got["name"] != "web" {
				t.Errorf("GET /chain = %v, want hostname %q and name web", got, host)
			}
			if _, ok := got["upstream"]; ok {
				t.Errorf("a failed /chain has an upstream key: %v", got)
			}
		})
	}
}

func TestChainTimeout(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // until the caller gives up
	}))
	t.Cleanup(slow.Close)
	s, web := newTestServer(t, config{upstream: slow.URL})
	s.client = directClient(50 * time.Millisecond) // the real 3 s, shortened
	code, got := getChain(t, web.URL)
	if errText, _ := got["error"].(string); code != http.StatusBadGateway || !strings.Contains(errText, "Client.Timeout exceeded") {
		t.Errorf("GET /chain = %d %v, want 502 with a client timeout", code, got)
	}
}

// TestChainLoop points a tier at itself: the hop limit ends the chain.
func TestChainLoop(t *testing.T) {
	s, loop := newTestServer(t, config{name: "loop"})
	s.upstream = loop.URL
	code, got := getChain(t, loop.URL)
	errText, _ := got["error"].(string)
	if code != http.StatusBadGateway || !strings.Contains(errText, "chain longer than 8 hops: does UPSTREAM loop back?") {
		t.Errorf("GET /chain = %d %v, want 502 naming the loop", code, got)
	}
	if n := strings.Count(errText, "loop: "); n != maxChainHops {
		t.Errorf("error names %d tiers, want %d: %s", n, maxChainHops, errText)
	}
}

// TestChainCancel checks that a caller who gives up cancels the upstream
// call too, rather than leaving it to the timeout.
func TestChainCancel(t *testing.T) {
	arrived, cancelled := make(chan struct{}), make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
		close(cancelled)
	}))
	t.Cleanup(slow.Close)
	_, web := newTestServer(t, config{upstream: slow.URL})

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", web.URL+"/chain", nil)
	errc := make(chan error, 1)
	go func() {
		_, err := http.DefaultClient.Do(req)
		errc <- err
	}()
	<-arrived
	cancel()
	select {
	case <-cancelled:
	case <-time.After(upstreamTimeout / 2): // a bound on failure, not a wait for success
		t.Fatal("the upstream call outlived its caller")
	}
	if err := <-errc; err == nil {
		t.Error("the cancelled request succeeded")
	}
}
