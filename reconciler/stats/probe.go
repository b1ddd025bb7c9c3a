package stats

import (
	"context"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/spec"
)

// sampleResult is what a worker measured of one running container.
type sampleResult struct {
	stats  engine.Stats
	err    error
	probed bool
	alive  *bool
}

// collect samples and probes the running containers, Parallelism at once.
func (s *Sampler) collect(ctx context.Context, cs []engine.Container, specs map[string]spec.Spec, now time.Time) []sampleResult {
	out := make([]sampleResult, len(cs))
	sem := make(chan struct{}, s.opts.Parallelism)
	var wg sync.WaitGroup
	callTimeout := max(s.opts.Interval, 5*time.Second)
	for i, c := range cs {
		if c.State != "running" || c.Remote || ctx.Err() != nil {
			continue // a remote task's container is another engine's
		}
		sp := specFor(specs, c.Image)
		probe := s.probeDue(c, sp, now)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			sctx, cancel := context.WithTimeout(ctx, callTimeout)
			st, err := s.src.Stats(sctx, c.ID)
			cancel()
			r := sampleResult{stats: st, err: err, probed: probe}
			if probe {
				r.alive = Probe(ctx, c, sp, s.opts.ProbeTimeout)
			}
			out[i] = r
		}()
	}
	wg.Wait()
	return out
}

func specFor(specs map[string]spec.Spec, image string) *spec.Spec {
	if sp, ok := specs[image]; ok {
		return &sp
	}
	return nil
}

// Probe tells whether c's server is alive (docs/design.md §8). Docker's own
// HEALTHCHECK verdict, healthy or unhealthy, wins when the image has one.
// Otherwise it probes 127.0.0.1 at the host port published for the spec's
// health port (by default the spec's first TCP port, in sorted canonical
// order): an HTTP GET of health.http_path when set (2xx and 3xx are alive),
// else a TCP connect. It is nil when there is nothing to probe: c is not
// running, or the port is not published or is UDP. sp may be nil (a
// container whose spec is gone): then the container's own first published
// TCP port is connected to.
func Probe(ctx context.Context, c engine.Container, sp *spec.Spec, timeout time.Duration) *bool {
	if c.State != "running" {
		return nil
	}
	switch c.Health {
	case "healthy":
		return probeResult(true)
	case "unhealthy":
		return probeResult(false)
	}
	addr, path, ok := probeTarget(c, sp)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if path != "" {
		return probeResult(probeHTTP(ctx, addr, path))
	}
	return probeResult(probeTCP(ctx, addr, min(timeout/5, 100*time.Millisecond)))
}

func probeResult(alive bool) *bool { return &alive }

// probeDue honours the spec's health.interval: a container is probed at
// most that often (every round by default).
func (s *Sampler) probeDue(c engine.Container, sp *spec.Spec, now time.Time) bool {
	e := s.entries[c.ID]
	if e == nil || !e.running || e.probed.IsZero() || sp == nil || sp.Health == nil || sp.Health.Interval == "" {
		return true
	}
	every, err := time.ParseDuration(sp.Health.Interval)
	return err != nil || now.Sub(e.probed) >= every
}

// probeTarget picks the host address to probe, and the HTTP path ("" for
// a TCP connect).
func probeTarget(c engine.Container, sp *spec.Spec) (addr, path string, ok bool) {
	var port string
	if sp != nil {
		if h := sp.Health; h != nil {
			path = h.HTTPPath
			if h.Port != "" {
				port = canonicalPort(h.Port)
			}
		}
		if port == "" {
			port = firstTCP(slices.Collect(maps.Keys(sp.Ports)))
		}
	} else {
		var published []string
		for k, b := range c.Ports {
			if hostAddr(b) != "" {
				published = append(published, k)
			}
		}
		port = firstTCP(published)
	}
	if !strings.HasSuffix(port, "/tcp") {
		return "", "", false
	}
	addr = hostAddr(c.Ports[port])
	return addr, path, addr != ""
}

func canonicalPort(s string) string {
	p, err := spec.ParsePort(s)
	if err != nil {
		return ""
	}
	return p.String()
}

// firstTCP is the first TCP port of ports in sorted canonical order.
func firstTCP(ports []string) string {
	var tcp []string
	for _, k := range ports {
		if c := canonicalPort(k); strings.HasSuffix(c, "/tcp") {
			tcp = append(tcp, c)
		}
	}
	if len(tcp) == 0 {
		return ""
	}
	return slices.Min(tcp)
}

// hostAddr is where a published port answers on this host: 127.0.0.1 for
// a wildcard binding, the bound address otherwise; IPv4 first.
func hostAddr(bindings []engine.PortBinding) string {
	v6 := ""
	for _, b := range bindings {
		if b.HostPort == "" {
			continue
		}
		switch ip := net.ParseIP(b.HostIP); {
		case b.HostIP == "" || ip != nil && ip.Equal(net.IPv4zero):
			return net.JoinHostPort("127.0.0.1", b.HostPort)
		case ip != nil && ip.Equal(net.IPv6unspecified):
			if v6 == "" {
				v6 = net.JoinHostPort("::1", b.HostPort)
			}
		case ip != nil && ip.To4() != nil:
			return net.JoinHostPort(b.HostIP, b.HostPort)
		case v6 == "":
			v6 = net.JoinHostPort(b.HostIP, b.HostPort)
		}
	}
	return v6
}

// probeClient follows no redirect (a 3xx is an answer), uses no proxy and
// keeps no connection between probes.
var probeClient = &http.Client{
	Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func probeHTTP(ctx context.Context, addr, path string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return false
	}
	req.Header.Set("User-Agent", "orchestrator-probe")
	resp, err := probeClient.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 400
}

// probeTCP connects, then waits up to settle for the peer to hang up. With
// Docker's userland proxy a published port always accepts, and the proxy
// closes the connection at once when nothing listens in the container: a
// connection that stays open, or that sends data, is a live server.
func probeTCP(ctx context.Context, addr string, settle time.Duration) bool {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return false
	}
	defer conn.Close()
	deadline := time.Now().Add(settle)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	if err := conn.SetReadDeadline(deadline); err != nil {
		return false
	}
	n, err := conn.Read(make([]byte, 1))
	return n > 0 || errors.Is(err, os.ErrDeadlineExceeded)
}

// fsFree is the free space (for unprivileged users) of the filesystem that
// holds the engine's data root, or of "/" when that path is not local.
func (s *Sampler) fsFree(ctx context.Context) *uint64 {
	path := "/"
	root, err := s.src.DataRoot(ctx)
	switch {
	case err != nil:
		if err.Error() != s.lastRootErr && ctx.Err() == nil {
			s.log.Warn("stats sampler: engine data root unknown, measuring /", "err", err)
		}
		s.lastRootErr = err.Error()
	case root != "":
		s.lastRootErr = ""
		if _, err := os.Stat(root); err == nil {
			path = root
		}
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		s.log.Warn("stats sampler: statfs failed", "path", path, "err", err)
		return nil
	}
	free := uint64(st.Bavail) * uint64(st.Bsize)
	return &free
}
