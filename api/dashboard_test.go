package api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/api/ui"
)

// page is what a request of the dashboard's paths answers, without
// following a redirect.
type page struct {
	Code     int
	Type     string
	CSP      bool
	Location string
}

func (e *env) page(method, path string) (page, string) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{Code: resp.StatusCode, Type: resp.Header.Get("Content-Type"), CSP: resp.Header.Get("Content-Security-Policy") == ui.CSP,
		Location: resp.Header.Get("Location")}, string(body)
}

// The dashboard's pages are served beside the API, without the token; its
// data is not.
func TestDashboardPaths(t *testing.T) {
	const html = "text/html; charset=utf-8"
	for _, token := range []string{"", "s3cret"} {
		e := newEnv(t, withToken(token))
		e.write("web.yaml", "image: web:v1\nresources: {cpu: 100m, memory: 32m}\n")
		e.write("bad.yaml", "image: api:v1\nresources: {memory: 12q}\n")
		e.pass()
		for _, tc := range []struct {
			method, path string
			want         page
			has, hasNot  string
		}{
			{"GET", "/", page{Code: 302, Type: html, Location: "/ui/"}, "", ""},
			{"HEAD", "/", page{Code: 302, Location: "/ui/"}, "", ""},
			{"POST", "/", page{Code: 405, Type: "application/json"}, `"code":"method_not_allowed"`, ""},
			{"GET", "/ui", page{Code: 302, CSP: true, Location: "/ui/"}, "", ""},
			{"GET", "/ui/images/web:v1", page{Code: 200, Type: html, CSP: true}, `data-image="web:v1"`, ""},
			{"GET", "/ui/assets/overview.js", page{Code: 200, Type: "text/javascript; charset=utf-8", CSP: true}, "import", ""},
			{"POST", "/ui/images/web:v1", page{Code: 405, Type: "text/plain; charset=utf-8", CSP: true}, "", ""},
			{"GET", "/ui/nope", page{Code: 404, Type: html, CSP: true}, "Not found", ""},
		} {
			got, body := e.page(tc.method, tc.path)
			if tc.want.Code == 302 && tc.method == "GET" && tc.path == "/ui" {
				got.Type = "" // net/http's choice
			}
			if tc.method == "HEAD" {
				got.Type = ""
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("token %q: %s %s (-want +got):\n%s", token, tc.method, tc.path, diff)
			}
			if !strings.Contains(body, tc.has) || tc.hasNot != "" && strings.Contains(body, tc.hasNot) {
				t.Errorf("token %q: %s %s: want %q in the body:\n%s", token, tc.method, tc.path, tc.has, body)
			}
		}

		// The overview: rows rendered on the server without a token (the
		// spec, and a red row for the broken file); none with one.
		got, body := e.page("GET", "/ui/")
		if diff := cmp.Diff(page{Code: 200, Type: html, CSP: true}, got); diff != "" {
			t.Errorf("token %q: GET /ui/ (-want +got):\n%s", token, diff)
		}
		rendered := strings.Contains(body, `data-image="web:v1"`) && strings.Contains(body, `bad.yaml:2: resources.memory: &#34;12q&#34; is not a size`)
		if token == "" && !rendered {
			t.Errorf("GET /ui/ without a token: want the rows of web:v1 and of bad.yaml:2:\n%s", body)
		}
		if token != "" && (strings.Contains(body, "web:v1") || strings.Contains(body, "bad.yaml") || !strings.Contains(body, `data-token="required"`)) {
			t.Errorf("GET /ui/ with a token shows data, or does not ask for the token:\n%s", body)
		}
		if r := e.do("GET", "/status", ""); token != "" && r.code != 401 {
			t.Errorf("GET /status without the token = %d, want 401", r.code)
		}
		metrics := e.do("GET", "/metrics", "", "Authorization", "Bearer "+token)
		if !strings.Contains(metrics.raw, `route="/ui/"`) || !strings.Contains(metrics.raw, `route="/"`) {
			t.Errorf("token %q: /metrics has no route \"/ui/\" or \"/\"", token)
		}
	}
}
