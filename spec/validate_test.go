package spec_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/spec"
)

// twoCPUs pins the host to 2 CPUs so that the cpu bound is the same on every machine.
var twoCPUs = spec.Options{HostCPUs: 2}

// errorStrings prints each error as the user sees it: "file:line: field: message".
func errorStrings(errs spec.FieldErrors) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func docImages(docs []spec.Document) []string {
	var out []string
	for _, d := range docs {
		out = append(out, d.Spec.Image)
	}
	return out
}

// TestParseRejectsBadDocuments holds one row per way a document can be
// wrong, with the exact text the user reads. good lists the images of the
// other documents of the same file, which must still be returned.
func TestParseRejectsBadDocuments(t *testing.T) {
	tests := []struct {
		name string
		in   string
		good []string
		want []string
	}{
		{
			name: "image missing",
			in: `resources:
  cpu: "1"
`,
			want: []string{
				`state/web.yaml:1: image: is required`,
			}},
		{
			name: "image empty",
			in: `image: ""
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:1: image: is required`,
			}},
		{
			name: "image uppercase",
			in: `image: Nginx:alpine
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:1: image: "Nginx:alpine" is not a valid image reference: repository name (library/Nginx) must be lowercase`,
			}},
		{
			name: "image invalid characters",
			in: `image: nginx:al pine
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:1: image: "nginx:al pine" is not a valid image reference: the form is [registry/]name[:tag][@digest], e.g. nginx:alpine`,
			}},
		{
			name: "image with shell characters",
			in: `image: "nginx;rm -rf"
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:1: image: "nginx;rm -rf" is not a valid image reference: the form is [registry/]name[:tag][@digest], e.g. nginx:alpine`,
			}},
		{
			name: "image climbing out with dot-dot",
			in: `image: ../../etc/passwd
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:1: image: "../../etc/passwd" is not a valid image reference: the form is [registry/]name[:tag][@digest], e.g. nginx:alpine`,
			}},
		{
			name: "image absolute path",
			in: `image: /etc/x
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:1: image: "/etc/x" is not a valid image reference: the form is [registry/]name[:tag][@digest], e.g. nginx:alpine`,
			}},
		{
			name: "image with NUL",
			in: `image: "nginx\0:alpine"
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:1: image: "nginx\x00:alpine" is not a valid image reference: the form is [registry/]name[:tag][@digest], e.g. nginx:alpine`,
			}},
		{
			name: "image with bad digest",
			in: `image: nginx@sha256:abc
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:1: image: "nginx@sha256:abc" is not a valid image reference: the form is [registry/]name[:tag][@digest], e.g. nginx:alpine`,
			}},
		{
			name: "min_replicas negative",
			in: `image: nginx
min_replicas: -1
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:2: min_replicas: must be >= 0, got -1`,
			}},
		{
			name: "max_replicas zero",
			in: `image: nginx
max_replicas: 0
min_replicas: 0
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:2: max_replicas: must be >= 1, got 0`,
			}},
		{
			name: "min greater than max",
			in: `image: nginx
min_replicas: 4
max_replicas: 2
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:2: min_replicas: 4 is greater than max_replicas 2`,
			}},
		{
			name: "min greater than default max",
			in: `image: nginx
min_replicas: 6
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:2: min_replicas: 6 is greater than max_replicas 5`,
			}},
		{
			name: "fraction for int",
			in: `image: nginx
min_replicas: 2.5
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:2: min_replicas: must be an integer, got number 2.5`,
			}},
		{
			name: "word for int",
			in: `image: nginx
max_replicas: many
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:2: max_replicas: must be an integer, got string "many"`,
			}},
		{
			name: "float for int",
			in: `image: nginx
max_replicas: 2.5
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:2: max_replicas: must be an integer, got number 2.5`,
			}},
		{
			name: "int out of range",
			in: `image: nginx
max_replicas: 99999999999
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:2: max_replicas: must be between -2147483648 and 2147483647, got 99999999999`,
			}},
		{
			name: "int for string",
			in: `image: 42
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:1: image: must be a string, got integer 42; quote it: "42"`,
			}},
		{
			name: "number for cpu string",
			in: `image: nginx
resources:
  cpu: 0.5
`,
			want: []string{
				`state/web.yaml:3: resources.cpu: must be a string, got number 0.5; quote it: "0.5"`,
			}},
		{
			name: "int for env value",
			in: `image: nginx
env:
  WORKERS: 4
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:3: env["WORKERS"]: must be a string, got integer 4; quote it: "4"`,
			}},
		{
			name: "bool for int",
			in: `image: nginx
min_replicas: true
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:2: min_replicas: must be an integer, got boolean true`,
			}},
		{
			name: "bool for string",
			in: `image: nginx
resources:
  cpu: "1"
  status: true
`,
			want: []string{
				`state/web.yaml:4: resources.status: must be a string, got boolean true; quote it: "true"`,
			}},
		{
			name: "string for bool",
			in: `image: nginx
resources: {cpu: "1"}
autoscale:
  enabled: "yes"
`,
			want: []string{
				`state/web.yaml:4: autoscale.enabled: must be true or false, got string "yes"`,
			}},
		{
			name: "list for mapping",
			in: `image: nginx
ports: [80, 443]
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:2: ports: must be a mapping, got a list`,
			}},
		{
			name: "list for string",
			in: `image: [nginx]
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:1: image: must be a string, got a list`,
			}},
		{
			name: "null for string",
			in: `image: null
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:1: image: must be a string, got null`,
			}},
		{
			name: "null for int",
			in: `image: nginx
max_replicas: ~
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:2: max_replicas: must be an integer, got null`,
			}},
		{
			name: "null resources",
			in: `image: nginx
resources:
`,
			want: []string{
				`state/web.yaml:2: resources: must be a mapping, got null`,
			}},
		{
			name: "mapping for string",
			in: `image: nginx
resources:
  cpu: {value: 1}
`,
			want: []string{
				`state/web.yaml:3: resources.cpu: must be a string, got a mapping`,
			}},
		{
			name: "string for mapping",
			in: `image: nginx
env: LOG_LEVEL=info
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:2: env: must be a mapping, got string "LOG_LEVEL=info"`,
			}},
		{
			name: "unknown top-level field",
			in: `image: nginx
replicas: 3
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:2: replicas: unknown field (known fields: image, name, min_replicas, max_replicas, env, ports, resources, autoscale, health, command, entrypoint, working_dir, user, hostname, labels, volumes, tmpfs, remove_volumes_on_prune, networks, depends_on, healthcheck, restart, logging, stop_signal, stop_grace_period, cap_add, cap_drop, read_only, security_opt, extra_hosts, dns, placement)`,
			}},
		{
			name: "unknown field resources.cpus",
			in: `image: nginx
resources:
  cpus: "1"
`,
			want: []string{
				`state/web.yaml:3: resources.cpus: unknown field (known fields: cpu, memory, status)`,
			}},
		{
			name: "unknown field autoscale.x",
			in: `image: nginx
resources: {cpu: "1"}
autoscale:
  x: 1
`,
			want: []string{
				`state/web.yaml:4: autoscale.x: unknown field (known fields: enabled, target_cpu_percent, scale_down_stabilization)`,
			}},
		{
			name: "unknown field health.y",
			in: `image: nginx
ports: {"80": 0}
resources: {cpu: "1"}
health:
  y: 2
`,
			want: []string{
				`state/web.yaml:5: health.y: unknown field (known fields: http_path, port, interval)`,
			}},
		{
			name: "field name that is not a string",
			in: `image: nginx
resources: {cpu: "1"}
? [a, b]
: 1
`,
			want: []string{
				`state/web.yaml:3: field names must be strings, got a list`,
			}},
		{
			name: "duplicate field",
			in: `image: nginx
resources: {cpu: "1"}
image: redis
`,
			want: []string{
				`state/web.yaml:3: image: duplicate field (first set on line 1)`,
			}},
		{
			name: "duplicate nested field",
			in: `image: nginx
resources:
  cpu: "1"
  cpu: "2"
`,
			want: []string{
				`state/web.yaml:4: resources.cpu: duplicate field (first set on line 3)`,
			}},
		{
			name: "duplicate env key",
			in: `image: nginx
env:
  A: "1"
  A: "2"
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:4: env["A"]: duplicate key (first set on line 3)`,
			}},
		{
			name: "missing resources",
			in: `image: nginx
min_replicas: 2
`,
			want: []string{
				`state/web.yaml:1: resources: is required (e.g. resources: {cpu: "500m", memory: "256m"})`,
			}},
		{
			name: "cpu not a number",
			in: `image: nginx
resources:
  cpu: abc
`,
			want: []string{
				`state/web.yaml:3: resources.cpu: "abc" is not a CPU quantity (use e.g. "500m" or "0.5")`,
			}},
		{
			name: "cpu zero",
			in: `image: nginx
resources:
  cpu: "0"
`,
			want: []string{
				`state/web.yaml:3: resources.cpu: must be > 0, got "0"`,
			}},
		{
			name: "cpu negative",
			in: `image: nginx
resources:
  cpu: "-1"
`,
			want: []string{
				`state/web.yaml:3: resources.cpu: must be > 0, got "-1"`,
			}},
		{
			name: "cpu too precise",
			in: `image: nginx
resources:
  cpu: "0.0000000001"
`,
			want: []string{
				`state/web.yaml:3: resources.cpu: "0.0000000001" is too precise (the smallest step is 1 nano-CPU: 0.000000001)`,
			}},
		{
			name: "cpu millis too precise",
			in: `image: nginx
resources:
  cpu: 100.5000001m
`,
			want: []string{
				`state/web.yaml:3: resources.cpu: "100.5000001m" is too precise (the smallest step is 1 nano-CPU: 0.000000001)`,
			}},
		{
			name: "cpu below engine minimum",
			in: `image: nginx
resources:
  cpu: 5m
`,
			want: []string{
				`state/web.yaml:3: resources.cpu: "5m" is below the engine's minimum of 0.01 CPU (10m)`,
			}},
		{
			name: "cpu more than host",
			in: `image: nginx
resources:
  cpu: "3"
`,
			want: []string{
				`state/web.yaml:3: resources.cpu: "3" is more than the host's 2 CPUs`,
			}},
		{
			name: "cpu more than host in millis",
			in: `image: nginx
resources:
  cpu: 2001m
`,
			want: []string{
				`state/web.yaml:3: resources.cpu: "2001m" is more than the host's 2 CPUs`,
			}},
		{
			name: "cpu two dots",
			in: `image: nginx
resources:
  cpu: "1.5.5"
`,
			want: []string{
				`state/web.yaml:3: resources.cpu: "1.5.5" is not a CPU quantity (use e.g. "500m" or "0.5")`,
			}},
		{
			name: "memory unknown unit",
			in: `image: nginx
resources:
  memory: 12q
`,
			want: []string{
				`state/web.yaml:3: resources.memory: "12q" is not a size (use e.g. 256m, 1g)`,
			}},
		{
			name: "memory below engine minimum",
			in: `image: nginx
resources:
  memory: 4m
`,
			want: []string{
				`state/web.yaml:3: resources.memory: "4m" is below the engine's minimum of 6 MiB (6m)`,
			}},
		{
			name: "memory zero",
			in: `image: nginx
resources:
  memory: "0"
`,
			want: []string{
				`state/web.yaml:3: resources.memory: "0" is below the engine's minimum of 6 MiB (6m)`,
			}},
		{
			name: "memory negative",
			in: `image: nginx
resources:
  memory: "-1g"
`,
			want: []string{
				`state/web.yaml:3: resources.memory: "-1g" is not a size (use e.g. 256m, 1g)`,
			}},
		{
			name: "status paused",
			in: `image: nginx
resources:
  cpu: "1"
  status: paused
`,
			want: []string{
				`state/web.yaml:4: resources.status: must be "running" or "stopped", got "paused"`,
			}},
		{
			name: "port key not a number",
			in: `image: nginx
ports:
  http: 0
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:3: ports["http"]: "http" is not a port (use "80", "80/tcp" or "53/udp")`,
			}},
		{
			name: "port zero",
			in: `image: nginx
ports:
  0: 0
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:3: ports["0"]: container port must be 1-65535, got 0`,
			}},
		{
			name: "port too big",
			in: `image: nginx
ports:
  "70000": 0
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:3: ports["70000"]: container port must be 1-65535, got 70000`,
			}},
		{
			name: "port protocol sctp",
			in: `image: nginx
ports:
  80/sctp: 0
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:3: ports["80/sctp"]: protocol must be tcp or udp, got "sctp"`,
			}},
		{
			name: "host port negative",
			in: `image: nginx
max_replicas: 1
ports:
  "80": -1
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:4: ports["80"]: host port must be 0-65535 (0 = random), got -1`,
			}},
		{
			name: "host port too big",
			in: `image: nginx
max_replicas: 1
ports:
  "80": 70000
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:4: ports["80"]: host port must be 0-65535 (0 = random), got 70000`,
			}},
		{
			name: "host port a word",
			in: `image: nginx
max_replicas: 1
ports:
  "80": "http"
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:4: ports["80"]: must be an integer, got string "http"`,
			}},
		{
			name: "same port twice",
			in: `image: nginx
ports:
  "80": 0
  80/tcp: 0
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:4: ports["80/tcp"]: same container port as "80" (both are 80/tcp)`,
			}},
		{
			name: "duplicate port key",
			in: `image: nginx
ports:
  80: 0
  "80": 0
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:4: ports["80"]: duplicate key (first set on line 3)`,
			}},
		{
			name: "fixed host port with default max_replicas",
			in: `image: nginx
ports:
  "80": 8080
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:3: ports["80"]: host port 8080 is fixed but max_replicas is 5: two replicas cannot bind one host port (use 0 for a random port, or max_replicas: 1)`,
			}},
		{
			name: "fixed host port with max_replicas 3",
			in: `image: nginx
min_replicas: 2
max_replicas: 3
ports:
  "80/tcp": 8080
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:5: ports["80/tcp"]: host port 8080 is fixed but max_replicas is 3: two replicas cannot bind one host port (use 0 for a random port, or max_replicas: 1)`,
			}},
		{
			name: "same fixed host port twice",
			in: `image: nginx
max_replicas: 1
ports:
  "80": 8080
  "81": 8080
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:5: ports["81"]: host port 8080/tcp is already bound by "80"`,
			}},
		{
			name: "env name starts with digit",
			in: `image: nginx
env:
  1BAD: x
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:3: env["1BAD"]: "1BAD" is not a valid variable name (letters, digits and _, not starting with a digit)`,
			}},
		{
			name: "env name with dash",
			in: `image: nginx
env:
  A-B: x
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:3: env["A-B"]: "A-B" is not a valid variable name (letters, digits and _, not starting with a digit)`,
			}},
		{
			name: "env name empty",
			in: `image: nginx
env:
  "": x
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:3: env[""]: "" is not a valid variable name (letters, digits and _, not starting with a digit)`,
			}},
		{
			name: "env value with NUL",
			in: `image: nginx
env:
  A: "x\0y"
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:3: env["A"]: value must not contain a NUL byte`,
			}},
		{
			name: "autoscale target zero",
			in: `image: nginx
resources: {cpu: "1"}
autoscale:
  target_cpu_percent: 0
`,
			want: []string{
				`state/web.yaml:4: autoscale.target_cpu_percent: must be 1-100 (percent of the CPU limit), got 0`,
			}},
		{
			name: "autoscale target above 100",
			in: `image: nginx
resources: {cpu: "1"}
autoscale:
  target_cpu_percent: 101
`,
			want: []string{
				`state/web.yaml:4: autoscale.target_cpu_percent: must be 1-100 (percent of the CPU limit), got 101`,
			}},
		{
			name: "autoscale stabilization not a duration",
			in: `image: nginx
resources: {cpu: "1"}
autoscale:
  scale_down_stabilization: soon
`,
			want: []string{
				`state/web.yaml:4: autoscale.scale_down_stabilization: "soon" is not a duration (use e.g. 30s, 5m)`,
			}},
		{
			name: "autoscale stabilization without unit",
			in: `image: nginx
resources: {cpu: "1"}
autoscale:
  scale_down_stabilization: "300"
`,
			want: []string{
				`state/web.yaml:4: autoscale.scale_down_stabilization: "300" is not a duration (use e.g. 30s, 5m)`,
			}},
		{
			name: "autoscale stabilization negative",
			in: `image: nginx
resources: {cpu: "1"}
autoscale:
  scale_down_stabilization: -1m
`,
			want: []string{
				`state/web.yaml:4: autoscale.scale_down_stabilization: must be >= 0, got -1m`,
			}},
		{
			name: "autoscale stabilization too long",
			in: `image: nginx
resources: {cpu: "1"}
autoscale:
  scale_down_stabilization: 2h
`,
			want: []string{
				`state/web.yaml:4: autoscale.scale_down_stabilization: must be at most 1h, got 2h`,
			}},
		{
			name: "health path without slash",
			in: `image: nginx
ports: {"80": 0}
resources: {cpu: "1"}
health:
  http_path: healthz
`,
			want: []string{
				`state/web.yaml:5: health.http_path: must start with "/", got "healthz"`,
			}},
		{
			name: "health path with a line break",
			in: `image: nginx
ports: {"80": 0}
resources: {cpu: "1"}
health:
  http_path: "/a\nb"
`,
			want: []string{
				`state/web.yaml:5: health.http_path: must be valid UTF-8 without control characters, got "/a\nb"`,
			}},
		{
			name: "health port not among ports",
			in: `image: nginx
ports: {"80": 0}
resources: {cpu: "1"}
health:
  port: "8080"
`,
			want: []string{
				`state/web.yaml:5: health.port: "8080" is not one of the spec's ports (80)`,
			}},
		{
			name: "health port protocol differs",
			in: `image: nginx
ports: {"53/udp": 0}
resources: {cpu: "1"}
health:
  port: "53"
`,
			want: []string{
				`state/web.yaml:5: health.port: "53" (53/tcp) is not one of the spec's ports (53/udp)`,
			}},
		{
			name: "health port not a port",
			in: `image: nginx
ports: {"80": 0}
resources: {cpu: "1"}
health:
  port: http
`,
			want: []string{
				`state/web.yaml:5: health.port: "http" is not a port (use "80", "80/tcp" or "53/udp")`,
			}},
		{
			name: "health http path with no port to probe",
			in: `image: nginx
resources: {cpu: "1"}
health:
  http_path: /healthz
`,
			want: []string{
				`state/web.yaml:4: health.http_path: needs a port to probe: add one to ports`,
			}},
		{
			name: "health interval not a duration",
			in: `image: nginx
ports: {"80": 0}
resources: {cpu: "1"}
health:
  interval: often
`,
			want: []string{
				`state/web.yaml:5: health.interval: "often" is not a duration (use e.g. 5s, 1m)`,
			}},
		{
			name: "health interval below one second",
			in: `image: nginx
ports: {"80": 0}
resources: {cpu: "1"}
health:
  interval: 500ms
`,
			want: []string{
				`state/web.yaml:5: health.interval: must be at least 1s, got 500ms`,
			}},
		{
			name: "YAML bad indentation",
			in: `image: nginx
resources:
  cpu: "1"
 memory: 256m
`,
			want: []string{
				`state/web.yaml:4: invalid YAML: did not find expected key`,
			}},
		{
			name: "YAML tab indentation",
			in: `image: nginx
resources:
	cpu: "1"
`,
			want: []string{
				`state/web.yaml:3: invalid YAML: found character that cannot start any token`,
			}},
		{
			name: "YAML unterminated quote",
			in: `image: nginx
env:
  A: "oops
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:3: invalid YAML: did not find expected key`,
			}},
		{
			name: "YAML unclosed flow mapping",
			in: `image: nginx
resources: {cpu: "1"
min_replicas: 2
`,
			want: []string{
				`state/web.yaml:2: invalid YAML: did not find expected ',' or '}'`,
			}},
		{
			name: "YAML unknown alias",
			in: `image: nginx
resources: *limits
`,
			want: []string{
				`state/web.yaml:2: invalid YAML: unknown anchor 'limits' referenced`,
			}},
		{
			name: "YAML error in second document",
			in: `image: redis
resources: {cpu: "1"}
---
image: nginx
resources: {cpu: "1"
`,
			good: []string{"redis"},
			want: []string{
				`state/web.yaml:5: invalid YAML: did not find expected ',' or '}'`,
			}},
		{
			name: "root is a list",
			in: `- image: nginx
  resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:1: a spec must be a mapping of fields (image, resources, ...), got a list (put each spec in its own document, separated by "---" lines)`,
			}},
		{
			name: "root is a scalar",
			in: `nginx:alpine
`,
			want: []string{
				`state/web.yaml:1: a spec must be a mapping of fields (image, resources, ...), got string "nginx:alpine"`,
			}},
		{
			name: "content on the separator line",
			in: `image: redis
resources: {cpu: "1"}
--- image: nginx
resources: {cpu: "1"}
`,
			good: []string{"redis"},
			want: []string{
				`state/web.yaml:3: put the document on the line after "---"`,
			}},
		{
			name: "content after document end marker",
			in: `image: nginx
resources: {cpu: "1"}
...
image: redis
`,
			want: []string{
				`state/web.yaml:4: invalid YAML: content after the "..." that ends the document (start another document with a "---" line)`,
			}},
		{
			name: "binary input",
			in:   "image: nginx\u0000\u0001\u0002\n",
			want: []string{
				`state/web.yaml:1: not a text file (it contains NUL bytes)`,
			}},
		{
			name: "JSON missing comma",
			in: `{
  "image": "nginx",
  "resources": {"cpu": "1"}
  "min_replicas": 2
}
`,
			want: []string{
				`state/web.yaml:4: invalid YAML: did not find expected ',' or '}'`,
			}},
		{
			name: "JSON unclosed",
			in: `{"image": "nginx", "resources": {"cpu": "1"}
`,
			want: []string{
				`state/web.yaml:1: invalid YAML: did not find expected ',' or '}'`,
			}},
		{
			name: "JSON with invalid fields",
			in: `{
  "image": "nginx",
  "max_replicas": "three",
  "resources": {"cpu": 0.5, "memory": "256m"},
  "extra": true
}
`,
			want: []string{
				`state/web.yaml:3: max_replicas: must be an integer, got string "three"`,
				`state/web.yaml:4: resources.cpu: must be a string, got number 0.5; quote it: "0.5"`,
				`state/web.yaml:5: extra: unknown field (known fields: image, name, min_replicas, max_replicas, env, ports, resources, autoscale, health, command, entrypoint, working_dir, user, hostname, labels, volumes, tmpfs, remove_volumes_on_prune, networks, depends_on, healthcheck, restart, logging, stop_signal, stop_grace_period, cap_add, cap_drop, read_only, security_opt, extra_hosts, dns, placement)`,
			}},
		{
			name: "JSON fixed host port",
			in: `{
  "image": "nginx",
  "ports": {"80": 8080},
  "resources": {"cpu": "1"}
}
`,
			want: []string{
				`state/web.yaml:3: ports["80"]: host port 8080 is fixed but max_replicas is 5: two replicas cannot bind one host port (use 0 for a random port, or max_replicas: 1)`,
			}},
		{
			name: "health port without any ports",
			in: `image: nginx
resources: {cpu: "1"}
health:
  port: "80"
`,
			want: []string{
				`state/web.yaml:4: health.port: "80" is not one of the spec's ports (it has none)`,
			}},
		{
			name: "health mapping for scalar",
			in: `image: nginx
resources: {cpu: "1"}
health: /healthz
`,
			want: []string{
				`state/web.yaml:3: health: must be a mapping, got string "/healthz"`,
			}},
		{
			name: "env key that is not a string",
			in: `image: nginx
env:
  ? {a: 1}
  : x
resources: {cpu: "1"}
`,
			want: []string{
				`state/web.yaml:3: env: keys must be strings, got a mapping`,
			}},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		if seen[tc.in] {
			t.Errorf("%s: the same input is in the table twice", tc.name)
		}
		seen[tc.in] = true
		t.Run(tc.name, func(t *testing.T) {
			docs, errs := spec.Parse("state/web.yaml", []byte(tc.in), twoCPUs)
			if diff := cmp.Diff(tc.want, errorStrings(errs)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.good, docImages(docs)); diff != "" {
				t.Errorf("a bad document was accepted: images (-want +got):\n%s", diff)
			}
			if !errors.Is(errs, spec.ErrInvalid) {
				t.Errorf("errors.Is(errs, ErrInvalid) = false for %v", errs)
			}
			for _, e := range errs {
				if e.File != "state/web.yaml" || e.Line < 1 {
					t.Errorf("error %q lacks its file or line: file %q, line %d", e.Error(), e.File, e.Line)
				}
			}
		})
	}
	if len(tests) < 40 {
		t.Errorf("only %d bad documents; the acceptance asks for at least 40", len(tests))
	}
}

// TestParseReportsAllErrorsOfAFile checks that one pass finds every problem
// of every document, sorted by line, and still returns the good document.
func TestParseReportsAllErrorsOfAFile(t *testing.T) {
	in := `# web tier
image: nginx:alpine
min_replicas: many
ports:
  "80": 8080
resources:
  cpu: "1"
  memory: 12q
env:
  1BAD: x
---
# worker, good
image: redis:7
resources: {cpu: "500m", memory: 256m}
---
image: Bad/Image
max_replicas: 0
resources:
  cpu: "-1"
  status: paused
  extra: 1
---

---
{"image": "busybox", "resources": {"cpu": "9"}, "health": {"port": "81"}}
---
image: ok
resources: {cpu: "1"
`
	want := []string{
		`state/web.yaml:3: min_replicas: must be an integer, got string "many"`,
		// The fixed host port on line 5 is judged: it reads max_replicas
		// (the default 5 here), which is not broken.
		`state/web.yaml:5: ports["80"]: host port 8080 is fixed but max_replicas is 5: two replicas cannot bind one host port (use 0 for a random port, or max_replicas: 1)`,
		`state/web.yaml:8: resources.memory: "12q" is not a size (use e.g. 256m, 1g)`,
		`state/web.yaml:10: env["1BAD"]: "1BAD" is not a valid variable name (letters, digits and _, not starting with a digit)`,
		`state/web.yaml:16: image: "Bad/Image" is not a valid image reference: repository name (Image) must be lowercase`,
		`state/web.yaml:17: max_replicas: must be >= 1, got 0`,
		`state/web.yaml:19: resources.cpu: must be > 0, got "-1"`,
		`state/web.yaml:20: resources.status: must be "running" or "stopped", got "paused"`,
		`state/web.yaml:21: resources.extra: unknown field (known fields: cpu, memory, status)`,
		`state/web.yaml:25: health.port: "81" is not one of the spec's ports (it has none)`,
		`state/web.yaml:25: resources.cpu: "9" is more than the host's 2 CPUs`,
		`state/web.yaml:28: invalid YAML: did not find expected ',' or '}'`,
	}
	docs, errs := spec.Parse("state/web.yaml", []byte(in), twoCPUs)
	if diff := cmp.Diff(want, errorStrings(errs)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"redis:7"}, docImages(docs)); diff != "" {
		t.Errorf("images (-want +got):\n%s", diff)
	}
	if len(docs) == 1 {
		if diff := cmp.Diff([]int{1, 13}, []int{docs[0].Index, docs[0].Line}); diff != "" {
			t.Errorf("index and line of redis:7 (-want +got):\n%s", diff)
		}
	}
	// The joined error is the same lines, one per error.
	joined := errs.Error()
	if diff := cmp.Diff(want, strings.Split(joined, "\n")); diff != "" {
		t.Errorf("FieldErrors.Error() (-want +got):\n%s", diff)
	}
}

// TestValidate checks specs that come from code (the API, a scale call)
// rather than from a file: no file, no line, but the same field and message.
func TestValidate(t *testing.T) {
	base := func(mut func(*spec.Spec)) spec.Spec {
		s := spec.New("nginx:alpine")
		s.Resources.CPU, s.Resources.Memory = "500m", "256m"
		mut(&s)
		return s
	}
	tests := []struct {
		name string
		spec spec.Spec
		opts spec.Options
		want []string
	}{
		{name: "valid", spec: base(func(*spec.Spec) {})},
		{name: "no limits", spec: base(func(s *spec.Spec) { s.Resources = spec.Resources{} })},
		{name: "registry, path, tag and digest", spec: base(func(s *spec.Spec) {
			s.Image = "registry.example.com:5000/team/app:1.2@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		})},
		{name: "dot-dot", spec: base(func(s *spec.Spec) { s.Image = ".." }), want: []string{
			`image: ".." is not a valid image reference: the form is [registry/]name[:tag][@digest], e.g. nginx:alpine`,
		}},
		{name: "dot-dot inside a path", spec: base(func(s *spec.Spec) { s.Image = "team/../../x" }), want: []string{
			`image: "team/../../x" is not a valid image reference: the form is [registry/]name[:tag][@digest], e.g. nginx:alpine`,
		}},
		{name: "absolute path", spec: base(func(s *spec.Spec) { s.Image = "/etc/passwd" }), want: []string{
			`image: "/etc/passwd" is not a valid image reference: the form is [registry/]name[:tag][@digest], e.g. nginx:alpine`,
		}},
		{name: "NUL", spec: base(func(s *spec.Spec) { s.Image = "nginx\x00" }), want: []string{
			`image: "nginx\x00" is not a valid image reference: the form is [registry/]name[:tag][@digest], e.g. nginx:alpine`,
		}},
		{name: "empty image", spec: base(func(s *spec.Spec) { s.Image = "" }), want: []string{
			`image: is required`,
		}},
		{name: "env value not UTF-8", spec: base(func(s *spec.Spec) { s.Env = map[string]string{"A": "\xff"} }), want: []string{
			`env["A"]: value must be valid UTF-8, got "\xff"`,
		}},
		{name: "health path not UTF-8", spec: base(func(s *spec.Spec) {
			s.Ports = map[string]int{"80": 0}
			s.Health = &spec.Health{HTTPPath: "/\xff"}
		}), want: []string{
			`health.http_path: must be valid UTF-8 without control characters, got "/\xff"`,
		}},
		{name: "empty status is running", spec: base(func(s *spec.Spec) { s.Resources.Status = "" })},
		{name: "cpu at the host's count", spec: base(func(s *spec.Spec) { s.Resources.CPU = "2" }), opts: twoCPUs},
		{name: "cpu over the host's count", spec: base(func(s *spec.Spec) { s.Resources.CPU = "2.000000001" }), opts: twoCPUs, want: []string{
			`resources.cpu: "2.000000001" is more than the host's 2 CPUs`,
		}},
		{name: "cpu at the engine minimum", spec: base(func(s *spec.Spec) { s.Resources.CPU = "10m" })},
		{name: "memory at the engine minimum", spec: base(func(s *spec.Spec) { s.Resources.Memory = "6m" })},
		{name: "memory just below the engine minimum", spec: base(func(s *spec.Spec) { s.Resources.Memory = "6291455" }), want: []string{
			`resources.memory: "6291455" is below the engine's minimum of 6 MiB (6m)`,
		}},
		{name: "fixed host port with one replica", spec: base(func(s *spec.Spec) {
			s.MinReplicas, s.MaxReplicas = 1, 1
			s.Ports = map[string]int{"80": 8080, "53/udp": 8080}
		})},
		{name: "min 0 max 1", spec: base(func(s *spec.Spec) { s.MinReplicas, s.MaxReplicas = 0, 1 })},
		{name: "several problems", spec: base(func(s *spec.Spec) {
			s.MinReplicas, s.MaxReplicas = -1, 0
			s.Env = map[string]string{"OK": "1", "B-AD": "2"}
			s.Ports = map[string]int{"80": 0, "80/tcp": 0}
		}), want: []string{
			`min_replicas: must be >= 0, got -1`,
			`max_replicas: must be >= 1, got 0`,
			`env["B-AD"]: "B-AD" is not a valid variable name (letters, digits and _, not starting with a digit)`,
			`ports["80/tcp"]: same container port as "80" (both are 80/tcp)`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			errs := spec.Validate(tc.spec, tc.opts)
			if diff := cmp.Diff(tc.want, errorStrings(errs)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for _, e := range errs {
				if e.Field == "" || len(e.Loc) == 0 || e.Line != 0 || e.File != "" {
					t.Errorf("%q: want a field and location without file or line, got %+v", e.Error(), *e)
				}
			}
		})
	}
}

func TestFieldErrorFormat(t *testing.T) {
	tests := []struct {
		e    spec.FieldError
		want string
	}{
		{spec.FieldError{File: "web.yaml", Line: 7, Field: "resources.memory", Msg: "bad"}, "web.yaml:7: resources.memory: bad"},
		{spec.FieldError{File: "web.yaml", Field: "image", Msg: "bad"}, "web.yaml: image: bad"},
		{spec.FieldError{File: "web.yaml", Line: 3, Msg: "bad"}, "web.yaml:3: bad"},
		{spec.FieldError{Field: "image", Msg: "bad"}, "image: bad"},
		{spec.FieldError{Msg: "bad"}, "bad"},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, tc.e.Error()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	}
}

func TestFieldErrorsSort(t *testing.T) {
	errs := spec.FieldErrors{
		{File: "b.yaml", Line: 1, Field: "image", Msg: "x"},
		{File: "a.yaml", Line: 10, Field: "image", Msg: "x"},
		{File: "a.yaml", Line: 2, Field: "resources", Msg: "x"},
		{File: "a.yaml", Line: 2, Field: "env", Msg: "x"},
	}
	errs.Sort()
	want := []string{"a.yaml:2: env: x", "a.yaml:2: resources: x", "a.yaml:10: image: x", "b.yaml:1: image: x"}
	if diff := cmp.Diff(want, errorStrings(errs)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !errors.Is(errs, spec.ErrInvalid) {
		t.Error("errors.Is(FieldErrors, ErrInvalid) = false")
	}
}
