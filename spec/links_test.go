package spec_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/spec"
)

// A spec file that is a link the loader cannot follow is a broken file,
// with an error naming it, never a file that is simply gone (whose
// containers a pass would prune): a dangling link and a link loop.
func TestLoadLinksItCannotFollowAreBrokenFiles(t *testing.T) {
	for _, tc := range []struct {
		name  string
		links map[string]string // name → target
		want  map[string]string // broken file → a part of its error
	}{
		{"dangling", map[string]string{"web.yaml": "gone.yaml"}, map[string]string{"web.yaml": "cannot read: no such file or directory"}},
		{"loop", map[string]string{"a.yaml": "b.yaml", "b.yaml": "a.yaml"},
			map[string]string{"a.yaml": "cannot read: too many levels of symbolic links", "b.yaml": "cannot read: too many levels of symbolic links"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			if err := os.WriteFile(filepath.Join(root, "keep.yaml"), []byte("image: keep:v1\nresources: {}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			for name, target := range tc.links {
				if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
					t.Fatal(err)
				}
			}
			snap, err := spec.NewDir(root, spec.Options{}).Load()
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, e := range snap.Errors {
				got[e.File] = e.Error()
			}
			for file, part := range tc.want {
				if !strings.Contains(got[file], part) {
					t.Errorf("error of %s = %q, want it to say %q", file, got[file], part)
				}
			}
			var images []string
			for _, s := range snap.Specs {
				images = append(images, s.Spec.Image)
			}
			if d := cmp.Diff([]string{"keep:v1"}, images); d != "" {
				t.Errorf("specs (-want +got):\n%s", d)
			}
			if d := cmp.Diff(len(tc.want), len(snap.BrokenFiles)); d != "" {
				t.Errorf("broken files %v (-want +got):\n%s", snap.BrokenFiles, d)
			}
		})
	}
}
