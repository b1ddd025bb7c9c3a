package spec

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRenderRules pins the rules of renderTree on Spec: what is left out,
// and where the document being edited (has) keeps a default written.
func TestRenderRules(t *testing.T) {
	f := false
	tests := []struct {
		name string
		mut  func(*Spec)
		has  []string // the fields the edited document writes
		want string
	}{
		{"defaults left out", func(*Spec) {}, nil,
			"image: app\nresources:\n  status: running\n"},
		{"defaults kept where written", func(*Spec) {}, []string{"min_replicas", "max_replicas", "resources.status", "env"},
			"image: app\nmin_replicas: 1\nmax_replicas: 5\nresources:\n  status: running\n"},
		{"zero is not the default", func(s *Spec) { s.MinReplicas = 0 }, nil,
			"image: app\nmin_replicas: 0\nresources:\n  status: running\n"},
		{"status left out next to a limit", func(s *Spec) { s.Resources.CPU = "1" }, nil,
			"image: app\nresources:\n  cpu: \"1\"\n"},
		{"stopped written", func(s *Spec) { s.Resources = Resources{Memory: "1g", Status: StatusStopped} }, nil,
			"image: app\nresources:\n  memory: 1g\n  status: stopped\n"},
		{"maps sorted", func(s *Spec) {
			s.Env = map[string]string{"B": "2", "A": "1"}
			s.Ports = map[string]int{"81": 0, "80": 8080}
		}, nil,
			"image: app\nenv:\n  A: \"1\"\n  B: \"2\"\nports:\n  \"80\": 8080\n  \"81\": 0\nresources:\n  status: running\n"},
		{"an empty extension is written", func(s *Spec) { s.Health = &Health{} }, nil,
			"image: app\nresources:\n  status: running\nhealth: {}\n"},
		{"a false bool is written as a boolean", func(s *Spec) { s.Autoscale = &Autoscale{Enabled: &f} }, nil,
			"image: app\nresources:\n  status: running\nautoscale:\n  enabled: false\n"},
		{"an empty image is still written", func(s *Spec) { s.Image = "" }, nil,
			"image: \"\"\nresources:\n  status: running\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New("app")
			tc.mut(&s)
			has := func(loc ...string) bool { return slices.Contains(tc.has, strings.Join(loc, ".")) }
			if diff := cmp.Diff(tc.want, string(encodeYAML(specTree(s, has), 2))); diff != "" {
				t.Errorf("render (-want +got):\n%s", diff)
			}
		})
	}
}
