package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// server is an in-process `orchestrator serve` on a real engine, with its
// own instance label, state directory and log.
type server struct {
	t        testing.TB
	dir      string
	instance string
	addr     string
	log      *syncBuffer
	stop     func()
}

// serverOpt changes serve's flags, or the global ones on its app.
type serverOpt func(*serveFlags, *app)

func withResync(d time.Duration) serverOpt { return func(f *serveFlags, _ *app) { f.resync = d } }

func withMinReady(d time.Duration) serverOpt { return func(f *serveFlags, _ *app) { f.minReady = d } }

// withBindRoots is --allow-bind-mounts.
func withBindRoots(roots ...string) serverOpt {
	return func(_ *serveFlags, a *app) { a.bindRoots = roots }
}

// startServer runs serve until the test ends (or stop is called).
func startServer(t testing.TB, dir, instance string, opts ...serverOpt) *server {
	t.Helper()
	// An open listener, not a free port: Docker publishes ports from the
	// same range, and could take one between a probe and serve's listen.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() }) // serve closes it, unless it failed before serving
	s := &server{t: t, dir: dir, instance: instance, addr: ln.Addr().String(), log: &syncBuffer{}}
	f := serveFlags{addr: s.addr, listener: ln, instance: instance, instanceSet: true, parallelism: 4, resync: 30 * time.Second, readyTimeout: time.Minute, minReady: 5 * time.Second, waitTimeout: time.Minute}
	a := newApp(nil, io.Discard, io.Discard, func(string) string { return "" })
	a.dir = dir
	for _, o := range opts {
		o(&f, a)
	}
	log := slog.New(slog.NewTextHandler(s.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.serve(ctx, f, log) }()
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
	}
	t.Cleanup(s.stop)
	return s
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// newInstance is a test's own instance: its containers carry the label,
// and every one of them is removed when the test ends.
func newInstance(t *testing.T) string {
	t.Helper()
	rt.RequireDocker(t)
	id := rt.UniqueID(t)
	rt.CleanupInstance(t, id)
	return id
}

func writeFile(t *testing.T, dir, name, text string) {
	t.Helper()
	// Write-then-rename, as editors and git do: the watcher must see it whole.
	tmp := filepath.Join(dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

// ctr is a container as `docker ps` shows it.
type ctr struct {
	ID, Name, Image, State, Hash string
}

// containers lists the instance's containers with the docker CLI, as a
// person would check.
func containers(t *testing.T, instance string) []ctr {
	t.Helper()
	out := rt.Docker(t, "ps", "-a", "--no-trunc", "--filter", "label=orchestrator.instance="+instance, "--format",
		`{{.ID}}|{{.Names}}|{{.Label "orchestrator.image"}}|{{.State}}|{{.Label "orchestrator.spec-hash"}}`)
	var cs []ctr
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "|")
		if len(f) == 5 {
			cs = append(cs, ctr{f[0], f[1], f[2], f[3], f[4]})
		}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
	return cs
}

func ofImage(cs []ctr, image string) []ctr {
	var out []ctr
	for _, c := range cs {
		if c.Image == image {
			out = append(out, c)
		}
	}
	return out
}

func count(cs []ctr, state string) int {
	n := 0
	for _, c := range cs {
		if c.State == state {
			n++
		}
	}
	return n
}

func summary(cs []ctr) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, c.Name+"="+c.State)
	}
	return strings.Join(parts, " ")
}

// waitFor polls the instance's containers of image until cond holds.
func waitFor(t *testing.T, instance, image string, within time.Duration, what string, cond func([]ctr) bool) []ctr {
	t.Helper()
	var last []ctr
	rt.Eventually(t, within, what, func() (bool, string) {
		last = ofImage(containers(t, instance), image)
		return cond(last), summary(last)
	})
	return last
}

// exactly n running and nothing else.
func exactly(n int) func([]ctr) bool {
	return func(cs []ctr) bool { return len(cs) == n && count(cs, "running") == n }
}

func ids(cs []ctr) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	sort.Strings(out)
	return out
}

// syncBuffer is a log sink that the server writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitLog polls the log until it has a line containing every part.
func (s *server) waitLog(within time.Duration, parts ...string) string {
	s.t.Helper()
	var found string
	rt.Eventually(s.t, within, fmt.Sprintf("log line with %q", parts), func() (bool, string) {
		for _, line := range strings.Split(s.log.String(), "\n") {
			all := true
			for _, p := range parts {
				all = all && strings.Contains(line, p)
			}
			if all {
				found = line
				return true, ""
			}
		}
		return false, "not yet"
	})
	return found
}

// spec writes a spec text for image with the given extra YAML lines.
func specText(image string, lines ...string) string {
	return "image: " + image + "\n" + strings.Join(lines, "\n") + "\nresources: {cpu: 100m, memory: 32m}\n"
}
