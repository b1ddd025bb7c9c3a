//go:build linux

package api_test

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/api/wire"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// TestFaultDiskFullAnswers507 is issue 14's disk-full fault: the state
// directory is a 64 KiB tmpfs, filled up. Every write that needs room
// answers 507 insufficient_storage naming the file and "no space left on
// device"; the files stay byte for byte (no temp file left behind) and the
// engine is untouched. Once there is room again, the same write goes
// through.
func TestFaultDiskFullAnswers507(t *testing.T) {
	e := newEnv(t)
	mountTmpfs(t, e.dir, "size=64k") // the env's state directory, before anything is in it
	e.write("web.yaml", faultGoodWeb)
	e.write("both.yaml", "image: api:v1\nresources: {}\n---\nimage: nginx:alpine\nresources: {}\n")
	e.rec.Trigger()
	rt.Eventually(t, 5*time.Second, "web:v1, api:v1 and nginx:alpine run", func() (bool, string) {
		return len(e.containers()) == 4, strings.Join(e.containers(), "\n")
	})
	e.fake.AddImage("cache:v1") // a start wrongly taken would run it
	filler := fillUp(t, e.dir)

	bigEnv := `"env":{"BIG":"` + strings.Repeat("x", 16<<10) + `"}`
	tests := []struct {
		name, method, path, body string
		file                     string // the file the write goes to
	}{
		{"PUT a bigger spec", "PUT", "/images/web:v1", `{"image":"web:v1","min_replicas":2,"max_replicas":2,` + bigEnv + `,"resources":{"memory":"64m"}}`, "web.yaml"},
		{"start a new image", "POST", "/start/container", `{"image":"cache:v1","resources":{}}`, "cache_v1.yaml"},
		{"scale", "POST", "/images/web:v1/scale", `{"min_replicas":1,"max_replicas":3}`, "web.yaml"},
		{"delete one document of two", "DELETE", "/images/api:v1", "", "both.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files, engine := snapshotTree(t, e.dir), snapshotEngine(e)
			r := e.do(tc.method, tc.path, tc.body)
			detail, _ := r.body["detail"].(string)
			got := []any{r.code, r.body["code"]}
			if diff := cmp.Diff([]any{http.StatusInsufficientStorage, string(wire.CodeInsufficientStorage)}, got); diff != "" {
				t.Errorf("%s %s: status and code (-want +got):\n%s\n%s", tc.method, tc.path, diff, trim(r.raw))
			}
			for _, want := range []string{"write " + tc.file + ": ", "no space left on device", "the file is unchanged"} {
				if !strings.Contains(detail, want) {
					t.Errorf("detail %q lacks %q", detail, want)
				}
			}
			e.pass()
			if diff := cmp.Diff(files, snapshotTree(t, e.dir)); diff != "" {
				t.Errorf("the state directory changed (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(engine, snapshotEngine(e)); diff != "" {
				t.Errorf("the engine changed (-before +after):\n%s", diff)
			}
		})
	}

	// With room again, the write is made: nothing was left locked or half
	// done.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if r := e.do("PUT", "/images/web:v1", tests[0].body); r.code != 200 || r.body["result"] != "configured" {
		t.Fatalf("PUT with room again = %d %s", r.code, trim(r.raw))
	}
	if got := e.read("web.yaml"); !strings.Contains(got, "BIG: ") {
		t.Errorf("web.yaml after the PUT lacks BIG:\n%s", trim(got))
	}
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
		// Detached: the reconciler of the env, stopped after this, may
		// still be reading the directory.
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
}

// fillUp fills the file system of dir with a dotfile (which the loader
// ignores) until it has no room left, and returns its path.
func fillUp(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, ".filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); errors.Is(err, syscall.ENOSPC) {
			return path
		} else if err != nil {
			t.Fatal(err)
		}
	}
}
