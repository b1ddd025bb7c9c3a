package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Acceptance 7: `apply -f examples/state` against a running server gives the
// same files as `apply --dir`, and diff exits 0 afterwards; a second apply
// changes nothing; get shows the same either way.
func TestServerApplyExamplesLikeDir(t *testing.T) {
	examples, err := filepath.Abs("../../examples/state")
	if err != nil {
		t.Fatal(err)
	}
	inTempDir(t)
	mkdir(t, "state")
	s := startAPI(t, "")

	local := orch(t, "apply", "-R", "-f", examples, "--dir", "state")
	if local.Code != 0 || !strings.Contains(local.Stdout, " created\n") {
		t.Fatalf("apply --dir: %+v", local)
	}
	checkResult(t, local, s.orch(t, "apply", "-R", "-f", examples))
	want := readTree(t, "state")
	if diff := cmp.Diff(want, readTree(t, s.dir)); diff != "" {
		t.Fatalf("files (-dir +server):\n%s", diff)
	}
	checkResult(t, result{0, "", ""}, s.orch(t, "diff", "-R", "-f", examples))

	unchanged := strings.ReplaceAll(local.Stdout, " created\n", " unchanged\n")
	checkResult(t, result{0, unchanged, ""}, s.orch(t, "apply", "-R", "-f", examples))
	if diff := cmp.Diff(want, readTree(t, s.dir)); diff != "" {
		t.Errorf("a second apply changed files (-first +second):\n%s", diff)
	}

	for _, o := range []string{"table", "json", "yaml"} {
		checkResult(t, orch(t, "get", "--dir", "state", "-o", o), s.orch(t, "get", "-o", o))
		checkResult(t, orch(t, "get", "orchestrator-demo:web", "--dir", "state", "-o", o), s.orch(t, "get", "orchestrator-demo:web", "-o", o))
	}
}

// diff and apply through a server edit a hand-written multi-document file
// in place, exactly as they do on a directory.
func TestServerDiffAndApplyEditInPlace(t *testing.T) {
	inTempDir(t)
	s := startAPI(t, "")
	state := map[string]string{"shop.yaml": multiYAML, "web.yaml": webYAML}
	s.write(t, state)
	for name, text := range state {
		writeFiles(t, map[string]string{"state/" + name: text})
	}
	writeFiles(t, map[string]string{
		"in/api.yaml":    strings.Replace(multiYAML[:strings.Index(multiYAML, "---")], "max_replicas: 3", "max_replicas: 5", 1),
		"in/worker.yaml": workerYAML,
		"in/web.yaml":    webYAML,
	})
	args := []string{"-f", "in/api.yaml", "-f", "in/worker.yaml", "-f", "in/web.yaml"}

	local := orch(t, append([]string{"diff", "--dir", "state"}, args...)...)
	if local.Code != 1 || !strings.Contains(local.Stdout, "--- a/shop.yaml\n") || !strings.Contains(local.Stdout, "--- /dev/null\n+++ b/shop_worker_1.0.yaml\n") {
		t.Fatalf("diff --dir: %+v", local)
	}
	checkResult(t, local, s.orch(t, append([]string{"diff"}, args...)...))

	dry := result{0, "shop/api:2 configured (dry run)\nshop/worker:1.0 created (dry run)\nshop/web:1.0 unchanged (dry run)\n", ""}
	checkResult(t, dry, s.orch(t, append([]string{"apply", "--dry-run"}, args...)...))
	if diff := cmp.Diff(state, readTree(t, s.dir)); diff != "" {
		t.Errorf("apply --dry-run wrote (-before +after):\n%s", diff)
	}

	applied := result{0, "shop/api:2 configured\nshop/worker:1.0 created\nshop/web:1.0 unchanged\n", ""}
	checkResult(t, applied, orch(t, append([]string{"apply", "--dir", "state"}, args...)...))
	checkResult(t, applied, s.orch(t, append([]string{"apply"}, args...)...))
	if diff := cmp.Diff(readTree(t, "state"), readTree(t, s.dir)); diff != "" {
		t.Errorf("files (-dir +server):\n%s", diff)
	}
	checkResult(t, result{0, "", ""}, s.orch(t, append([]string{"diff"}, args...)...))
}

// get through a server shows the valid specs as get --dir does; the
// server does not list its files' errors, so there are no warnings.
func TestServerGet(t *testing.T) {
	inTempDir(t)
	s := startAPI(t, "")
	state := map[string]string{}
	for name, text := range getState {
		state[strings.TrimPrefix(name, "state/")] = text
	}
	s.write(t, state)
	writeFiles(t, getState)

	for _, args := range [][]string{{}, {"-o", "yaml"}, {"shop/web:1.0"}, {"shop/worker:1.0", "-o", "json"}, {"shop/api:2", "-o", "yaml"}} {
		want := orch(t, append([]string{"get", "--dir", "state"}, args...)...)
		want.Stderr = strings.TrimPrefix(want.Stderr, getWarnings)
		checkResult(t, want, s.orch(t, append([]string{"get"}, args...)...))
	}
	// The index of a document in its file is not in the API: 0.
	got := s.orch(t, "get", "shop/cache:7", "-o", "json")
	if got.Code != 0 || !strings.Contains(got.Stdout, `"file": "shop.yaml",`+"\n"+`    "line": 8,`+"\n"+`    "index": 0`) {
		t.Errorf("get shop/cache:7 -o json: %+v", got)
	}
	for _, image := range []string{"shop/nope:1", "shop/broken:1", "shop/twice:1"} {
		checkResult(t, result{1, "", "error: no spec for image \"" + image + "\"\n"}, s.orch(t, "get", image))
	}

	empty := startAPI(t, "")
	checkResult(t, result{0, "", "no specs in " + empty.url + "\n"}, empty.orch(t, "get"))
	checkResult(t, result{0, "{\n  \"images\": []\n}\n", ""}, empty.orch(t, "get", "-o", "json"))
}

func TestServerDelete(t *testing.T) {
	inTempDir(t)
	s := startAPI(t, "")
	state := map[string]string{"shop.yaml": multiYAML, "web.yaml": webYAML,
		"broken.yaml": "image: shop/broken:1\nresources: {memory: 12q}\n"}
	s.write(t, state)
	writeFiles(t, map[string]string{"in/web.yaml": webYAML})
	before := readTree(t, s.dir)

	// All or nothing: one missing image, and nothing is deleted.
	checkResult(t, result{1, "", "no spec for image \"shop/nope:1\" in " + s.url + "\n" +
		"error: 1 image cannot be deleted: nothing was deleted\n"}, s.orch(t, "delete", "shop/api:2", "shop/nope:1"))
	got := s.orch(t, "delete", "shop/broken:1")
	if got.Code != 1 || !strings.HasPrefix(got.Stderr, `image "shop/broken:1": file has errors: `) ||
		!strings.HasSuffix(got.Stderr, ": fix that first\nerror: 1 image cannot be deleted: nothing was deleted\n") {
		t.Errorf("delete of an image in a broken file: %+v", got)
	}
	checkResult(t, result{0, "shop/api:2 deleted (dry run)\n", ""}, s.orch(t, "delete", "shop/api:2", "--dry-run"))
	if diff := cmp.Diff(before, readTree(t, s.dir)); diff != "" {
		t.Fatalf("files changed (-before +after):\n%s", diff)
	}

	// The document goes, and the rest of its file stays.
	checkResult(t, result{0, "shop/api:2 deleted\n", ""}, s.orch(t, "delete", "shop/api:2", "shop/nope:1", "--ignore-not-found"))
	checkResult(t, result{0, "shop/web:1.0 deleted\n", ""}, s.orch(t, "delete", "-f", "in/web.yaml"))
	want := map[string]string{"shop.yaml": multiYAML[strings.Index(multiYAML, "---\n")+4:], "broken.yaml": state["broken.yaml"]}
	if diff := cmp.Diff(want, readTree(t, s.dir)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

// Errors of the server print like errors of a directory, and write nothing.
func TestServerErrors(t *testing.T) {
	inTempDir(t)
	s := startAPI(t, "")
	big := "image: shop/api:2\nresources:\n  memory: 64m\n  cpu: \"3\"\n"
	s.write(t, map[string]string{"w.yaml": "image: shop/worker:1.0\nresources: {memory: 12q}\n"})
	writeFiles(t, map[string]string{"in/big.yaml": webYAML + "---\n" + big, "in/worker.yaml": workerYAML,
		"state/w.yaml": "image: shop/worker:1.0\nresources: {memory: 12q}\n"})
	before := readTree(t, s.dir)

	// The server's host has 2 CPUs: its 422 points at the field in the input.
	tooBig := "in/big.yaml:13: resources.cpu: \"3\" is more than the host's 2 CPUs\n"
	checkResult(t, result{1, "", tooBig + "error: 1 spec cannot be written to " + s.url + ": nothing was applied\n"},
		s.orch(t, "apply", "-f", "in/big.yaml"))
	checkResult(t, result{2, "", tooBig + "error: 1 spec cannot be written to " + s.url + "\n"}, s.orch(t, "diff", "-f", "in/big.yaml"))
	// From standard input, at the document's line.
	checkResult(t, result{1, "", "<stdin>:1: resources.cpu: \"3\" is more than the host's 2 CPUs\nerror: 1 spec cannot be written to " + s.url + ": nothing was applied\n"},
		cli(t, nil, big, "apply", "-f", "-", "--server", s.url))

	// A broken document in the state directory, as with --dir.
	local := orch(t, "apply", "-f", "in/worker.yaml", "--dir", "state")
	if local.Code != 1 || !strings.Contains(local.Stderr, "state/w.yaml:2: resources.memory:") {
		t.Fatalf("apply --dir onto a broken document: %+v", local)
	}
	checkResult(t, result{1, "", `in/worker.yaml:1: shop/worker:1.0: its document in the state directory has errors, fix them first:
w.yaml:2: resources.memory: "12q" is not a size (use e.g. 256m, 1g)
error: 1 spec cannot be written to ` + s.url + `: nothing was applied
`}, s.orch(t, "apply", "-f", "in/worker.yaml"))
	if diff := cmp.Diff(before, readTree(t, s.dir)); diff != "" {
		t.Errorf("files changed (-before +after):\n%s", diff)
	}
}

// A server with a token refuses the CLI without it, once and clearly.
func TestServerToken(t *testing.T) {
	inTempDir(t)
	s := startAPI(t, "s3cret")
	writeFiles(t, map[string]string{"in/web.yaml": webYAML, "in/worker.yaml": workerYAML})
	refused := "error: the orchestrator at " + s.url + " refused the request: Not authenticated "
	noToken := result{1, "", refused + "(give its token with --token or $ORCHESTRATOR_TOKEN)\n"}
	wrong := result{1, "", refused + "(the token given is not the server's)\n"}
	checkResult(t, noToken, s.orch(t, "get"))
	checkResult(t, wrong, s.orch(t, "get", "--token", "guess"))
	checkResult(t, wrong, cli(t, map[string]string{envToken: "guess"}, "", "status", "--server", s.url))
	checkResult(t, wrong, s.orch(t, "apply", "-f", "in", "--token", "guess"))
	checkResult(t, result{2, "", wrong.Stderr}, s.orch(t, "diff", "-f", "in", "--token", "guess"))
	checkResult(t, wrong, s.orch(t, "delete", "shop/web:1.0", "--token", "guess"))
	checkResult(t, wrong, s.orch(t, "get", "containers", "--token", "guess"))
	if tree := readTree(t, s.dir); len(tree) != 0 {
		t.Errorf("files written without the token: %v", tree)
	}

	env := map[string]string{envToken: "s3cret", envServer: s.url}
	checkResult(t, result{0, "shop/web:1.0 created\nshop/worker:1.0 created\n", ""}, cli(t, env, "", "apply", "-f", "in"))
	checkResult(t, result{0, "", ""}, s.orch(t, "diff", "-f", "in", "--token", "s3cret"))
}

// Where the CLI looks for the desired state: --dir, then --server, then
// $ORCHESTRATOR_DIR, then $ORCHESTRATOR_SERVER, then 127.0.0.1:8000.
func TestStoreChoice(t *testing.T) {
	inTempDir(t)
	writeFiles(t, map[string]string{"state/web.yaml": webYAML})
	closed := closedURL(t)
	down := result{1, "", unreachable(closed)}
	checkResult(t, down, orch(t, "get", "--server", closed))
	checkResult(t, down, cli(t, map[string]string{envServer: closed}, "", "get"))
	checkResult(t, down, cli(t, map[string]string{envDir: "state"}, "", "get", "--server", closed))
	serverOnly := result{1, "", unreachableServerOnly(closed)}
	checkResult(t, serverOnly, cli(t, map[string]string{envServer: closed}, "", "status"))
	checkResult(t, serverOnly, orch(t, "get", "containers", "--server", closed))
	checkResult(t, result{2, "", unreachable(closed)}, orch(t, "diff", "-f", "state/web.yaml", "--server", closed))
	checkResult(t, result{1, "", unreachable(closed)}, orch(t, "apply", "-f", "state/web.yaml", "--server", strings.TrimPrefix(closed, "http://")))
	for _, env := range []map[string]string{{envDir: "state", envServer: closed}, {envServer: closed}} {
		got := cli(t, env, "", "get", "--dir", "state")
		if got.Code != 0 || !strings.HasPrefix(got.Stdout, "IMAGE") {
			t.Errorf("get --dir with %v: %+v", env, got)
		}
	}
	got := cli(t, map[string]string{envDir: "state", envServer: closed}, "", "get")
	if got.Code != 0 || !strings.HasPrefix(got.Stdout, "IMAGE") {
		t.Errorf("get with $%s and $%s: %+v", envDir, envServer, got)
	}

	// With nothing set: the default server.
	a := newApp(strings.NewReader(""), &strings.Builder{}, &strings.Builder{}, func(string) string { return "" })
	st, err := a.openStore()
	if c, ok := st.(*client); err != nil || !ok || c.base != defaultServer {
		t.Errorf("openStore with nothing set = %#v, %v; want a client of %s", st, err, defaultServer)
	}

	// Usage errors: a bad URL; --dir for what needs a server; serve without --dir.
	checkResult(t, result{2, "", "error: --server \"ftp://x\" is not a server URL (want e.g. http://127.0.0.1:8000)\nSee 'orchestrator get --help'.\n"},
		orch(t, "get", "--server", "ftp://x"))
	needServer := "error: this command needs a running server (orchestrator serve), not --dir: use --server URL\n"
	checkResult(t, result{2, "", needServer + "See 'orchestrator status --help'.\n"}, orch(t, "status", "--dir", "state"))
	checkResult(t, result{2, "", needServer + "See 'orchestrator get containers --help'.\n"}, orch(t, "get", "containers", "--dir", "state"))
	checkResult(t, result{2, "", "error: --dir is required: serve runs the reconciler and the API over a state directory\nSee 'orchestrator serve --help'.\n"},
		cli(t, map[string]string{envServer: closed}, "", "serve"))
}

// A spec whose file broke after the server enforced it is a broken file to
// the verbs through the server, as it is with --dir: get leaves it out and
// says why, and delete refuses to edit it.
func TestServerStaleSpecIsABrokenFile(t *testing.T) {
	inTempDir(t)
	s := startAPI(t, "")
	s.write(t, map[string]string{"web.yaml": webYAML, "worker.yaml": workerYAML})
	s.rec.Trigger()
	s.converge(t)
	s.write(t, map[string]string{"web.yaml": strings.Replace(webYAML, "memory: 256m", "memory: 12q", 1)})
	s.rec.Trigger()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if _, err := s.rec.WaitPass(ctx); err != nil {
			t.Fatalf("no pass saw the broken file: %v", err)
		}
		if _, _, stale := s.rec.Enforced("shop/web:1.0"); stale {
			break
		}
	}
	local, remote := orch(t, "get", "--dir", s.dir), s.orch(t, "get")
	if local.Code != remote.Code || local.Stdout != remote.Stdout || !strings.Contains(remote.Stderr, "web.yaml:8: resources.memory") {
		t.Errorf("get through the server differs from --dir, or hides the error:\n--dir:   %+v\nserver:  %+v", local, remote)
	}
	if r := s.orch(t, "delete", "shop/web:1.0"); r.Code == 0 || !strings.Contains(r.Stderr, "fix that first") {
		t.Errorf("delete of a stale spec through the server: %+v", r)
	}
}
