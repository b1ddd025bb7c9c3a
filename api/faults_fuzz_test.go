package api_test

// The fault suite's HTTP fuzzing (issue 14): every route of the router, with
// random methods, mutated paths, headers, query strings and bodies. The
// seeds run with every `go test`; fuzz with
//
//	go test ./api -run '^$' -fuzz '^FuzzRouter$' -fuzztime 2m -fuzzminimizetime 5s
//
// (a new input's minimisation otherwise stops the fuzzing for up to 60 s).

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/orchestrator/orchestrator/api"
	"github.com/orchestrator/orchestrator/reconciler"
	"github.com/orchestrator/orchestrator/reconciler/engine"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
	"github.com/orchestrator/orchestrator/spec"
)

const (
	fuzzToken  = "fuzz-token"
	fuzzSecret = "fuzz-hook-secret"
	// fuzzAnswerWithin bounds a request: its context ends then, and the
	// handler must have answered by then (plus fuzzEndWithin).
	fuzzAnswerWithin = 5 * time.Second
	// fuzzEndWithin: once the answer's header is out the client goes (its
	// context is cancelled), and the handler must return within this; a
	// followed log stream ends so.
	fuzzEndWithin = 2 * time.Second
	// fuzzWaitTimeout is the server's wait for convergence (start, scale,
	// reconcile): low, so that an input that cannot converge answers fast.
	fuzzWaitTimeout = time.Second
	// fuzzMaxContainers bounds the fake engine: a fuzzed scale to millions
	// of replicas is refused by it, as by a full host.
	fuzzMaxContainers = 64
)

// fuzzMethods are the methods an input picks from, odd ones included.
var fuzzMethods = []string{
	http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
	http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodConnect, "QUERY",
	"PROPFIND", "get", "BREW", "M-SEARCH", "X",
}

// fuzzPathMutations turn a route's path into the shapes that break routers:
// encoded slashes, dot segments, long segments, unicode, NUL.
var fuzzPathMutations = []struct {
	name string
	f    func(string) string
}{
	{"as is", func(p string) string { return p }},
	{"slashes encoded", func(p string) string {
		if len(p) < 2 { // "" or "/": nothing to encode
			return p
		}
		if i := strings.IndexByte(p[1:], '/'); i >= 0 {
			return p[:i+2] + strings.ReplaceAll(p[i+2:], "/", "%2F")
		}
		return p
	}},
	{"dot segments", func(p string) string { return p + "/../../../../etc/passwd" }},
	{"encoded dot segments", func(p string) string { return p + "/..%2F..%2F..%2Fetc%2Fpasswd" }},
	{"encoded dots", func(p string) string { return strings.Replace(p, "/", "/%2e%2e/", 2) }},
	{"long segment", func(p string) string { return p + "/" + strings.Repeat("a", 5000) }},
	{"long image", func(p string) string { return strings.Replace(p, "web:v1", "web"+strings.Repeat("x", 300)+":v1", 1) }},
	{"unicode", func(p string) string { return p + "/é/\u212a/ı" }},
	{"unicode encoded", func(p string) string { return p + "%C3%A9%E2%84%AA" }},
	{"NUL encoded", func(p string) string { return p + "%00" }},
	{"NUL", func(p string) string { return p + "\x00" }},
	{"double encoded", func(p string) string { return strings.ReplaceAll(p, "/", "%252F") }},
	{"trailing slash", func(p string) string { return p + "/" }},
	{"double slashes", func(p string) string { return strings.ReplaceAll(p, "/", "//") }},
	{"backslashes", func(p string) string { return p + `\..\..\x.yaml` }},
	{"upper case", strings.ToUpper},
}

// fuzzSign is the bit of an input's mutation byte that signs its body with
// the webhook secret (X-Hub-Signature-256).
const fuzzSign = 0x80

// fuzzInput is one request.
type fuzzInput struct {
	method                                uint8
	path                                  string
	mut                                   uint8
	query, contentType, ifMatch, auth, id string
	body                                  []byte
}

func (in fuzzInput) String() string {
	m := fuzzPathMutations[int(in.mut&^fuzzSign)%len(fuzzPathMutations)]
	return fmt.Sprintf("method %q path %q (%s, signed %t) query %q\nContent-Type %q If-Match %q Authorization %q Last-Event-ID %q\nbody %q",
		fuzzMethods[int(in.method)%len(fuzzMethods)], in.path, m.name, in.mut&fuzzSign != 0, in.query,
		in.contentType, in.ifMatch, in.auth, in.id, in.body)
}

// FuzzRouter sends random requests to the real router over the fake engine
// and the real reconciler. Every answer must come within a few seconds,
// without a panic, and without a 5xx but those the API documents for an
// engine it cannot use (fuzz5xx); no request may leave a file outside the
// state directory, a symlink in it, or a temp file; and the reconciler
// must still complete a pass after it. The server is built once per fuzz
// process; the state directory is put back to its baseline after every
// input, so an input finds the same files whatever ran before (the fake
// engine's containers converge to them, and may differ).
//
// The seeds are every route of the router (its walk and its OpenAPI
// document, so a new route is fuzzed without editing this test) with the
// bodies of the API's tests, good and bad.
func FuzzRouter(f *testing.F) {
	fe := newFuzzEnv(f)
	for _, s := range fe.seeds(f) {
		f.Add(s.method, s.path, s.mut, s.query, s.contentType, s.ifMatch, s.auth, s.id, s.body)
	}
	f.Fuzz(func(t *testing.T, method uint8, path string, mut uint8, query, contentType, ifMatch, auth, id string, body []byte) {
		fe.run(t, fuzzInput{method, path, mut, query, contentType, ifMatch, auth, id, body})
	})
}

// fuzz5xx are the 5xx answers that are no failure: code by the routes that
// may give it. engine_unavailable anywhere (the fuzz engine refuses more than
// fuzzMaxContainers); and on the routes that wait for the reconciler, the
// two 500s the README documents for them: an image the engine does not
// have (the fake has no registry), and a spec that did not converge within
// the wait timeout. A 500 internal, or any other, fails.
var fuzz5xx = map[string]func(path string) bool{
	"engine_unavailable": func(string) bool { return true },
	"image_unavailable":  waitingRoute,
	"not_converged":      waitingRoute,
}

func waitingRoute(path string) bool {
	return strings.HasPrefix(path, "/start/") || strings.HasSuffix(path, "/scale") || strings.HasSuffix(path, "/reconcile")
}

// fuzzEnv is the server of a fuzz process: the real router over a state
// directory a few levels below top, so that an escape lands where it is
// seen.
type fuzzEnv struct {
	top, state string
	handler    http.Handler
	rec        *reconciler.Reconciler
	logs       *syncBuffer
	baseline   map[string]string // file name -> text
	webRev     string            // the revision of web:v1 in the baseline: "$REV" in an If-Match
}

// fuzzBaseline is the state directory every input starts from: YAML with
// comments, JSON, two documents in one file, and a broken file.
var fuzzBaseline = map[string]string{
	"web.yaml": "# the web tier\nimage: web:v1\nmin_replicas: 1\nmax_replicas: 2\nenv:\n  LOG_LEVEL: info # verbose enough\n" +
		"resources:\n  cpu: \"0.5\"\n  memory: 64m\n",
	"api.json": `{"image": "api:v1", "max_replicas": 2, "ports": {"8080/tcp": 0}, "resources": {}}` + "\n",
	"multi.yaml": "image: nginx:alpine\nmin_replicas: 0\nmax_replicas: 1\nresources: {status: stopped}\n---\n" +
		"image: ghcr.io/org/app:1.2\nresources: {}\n",
	"broken.yaml": "image: cache:v1\nresources: {memory: 12q}\n",
}

func newFuzzEnv(tb testing.TB) *fuzzEnv {
	tb.Helper()
	top := tb.TempDir()
	fe := &fuzzEnv{top: top, state: filepath.Join(top, "a", "b", "state"), logs: &syncBuffer{}, baseline: fuzzBaseline}
	if err := os.MkdirAll(fe.state, 0o755); err != nil {
		tb.Fatal(err)
	}
	docs, errs := spec.Parse("web.yaml", []byte(fuzzBaseline["web.yaml"]), spec.Options{HostCPUs: 2})
	if len(errs) > 0 || len(docs) != 1 {
		tb.Fatalf("baseline web.yaml: %v", errs)
	}
	fe.webRev = docs[0].Spec.Revision()
	fe.reset(tb)

	fake := rt.NewFake("web:v1", "api:v1", "nginx:alpine", "ghcr.io/org/app:1.2")
	eng := cappedEngine{fake}
	d := spec.NewDir(fe.state, spec.Options{HostCPUs: 2})
	metrics := api.NewMetrics()
	fe.rec = reconciler.New(d, eng, reconciler.Options{Resync: time.Hour, AllowEmpty: true, Observer: metrics, Logger: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fe.rec.Run(ctx, nil) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("reconciler: %v", err)
		}
	})
	srv := api.New(d, fe.rec, eng, nil, api.Options{
		Token: fuzzToken, WaitTimeout: fuzzWaitTimeout, Metrics: metrics, Git: &fakeGit{}, WebhookSecret: fuzzSecret,
		Logger: slog.New(slog.NewTextHandler(fe.logs, nil)),
	})
	fe.handler = srv.Handler()
	return fe
}

// cappedEngine is the fake engine with at most fuzzMaxContainers managed
// containers: beyond, a create fails as an engine out of room would.
type cappedEngine struct{ *rt.Fake }

func (c cappedEngine) Create(ctx context.Context, cfg engine.Config) (string, error) {
	if cs, err := c.List(ctx); err == nil && len(cs) >= fuzzMaxContainers {
		return "", engine.KindErrorf(engine.ErrUnavailable, "create %s: the fuzz engine holds %d containers", cfg.Name, len(cs))
	}
	return c.Fake.Create(ctx, cfg)
}

// run sends one input and checks the answer and the directory.
func (fe *fuzzEnv) run(t *testing.T, in fuzzInput) {
	fe.logs.Reset()
	req, ok := fe.request(in)
	if !ok {
		return // net/http answers 400 before any handler: not the API's
	}
	ctx, cancel := context.WithTimeout(context.Background(), fuzzAnswerWithin)
	defer cancel()
	req = req.WithContext(ctx)
	w := &answerRecorder{ResponseRecorder: httptest.NewRecorder(), answered: cancel}
	done := make(chan string, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- fmt.Sprintf("panic: %v\n%s", v, debug.Stack())
				return
			}
			done <- ""
		}()
		fe.handler.ServeHTTP(w, req)
	}()
	timer := time.NewTimer(fuzzAnswerWithin + fuzzEndWithin)
	defer timer.Stop()
	select {
	case p := <-done:
		if p != "" {
			t.Fatalf("%s\n%s", p, in)
		}
	case <-timer.C:
		t.Fatalf("no answer within %s:\n%s", fuzzAnswerWithin+fuzzEndWithin, in)
	}
	res := w.Result()
	if res.StatusCode >= 500 {
		var body struct {
			Code string `json:"code"`
		}
		_ = json.Unmarshal(w.Body.Bytes(), &body)
		if ok := fuzz5xx[body.Code]; ok == nil || !ok(req.URL.Path) {
			t.Fatalf("%d %s:\n%s\nanswer: %s\nlog:\n%s", res.StatusCode, body.Code, in, trimmed(w.Body.String()), fe.logs)
		}
	}
	fe.checkContained(t, in)
	fe.reset(t)
	fe.checkLive(t, in)
}

// checkLive: the reconciler still completes a pass within
// fuzzAnswerWithin. A request that wedges it (a pass that never ends) hangs
// every later write's wait, which answers an allowed not_converged; this
// is where it shows.
func (fe *fuzzEnv) checkLive(t *testing.T, in fuzzInput) {
	ctx, cancel := context.WithTimeout(context.Background(), fuzzAnswerWithin)
	defer cancel()
	if _, err := fe.rec.WaitPass(ctx); err != nil {
		t.Fatalf("the reconciler did not complete a pass within %s after:\n%s", fuzzAnswerWithin, in)
	}
}

// request builds the request as net/http's server reads it off the wire;
// false for one that server refuses itself (a 400 of its own).
func (fe *fuzzEnv) request(in fuzzInput) (*http.Request, bool) {
	m := fuzzPathMutations[int(in.mut&^fuzzSign)%len(fuzzPathMutations)]
	target := m.f(in.path)
	if in.query != "" {
		target += "?" + in.query
	}
	auth := strings.ReplaceAll(in.auth, "$TOKEN", fuzzToken)
	headers := [][2]string{
		{"Content-Type", in.contentType},
		{"If-Match", strings.ReplaceAll(in.ifMatch, "$REV", fe.webRev)},
		{"Authorization", auth},
		{"Last-Event-ID", in.id},
	}
	if in.mut&fuzzSign != 0 {
		mac := hmac.New(sha256.New, []byte(fuzzSecret))
		mac.Write(in.body)
		headers = append(headers, [2]string{"X-Hub-Signature-256", "sha256=" + hex.EncodeToString(mac.Sum(nil))})
	}
	var raw bytes.Buffer
	fmt.Fprintf(&raw, "%s %s HTTP/1.1\r\nHost: orchestrator.test\r\n", fuzzMethods[int(in.method)%len(fuzzMethods)], target)
	for _, h := range headers {
		if h[1] == "" {
			continue
		}
		if !validHeaderValue(h[1]) {
			return nil, false
		}
		fmt.Fprintf(&raw, "%s: %s\r\n", h[0], h[1])
	}
	fmt.Fprintf(&raw, "Content-Length: %d\r\n\r\n", len(in.body))
	raw.Write(in.body)
	req, err := http.ReadRequest(bufio.NewReader(&raw))
	if err != nil {
		return nil, false
	}
	req.RemoteAddr = "192.0.2.7:40000"
	return req, true
}

// validHeaderValue is net/http's rule: no control characters but tab.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// checkContained: the temp tree above the state directory holds nothing
// but the directories down to it, nothing anywhere is a symlink (none
// escapes), and no write left its temp file.
func (fe *fuzzEnv) checkContained(t *testing.T, in fuzzInput) {
	t.Helper()
	ancestors := map[string]bool{fe.top: true}
	for p := fe.state; p != fe.top; p = filepath.Dir(p) {
		ancestors[p] = true
	}
	err := filepath.WalkDir(fe.top, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		inside := strings.HasPrefix(p, fe.state+string(filepath.Separator))
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			t.Errorf("%s is a symlink", p)
		case !inside && !ancestors[p]:
			t.Errorf("%s is outside the state directory %s", p, fe.state)
		case strings.HasPrefix(d.Name(), ".orchestrator-"):
			t.Errorf("a write left its temp file %s", p)
		}
		return nil
	})
	if err != nil {
		t.Errorf("walk %s: %v", fe.top, err)
	}
	if t.Failed() {
		t.Fatalf("after:\n%s", in)
	}
}

// reset puts the state directory back to the baseline, and wakes the
// reconciler when that changed anything.
func (fe *fuzzEnv) reset(tb testing.TB) {
	tb.Helper()
	changed := false
	entries, err := os.ReadDir(fe.state)
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := fe.baseline[e.Name()]; !ok {
			if err := os.RemoveAll(filepath.Join(fe.state, e.Name())); err != nil {
				tb.Fatal(err)
			}
			changed = true
		}
	}
	for name, text := range fe.baseline {
		p := filepath.Join(fe.state, name)
		if b, err := os.ReadFile(p); err == nil && string(b) == text {
			continue
		}
		if err := spec.WriteAtomic(p, []byte(text), 0o644); err != nil {
			tb.Fatal(err)
		}
		changed = true
	}
	if changed && fe.rec != nil {
		fe.rec.Trigger()
	}
}

// answerRecorder records an answer, and calls answered once its header is
// out: the client has its answer and goes.
type answerRecorder struct {
	*httptest.ResponseRecorder
	once     sync.Once
	answered func()
}

func (a *answerRecorder) WriteHeader(code int) {
	a.ResponseRecorder.WriteHeader(code)
	a.once.Do(a.answered)
}

func (a *answerRecorder) Write(b []byte) (int, error) {
	n, err := a.ResponseRecorder.Write(b)
	a.once.Do(a.answered)
	return n, err
}

func (a *answerRecorder) Flush() {
	a.ResponseRecorder.Flush()
	a.once.Do(a.answered)
}

// syncBuffer is a log that handlers write to while the fuzz reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func trimmed(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

// fuzzRoute is one operation the router serves: a method and a pattern.
type fuzzRoute struct{ method, pattern string }

// routes lists every operation of the router: its walk (mounts and
// catch-alls included) and its OpenAPI document (the routes below
// /images/{image}, which the router matches inside one catch-all).
func (fe *fuzzEnv) routes(tb testing.TB) []fuzzRoute {
	tb.Helper()
	set := map[fuzzRoute]bool{}
	err := chi.Walk(fe.handler.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		set[fuzzRoute{method, route}] = true
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	w := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/openapi.json", nil)
	req.Header.Set("Authorization", "Bearer "+fuzzToken)
	fe.handler.ServeHTTP(w, req)
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || len(doc.Paths) == 0 {
		tb.Fatalf("GET /openapi.json = %d, %v", w.Code, err)
	}
	for p, ops := range doc.Paths {
		for m := range ops {
			if m := strings.ToUpper(m); slices.Contains(fuzzMethods[:10], m) { // not "parameters"
				set[fuzzRoute{m, p}] = true
			}
		}
	}
	out := make([]fuzzRoute, 0, len(set))
	for r := range set {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].pattern+out[i].method < out[j].pattern+out[j].method })
	return out
}
