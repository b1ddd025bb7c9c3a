package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	answer := func(code int) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(code)
		}))
		t.Cleanup(srv.Close)
		return srv.URL + "/healthz"
	}
	hang := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // until the probe gives up
	}))
	t.Cleanup(hang.Close)
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()

	for _, tc := range []struct {
		desc, url string
		code      int
		want      string // the one line printed; "" when healthy
	}{
		{"200", answer(200), 0, ""},
		{"204", answer(204), 0, ""},
		{"503", answer(503), 1, "answered 503 Service Unavailable"},
		{"404", answer(404), 1, "answered 404 Not Found"},
		{"nothing listens", dead.URL, 1, "connection refused"},
		{"hangs", hang.URL, 1, "context deadline exceeded"},
		{"no scheme", "127.0.0.1:8080/healthz", 1, "is not an http(s)://host[:port]/path URL"},
		{"not http", "ftp://127.0.0.1/", 1, "is not an http(s)"},
		{"empty", "", 1, `"" is not`},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var out strings.Builder
			code := check(context.Background(), tc.url, 100*time.Millisecond, &out)
			if code != tc.code {
				t.Errorf("check(%q) = %d, want %d; output %q", tc.url, code, tc.code, out.String())
			}
			switch got := out.String(); {
			case tc.want == "" && got != "":
				t.Errorf("check(%q) printed %q, want nothing", tc.url, got)
			case tc.want != "" && (!strings.Contains(got, tc.want) || strings.Count(got, "\n") != 1 || !strings.HasSuffix(got, "\n")):
				t.Errorf("check(%q) printed %q, want one line containing %q", tc.url, got, tc.want)
			}
		})
	}
}

// TestRunCheck drives -check through the command line, as a HEALTHCHECK
// does: run returns (a server would never), and its code is the probe's.
func TestRunCheck(t *testing.T) {
	_, healthy := newTestServer(t, config{})
	s, sick := newTestServer(t, config{})
	s.sick.Store(true)
	for _, tc := range []struct {
		desc string
		args []string
		env  []string
		code int
	}{
		{"healthy", []string{"-check", healthy.URL + "/healthz"}, nil, 0},
		{"sick", []string{"-check", sick.URL + "/healthz"}, nil, 1},
		// The probe runs in the server's container, with its env and maybe
		// the same command flags: none of them may turn it into a server.
		{"with server flags and env", []string{"-name", "kv", "-port", "9000", "-check", healthy.URL + "/healthz"},
			[]string{"DATA_DIR", "/nonexistent/no", "UPSTREAM", "bad"}, 0},
		{"flags after -check", []string{"-check", sick.URL + "/healthz", "-port", "1"}, nil, 1},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var stderr strings.Builder
			if code := run(context.Background(), tc.args, env(tc.env...), &stderr); code != tc.code {
				t.Errorf("run(%q) = %d, want %d; stderr:\n%s", tc.args, code, tc.code, stderr.String())
			}
		})
	}
}
