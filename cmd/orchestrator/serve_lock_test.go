package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestMain gives the test binary a runtime directory of its own: the serve
// locks of its many temp directories go there, and with it.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "orchestrator-test-run-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("XDG_RUNTIME_DIR", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// One serve per state directory and per instance: a second lock of either
// is refused, also through a symlinked path, and names the holder.
func TestLockServe(t *testing.T) {
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	for _, d := range []string{a, b} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(root, "link")
	if err := os.Symlink(a, link); err != nil {
		t.Fatal(err)
	}
	release, err := lockServe(a, "team-a")
	if err != nil {
		t.Fatal(err)
	}
	pid := "pid " + strconv.Itoa(os.Getpid())
	for _, tt := range []struct {
		name, dir, instance, want string
	}{
		{"the same directory", a, "team-b", "the state directory " + a + " is already served"},
		{"the same directory through a symlink", link, "team-b", "the state directory " + a + " is already served"},
		{"the same instance", b, "team-a", `the instance "team-a" is already served`},
	} {
		_, err := lockServe(tt.dir, tt.instance)
		if !errors.Is(err, errServed) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), pid) {
			t.Errorf("%s: %v, want refused (%s, %s)", tt.name, err, tt.want, pid)
		}
	}
	if _, err := lockServe(a, "team-b"); err == nil || strings.Contains(err.Error(), "--instance") {
		t.Errorf("the directory's refusal suggests --instance, which cannot help: %v", err)
	}
	other, err := lockServe(b, "team-b")
	if err != nil {
		t.Errorf("another directory and instance: %v", err)
	} else {
		other()
	}
	release()
	again, err := lockServe(a, "team-a")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again()
}

// The lock directory must be this user's own: in a shared /tmp another
// user could make it first, or plant a link where a lock file goes.
func TestLockServeRefusesAForeignLockDirectory(t *testing.T) {
	run := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", run)
	dir := t.TempDir()
	lockDir := filepath.Join(run, "orchestrator")
	if err := os.Mkdir(lockDir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(lockDir, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := lockServe(dir, "x"); err == nil || !strings.Contains(err.Error(), "is not this user's own with mode 0700") {
		t.Errorf("a lock directory others may write: %v, want refused", err)
	}
	if err := os.Chmod(lockDir, 0o700); err != nil {
		t.Fatal(err)
	}
	// A link planted where the instance's lock file goes is never followed.
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("instance-x"))
	if err := os.Symlink(victim, filepath.Join(lockDir, hex.EncodeToString(sum[:8])+".lock")); err != nil {
		t.Fatal(err)
	}
	if _, err := lockServe(dir, "x"); err == nil {
		t.Errorf("a lock file that is a link was followed")
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep me" {
		t.Errorf("the link's target was written: %q", b)
	}
}
