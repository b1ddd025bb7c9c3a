package spec_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/spec"
)

// TestRoundTripKeepsTheRestOfTheFile is acceptance point 3: a file with
// comments, odd key order, blank lines and three documents goes through a
// Put that changes max_replicas of the second document, and only that one
// line changes.
func TestRoundTripKeepsTheRestOfTheFile(t *testing.T) {
	before, err := os.ReadFile(filepath.Join("testdata", "roundtrip", "three.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	writeTree(t, root, map[string]string{"shop.yaml": string(before)})
	d := spec.NewDir(root, testOpts)
	snap := mustLoad(t, d)
	if len(snap.Errors) > 0 || len(snap.Specs) != 3 {
		t.Fatalf("the fixture should hold three valid specs; got %d, errors:\n%v", len(snap.Specs), snap.Errors)
	}
	const image = "registry.example.com/shop/api:1.4.2"
	e := mustGet(t, snap, image)
	if diff := cmp.Diff(spec.Source{File: "shop.yaml", Line: 15, Index: 1}, e.Source); diff != "" {
		t.Errorf("source (-want +got):\n%s", diff)
	}
	s := e.Spec
	s.MaxReplicas = 8
	res, err := d.Put(s, e.Revision)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if diff := cmp.Diff(spec.PutResult{Result: spec.Configured, Revision: s.Revision(), Source: e.Source}, res); diff != "" {
		t.Errorf("Put result (-want +got):\n%s", diff)
	}
	after := readText(t, filepath.Join(root, "shop.yaml"))

	oldLine := "max_replicas: 3     # raise before a sale\n"
	newLine := "max_replicas: 8     # raise before a sale\n"
	if strings.Count(string(before), oldLine) != 1 {
		t.Fatalf("fixture changed: want exactly one %q", oldLine)
	}
	want := strings.Replace(string(before), oldLine, newLine, 1)
	if diff := cmp.Diff(strings.SplitAfter(want, "\n"), strings.SplitAfter(after, "\n")); diff != "" {
		t.Errorf("file lines (-want +got):\n%s", diff)
	}

	// Every spec of the file reads back: the changed one as s, the others as before.
	snap2 := mustLoad(t, d)
	if len(snap2.Errors) > 0 {
		t.Fatalf("after the Put: %v", snap2.Errors)
	}
	for _, old := range snap.Specs {
		want := old.Spec
		if want.Image == image {
			want = s
		}
		if diff := cmp.Diff(want, mustGet(t, snap2, old.Spec.Image).Spec); diff != "" {
			t.Errorf("%s after the Put (-want +got):\n%s", old.Spec.Image, diff)
		}
	}

	t.Run("git diff --no-index", func(t *testing.T) {
		git, err := exec.LookPath("git")
		if err != nil {
			t.Skip("git is not on PATH")
		}
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{"before": string(before), "after": after})
		cmd := exec.Command(git, "diff", "--no-index", "--numstat", "before", "after")
		cmd.Dir = dir
		out, err := cmd.Output()
		if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 1) {
			t.Fatalf("git diff: %v", err)
		}
		if got := string(out); !strings.HasPrefix(got, "1\t1\t") || strings.Count(got, "\n") != 1 {
			t.Errorf("git diff --numstat = %q, want one line changed (1\\t1)", got)
		}
	})
}

// splitDocs cuts a file's text at its "---" lines, as the loader does:
// a file that opens with "---" has an empty document 0. Each part keeps the
// separator line that opens it.
func splitDocs(text string) []string {
	var docs []string
	cur := ""
	for _, l := range strings.SplitAfter(text, "\n") {
		if strings.HasPrefix(l, "---") && (len(l) == 3 || strings.ContainsRune(" \t\r\n", rune(l[3]))) {
			docs = append(docs, cur)
			cur = ""
		}
		cur += l
	}
	return append(docs, cur)
}

// normal fills the defaults that a loaded spec has, so that a spec built
// in a test compares equal to the one read back.
func normal(s spec.Spec) spec.Spec {
	if s.Env == nil {
		s.Env = map[string]string{}
	}
	if s.Ports == nil {
		s.Ports = map[string]int{}
	}
	if s.Resources.Status == "" {
		s.Resources.Status = spec.StatusRunning
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// three is a three-document file whose documents each write their fields
// in a different way.
const three = `# three specs
image: first:1          # the first
max_replicas: 2
resources:
  cpu: 250m
  memory: 64m
---
# the second
image: second:1
env:
  A: x
resources: {cpu: "1", memory: 128m}
---
image: third:1
resources:
  memory: "1g"
# the end
`

type editCase struct {
	name   string
	file   string // file name in the directory; default specs.yaml
	text   string
	image  string
	change func(s *spec.Spec)
	// want is the exact file after the Put. Empty when the edit falls
	// back to re-rendering: then the document is only checked to read
	// back as the new spec, the others to be byte-identical.
	want string
}

func TestPutEditsInPlace(t *testing.T) {
	tests := []editCase{
		{
			name:   "plain scalar",
			text:   "image: web:1\nresources:\n  cpu: 250m\n  memory: 64m   # small\n",
			change: func(s *spec.Spec) { s.Resources.Memory = "128m" },
			want:   "image: web:1\nresources:\n  cpu: 250m\n  memory: 128m   # small\n",
		},
		{
			name:   "single-quoted scalar stays single-quoted",
			text:   "image: web:1\nresources:\n  cpu: '250m'\n  memory: '64m'\n",
			change: func(s *spec.Spec) { s.Resources.CPU = "1.5" },
			want:   "image: web:1\nresources:\n  cpu: '1.5'\n  memory: '64m'\n",
		},
		{
			name:   "double-quoted scalar stays double-quoted",
			text:   "image: \"web:1\"\nresources:\n  cpu: \"250m\"\n  memory: \"64m\"\n",
			change: func(s *spec.Spec) { s.Resources.Memory = "1Gi" },
			want:   "image: \"web:1\"\nresources:\n  cpu: \"250m\"\n  memory: \"1Gi\"\n",
		},
		{
			name:   "integer with a line comment",
			text:   "image: web:1\nmin_replicas: 1 # keep one\nmax_replicas: 2 # at most two\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { s.MinReplicas, s.MaxReplicas = 0, 10 },
			want:   "image: web:1\nmin_replicas: 0 # keep one\nmax_replicas: 10 # at most two\nresources: {cpu: 250m}\n",
		},
		{
			name:   "value on the next line",
			text:   "image:\n  web:1\nmax_replicas:\n    3\nresources:\n  cpu:\n    250m\n",
			change: func(s *spec.Spec) { s.MaxReplicas, s.Resources.CPU = 4, "2" },
			want:   "image:\n  web:1\nmax_replicas:\n    4\nresources:\n  cpu:\n    \"2\"\n",
		},
		{
			name: "a string that would read as another type is quoted",
			text: "image: web:1\nenv:\n  A: x\n  B: y\n  C: z\n  D: w\n  E: v\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) {
				s.Env = map[string]string{"A": "true", "B": "123", "C": "a: b", "D": "", "E": "x # y"}
			},
			want: "image: web:1\nenv:\n  A: \"true\"\n  B: \"123\"\n  C: \"a: b\"\n  D: \"\"\n  E: \"x # y\"\nresources: {cpu: 250m}\n",
		},
		{
			name:   "a multi-line string",
			text:   "image: web:1\nenv:\n  MOTD: hi\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { s.Env["MOTD"] = "line one\nline two" },
			want:   "image: web:1\nenv:\n  MOTD: \"line one\\nline two\"\nresources: {cpu: 250m}\n",
		},
		{
			name:   "env in block style: change a value",
			text:   "image: web:1\nenv:\n  LOG_LEVEL: info  # or debug\n  DB: db\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { s.Env["LOG_LEVEL"] = "debug" },
			want:   "image: web:1\nenv:\n  LOG_LEVEL: debug  # or debug\n  DB: db\nresources: {cpu: 250m}\n",
		},
		{
			name:   "env in block style: add a variable",
			text:   "image: web:1\nenv:\n  LOG_LEVEL: info  # or debug\n  DB: db\n\n# resources below\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { s.Env["TZ"] = "UTC" },
			want:   "image: web:1\nenv:\n  LOG_LEVEL: info  # or debug\n  DB: db\n  TZ: UTC\n\n# resources below\nresources: {cpu: 250m}\n",
		},
		{
			name:   "env in block style: remove a variable",
			text:   "image: web:1\nenv:\n  LOG_LEVEL: info  # or debug\n  DB: db\n  TZ: UTC\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { delete(s.Env, "DB") },
			want:   "image: web:1\nenv:\n  LOG_LEVEL: info  # or debug\n  TZ: UTC\nresources: {cpu: 250m}\n",
		},
		{
			name:   "env in block style: remove the last variable",
			text:   "image: web:1\nenv:\n  A: b\n  C: d\n# resources\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { delete(s.Env, "C") },
			want:   "image: web:1\nenv:\n  A: b\n# resources\nresources: {cpu: 250m}\n",
		},
		{
			name:   "env in flow style: change a value",
			text:   "image: web:1\nenv: {A: b, C: d}  # flow\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { s.Env["C"] = "e" },
			want:   "image: web:1\nenv: {A: b, C: e}  # flow\nresources: {cpu: 250m}\n",
		},
		{
			name:   "env in flow style: a value that needs quotes",
			text:   "image: web:1\nenv: {A: b, C: d}\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { s.Env["A"] = "x, y}" },
			want:   "image: web:1\nenv: {A: \"x, y}\", C: d}\nresources: {cpu: 250m}\n",
		},
		{
			name:   "env in flow style: add a variable",
			text:   "image: web:1\nenv: {A: b}\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { s.Env["C"] = "d" },
			want:   "image: web:1\nenv: {A: b, C: d}\nresources: {cpu: 250m}\n",
		},
		{
			name:   "env in flow style: remove a variable",
			text:   "image: web:1\nenv: {A: b, C: d}\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { delete(s.Env, "A") },
			want:   "image: web:1\nenv: {C: d}\nresources: {cpu: 250m}\n",
		},
		{
			name:   "env in flow style over several lines: change a value",
			text:   "image: web:1\nenv: {\n  A: b,\n  C: d,\n}\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { s.Env["A"] = "z" },
			want:   "image: web:1\nenv: {\n  A: z,\n  C: d,\n}\nresources: {cpu: 250m}\n",
		},
		{
			name:   "remove env entirely (block)",
			text:   "image: web:1\nenv:\n  A: b   # a\n  # a comment inside\n  C: d\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { s.Env = nil },
			want:   "image: web:1\nresources: {cpu: 250m}\n",
		},
		{
			name:   "remove env entirely (flow)",
			text:   "image: web:1\nenv: {A: b}\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { s.Env = map[string]string{} },
			want:   "image: web:1\nresources: {cpu: 250m}\n",
		},
		{
			name: "add ports, autoscale and health to a document without them",
			text: "# web\nimage: web:1   # the app\nmax_replicas: 3\nresources:\n    cpu: 250m\n    memory: 64m\n# end of web\n",
			change: func(s *spec.Spec) {
				s.Ports = map[string]int{"8080/tcp": 0, "53/udp": 0}
				s.Autoscale = &spec.Autoscale{Enabled: ptr(true), TargetCPUPercent: ptr(50)}
				s.Health = &spec.Health{HTTPPath: "/healthz", Port: "8080/tcp"}
			},
			want: "# web\nimage: web:1   # the app\nmax_replicas: 3\nresources:\n    cpu: 250m\n    memory: 64m\n" +
				"ports:\n    53/udp: 0\n    8080/tcp: 0\nautoscale:\n    enabled: true\n    target_cpu_percent: 50\n" +
				"health:\n    http_path: /healthz\n    port: 8080/tcp\n# end of web\n",
		},
		{
			name:   "add a field to a nested block mapping",
			text:   "image: web:1\nresources:\n  cpu: 250m\n  memory: 64m\nmax_replicas: 2\n",
			change: func(s *spec.Spec) { s.Resources.Status = spec.StatusStopped },
			want:   "image: web:1\nresources:\n  cpu: 250m\n  memory: 64m\n  status: stopped\nmax_replicas: 2\n",
		},
		{
			name:   "a default is not written out",
			text:   "image: web:1\nresources: {cpu: 250m, status: stopped}\n",
			change: func(s *spec.Spec) { s.Resources.Status, s.MinReplicas = spec.StatusRunning, 1 },
			want:   "image: web:1\nresources: {cpu: 250m, status: running}\n",
		},
		{
			name:   "remove a field of a flow mapping",
			text:   "image: web:1\nautoscale: {enabled: true, target_cpu_percent: 60} # tuned\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { s.Autoscale.Enabled = nil },
			want:   "image: web:1\nautoscale: {target_cpu_percent: 60}\nresources: {cpu: 250m}\n",
		},
		{
			name:   "remove a whole extension",
			text:   "image: web:1\nresources: {cpu: 250m}\nhealth:\n  port: 80/tcp\n\n  interval: 5s\nports: {80/tcp: 0}\n",
			change: func(s *spec.Spec) { s.Health = nil },
			want:   "image: web:1\nresources: {cpu: 250m}\nports: {80/tcp: 0}\n",
		},
		{
			name:   "multi-byte characters before the value",
			text:   "image: web:1\nenv: {GREETING: \"grüß dich ✓\", NAME: x}\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { s.Env["NAME"] = "ÿ" },
			want:   "image: web:1\nenv: {GREETING: \"grüß dich ✓\", NAME: ÿ}\nresources: {cpu: 250m}\n",
		},
		{
			name:   "first of three documents",
			text:   three,
			image:  "first:1",
			change: func(s *spec.Spec) { s.MaxReplicas = 3 },
			want:   strings.Replace(three, "max_replicas: 2\n", "max_replicas: 3\n", 1),
		},
		{
			name:   "middle of three documents",
			text:   three,
			image:  "second:1",
			change: func(s *spec.Spec) { s.Env["A"] = "y"; s.Resources.Memory = "256m" },
			want:   strings.Replace(strings.Replace(three, "  A: x\n", "  A: y\n", 1), "memory: 128m}", "memory: 256m}", 1),
		},
		{
			name:   "last of three documents",
			text:   three,
			image:  "third:1",
			change: func(s *spec.Spec) { s.Resources.Memory = "2g"; s.MinReplicas = 0 },
			want:   strings.Replace(three, "  memory: \"1g\"\n", "  memory: \"2g\"\nmin_replicas: 0\n", 1),
		},
		{
			name:   "a file that opens with a separator and has a comment on one",
			text:   "---\nimage: a:1\nresources: {cpu: 250m}\n--- # the second\nimage: b:1\nresources: {cpu: 250m}\n...\n",
			image:  "b:1",
			change: func(s *spec.Spec) { s.Resources.CPU = "300m" },
			want:   "---\nimage: a:1\nresources: {cpu: 250m}\n--- # the second\nimage: b:1\nresources: {cpu: 300m}\n...\n",
		},
		{
			name:   "no newline at the end: change the last value",
			text:   "image: web:1\nresources:\n  memory: 64m",
			change: func(s *spec.Spec) { s.Resources.Memory = "65m" },
			want:   "image: web:1\nresources:\n  memory: 65m",
		},
		{
			name:   "no newline at the end: add fields",
			text:   "image: web:1\nresources:\n  memory: 64m",
			change: func(s *spec.Spec) { s.Resources.CPU = "1"; s.MaxReplicas = 1 },
			want:   "image: web:1\nresources:\n  memory: 64m\n  cpu: \"1\"\nmax_replicas: 1\n",
		},
		{
			name:   "add to the last nested mapping and to the document at once",
			text:   "image: web:1\nresources:\n  memory: 64m\n",
			change: func(s *spec.Spec) { s.Resources.CPU = "1"; s.MaxReplicas = 1 },
			want:   "image: web:1\nresources:\n  memory: 64m\n  cpu: \"1\"\nmax_replicas: 1\n",
		},
		{
			name: "many edits at once",
			text: "image: web:1\nenv:\n  A: a\n  B: b\n  C: c\n  D: d\n  E: e\n  F: f\n  G: g\n  H: h\n  I: i\n  J: j\n  K: k\n  L: l\n" +
				"resources:\n  memory: 64m\n",
			change: func(s *spec.Spec) {
				for k, v := range s.Env {
					s.Env[k] = strings.ToUpper(v)
				}
				s.Env["M"] = "M"
				s.Resources.CPU = "1"
				s.MaxReplicas, s.MinReplicas = 2, 2
			},
			want: "image: web:1\nenv:\n  A: A\n  B: B\n  C: C\n  D: D\n  E: E\n  F: F\n  G: G\n  H: H\n  I: I\n  J: J\n  K: K\n  L: L\n  M: M\n" +
				"resources:\n  memory: 64m\n  cpu: \"1\"\nmin_replicas: 2\nmax_replicas: 2\n",
		},
		{
			name:   "no newline at the end: remove the last field",
			text:   "image: web:1\nresources: {cpu: 250m}\nenv:\n  A: b",
			change: func(s *spec.Spec) { s.Env = nil },
			want:   "image: web:1\nresources: {cpu: 250m}\n",
		},
		{
			name:   "CRLF line endings: change a value",
			text:   "image: web:1\r\nmax_replicas: 2 # two\r\nresources:\r\n  cpu: 250m\r\n---\r\nimage: b:1\r\nresources: {cpu: 250m}\r\n",
			change: func(s *spec.Spec) { s.MaxReplicas = 3; s.Resources.CPU = "500m" },
			want:   "image: web:1\r\nmax_replicas: 3 # two\r\nresources:\r\n  cpu: 500m\r\n---\r\nimage: b:1\r\nresources: {cpu: 250m}\r\n",
		},
		{
			name:   "CRLF line endings: add and remove entries",
			text:   "image: web:1\r\nenv:\r\n  A: b\r\n  C: d\r\nresources:\r\n  cpu: 250m\r\n---\r\nimage: b:1\r\nresources: {cpu: 250m}\r\n",
			change: func(s *spec.Spec) { delete(s.Env, "A"); s.Resources.Memory = "1g" },
			// CRLF is kept where a line is edited in place; new lines are
			// written with the file's line ending.
			want: "image: web:1\r\nenv:\r\n  C: d\r\nresources:\r\n  cpu: 250m\r\n  memory: 1g\r\n---\r\nimage: b:1\r\nresources: {cpu: 250m}\r\n",
		},
		{
			name: "an anchored value shared by an alias",
			text: "image: web:1\nmin_replicas: &n 2\nmax_replicas: *n\nresources: {cpu: 250m}\n",
			// Changing the value behind the alias only: the anchor stays.
			change: func(s *spec.Spec) { s.MaxReplicas = 4 },
			want:   "image: web:1\nmin_replicas: &n 2\nmax_replicas: 4\nresources: {cpu: 250m}\n",
		},
		{
			name:   "the anchored value itself changes, the alias must not",
			text:   "image: web:1\nmin_replicas: &n 2\nmax_replicas: *n\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { s.MinReplicas = 1 },
			// The document is re-rendered with the alias written out.
			want: "image: web:1\nmin_replicas: 1\nmax_replicas: 2\nresources: {cpu: 250m}\n",
		},
		{
			name:   "CRLF line endings: a re-rendered document keeps them",
			text:   "image: web:1\r\nmin_replicas: &n 2\r\nmax_replicas: *n\r\nresources: {cpu: 250m}\r\n---\r\nimage: b:1\r\nresources: {cpu: 250m}\r\n",
			change: func(s *spec.Spec) { s.MinReplicas = 1 },
			want:   "image: web:1\r\nmin_replicas: 1\r\nmax_replicas: 2\r\nresources: {cpu: 250m}\r\n---\r\nimage: b:1\r\nresources: {cpu: 250m}\r\n",
		},
		{
			name:   "both ends of an alias change together",
			text:   "image: web:1\nmin_replicas: &n 2\nmax_replicas: *n\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { s.MinReplicas, s.MaxReplicas = 3, 3 },
			want:   "image: web:1\nmin_replicas: 3\nmax_replicas: 3\nresources: {cpu: 250m}\n",
		},
		{
			name:   "an aliased mapping",
			text:   "image: web:1\nports: &p {80/tcp: 0}\nhealth: {port: 80/tcp, http_path: /}\nenv: {A: b}\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { s.Ports["81/tcp"] = 0 },
			want:   "image: web:1\nports: {80/tcp: 0, 81/tcp: 0}\nhealth: {port: 80/tcp, http_path: /}\nenv: {A: b}\nresources: {cpu: 250m}\n",
		},
		{
			name:   "an alias of an anchor in a key",
			text:   "image: web:1\nports: {&p 80/tcp: 0}\nhealth: {port: *p}\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { s.Health.Port = "81/tcp"; s.Ports = map[string]int{"81/tcp": 0} },
			want:   "image: web:1\nports: {81/tcp: 0}\nhealth: {port: 81/tcp}\nresources: {cpu: 250m}\n",
		},
		{
			name:   "a literal block scalar is re-rendered",
			text:   "image: web:1\nenv:\n  MOTD: |\n    hello\n    world\n  B: c\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { s.Env["MOTD"] = "bye" },
			want:   "image: web:1\nenv:\n  MOTD: bye\n  B: c\nresources: {cpu: 250m}\n",
		},
		{
			name:   "a plain scalar continued on the next line",
			text:   "image: web:1\nenv:\n  MOTD: this is\n    continued\n  B: c\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { s.Env["MOTD"] = "short" },
			want:   "image: web:1\nenv:\n  MOTD: short\n  B: c\nresources: {cpu: 250m}\n",
		},
		{
			name:   "a double-quoted scalar over two lines",
			text:   "image: web:1\nenv:\n  MOTD: \"this is\n    continued\"\n  B: c\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { s.Env["MOTD"] = "short" },
			want:   "image: web:1\nenv:\n  MOTD: short\n  B: c\nresources: {cpu: 250m}\n",
		},
		{
			name:   "tagged and hexadecimal values",
			text:   "image: web:1\nmin_replicas: !!int 2\nmax_replicas: 0x10\nresources: {cpu: !!str 1}\n",
			change: func(s *spec.Spec) { s.MinReplicas, s.MaxReplicas, s.Resources.CPU = 3, 17, "2" },
			want:   "image: web:1\nmin_replicas: 3\nmax_replicas: 17\nresources: {cpu: \"2\"}\n",
		},
		{
			name:   "an equal value written differently is left alone",
			text:   "image: web:1\nmin_replicas: 0x2\nmax_replicas: 4\nresources: {cpu: !!str 1}\n",
			change: func(s *spec.Spec) { s.MaxReplicas = 5 },
			want:   "image: web:1\nmin_replicas: 0x2\nmax_replicas: 5\nresources: {cpu: !!str 1}\n",
		},
		{
			name:   "an empty flow mapping gets entries",
			text:   "image: web:1\nenv: {}\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { s.Env = map[string]string{"A": "b"} },
			want:   "image: web:1\nenv: {A: b}\nresources: {cpu: 250m}\n",
		},
		{
			name:   "a flow mapping over several lines is the last entry",
			text:   "# keep me\nimage: web:1\nresources: {\n  cpu: 250m\n}\n---\nimage: b:1\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { s.Env = map[string]string{"A": "b"} },
			// The new entry cannot go in as text; the document is
			// re-rendered, and keeps its comment.
			want: "# keep me\nimage: web:1\nresources: {cpu: 250m}\nenv:\n  A: b\n---\nimage: b:1\nresources: {cpu: 250m}\n",
		},
		{
			name:   "quoted keys",
			text:   "\"image\": web:1\n'max_replicas': 2\n\"resources\":\n  \"cpu\": 250m\n",
			change: func(s *spec.Spec) { s.MaxReplicas = 3; s.Resources.Memory = "1g" },
			want:   "\"image\": web:1\n'max_replicas': 3\n\"resources\":\n  \"cpu\": 250m\n  memory: 1g\n",
		},
		{
			name:   "a document indented as a whole",
			text:   "  image: web:1\n  resources:\n      cpu: 250m\n",
			change: func(s *spec.Spec) { s.Resources.Memory = "1g"; s.MaxReplicas = 2 },
			want:   "  image: web:1\n  resources:\n      cpu: 250m\n      memory: 1g\n  max_replicas: 2\n",
		},
		{
			name:   "a whole flow document is edited in place",
			text:   "{image: web:1, max_replicas: 2, resources: {cpu: 250m}}\n",
			change: func(s *spec.Spec) { s.MaxReplicas = 3 },
			want:   "{image: web:1, max_replicas: 3, resources: {cpu: 250m}}\n",
		},
		{
			name:   "a whole flow document with a new field",
			text:   "---\n{image: web:1, max_replicas: 2, resources: {cpu: 250m}}\n---\nimage: b:1\nresources: {cpu: 250m}\n",
			change: func(s *spec.Spec) { s.Env = map[string]string{"A": "b"} },
		},
		{
			name:   "json: a scalar change keeps every other byte",
			file:   "web.json",
			text:   "{\n  \"resources\": {\"memory\": \"64m\", \"cpu\": \"0.25\"},\n  \"image\": \"web:1\",\n  \"max_replicas\": 2,\n  \"env\": {\"A\": \"b\"}\n}\n",
			change: func(s *spec.Spec) { s.MaxReplicas = 5; s.Resources.Memory = "128m"; s.Env["A"] = "c\"d" },
			want:   "{\n  \"resources\": {\"memory\": \"128m\", \"cpu\": \"0.25\"},\n  \"image\": \"web:1\",\n  \"max_replicas\": 5,\n  \"env\": {\"A\": \"c\\\"d\"}\n}\n",
		},
		{
			name: "json: a structural change re-renders valid JSON",
			file: "web.json",
			text: "{\"image\": \"web:1\", \"resources\": {\"cpu\": \"0.25\"}, \"env\": {\"A\": \"b\"}}",
			change: func(s *spec.Spec) {
				s.Env = map[string]string{"B": "c"}
				s.MinReplicas = 0
				s.Ports = map[string]int{"80": 0}
			},
		},
		{
			name:   "json: remove a field",
			file:   "web.json",
			text:   "{\n  \"image\": \"web:1\",\n  \"resources\": {\"cpu\": \"0.25\", \"memory\": \"64m\"}\n}\n",
			change: func(s *spec.Spec) { s.Resources.Memory = "" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runEditCase(t, tt) })
	}
}

func runEditCase(t *testing.T, tt editCase) {
	t.Helper()
	file, image := tt.file, tt.image
	if file == "" {
		file = "specs.yaml"
	}
	if image == "" {
		image = "web:1"
	}
	root := t.TempDir()
	writeTree(t, root, map[string]string{file: tt.text})
	d := spec.NewDir(root, testOpts)
	snap := mustLoad(t, d)
	if len(snap.Errors) > 0 {
		t.Fatalf("the test file is invalid:\n%v", snap.Errors)
	}
	e := mustGet(t, snap, image)
	s := e.Spec
	// Deep-copy what change may modify, so that e.Spec stays as loaded.
	s.Env, s.Ports = copyMap(s.Env), copyMap(s.Ports)
	if s.Autoscale != nil {
		a := *s.Autoscale
		s.Autoscale = &a
	}
	if s.Health != nil {
		h := *s.Health
		s.Health = &h
	}
	tt.change(&s)
	want := normal(s)

	res, err := d.Put(s, e.Revision)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	if res.Result != spec.Configured || res.Revision != want.Revision() {
		t.Errorf("Put = %+v, want configured at revision %s", res, want.Revision())
	}
	after := readText(t, filepath.Join(root, file))
	if tt.want != "" {
		if diff := cmp.Diff(strings.SplitAfter(tt.want, "\n"), strings.SplitAfter(after, "\n")); diff != "" {
			t.Errorf("file (-want +got):\n%s", diff)
		}
	}

	// The file parses back to exactly the new spec, and the other specs.
	docs, errs := spec.Parse(file, []byte(after), testOpts)
	if len(errs) > 0 {
		t.Fatalf("the file no longer parses:\n%v\n%s", errs, after)
	}
	var got *spec.Spec
	for _, doc := range docs {
		if doc.Spec.Image == image {
			got = &doc.Spec
		}
	}
	if got == nil {
		t.Fatalf("%s is gone from the file:\n%s", image, after)
	}
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("spec read back (-want +got):\n%s\nfile:\n%s", diff, after)
	}
	if len(docs) != len(snap.Specs) {
		t.Errorf("the file holds %d specs, want %d", len(docs), len(snap.Specs))
	}

	// The other documents are byte-identical.
	before, afterDocs := splitDocs(tt.text), splitDocs(after)
	if len(before) != len(afterDocs) {
		t.Fatalf("%d documents became %d:\n%s", len(before), len(afterDocs), after)
	}
	for i := range before {
		if i != e.Source.Index && before[i] != afterDocs[i] {
			t.Errorf("document %d changed (-want +got):\n%s", i, cmp.Diff(before[i], afterDocs[i]))
		}
	}

	if strings.HasSuffix(file, ".json") {
		var v map[string]any
		if err := json.Unmarshal([]byte(after), &v); err != nil {
			t.Errorf("the JSON file is no longer JSON: %v\n%s", err, after)
		}
	}
	if bytes.Contains([]byte(tt.text), []byte("\r\n")) && strings.Count(after, "\n") != strings.Count(after, "\r\n") {
		t.Errorf("a CRLF file got LF-only lines:\n%q", after)
	}

	// A second Put of the same spec writes nothing.
	if res, err := d.Put(s, ""); err != nil || res.Result != spec.Unchanged {
		t.Errorf("second Put = %+v, %v; want unchanged", res, err)
	}
	if again := readText(t, filepath.Join(root, file)); again != after {
		t.Errorf("the second Put changed the file")
	}
}

func copyMap[V any](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestPutJSONStructuralChange checks that the re-rendered JSON document holds
// exactly the new spec's fields.
func TestPutJSONStructuralChange(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"web.json": `{"image": "web:1", "max_replicas": 3, "resources": {"cpu": "0.25"}}` + "\n"})
	d := spec.NewDir(root, testOpts)
	e := mustGet(t, mustLoad(t, d), "web:1")
	s := e.Spec
	s.Env = map[string]string{"A": "b"}
	s.Ports = map[string]int{"80/tcp": 0}
	s.MaxReplicas = 1
	if _, err := d.Put(s, e.Revision); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(readText(t, filepath.Join(root, "web.json"))), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"image":        "web:1",
		"max_replicas": float64(1),
		"resources":    map[string]any{"cpu": "0.25"},
		"env":          map[string]any{"A": "b"},
		"ports":        map[string]any{"80/tcp": float64(0)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
}
