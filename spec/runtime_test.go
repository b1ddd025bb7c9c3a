package spec_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/spec"
)

// A compose-like spec reads into the runtime fields: a string command is
// split as a shell would, a string test is a CMD-SHELL test.
func TestRuntimeFieldsParse(t *testing.T) {
	in := `image: shop/db:16
name: db
command: postgres -c 'shared_buffers=256MB'
entrypoint: ["/entry.sh"]
working_dir: /var/lib/db
user: "999:999"
hostname: db
labels: {team: shop}
volumes:
  - data:/var/lib/db
  - ./conf:/etc/db:ro
tmpfs: [/run]
remove_volumes_on_prune: true
networks: [shop]
depends_on: [cache]
healthcheck:
  test: pg_isready
  interval: 5s
  retries: 3
restart: on-failure:3
logging: {driver: json-file, options: {max-size: 10m}}
stop_signal: SIGINT
stop_grace_period: 30s
cap_add: [NET_ADMIN]
cap_drop: [ALL]
read_only: true
security_opt: [no-new-privileges]
extra_hosts: ["db.local:10.0.0.5"]
dns: [1.1.1.1]
placement:
  constraints: [Node.Role==manager, "node.labels.disk == ssd"]
  preferences: [spread=node.labels.zone]
  max_replicas_per_node: 1
resources: {}
`
	docs, errs := spec.Parse("db.yaml", []byte(in), twoCPUs)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	got := docs[0].Spec
	want := spec.New("shop/db:16")
	want.Name = "db"
	want.Command = spec.Words{"postgres", "-c", "shared_buffers=256MB"}
	want.Entrypoint = spec.Words{"/entry.sh"}
	want.WorkingDir, want.User, want.Hostname = "/var/lib/db", "999:999", "db"
	want.Labels = map[string]string{"team": "shop"}
	want.Volumes, want.Tmpfs = []string{"data:/var/lib/db", "./conf:/etc/db:ro"}, []string{"/run"}
	want.RemoveVolumesOnPrune = true
	want.Networks, want.DependsOn = []string{"shop"}, []string{"cache"}
	want.Healthcheck = &spec.Healthcheck{Test: spec.HealthTest{"CMD-SHELL", "pg_isready"}, Interval: "5s", Retries: 3}
	want.Restart = "on-failure:3"
	want.Logging = &spec.Logging{Driver: "json-file", Options: map[string]string{"max-size": "10m"}}
	want.StopSignal, want.StopGracePeriod = "SIGINT", "30s"
	want.CapAdd, want.CapDrop, want.ReadOnly = []string{"NET_ADMIN"}, []string{"ALL"}, true
	want.SecurityOpt, want.ExtraHosts, want.DNS = []string{"no-new-privileges"}, []string{"db.local:10.0.0.5"}, []string{"1.1.1.1"}
	want.Placement = &spec.Placement{Constraints: []string{"Node.Role==manager", "node.labels.disk == ssd"},
		Preferences: []string{"spread=node.labels.zone"}, MaxReplicasPerNode: 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("spec (-want +got):\n%s", diff)
	}
	if name, n := got.RestartPolicy(); name != "on-failure" || n != 3 {
		t.Errorf("RestartPolicy = %s, %d", name, n)
	}
	wantMounts := []spec.Mount{
		{Type: spec.MountVolume, Source: "data", Target: "/var/lib/db"},
		{Type: spec.MountBind, Source: "./conf", Target: "/etc/db", ReadOnly: true},
		{Type: spec.MountTmpfs, Target: "/run"},
	}
	if diff := cmp.Diff(wantMounts, got.Mounts()); diff != "" {
		t.Errorf("mounts (-want +got):\n%s", diff)
	}
	// The text of the spec again reads back the same.
	again, errs := spec.Parse("db.yaml", spec.MarshalYAML(got), twoCPUs)
	if len(errs) > 0 {
		t.Fatalf("rendered spec: %v\n%s", errs, spec.MarshalYAML(got))
	}
	if diff := cmp.Diff(got, again[0].Spec); diff != "" {
		t.Errorf("after render and parse (-want +got):\n%s", diff)
	}
}

// Each bad runtime field is an error with its file, line and field (the
// entry of a list); nothing of the document is accepted.
func TestRuntimeFieldErrors(t *testing.T) {
	tests := []struct {
		name, field, want string
		opts              spec.Options
	}{
		{"reserved label", "labels: {orchestrator.image: x}",
			`db.yaml:3: labels["orchestrator.image"]: "orchestrator.image" is reserved: labels starting with orchestrator. are the orchestrator's own`, twoCPUs},
		{"bind mount outside the roots", "volumes: [/etc:/host-etc:ro]",
			`db.yaml:3: volumes[0]: host path /etc is outside the allowed roots (serve has no --allow-bind-mounts); a path next to the spec file (./dir) is always allowed`, twoCPUs},
		{"bind mount outside the given roots", "volumes: [/etc:/host-etc]",
			`db.yaml:3: volumes[0]: host path /etc is outside the allowed roots (--allow-bind-mounts allows /srv); a path next to the spec file (./dir) is always allowed`,
			spec.Options{HostCPUs: 2, BindRoots: []string{"/srv"}}},
		{"relative path that climbs", "volumes: [\"../x:/x\"]",
			`db.yaml:3: volumes[0]: "../x:/x": a relative host path starts with ./ and stays below the spec's directory`, twoCPUs},
		{"relative target", "volumes: [\"data:var/lib\"]",
			`db.yaml:3: volumes[0]: "data:var/lib": the path in the container must be absolute, got "var/lib"`, twoCPUs},
		{"two mounts on one path", "volumes: [a:/d, b:/d]",
			`db.yaml:3: volumes[1]: /d is mounted twice (also by "a:/d")`, twoCPUs},
		{"bad mode", "volumes: [\"a:/d:rx\"]",
			`db.yaml:3: volumes[0]: "a:/d:rx": unknown mode "rx" (use ro, rw, z or Z)`, twoCPUs},
		{"restart", "restart: sometimes",
			`db.yaml:3: restart: must be unless-stopped, always, on-failure, on-failure:N or no, got "sometimes"`, twoCPUs},
		{"engine network", "networks: [host]",
			`db.yaml:3: networks[0]: "host" is the engine's own network, not a user-defined bridge`, twoCPUs},
		{"healthcheck test", "healthcheck: {test: [\"RUN\", x]}",
			`db.yaml:3: healthcheck.test: must start with CMD, CMD-SHELL or NONE (or be one string, a shell command), got "RUN"`, twoCPUs},
		{"healthcheck interval", "healthcheck: {test: [CMD, /x], interval: 5}",
			`db.yaml:3: healthcheck.interval: must be a string, got integer 5; quote it: "5"`, twoCPUs},
		{"healthcheck duration", "healthcheck: {test: [CMD, /x], interval: 5 seconds}",
			`db.yaml:3: healthcheck.interval: "5 seconds" is not a duration (use e.g. 500ms, 10s, 1m30s)`, twoCPUs},
		{"command with a number", "command: [-port, 9000]",
			`db.yaml:3: command[1]: must be a string, got integer 9000; quote it: "9000"`, twoCPUs},
		{"unbalanced quote", "command: echo 'hi",
			`db.yaml:3: command: cannot split "echo 'hi" into words: invalid command line string`, twoCPUs},
		{"depends on itself", "depends_on: [db]",
			`db.yaml:3: depends_on[0]: "db" is this spec's own name`, twoCPUs},
		{"name", "name: my db",
			`db.yaml:3: name: "my db" is not a name (letters, digits, _ . -, starting with a letter or digit, at most 63)`, twoCPUs},
		{"signal", "stop_signal: SIGNOPE",
			`db.yaml:3: stop_signal: "SIGNOPE" is not a signal (e.g. SIGTERM, TERM, 15)`, twoCPUs},
		{"grace", "stop_grace_period: 2h",
			`db.yaml:3: stop_grace_period: must be at most 1h0m0s, got 2h`, twoCPUs},
		{"capability", "cap_add: [net_admin]",
			`db.yaml:3: cap_add[0]: "net_admin" is not a capability (e.g. NET_ADMIN, CAP_NET_ADMIN, ALL)`, twoCPUs},
		{"extra host", "extra_hosts: [\"db:nowhere\"]",
			`db.yaml:3: extra_hosts[0]: "db:nowhere": "nowhere" is not an IP address (or host-gateway)`, twoCPUs},
		{"dns", "dns: [one.one.one.one]",
			`db.yaml:3: dns[0]: "one.one.one.one" is not an IP address`, twoCPUs},
		{"placement constraint", "placement: {constraints: [node.role=manager]}",
			`db.yaml:3: placement.constraints[0]: "node.role=manager" is not a constraint: <attribute>==<value> or !=, on node.id, node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.<label> or engine.labels.<label>`, twoCPUs},
		{"placement attribute", "placement: {constraints: [node.zone==a]}",
			`db.yaml:3: placement.constraints[0]: "node.zone==a" is not a constraint: <attribute>==<value> or !=, on node.id, node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.<label> or engine.labels.<label>`, twoCPUs},
		{"placement value quoted", `placement: {constraints: ["node.labels.zone==\"east\""]}`,
			`db.yaml:3: placement.constraints[0]: "node.labels.zone==\"east\"" is not a constraint: <attribute>==<value> or !=, on node.id, node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.<label> or engine.labels.<label>`, twoCPUs},
		{"placement preference", "placement: {preferences: [node.labels.zone]}",
			`db.yaml:3: placement.preferences[0]: "node.labels.zone" is not a preference: spread=node.labels.<label> (or engine.labels.<label>)`, twoCPUs},
		{"placement per node", "placement: {max_replicas_per_node: -1}",
			`db.yaml:3: placement.max_replicas_per_node: must be at least 0 (0: no limit), got -1`, twoCPUs},
		{"opt-in without a volume", "remove_volumes_on_prune: true",
			`db.yaml:3: remove_volumes_on_prune: the spec has no named volume to remove`, twoCPUs},
		{"a list where a list is", "networks: shop",
			`db.yaml:3: networks: must be a list of strings, got string "shop"`, twoCPUs},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			head := "image: shop/db:16\nname: db\n"
			if strings.HasPrefix(tc.field, "name:") {
				head = "image: shop/db:16\n# the name is on the next line\n"
			}
			in := head + tc.field + "\nresources: {}\n"
			docs, errs := spec.Parse("db.yaml", []byte(in), tc.opts)
			if diff := cmp.Diff([]string{tc.want}, errorStrings(errs)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if len(docs) != 0 {
				t.Errorf("the document was accepted")
			}
		})
	}
}

// A spec without runtime fields hashes as before they existed; each one
// set changes the hash, except depends_on and remove_volumes_on_prune,
// which say nothing of a container.
func TestRuntimeFieldsHash(t *testing.T) {
	base := spec.New("shop/db:16")
	before := base.Hash()
	set := map[string]func(*spec.Spec){
		"command":  func(s *spec.Spec) { s.Command = spec.Words{"x"} },
		"volumes":  func(s *spec.Spec) { s.Volumes = []string{"data:/d"} },
		"networks": func(s *spec.Spec) { s.Networks = []string{"shop"} },
		"restart":  func(s *spec.Spec) { s.Restart = "always" },
		"labels":   func(s *spec.Spec) { s.Labels = map[string]string{"a": "b"} },
		"name":     func(s *spec.Spec) { s.Name = "db" },
	}
	for name, f := range set {
		s := base.Clone()
		f(&s)
		if s.Hash() == before {
			t.Errorf("%s does not change the hash", name)
		}
	}
	same := base.Clone()
	same.DependsOn, same.RemoveVolumesOnPrune, same.Labels = []string{"cache"}, true, map[string]string{}
	if same.Hash() != before {
		t.Errorf("depends_on, remove_volumes_on_prune or empty labels changed the hash")
	}
}

func TestShortName(t *testing.T) {
	for image, want := range map[string]string{
		"shop/web:1.4": "web",
		"nginx:alpine": "nginx",
		"registry.local:5000/team/api@sha256:" + sha: "api",
		"orchestrator-demo:kv":                       "orchestrator-demo",
	} {
		if got := spec.New(image).ShortName(); got != want {
			t.Errorf("ShortName(%s) = %q, want %q", image, got, want)
		}
	}
}

const sha = "0123456789012345678901234567890123456789012345678901234567890123"
