package reconciler_test

import (
	"os"
	"path/filepath"
	"testing"
)

// A spec file replaced by a dangling link is a file that cannot be read,
// not a spec deleted: its containers stay, and the error names the file.
func TestDanglingLinkKeepsItsContainers(t *testing.T) {
	w := newWorld(t, "web:v1")
	w.write("web.yaml", "image: web:v1\nmin_replicas: 2\nmax_replicas: 2\nresources: {}\n")
	w.converge()
	before := w.containers("web:v1")
	w.remove("web.yaml")
	if err := os.Symlink(filepath.Join(w.root, "gone.yaml"), filepath.Join(w.root, "web.yaml")); err != nil {
		t.Fatal(err)
	}
	w.converge()
	diff(t, "containers", before, w.containers("web:v1"))
	diff(t, "errors", []string{"web.yaml: cannot read: no such file or directory"}, w.r.Errors())
}
