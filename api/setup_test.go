package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/api"
	"github.com/orchestrator/orchestrator/api/events"
	"github.com/orchestrator/orchestrator/reconciler"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
	"github.com/orchestrator/orchestrator/reconciler/stats"
	"github.com/orchestrator/orchestrator/spec"
)

// env is an API server over a state directory, with the real reconciler
// running on the fake engine.
type env struct {
	t    *testing.T
	dir  string
	fake *rt.Fake
	rec  *reconciler.Reconciler
	srv  *api.Server
	url  string
	hub  *events.Hub // GET /events, fed as serve feeds it
	// sampler answers GET /images/{image}/health with withSampler; its
	// rounds run when a test calls Round.
	sampler *stats.Sampler
	// unmanaged are containers without our labels, which the fake's List
	// leaves out like the real engine's filter does.
	unmanaged []string
}

// envConfig is what an envOpt may change: the server's options, the
// reconciler's, and the state directory's Recorder.
type envConfig struct {
	api      api.Options
	rec      reconciler.Options
	recorder spec.Recorder
	sampled  bool // GET /images/{image}/health from a sampler of the fake (env.sampler)
}

type envOpt func(*envConfig)

func withSampler() envOpt { return func(c *envConfig) { c.sampled = true } }

func withToken(tok string) envOpt { return func(c *envConfig) { c.api.Token = tok } }

// withGit serves the git routes over g, the webhook with secret.
func withGit(g api.GitSource, secret string) envOpt {
	return func(c *envConfig) { c.api.Git, c.api.WebhookSecret = g, secret }
}

func newEnv(t *testing.T, opts ...envOpt) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), fake: rt.NewFake("web:v1", "api:v1", "nginx:alpine")}
	metrics := api.NewMetrics()
	e.hub = events.New(events.Options{FirstID: 1})
	c := envConfig{api: api.Options{WaitTimeout: 5 * time.Second, Metrics: metrics, Events: e.hub},
		rec: reconciler.Options{Resync: time.Hour, AllowEmpty: true}}
	for _, f := range opts {
		f(&c)
	}
	d := spec.NewDir(e.dir, spec.Options{HostCPUs: 2})
	d.Recorder = c.recorder
	feed := api.NewFeed(e.hub, api.FeedOptions{Git: c.api.Git})
	c.rec.Observer, c.rec.EngineObserver = reconciler.Observers{metrics, feed}, feed
	e.rec = reconciler.New(d, e.fake, c.rec)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.rec.Run(ctx, nil) }()
	var health api.HealthSource
	if c.sampled {
		e.sampler = stats.New(e.fake, nil, stats.Options{HostCPUs: 2})
		health = e.sampler
	}
	e.srv = api.New(d, e.rec, e.fake, health, c.api)
	srv := httptest.NewServer(e.srv.Handler())
	e.url = srv.URL
	t.Cleanup(func() {
		srv.Close()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("reconciler: %v", err)
		}
	})
	return e
}

func (e *env) write(name, text string) {
	e.t.Helper()
	if err := os.WriteFile(filepath.Join(e.dir, name), []byte(text), 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) read(name string) string {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(e.dir, name))
	if err != nil {
		e.t.Fatal(err)
	}
	return string(b)
}

// response is a decoded reply.
type response struct {
	code   int
	header http.Header
	body   map[string]any
	raw    string
}

func (e *env) do(method, path, body string, headers ...string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{code: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

// state is a fingerprint of the files and the containers: what a bad
// request must not change.
func (e *env) state() string {
	e.t.Helper()
	var parts []string
	filepath.WalkDir(e.dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			sum := sha256.Sum256(b)
			parts = append(parts, p+"="+hex.EncodeToString(sum[:8]))
		}
		return nil
	})
	cs, err := e.fake.List(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	for _, c := range cs {
		parts = append(parts, c.ID+"="+c.State)
	}
	for _, id := range e.unmanaged {
		parts = append(parts, id+"="+e.fake.State(id))
	}
	sort.Strings(parts)
	return strings.Join(parts, "\n")
}
