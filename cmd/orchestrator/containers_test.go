package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/api/wire"
	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// get containers lists what the engine runs, like docker ps, with the
// image of each container's spec.
func TestGetContainers(t *testing.T) {
	inTempDir(t)
	s := startAPI(t, "")
	checkResult(t, result{0, "", "no containers on " + s.url + "\n"}, s.orch(t, "get", "containers"))
	checkResult(t, result{0, "{\n  \"containers\": []\n}\n", ""}, s.orch(t, "get", "containers", "-o", "json"))

	writeFiles(t, map[string]string{"in/web.yaml": webYAML, "in/cache.yaml": multiYAML[strings.Index(multiYAML, "# nothing"):]})
	checkResult(t, result{0, "shop/web:1.0 created\nshop/cache:7 created\n", ""}, s.orch(t, "apply", "-f", "in/web.yaml", "-f", "in/cache.yaml"))
	s.converge(t)

	cs, err := s.fake.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]engine.Container{}
	for _, c := range cs {
		byName[c.Name] = c
	}
	port := func(name, key string) string { return byName[name].Ports[key][0].HostPort }
	id := func(name string) string { return byName[name].ID[:12] }
	want := fmt.Sprintf(`CONTAINER ID   NAME             IMAGE          STATUS    PORTS
%s   shop-cache-7-1   shop/cache:7   running   0.0.0.0:6379->6379/tcp
%s   shop-web-1.0-1   shop/web:1.0   running   0.0.0.0:%s->8080/tcp
%s   shop-web-1.0-2   shop/web:1.0   running   0.0.0.0:%s->8080/tcp
`, id("shop-cache-7-1"), id("shop-web-1.0-1"), port("shop-web-1.0-1", "8080/tcp"), id("shop-web-1.0-2"), port("shop-web-1.0-2", "8080/tcp"))
	checkResult(t, result{0, want, ""}, s.orch(t, "get", "containers"))

	// JSON: the API's summaries, with the image; one image's only.
	got := s.orch(t, "get", "containers", "shop/web:1.0", "-o", "json")
	var body wire.ContainerList
	if err := json.Unmarshal([]byte(got.Stdout), &body); err != nil || got.Code != 0 || got.Stderr != "" {
		t.Fatalf("get containers shop/web:1.0 -o json: %+v (%v)", got, err)
	}
	var rows []wire.Container
	for _, name := range []string{"shop-web-1.0-1", "shop-web-1.0-2"} {
		c := byName[name]
		ports := wire.Ports{}
		for k, bs := range c.Ports {
			for _, b := range bs {
				ports[k] = append(ports[k], wire.PortBinding{HostIP: b.HostIP, HostPort: b.HostPort})
			}
		}
		rows = append(rows, wire.Container{ContainerID: c.ID, Name: name, Image: "shop/web:1.0", Status: "running", Ports: ports})
	}
	if diff := cmp.Diff(rows, body.Containers); diff != "" {
		t.Errorf("containers (-want +got):\n%s", diff)
	}
	all := s.orch(t, "get", "containers", "-o", "json")
	if all.Code != 0 || strings.Count(all.Stdout, `"image": "shop/`) != 3 {
		t.Errorf("get containers -o json: %+v", all)
	}
	checkResult(t, result{2, "", "error: unknown output format \"yaml\" (use table or json)\nSee 'orchestrator get containers --help'.\n"},
		s.orch(t, "get", "containers", "-o", "yaml"))
}

func TestDockerPorts(t *testing.T) {
	ports := wire.Ports{
		"8080/tcp": {{HostIP: "0.0.0.0", HostPort: "32768"}, {HostIP: "::", HostPort: "32768"}},
		"53/udp":   {{HostIP: "127.0.0.1", HostPort: "5353"}},
		"9000/tcp": nil,
		"443/tcp":  {},
	}
	want := "127.0.0.1:5353->53/udp, 443/tcp, 0.0.0.0:32768->8080/tcp, [::]:32768->8080/tcp, 9000/tcp"
	if got := dockerPorts(ports); got != want {
		t.Errorf("dockerPorts = %q, want %q", got, want)
	}
	if got := dockerPorts(nil); got != "" {
		t.Errorf("dockerPorts(nil) = %q", got)
	}
}
