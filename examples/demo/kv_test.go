package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestKV runs a session against one store: each step sees the ones before.
func TestKV(t *testing.T) {
	_, srv := newTestServer(t, config{dataDir: t.TempDir()})
	long := strings.Repeat("k", 128)
	for _, step := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"GET", "/kv/", "", 200, "[]\n"},
		{"GET", "/kv/greeting", "", 404, "no such key\n"},
		{"PUT", "/kv/greeting", "hello", 204, ""},
		{"GET", "/kv/greeting", "", 200, "hello"},
		{"PUT", "/kv/greeting", "bye\n", 204, ""}, // overwrite
		{"GET", "/kv/greeting", "", 200, "bye\n"},
		{"PUT", "/kv/empty", "", 204, ""},
		{"GET", "/kv/empty", "", 200, ""},
		// Values live apart from the counter, so this key is just a key.
		{"PUT", "/kv/.starts", "mine", 204, ""},
		{"GET", "/kv/.starts", "", 200, "mine"},
		{"GET", "/kv-starts", "", 200, "1\n"},
		{"PUT", "/kv/" + long, "x", 204, ""},
		{"PUT", "/kv/A-z_0.9", "x", 204, ""},
		{"GET", "/kv/", "", 200, `[".starts","A-z_0.9","empty","greeting","` + long + `"]` + "\n"},
		{"PUT", "/kv/" + long + "k", "x", 400, "invalid key"},
		{"PUT", "/kv/a%2Fb", "x", 400, `invalid key "a/b"`},
		{"PUT", "/kv/a%20b", "x", 400, "invalid key"},
		{"PUT", "/kv/%C3%A9", "x", 400, "invalid key"},
		{"GET", "/kv/a:b", "", 400, "invalid key"},
		{"PUT", "/kv/big", strings.Repeat("x", maxValue+1), 413, "value larger than 1048576 bytes"},
		{"GET", "/kv/big", "", 404, "no such key\n"},
		{"PUT", "/kv/max", strings.Repeat("x", maxValue), 204, ""},
		{"POST", "/kv/greeting", "x", 405, ""},
	} {
		code, got := do(t, step.method, srv.URL+step.path, step.body)
		// A success answers exactly want; an error answers a message with it.
		ok := got == step.want
		if code/100 != 2 {
			ok = strings.Contains(got, step.want)
		}
		if code != step.code || !ok {
			t.Fatalf("%s %s = %d %.80q, want %d %.80q", step.method, step.path, code, got, step.code, step.want)
		}
	}
}

func TestValidKey(t *testing.T) {
	for key, want := range map[string]bool{
		"a": true, "A-z_0.9": true, ".starts": true, "..a": true, strings.Repeat("k", 128): true,
		"": false, ".": false, "..": false, "a/b": false, "../a": false, `a\b`: false,
		"a b": false, "é": false, "a\x00": false, strings.Repeat("k", 129): false,
	} {
		if got := validKey(key); got != want {
			t.Errorf("validKey(%q) = %v, want %v", key, got, want)
		}
	}
}

// TestStoreSurvivesReplacement does in process what a container replacement
// does with a volume: a new server on the same directory sees the data, and
// counts itself as the second start.
func TestStoreSurvivesReplacement(t *testing.T) {
	dir := t.TempDir()
	_, first := newTestServer(t, config{dataDir: dir})
	mustDo(t, "PUT", first.URL+"/kv/greeting", "hello", 204)
	first.Close()

	_, second := newTestServer(t, config{dataDir: dir})
	for _, tc := range []struct{ path, want string }{
		{"/kv-starts", "2\n"},
		{"/kv/greeting", "hello"},
		{"/kv/", `["greeting"]` + "\n"},
	} {
		if got := mustDo(t, "GET", second.URL+tc.path, "", 200); got != tc.want {
			t.Errorf("second server: GET %s = %q, want %q", tc.path, got, tc.want)
		}
	}

	// Only the counter and the values: no temp file is left behind.
	var files []string
	filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		rel, _ := filepath.Rel(dir, p)
		files = append(files, rel)
		return err
	})
	if diff := cmp.Diff([]string{".", ".starts", "kv", "kv/greeting"}, files); diff != "" {
		t.Errorf("files in DATA_DIR (-want +got):\n%s", diff)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, ".starts")); string(data) != "2\n" {
		t.Errorf(".starts = %q, want %q", data, "2\n")
	}
}

func TestOpenStore(t *testing.T) {
	for _, tc := range []struct {
		desc    string
		prepare func(dir string) error
		starts  int
		wantErr string
	}{
		{"new dir", func(string) error { return nil }, 1, ""},
		{"dir created", func(dir string) error { return os.Remove(dir) }, 1, ""},
		{"counter present", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, ".starts"), []byte("41\n"), 0o644)
		}, 42, ""},
		{"counter corrupt", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, ".starts"), []byte("forty-one"), 0o644)
		}, 0, "start counter"},
		{"kv is a file", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "kv"), nil, 0o644)
		}, 0, "data dir"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			dir := t.TempDir()
			if err := tc.prepare(dir); err != nil {
				t.Fatal(err)
			}
			st, err := openStore(dir)
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("openStore = %v, want an error containing %q", err, tc.wantErr)
				}
			case err != nil:
				t.Fatalf("openStore: %v", err)
			case st.starts != tc.starts:
				t.Errorf("starts = %d, want %d", st.starts, tc.starts)
			}
		})
	}
}
