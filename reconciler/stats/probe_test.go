package stats_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/orchestrator/orchestrator/reconciler/engine"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
	"github.com/orchestrator/orchestrator/reconciler/stats"
	"github.com/orchestrator/orchestrator/spec"
)

// hostPort is the port a listener or test server listens on, as a string.
func hostPort(t *testing.T, addr net.Addr) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// httpPort serves code on /healthz (404 elsewhere) and returns its port.
func httpPort(t *testing.T, code int) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/healthz" {
			http.NotFound(w, req)
			return
		}
		if code >= 300 && code < 400 {
			w.Header().Set("Location", "/elsewhere")
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	return hostPort(t, srv.Listener.Addr())
}

// hangingPort accepts HTTP requests and never answers them.
func hangingPort(t *testing.T) string {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		select {
		case <-req.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return hostPort(t, srv.Listener.Addr())
}

// tcpPort accepts connections; hangUp closes each at once, as Docker's
// userland proxy does when nothing listens inside the container.
func tcpPort(t *testing.T, hangUp bool) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if hangUp {
				c.Close()
			} else {
				held = append(held, c)
			}
		}
	}()
	return hostPort(t, ln.Addr())
}

// closedPort is a port nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := hostPort(t, ln.Addr())
	ln.Close()
	return port
}

func published(port string) []engine.PortBinding {
	return []engine.PortBinding{{HostIP: "0.0.0.0", HostPort: port}, {HostIP: "::", HostPort: port}}
}

func TestProbe(t *testing.T) {
	httpSpec := func(port string) *spec.Spec {
		sp := spec.New("app:v1")
		sp.Ports = map[string]int{"8080/tcp": 0, "9090": 0}
		sp.Health = &spec.Health{HTTPPath: "/healthz", Port: port}
		return &sp
	}
	tcpSpec := &spec.Spec{Ports: map[string]int{"9090/tcp": 0, "8080": 0, "53/udp": 0}} // first TCP port: 8080/tcp
	yes, no := true, false
	for _, tc := range []struct {
		name string
		sp   *spec.Spec
		ctr  engine.Container
		want *bool
	}{
		{name: "http 200", sp: httpSpec("8080/tcp"), ctr: running(map[string]string{"8080/tcp": httpPort(t, 200)}), want: &yes},
		{name: "http 302 is an answer", sp: httpSpec("8080"), ctr: running(map[string]string{"8080/tcp": httpPort(t, 302)}), want: &yes},
		{name: "http 500", sp: httpSpec(""), ctr: running(map[string]string{"8080/tcp": httpPort(t, 500)}), want: &no},
		{name: "http on health.port", sp: httpSpec("9090/tcp"),
			ctr: running(map[string]string{"8080/tcp": closedPort(t), "9090/tcp": httpPort(t, 204)}), want: &yes},
		{name: "http connection refused", sp: httpSpec(""), ctr: running(map[string]string{"8080/tcp": closedPort(t)}), want: &no},
		{name: "http timeout", sp: httpSpec(""), ctr: running(map[string]string{"8080/tcp": hangingPort(t)}), want: &no},
		{name: "http through a proxy that hangs up", sp: httpSpec(""), ctr: running(map[string]string{"8080/tcp": tcpPort(t, true)}), want: &no},
		{name: "tcp connect", sp: tcpSpec, ctr: running(map[string]string{"8080/tcp": tcpPort(t, false), "9090/tcp": closedPort(t)}), want: &yes},
		{name: "tcp refused", sp: tcpSpec, ctr: running(map[string]string{"8080/tcp": closedPort(t), "9090/tcp": tcpPort(t, false)}), want: &no},
		{name: "tcp to a proxy that hangs up", sp: tcpSpec, ctr: running(map[string]string{"8080/tcp": tcpPort(t, true)}), want: &no},
		{name: "no spec: the container's first published tcp port", ctr: running(map[string]string{"8080/tcp": tcpPort(t, false), "9090/tcp": closedPort(t)}), want: &yes},
		{name: "HEALTHCHECK healthy wins", sp: httpSpec(""), ctr: withHealth(running(map[string]string{"8080/tcp": closedPort(t)}), "healthy"), want: &yes},
		{name: "HEALTHCHECK unhealthy wins", sp: httpSpec(""), ctr: withHealth(running(map[string]string{"8080/tcp": httpPort(t, 200)}), "unhealthy"), want: &no},
		{name: "HEALTHCHECK starting: probed", sp: httpSpec(""), ctr: withHealth(running(map[string]string{"8080/tcp": httpPort(t, 200)}), "starting"), want: &yes},
		{name: "port not published", sp: httpSpec(""), ctr: running(map[string]string{"8080/tcp": ""})},
		{name: "no ports at all", sp: &spec.Spec{}, ctr: running(nil)},
		{name: "udp only", sp: &spec.Spec{Ports: map[string]int{"53/udp": 0}}, ctr: running(map[string]string{"53/udp": "5353"})},
		{name: "not running", sp: httpSpec(""), ctr: engine.Container{State: "exited", Health: "healthy"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			got := stats.Probe(context.Background(), tc.ctr, tc.sp, 200*time.Millisecond)
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Probe (-want +got):\n%s", d)
			}
			if el := time.Since(start); el > 2*time.Second {
				t.Errorf("Probe took %s with a timeout of 200ms", el)
			}
		})
	}
}

func TestProbeAddresses(t *testing.T) {
	port := tcpPort(t, false)
	for _, tc := range []struct {
		name     string
		bindings []engine.PortBinding
	}{
		{"wildcard", published(port)},
		{"empty host ip", []engine.PortBinding{{HostPort: port}}},
		{"loopback only", []engine.PortBinding{{HostIP: "127.0.0.1", HostPort: port}}},
		{"ipv6 wildcard after ipv4", []engine.PortBinding{{HostIP: "::", HostPort: "1"}, {HostIP: "127.0.0.1", HostPort: port}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := engine.Container{State: "running", Ports: map[string][]engine.PortBinding{"8080/tcp": tc.bindings}}
			if got := stats.Probe(context.Background(), c, nil, time.Second); got == nil || !*got {
				t.Errorf("Probe = %v, want alive", got)
			}
		})
	}
}

func TestSamplerProbesServers(t *testing.T) {
	var hits atomic.Int32
	code := atomic.Int32{}
	code.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		hits.Add(1)
		if req.URL.Path != "/healthz" {
			http.NotFound(w, req)
			return
		}
		w.WriteHeader(int(code.Load()))
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	port, _ := strconv.Atoi(u.Port())

	r := newSamplerRig(t, stats.Options{})
	sp := spec.New(sampledImage)
	sp.Ports = map[string]int{"8080": 0} // not canonical in the file: still 8080/tcp
	sp.Health = &spec.Health{HTTPPath: "/healthz", Interval: "10s"}
	r.specs[sampledImage] = sp
	id := r.run("app-1", map[string]int{"8080/tcp": port})
	r.run("app-2", nil) // nothing published: nothing to probe

	check := func(what string, want *bool, wantHits int32) {
		t.Helper()
		r.round()
		if d := cmp.Diff(want, r.health("app-1").ServerAlive); d != "" {
			t.Errorf("%s: server_alive (-want +got):\n%s", what, d)
		}
		if got := hits.Load(); got != wantHits {
			t.Errorf("%s: probes so far = %d, want %d", what, got, wantHits)
		}
		if got := r.health("app-2").ServerAlive; got != nil {
			t.Errorf("%s: server_alive of a container without a published port = %v, want nil", what, *got)
		}
	}
	yes, no := true, false
	check("first round", &yes, 1)
	code.Store(http.StatusInternalServerError)
	check("within health.interval", &yes, 1) // not probed again yet: the last result stands
	r.now = r.now.Add(10 * time.Second)
	check("after health.interval", &no, 2)
	r.fake.SetHealth(id, "healthy")
	r.now = r.now.Add(10 * time.Second)
	check("HEALTHCHECK wins", &yes, 2)
}

// gatedSource lets no Stats call through until limit of them are in flight
// at once, and records the most ever in flight.
type gatedSource struct {
	*rt.Fake
	limit    int
	inflight atomic.Int32
	most     atomic.Int32
	once     sync.Once
	open     chan struct{}
}

func (g *gatedSource) Stats(ctx context.Context, id string) (engine.Stats, error) {
	n := g.inflight.Add(1)
	defer g.inflight.Add(-1)
	for m := g.most.Load(); n > m && !g.most.CompareAndSwap(m, n); m = g.most.Load() {
	}
	if int(n) >= g.limit {
		g.once.Do(func() { close(g.open) })
	}
	select {
	case <-g.open:
	case <-ctx.Done():
		return engine.Stats{}, ctx.Err()
	}
	return g.Fake.Stats(ctx, id)
}

func TestSamplerParallelismIsBounded(t *testing.T) {
	r := newSamplerRig(t, stats.Options{})
	for i := range 10 {
		r.run(fmt.Sprintf("app-%02d", i), nil)
	}
	g := &gatedSource{Fake: r.fake, limit: 3, open: make(chan struct{})}
	s := stats.New(g, nil, stats.Options{Parallelism: 3})
	if err := s.Round(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := g.most.Load(); got != 3 {
		t.Errorf("most Stats calls at once = %d, want 3 (Parallelism)", got)
	}
	if got := len(s.Health(sampledImage)); got != 10 {
		t.Errorf("Health has %d containers, want 10", got)
	}
}

func running(ports map[string]string) engine.Container {
	c := engine.Container{State: "running", Ports: map[string][]engine.PortBinding{}}
	for k, p := range ports {
		if p == "" {
			c.Ports[k] = nil
			continue
		}
		c.Ports[k] = published(p)
	}
	return c
}

func withHealth(c engine.Container, health string) engine.Container {
	c.Health = health
	return c
}
