package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// Scale-down and a rolling replacement stop a container gracefully before
// removing it: the demo, given STOP_MARKER_DIR, leaves a file named after
// its hostname (its short id) when SIGTERM reaches its handler, and none
// when it is killed.
func TestServeStopsGracefully(t *testing.T) {
	const image = "orchestrator-test:graceful"
	rt.BuildTestImage(t, keepImage, image)
	inst := newInstance(t)
	marks := t.TempDir()
	dir := dirWithKeep(t)
	startServer(t, dir, inst, withBindRoots(marks), withMinReady(100*time.Millisecond))
	app := func(replicas, note string) string {
		return specText(image, "min_replicas: "+replicas, "max_replicas: "+replicas,
			"env: {STOP_MARKER_DIR: /marks, NOTE: "+note+"}", `volumes: ["`+marks+`:/marks"]`)
	}
	marked := func(c ctr) bool {
		_, err := os.Stat(filepath.Join(marks, c.ID[:12]))
		return err == nil
	}

	writeFile(t, dir, "app.yaml", app("2", "one"))
	two := waitFor(t, inst, image, time.Minute, "2 running", exactly(2))
	writeFile(t, dir, "app.yaml", app("1", "one"))
	one := waitFor(t, inst, image, time.Minute, "1 running", exactly(1))
	gone := slices.DeleteFunc(two, func(c ctr) bool { return c.ID == one[0].ID })
	if len(gone) != 1 || !marked(gone[0]) {
		t.Errorf("scale-down: removed %s without a graceful stop (markers: %s)", summary(gone), markers(t, marks))
	}

	writeFile(t, dir, "app.yaml", app("1", "two"))
	rt.Eventually(t, time.Minute, "a new container, alone", func() (bool, string) {
		cs := ofImage(containers(t, inst), image)
		return len(cs) == 1 && cs[0].ID != one[0].ID && cs[0].State == "running", summary(cs)
	})
	if !marked(one[0]) {
		t.Errorf("rolling replacement: %s removed without a graceful stop (markers: %s)", one[0].Name, markers(t, marks))
	}
}

func markers(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return "[" + strings.Join(names, " ") + "]"
}
