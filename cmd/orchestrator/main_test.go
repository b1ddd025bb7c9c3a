package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// result is what one run of the command line gave.
type result struct {
	Code           int
	Stdout, Stderr string
}

// cli runs the real command tree in-process, with env as its whole
// environment, so that the caller's ORCHESTRATOR_* variables never leak in.
func cli(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	return cliWith(t, nil, env, stdin, args...)
}

// cliWith is cli with apply's check of this machine's images: nil checks
// nothing, so that the tests do not depend on what the engine holds.
func cliWith(t *testing.T, images imageLookup, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	a := newApp(strings.NewReader(stdin), &out, &errb, func(k string) string { return env[k] })
	a.localImages = nil
	if images != nil {
		a.localImages = func(context.Context) (imageLookup, func(), error) { return images, func() {}, nil }
	}
	code := a.run(args)
	return result{Code: code, Stdout: out.String(), Stderr: errb.String()}
}

// orch runs the command line with no environment and no stdin.
func orch(t *testing.T, args ...string) result {
	t.Helper()
	return cli(t, nil, "", args...)
}

// inTempDir makes a fresh temp dir the working directory, so that paths in
// messages are the short relative ones the test passes.
func inTempDir(t *testing.T) {
	t.Helper()
	t.Chdir(t.TempDir())
}

// writeFiles writes the files, creating their directories.
func writeFiles(t *testing.T, files map[string]string) {
	t.Helper()
	for name, text := range files {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readTree is every regular file under dir, by slash path, with its content.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func checkResult(t *testing.T, want, got result) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
}

// Specs used across the tests.
const (
	webYAML = `# the web tier
image: shop/web:1.0
min_replicas: 2
max_replicas: 4
ports: {"8080/tcp": 0}
resources:
  cpu: 500m
  memory: 256m
`
	workerYAML = `image: shop/worker:1.0
max_replicas: 1
env: {QUEUE: orders}
resources: {cpu: "0.25", memory: 64m, status: stopped}
`
	// multiYAML holds two specs and a comment-only document.
	multiYAML = `image: shop/api:2
min_replicas: 1
max_replicas: 3
resources: {cpu: "1", memory: 1g}
---
# nothing here yet
---
image: shop/cache:7
max_replicas: 1
ports: {"6379": 6379}
resources: {memory: 128m}
`
	// badYAML has a good document, a bad one with three errors, and a good one.
	badYAML = `image: shop/good:1
resources: {cpu: "0.5", memory: 64m}
---
image: shop/bad:1
min_replicas: 3
max_replicas: 2
colour: blue
resources:
  cpu: "0.5"
  memory: 12q
---
image: shop/also-good:1
resources: {cpu: "0.5", memory: 64m}
`
)

// badErrors are the errors of badYAML written as in/bad.yaml.
const badErrors = `in/bad.yaml:5: min_replicas: 3 is greater than max_replicas 2
in/bad.yaml:7: colour: unknown field (known fields: image, name, min_replicas, max_replicas, env, ports, resources, autoscale, health, command, entrypoint, working_dir, user, hostname, labels, volumes, tmpfs, remove_volumes_on_prune, networks, depends_on, healthcheck, restart, logging, stop_signal, stop_grace_period, cap_add, cap_drop, read_only, security_opt, extra_hosts, dns, placement)
in/bad.yaml:10: resources.memory: "12q" is not a size (use e.g. 256m, 1g)
`

func TestUsageErrors(t *testing.T) {
	inTempDir(t)
	mkdir(t, "state")
	tests := []struct {
		name string
		args []string
		want result
	}{
		{"unknown command", []string{"frob"},
			result{2, "", "error: unknown command \"frob\" for \"orchestrator\"\nSee 'orchestrator --help'.\n"}},
		{"unknown flag", []string{"get", "--dir", "state", "--bogus"},
			result{2, "", "error: unknown flag: --bogus\nSee 'orchestrator get --help'.\n"}},
		{"validate needs -f", []string{"validate"},
			result{2, "", "error: required flag(s) \"filename\" not set\nSee 'orchestrator validate --help'.\n"}},
		{"apply needs -f", []string{"apply", "--dir", "state"},
			result{2, "", "error: required flag(s) \"filename\" not set\nSee 'orchestrator apply --help'.\n"}},
		{"get takes one image", []string{"get", "a", "b", "--dir", "state"},
			result{2, "", "error: accepts at most 1 arg(s), received 2\nSee 'orchestrator get --help'.\n"}},
		{"unknown output", []string{"get", "--dir", "state", "-o", "xml"},
			result{2, "", "error: unknown output format \"xml\" (use table, json or yaml)\nSee 'orchestrator get --help'.\n"}},
		{"negative host cpus", []string{"get", "--dir", "state", "--host-cpus", "-1"},
			result{2, "", "error: --host-cpus must be >= 0, got -1\nSee 'orchestrator get --help'.\n"}},
		{"dir and server", []string{"get", "--dir", "state", "--server", "http://x"},
			result{2, "", "error: if any flags in the group [dir server] are set none of the others can be; [dir server] were all set\nSee 'orchestrator get --help'.\n"}},
		{"delete needs images or -f", []string{"delete", "--dir", "state"},
			result{2, "", "error: name the images either as arguments or with -f (not both)\nSee 'orchestrator delete --help'.\n"}},
		{"stdin twice", []string{"validate", "-f", "-", "-f", "-"},
			result{2, "", "error: \"-f -\" (standard input) can be given only once\nSee 'orchestrator validate --help'.\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkResult(t, tt.want, orch(t, tt.args...))
		})
	}
}

// With $ORCHESTRATOR_DIR the verbs use that directory. (Without any
// directory they talk to a server: TestStoreChoice.)
func TestDirFromEnv(t *testing.T) {
	inTempDir(t)
	writeFiles(t, map[string]string{"in/web.yaml": webYAML})
	mkdir(t, "state")
	env := map[string]string{envDir: "state"}
	checkResult(t, result{0, "shop/web:1.0 created\n", ""}, cli(t, env, "", "apply", "-f", "in/web.yaml"))
	checkResult(t, result{0, "shop/web:1.0 unchanged\n", ""}, cli(t, env, "", "apply", "-f", "in/web.yaml"))
}

// Every verb has a long help and an example.
func TestHelp(t *testing.T) {
	root := newApp(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}, func(string) string { return "" }).newRootCmd()
	for _, c := range append(root.Commands(), root) {
		if c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		if c.Long == "" || c.Example == "" {
			t.Errorf("%s: Long or Example is empty", c.CommandPath())
		}
	}
	r := orch(t, "apply", "--help")
	if r.Code != 0 || !strings.Contains(r.Stdout, "all or nothing") || !strings.Contains(r.Stdout, "--dry-run") {
		t.Errorf("apply --help: %+v", r)
	}
}
