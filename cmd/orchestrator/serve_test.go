package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// These tests run `orchestrator serve` on the real engine: real files, real
// fsnotify, a real HTTP server. Each uses its own instance label, so the
// tests share the engine without seeing each other, and removes every
// container it made.

const keepImage = "orchestrator-test:keep"

// dirWithKeep is a state directory holding one other spec, so that removing
// the spec under test does not leave the directory empty (an empty
// directory prunes nothing).
func dirWithKeep(t *testing.T) string {
	dir := t.TempDir()
	writeFile(t, dir, "keep.yaml", specText(keepImage))
	return dir
}

func TestServeHealthEndpoint(t *testing.T) {
	rt.BuildTestImage(t, keepImage)
	inst := newInstance(t)
	s := startServer(t, dirWithKeep(t), inst)
	var body map[string]any
	rt.Eventually(t, 10*time.Second, "GET /health", func() (bool, string) {
		resp, err := http.Get("http://" + s.addr + "/health")
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		return json.NewDecoder(resp.Body).Decode(&body) == nil && resp.StatusCode == 200, resp.Status
	})
	if diff := cmp.Diff(map[string]any{"ok": true}, body); diff != "" {
		t.Errorf("/health (-want +got):\n%s", diff)
	}
}

// 1. Scaling: a new file with min 3 gives 3; editing it to 1 leaves the
// oldest; deleting the file prunes them all.
func TestServeScaling(t *testing.T) {
	image := rt.BuildTestImage(t, keepImage)
	inst := newInstance(t)
	dir := dirWithKeep(t)
	startServer(t, dir, inst)
	writeFile(t, dir, "app.yaml", specText(image, "min_replicas: 3"))
	cs := waitFor(t, inst, image, 30*time.Second, "3 running", exactly(3))
	oldest := cs[0] // slot 1, the first created
	writeFile(t, dir, "app.yaml", specText(image, "min_replicas: 1"))
	cs = waitFor(t, inst, image, 30*time.Second, "1 running", exactly(1))
	if cs[0].ID != oldest.ID {
		t.Errorf("kept %s, want the oldest %s (the newest are removed first)", cs[0].Name, oldest.Name)
	}
	if err := os.Remove(filepath.Join(dir, "app.yaml")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, inst, image, 30*time.Second, "all pruned", exactly(0))
	waitFor(t, inst, keepImage, 10*time.Second, "the other spec untouched", exactly(1))
}

// 2. Stopping keeps the containers; running starts the same ones again.
func TestServeStopAndStart(t *testing.T) {
	image := rt.BuildTestImage(t, keepImage)
	inst := newInstance(t)
	dir := dirWithKeep(t)
	startServer(t, dir, inst)
	writeFile(t, dir, "app.yaml", specText(image, "min_replicas: 2"))
	before := ids(waitFor(t, inst, image, 30*time.Second, "2 running", exactly(2)))
	writeFile(t, dir, "app.yaml", "image: "+image+"\nmin_replicas: 2\nresources: {cpu: 100m, memory: 32m, status: stopped}\n")
	waitFor(t, inst, image, 30*time.Second, "2 exited", func(cs []ctr) bool { return len(cs) == 2 && count(cs, "exited") == 2 })
	writeFile(t, dir, "app.yaml", specText(image, "min_replicas: 2"))
	after := ids(waitFor(t, inst, image, 30*time.Second, "2 running again", exactly(2)))
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("container ids (-before +after):\n%s", diff)
	}
}

// 3. Self-heal on the engine's event, not the resync (an hour away here).
func TestServeSelfHeal(t *testing.T) {
	image := rt.BuildTestImage(t, keepImage)
	inst := newInstance(t)
	dir := dirWithKeep(t)
	startServer(t, dir, inst, withResync(time.Hour))
	writeFile(t, dir, "app.yaml", specText(image, "min_replicas: 2"))
	cs := waitFor(t, inst, image, 30*time.Second, "2 running", exactly(2))

	start := time.Now()
	rt.Docker(t, "rm", "-f", cs[0].ID)
	waitFor(t, inst, image, 10*time.Second, "replaced after docker rm -f", exactly(2))
	t.Logf("replaced %s %v after docker rm -f returned", cs[0].Name, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	rt.Docker(t, "stop", "-t", "1", cs[1].ID)
	after := waitFor(t, inst, image, 10*time.Second, "started after docker stop", exactly(2))
	t.Logf("restarted %s %v after docker stop returned", cs[1].Name, time.Since(start).Round(time.Millisecond))
	found := false
	for _, c := range after {
		found = found || c.ID == cs[1].ID
	}
	if !found {
		t.Errorf("the container stopped by hand was replaced, not started again: %v", summary(after))
	}
}

// 4. A spec change (env, then memory) replaces containers one at a time,
// start-first; scaling alone recreates nothing.
func TestServeRollout(t *testing.T) {
	image := rt.BuildTestImage(t, keepImage)
	inst := newInstance(t)
	dir := dirWithKeep(t)
	startServer(t, dir, inst, withMinReady(500*time.Millisecond))
	ports := `ports: {"8080/tcp": 0}`
	writeFile(t, dir, "app.yaml", specText(image, "min_replicas: 2", "max_replicas: 3", ports))
	before := waitFor(t, inst, image, 30*time.Second, "2 running", exactly(2))

	writeFile(t, dir, "app.yaml", specText(image, "min_replicas: 2", "max_replicas: 5", ports))
	waitFor(t, inst, image, 30*time.Second, "scaling max recreates nothing", func(cs []ctr) bool {
		return cmp.Equal(ids(cs), ids(before))
	})

	for _, change := range []struct{ what, text string }{
		{"env", specText(image, "min_replicas: 2", "max_replicas: 5", ports, "env: {ROLL: out}")},
		{"memory", "image: " + image + "\nmin_replicas: 2\nmax_replicas: 5\n" + ports + "\nenv: {ROLL: out}\nresources: {cpu: 100m, memory: 48m}\n"},
	} {
		writeFile(t, dir, "app.yaml", change.text)
		minRunning, maxRunning := 2, 2
		after := waitFor(t, inst, image, 60*time.Second, change.what+" change rolled over", func(cs []ctr) bool {
			n := count(cs, "running")
			minRunning, maxRunning = min(minRunning, n), max(maxRunning, n)
			if len(cs) != 2 || n != 2 {
				return false
			}
			for _, c := range cs {
				for _, b := range before {
					if c.ID == b.ID {
						return false
					}
				}
			}
			return true
		})
		if minRunning < 2 || maxRunning > 3 {
			t.Errorf("%s: running containers during the rollout ranged %d..%d, want 2..3 (one at a time, start-first)", change.what, minRunning, maxRunning)
		}
		before = after
	}
	if got := rt.Docker(t, "inspect", "-f", "{{.HostConfig.Memory}}", before[0].ID); got != fmt.Sprint(48<<20) {
		t.Errorf("memory of a new container = %s, want 48m", got)
	}
}

// A new version that crashes never replaces the working one: the rollout
// waits (the new container is not stable), and the old containers stay.
func TestServeRolloutOfACrashingVersionKeepsTheOld(t *testing.T) {
	image := rt.BuildTestImage(t, keepImage)
	inst := newInstance(t)
	dir := dirWithKeep(t)
	s := startServer(t, dir, inst, withMinReady(2*time.Second))
	ports := `ports: {"8080/tcp": 0}`
	writeFile(t, dir, "app.yaml", specText(image, "min_replicas: 2", ports))
	old := ids(waitFor(t, inst, image, 30*time.Second, "2 running", exactly(2)))

	// The demo server cannot listen on this port: it exits, and Docker restarts it.
	writeFile(t, dir, "app.yaml", specText(image, "min_replicas: 2", ports, "env: {PORT: notaport}"))
	s.waitLog(30*time.Second, "rollout waits for")
	var crashing string
	rt.Eventually(t, 60*time.Second, "the new container restarted at least twice", func() (bool, string) {
		for _, c := range ofImage(containers(t, inst), image) {
			if !slices.Contains(old, c.ID) {
				crashing = c.ID
				n := rt.Docker(t, "inspect", "-f", "{{.RestartCount}}", c.ID)
				return n != "0" && n != "1", "restarts: " + n
			}
		}
		return false, "no new container"
	})
	cs := ofImage(containers(t, inst), image)
	kept := 0
	for _, c := range cs {
		if slices.Contains(old, c.ID) && c.State == "running" {
			kept++
		}
	}
	if kept != 2 {
		t.Errorf("old containers running = %d, want both kept while %s crashes: %s", kept, short(crashing), summary(cs))
	}
	if len(cs) != 3 {
		t.Errorf("containers = %s, want the 2 old and the 1 new", summary(cs))
	}
}

func short(id string) string { return id[:min(12, len(id))] }

// 5. A bad file next to good ones: the others reconcile, its containers stay,
// and its error with file:line is logged.
func TestServeBadFile(t *testing.T) {
	image := rt.BuildTestImage(t, keepImage, "orchestrator-test:other")
	inst := newInstance(t)
	dir := dirWithKeep(t)
	s := startServer(t, dir, inst)
	writeFile(t, dir, "app.yaml", specText(image, "min_replicas: 2"))
	before := ids(waitFor(t, inst, image, 30*time.Second, "2 running", exactly(2)))
	writeFile(t, dir, "app.yaml", "image: "+image+"\nmin_replicas: 2\nresources: {memory: 12q}\n")
	writeFile(t, dir, "other.yaml", specText("orchestrator-test:other"))
	waitFor(t, inst, "orchestrator-test:other", 30*time.Second, "the good file applies", exactly(1))
	s.waitLog(10*time.Second, "spec file has errors", `app.yaml:3: resources.memory: \"12q\" is not a size`)
	if got := ids(ofImage(containers(t, inst), image)); !cmp.Equal(got, before) {
		t.Errorf("the bad file's containers changed: %v, want %v", got, before)
	}
}

// 6. An empty or vanished root removes nothing, and says so.
func TestServeEmptyAndVanishedRoot(t *testing.T) {
	image := rt.BuildTestImage(t)
	inst := newInstance(t)
	parent := t.TempDir()
	dir := filepath.Join(parent, "state")
	os.Mkdir(dir, 0o755)
	writeFile(t, dir, "app.yaml", specText(image))
	s := startServer(t, dir, inst)
	before := ids(waitFor(t, inst, image, 30*time.Second, "1 running", exactly(1)))
	os.Remove(filepath.Join(dir, "app.yaml"))
	s.waitLog(10*time.Second, "state directory empty")
	os.RemoveAll(dir)
	s.waitLog(10*time.Second, "state directory unusable")
	if got := ids(ofImage(containers(t, inst), image)); !cmp.Equal(got, before) {
		t.Errorf("containers changed with an empty/vanished root: %v, want %v", got, before)
	}
}

// 7. Stopping and starting again adopts everything and creates nothing.
func TestServeRestartAdopts(t *testing.T) {
	image := rt.BuildTestImage(t, keepImage)
	inst := newInstance(t)
	dir := dirWithKeep(t)
	s := startServer(t, dir, inst)
	writeFile(t, dir, "app.yaml", specText(image, "min_replicas: 3"))
	before := ids(waitFor(t, inst, image, 30*time.Second, "3 running", exactly(3)))
	s.stop()
	if got := ids(ofImage(containers(t, inst), image)); !cmp.Equal(got, before) {
		t.Errorf("stopping serve changed the containers: %v", got)
	}
	s2 := startServer(t, dir, inst)
	s2.waitLog(30*time.Second, "spec status", "image="+image, "health=Healthy")
	if got := ids(ofImage(containers(t, inst), image)); !cmp.Equal(got, before) {
		t.Errorf("after restart: %v, want the same %v", got, before)
	}
}

// 8. A container without our labels is never touched, even of the same
// image, even holding the name we would pick.
func TestServeLeavesOtherContainersAlone(t *testing.T) {
	image := rt.BuildTestImage(t, keepImage)
	inst := newInstance(t)
	label := "orchestrator.test=" + inst
	t.Cleanup(func() { rt.RemoveLabelled(t, label) })
	taken := inst + "-orchestrator-test-latest-1"
	other := rt.Docker(t, "run", "-d", "--name", taken, "--label", label, "--label", "orchestrator.image="+image, image)
	dir := dirWithKeep(t)
	startServer(t, dir, inst)
	writeFile(t, dir, "app.yaml", specText(image, "min_replicas: 2"))
	cs := waitFor(t, inst, image, 30*time.Second, "2 running", exactly(2))
	for _, c := range cs {
		if c.Name == taken {
			t.Errorf("a managed container took the other container's name")
		}
	}
	if state := rt.Docker(t, "inspect", "-f", "{{.State.Status}}", other); state != "running" {
		t.Errorf("the other container is %s, want running", state)
	}
}

// 9. A tag bump in a file starts v2 before v1 is removed.
func TestServeTagBump(t *testing.T) {
	rt.BuildTestImage(t, keepImage, "orchestrator-test:v1", "orchestrator-test:v2")
	inst := newInstance(t)
	dir := dirWithKeep(t)
	startServer(t, dir, inst)
	since := time.Now().Add(-time.Second)
	writeFile(t, dir, "app.yaml", specText("orchestrator-test:v1", "min_replicas: 2"))
	waitFor(t, inst, "orchestrator-test:v1", 30*time.Second, "v1 running", exactly(2))
	writeFile(t, dir, "app.yaml", specText("orchestrator-test:v2", "min_replicas: 2"))
	waitFor(t, inst, "orchestrator-test:v1", 30*time.Second, "v1 gone", exactly(0))
	waitFor(t, inst, "orchestrator-test:v2", 10*time.Second, "v2 running", exactly(2))
	// The engine's own event log gives the order.
	out := rt.Docker(t, "events", "--since", fmt.Sprint(since.Unix()), "--until", fmt.Sprint(time.Now().Unix()+1),
		"--filter", "label=orchestrator.instance="+inst, "--filter", "type=container",
		"--format", `{{.TimeNano}} {{.Action}} {{index .Actor.Attributes "orchestrator.image"}}`)
	v2Started, firstV1Destroyed := 0, false
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			continue
		}
		switch {
		case f[1] == "start" && f[2] == "orchestrator-test:v2":
			v2Started++
		case f[1] == "destroy" && f[2] == "orchestrator-test:v1" && !firstV1Destroyed:
			firstV1Destroyed = true
			if v2Started < 2 {
				t.Errorf("a v1 container was removed after only %d v2 starts:\n%s", v2Started, out)
			}
		}
	}
	if !firstV1Destroyed {
		t.Errorf("no v1 destroy event seen:\n%s", out)
	}
}

// 10. A missing image: a clear error, growing backoff, the other specs fine.
func TestServeMissingImage(t *testing.T) {
	image := rt.BuildTestImage(t, keepImage)
	inst := newInstance(t)
	dir := dirWithKeep(t)
	s := startServer(t, dir, inst)
	missing := "orchestrator-test-missing:" + inst
	writeFile(t, dir, "ghost.yaml", specText(missing))
	writeFile(t, dir, "app.yaml", specText(image))
	waitFor(t, inst, image, 30*time.Second, "the good spec runs", exactly(1))
	s.waitLog(10*time.Second, "spec status", "image="+missing, "health=Missing", "not found locally and pull failed")
	// Five failures in a row, each waiting twice as long as the one before:
	// a backoff, not a crash loop.
	var delays []string
	rt.Eventually(t, 30*time.Second, "5 backoffs", func() (bool, string) {
		delays = delays[:0]
		for _, line := range strings.Split(s.log.String(), "\n") {
			if strings.Contains(line, "spec failing, backing off") && strings.Contains(line, missing) {
				i := strings.Index(line, "delay=")
				delays = append(delays, strings.Fields(line[i+6:])[0])
			}
		}
		return len(delays) >= 5, fmt.Sprint(delays)
	})
	if diff := cmp.Diff([]string{"5ms", "10ms", "20ms", "40ms", "80ms"}, delays[:5]); diff != "" {
		t.Errorf("backoff delays (-want +got):\n%s", diff)
	}
	if len(ofImage(containers(t, inst), missing)) != 0 {
		t.Errorf("containers exist for a missing image")
	}
}
