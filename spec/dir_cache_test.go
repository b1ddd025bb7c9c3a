package spec

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadReusesOnlyUnchangedFiles(t *testing.T) {
	root := t.TempDir()
	path := filepath.Join(root, "app.yaml")
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := NewDir(root, Options{HostCPUs: 2})
	load := func() *Snapshot {
		t.Helper()
		snap, err := dir.Load()
		if err != nil {
			t.Fatal(err)
		}
		return snap
	}

	write("image: app:1\nmin_replicas: 2\nenv: {A: x}\nautoscale: {target_cpu_percent: 50}\nresources: {}\n")
	first := load()
	if len(first.Specs) != 1 {
		t.Fatalf("specs %v, errors %v", first.Specs, first.Errors)
	}
	// What a caller does with its snapshot never reaches the next one.
	first.Specs[0].Spec.Env["A"] = "changed"
	*first.Specs[0].Spec.Autoscale.TargetCPUPercent = 99
	again := load()
	if diff := cmp.Diff(map[string]string{"A": "x"}, again.Specs[0].Spec.Env); diff != "" {
		t.Errorf("env after a caller changed its copy (-want +got):\n%s", diff)
	}
	if got := *again.Specs[0].Spec.Autoscale.TargetCPUPercent; got != 50 {
		t.Errorf("target_cpu_percent = %d, want 50", got)
	}

	// Same size, same second: new bytes are parsed again.
	write("image: app:1\nmin_replicas: 3\nenv: {A: x}\nautoscale: {target_cpu_percent: 50}\nresources: {}\n")
	if got := load().Specs[0].Spec.MinReplicas; got != 3 {
		t.Errorf("min_replicas after the edit = %d, want 3", got)
	}

	// A broken file's errors are copies too, and a fixed file is seen.
	write("image: app:1\nmin_replicas: -1\nresources: {}\n")
	broken := load()
	if len(broken.Errors) != 1 {
		t.Fatalf("errors = %v, want 1", broken.Errors)
	}
	if len(broken.Errors[0].Loc) == 0 {
		t.Fatalf("error %+v has no loc", broken.Errors[0])
	}
	broken.Errors[0].Msg = "changed"
	broken.Errors[0].Loc[0] = "changed"
	if e := load().Errors[0]; e.Msg == "changed" || e.Loc[0] == "changed" {
		t.Errorf("a caller's change of an error reached the next load: %+v", e)
	}
	write("image: app:1\nresources: {}\n")
	if snap := load(); len(snap.Errors) != 0 || len(snap.Specs) != 1 {
		t.Errorf("after the fix: %d errors, %d specs", len(snap.Errors), len(snap.Specs))
	}

	// A removed file is forgotten.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	load()
	if n := len(dir.cache.files); n != 0 {
		t.Errorf("cache holds %d files after the only one was removed", n)
	}
}

func TestLoadParsesAgainWhenOptionsChange(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "app.yaml"), []byte("image: app:1\nresources: {cpu: \"3\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := NewDir(root, Options{HostCPUs: 4})
	if snap, err := dir.Load(); err != nil || len(snap.Errors) != 0 {
		t.Fatalf("4 CPUs: %v, %v", snap.Errors, err)
	}
	dir.Options.HostCPUs = 2
	if snap, err := dir.Load(); err != nil || len(snap.Errors) != 1 {
		t.Errorf("2 CPUs: errors %v (%v), want the cpu bound", snap.Errors, err)
	}
}
