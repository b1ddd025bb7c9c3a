package examples

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	composecli "github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

const (
	stackFile = "swarm/orchestrator.stack.yml"
	unitFile  = "systemd/orchestrator.service"
	// stateDir is where both keep the state directory, at the same path
	// inside the image as on the host.
	stateDir = "/var/lib/orchestrator/state"
)

func loadStack(t *testing.T, env ...string) (*types.Project, error) {
	t.Helper()
	opts, err := composecli.NewProjectOptions([]string{stackFile},
		composecli.WithName("orchestrator"),
		composecli.WithWorkingDirectory("swarm"),
		composecli.WithEnv(env), // not the OS environment: the test decides
	)
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

// The stack file runs the image that `make image` tags, as one task pinned
// to a manager, with the engine socket and the state directory mounted.
func TestSwarmStackFile(t *testing.T) {
	p, err := loadStack(t)
	if err != nil {
		t.Fatalf("load %s: %v", stackFile, err)
	}
	if names := slices.Sorted(maps.Keys(p.Services)); !slices.Equal(names, []string{"orchestrator"}) {
		t.Fatalf("services %q, want just orchestrator", names)
	}
	svc := p.Services["orchestrator"]

	mk, err := os.ReadFile(filepath.Join("..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^IMAGE\s*\?=\s*(\S+)$`).FindSubmatch(mk)
	if m == nil {
		t.Fatal("the Makefile sets no IMAGE ?= NAME (make image)")
	}
	if want := string(m[1]) + ":latest"; svc.Image != want {
		t.Errorf("image %q, want %q, the tag of make image", svc.Image, want)
	}

	d := svc.Deploy
	if d == nil {
		t.Fatal("no deploy section")
	}
	if d.Replicas == nil || *d.Replicas != 1 {
		t.Errorf("deploy.replicas = %v, want 1: one serve per state directory", d.Replicas)
	}
	if !slices.Contains(d.Placement.Constraints, "node.role == manager") {
		t.Errorf("placement constraints %q lack node.role == manager", d.Placement.Constraints)
	}
	if d.UpdateConfig == nil || d.UpdateConfig.Order != "stop-first" {
		t.Errorf("update_config %+v, want order stop-first: never two serves at once", d.UpdateConfig)
	}

	binds := map[string]string{}
	for _, v := range svc.Volumes {
		if v.Type == types.VolumeTypeBind {
			binds[v.Target] = v.Source
		}
	}
	if src := binds["/var/run/docker.sock"]; src != "/var/run/docker.sock" {
		t.Errorf("the engine socket is bind-mounted from %q, want /var/run/docker.sock (volumes %v)", src, svc.Volumes)
	}
	if src := binds[stateDir]; src != stateDir {
		t.Errorf("the state directory %s is bind-mounted from %q, want the same path", stateDir, src)
	}

	cmd := []string(svc.Command)
	if len(cmd) == 0 || cmd[0] != "serve" || flagValue(cmd, "--dir") != stateDir {
		t.Errorf("command %q, want serve --dir %s", cmd, stateDir)
	}
	addr := flagValue(cmd, "--addr")
	if len(svc.Ports) != 1 || svc.Ports[0].Published != "8000" || !strings.HasSuffix(addr, fmt.Sprintf(":%d", svc.Ports[0].Target)) {
		t.Errorf("ports %+v with --addr %q: want the API's port published as 8000", svc.Ports, addr)
	}
	if flagValue(cmd, "--engine") != "swarm" {
		t.Errorf("command %q, want --engine swarm: the specs run as the swarm's services", cmd)
	}
	// The published API's token comes from a secret, never the environment
	// (docker service inspect shows that).
	file := flagValue(cmd, "--token-file")
	secret, ok := strings.CutPrefix(file, "/run/secrets/")
	if !ok || !slices.ContainsFunc(svc.Secrets, func(s types.ServiceSecretConfig) bool { return s.Source == secret }) ||
		!bool(p.Secrets[secret].External) {
		t.Errorf("--token-file %q with secrets %+v and top-level %+v: want an external secret mounted at /run/secrets/", file, svc.Secrets, p.Secrets)
	}
	for k := range svc.Environment {
		if strings.Contains(k, "TOKEN") {
			t.Errorf("environment has %s: the token belongs in the secret", k)
		}
	}
	if svc.StopGracePeriod == nil || time.Duration(*svc.StopGracePeriod) < 30*time.Second {
		t.Errorf("stop_grace_period %v: serve needs time to drain", svc.StopGracePeriod)
	}
}

// The systemd unit starts serve on the same state directory, after the
// engine, and restarts it.
func TestSystemdUnit(t *testing.T) {
	unit := readUnit(t)
	service := unit["Service"]
	execs := service["ExecStart"]
	if len(execs) != 1 {
		t.Fatalf("ExecStart %q, want one", execs)
	}
	args := strings.Fields(execs[0])
	if len(args) < 2 || args[0] != "/usr/local/bin/orchestrator" || args[1] != "serve" || flagValue(args, "--dir") != stateDir {
		t.Errorf("ExecStart=%s, want /usr/local/bin/orchestrator serve --dir %s …", execs[0], stateDir)
	}
	for _, key := range []string{"After", "Requires"} {
		if !slices.ContainsFunc(unit["Unit"][key], func(v string) bool { return slices.Contains(strings.Fields(v), "docker.service") }) {
			t.Errorf("[Unit] %s=%q lacks docker.service", key, unit["Unit"][key])
		}
	}
	if got := service["Restart"]; !slices.Equal(got, []string{"always"}) {
		t.Errorf("Restart=%q, want always", got)
	}
	if got := service["KillSignal"]; !slices.Equal(got, []string{"SIGTERM"}) {
		t.Errorf("KillSignal=%q, want SIGTERM (serve drains on SIGTERM or SIGINT)", got)
	}
	// The unit and the stack give serve the same time to drain.
	p, err := loadStack(t)
	if err != nil {
		t.Fatal(err)
	}
	stop, err := time.ParseDuration(strings.Join(service["TimeoutStopSec"], ""))
	if err != nil {
		t.Fatalf("TimeoutStopSec: %v", err)
	}
	if grace := p.Services["orchestrator"].StopGracePeriod; grace == nil || time.Duration(*grace) != stop {
		t.Errorf("TimeoutStopSec=%s, stack stop_grace_period %v: want the same", stop, grace)
	}
}

// Every serve command line in the two files, also the commented variants,
// is one that this orchestrator accepts: each is run with --help, which
// fails on an unknown flag.
func TestPackagedCommandLinesParse(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "orchestrator")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/orchestrator").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var lines [][]string
	unit := readUnit(t)
	for _, e := range unit["Service"]["ExecStart"] {
		lines = append(lines, strings.Fields(e)[1:])
	}
	for _, e := range commentedExecStarts(t) {
		lines = append(lines, strings.Fields(e)[1:])
	}
	p, err := loadStack(t)
	if err != nil {
		t.Fatal(err)
	}
	lines = append(lines, p.Services["orchestrator"].Command)
	lines = append(lines, commentedCommands(t)...)
	if len(lines) < 4 {
		t.Fatalf("found %d command lines, want the unit's and the stack's, each with its git variant: %q", len(lines), lines)
	}
	for _, args := range lines {
		out, err := exec.Command(bin, append(args, "--help")...).CombinedOutput()
		if err != nil {
			t.Errorf("orchestrator %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// readUnit reads the unit file into section → key → values, as systemd
// does for the keys used here (no quoting; a line ending in \ goes on).
func readUnit(t *testing.T) map[string]map[string][]string {
	t.Helper()
	data, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	unit := map[string]map[string][]string{}
	section := ""
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			unit[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s: not a key=value in a section: %q", unitFile, line)
			}
			unit[section][strings.TrimSpace(k)] = append(unit[section][strings.TrimSpace(k)], strings.TrimSpace(v))
		}
	}
	return unit
}

// commentedExecStarts are the unit's "#ExecStart=" variants, continuation
// lines joined.
func commentedExecStarts(t *testing.T) []string {
	data, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var cur string
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case cur != "" && strings.HasPrefix(line, "#"):
			cur += " " + strings.TrimPrefix(line, "#")
		case strings.HasPrefix(line, "#ExecStart="):
			cur = strings.TrimPrefix(line, "#ExecStart=")
		default:
			continue
		}
		if strings.HasSuffix(cur, "\\") {
			cur = strings.TrimSuffix(cur, "\\")
			continue
		}
		out = append(out, cur)
		cur = ""
	}
	return out
}

// commentedCommands are the stack file's "# command: [...]" variants, a
// flow sequence of quoted strings (JSON), over one or more lines.
func commentedCommands(t *testing.T) [][]string {
	data, err := os.ReadFile(stackFile)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	var cur string
	for _, line := range strings.Split(string(data), "\n") {
		body, commented := strings.CutPrefix(strings.TrimSpace(line), "#")
		if !commented {
			continue
		}
		body = strings.TrimSpace(body)
		switch {
		case cur != "":
			cur += " " + body
		case strings.HasPrefix(body, "command: ["):
			cur = strings.TrimPrefix(body, "command: ")
		default:
			continue
		}
		if !strings.HasSuffix(cur, "]") {
			continue
		}
		var args []string
		if err := json.Unmarshal([]byte(cur), &args); err != nil {
			t.Fatalf("%s: a commented command is not a list of quoted strings: %v: %s", stackFile, err, cur)
		}
		out = append(out, args)
		cur = ""
	}
	return out
}

// flagValue is the value after flag in args, "" when absent.
func flagValue(args []string, flag string) string {
	if i := slices.Index(args, flag); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}
