package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/api/wire"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// The three-tier compose case, imported and served on the real engine,
// behaves as under docker compose: web reaches api and api reaches db by
// service name, the db's healthcheck is the engine's and is reported, and
// the db's data survives the replacement of its container.
func TestImportComposeServed(t *testing.T) {
	rt.BuildTestImage(t, "orchestrator-test:web", "orchestrator-test:api", "orchestrator-test:db")
	inst := newInstance(t)
	compose, err := os.ReadFile(filepath.Join("testdata", "compose", "stack", "compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	inTempDir(t)
	writeFiles(t, map[string]string{"shop/compose.yml": string(compose)})
	r := orch(t, "import", "shop/compose.yml", "-o", "state")
	checkResult(t, result{0, "wrote state/web.yaml\nwrote state/api.yaml\nwrote state/db.yaml\n", ""}, r)

	s := startServer(t, "state", inst, withMinReady(100*time.Millisecond))
	db := waitFor(t, inst, "orchestrator-test:db", time.Minute, "db running", exactly(1))[0]
	waitFor(t, inst, "orchestrator-test:api", time.Minute, "api running", exactly(1))
	web := waitFor(t, inst, "orchestrator-test:web", time.Minute, "web running", exactly(1))[0]

	// The healthcheck is the engine's, and GET .../health reports it.
	rt.Eventually(t, time.Minute, "db healthy", func() (bool, string) {
		st := rt.Docker(t, "inspect", "-f", "{{.State.Health.Status}}", db.ID)
		return st == "healthy", st
	})
	var health wire.ImageHealth
	getJSON(t, "http://"+s.addr+"/images/"+url.PathEscape("orchestrator-test:db")+"/health", &health)
	if len(health.Health) != 1 || health.Health[0].ServerAlive == nil || !*health.Health[0].ServerAlive {
		t.Errorf("db health: %+v", health)
	}

	// web → api → db, by service name across two networks.
	type hop struct {
		Name     string `json:"name"`
		Upstream *hop   `json:"upstream"`
		Error    string `json:"error"`
	}
	webURL := "http://" + publishedAddr(t, web.ID, "8080/tcp")
	rt.Eventually(t, 30*time.Second, "web /chain reaches the db", func() (bool, string) {
		var h hop
		body, err := httpGet(webURL + "/chain")
		if err != nil || json.Unmarshal([]byte(body), &h) != nil {
			return false, body
		}
		ok := h.Name == "web" && h.Upstream != nil && h.Upstream.Name == "api" && h.Upstream.Upstream != nil && h.Upstream.Upstream.Name == "db"
		return ok, body
	})

	// The db's volume keeps its data across a new container.
	dbURL := "http://" + publishedAddr(t, db.ID, "8080/tcp")
	req, err := http.NewRequest(http.MethodPut, dbURL+"/kv/greeting", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("PUT /kv/greeting: %s", resp.Status)
	}
	text, err := os.ReadFile("state/db.yaml")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, "state", "db.yaml", strings.Replace(string(text), "  NAME: db\n", "  NAME: db\n  NOTE: two\n", 1))
	var next []ctr
	rt.Eventually(t, time.Minute, "a new db container, alone", func() (bool, string) {
		next = ofImage(containers(t, inst), "orchestrator-test:db")
		return len(next) == 1 && next[0].ID != db.ID && next[0].State == "running", summary(next)
	})
	dbURL = "http://" + publishedAddr(t, next[0].ID, "8080/tcp")
	rt.Eventually(t, 30*time.Second, "the value on the new container", func() (bool, string) {
		body, err := httpGet(dbURL + "/kv/greeting")
		return err == nil && body == "hello", body
	})
}

// publishedAddr is the host address of a container's published port.
func publishedAddr(t *testing.T, id, port string) string {
	t.Helper()
	out := rt.Docker(t, "port", id, port)
	addr := strings.Fields(strings.Split(out, "\n")[0])[0]
	return strings.Replace(addr, "0.0.0.0", "127.0.0.1", 1)
}

func httpGet(u string) (string, error) {
	resp, err := http.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return string(b), &url.Error{Op: "GET", URL: u, Err: io.ErrUnexpectedEOF}
	}
	return string(b), nil
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	body, err := httpGet(u)
	if err != nil {
		t.Fatalf("GET %s: %v: %s", u, err, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v: %s", u, err, body)
	}
}
