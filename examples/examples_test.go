// Package examples holds the example state directory served by `make run`,
// and this test, which keeps it valid: examples can never rot.
package examples

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/orchestrator/orchestrator/spec"
)

func TestExamplesAreValid(t *testing.T) {
	snap, err := spec.NewDir("state", spec.Options{HostCPUs: 1}).Load()
	if err != nil {
		t.Fatalf("load examples/state: %v", err)
	}
	if len(snap.Errors) > 0 {
		t.Fatalf("examples/state has errors:\n%v", snap.Errors)
	}
	var got []string
	for _, e := range snap.Specs {
		got = append(got, e.Spec.Image+" "+e.Source.String())
	}
	want := []string{
		"orchestrator-demo:api backend.yaml:5",
		"orchestrator-demo:cache backend.yaml:21",
		"orchestrator-demo:kv kv.yaml:5",
		"orchestrator-demo:latest demo.json:2",
		"orchestrator-demo:web web.yaml:3",
		"orchestrator-demo:worker worker.yaml:3",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("example specs (-want +got):\n%s", diff)
	}
}

// Every example must run on a machine with no registry: `make run` tags the
// demo image once per example, so each must be a tag of orchestrator-demo.
func TestExamplesUseTheDemoImage(t *testing.T) {
	snap, err := spec.NewDir("state", spec.Options{}).Load()
	if err != nil {
		t.Fatal(err)
	}
	mk, err := os.ReadFile(filepath.Join("..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range snap.Specs {
		repo, tag, _ := strings.Cut(e.Spec.Image, ":")
		if repo != "orchestrator-demo" {
			t.Errorf("%s: image %q is not the demo image", e.Source, e.Spec.Image)
		}
		if !strings.Contains(string(mk), tag) {
			t.Errorf("%s: the Makefile does not tag the demo image as %q", e.Source, tag)
		}
	}
}

// Any other spec file under examples/ must be valid too. A compose file
// (examples/compose) is the input of orchestrator import, and a stack file
// (examples/swarm) is docker stack deploy's: neither is a spec.
func TestEverySpecFileUnderExamplesIsValid(t *testing.T) {
	err := filepath.WalkDir(".", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !spec.IsSpecFile(d.Name()) || isComposeFile(d.Name()) {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if _, errs := spec.Parse(p, data, spec.Options{HostCPUs: 1}); len(errs) > 0 {
			t.Errorf("%v", errs)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// isComposeFile is a name docker compose looks for, or a stack file
// (NAME.stack.yml).
func isComposeFile(name string) bool {
	switch name {
	case "compose.yml", "compose.yaml", "docker-compose.yml", "docker-compose.yaml":
		return true
	}
	return strings.HasSuffix(name, ".stack.yml") || strings.HasSuffix(name, ".stack.yaml")
}
