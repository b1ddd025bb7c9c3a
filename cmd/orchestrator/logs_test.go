package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/api/wire"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// logs through a server: one container as it wrote, an image's containers
// prefixed by name, a tail, and only managed containers.
func TestLogsThroughServer(t *testing.T) {
	inTempDir(t)
	s := startAPI(t, "")
	writeFiles(t, map[string]string{"in/web.yaml": "image: shop/web:1.0\nmin_replicas: 2\nresources: {}\n"})
	checkResult(t, result{0, "shop/web:1.0 created\n", ""}, s.orch(t, "apply", "-f", "in"))
	s.converge(t)
	ids := map[string]string{}
	cs, err := s.fake.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		ids[c.Name] = c.ID
		s.fake.Log(c.ID, "hello from "+c.Name)
	}
	start := rt.StartLog + "\n"
	checkResult(t, result{0, start + "hello from shop-web-1.0-1\n", ""}, s.orch(t, "logs", "shop-web-1.0-1"))
	checkResult(t, result{0, "hello from shop-web-1.0-2\n", ""}, s.orch(t, "logs", ids["shop-web-1.0-2"], "--tail", "1"))
	want := "shop-web-1.0-1 | hello from shop-web-1.0-1\nshop-web-1.0-2 | hello from shop-web-1.0-2\n"
	got := s.orch(t, "logs", "shop/web:1.0", "--tail", "1")
	lines := strings.SplitAfter(got.Stdout, "\n") // two streams: either may come first
	if got.Code != 0 || len(lines) != 3 || !strings.Contains(want, lines[0]) || !strings.Contains(want, lines[1]) || lines[0] == lines[1] {
		t.Errorf("logs of an image = %+v, want both containers' lines, prefixed:\n%s", got, want)
	}
	other := s.fake.AddUnmanaged("not-ours", "shop/web:1.0")
	checkResult(t, result{1, "", "error: no managed container or image \"not-ours\"\n"}, s.orch(t, "logs", "not-ours"))
	checkResult(t, result{1, "", "error: no managed container or image \"" + other + "\"\n"}, s.orch(t, "logs", other))
	checkResult(t, result{2, "", "error: --tail must be a number >= 0 or \"all\", got \"-3\"\nSee 'orchestrator logs --help'.\n"},
		s.orch(t, "logs", "shop-web-1.0-1", "--tail", "-3"))
}

// logs -f through a server prints lines as they are written and returns
// when the container stops.
func TestLogsFollowThroughServer(t *testing.T) {
	inTempDir(t)
	s := startAPI(t, "")
	writeFiles(t, map[string]string{"in/web.yaml": "image: shop/web:1.0\nresources: {}\n"})
	checkResult(t, result{0, "shop/web:1.0 created\n", ""}, s.orch(t, "apply", "-f", "in"))
	s.converge(t)
	cs, err := s.fake.List(context.Background())
	if err != nil || len(cs) != 1 {
		t.Fatalf("containers: %v %v", cs, err)
	}
	id := cs[0].ID
	done := make(chan result, 1)
	go func() { done <- cliWith(t, nil, nil, "", "logs", "-f", "shop-web-1.0-1", "--server", s.url) }()
	// The follow is under way once the API has served its request.
	rt.Eventually(t, 5*time.Second, "the follow request", func() (bool, string) {
		return s.fake.Calls("logs") > 0, "not yet"
	})
	s.fake.Log(id, "a line written while following")
	if err := s.fake.StopByHand(id); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-done:
		checkResult(t, result{0, rt.StartLog + "\na line written while following\n", ""}, got)
	case <-time.After(10 * time.Second):
		t.Fatal("logs -f did not return when the container stopped")
	}
}

func TestResolveContainers(t *testing.T) {
	all := []wire.Container{
		{ContainerID: "aaaa1111", Name: "web-2", Image: "web:1"},
		{ContainerID: "aaaa2222", Name: "web-1", Image: "web:1"},
		{ContainerID: "bbbb1111", Name: "db-1", Image: "db:1"},
	}
	for _, tt := range []struct {
		target string
		want   []string
		err    string
	}{
		{"web-2", []string{"web-2"}, ""},
		{"/db-1", []string{"db-1"}, ""},
		{"bbbb", []string{"db-1"}, ""},
		{"bbbb1111", []string{"db-1"}, ""},
		{"web:1", []string{"web-1", "web-2"}, ""},
		{"aaaa", nil, `"aaaa" matches 2 containers: give more of the id`},
		{"cache:1", nil, `no managed container or image "cache:1"`},
	} {
		got, err := resolveContainers(all, tt.target)
		var names []string
		for _, c := range got {
			names = append(names, c.Name)
		}
		errText := ""
		if err != nil {
			errText = err.Error()
		}
		if diff := cmp.Diff(tt.want, names); diff != "" || errText != tt.err {
			t.Errorf("resolve %q: names (-want +got):\n%s\nerr %q, want %q", tt.target, diff, errText, tt.err)
		}
	}
}

// logs without a server reads the engine: the managed containers of one
// instance with --instance, and never a container that is not managed.
func TestLogsFromTheEngine(t *testing.T) {
	image := rt.BuildTestImage(t, keepImage)
	inst := newInstance(t)
	dir := dirWithKeep(t)
	startServer(t, dir, inst)
	writeFile(t, dir, "app.yaml", specText(image, "min_replicas: 1"))
	cs := waitFor(t, inst, image, 30*time.Second, "1 running", exactly(1))
	var got result
	rt.Eventually(t, 10*time.Second, "the container's start line", func() (bool, string) {
		got = orch(t, "logs", image, "--instance", inst)
		return got.Code == 0 && strings.Contains(got.Stdout, "msg=listening"), got.Stdout + got.Stderr
	})
	if strings.Contains(got.Stdout, " | ") {
		t.Errorf("one container's logs are prefixed: %q", got.Stdout)
	}
	byName := orch(t, "logs", cs[0].Name, "--instance", inst, "--tail", "1")
	if byName.Code != 0 || strings.Count(byName.Stdout, "\n") != 1 {
		t.Errorf("logs NAME --tail 1 = %+v, want one line", byName)
	}
	other := rt.UniqueID(t)
	t.Cleanup(func() { rt.RemoveLabelled(t, "orchestrator.test="+other) })
	rt.Docker(t, "run", "-d", "--name", other, "--label", "orchestrator.test="+other, image)
	checkResult(t, result{1, "", "error: no managed container or image \"" + other + "\"\n"}, orch(t, "logs", other))
}
