package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Endpoints that are steady by nature and so do not keep serve from being
// "quiet": the event stream is one request open for the whole run, and the
// stats sampler's one-shot stats are its idle cost, not the transient of a
// change (a change's cost leaves them out, and says so).
const (
	epEvents = "GET /events"
	epStats  = "GET /containers/{id}/stats"
	epStart  = "POST /containers/{id}/start"
)

// steady reports whether the endpoint key is one that quiet ignores.
func steady(key string) bool { return key == epEvents || key == epStats }

// Counts is a number of engine calls per endpoint ("GET /containers/json").
type Counts map[string]int

// Total is the number of calls of every endpoint.
func (c Counts) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// Without returns the total of the endpoints that skip does not name.
func (c Counts) Without(skip func(string) bool) int {
	n := 0
	for k, v := range c {
		if !skip(k) {
			n += v
		}
	}
	return n
}

// Sub returns c − earlier per endpoint, leaving out zeros.
func (c Counts) Sub(earlier Counts) Counts {
	out := Counts{}
	for k, v := range c {
		if d := v - earlier[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// Format lists the endpoints by count, most first: "GET /containers/json 3,
// POST /containers/create 1"; per, when positive, divides each count (to
// print a rate).
func (c Counts) Format(per float64) string {
	keys := slices.SortedFunc(maps.Keys(c), func(a, b string) int {
		if c[a] != c[b] {
			return c[b] - c[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		if per > 0 {
			parts = append(parts, fmt.Sprintf("%s %.2f/s", k, float64(c[k])/per))
		} else {
			parts = append(parts, fmt.Sprintf("%s %d", k, c[k]))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// proxy is a counting reverse proxy on a unix socket in front of the
// engine's: serve talks to the engine through it (DOCKER_HOST), so every
// engine call serve makes is counted by endpoint. The bench's own client
// talks to the engine directly and is not counted.
type proxy struct {
	sock string // where it listens
	srv  *http.Server

	mu         sync.Mutex
	counts     Counts
	inflight   int                  // requests not yet answered, steady ones left out
	lastActive time.Time            // last start or end of a request, steady ones left out
	lastStart  time.Time            // last container start: the reconciler rechecks min-ready after it
	lastBegin  map[string]time.Time // per endpoint, when its last call began
}

// engineSocket is the engine's unix socket: DOCKER_HOST when it names one,
// else Docker's default.
func engineSocket() string {
	if p, ok := strings.CutPrefix(os.Getenv("DOCKER_HOST"), "unix://"); ok {
		return p
	}
	return "/var/run/docker.sock"
}

// startProxy listens on sock and forwards every request to the engine's
// socket at engine.
func startProxy(sock, engine string) (*proxy, error) {
	ln, err := net.Listen("unix", sock)
	if err != nil {
		return nil, fmt.Errorf("proxy listen: %w", err)
	}
	p := &proxy{sock: sock, counts: Counts{}, lastBegin: map[string]time.Time{}}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme, r.Out.URL.Host = "http", "docker" // the host is not used: the dialer picks the socket
			r.Out.Host = "docker"
		},
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", engine)
			},
			MaxIdleConnsPerHost: 64, // serve's sampler makes up to 32 calls at once
		},
		// Flush at once: GET /events is a stream that must reach serve
		// event by event.
		FlushInterval: -1,
		// A call serve gave up on (its context ended: a client of its API
		// went away, or it is stopping) is no error of the proxy's; any
		// other is logged.
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() == nil {
				slog.Warn("proxy", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		done := p.begin(r.Method, r.URL.Path)
		defer done()
		rp.ServeHTTP(w, r)
	})}
	go func() {
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "orchestrator-bench: proxy:", err)
		}
	}()
	return p, nil
}

// begin counts a request at its start (a stream counts once, when it
// opens) and returns what to call at its end.
func (p *proxy) begin(method, path string) func() {
	key := method + " " + normalizePath(path)
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts[key]++
	p.lastBegin[key] = now
	if key == epStart {
		p.lastStart = now
	}
	if steady(key) {
		return func() {}
	}
	p.inflight++
	p.lastActive = now
	return func() {
		p.mu.Lock()
		p.inflight--
		p.lastActive = time.Now()
		p.mu.Unlock()
	}
}

// snapshot returns the counts so far.
func (p *proxy) snapshot() Counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.counts)
}

// lastCall is when the last call of the endpoint key began; zero if none.
func (p *proxy) lastCall(key string) time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastBegin[key]
}

// quietFor reports whether no request (steady ones left out) has been in
// flight for window, and no container started for settle: the reconciler
// makes one more pass when a new container has run its min-ready period.
func (p *proxy) quietFor(window, settle time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	return p.inflight == 0 && now.Sub(p.lastActive) >= window && now.Sub(p.lastStart) >= settle
}

// waitQuiet polls until quietFor(window, settle) holds or within has passed;
// it reports whether serve became quiet (a periodic caller, like a sampler
// that lists every 2 s, can keep it from ever being quiet for long).
func (p *proxy) waitQuiet(ctx context.Context, window, settle, within time.Duration) (bool, error) {
	deadline := time.After(within)
	for !p.quietFor(window, settle) {
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-deadline:
			return false, nil
		case <-time.After(20 * time.Millisecond): // poll interval
		}
	}
	return true, nil
}

// close stops the proxy; serve must be stopped first.
func (p *proxy) close() {
	if p == nil {
		return
	}
	_ = p.srv.Close()
	_ = os.Remove(p.sock)
}

// apiVersion is the version prefix of an engine path: /v1.41/containers/json.
var apiVersion = regexp.MustCompile(`^/v[0-9]+(\.[0-9]+)?/`)

// Second segments that name a collection's verb rather than an object:
// /containers/json, /images/create, /networks/prune.
var collectionVerbs = map[string]bool{
	"json": true, "create": true, "prune": true, "load": true, "search": true, "get": true,
}

// Object routes of the images collection: /images/{name}/json and so on.
// An image name may hold slashes (ghcr.io/org/app:1), so the name is
// everything between /images/ and one of these.
var imageVerbs = map[string]bool{"json": true, "history": true, "push": true, "tag": true, "get": true}

// normalizePath turns an engine path into an endpoint: the /v1.xx prefix
// goes, and the segment that names a container, network, volume or exec
// (or an image, slashes and all) becomes {id} or {name}.
func normalizePath(path string) string {
	path = apiVersion.ReplaceAllString(path, "/")
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) < 2 {
		return path
	}
	switch segs[0] {
	case "images":
		if len(segs) == 2 && collectionVerbs[segs[1]] {
			return path
		}
		if last := segs[len(segs)-1]; len(segs) > 2 && imageVerbs[last] {
			return "/images/{name}/" + last
		}
		return "/images/{name}"
	case "containers", "networks", "volumes", "exec", "plugins", "services", "tasks", "nodes", "secrets", "configs":
		if collectionVerbs[segs[1]] {
			return path
		}
		segs[1] = "{id}"
		return "/" + strings.Join(segs, "/")
	}
	return path
}
