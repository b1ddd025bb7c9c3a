package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDiff(t *testing.T) {
	inTempDir(t)
	apiYAML := multiYAML[:strings.Index(multiYAML, "---")]
	writeFiles(t, map[string]string{
		"in/web.yaml":     webYAML,
		"in/api.yaml":     apiYAML,
		"in/bad.yaml":     badYAML,
		"in/worker.yaml":  workerYAML,
		"state/web.yaml":  strings.Replace(webYAML, "min_replicas: 2", "min_replicas: 1", 1),
		"state/w.yaml":    workerYAML,
		"broken/w.yaml":   "image: shop/worker:1.0\nresources: {memory: 12q}\n",
		"scratch/.keep":   "",
		"unrelated/x.yml": "",
	})
	before := readTree(t, ".")
	closed := closedURL(t)

	// What a new file holds is what apply writes into an empty directory.
	checkResult(t, result{0, "shop/api:2 created\n", ""}, orch(t, "apply", "-f", "in/api.yaml", "--dir", "scratch"))
	created, err := os.ReadFile(filepath.Join("scratch", "shop_api_2.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join("scratch", "shop_api_2.yaml")); err != nil {
		t.Fatal(err)
	}
	newFile := "--- /dev/null\n+++ b/shop_api_2.yaml\n@@ -0,0 +1," + strconv.Itoa(strings.Count(string(created), "\n")) + " @@\n" +
		"+" + strings.ReplaceAll(strings.TrimSuffix(string(created), "\n"), "\n", "\n+") + "\n"

	tests := []struct {
		name string
		args []string
		want result
	}{
		{"no changes", []string{"-f", "in/worker.yaml", "--dir", "state"}, result{0, "", ""}},
		{"a change and a new file", []string{"-f", "in/web.yaml", "-f", "in/worker.yaml", "-f", "in/api.yaml", "--dir", "state"},
			result{1, `--- a/web.yaml
+++ b/web.yaml
@@ -1,6 +1,6 @@
 # the web tier
 image: shop/web:1.0
-min_replicas: 1
+min_replicas: 2
 max_replicas: 4
 ports: {"8080/tcp": 0}
 resources:
` + newFile, ""}},
		{"invalid input", []string{"-f", "in/bad.yaml", "--dir", "state"},
			result{2, "", badErrors + "error: 3 errors in the input\n"}},
		{"missing input", []string{"-f", "in/nope.yaml", "--dir", "state"},
			result{2, "", "in/nope.yaml: cannot read: no such file or directory\nerror: 1 error in the input\n"}},
		{"broken state", []string{"-f", "in/worker.yaml", "--dir", "broken"},
			result{2, "", `in/worker.yaml:1: shop/worker:1.0: its document in the state directory has errors, fix them first:
broken/w.yaml:2: resources.memory: "12q" is not a size (use e.g. 256m, 1g)
error: 1 spec cannot be written to broken
`}},
		{"missing state", []string{"-f", "in/worker.yaml", "--dir", "nostate"},
			result{2, "", "error: state directory root missing or unreadable: nostate: no such file or directory (create the directory first)\n"}},
		{"no server", []string{"-f", "in/worker.yaml", "--server", closed},
			result{2, "", unreachable(closed)}},
		{"usage", []string{"-f", "in/worker.yaml", "--dir", "state", "extra"},
			result{2, "", "error: unknown command \"extra\" for \"orchestrator diff\"\nSee 'orchestrator diff --help'.\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkResult(t, tt.want, orch(t, append([]string{"diff"}, tt.args...)...))
		})
	}
	if diff := cmp.Diff(before, readTree(t, ".")); diff != "" {
		t.Errorf("diff changed files (-before +after):\n%s", diff)
	}

	// After an apply, diff finds nothing.
	args := []string{"-f", "in/web.yaml", "-f", "in/worker.yaml", "-f", "in/api.yaml", "--dir", "state"}
	checkResult(t, result{0, "shop/web:1.0 configured\nshop/worker:1.0 unchanged\nshop/api:2 created\n", ""}, orch(t, append([]string{"apply"}, args...)...))
	checkResult(t, result{0, "", ""}, orch(t, append([]string{"diff"}, args...)...))
}
