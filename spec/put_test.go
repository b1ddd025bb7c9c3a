package spec_test

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/spec"
)

// webSpec is the spec of webYAML.
func webSpec() spec.Spec {
	s := spec.New("web:1")
	s.Resources.CPU, s.Resources.Memory = "250m", "64m"
	return s
}

// apiSpec is the spec of apiYAML.
func apiSpec() spec.Spec {
	s := spec.New("api:1")
	s.MaxReplicas, s.Resources.CPU, s.Resources.Memory = 2, "1", "128m"
	return s
}

// fileID is what tells a rewritten file from an untouched one.
type fileID struct {
	ino   uint64
	mtime int64
	size  int64
}

func statID(t *testing.T, path string) fileID {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		t.Skip("no inode numbers on this system")
	}
	return fileID{ino: st.Ino, mtime: fi.ModTime().UnixNano(), size: fi.Size()}
}

func TestFileName(t *testing.T) {
	tests := []struct {
		image, want string
	}{
		{"nginx", "nginx.yaml"},
		{"nginx:alpine", "nginx_alpine.yaml"},
		{"library/nginx:1.25", "library_nginx_1.25.yaml"},
		{"Registry.Example.com:5000/Team/App:v1.2-rc_3", "registry.example.com_5000_team_app_v1.2-rc_3.yaml"},
		{"busybox@sha256:" + strings.Repeat("a", 64), "busybox_sha256_" + strings.Repeat("a", 64) + ".yaml"},
		{"ghcr.io/o/r:t@sha256:" + strings.Repeat("0", 64), "ghcr.io_o_r_t_sha256_" + strings.Repeat("0", 64) + ".yaml"},
	}
	for _, tt := range tests {
		got, err := spec.FileName(tt.image)
		if err != nil || got != tt.want {
			t.Errorf("FileName(%q) = %q, %v; want %q", tt.image, got, err, tt.want)
		}
	}
	long := "registry.example.com/" + strings.Repeat("very-long-path/", 20) + "app:1"
	got, err := spec.FileName(long)
	if err != nil || len(got) > 255 || !strings.HasSuffix(got, ".yaml") || strings.ContainsAny(got, "/:@") {
		t.Errorf("FileName(long) = %q (%d bytes), %v; want a short, flat name", got, len(got), err)
	}
	other, _ := spec.FileName(long + "x")
	if other == got {
		t.Errorf("two long images share the file name %q", got)
	}
}

// escapes are image names that must never name a file outside the state
// directory (acceptance point 7).
var escapes = []string{
	"..",
	"../evil",
	"../../evil:1",
	"a/../../evil",
	"a/..",
	"..:tag",
	"/etc/passwd",
	"/tmp/evil:1",
	"evil\x00:1",
	"\x00",
	"a\\..\\..\\evil",
	`..\evil`,
	"evil/\x00/../x",
	".hidden",
	"",
}

func TestFileNameRefusesEscapes(t *testing.T) {
	for _, image := range escapes {
		if name, err := spec.FileName(image); err == nil {
			t.Errorf("FileName(%q) = %q, want an error", image, name)
		} else if !errors.Is(err, spec.ErrUnsafeName) {
			t.Errorf("FileName(%q) error = %v, want ErrUnsafeName", image, err)
		}
	}
}

func TestPutRefusesEscapingNames(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "state")
	writeTree(t, base, map[string]string{"state/web.yaml": webYAML, "outside/keep.yaml": apiYAML})
	d := spec.NewDir(root, testOpts)
	before := listTree(t, base)
	// Names that FileName would make safe are still invalid references.
	for _, image := range append(escapes, "a/./b", "a//b", "./a", "a/.") {
		s := webSpec()
		s.Image = image
		if res, err := d.Put(s, ""); err == nil {
			t.Errorf("Put(%q) = %+v, want an error", image, res)
		} else if !errors.Is(err, spec.ErrInvalid) && !errors.Is(err, spec.ErrUnsafeName) {
			t.Errorf("Put(%q) error = %v, want ErrInvalid or ErrUnsafeName", image, err)
		}
		if _, err := d.Preview(s); err == nil {
			t.Errorf("Preview(%q) gave no error", image)
		}
		if _, err := d.Delete(image, ""); !errors.Is(err, spec.ErrNotFound) {
			t.Errorf("Delete(%q) error = %v, want ErrNotFound", image, err)
		}
	}
	if diff := cmp.Diff(before, listTree(t, base)); diff != "" {
		t.Errorf("files around the state directory (-want +got):\n%s", diff)
	}
}

func TestPutNeverWritesThroughALinkOutside(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "state")
	outsideFile := "image: web:1\nresources:\n  cpu: 250m\n  memory: 64m\n"
	writeTree(t, base, map[string]string{
		"outside/web.yaml":    outsideFile,
		"outside/sub/db.yaml": "image: db:1\nresources: {cpu: 250m}\n",
		"outside/other.yaml":  "image: other:1\nresources: {cpu: 250m}\n",
		"state/api.yaml":      apiYAML,
	})
	for link, target := range map[string]string{
		"state/web.yaml": filepath.Join(base, "outside", "web.yaml"), // a file link out of the root
		"state/ext":      filepath.Join(base, "outside", "sub"),      // a directory link out of the root
		// A dangling link where a new image's file would go: a Put must
		// not create the file it points to.
		"state/new_1.yaml": filepath.Join(base, "outside", "created.yaml"),
		// A link out of the root that holds another image where a new
		// image's file would go: the new file gets another name.
		"state/taken_1.yaml": filepath.Join(base, "outside", "other.yaml"),
	} {
		if err := os.Symlink(target, filepath.Join(base, filepath.FromSlash(link))); err != nil {
			t.Fatal(err)
		}
	}
	d := spec.NewDir(root, testOpts)
	snap := mustLoad(t, d)
	if diff := cmp.Diff([]string{"api:1", "db:1", "other:1", "web:1"}, images(snap)); diff != "" {
		t.Fatalf("the links are followed for reading (-want +got):\n%s", diff)
	}
	before := listTree(t, base)
	outsideID := statID(t, filepath.Join(base, "outside", "web.yaml"))

	web := mustGet(t, snap, "web:1").Spec
	web.MaxReplicas = 3
	if _, err := d.Put(web, ""); !errors.Is(err, spec.ErrUnsafeName) {
		t.Errorf("Put through a file link out of the root: error = %v, want ErrUnsafeName", err)
	}
	if _, err := d.Delete("web:1", ""); !errors.Is(err, spec.ErrUnsafeName) {
		t.Errorf("Delete through a file link out of the root: error = %v, want ErrUnsafeName", err)
	}
	db := mustGet(t, snap, "db:1").Spec
	db.MaxReplicas = 3
	if _, err := d.Put(db, ""); !errors.Is(err, spec.ErrUnsafeName) {
		t.Errorf("Put into a directory link out of the root: error = %v, want ErrUnsafeName", err)
	}
	if _, err := d.Delete("db:1", ""); !errors.Is(err, spec.ErrUnsafeName) {
		t.Errorf("Delete in a directory link out of the root: error = %v, want ErrUnsafeName", err)
	}
	s := webSpec()
	s.Image = "new:1"
	res, err := d.Put(s, "")
	if err != nil {
		t.Fatalf("Put of a new image: %v", err)
	}
	if res.Source.File != "new_1-2.yaml" {
		t.Errorf("new image written to %s, want new_1-2.yaml beside the dangling link", res.Source.File)
	}
	s.Image = "taken:1"
	if res, err := d.Put(s, ""); err != nil || res.Source.File != "taken_1-2.yaml" {
		t.Errorf("Put of taken:1 = %+v, %v; want it in taken_1-2.yaml beside the link", res, err)
	}
	if _, err := os.Lstat(filepath.Join(base, "outside", "created.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file was created outside through the dangling link: %v", err)
	}
	if got := readText(t, filepath.Join(base, "outside", "web.yaml")); got != outsideFile {
		t.Errorf("the file outside changed:\n%s", got)
	}
	if got := statID(t, filepath.Join(base, "outside", "web.yaml")); got != outsideID {
		t.Errorf("the file outside was rewritten")
	}
	want := append(before, "state/new_1-2.yaml", "state/taken_1-2.yaml")
	sort.Strings(want)
	if diff := cmp.Diff(want, listTree(t, base)); diff != "" {
		t.Errorf("files around the state directory (-want +got):\n%s", diff)
	}
}

func TestPutFollowsALinkInside(t *testing.T) {
	// A file link whose target is in the tree is written through: the
	// link stays, the target gets the edit.
	root := t.TempDir()
	writeTree(t, root, map[string]string{"data/web.yaml": webYAML})
	if err := os.Symlink("data/web.yaml", filepath.Join(root, "web.yaml")); err != nil {
		t.Fatal(err)
	}
	d := spec.NewDir(root, testOpts)
	s := webSpec()
	s.MaxReplicas = 2
	if _, err := d.Put(s, ""); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if got, want := readText(t, filepath.Join(root, "data", "web.yaml")), webYAML+"max_replicas: 2\n"; got != want {
		t.Errorf("target = %q, want %q", got, want)
	}
	if fi, err := os.Lstat(filepath.Join(root, "web.yaml")); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi, err)
	}
}

func TestPutCreateConfigureUnchanged(t *testing.T) {
	root := t.TempDir()
	d := spec.NewDir(root, testOpts)
	s := spec.New("Registry.Example.com:5000/team/app:v1@sha256:" + strings.Repeat("ab", 32))
	s.Resources.CPU = "500m"
	s.Resources.Memory = "256m"
	s.Env = map[string]string{"B": "2", "A": "1"}
	s.Ports = map[string]int{"80/tcp": 0}
	name, err := spec.FileName(s.Image)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, name)

	res, err := d.Put(s, "")
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if diff := cmp.Diff(spec.PutResult{Result: spec.Created, Revision: s.Revision(), Source: spec.Source{File: name, Line: 1}}, res); diff != "" {
		t.Errorf("create (-want +got):\n%s", diff)
	}
	created := readText(t, path)
	wantText := "image: Registry.Example.com:5000/team/app:v1@sha256:" + strings.Repeat("ab", 32) + "\n" +
		"min_replicas: 1\nmax_replicas: 5\nenv:\n  A: \"1\"\n  B: \"2\"\nports:\n  80/tcp: 0\n" +
		"resources:\n  cpu: 500m\n  memory: 256m\n  status: running\n"
	if diff := cmp.Diff(wantText, created); diff != "" {
		t.Errorf("new file (-want +got):\n%s", diff)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("new file mode = %v, %v; want 0644", fi.Mode(), err)
	}
	snap := mustLoad(t, d)
	e := mustGet(t, snap, s.Image)
	if diff := cmp.Diff(spec.Entry{Spec: s, Source: spec.Source{File: name, Line: 1}, Revision: s.Revision()}, e); diff != "" {
		t.Errorf("loaded (-want +got):\n%s", diff)
	}

	// The same spec again writes nothing: same bytes, same inode, same mtime.
	id := statID(t, path)
	res, err = d.Put(s, e.Revision)
	if err != nil || res.Result != spec.Unchanged || res.Revision != e.Revision {
		t.Errorf("same spec: %+v, %v; want unchanged", res, err)
	}
	if got := readText(t, path); got != created {
		t.Errorf("an unchanged Put changed the file")
	}
	if got := statID(t, path); got != id {
		t.Errorf("an unchanged Put rewrote the file: %+v -> %+v", id, got)
	}
	// A spec that is the same once normalised is unchanged too.
	same := s
	same.Env = map[string]string{"A": "1", "B": "2"}
	same.Resources.Status = ""
	if res, err := d.Put(same, ""); err != nil || res.Result != spec.Unchanged {
		t.Errorf("equal spec: %+v, %v; want unchanged", res, err)
	}

	// A change is configured in place and keeps the file's mode.
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	s.MaxReplicas = 1
	res, err = d.Put(s, e.Revision)
	if err != nil || res.Result != spec.Configured || res.Revision != s.Revision() {
		t.Errorf("change: %+v, %v; want configured", res, err)
	}
	if got, want := readText(t, path), strings.Replace(created, "max_replicas: 5", "max_replicas: 1", 1); got != want {
		t.Errorf("changed file (-want +got):\n%s", cmp.Diff(want, got))
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after the edit = %v, want 0600 kept", fi.Mode().Perm())
	}
	// No temp file is left behind.
	if diff := cmp.Diff([]string{".", name}, listTree(t, root)); diff != "" {
		t.Errorf("directory (-want +got):\n%s", diff)
	}
}

func TestPutNewImageBesideATakenName(t *testing.T) {
	root := t.TempDir()
	// nginx_alpine.yaml is taken by another image; the new file gets a suffix.
	writeTree(t, root, map[string]string{"nginx_alpine.yaml": webYAML, "nginx_alpine-2.yaml": apiYAML})
	d := spec.NewDir(root, testOpts)
	s := webSpec()
	s.Image = "nginx:alpine"
	res, err := d.Put(s, "")
	if err != nil || res.Result != spec.Created || res.Source.File != "nginx_alpine-3.yaml" {
		t.Fatalf("Put = %+v, %v; want created in nginx_alpine-3.yaml", res, err)
	}
	if got := readText(t, filepath.Join(root, "nginx_alpine.yaml")); got != webYAML {
		t.Errorf("the other image's file changed")
	}
	// An image already written somewhere is edited there, whatever the file's name.
	s = apiSpec()
	s.MinReplicas = 0
	res, err = d.Put(s, "")
	if err != nil || res.Result != spec.Configured || res.Source.File != "nginx_alpine-2.yaml" {
		t.Errorf("Put = %+v, %v; want configured in nginx_alpine-2.yaml", res, err)
	}
}

func TestPutIfMatch(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"web.yaml": webYAML})
	d := spec.NewDir(root, testOpts)
	cur := mustGet(t, mustLoad(t, d), "web:1").Revision
	tests := []struct {
		name    string
		image   string
		ifMatch string // "new" for the revision of the spec being put
		wantErr error
	}{
		{"wrong revision", "web:1", "0123456789abcdef0123456789abcdef", spec.ErrPrecondition},
		{"a revision of another spec", "web:1", apiSpec().Revision(), spec.ErrPrecondition},
		{"the new spec's own revision", "web:1", "new", spec.ErrPrecondition},
		{"the current revision", "web:1", cur, nil},
		{"any revision", "web:1", "*", nil},
		{"no If-Match", "web:1", "", nil},
		{"a missing image with a revision", "new:1", cur, spec.ErrPrecondition},
		{"a missing image with *", "new:1", "*", spec.ErrPrecondition},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			writeTree(t, root, map[string]string{"web.yaml": webYAML})
			before := listTree(t, root)
			s := webSpec()
			s.Image = tt.image
			s.MaxReplicas = 2 + i
			ifMatch := tt.ifMatch
			if ifMatch == "new" {
				ifMatch = s.Revision()
			}
			_, err := d.Put(s, ifMatch)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Put error = %v, want %v", err, tt.wantErr)
				}
				if got := readText(t, filepath.Join(root, "web.yaml")); got != webYAML {
					t.Errorf("a refused Put changed the file")
				}
				if diff := cmp.Diff(before, listTree(t, root)); diff != "" {
					t.Errorf("a refused Put wrote a file (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			if got := mustGet(t, mustLoad(t, d), "web:1").Spec.MaxReplicas; got != s.MaxReplicas {
				t.Errorf("max_replicas = %d, want %d", got, s.MaxReplicas)
			}
		})
	}
}

func TestPutRefusesInvalidSpecs(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"web.yaml": webYAML})
	d := spec.NewDir(root, testOpts)
	tests := map[string]func(s *spec.Spec){
		"new image, bad memory":    func(s *spec.Spec) { s.Image = "new:1"; s.Resources.Memory = "12q" },
		"new image, bad reference": func(s *spec.Spec) { s.Image = "Nginx:1" },
		"existing image, min > max": func(s *spec.Spec) {
			s.MinReplicas, s.MaxReplicas = 3, 2
		},
		"existing image, fixed port and replicas": func(s *spec.Spec) { s.Ports = map[string]int{"80/tcp": 8080} },
		"existing image, bad env name":            func(s *spec.Spec) { s.Env = map[string]string{"1X": "y"} },
	}
	for name, change := range tests {
		t.Run(name, func(t *testing.T) {
			before := listTree(t, root)
			s := webSpec()
			change(&s)
			_, err := d.Put(s, "")
			if !errors.Is(err, spec.ErrInvalid) {
				t.Fatalf("Put error = %v, want ErrInvalid", err)
			}
			var fe spec.FieldErrors
			if !errors.As(err, &fe) || len(fe) == 0 {
				t.Errorf("the error does not list the fields: %v", err)
			}
			if _, err := d.Preview(s); !errors.Is(err, spec.ErrInvalid) {
				t.Errorf("Preview error = %v, want ErrInvalid", err)
			}
			if diff := cmp.Diff(before, listTree(t, root)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			if got := readText(t, filepath.Join(root, "web.yaml")); got != webYAML {
				t.Errorf("web.yaml changed")
			}
		})
	}
}

func TestPutBrokenAndConflicting(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		wantErr error
	}{
		{
			name:    "the image's document is invalid",
			files:   map[string]string{"web.yaml": "image: web:1\nresources:\n  memory: 12q\n"},
			wantErr: spec.ErrBrokenFile,
		},
		{
			name:    "the image's document has an unknown field",
			files:   map[string]string{"web.yaml": "image: web:1\nresources: {cpu: 250m}\nreplicas: 3\n"},
			wantErr: spec.ErrBrokenFile,
		},
		{
			name:    "the image in two files",
			files:   map[string]string{"web.yaml": webYAML, "copy.yaml": webYAML},
			wantErr: spec.ErrConflict,
		},
		{
			name:    "the image in two documents of one file",
			files:   map[string]string{"web.yaml": webYAML + "---\n" + webYAML},
			wantErr: spec.ErrConflict,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, tt.files)
			d := spec.NewDir(root, testOpts)
			s := webSpec()
			s.MaxReplicas = 3
			if _, err := d.Put(s, ""); !errors.Is(err, tt.wantErr) {
				t.Errorf("Put error = %v, want %v", err, tt.wantErr)
			}
			if _, err := d.Preview(s); !errors.Is(err, tt.wantErr) {
				t.Errorf("Preview error = %v, want %v", err, tt.wantErr)
			}
			for name, text := range tt.files {
				if got := readText(t, filepath.Join(root, name)); got != text {
					t.Errorf("%s changed:\n%s", name, got)
				}
			}
		})
	}
}

func TestPutBesideABrokenDocument(t *testing.T) {
	// Another document of the same file is broken: the image's own document
	// is still edited, and the broken one is left as it was.
	root := t.TempDir()
	broken := "---\nimage: bad:1\nresources: {cpu: [\n"
	writeTree(t, root, map[string]string{"web.yaml": webYAML + broken})
	d := spec.NewDir(root, testOpts)
	s := webSpec()
	s.MaxReplicas = 2
	if _, err := d.Put(s, ""); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if got, want := readText(t, filepath.Join(root, "web.yaml")), webYAML+"max_replicas: 2\n"+broken; got != want {
		t.Errorf("file (-want +got):\n%s", cmp.Diff(want, got))
	}
}

func TestPutConcurrentIfMatch(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"web.yaml": webYAML})
	rev := mustGet(t, mustLoad(t, spec.NewDir(root, testOpts)), "web:1").Revision
	const writers = 8
	errs := make([]error, writers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := spec.NewDir(root, testOpts) // each its own Dir, as separate processes would be
			s := webSpec()
			s.MaxReplicas = 10 + i
			<-start
			_, errs[i] = d.Put(s, rev)
		}()
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Errorf("writers %d and %d both succeeded with the same If-Match", winner, i)
			}
			winner = i
		case !errors.Is(err, spec.ErrPrecondition):
			t.Errorf("writer %d: %v, want ErrPrecondition", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer succeeded")
	}
	snap := mustLoad(t, spec.NewDir(root, testOpts))
	if got := mustGet(t, snap, "web:1").Spec.MaxReplicas; got != 10+winner {
		t.Errorf("max_replicas = %d, want the winner's %d", got, 10+winner)
	}
	if diff := cmp.Diff([]string{".", "web.yaml"}, listTree(t, root)); diff != "" {
		t.Errorf("directory (-want +got):\n%s", diff)
	}
}

func TestPutConcurrentNewImages(t *testing.T) {
	// Writers of different images never lose each other's files.
	root := t.TempDir()
	writeTree(t, root, map[string]string{"all.yaml": webYAML + "---\n" + apiYAML})
	const writers = 8
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := spec.NewDir(root, testOpts)
			s := webSpec()
			s.Image = "app" + string(rune('a'+i)) + ":1"
			if _, err := d.Put(s, ""); err != nil {
				t.Errorf("Put %s: %v", s.Image, err)
			}
			w := webSpec()
			w.MaxReplicas = 2 + i
			if _, err := d.Put(w, ""); err != nil {
				t.Errorf("Put web: %v", err)
			}
		}()
	}
	wg.Wait()
	snap := mustLoad(t, spec.NewDir(root, testOpts))
	if len(snap.Specs) != writers+2 || len(snap.Errors) > 0 {
		t.Errorf("specs %v, errors %v", images(snap), snap.Errors)
	}
}

func TestPreview(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"web.yaml": webYAML})
	d := spec.NewDir(root, testOpts)
	before := listTree(t, root)
	id := statID(t, filepath.Join(root, "web.yaml"))

	s := webSpec()
	s.MaxReplicas = 2
	ch, err := d.Preview(s)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(spec.PutResult{Result: spec.Configured, Revision: s.Revision(), Source: spec.Source{File: "web.yaml", Line: 1}}, ch.PutResult); diff != "" {
		t.Errorf("configured (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{webYAML, webYAML + "max_replicas: 2\n"}, []string{string(ch.Before), string(ch.After)}); diff != "" {
		t.Errorf("configured: before and after (-want +got):\n%s", diff)
	}

	ch, err = d.Preview(webSpec())
	if err != nil || ch.Result != spec.Unchanged || string(ch.Before) != webYAML || string(ch.After) != webYAML {
		t.Errorf("unchanged: %+v, %v", ch.PutResult, err)
	}

	n := apiSpec()
	ch, err = d.Preview(n)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Result != spec.Created || ch.Before != nil || ch.Source.File != "api_1.yaml" {
		t.Errorf("created: %+v, before %q", ch.PutResult, ch.Before)
	}
	docs, errs := spec.Parse("api_1.yaml", ch.After, testOpts)
	if len(errs) > 0 || len(docs) != 1 {
		t.Fatalf("the previewed file does not parse: %v", errs)
	}
	if diff := cmp.Diff(n, docs[0].Spec); diff != "" {
		t.Errorf("previewed spec (-want +got):\n%s", diff)
	}

	if diff := cmp.Diff(before, listTree(t, root)); diff != "" {
		t.Errorf("Preview wrote files (-want +got):\n%s", diff)
	}
	if got := statID(t, filepath.Join(root, "web.yaml")); got != id {
		t.Errorf("Preview rewrote web.yaml")
	}
}

func TestDelete(t *testing.T) {
	const (
		first  = "# the first\nimage: a:1\nresources: {cpu: 250m}\n"
		second = "# the second\nimage: b:1   # b\n\nresources:\n  cpu: 250m\n"
		third  = "image: c:1\nresources: {cpu: 250m}\n# end\n"
	)
	tests := []struct {
		name  string
		text  string
		image string
		want  string // "" when the file is removed
	}{
		{"the middle document", first + "---\n" + second + "---\n" + third, "b:1", first + "---\n" + third},
		{"the first document", first + "---\n" + second + "---\n" + third, "a:1", second + "---\n" + third},
		{"the last document", first + "---\n" + second + "---\n" + third, "c:1", first + "---\n" + second},
		{"separators with comments", first + "--- # two\n" + second + "--- # three\n" + third, "b:1", first + "--- # three\n" + third},
		{"a file that opens with a separator", "---\n" + first + "---\n" + second, "a:1", "---\n" + second},
		{"CRLF", "image: a:1\r\nresources: {cpu: 250m}\r\n---\r\nimage: b:1\r\nresources: {cpu: 250m}\r\n", "b:1", "image: a:1\r\nresources: {cpu: 250m}\r\n"},
		{"no newline at the end", first + "---\nimage: b:1\nresources: {cpu: 250m}", "b:1", first},
		{"the only document", second, "b:1", ""},
		{"the only document, between separators", "---\n" + second + "---\n", "b:1", ""},
		// A file left with only comments holds no documents: it goes too.
		{"a comment-only remainder after", second + "---\n# nothing else\n", "b:1", ""},
		{"a comment-only remainder before", "# header\n---\n" + second, "b:1", ""},
		{"beside an empty document", "---\n---\n" + second + "---\n" + third, "b:1", "---\n---\n" + third},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, map[string]string{"specs.yaml": tt.text, "other.yaml": webYAML})
			d := spec.NewDir(root, testOpts)
			snap := mustLoad(t, d)
			if len(snap.Errors) > 0 {
				t.Fatalf("test file: %v", snap.Errors)
			}
			e := mustGet(t, snap, tt.image)
			src, err := d.Delete(tt.image, e.Revision)
			if err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if diff := cmp.Diff(e.Source, src); diff != "" {
				t.Errorf("source (-want +got):\n%s", diff)
			}
			path := filepath.Join(root, "specs.yaml")
			if tt.want == "" {
				if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("the file is still there: %v", err)
				}
			} else if got := readText(t, path); got != tt.want {
				t.Errorf("file (-want +got):\n%s", cmp.Diff(strings.SplitAfter(tt.want, "\n"), strings.SplitAfter(got, "\n")))
			}
			if got := readText(t, filepath.Join(root, "other.yaml")); got != webYAML {
				t.Errorf("another file changed")
			}
			after := mustLoad(t, d)
			if len(after.Errors) > 0 {
				t.Errorf("errors after the delete: %v", after.Errors)
			}
			var want []string
			for _, e := range snap.Specs {
				if e.Spec.Image != tt.image {
					want = append(want, e.Spec.Image)
				}
			}
			if diff := cmp.Diff(want, images(after)); diff != "" {
				t.Errorf("specs after the delete (-want +got):\n%s", diff)
			}
			if _, err := d.Delete(tt.image, ""); !errors.Is(err, spec.ErrNotFound) {
				t.Errorf("second Delete error = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestDeleteErrors(t *testing.T) {
	files := map[string]string{
		"web.yaml":    webYAML,
		"twice.yaml":  apiYAML + "---\n" + apiYAML,
		"broken.yaml": "image: bad:1\nresources: {memory: 12q}\n",
	}
	tests := []struct {
		name, image, ifMatch string
		wantErr              error
	}{
		{"a missing image", "nope:1", "", spec.ErrNotFound},
		{"a missing image with If-Match", "nope:1", "*", spec.ErrNotFound},
		{"If-Match mismatch", "web:1", apiSpec().Revision(), spec.ErrPrecondition},
		{"a conflicting image", "api:1", "", spec.ErrConflict},
		{"If-Match on a broken document", "bad:1", "abc", spec.ErrBrokenFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeTree(t, root, files)
			before := listTree(t, root)
			if _, err := spec.NewDir(root, testOpts).Delete(tt.image, tt.ifMatch); !errors.Is(err, tt.wantErr) {
				t.Errorf("Delete error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(before, listTree(t, root)); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			for name, text := range files {
				if got := readText(t, filepath.Join(root, name)); got != text {
					t.Errorf("%s changed", name)
				}
			}
		})
	}
	t.Run("If-Match * and the right revision", func(t *testing.T) {
		root := t.TempDir()
		writeTree(t, root, map[string]string{"web.yaml": webYAML, "api.yaml": apiYAML})
		d := spec.NewDir(root, testOpts)
		if _, err := d.Delete("web:1", webSpec().Revision()); err != nil {
			t.Errorf("Delete with the right revision: %v", err)
		}
		if _, err := d.Delete("api:1", "*"); err != nil {
			t.Errorf("Delete with *: %v", err)
		}
		if diff := cmp.Diff([]string{"."}, listTree(t, root)); diff != "" {
			t.Errorf("files (-want +got):\n%s", diff)
		}
	})
	t.Run("a broken document can be deleted without If-Match", func(t *testing.T) {
		root := t.TempDir()
		writeTree(t, root, map[string]string{"broken.yaml": files["broken.yaml"]})
		if _, err := spec.NewDir(root, testOpts).Delete("bad:1", ""); err != nil {
			t.Errorf("Delete: %v", err)
		}
	})
}

func TestPutOddValuesReadBackOrAreRefused(t *testing.T) {
	// A value either goes into the file so that it reads back exactly, or
	// the Put is refused as invalid and writes nothing; it never panics.
	// Invalid UTF-8 cannot be in a YAML file at all.
	for _, v := range []string{"\xff", "a\xc3", "\x7f", "\x01", "\u0085", "\u2028", "\ufeff", "\r", "a\r\nb", "\t", " x ", "---", "...", "*x", "&x", "!x", "%x", "@x", "`x", "|", ">", "? x", "<<", "~", "null", "yes", "0x10", "1e3", "2001-12-14", "😀"} {
		for _, image := range []string{"web:1", "new:1"} {
			for _, field := range []string{"env", "http_path"} {
				root := t.TempDir()
				writeTree(t, root, map[string]string{"web.yaml": webYAML})
				d := spec.NewDir(root, testOpts)
				before := listTree(t, root)
				s := webSpec()
				s.Image = image
				if field == "env" {
					s.Env = map[string]string{"A": v}
				} else {
					s.Health = &spec.Health{HTTPPath: "/" + v}
				}
				_, err := d.Put(s, "")
				if err != nil || strings.Contains(v, "\xff") || strings.Contains(v, "\xc3") {
					if !errors.Is(err, spec.ErrInvalid) {
						t.Errorf("Put(%s, %s %q) error = %v, want ErrInvalid", image, field, v, err)
					}
					if diff := cmp.Diff(before, listTree(t, root)); diff != "" {
						t.Errorf("%s %q: a refused Put wrote files (-want +got):\n%s", field, v, diff)
					}
					if got := readText(t, filepath.Join(root, "web.yaml")); got != webYAML {
						t.Errorf("%s %q: a refused Put changed web.yaml:\n%s", field, v, got)
					}
					continue
				}
				snap := mustLoad(t, d)
				if len(snap.Errors) > 0 {
					t.Errorf("%s %q: the written file does not load: %v", field, v, snap.Errors)
					continue
				}
				if diff := cmp.Diff(normal(s), mustGet(t, snap, image).Spec); diff != "" {
					t.Errorf("%s %q: read back (-want +got):\n%s", field, v, diff)
				}
			}
		}
	}
}

// Deleting the last document of a symlinked file (a ConfigMap-style mount:
// web.yaml -> ..data/web.yaml) removes the link the user sees, not the
// target.
func TestDeleteThroughASymlinkedFileRemovesTheLink(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "..data"), 0o755); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(root, "..data", "web.yaml")
	if err := os.WriteFile(target, []byte("image: web:v1\nresources: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..data", "web.yaml"), filepath.Join(root, "web.yaml")); err != nil {
		t.Fatal(err)
	}
	if _, err := spec.NewDir(root, spec.Options{HostCPUs: 8}).Delete("web:v1", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(root, "web.yaml")); !os.IsNotExist(err) {
		t.Errorf("the link is still there: %v", err)
	}
	if _, err := os.Stat(target); err != nil {
		t.Errorf("the target was removed: %v", err)
	}
}
