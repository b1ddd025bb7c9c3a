package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/spec"
)

// getState is a state directory with good specs, a broken file and a conflict.
var getState = map[string]string{
	"state/web.yaml":      webYAML,
	"state/shop.yaml":     multiYAML,
	"state/sub/w.yaml":    workerYAML,
	"state/broken.yaml":   "image: shop/broken:1\nresources: {memory: 12q}\n",
	"state/twice-a.yaml":  "image: shop/twice:1\nresources: {}\n",
	"state/twice-b.yaml":  "image: shop/twice:1\nresources: {}\n",
	"state/.hidden.yaml":  badYAML,
	"state/notes.md":      "not a spec",
	"state/sub/web.yaml~": badYAML,
}

const getWarnings = `warning: state/broken.yaml:2: resources.memory: "12q" is not a size (use e.g. 256m, 1g)
warning: state/twice-a.yaml:1: image: "shop/twice:1" is also defined at twice-b.yaml:1
warning: state/twice-b.yaml:1: image: "shop/twice:1" is also defined at twice-a.yaml:1
`

func TestGetTable(t *testing.T) {
	inTempDir(t)
	writeFiles(t, getState)
	tests := []struct {
		name string
		args []string
		want result
	}{
		{"all", []string{}, result{0, `IMAGE             MIN   MAX   STATUS    CPU    MEMORY   PORTS           FILE
shop/api:2        1     3     running   1      1g       -               shop.yaml:1
shop/cache:7      1     1     running   -      128m     6379:6379/tcp   shop.yaml:8
shop/web:1.0      2     4     running   0.5    256m     8080/tcp        web.yaml:2
shop/worker:1.0   1     1     stopped   0.25   64m      -               sub/w.yaml:1
`, getWarnings}},
		{"one image", []string{"shop/web:1.0", "-o", "table"}, result{0, `IMAGE          MIN   MAX   STATUS    CPU   MEMORY   PORTS      FILE
shop/web:1.0   2     4     running   0.5   256m     8080/tcp   web.yaml:2
`, getWarnings}},
		{"missing image", []string{"shop/nope:1"}, result{1, "", getWarnings + "error: no spec for image \"shop/nope:1\"\n"}},
		{"broken image", []string{"shop/broken:1"}, result{1, "", getWarnings + "error: the spec for image \"shop/broken:1\" has errors (see the warnings above)\n"}},
		{"conflicting image", []string{"shop/twice:1"}, result{1, "", getWarnings + "error: the spec for image \"shop/twice:1\" has errors (see the warnings above)\n"}},
		{"missing state directory", []string{"--dir", "nostate"}, result{1, "", "error: state directory root missing or unreadable: nostate: no such file or directory\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkResult(t, tt.want, orch(t, append([]string{"get", "--dir", "state"}, tt.args...)...))
		})
	}
	t.Run("empty", func(t *testing.T) {
		mkdir(t, "empty")
		checkResult(t, result{0, "", "no specs in empty\n"}, orch(t, "get", "--dir", "empty"))
		checkResult(t, result{0, "{\n  \"images\": []\n}\n", ""}, orch(t, "get", "--dir", "empty", "-o", "json"))
		checkResult(t, result{0, "", ""}, orch(t, "get", "--dir", "empty", "-o", "yaml"))
	})
}

func TestGetJSON(t *testing.T) {
	inTempDir(t)
	writeFiles(t, getState)
	rev := func(image string) string {
		snap, err := spec.NewDir("state", spec.Options{}).Load()
		if err != nil {
			t.Fatal(err)
		}
		e, _ := snap.Get(image)
		return e.Revision
	}

	got := orch(t, "get", "shop/worker:1.0", "--dir", "state", "-o", "json")
	checkResult(t, result{0, `{
  "image": "shop/worker:1.0",
  "min_replicas": 1,
  "max_replicas": 1,
  "env": {
    "QUEUE": "orders"
  },
  "ports": {},
  "resources": {
    "cpu": "0.25",
    "memory": "64m",
    "status": "stopped"
  },
  "source": {
    "file": "sub/w.yaml",
    "line": 1,
    "index": 0
  },
  "revision": "` + rev("shop/worker:1.0") + `"
}
`, getWarnings}, got)

	// The list has the API's GET /images shape.
	got = orch(t, "get", "--dir", "state", "-o", "json")
	if got.Code != 0 || got.Stderr != getWarnings {
		t.Fatalf("get -o json: %+v", got)
	}
	var list struct {
		Images []struct {
			Image       string            `json:"image"`
			MinReplicas int               `json:"min_replicas"`
			MaxReplicas int               `json:"max_replicas"`
			Env         map[string]string `json:"env"`
			Ports       map[string]int    `json:"ports"`
			Resources   map[string]string `json:"resources"`
			Source      spec.Source       `json:"source"`
			Revision    string            `json:"revision"`
		} `json:"images"`
	}
	dec := json.NewDecoder(strings.NewReader(got.Stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&list); err != nil {
		t.Fatal(err)
	}
	var images []string
	for _, im := range list.Images {
		images = append(images, im.Image+" "+im.Source.String())
	}
	want := []string{"shop/api:2 shop.yaml:1", "shop/cache:7 shop.yaml:8", "shop/web:1.0 web.yaml:2", "shop/worker:1.0 sub/w.yaml:1"}
	if diff := cmp.Diff(want, images); diff != "" {
		t.Errorf("images (-want +got):\n%s", diff)
	}
}

// get -o yaml gives a stream that apply takes back unchanged, into the same
// directory or into an empty one.
func TestGetYAMLRoundTrip(t *testing.T) {
	inTempDir(t)
	writeFiles(t, getState)
	before := readTree(t, "state")
	got := orch(t, "get", "--dir", "state", "-o", "yaml")
	if got.Code != 0 || got.Stderr != getWarnings {
		t.Fatalf("get -o yaml: %+v", got)
	}
	if n := strings.Count(got.Stdout, "\n---\n"); n != 3 {
		t.Errorf("want 4 documents, got %d separators:\n%s", n+1, got.Stdout)
	}
	unchanged := result{0, "shop/api:2 unchanged\nshop/cache:7 unchanged\nshop/web:1.0 unchanged\nshop/worker:1.0 unchanged\n", ""}
	checkResult(t, unchanged, cli(t, nil, got.Stdout, "apply", "-f", "-", "--dir", "state"))
	if diff := cmp.Diff(before, readTree(t, "state")); diff != "" {
		t.Errorf("state changed (-before +after):\n%s", diff)
	}

	// Copied into an empty directory, it gives the same desired state.
	mkdir(t, "copy")
	created := strings.ReplaceAll(unchanged.Stdout, "unchanged", "created")
	checkResult(t, result{0, created, ""}, cli(t, nil, got.Stdout, "apply", "-f", "-", "--dir", "copy"))
	checkResult(t, result{0, got.Stdout, ""}, orch(t, "get", "--dir", "copy", "-o", "yaml"))

	// One image gives one document.
	one := orch(t, "get", "shop/web:1.0", "--dir", "state", "-o", "yaml")
	checkResult(t, result{0, "shop/web:1.0 unchanged\n", ""}, cli(t, nil, one.Stdout, "apply", "-f", "-", "--dir", "state"))
}
