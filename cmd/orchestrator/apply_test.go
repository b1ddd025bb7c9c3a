package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The acceptance test of apply: all or nothing, then idempotent.
func TestApplyAllOrNothing(t *testing.T) {
	inTempDir(t)
	writeFiles(t, map[string]string{
		"in/web.yaml":    webYAML,
		"in/multi.yml":   multiYAML,
		"in/bad.yaml":    badYAML,
		"state/old.yaml": workerYAML,
	})
	before := readTree(t, "state")

	// One bad document among good ones: every error, and no file written.
	got := orch(t, "apply", "-f", "in/web.yaml", "-f", "in/bad.yaml", "-f", "in/multi.yml", "--dir", "state")
	checkResult(t, result{1, "", badErrors + "error: 3 errors in the input: nothing was applied\n"}, got)
	if diff := cmp.Diff(before, readTree(t, "state")); diff != "" {
		t.Fatalf("state changed by a failed apply (-before +after):\n%s", diff)
	}

	// A good input, with a multi-document file: one line per spec, in input order.
	args := []string{"apply", "-f", "in/web.yaml", "-f", "in/multi.yml", "-f", "-", "--dir", "state"}
	got = cli(t, nil, workerYAML, args...)
	checkResult(t, result{0, "shop/web:1.0 created\nshop/api:2 created\nshop/cache:7 created\nshop/worker:1.0 unchanged\n", ""}, got)
	first := readTree(t, "state")
	var names []string
	for name := range first {
		names = append(names, name)
	}
	slices.Sort(names)
	want := []string{"old.yaml", "shop_api_2.yaml", "shop_cache_7.yaml", "shop_web_1.0.yaml"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}

	// The same input again: unchanged, byte for byte.
	got = cli(t, nil, workerYAML, args...)
	checkResult(t, result{0, "shop/web:1.0 unchanged\nshop/api:2 unchanged\nshop/cache:7 unchanged\nshop/worker:1.0 unchanged\n", ""}, got)
	if diff := cmp.Diff(first, readTree(t, "state")); diff != "" {
		t.Errorf("second apply changed files (-first +second):\n%s", diff)
	}
}

// A changed spec is edited in place: one line of a hand-written
// multi-document file changes, and its comments and other documents stay.
func TestApplyEditsInPlace(t *testing.T) {
	inTempDir(t)
	writeFiles(t, map[string]string{
		"state/shop.yaml": multiYAML,
		"in/api.yaml":     strings.Replace(multiYAML[:strings.Index(multiYAML, "---")], "max_replicas: 3", "max_replicas: 5", 1),
	})
	checkResult(t, result{0, "shop/api:2 configured\n", ""}, orch(t, "apply", "-f", "in/api.yaml", "--dir", "state"))
	want := map[string]string{"shop.yaml": strings.Replace(multiYAML, "max_replicas: 3", "max_replicas: 5", 1)}
	if diff := cmp.Diff(want, readTree(t, "state")); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
}

// Problems in the state directory also stop apply before any write.
func TestApplyStateProblems(t *testing.T) {
	input := "image: shop/web:1.0\nresources: {cpu: \"1\"}\n---\n" +
		"image: shop/worker:1.0\nresources: {cpu: \"1\"}\n---\n" +
		"image: shop/new:1\nresources: {cpu: \"1\"}\n"
	inTempDir(t)
	writeFiles(t, map[string]string{
		"in/x.yaml":    input,
		"state/a.yaml": "image: shop/web:1.0\nresources: {cpu: \"1\"}\n",
		"state/b.yaml": "image: shop/web:1.0\nresources: {cpu: \"2\"}\n",
		"state/w.yaml": "image: shop/worker:1.0\nresources: {memory: 12q}\n",
	})
	before := readTree(t, "state")
	for _, args := range [][]string{
		{"apply", "-f", "in/x.yaml", "--dir", "state"},
		{"apply", "-f", "in/x.yaml", "--dir", "state", "--dry-run"},
	} {
		got := orch(t, args...)
		checkResult(t, result{1, "", `in/x.yaml:1: shop/web:1.0: defined more than once in the state directory, at state/a.yaml:1, state/b.yaml:1: fix that first
in/x.yaml:4: shop/worker:1.0: its document in the state directory has errors, fix them first:
state/w.yaml:2: resources.memory: "12q" is not a size (use e.g. 256m, 1g)
error: 2 specs cannot be written to state: nothing was applied
`}, got)
	}
	if diff := cmp.Diff(before, readTree(t, "state")); diff != "" {
		t.Errorf("state changed (-before +after):\n%s", diff)
	}

	got := orch(t, "apply", "-f", "in/x.yaml", "--dir", "nostate")
	checkResult(t, result{1, "", "error: state directory root missing or unreadable: nostate: no such file or directory (create the directory first)\n"}, got)
	if _, err := os.Stat("nostate"); !os.IsNotExist(err) {
		t.Errorf("apply created the missing state directory: %v", err)
	}
}

func TestApplyDryRun(t *testing.T) {
	inTempDir(t)
	writeFiles(t, map[string]string{
		"in/web.yaml":   webYAML,
		"in/multi.yaml": multiYAML,
		"state/w.yaml":  strings.Replace(webYAML, "min_replicas: 2", "min_replicas: 1", 1),
	})
	before := readTree(t, "state")
	got := orch(t, "apply", "-f", "in", "--dir", "state", "--dry-run")
	checkResult(t, result{0, "shop/api:2 created (dry run)\nshop/cache:7 created (dry run)\nshop/web:1.0 configured (dry run)\n", ""}, got)
	if diff := cmp.Diff(before, readTree(t, "state")); diff != "" {
		t.Errorf("a dry run changed the state (-before +after):\n%s", diff)
	}
}

// An image that would name a file outside the state directory is refused
// (by validation already), and nothing is written anywhere.
func TestApplyUnsafeImage(t *testing.T) {
	inTempDir(t)
	mkdir(t, "state")
	for _, image := range []string{"../evil:1", "/abs/path:1", "a/../../b:1"} {
		got := cli(t, nil, "image: "+image+"\nresources: {cpu: \"1\"}\n", "apply", "-f", "-", "--dir", "state")
		if got.Code != 1 || got.Stdout != "" || !strings.HasPrefix(got.Stderr, "<stdin>:1: image: ") {
			t.Errorf("apply of %q: %+v", image, got)
		}
	}
	if tree := readTree(t, "."); len(tree) != 0 {
		t.Errorf("files written: %v", tree)
	}
}

// fakeImages is an engine's image store for apply's check.
type fakeImages map[string]bool

func (f fakeImages) HasImage(_ context.Context, image string) (bool, error) { return f[image], nil }

// apply of an image the engine does not have writes the spec (the file is
// the desired state) and warns, with --dir from this machine's engine and
// through a server from the server's.
func TestApplyWarnsOfAMissingImage(t *testing.T) {
	inTempDir(t)
	mkdir(t, "state")
	writeFiles(t, map[string]string{
		"in/web.yaml":   "image: shop/web:1.0\nresources: {}\n",
		"in/ghost.yaml": "image: shop/ghost:1\nresources: {}\n",
	})
	warning := "warning: shop/ghost:1: image not present on the engine: serve will try to pull it, and the spec fails until it can\n"
	checkResult(t, result{0, "shop/ghost:1 created\nshop/web:1.0 created\n", warning},
		cliWith(t, fakeImages{"shop/web:1.0": true}, nil, "", "apply", "-f", "in", "--dir", "state"))
	if _, err := os.Stat("state/shop_ghost_1.yaml"); err != nil {
		t.Errorf("the spec of the missing image was not written: %v", err)
	}

	s := startAPI(t, "")
	warning = "warning: shop/ghost:1: image not present on the engine: serve will try to pull it, and the spec fails until it can\n"
	checkResult(t, result{0, "shop/ghost:1 created\nshop/web:1.0 created\n", warning}, s.orch(t, "apply", "-f", "in"))
	if _, err := os.Stat(filepath.Join(s.dir, "shop_ghost_1.yaml")); err != nil {
		t.Errorf("the server did not write the spec of the missing image: %v", err)
	}
}
