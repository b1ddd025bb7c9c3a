package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

func TestDefaultInstance(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"a/state", "b/state", "real"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(root, "real"), filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "real", "state"), 0o755); err != nil {
		t.Fatal(err)
	}
	inst := func(dir string) string {
		t.Helper()
		got, err := defaultInstance(filepath.Join(root, dir))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	a, b := inst("a/state"), inst("b/state")
	if !strings.HasPrefix(a, "state-") || len(a) != len("state-")+8 {
		t.Errorf("instance %q, want state-<8 hex>", a)
	}
	if a == b {
		t.Errorf("two directories share the instance %q", a)
	}
	if again := inst("a/state/"); again != a {
		t.Errorf("the same directory gave %q and %q", a, again)
	}
	if viaLink, real := inst("link/state"), inst("real/state"); viaLink != real {
		t.Errorf("a path through a symlinked parent gave %q, the real path %q", viaLink, real)
	}
}

// withDefaultInstance runs serve as a user does, without --instance.
func withDefaultInstance() serverOpt {
	return func(f *serveFlags, _ *app) { f.instance, f.instanceSet = "", false }
}

// Two serves on two state directories, with the same image and no
// --instance, converge side by side and never remove each other's
// containers; a second serve of the same directory is refused.
func TestServeTwoDirectoriesLeaveEachOtherAlone(t *testing.T) {
	image := rt.BuildTestImage(t, keepImage)
	rt.RequireDocker(t)
	dirs := []string{dirWithKeep(t), dirWithKeep(t)}
	var insts []string
	for _, dir := range dirs {
		inst, err := defaultInstance(dir)
		if err != nil {
			t.Fatal(err)
		}
		rt.CleanupInstance(t, inst)
		insts = append(insts, inst)
		writeFile(t, dir, "app.yaml", specText(image, "min_replicas: 2"))
	}
	for _, dir := range dirs {
		startServer(t, dir, "", withDefaultInstance())
	}
	var before [][]string
	for _, inst := range insts {
		waitFor(t, inst, image, 60*time.Second, inst+": 2 running", exactly(2))
		waitFor(t, inst, keepImage, 60*time.Second, inst+": keep running", exactly(1))
		before = append(before, ids(containers(t, inst)))
	}

	// 30 s side by side. The engine bounds the window: docker events with
	// --until in the future streams until then and returns.
	start := time.Now()
	// --since to the nanosecond: whole seconds would take in the creates
	// that converged the two serves in the second before the window.
	since := fmt.Sprintf("%d.%09d", start.Unix(), start.Nanosecond())
	out := rt.Docker(t, "events", "--since", since, "--until", strconv.FormatInt(start.Add(30*time.Second).Unix(), 10),
		"--filter", "type=container", "--filter", "label=orchestrator.managed-by=orchestrator", "--filter", "label=orchestrator.image="+image,
		"--filter", "event=create", "--filter", "event=kill", "--filter", "event=die", "--filter", "event=destroy",
		"--format", `{{.Action}} {{index .Actor.Attributes "name"}} {{index .Actor.Attributes "orchestrator.instance"}}`)
	// Only the two serves' containers count: other tests (and CI beside
	// a developer's) run the same image under instances of their own.
	var changed []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 3 && slices.Contains(insts, f[2]) {
			changed = append(changed, line)
		}
	}
	if len(changed) > 0 {
		t.Errorf("containers changed while the two serves ran side by side:\n%s", strings.Join(changed, "\n"))
	}
	for i, inst := range insts {
		if diff := cmp.Diff(before[i], ids(containers(t, inst))); diff != "" {
			t.Errorf("%s: containers after 30 s (-before +after):\n%s", inst, diff)
		}
	}

	// A second serve of a served directory stops at once, with or without
	// an instance of its own, and touches nothing.
	for _, f := range []serveFlags{
		{addr: freeAddr(t)},
		{addr: freeAddr(t), instance: "another", instanceSet: true},
	} {
		a := newApp(nil, io.Discard, io.Discard, func(string) string { return "" })
		a.dir = dirs[0]
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := a.serve(ctx, f, slog.New(slog.DiscardHandler))
		cancel()
		if !errors.Is(err, errServed) || !strings.Contains(err.Error(), "is already served by another orchestrator on this host") ||
			!strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
			t.Errorf("second serve of %s (instance %q): %v, want refused, naming the first", dirs[0], f.instance, err)
		}
	}
	for i, inst := range insts {
		if diff := cmp.Diff(before[i], ids(containers(t, inst))); diff != "" {
			t.Errorf("%s: containers after the refused serves (-before +after):\n%s", inst, diff)
		}
	}
}

// down removes the containers of one directory's serve, and no other's;
// while that serve runs, it refuses.
func TestDown(t *testing.T) {
	image := rt.BuildTestImage(t, keepImage)
	rt.RequireDocker(t)
	dir, other := dirWithKeep(t), dirWithKeep(t)
	var insts []string
	for _, d := range []string{dir, other} {
		inst, err := defaultInstance(d)
		if err != nil {
			t.Fatal(err)
		}
		rt.CleanupInstance(t, inst)
		insts = append(insts, inst)
		writeFile(t, d, "app.yaml", specText(image, "min_replicas: 2"))
	}
	s := startServer(t, dir, "", withDefaultInstance())
	startServer(t, other, "", withDefaultInstance())
	for _, inst := range insts {
		waitFor(t, inst, image, 60*time.Second, inst+": 2 running", exactly(2))
	}
	got := orch(t, "down", "--dir", dir)
	if got.Code != 1 || !strings.Contains(got.Stderr, "is already served by another orchestrator on this host") || !strings.Contains(got.Stderr, "stop serve first") {
		t.Errorf("down while serve runs = %+v, want refused", got)
	}
	s.stop()
	var want []string // names may skip to slot 101: the other serve has the same image
	for _, c := range containers(t, insts[0]) {
		want = append(want, c.Name+" removed")
	}
	got = orch(t, "down", "--dir", dir)
	lines := strings.Split(strings.TrimSuffix(got.Stdout, "\n"), "\n")
	sort.Strings(lines) // removed a few at a time
	if diff := cmp.Diff(want, lines); got.Code != 0 || len(want) != 3 || diff != "" {
		t.Errorf("down = %+v; lines (-want +got):\n%s", got, diff)
	}
	if cs := containers(t, insts[0]); len(cs) != 0 {
		t.Errorf("containers after down: %s", summary(cs))
	}
	waitFor(t, insts[1], image, 10*time.Second, "the other directory's untouched", exactly(2))
	checkResult(t, result{0, "", fmt.Sprintf("no containers of instance %q\n", insts[0])}, orch(t, "down", "--dir", dir))
}
