package ui

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/api/wire"
)

// fakeData answers the overview's two reads, and counts them.
type fakeData struct {
	list   wire.StatusList
	images []wire.Image
	reads  atomic.Int64
}

func (f *fakeData) Status(context.Context) wire.StatusList { f.reads.Add(1); return f.list }
func (f *fakeData) Images(context.Context) ([]wire.Image, error) {
	f.reads.Add(1)
	return f.images, nil
}

type answer struct {
	Code        int
	ContentType string
	CSP         bool
	Location    string
}

func serve(h http.Handler, method, path string, header ...string) (*http.Response, string) {
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestPages(t *testing.T) {
	h := New(Options{Data: &fakeData{}})
	for _, tc := range []struct {
		method, path string
		want         answer
		contains     string
	}{
		{"GET", "/ui", answer{Code: 302, CSP: true, Location: "/ui/"}, ""},
		{"GET", "/ui/", answer{Code: 200, ContentType: "text/html; charset=utf-8", CSP: true}, `<tbody id="rows">`},
		{"HEAD", "/ui/", answer{Code: 200, ContentType: "text/html; charset=utf-8", CSP: true}, ""},
		{"GET", "/ui/images/orchestrator-demo:web", answer{Code: 200, ContentType: "text/html; charset=utf-8", CSP: true}, `data-image="orchestrator-demo:web"`},
		{"GET", "/ui/images/ghcr.io/org/app:1.2", answer{Code: 200, ContentType: "text/html; charset=utf-8", CSP: true}, `<h1 id="title">ghcr.io/org/app:1.2</h1>`},
		{"GET", "/ui/images/ghcr.io%2Forg%2Fapp:1.2", answer{Code: 200, ContentType: "text/html; charset=utf-8", CSP: true}, `data-image="ghcr.io/org/app:1.2"`},
		{"GET", "/ui/assets/app.css", answer{Code: 200, ContentType: "text/css; charset=utf-8", CSP: true}, ":root"},
		{"GET", "/ui/assets/overview.js", answer{Code: 200, ContentType: "text/javascript; charset=utf-8", CSP: true}, "import"},
		{"GET", "/ui/assets/favicon.svg", answer{Code: 200, ContentType: "image/svg+xml", CSP: true}, "<svg"},
		{"GET", "/ui/assets/nope.js", answer{Code: 404, ContentType: "text/plain; charset=utf-8", CSP: true}, ""},
		{"GET", "/ui/assets/..%2Fui.go", answer{Code: 404, ContentType: "text/plain; charset=utf-8", CSP: true}, ""},
		{"GET", "/ui/nope", answer{Code: 404, ContentType: "text/html; charset=utf-8", CSP: true}, "Not found"},
		{"POST", "/ui/", answer{Code: 405, ContentType: "text/plain; charset=utf-8", CSP: true}, "only reads"},
		{"DELETE", "/ui/images/x", answer{Code: 405, ContentType: "text/plain; charset=utf-8", CSP: true}, ""},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			resp, body := serve(h, tc.method, tc.path)
			got := answer{Code: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"),
				CSP: resp.Header.Get("Content-Security-Policy") == CSP, Location: resp.Header.Get("Location")}
			if tc.want.Code == 302 {
				got.ContentType = "" // net/http's choice
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
			if !strings.Contains(body, tc.contains) {
				t.Errorf("body has no %q:\n%s", tc.contains, body)
			}
		})
	}
}

// The CSP allows no inline script or style and nothing from elsewhere, and
// nothing in the pages or scripts needs more.
func TestNoInlineCode(t *testing.T) {
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(CSP, want) {
			t.Errorf("CSP %q lacks %q", CSP, want)
		}
	}
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "http:", "https:", "data:", "*"} {
		if strings.Contains(CSP, bad) {
			t.Errorf("CSP %q allows %q", CSP, bad)
		}
	}
	rules := []struct {
		glob string
		bad  []string
	}{
		{"templates/*.html", []string{"<script>", "style=", " onclick", " onerror", " onload", "<style", "javascript:", "http://", "https://"}},
		{"assets/*.js", []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setAttribute('on", "setAttribute('style", "localStorage", "http://'", "https://"}},
		{"assets/*.css", []string{"@import", "url(", "@font-face"}},
	}
	for _, r := range rules {
		names, err := fsGlob(r.glob)
		if err != nil || len(names) == 0 {
			t.Fatalf("glob %s: %v %v", r.glob, names, err)
		}
		for _, name := range names {
			text := readFile(t, name)
			for _, b := range r.bad {
				if i := strings.Index(text, b); i >= 0 {
					t.Errorf("%s has %q: %q", name, b, text[max(0, i-40):min(len(text), i+40)])
				}
			}
		}
	}
}

// Everything that comes from a file or the engine is escaped on the server.
func TestOverviewEscapes(t *testing.T) {
	evil := `<img src=x onerror=alert(1)>`
	data := &fakeData{list: wire.StatusList{
		Specs:  []wire.Status{{Image: "app:1", Health: "Degraded", Source: "app.yaml:1", LastError: "x.yaml:3: env.A: " + evil, Message: `<script>alert(2)</script>`}},
		Errors: []string{`bad.yaml:2: image: "` + evil + `" is not a reference`},
	}}
	_, body := serve(New(Options{Data: data}), "GET", "/ui/")
	for _, raw := range []string{"<img", "<script>alert"} {
		if strings.Contains(body, raw) {
			t.Errorf("the page holds %q unescaped:\n%s", raw, body)
		}
	}
	for _, esc := range []string{"&lt;img src=x onerror=alert(1)&gt;", "&lt;script&gt;alert(2)&lt;/script&gt;"} {
		if !strings.Contains(body, esc) {
			t.Errorf("the page lacks the escaped %q:\n%s", esc, body)
		}
	}
}

// With a token the pages carry no data, and read none.
func TestTokenRequiredPagesHoldNoData(t *testing.T) {
	data := &fakeData{list: wire.StatusList{Specs: []wire.Status{{Image: "secret-app:1", Health: "Healthy"}}}}
	h := New(Options{TokenRequired: true, Data: data})
	for _, path := range []string{"/ui/", "/ui/images/secret-app:1"} {
		resp, body := serve(h, "GET", path)
		if resp.StatusCode != 200 || !strings.Contains(body, `data-token="required"`) {
			t.Errorf("GET %s = %d, want 200 with data-token=\"required\":\n%s", path, resp.StatusCode, body)
		}
		if path == "/ui/" && strings.Contains(body, "secret-app") {
			t.Errorf("GET %s shows data without a token:\n%s", path, body)
		}
	}
	if n := data.reads.Load(); n != 0 {
		t.Errorf("the data was read %d times; want none with a token", n)
	}
}

func TestAssetRevalidates(t *testing.T) {
	h := New(Options{})
	resp, _ := serve(h, "GET", "/ui/assets/app.css")
	tag := resp.Header.Get("ETag")
	if tag == "" {
		t.Fatal("no ETag on an asset")
	}
	resp, _ = serve(h, "GET", "/ui/assets/app.css", "If-None-Match", tag)
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match of the current ETag = %d, want 304", resp.StatusCode)
	}
}

// The first load of the overview, with every asset it uses, is small: the
// issue's goal is 150 KB.
func TestFirstLoadSize(t *testing.T) {
	_, page := serve(New(Options{}), "GET", "/ui/")
	total := len(page)
	names, err := fsGlob("assets/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		total += len(readFile(t, name))
	}
	t.Logf("first load, every asset: %d bytes (%.1f KB)", total, float64(total)/1024)
	if total > 150<<10 {
		t.Errorf("first load is %d bytes, over 150 KB", total)
	}
}

func BenchmarkOverview200(b *testing.B) {
	data := &fakeData{}
	for i := range 200 {
		util := float64(i % 100)
		image := fmt.Sprintf("registry.local/team/app-%03d:1.%d", i, i)
		data.list.Specs = append(data.list.Specs, wire.Status{Image: image, Synced: i%7 != 0, Health: "Healthy",
			Desired: 2, Ready: 2, Running: 2, Revision: fmt.Sprintf("%064x", i), Source: fmt.Sprintf("app-%03d.yaml:1", i),
			Autoscale: &wire.Autoscale{TargetCPUPercent: 60, UtilizationPercent: &util, Recommendation: 2, Reason: "within tolerance"}})
		data.images = append(data.images, wire.Image{Revision: fmt.Sprintf("%064x", i), Source: fmt.Sprintf("app-%03d.yaml:1", i)})
	}
	h := New(Options{Data: data})
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/ui/", nil))
		if rec.Code != 200 {
			b.Fatalf("GET /ui/ = %d", rec.Code)
		}
	}
}
