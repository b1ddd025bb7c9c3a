package spec_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/spec"
)

func intPtr(n int) *int    { return &n }
func boolPtr(b bool) *bool { return &b }

// withDefaults is spec.New(image) changed by mut: the Spec that a document
// decodes to when it sets only what mut sets.
func withDefaults(image string, mut func(*spec.Spec)) spec.Spec {
	s := spec.New(image)
	if mut != nil {
		mut(&s)
	}
	return s
}

func TestParseGoodDocuments(t *testing.T) {
	tests := []struct {
		name string
		file string
		in   string
		want []spec.Document
	}{
		{
			name: "every field",
			file: "web.yaml",
			in: `image: registry.example.com:5000/team/web:1.4
min_replicas: 2
max_replicas: 4
env:
  LOG_LEVEL: info
  _PRIVATE: "yes"
ports:
  "80/tcp": 0
  "53/udp": 0
resources:
  cpu: "500m"
  memory: "256m"
  status: stopped
autoscale:
  enabled: false
  target_cpu_percent: 60
  scale_down_stabilization: 2m
health:
  http_path: /healthz
  port: "80"
  interval: 5s
`,
			want: []spec.Document{{Line: 1, Spec: spec.Spec{
				Image:       "registry.example.com:5000/team/web:1.4",
				MinReplicas: 2,
				MaxReplicas: 4,
				Env:         map[string]string{"LOG_LEVEL": "info", "_PRIVATE": "yes"},
				Ports:       map[string]int{"80/tcp": 0, "53/udp": 0},
				Resources:   spec.Resources{CPU: "500m", Memory: "256m", Status: spec.StatusStopped},
				Autoscale:   &spec.Autoscale{Enabled: boolPtr(false), TargetCPUPercent: intPtr(60), ScaleDownStabilization: "2m"},
				Health:      &spec.Health{HTTPPath: "/healthz", Port: "80", Interval: "5s"},
			}}},
		},
		{
			name: "defaults",
			file: "web.yaml",
			in:   "image: nginx:alpine\nresources: {}\n",
			want: []spec.Document{{Line: 1, Spec: spec.Spec{
				Image: "nginx:alpine", MinReplicas: 1, MaxReplicas: 5,
				Env: map[string]string{}, Ports: map[string]int{},
				Resources: spec.Resources{Status: spec.StatusRunning},
			}}},
		},
		{
			name: "JSON",
			file: "web.json",
			in: `{
  "image": "nginx:alpine",
  "min_replicas": 0,
  "max_replicas": 1,
  "env": {"A": "1"},
  "ports": {"80": 8080},
  "resources": {"cpu": "0.5", "memory": "1g", "status": "running"}
}
`,
			want: []spec.Document{{Line: 2, Spec: withDefaults("nginx:alpine", func(s *spec.Spec) {
				s.MinReplicas, s.MaxReplicas = 0, 1
				s.Env = map[string]string{"A": "1"}
				s.Ports = map[string]int{"80": 8080}
				s.Resources = spec.Resources{CPU: "0.5", Memory: "1g", Status: spec.StatusRunning}
			})}},
		},
		{
			name: "JSON on one line, with tabs and a trailing comma",
			file: "web.json",
			in:   "{\t\"image\": \"nginx\", \"resources\": {\"cpu\": \"1\"},}",
			want: []spec.Document{{Line: 1, Spec: withDefaults("nginx", func(s *spec.Spec) { s.Resources.CPU = "1" })}},
		},
		{
			name: "several documents, with comments and empty ones",
			file: "all.yaml",
			in: `# The whole app.
---
image: web:1
resources: {cpu: "1"}
--- # the worker
# runs in the background
image: worker:1
resources: {status: stopped}
---
# nothing here
---
---
{"image": "db:1", "resources": {"memory": "1Gi"}}
...
---
`,
			want: []spec.Document{
				{Index: 1, Line: 3, Spec: withDefaults("web:1", func(s *spec.Spec) { s.Resources.CPU = "1" })},
				{Index: 2, Line: 7, Spec: withDefaults("worker:1", func(s *spec.Spec) { s.Resources.Status = spec.StatusStopped })},
				{Index: 5, Line: 13, Spec: withDefaults("db:1", func(s *spec.Spec) { s.Resources.Memory = "1Gi" })},
			},
		},
		{
			name: "JSON documents separated by ---",
			file: "all.json",
			in:   "{\"image\": \"a\", \"resources\": {}}\n---\n{\"image\": \"b\", \"resources\": {}}\n",
			want: []spec.Document{
				{Index: 0, Line: 1, Spec: withDefaults("a", nil)},
				{Index: 1, Line: 3, Spec: withDefaults("b", nil)},
			},
		},
		{
			name: "CRLF line ends",
			file: "win.yaml",
			in:   "image: a\r\nresources: {}\r\n---\r\nimage: b\r\nresources:\r\n  memory: 64m\r\n",
			want: []spec.Document{
				{Index: 0, Line: 1, Spec: withDefaults("a", nil)},
				{Index: 1, Line: 4, Spec: withDefaults("b", func(s *spec.Spec) { s.Resources.Memory = "64m" })},
			},
		},
		{
			name: "byte order mark",
			file: "bom.yaml",
			in:   "\ufeffimage: nginx\nresources: {}\n",
			want: []spec.Document{{Line: 1, Spec: withDefaults("nginx", nil)}},
		},
		{
			name: "integer port keys",
			file: "web.yaml",
			in:   "image: nginx\nmax_replicas: 1\nports: {80: 0, 443: 8443, 53/udp: 0}\nresources: {}\n",
			want: []spec.Document{{Line: 1, Spec: withDefaults("nginx", func(s *spec.Spec) {
				s.MaxReplicas = 1
				s.Ports = map[string]int{"80": 0, "443": 8443, "53/udp": 0}
			})}},
		},
		{
			name: "anchors and aliases",
			file: "web.yaml",
			in: `image: &img nginx:alpine
env:
  IMAGE: *img
  COPY: &v "1"
  AGAIN: *v
ports:
  &web "80": 0
health:
  port: *web
resources: &r
  cpu: "1"
`,
			want: []spec.Document{{Line: 1, Spec: withDefaults("nginx:alpine", func(s *spec.Spec) {
				s.Env = map[string]string{"IMAGE": "nginx:alpine", "COPY": "1", "AGAIN": "1"}
				s.Ports = map[string]int{"80": 0}
				s.Health = &spec.Health{Port: "80"}
				s.Resources.CPU = "1"
			})}},
		},
		{
			name: "Kubernetes memory units",
			file: "mem.yaml",
			in: `image: a
resources: {memory: 8192Ki}
---
image: b
resources: {memory: 512Mi}
---
image: c
resources: {memory: 2Gi}
`,
			want: []spec.Document{
				{Index: 0, Line: 1, Spec: withDefaults("a", func(s *spec.Spec) { s.Resources.Memory = "8192Ki" })},
				{Index: 1, Line: 4, Spec: withDefaults("b", func(s *spec.Spec) { s.Resources.Memory = "512Mi" })},
				{Index: 2, Line: 7, Spec: withDefaults("c", func(s *spec.Spec) { s.Resources.Memory = "2Gi" })},
			},
		},
		{
			name: "YAML scalar styles",
			file: "web.yaml",
			in: `'image': 'nginx'
min_replicas: 0x2
max_replicas: 0o10
env:
  QUOTED: 'it''s'
  FOLDED: >-
    one
    two
  LITERAL: |
    line
  EMPTY: ""
  TRUE_WORD: "true"
  OLD_BOOL: yes
resources: {cpu: !!str 1}
`,
			want: []spec.Document{{Line: 1, Spec: withDefaults("nginx", func(s *spec.Spec) {
				s.MinReplicas, s.MaxReplicas = 2, 8
				s.Env = map[string]string{"QUOTED": "it's", "FOLDED": "one two", "LITERAL": "line\n", "EMPTY": "", "TRUE_WORD": "true", "OLD_BOOL": "yes"}
				s.Resources.CPU = "1"
			})}},
		},
		{
			name: "escaped characters",
			file: "esc.yaml",
			in: `image: nginx
ports: {"80": 0}
env:
  DEL: "\x7f"
  NEL: "\N"
  NBSP: "\_"
  LS: "\L"
  EMOJI: "\U0001F600"
  TAB: "a\tb"
  BELL: "\a"
  MERGE: <<
resources: {}
health: {http_path: "/caf\u00e9?q=<<"}
`,
			want: []spec.Document{{Line: 1, Spec: withDefaults("nginx", func(s *spec.Spec) {
				s.Ports = map[string]int{"80": 0}
				s.Env = map[string]string{
					"DEL": "\x7f", "NEL": "\u0085", "NBSP": "\u00a0", "LS": "\u2028",
					"EMOJI": "\U0001F600", "TAB": "a\tb", "BELL": "\a", "MERGE": "<<",
				}
				s.Health = &spec.Health{HTTPPath: "/café?q=<<"}
			})}},
		},
		{
			name: "empty extension blocks",
			file: "web.yaml",
			in:   "image: nginx\nresources: {}\nautoscale: {}\nhealth: {}\nenv: {}\nports: {}\n",
			want: []spec.Document{{Line: 1, Spec: withDefaults("nginx", func(s *spec.Spec) {
				s.Autoscale = &spec.Autoscale{}
				s.Health = &spec.Health{}
			})}},
		},
		{name: "empty file", file: "empty.yaml", in: ""},
		{name: "blank lines", file: "blank.yaml", in: "\n\n  \n"},
		{name: "only comments", file: "comments.yaml", in: "# nothing yet\n\n# still nothing\n"},
		{name: "only separators and comments", file: "seps.yaml", in: "---\n# a\n---\n--- # b\n\n---\n"},
		{name: "explicit null document", file: "null.yaml", in: "~\n---\nnull\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			docs, errs := spec.Parse(tc.file, []byte(tc.in), twoCPUs)
			if len(errs) > 0 {
				t.Fatalf("Parse: unexpected errors:\n%v", errs)
			}
			if diff := cmp.Diff(tc.want, docs); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			for _, d := range docs {
				if errs := spec.Validate(d.Spec, twoCPUs); len(errs) > 0 {
					t.Errorf("Validate of a parsed document: %v", errs)
				}
			}
		})
	}
}

// TestParseJSONAndYAMLAgree checks that JSON is read as the YAML it is: the
// same document in either form gives the same spec and revision.
func TestParseJSONAndYAMLAgree(t *testing.T) {
	yml := `image: nginx:alpine
min_replicas: 2
env: {A: "1", B: "x y"}
ports: {"80": 0, "53/udp": 0}
resources: {cpu: "250m", memory: "128Mi", status: stopped}
autoscale: {target_cpu_percent: 50}
health: {http_path: /, interval: 10s}
`
	json := `{"image": "nginx:alpine", "min_replicas": 2, "env": {"A": "1", "B": "x y"},
 "ports": {"80": 0, "53/udp": 0}, "resources": {"cpu": "250m", "memory": "128Mi", "status": "stopped"},
 "autoscale": {"target_cpu_percent": 50}, "health": {"http_path": "/", "interval": "10s"}}`
	ydocs, yerrs := spec.Parse("a.yaml", []byte(yml), twoCPUs)
	jdocs, jerrs := spec.Parse("a.json", []byte(json), twoCPUs)
	if len(yerrs)+len(jerrs) > 0 || len(ydocs) != 1 || len(jdocs) != 1 {
		t.Fatalf("Parse: yaml %d docs %v; json %d docs %v", len(ydocs), yerrs, len(jdocs), jerrs)
	}
	if diff := cmp.Diff(ydocs[0].Spec, jdocs[0].Spec); diff != "" {
		t.Errorf("(-yaml +json):\n%s", diff)
	}
	if y, j := ydocs[0].Spec.Revision(), jdocs[0].Spec.Revision(); y != j {
		t.Errorf("revisions differ: yaml %s, json %s", y, j)
	}
}

// TestParseDefaultHostCPUs checks that a zero Options bounds cpu by this
// machine, so that a spec asking for far more CPUs than any host has fails.
func TestParseDefaultHostCPUs(t *testing.T) {
	_, errs := spec.Parse("web.yaml", []byte("image: nginx\nresources: {cpu: \"100000\"}\n"), spec.Options{})
	if len(errs) != 1 || errs[0].Field != "resources.cpu" {
		t.Errorf("want one resources.cpu error, got %v", errs)
	}
	docs, errs := spec.Parse("web.yaml", []byte("image: nginx\nresources: {cpu: \"10m\"}\n"), spec.Options{})
	if len(errs) != 0 || len(docs) != 1 {
		t.Errorf("want one valid document, got %d and %v", len(docs), errs)
	}
}

func TestParseErrorLocation(t *testing.T) {
	in := "# c\n---\nimage: nginx\nenv:\n  A-B: x\nresources: {}\n"
	_, errs := spec.Parse("dir/web.yaml", []byte(in), twoCPUs)
	want := spec.FieldErrors{{
		File: "dir/web.yaml", Line: 5, Field: `env["A-B"]`, Loc: []string{"env", "A-B"},
		Msg: `"A-B" is not a valid variable name (letters, digits and _, not starting with a digit)`,
	}}
	if diff := cmp.Diff(want, errs); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// The original validated with pydantic's lax mode, which takes "3" and 3.0
// for an integer; any body it accepted must be a valid spec.
func TestParseLaxIntegersLikePydantic(t *testing.T) {
	docs, errs := spec.Parse("web.json", []byte(`{"image": "web", "min_replicas": "2", "max_replicas": 3.0, "ports": {"80": "0"}, "resources": {}}`), spec.Options{HostCPUs: 2})
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	got := docs[0].Spec
	if got.MinReplicas != 2 || got.MaxReplicas != 3 || got.Ports["80"] != 0 {
		t.Errorf("got min %d max %d ports %v, want 2, 3, {80: 0}", got.MinReplicas, got.MaxReplicas, got.Ports)
	}
}
