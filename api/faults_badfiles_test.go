package api_test

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// badFile is a broken spec file written into the watched directory: the
// reconciler must report it as want ("file:line: field: message", a
// prefix of one of GET /status's errors) and start, stop or delete
// nothing.
type badFile struct {
	name string
	file string // relative to the state directory; web.yaml is the running spec's
	text string
	want string
}

// faultGoodWeb is the running spec of the files table.
const faultGoodWeb = "image: web:v1\nmin_replicas: 2\nmax_replicas: 2\nresources:\n  memory: 64m\n"

// badFiles are the file half of TestFaultBadInputChangesNothing. New files
// name api:v1 or cache:v1, which the engine has: a file wrongly taken would
// start a container.
func badFiles() []badFile {
	bad := func(name, text, want string) badFile {
		return badFile{name: name, file: "bad.yaml", text: text, want: want}
	}
	return []badFile{
		bad("a YAML syntax error", "image: api:v1\nresources: {\n", "bad.yaml:2: invalid YAML"),
		bad("a tab for indentation", "image: api:v1\nresources:\n\tmemory: 64m\n", "bad.yaml:3: "),
		bad("a key twice", "image: api:v1\nimage: cache:v1\nresources: {}\n", "bad.yaml:2: "),
		bad("not a mapping", "- image: api:v1\n", "bad.yaml:1: "),
		bad("an unknown field", "image: api:v1\nreplicas: 3\nresources: {}\n", "bad.yaml:2: replicas: unknown field"),
		bad("image missing", "min_replicas: 1\nresources: {}\n", "bad.yaml:1: image: is required"),
		bad("image upper case", "image: Api:v1\nresources: {}\n", "bad.yaml:1: image: "),
		bad("image climbing out", "image: ../../etc/passwd\nresources: {}\n", "bad.yaml:1: image: "),
		bad("min_replicas a word", "image: api:v1\nmin_replicas: two\nresources: {}\n", `bad.yaml:2: min_replicas: must be an integer, got string "two"`),
		bad("min_replicas negative", "image: api:v1\nmin_replicas: -1\nresources: {}\n", "bad.yaml:2: min_replicas: must be >= 0, got -1"),
		bad("min_replicas huge", "image: api:v1\nmin_replicas: 99999999999999999999\nresources: {}\n", "bad.yaml:2: min_replicas: "),
		bad("max_replicas below min_replicas", "image: api:v1\nmin_replicas: 3\nmax_replicas: 2\nresources: {}\n", "bad.yaml:2: min_replicas: 3 is greater than max_replicas 2"),
		bad("a port key that is no port", "image: api:v1\nports:\n  http: 0\nresources: {}\n", `bad.yaml:3: ports["http"]: `),
		bad("a fixed host port, many replicas", "image: api:v1\nports:\n  \"80/tcp\": 8080\nresources: {}\n", `bad.yaml:3: ports["80/tcp"]: host port 8080 is fixed`),
		bad("an env value not a string", "image: api:v1\nenv:\n  DEBUG: true\nresources: {}\n", `bad.yaml:3: env["DEBUG"]: must be a string, got boolean true; quote it: "true"`),
		bad("an env name", "image: api:v1\nenv:\n  1BAD: x\nresources: {}\n", `bad.yaml:3: env["1BAD"]: `),
		bad("resources missing", "image: api:v1\n", "bad.yaml:1: resources: is required"),
		bad("cpu a number", "image: api:v1\nresources:\n  cpu: 0.5\n", "bad.yaml:3: resources.cpu: must be a string, got number 0.5"),
		bad("memory not a size", "image: api:v1\nresources:\n  memory: 12q\n", `bad.yaml:3: resources.memory: "12q" is not a size`),
		bad("status paused", "image: api:v1\nresources:\n  status: paused\n", `bad.yaml:3: resources.status: must be "running" or "stopped"`),
		bad("autoscale target 0", "image: api:v1\nautoscale:\n  target_cpu_percent: 0\nresources: {}\n", "bad.yaml:3: autoscale.target_cpu_percent: must be 1-100"),
		bad("a bind mount outside the allowed roots", "image: api:v1\nvolumes:\n  - /etc:/etc\nresources: {}\n", "bad.yaml:3: volumes[0]: "),
		bad("a bind mount climbing out", "image: api:v1\nvolumes:\n  - ./a/../../b:/data\nresources: {}\n", "bad.yaml:3: volumes[0]: "),
		bad("a reserved label", "image: api:v1\nlabels:\n  orchestrator.slot: \"1\"\nresources: {}\n", `bad.yaml:3: labels["orchestrator.slot"]: `),
		bad("a restart policy", "image: api:v1\nrestart: sometimes\nresources: {}\n", "bad.yaml:2: restart: "),
		bad("a healthcheck duration", "image: api:v1\nhealthcheck:\n  test: \"true\"\n  interval: soon\nresources: {}\n", "bad.yaml:4: healthcheck.interval: "),
		bad("a command with a NUL", "image: api:v1\ncommand: [\"a\\0b\"]\nresources: {}\n", "bad.yaml:2: command[0]: must not contain a NUL byte"),
		bad("the host network", "image: api:v1\nnetworks: [host]\nresources: {}\n", "bad.yaml:2: networks[0]: "),
		bad("a valid document and a broken one", "image: api:v1\nresources: {}\n---\nimage: cache:v1\nmin_replicas: -1\nresources: {}\n", "bad.yaml:5: min_replicas: "),
		{name: "a JSON file", file: "bad.json", text: "{\"image\": \"api:v1\",\n \"min_replicas\": \"x\",\n \"resources\": {}}\n", want: "bad.json:2: min_replicas: "},
		{name: "the running image written twice", file: "dup.yaml", text: "image: web:v1\nresources:\n  memory: 64m\n", want: "dup.yaml:1: "},
		{name: "the running spec's file: a bad value", file: "web.yaml", text: strings.Replace(faultGoodWeb, "64m", "12q", 1), want: `web.yaml:5: resources.memory: "12q" is not a size`},
		{name: "the running spec's file: a syntax error", file: "web.yaml", text: "image: web:v1\nmin_replicas: [\n", want: "web.yaml:"},
		{name: "the running spec's file: another image, broken", file: "web.yaml", text: "image: Web:v1\nresources: {}\n", want: "web.yaml:1: image: "},
	}
}

// fileLine is the start of every error that names a file: file:line.
var fileLine = regexp.MustCompile(`^[^:\s]+\.(yaml|yml|json):[1-9][0-9]*: `)

// runBadFiles writes each file beside a running web:v1, checks GET /status
// and that only the test wrote to the directory and nothing changed on the
// engine, then puts the directory back.
func runBadFiles(t *testing.T, files []badFile) {
	e := newEnv(t)
	e.write("web.yaml", faultGoodWeb)
	e.rec.Trigger()
	rt.Eventually(t, 5*time.Second, "web:v1 runs 2 containers", func() (bool, string) {
		r := e.do("GET", "/images/web:v1", "")
		st, _ := r.body["status"].(map[string]any)
		return r.code == 200 && st["synced"] == true && st["running"] == 2.0, r.raw
	})
	for _, tc := range files {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(e.dir, tc.file)
			old, err := os.ReadFile(path)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			tree, engine := snapshotTree(t, e.dir), snapshotEngine(e)
			e.write(tc.file, tc.text)
			e.pass()

			errs := statusErrors(t, e)
			found := false
			for _, msg := range errs {
				found = found || strings.HasPrefix(msg, tc.want)
				if strings.HasPrefix(msg, tc.file+":") && !fileLine.MatchString(msg) {
					t.Errorf("error %q has no file:line", msg)
				}
			}
			if !found {
				t.Errorf("GET /status errors = %q, want one starting %q", errs, tc.want)
			}
			want := maps.Clone(tree)
			want[tc.file] = tc.text
			if diff := cmp.Diff(want, snapshotTree(t, e.dir)); diff != "" {
				t.Errorf("the state directory is not as the test wrote it (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(engine, snapshotEngine(e)); diff != "" {
				t.Errorf("the engine changed (-before +after):\n%s", diff)
			}

			// Put the directory back, for the next case.
			if old != nil {
				e.write(tc.file, string(old))
			} else if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			e.pass()
			if errs := statusErrors(t, e); len(errs) > 0 {
				t.Fatalf("errors after the fix: %q", errs)
			}
			if diff := cmp.Diff(engine, snapshotEngine(e)); diff != "" {
				t.Errorf("the engine changed after the fix (-before +after):\n%s", diff)
			}
		})
	}
}

// statusErrors are GET /status's errors.
func statusErrors(t *testing.T, e *env) []string {
	t.Helper()
	r := e.do("GET", "/status", "")
	list, ok := r.body["errors"].([]any)
	if r.code != 200 || !ok {
		t.Fatalf("GET /status = %d %s", r.code, trim(r.raw))
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		s, _ := v.(string)
		out = append(out, s)
	}
	return out
}
