package main

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/spec"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of the import tests")

// Every case under testdata/compose is imported from its own directory (so
// that the report names compose.yml as a user would), and gives the golden
// specs, report and exit status; every spec it prints is valid.
func TestImportComposeGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/compose/*/compose.yml")
	if err != nil || len(cases) < 5 {
		t.Fatalf("want at least 5 compose cases, have %d (%v)", len(cases), err)
	}
	for _, file := range cases {
		dir, err := filepath.Abs(filepath.Dir(file))
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Chdir(dir)
			got := orch(t, "import", "compose.yml")
			golden := map[string]string{
				"want.yaml":   got.Stdout,
				"want.stderr": got.Stderr,
				"want.code":   strconv.Itoa(got.Code) + "\n",
			}
			for name, text := range golden {
				if *updateGolden {
					if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(name)
				if err != nil {
					t.Fatalf("%v (go test -run TestImportComposeGolden -update writes it)", err)
				}
				if diff := cmp.Diff(string(want), text); diff != "" {
					t.Errorf("%s (-want +got):\n%s", name, diff)
				}
			}
			docs, errs := spec.Parse("want.yaml", []byte(got.Stdout), spec.Options{HostCPUs: 2, BindRoots: []string{"/"}})
			if len(errs) > 0 || len(docs) == 0 {
				t.Errorf("the printed specs are not all valid (%d read): %v", len(docs), errs)
			}
		})
	}
}

// With -o, one file per service; a bind mount below DIR is written
// relative to it; an existing file stops the whole write unless --force;
// --strict turns report lines into exit 1.
func TestImportComposeIntoDir(t *testing.T) {
	inTempDir(t)
	writeFiles(t, map[string]string{
		"app/compose.yml": `services:
  web:
    image: shop/web:1.0
    volumes: ["./state/static:/srv:ro", "/etc/hosts:/etc/extra-hosts:ro"]
  db:
    image: shop/db:1
    volumes: [data:/var/lib/db]
volumes:
  data: {}
`,
		"app/state/static/index.html": "hello\n",
	})

	r := orch(t, "import", "app/compose.yml", "-o", "app/state")
	wantOut := "wrote app/state/web.yaml\nwrote app/state/db.yaml\n"
	wantErr := "app/compose.yml:4: web: volumes: bind mount of /etc/hosts: not below the output directory, so an absolute host path: serve needs --allow-bind-mounts with a root that holds it\n"
	checkResult(t, result{0, wantOut, wantErr}, r)
	files := readTree(t, "app/state")
	if !strings.Contains(files["web.yaml"], "- ./static:/srv:ro\n") || !strings.Contains(files["web.yaml"], "- /etc/hosts:/etc/extra-hosts:ro\n") {
		t.Errorf("web.yaml:\n%s", files["web.yaml"])
	}
	if !strings.Contains(files["db.yaml"], "- data:/var/lib/db\n") || !strings.Contains(files["db.yaml"], "- app\n") {
		t.Errorf("db.yaml (a named volume, compose's default network named after the project):\n%s", files["db.yaml"])
	}
	// The written directory is what apply and serve read.
	checkResult(t, result{Code: 0, Stdout: "2 specs valid in 2 files\n"},
		orch(t, "validate", "-f", "app/state", "--allow-bind-mounts", "/etc"))
	if r := orch(t, "validate", "-f", "app/state"); r.Code == 0 || !strings.Contains(r.Stderr, "app/state/web.yaml:") || !strings.Contains(r.Stderr, "/etc/hosts") {
		t.Errorf("validate without --allow-bind-mounts: want the absolute bind mount refused with its file: %+v", r)
	}

	// An existing file: nothing written, and it says which.
	if err := os.WriteFile("app/state/web.yaml", []byte("# mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove("app/state/db.yaml"); err != nil {
		t.Fatal(err)
	}
	r = orch(t, "import", "app/compose.yml", "-o", "app/state")
	if r.Code != exitFailure || !strings.Contains(r.Stderr, "already there (use --force to overwrite them): app/state/web.yaml; nothing written") {
		t.Errorf("import over an existing file: %+v", r)
	}
	if _, err := os.Stat("app/state/db.yaml"); !os.IsNotExist(err) {
		t.Errorf("db.yaml was written though web.yaml stopped the import: %v", err)
	}
	checkResult(t, result{0, wantOut, wantErr}, orch(t, "import", "app/compose.yml", "-o", "app/state", "--force"))
	if got := readTree(t, "app/state"); !cmp.Equal(files, got) {
		t.Errorf("--force (-first +forced):\n%s", cmp.Diff(files, got))
	}

	r = orch(t, "import", "--strict", "app/compose.yml")
	if r.Code != exitFailure || !strings.Contains(r.Stderr, "--strict: 2 lines to report") {
		t.Errorf("--strict with a report line: %+v", r)
	}
}

// A compose file that does not load is an error that names it, and
// nothing is printed.
func TestImportComposeBadFile(t *testing.T) {
	inTempDir(t)
	writeFiles(t, map[string]string{
		"bad.yml":     "services:\n  web:\n    image: shop/web:1.0\n    ports: 8080\n",
		"missing.yml": "services:\n  web:\n    image: shop/web:${TAG?the tag is required}\n",
	})
	for _, tc := range []struct{ file, want string }{
		{"bad.yml", "ports must be a array"},
		{"missing.yml", "the tag is required"},
		{"absent.yml", "absent.yml"},
	} {
		r := orch(t, "import", tc.file)
		if r.Code != exitFailure || r.Stdout != "" || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("import %s: want exit %d, no output and %q in: %+v", tc.file, exitFailure, tc.want, r)
		}
	}
}

// examples/compose/specs is what import makes of examples/compose/compose.yml,
// with nothing to report.
func TestImportComposeExample(t *testing.T) {
	example, err := filepath.Abs("../../examples/compose")
	if err != nil {
		t.Fatal(err)
	}
	inTempDir(t)
	r := orch(t, "import", filepath.Join(example, "compose.yml"), "-o", "specs")
	if r.Code != 0 || r.Stderr != "" {
		t.Fatalf("import: %+v", r)
	}
	if diff := cmp.Diff(readTree(t, filepath.Join(example, "specs")), readTree(t, "specs")); diff != "" {
		t.Errorf("examples/compose/specs (-committed +imported); rewrite them with\n"+
			"  bin/orchestrator import examples/compose/compose.yml -o examples/compose/specs --force\n%s", diff)
	}
}
