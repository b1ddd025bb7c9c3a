package spec_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/spec"
)

// testOpts pins the host CPUs so that cpu limits validate the same on every machine.
var testOpts = spec.Options{HostCPUs: 8}

// writeTree writes files (slash-separated paths relative to root) under root.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for rel, text := range files {
		full := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustLoad(t *testing.T, d *spec.Dir) *spec.Snapshot {
	t.Helper()
	snap, err := d.Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return snap
}

func mustGet(t *testing.T, snap *spec.Snapshot, image string) spec.Entry {
	t.Helper()
	e, ok := snap.Get(image)
	if !ok {
		t.Fatalf("no valid spec for %q; errors:\n%v", image, snap.Errors)
	}
	return e
}

// images lists the images of a snapshot's valid specs.
func images(snap *spec.Snapshot) []string {
	out := []string{}
	for _, e := range snap.Specs {
		out = append(out, e.Spec.Image)
	}
	return out
}

// errorTexts prints a snapshot's errors, one string each.
func errorTexts(snap *spec.Snapshot) []string {
	out := []string{}
	for _, e := range snap.Errors {
		out = append(out, e.Error())
	}
	return out
}

// prefixWildcard lets a wanted string ending in "*" match any string with
// that prefix.
var prefixWildcard = cmp.Comparer(func(a, b string) bool {
	if strings.HasSuffix(a, "*") && strings.HasPrefix(b, a[:len(a)-1]) || strings.HasSuffix(b, "*") && strings.HasPrefix(a, b[:len(b)-1]) {
		return true
	}
	return a == b
})

// listTree is every path under root (relative, slash-separated), not
// following symlinks: what a test compares before and after a write.
func listTree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

const (
	webYAML = "image: web:1\nresources:\n  cpu: 250m\n  memory: 64m\n"
	apiYAML = "image: api:1\nmax_replicas: 2\nresources: {cpu: \"1\", memory: 128m}\n"
)

func TestLoadReadsTheStateDirectory(t *testing.T) {
	tests := []struct {
		name   string
		files  map[string]string
		images []string
		errors []string
		broken []string
	}{
		{
			name:   "empty directory",
			images: []string{},
			errors: []string{},
		},
		{
			name: "empty and comment-only files hold no specs and are no error",
			files: map[string]string{
				"empty.yaml":    "",
				"blank.yml":     "\n\n   \n",
				"comments.yaml": "# nothing here yet\n\n# still nothing\n",
				"seps.yaml":     "---\n# a comment\n---\n",
				"empty.json":    "",
				"web.yaml":      webYAML,
			},
			images: []string{"web:1"},
			errors: []string{},
		},
		{
			name: "recursive subdirectories and every extension",
			files: map[string]string{
				"web.yaml":           webYAML,
				"a/b/c/api.yml":      apiYAML,
				"a/db.json":          `{"image": "db:1", "resources": {"cpu": "0.5"}}`,
				"a/b/UPPER.YAML":     "image: upper:1\nresources: {memory: 6Mi}\n",
				"deep/er/still.yaml": "image: deep:1\nresources: {memory: 1g}\n",
			},
			images: []string{"api:1", "db:1", "deep:1", "upper:1", "web:1"},
			errors: []string{},
		},
		{
			name: "dotfiles, dot-dirs, editor temp files and other extensions are ignored",
			files: map[string]string{
				"web.yaml":               webYAML,
				".hidden.yaml":           "image: hidden:1\nresources: {cpu: \"1\"}\n",
				".git/config.yaml":       "not: [valid",
				".git/objects/x.yaml":    "image: git:1\n",
				".orchestrator-123.tmp":  "half written",
				"web.yaml~":              "image: backup:1\n",
				"web.yaml.swp":           "\x00\x01binary",
				".web.yaml.swp":          "\x00\x01binary",
				"web.swx":                "x",
				"#web.yaml#":             "image: emacs:1\n",
				"4913":                   "vim probe",
				"README.md":              "# the state directory\n",
				"notes.txt":              "image: notes:1\n",
				"web.yaml.bak":           "image: bak:1\n",
				"sub/.cache/spec.yaml":   "image: cache:1\n",
				"sub/api.yaml":           apiYAML,
				"sub/api.yaml~":          "broken: [",
				"sub/#api.yaml#":         "broken: [",
				"sub/4913":               "",
				"sub/kustomization.toml": "x = 1",
			},
			images: []string{"api:1", "web:1"},
			errors: []string{},
		},
		{
			name: "a broken file next to good ones",
			files: map[string]string{
				"web.yaml":        webYAML,
				"sub/api.yaml":    apiYAML,
				"sub/broken.yaml": "image: broken:1\nresources:\n  memory: 12q\n",
				"syntax.yaml":     "image: syntax:1\nresources: {cpu: [\n",
			},
			images: []string{"api:1", "web:1"},
			errors: []string{
				`sub/broken.yaml:3: resources.memory: "12q" is not a size (use e.g. 256m, 1g)`,
				"syntax.yaml:2: invalid YAML: *", // the wording is the YAML parser's
			},
			broken: []string{"sub/broken.yaml", "syntax.yaml"},
		},
		{
			name: "one bad document keeps every spec of its file out",
			files: map[string]string{
				"web.yaml":  webYAML,
				"pair.yaml": apiYAML + "---\nimage: bad:1\nresources: {cpu: \"1\"}\nfoo: bar\n",
			},
			images: []string{"web:1"},
			errors: []string{"pair.yaml:7: foo: unknown field*"},
			broken: []string{"pair.yaml"},
		},
		{
			name: "the same image in two files",
			files: map[string]string{
				"web.yaml":       webYAML,
				"other/web.yaml": "# copied by mistake\nimage: web:1\nresources: {cpu: \"1\"}\n",
				"api.yaml":       apiYAML,
			},
			images: []string{"api:1"},
			errors: []string{
				`other/web.yaml:2: image: "web:1" is also defined at web.yaml:1`,
				`web.yaml:1: image: "web:1" is also defined at other/web.yaml:2`,
			},
		},
		{
			name: "the same image twice in one file",
			files: map[string]string{
				"web.yaml": webYAML + "---\n" + webYAML,
			},
			images: []string{},
			errors: []string{
				`web.yaml:1: image: "web:1" is also defined at web.yaml:6`,
				`web.yaml:6: image: "web:1" is also defined at web.yaml:1`,
			},
		},
		{
			name: "an invalid document still conflicts with a valid one",
			files: map[string]string{
				"web.yaml": webYAML,
				"bad.yaml": "image: web:1\nresources: {cpu: \"1\"}\nmin_replicas: -1\n",
			},
			images: []string{},
			errors: []string{
				"bad.yaml:1: image: \"web:1\" is also defined at web.yaml:1",
				"bad.yaml:3: min_replicas: *",
				"web.yaml:1: image: \"web:1\" is also defined at bad.yaml:1",
			},
			broken: []string{"bad.yaml"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, tt.files)
			snap := mustLoad(t, spec.NewDir(root, testOpts))
			if diff := cmp.Diff(tt.images, images(snap)); diff != "" {
				t.Errorf("images (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.errors, errorTexts(snap), prefixWildcard); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.broken, snap.BrokenFiles); diff != "" {
				t.Errorf("broken files (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadReportsConflictsWithEveryPlace(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"a.yaml":     webYAML,
		"b/web.yaml": "---\n# again\n" + webYAML,
		"api.yaml":   apiYAML,
	})
	snap := mustLoad(t, spec.NewDir(root, testOpts))
	want := map[string][]spec.Source{"web:1": {
		{File: "a.yaml", Line: 1, Index: 0},
		{File: "b/web.yaml", Line: 3, Index: 1},
	}}
	if diff := cmp.Diff(want, snap.Conflicts); diff != "" {
		t.Errorf("conflicts (-want +got):\n%s", diff)
	}
	if _, ok := snap.Get("web:1"); ok {
		t.Errorf("a conflicting image is in Specs")
	}
	if diff := cmp.Diff([]spec.Source{{File: "api.yaml", Line: 1}}, snap.Found["api:1"]); diff != "" {
		t.Errorf("found api:1 (-want +got):\n%s", diff)
	}
}

func TestLoadEntries(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"multi.yaml": "# header\n\n" + webYAML + "---\n\n# the api\n" + apiYAML,
	})
	snap := mustLoad(t, spec.NewDir(root, testOpts))
	web, api := spec.New("web:1"), spec.New("api:1")
	web.Resources.CPU, web.Resources.Memory = "250m", "64m"
	api.MaxReplicas, api.Resources.CPU, api.Resources.Memory = 2, "1", "128m"
	want := []spec.Entry{
		{Spec: api, Source: spec.Source{File: "multi.yaml", Line: 10, Index: 1}, Revision: api.Revision()},
		{Spec: web, Source: spec.Source{File: "multi.yaml", Line: 3, Index: 0}, Revision: web.Revision()},
	}
	if diff := cmp.Diff(want, snap.Specs); diff != "" {
		t.Errorf("specs (-want +got):\n%s", diff)
	}
	if got := want[0].Source.String(); got != "multi.yaml:10" {
		t.Errorf("Source.String() = %q, want multi.yaml:10", got)
	}
}

func TestLoadRootMissing(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "file")
	writeTree(t, base, map[string]string{"file": webYAML})
	if err := os.Symlink(filepath.Join(base, "nowhere"), filepath.Join(base, "dangling")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(file, filepath.Join(base, "tofile")); err != nil {
		t.Fatal(err)
	}
	for name, root := range map[string]string{
		"missing":                filepath.Join(base, "missing"),
		"a file":                 file,
		"a dangling symlink":     filepath.Join(base, "dangling"),
		"a symlink to a file":    filepath.Join(base, "tofile"),
		"below a missing parent": filepath.Join(base, "missing", "state"),
	} {
		t.Run(name, func(t *testing.T) {
			d := spec.NewDir(root, testOpts)
			snap, err := d.Load()
			if !errors.Is(err, spec.ErrRootMissing) {
				t.Errorf("Load() error = %v, want ErrRootMissing", err)
			}
			if snap != nil {
				t.Errorf("Load() returned a snapshot with the error")
			}
			if _, err := d.Put(webSpec(), ""); !errors.Is(err, spec.ErrRootMissing) {
				t.Errorf("Put() error = %v, want ErrRootMissing", err)
			}
			if _, err := d.Delete("web:1", ""); !errors.Is(err, spec.ErrRootMissing) {
				t.Errorf("Delete() error = %v, want ErrRootMissing", err)
			}
		})
	}
}

func TestLoadUnreadableRoot(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every directory")
	}
	root := filepath.Join(t.TempDir(), "state")
	writeTree(t, root, map[string]string{"web.yaml": webYAML})
	if err := os.Chmod(root, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(root, 0o755) })
	if _, err := spec.NewDir(root, testOpts).Load(); !errors.Is(err, spec.ErrRootMissing) {
		t.Errorf("Load() error = %v, want ErrRootMissing", err)
	}
}

func TestLoadFollowsSymlinks(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "state")
	writeTree(t, base, map[string]string{
		"state/web.yaml":      webYAML,
		"shared/api.yaml":     apiYAML,
		"shared/sub/db.yaml":  "image: db:1\nresources: {memory: 1g}\n",
		"single/cache.yaml":   "image: cache:1\nresources: {cpu: 100m}\n",
		"state/sub/real.yaml": "image: real:1\nresources: {cpu: 100m}\n",
	})
	links := map[string]string{
		"state/linked":             filepath.Join(base, "shared"),            // a symlinked subdirectory (absolute)
		"state/cache.yaml":         filepath.Join("..", "single/cache.yaml"), // a symlinked file (relative)
		"state/loop":               ".",                                      // a cycle back to the root
		"state/sub/up":             "..",                                     // a cycle through a parent
		"state/sub/self":           ".",                                      // a cycle to its own directory
		"shared/sub/back":          filepath.Join(base, "shared"),            // a cycle inside the linked tree
		"state/dangling.yaml":      filepath.Join(base, "nowhere.yaml"),      // dangling: a broken file
		"state/alias-of-real.yaml": "sub/real.yaml",                          // the same file twice is not a conflict
		"state/a-link":             "sub",                                    // a link to a directory of the tree, met first
	}
	for link, target := range links {
		if err := os.Symlink(target, filepath.Join(base, filepath.FromSlash(link))); err != nil {
			t.Fatal(err)
		}
	}
	snap := mustLoad(t, spec.NewDir(root, testOpts))
	if diff := cmp.Diff([]string{"api:1", "cache:1", "db:1", "real:1", "web:1"}, images(snap)); diff != "" {
		t.Errorf("images (-want +got):\n%s", diff)
	}
	// A dangling link is a file the loader cannot read, not a file that is
	// gone: its specs keep their last good version, nothing is pruned.
	if diff := cmp.Diff([]string{"dangling.yaml: cannot read: no such file or directory"}, errorTexts(snap)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	files := map[string]string{}
	for _, e := range snap.Specs {
		files[e.Spec.Image] = e.Source.File
	}
	want := map[string]string{
		"api:1":   "linked/api.yaml",
		"cache:1": "cache.yaml",
		"db:1":    "linked/sub/db.yaml",
		"real:1":  "sub/real.yaml",
		"web:1":   "web.yaml",
	}
	if diff := cmp.Diff(want, files); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
}

func TestLoadSymlinkedRoot(t *testing.T) {
	base := t.TempDir()
	writeTree(t, base, map[string]string{"v1/web.yaml": webYAML})
	root := filepath.Join(base, "current")
	if err := os.Symlink("v1", root); err != nil {
		t.Fatal(err)
	}
	d := spec.NewDir(root, testOpts)
	if diff := cmp.Diff([]string{"web:1"}, images(mustLoad(t, d))); diff != "" {
		t.Errorf("images (-want +got):\n%s", diff)
	}
	// Put and Delete write into the target, never replace the link.
	if _, err := d.Put(apiSpec(), ""); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if _, err := os.Stat(filepath.Join(base, "v1", "api_1.yaml")); err != nil {
		t.Errorf("Put did not write into the link's target: %v", err)
	}
	if fi, err := os.Lstat(root); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the root is no longer a symlink: %v %v", fi, err)
	}
}

// swapLink points link at target the way git-sync does: a new link next to
// it, renamed over the old one (ln -sfn new tmp && mv -T tmp link).
func swapLink(t testing.TB, link, target string) {
	tmp := link + ".tmp"
	if err := os.Symlink(target, tmp); err != nil {
		t.Error(err)
		return
	}
	if err := os.Rename(tmp, link); err != nil {
		t.Error(err)
	}
}

func TestLoadSymlinkedRootSwappedAtomically(t *testing.T) {
	base := t.TempDir()
	// The two revisions have different files, so that a snapshot which mixed
	// them would show images of both, or an unreadable file.
	writeTree(t, base, map[string]string{
		"rev-a/web.yaml":     "image: web:a\nresources: {cpu: \"1\"}\n",
		"rev-a/sub/api.yaml": "image: api:a\nresources: {cpu: \"1\"}\n",
		"rev-a/db.yaml":      "image: db:a\nresources: {cpu: \"1\"}\n",
		"rev-b/web.yaml":     "image: web:b\nresources: {cpu: \"1\"}\n",
		"rev-b/sub/api.yml":  "image: api:b\nresources: {cpu: \"1\"}\n",
		"rev-b/cache.yaml":   "image: cache:b\nresources: {cpu: \"1\"}\n",
	})
	revA := []string{"api:a", "db:a", "web:a"}
	revB := []string{"api:b", "cache:b", "web:b"}
	root := filepath.Join(base, "current")
	if err := os.Symlink("rev-a", root); err != nil {
		t.Fatal(err)
	}
	d := spec.NewDir(root, testOpts)
	if diff := cmp.Diff(revA, images(mustLoad(t, d))); diff != "" {
		t.Errorf("before the swap (-want +got):\n%s", diff)
	}
	swapLink(t, root, "rev-b")
	if diff := cmp.Diff(revB, images(mustLoad(t, d))); diff != "" {
		t.Errorf("after the swap (-want +got):\n%s", diff)
	}

	// While a syncer swaps back and forth, every snapshot is one revision
	// or the other, never a mix and never an error.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 300; i++ {
			swapLink(t, root, []string{"rev-a", "rev-b"}[i%2])
		}
	}()
	defer func() { <-done }()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		snap, err := d.Load()
		if err != nil {
			t.Errorf("Load during the swaps: %v", err)
			break
		}
		if got := images(snap); !cmp.Equal(got, revA) && !cmp.Equal(got, revB) {
			t.Errorf("a snapshot mixed two revisions: %v, errors %v", got, errorTexts(snap))
			break
		}
	}
}

func TestIgnoredAndIsSpecFile(t *testing.T) {
	tests := []struct {
		name    string
		ignored bool
		spec    bool
	}{
		{"web.yaml", false, true},
		{"web.yml", false, true},
		{"web.json", false, true},
		{"WEB.YAML", false, true},
		{"web.txt", false, false},
		{"web", false, false},
		{"web.yaml.orig", false, false},
		{".web.yaml", true, false},
		{".git", true, false},
		{".orchestrator-1234.tmp", true, false},
		{"web.yaml~", true, false},
		{"web.yaml.swp", true, false},
		{"web.yaml.swx", true, false},
		{"#web.yaml#", true, false},
		{"4913", true, false},
		{"sub", false, false},
	}
	for _, tt := range tests {
		if got := spec.Ignored(tt.name); got != tt.ignored {
			t.Errorf("Ignored(%q) = %v, want %v", tt.name, got, tt.ignored)
		}
		if got := spec.IsSpecFile(tt.name); got != tt.spec {
			t.Errorf("IsSpecFile(%q) = %v, want %v", tt.name, got, tt.spec)
		}
	}
}

func TestLoadDoesNotFollowIgnoredSymlinks(t *testing.T) {
	// A Kubernetes ConfigMap volume: ..data -> ..2024_01_01, files are
	// links through ..data. The dot-directories are skipped, the file links
	// are followed, so each spec is read once.
	root := t.TempDir()
	writeTree(t, root, map[string]string{"..2024_01_01/web.yaml": webYAML})
	for link, target := range map[string]string{"..data": "..2024_01_01", "web.yaml": "..data/web.yaml"} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	snap := mustLoad(t, spec.NewDir(root, testOpts))
	if diff := cmp.Diff([]spec.Source{{File: "web.yaml", Line: 1}}, snap.Found["web:1"]); diff != "" {
		t.Errorf("found (-want +got):\n%s", diff)
	}
	if len(snap.Errors) > 0 {
		t.Errorf("errors: %v", snap.Errors)
	}
}

func TestLoadUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every file")
	}
	root := t.TempDir()
	writeTree(t, root, map[string]string{"web.yaml": webYAML, "sub/secret.yaml": apiYAML})
	if err := os.Chmod(filepath.Join(root, "sub", "secret.yaml"), 0); err != nil {
		t.Fatal(err)
	}
	snap := mustLoad(t, spec.NewDir(root, testOpts))
	if diff := cmp.Diff([]string{"web:1"}, images(snap)); diff != "" {
		t.Errorf("images (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"sub/secret.yaml: cannot read: permission denied"}, errorTexts(snap)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"sub/secret.yaml"}, snap.BrokenFiles); diff != "" {
		t.Errorf("broken files (-want +got):\n%s", diff)
	}
}
