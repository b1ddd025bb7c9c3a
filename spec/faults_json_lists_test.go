package spec_test

import (
	"testing"

	"github.com/orchestrator/orchestrator/spec"
)

// TestPutJSONWithLists: a structural edit of a JSON document re-renders it
// as JSON, lists included. Found by FuzzRouter: POST /start/container of a
// spec with volumes over a .json file answered 500 ("re-rendered document
// does not read back as the new spec"), because the JSON renderer wrote
// every list as "".
func TestPutJSONWithLists(t *testing.T) {
	const file = "web.json"
	tests := []editCase{
		{name: "add volumes", change: func(s *spec.Spec) { s.Volumes = []string{"data:/data", "./conf:/etc/conf:ro"} }},
		{name: "add networks and depends_on", change: func(s *spec.Spec) { s.Networks, s.DependsOn = []string{"shop"}, []string{"db"} }},
		{name: "add a command", change: func(s *spec.Spec) { s.Command = spec.Words{"serve", "--port", "8080"} }},
		{name: "add a healthcheck", change: func(s *spec.Spec) {
			s.Healthcheck = &spec.Healthcheck{Test: []string{"CMD", "true"}, Interval: "5s"}
		}},
		{
			name:   "a new key beside a list",
			text:   `{"image": "web:1", "cap_drop": ["ALL"], "tmpfs": ["/run"], "resources": {"cpu": "0.25"}}` + "\n",
			change: func(s *spec.Spec) { s.Env = map[string]string{"A": "b"} },
		},
	}
	for _, tt := range tests {
		tt.file, tt.image = file, "web:1"
		if tt.text == "" {
			tt.text = `{"image": "web:1", "max_replicas": 3, "resources": {"cpu": "0.25"}}` + "\n"
		}
		t.Run(tt.name, func(t *testing.T) { runEditCase(t, tt) })
	}
}
