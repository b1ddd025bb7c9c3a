package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --token-file takes the API's token from a file (a Docker secret); a
// missing or empty file, or a second source beside it, stops serve before
// it binds, naming the flag and the file and never a token.
func TestServeTokenFileRefusals(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	good := filepath.Join(dir, "token")
	if err := os.WriteFile(empty, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(good, []byte("s3cret-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"missing file", []string{"--token-file", filepath.Join(dir, "nope")}, "--token-file: open " + filepath.Join(dir, "nope")},
		{"empty file", []string{"--token-file", empty}, "--token-file " + empty + " is empty"},
		{"two sources", []string{"--token-file", good, "--token", "other"}, "--token and --token-file are two sources of one token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := orch(t, append([]string{"serve", "--dir", dir, "--addr", "0.0.0.0:0"}, tc.args...)...)
			if r.Code == 0 || !strings.Contains(r.Stderr, tc.want) || strings.Contains(r.Stderr, "s3cret") {
				t.Errorf("serve %s = %d %q, want a refusal saying %q and no token", strings.Join(tc.args, " "), r.Code, r.Stderr, tc.want)
			}
		})
	}
}
