//go:build linux

package spec_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/spec"
)

// TestFaultWriteOnAFullDisk is issue 14's disk-full fault at the spec
// package: on a full 64 KiB tmpfs, WriteAtomic and a Dir's Put and Delete
// fail with ENOSPC, say which file and why, leave every file byte for byte
// and no temp file behind.
func TestFaultWriteOnAFullDisk(t *testing.T) {
	const (
		web  = "image: web:1\nresources:\n  memory: 64m\n"
		both = "image: api:1\nresources: {}\n---\nimage: db:1\nresources: {}\n"
	)
	bigger := spec.New("web:1")
	bigger.Resources.Memory = "64m"
	bigger.Env["BIG"] = strings.Repeat("x", 16<<10)

	tests := []struct {
		name  string
		write func(d *spec.Dir) error
		want  string // the error, with <root> for the directory
	}{
		{"WriteAtomic over a file", func(d *spec.Dir) error {
			return spec.WriteAtomic(filepath.Join(d.Root, "web.yaml"), []byte(web+"# more\n"), 0)
		}, "write <root>/web.yaml: no space left on device (the file is unchanged)"},
		{"WriteAtomic of a new file", func(d *spec.Dir) error {
			return spec.WriteAtomic(filepath.Join(d.Root, "new.yaml"), []byte(web), 0o600)
		}, "write <root>/new.yaml: no space left on device (the file is unchanged)"},
		{"Put an edit", func(d *spec.Dir) error {
			_, err := d.Put(bigger, "")
			return err
		}, "write web.yaml: no space left on device (the file is unchanged)"},
		{"Put a new spec", func(d *spec.Dir) error {
			_, err := d.Put(spec.New("cache:1"), "")
			return err
		}, "write cache_1.yaml: no space left on device (the file is unchanged)"},
		{"Delete one document of two", func(d *spec.Dir) error {
			_, err := d.Delete("api:1", "")
			return err
		}, "write both.yaml: no space left on device (the file is unchanged)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			mountTmpfs(t, root, "size=64k")
			for name, text := range map[string]string{"web.yaml": web, "both.yaml": both} {
				if err := os.WriteFile(filepath.Join(root, name), []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			fillUp(t, root)
			before := readTree(t, root)

			err := tc.write(spec.NewDir(root, spec.Options{HostCPUs: 2}))
			if !errors.Is(err, syscall.ENOSPC) {
				t.Errorf("error %v, want ENOSPC", err)
			}
			if got, want := fmtErr(err), strings.ReplaceAll(tc.want, "<root>", root); got != want {
				t.Errorf("error %q, want %q", got, want)
			}
			if diff := cmp.Diff(before, readTree(t, root)); diff != "" {
				t.Errorf("the directory changed (-before +after):\n%s", diff)
			}
		})
	}
}

func fmtErr(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// readTree is every file of dir (flat), by name, with its content.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

// mountTmpfs mounts a tmpfs with opts on dir until the test ends. It needs
// root (CAP_SYS_ADMIN); without, the test is skipped.
func mountTmpfs(t *testing.T, dir, opts string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, opts); err != nil {
		t.Skipf("cannot mount a tmpfs on %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
}

// fillUp fills the file system of dir with a dotfile until it has no room
// left.
func fillUp(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, ".filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); errors.Is(err, syscall.ENOSPC) {
			return
		} else if err != nil {
			t.Fatal(err)
		}
	}
}
