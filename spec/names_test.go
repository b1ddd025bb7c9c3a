package spec_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/spec"
)

// A name picks one spec on a network and in depends_on: two specs that set
// the same name, or share a derived name and a network, are both refused
// at the field, and the others stay in force.
func TestLoadRefusesAmbiguousNames(t *testing.T) {
	for _, tc := range []struct {
		name       string
		files      map[string]string
		wantSpecs  []string
		wantErrors []string
	}{{
		name: "two set the same name",
		files: map[string]string{
			"a.yaml": "image: shop/api:1\nname: api\n",
			"b.yaml": "# the other\nimage: shop/api-next:1\nname: api\n",
			"c.yaml": "image: shop/web:1\n",
		},
		wantSpecs: []string{"shop/web:1"},
		wantErrors: []string{
			`a.yaml:2: name: name "api" is also the name of shop/api-next:1 (b.yaml:2): a name reaches one spec on its networks and in depends_on`,
			`b.yaml:3: name: name "api" is also the name of shop/api:1 (a.yaml:1): a name reaches one spec on its networks and in depends_on`,
		},
	}, {
		name: "a derived name on a shared network",
		files: map[string]string{
			"a.yaml": "image: shop/web:1\nnetworks: [front]\n",
			"b.yaml": "image: other/web:2\nnetworks: [back, front]\n",
		},
		wantSpecs: []string{},
		wantErrors: []string{
			`a.yaml:1: image: name "web", derived from the image, is also the name of other/web:2 (b.yaml:1) on a shared network: set name: to tell them apart`,
			`b.yaml:1: image: name "web", derived from the image, is also the name of shop/web:1 (a.yaml:1) on a shared network: set name: to tell them apart`,
		},
	}, {
		name: "a derived name without a shared network is no one's alias",
		files: map[string]string{
			"a.yaml": "image: shop/web:1\nnetworks: [front]\n",
			"b.yaml": "image: shop/web:2\nnetworks: [back]\n",
			"c.yaml": "image: other/web:3\n",
		},
		wantSpecs:  []string{"other/web:3", "shop/web:1", "shop/web:2"},
		wantErrors: []string{},
	}, {
		name: "one set and one derived on a shared network",
		files: map[string]string{
			"a.yaml": "image: shop/web:1\nnetworks: [front]\n",
			"b.yaml": "image: shop/site:1\nname: web\nnetworks: [front]\n",
		},
		wantSpecs: []string{},
		wantErrors: []string{
			`a.yaml:1: image: name "web", derived from the image, is also the name of shop/site:1 (b.yaml:1) on a shared network: set name: to tell them apart`,
			`b.yaml:2: name: name "web" is also the name of shop/web:1 (a.yaml:1): a name reaches one spec on its networks and in depends_on`,
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for name, text := range tc.files {
				tc.files[name] = text + "resources: {cpu: 100m, memory: 32m}\n"
			}
			writeTree(t, root, tc.files)
			snap := mustLoad(t, spec.NewDir(root, testOpts))
			if diff := cmp.Diff(tc.wantSpecs, images(snap)); diff != "" {
				t.Errorf("specs in force (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantErrors, errorTexts(snap)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			for _, e := range snap.Errors {
				if _, ok := snap.Conflicts[mustImageAt(t, snap, e.File)]; !ok {
					t.Errorf("%s: its spec is not a conflict (kept as last loaded)", e.File)
				}
			}
		})
	}
}

// mustImageAt is the image named in a file of the snapshot.
func mustImageAt(t *testing.T, snap *spec.Snapshot, file string) string {
	t.Helper()
	for image, srcs := range snap.Found {
		for _, s := range srcs {
			if s.File == file {
				return image
			}
		}
	}
	t.Fatalf("no image found in %s", file)
	return ""
}

// A write that would make a name ambiguous is refused at the field, and
// writes nothing.
func TestPutRefusesAnAmbiguousName(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"api.yaml": "image: shop/api:1\nname: api\nresources: {cpu: 100m, memory: 32m}\n"})
	d := spec.NewDir(root, testOpts)
	before := listTree(t, root)
	s := spec.New("shop/api-next:1")
	s.Name = "api"
	_, err := d.Put(s, "")
	want := `name: name "api" is also the name of shop/api:1 (api.yaml:1): a name reaches one spec on its networks and in depends_on`
	if err == nil || err.Error() != want {
		t.Errorf("Put: got %v, want %s", err, want)
	}
	if diff := cmp.Diff(before, listTree(t, root)); diff != "" {
		t.Errorf("files (-before +after):\n%s", diff)
	}
	s.Name = "api-next"
	if _, err := d.Put(s, ""); err != nil {
		t.Errorf("Put with a name of its own: %v", err)
	}
}
