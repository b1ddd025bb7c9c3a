package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// env is a fake os.Getenv.
func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		desc string
		args []string
		env  []string
		want config
	}{
		{"defaults", nil, nil, config{port: "8080"}},
		{"env", nil, []string{"PORT", "9000", "NAME", "api", "UPSTREAM", "http://kv:9000", "DATA_DIR", "/data"},
			config{port: "9000", name: "api", upstream: "http://kv:9000", dataDir: "/data"}},
		{"flags override env", []string{"-name", "kv", "-port", "9001"}, []string{"PORT", "9000", "NAME", "api"},
			config{port: "9001", name: "kv"}},
		{"double-dash flags", []string{"--port=9001"}, nil, config{port: "9001"}},
		{"an empty -name still overrides", []string{"-name", ""}, []string{"NAME", "api"}, config{port: "8080"}},
		{"flag not given keeps env", []string{"-port", "9001"}, []string{"NAME", "api"}, config{port: "9001", name: "api"}},
		{"upstream trailing slash", nil, []string{"UPSTREAM", "http://api:8080/"}, config{port: "8080", upstream: "http://api:8080"}},
		{"upstream with path", nil, []string{"UPSTREAM", "https://api/v1/"}, config{port: "8080", upstream: "https://api/v1"}},
		{"check", []string{"-check", "http://127.0.0.1:8080/healthz"}, nil,
			config{port: "8080", check: true, checkURL: "http://127.0.0.1:8080/healthz"}},
		// A probe must not fail on what only the server needs.
		{"check ignores a bad PORT", []string{"-check", "http://x/"}, []string{"PORT", "nope"},
			config{port: "nope", check: true, checkURL: "http://x/"}},
		{"empty check URL is still check mode", []string{"-check", ""}, nil, config{port: "8080", check: true}},
		{"SICK starts sick", nil, []string{"SICK", "1"}, config{port: "8080", sick: true}},
		{"SICK false is well", nil, []string{"SICK", "false"}, config{port: "8080"}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var stderr strings.Builder
			got, err := parseConfig(tc.args, env(tc.env...), &stderr)
			if err != nil {
				t.Fatalf("parseConfig(%q) = %v; stderr:\n%s", tc.args, err, stderr.String())
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(config{})); diff != "" {
				t.Errorf("parseConfig(%q) (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}

// TestRunUsage checks what a wrong command line does: exit 2 with a message
// saying what is wrong, before any server starts.
func TestRunUsage(t *testing.T) {
	for _, tc := range []struct {
		desc  string
		args  []string
		env   []string
		code  int
		wants []string // in stderr
	}{
		{"unknown flag", []string{"-bogus"}, nil, 2, []string{"flag provided but not defined: -bogus", "usage: demo", "-port N"}},
		{"missing value", []string{"-port"}, nil, 2, []string{"flag needs an argument: -port", "usage: demo"}},
		{"positional argument", []string{"-name", "kv", "serve"}, nil, 2, []string{`unexpected argument "serve"`, "usage: demo"}},
		{"bad -port", []string{"-port", "http"}, nil, 2, []string{`port "http" is not a TCP port number`}},
		{"port out of range", []string{"-port", "65536"}, nil, 2, []string{`port "65536"`}},
		{"bad PORT", nil, []string{"PORT", "x"}, 2, []string{`port "x"`}},
		{"UPSTREAM without scheme", nil, []string{"UPSTREAM", "api:8080"}, 2, []string{`UPSTREAM "api:8080" is not an http(s)://host[:port] URL`}},
		{"UPSTREAM without host", nil, []string{"UPSTREAM", "http:///chain"}, 2, []string{"UPSTREAM"}},
		{"bad SICK", nil, []string{"SICK", "maybe"}, 2, []string{`SICK "maybe" is not true or false`}},
		{"help", []string{"-h"}, nil, 0, []string{"usage: demo", "-check URL", "environment: PORT"}},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			var stderr strings.Builder
			code := run(context.Background(), tc.args, env(tc.env...), &stderr)
			if code != tc.code {
				t.Errorf("run(%q) = %d, want %d; stderr:\n%s", tc.args, code, tc.code, stderr.String())
			}
			for _, want := range tc.wants {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("run(%q) stderr does not contain %q:\n%s", tc.args, want, stderr.String())
				}
			}
		})
	}
}

// TestRunServeFails checks that a server that cannot start exits 1 and says
// why: here a DATA_DIR that is a file.
func TestRunServeFails(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	if code := run(context.Background(), nil, env("DATA_DIR", file), &stderr); code != 1 {
		t.Errorf("run with DATA_DIR=%s = %d, want 1; stderr:\n%s", file, code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "data dir") {
		t.Errorf("stderr does not say the data dir failed:\n%s", stderr.String())
	}
}

// A graceful stop leaves a marker named after the hostname; the server
// returns once it has shut down.
func TestServeLeavesAStopMarker(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, config{port: port, stopMarkers: dir}, slog.New(slog.DiscardHandler))
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://127.0.0.1:" + port + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not serving: %v", err)
		}
		time.Sleep(10 * time.Millisecond) // poll interval, bounded by the deadline
	}
	cancel() // what SIGTERM does
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	if _, err := os.Stat(filepath.Join(dir, host)); err != nil {
		t.Errorf("no stop marker: %v", err)
	}
}
