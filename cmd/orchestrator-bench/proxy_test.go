package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"
)

func TestNormalizePath(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/v1.41/containers/json", "/containers/json"},
		{"/v1.41/containers/create", "/containers/create"},
		{"/v1.41/containers/0123abcd/start", "/containers/{id}/start"},
		{"/v1.41/containers/bench-1-orchestrator-bench-web-1/json", "/containers/{id}/json"},
		{"/v1.41/containers/0123abcd", "/containers/{id}"},
		{"/v1.41/containers/0123abcd/stats", "/containers/{id}/stats"},
		{"/v1.41/images/orchestrator-bench:idle-001/json", "/images/{name}/json"},
		{"/v1.41/images/ghcr.io/org/app:1.2/json", "/images/{name}/json"},
		{"/v1.41/images/ghcr.io/org/app:1.2", "/images/{name}"},
		{"/v1.41/images/create", "/images/create"},
		{"/v1.41/images/json", "/images/json"},
		{"/v1.41/events", "/events"},
		{"/v1.41/info", "/info"},
		{"/_ping", "/_ping"},
		{"/v1.24/networks/abc", "/networks/{id}"},
		{"/containers/json", "/containers/json"},
	} {
		if got := normalizePath(c.in); got != c.want {
			t.Errorf("normalizePath(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCounts(t *testing.T) {
	a := Counts{"GET /containers/json": 2, epStats: 5}
	b := Counts{"GET /containers/json": 5, epStats: 9, "POST /containers/create": 1}
	d := b.Sub(a)
	if d["GET /containers/json"] != 3 || d[epStats] != 4 || d["POST /containers/create"] != 1 || len(d) != 3 {
		t.Errorf("Sub = %v", d)
	}
	if d.Total() != 8 || d.Without(steady) != 4 {
		t.Errorf("Total %d, Without(steady) %d", d.Total(), d.Without(steady))
	}
	if got := d.Format(0); got != "GET /containers/{id}/stats 4, GET /containers/json 3, POST /containers/create 1" {
		t.Errorf("Format(0) = %q", got)
	}
	if got := (Counts{"GET /_ping": 1}).Format(2); got != "GET /_ping 0.50/s" {
		t.Errorf("Format(2) = %q", got)
	}
	if got := (Counts{}).Format(0); got != "none" {
		t.Errorf("empty Format = %q", got)
	}
}

// TestProxy forwards through the proxy to a fake engine on a unix socket:
// counts by endpoint, a stream that flows event by event, and quiet.
func TestProxy(t *testing.T) {
	dir := t.TempDir()
	engineSock := filepath.Join(dir, "engine.sock")
	ln, err := net.Listen("unix", engineSock)
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	engine := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1.41/events" {
			fmt.Fprintln(w, `{"Action":"start"}`)
			w.(http.Flusher).Flush()
			<-release // the stream stays open: the client must have the first event by now
			return
		}
		fmt.Fprintf(w, "%s %s", r.Method, r.URL.RequestURI())
	})}
	go engine.Serve(ln)
	defer engine.Close()
	defer close(release)

	px, err := startProxy(filepath.Join(dir, "proxy.sock"), engineSock)
	if err != nil {
		t.Fatal(err)
	}
	defer px.close()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", px.sock)
	}}}
	get := func(path string) string {
		resp, err := hc.Get("http://docker" + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		line, _ := bufio.NewReader(resp.Body).ReadString('\n')
		return line
	}
	if got := get("/v1.41/containers/json?all=1"); got != "GET /v1.41/containers/json?all=1" {
		t.Errorf("forwarded as %q", got)
	}
	get("/v1.41/containers/abc/json")
	get("/v1.41/containers/def/json")

	resp, err := hc.Get("http://docker/v1.41/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "{\"Action\":\"start\"}\n" {
		t.Fatalf("first event %q, %v: the stream must not be buffered", line, err)
	}

	want := Counts{"GET /containers/json": 1, "GET /containers/{id}/json": 2, epEvents: 1}
	if got := px.snapshot(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counts %v, want %v", got, want)
	}
	// The open stream does not keep the proxy from being quiet.
	if !px.quietFor(0, 0) {
		t.Error("not quiet with only the event stream open")
	}
	if px.quietFor(time.Hour, 0) {
		t.Error("quiet for an hour after a call just now")
	}
}
