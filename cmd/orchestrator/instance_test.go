package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
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
	return func(f *serveFlags) { f.instance, f.instanceSet = "", false }
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
	out := rt.Docker(t, "events", "--since", strconv.FormatInt(start.Unix(), 10), "--until", strconv.FormatInt(start.Add(30*time.Second).Unix(), 10),
		"--filter", "type=container", "--filter", "label=orchestrator.managed-by=orchestrator", "--filter", "label=orchestrator.image="+image,
		"--filter", "event=create", "--filter", "event=kill", "--filter", "event=die", "--filter", "event=destroy",
		"--format", `{{.Action}} {{index .Actor.Attributes "name"}} {{index .Actor.Attributes "orchestrator.instance"}}`)
	if out != "" {
		t.Errorf("containers changed while the two serves ran side by side:\n%s", out)
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
