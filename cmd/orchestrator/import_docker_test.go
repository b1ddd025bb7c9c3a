package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/api/wire"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// Every compose case under testdata/compose is imported and served on the
// real engine, and behaves there as under docker compose: each converted
// service runs, and the case checks what it is about (a volume that keeps
// its data across a replacement, a tier reaching another by service name,
// the engine's healthcheck reported, limits and flags on the containers).
func TestImportComposeServed(t *testing.T) {
	cases := map[string]struct {
		tags  []string
		opts  []serverOpt
		check func(t *testing.T, r servedRun)
	}{
		"stack":       {tags: []string{"web", "api", "db"}, check: checkStack},
		"healthcheck": {tags: []string{"checked"}, check: checkHealthcheck},
		"envfile":     {tags: []string{"front", "back"}, check: checkEnvFile},
		"deploy":      {tags: []string{"deploy-web", "deploy-dns", "deploy-batch"}, check: checkDeploy},
		"unsupported": {tags: []string{"app", "worker", "cache"}, opts: []serverOpt{withBindRoots("/var/run")}, check: checkUnsupported},
	}
	dirs, err := filepath.Glob(filepath.Join("testdata", "compose", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) != len(cases) {
		t.Fatalf("%d compose cases, %d served here: serve every case", len(dirs), len(cases))
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		tc, ok := cases[name]
		if !ok {
			t.Fatalf("compose case %s is not served here", name)
		}
		t.Run(name, func(t *testing.T) {
			var tags []string
			for _, tag := range tc.tags {
				tags = append(tags, "orchestrator-test:"+tag)
			}
			rt.BuildTestImage(t, tags...)
			inst := newInstance(t)
			files := readTree(t, dir)
			wantCode := strings.TrimSpace(files["want.code"])
			inTempDir(t)
			for rel, text := range files {
				if !strings.HasPrefix(rel, "want.") {
					writeFiles(t, map[string]string{filepath.Join(name, rel): text})
				}
			}
			if r := orch(t, "import", filepath.Join(name, "compose.yml"), "-o", "state"); strconv.Itoa(r.Code) != wantCode {
				t.Fatalf("import: exit %d, want %s: %+v", r.Code, wantCode, r)
			}
			opts := append([]serverOpt{withMinReady(100 * time.Millisecond)}, tc.opts...)
			tc.check(t, servedRun{startServer(t, "state", inst, opts...), inst})
		})
	}
}

// servedRun is one served case: its server and instance.
type servedRun struct {
	s    *server
	inst string
}

// running waits for exactly n running containers of the test image tag.
func (r servedRun) running(t *testing.T, tag string, n int) []ctr {
	t.Helper()
	image := "orchestrator-test:" + tag
	return waitFor(t, r.inst, image, time.Minute, fmt.Sprintf("%d of %s running", n, image), exactly(n))
}

// replaced edits a spec file of the state directory and waits until the
// one container of tag is a new one, running alone.
func (r servedRun) replaced(t *testing.T, file, old, new, tag string, before ctr) ctr {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("state", file))
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(text), old, new, 1)
	if edited == string(text) {
		t.Fatalf("%s has no %q", file, old)
	}
	writeFile(t, "state", file, edited)
	var next []ctr
	rt.Eventually(t, time.Minute, "a new container of "+tag+", alone", func() (bool, string) {
		next = ofImage(containers(t, r.inst), "orchestrator-test:"+tag)
		return len(next) == 1 && next[0].ID != before.ID && next[0].State == "running", summary(next)
	})
	return next[0]
}

// healthy waits for the engine's healthcheck to pass, and for the API's
// health of the image to report the container alive.
func (r servedRun) healthy(t *testing.T, tag string, c ctr) {
	t.Helper()
	rt.Eventually(t, time.Minute, tag+" healthy", func() (bool, string) {
		st := rt.Docker(t, "inspect", "-f", "{{.State.Health.Status}}", c.ID)
		return st == "healthy", st
	})
	rt.Eventually(t, 30*time.Second, tag+" alive in GET /images/{image}/health", func() (bool, string) {
		var health wire.ImageHealth
		getJSON(t, "http://"+r.s.addr+"/images/"+url.PathEscape("orchestrator-test:"+tag)+"/health", &health)
		ok := len(health.Health) == 1 && health.Health[0].ServerAlive != nil && *health.Health[0].ServerAlive
		return ok, fmt.Sprintf("%+v", health)
	})
}

// hop is a /chain answer of the demo.
type hop struct {
	Name     string `json:"name"`
	Upstream *hop   `json:"upstream"`
	Error    string `json:"error"`
}

// chainReaches waits until GET /chain on the container's port 8080 goes
// through the names given, each tier asking the next by its service name.
func chainReaches(t *testing.T, c ctr, names ...string) {
	t.Helper()
	u := "http://" + publishedAddr(t, c.ID, "8080/tcp") + "/chain"
	rt.Eventually(t, 30*time.Second, "/chain through "+strings.Join(names, " → "), func() (bool, string) {
		var h hop
		body, err := httpGet(u)
		if err != nil || json.Unmarshal([]byte(body), &h) != nil {
			return false, body
		}
		at := &h
		for _, n := range names {
			if at == nil || at.Name != n {
				return false, body
			}
			at = at.Upstream
		}
		return true, body
	})
}

func inspect(t *testing.T, id, format string) string {
	t.Helper()
	return rt.Docker(t, "inspect", "-f", format, id)
}

// stack: web → api → db by name across two networks; the db's
// healthcheck; the db's data survives a new container.
func checkStack(t *testing.T, r servedRun) {
	db := r.running(t, "db", 1)[0]
	r.running(t, "api", 1)
	web := r.running(t, "web", 1)[0]
	r.healthy(t, "db", db)
	chainReaches(t, web, "web", "api", "db")

	req, err := http.NewRequest(http.MethodPut, "http://"+publishedAddr(t, db.ID, "8080/tcp")+"/kv/greeting", strings.NewReader("hello"))
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
	next := r.replaced(t, "db.yaml", "  NAME: db\n", "  NAME: db\n  NOTE: two\n", "db", db)
	u := "http://" + publishedAddr(t, next.ID, "8080/tcp") + "/kv/greeting"
	rt.Eventually(t, 30*time.Second, "the value on the new container", func() (bool, string) {
		body, err := httpGet(u)
		return err == nil && body == "hello", body
	})
}

// healthcheck: the command's flags, the engine's healthcheck, the labels
// (ours left out), the stop signal and grace period.
func checkHealthcheck(t *testing.T, r servedRun) {
	app := r.running(t, "checked", 1)[0]
	r.healthy(t, "checked", app)
	body, err := httpGet("http://" + publishedAddr(t, app.ID, "9090/tcp") + "/chain")
	if err != nil || !strings.Contains(body, `"name":"checked"`) {
		t.Errorf("GET /chain on the command's port 9090: %v: %s", err, body)
	}
	got := inspect(t, app.ID, `{{index .Config.Labels "com.example.team"}}|{{with index .Config.Labels "orchestrator.owner"}}{{.}}{{else}}none{{end}}|{{.Config.StopSignal}}|{{.Config.StopTimeout}}`)
	if want := "payments|none|SIGTERM|90"; got != want {
		t.Errorf("labels, stop signal and timeout: got %q, want %q", got, want)
	}
}

// envfile: compose's default network is one named after the project, on
// which front reaches back by name; env from env_file, environment and .env.
func checkEnvFile(t *testing.T, r servedRun) {
	back := r.running(t, "back", 1)[0]
	front := r.running(t, "front", 1)[0]
	chainReaches(t, front, "front", "back")
	if got := inspect(t, front.ID, "{{json .Config.Env}}"); !strings.Contains(got, `"GREETING=hello from .env"`) || !strings.Contains(got, `"EMPTY="`) {
		t.Errorf("front's env: %s", got)
	}
	if got := inspect(t, back.ID, "{{json .Config.Env}}"); !strings.Contains(got, `"LOG_LEVEL=info"`) || !strings.Contains(got, `"NAME=back"`) {
		t.Errorf("back's env (environment wins over env_file): %s", got)
	}
	network := r.inst + "-envfile"
	if got := rt.Docker(t, "network", "inspect", "-f", `{{index .Labels "orchestrator.instance"}}`, network); got != r.inst {
		t.Errorf("network %s has instance label %q", network, got)
	}
}

// deploy: replicas, limits, restart policy, logging, ports and the
// hardening flags on the containers; scale 0 runs nothing.
func checkDeploy(t *testing.T, r servedRun) {
	web := r.running(t, "deploy-web", 3)
	dns := r.running(t, "deploy-dns", 1)[0]
	got := inspect(t, web[0].ID, "{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}} "+
		"{{.HostConfig.ReadonlyRootfs}} {{.Config.User}} {{.Config.WorkingDir}} {{.HostConfig.CapDrop}} {{.HostConfig.CapAdd}} {{.HostConfig.SecurityOpt}} "+
		`{{.HostConfig.LogConfig.Type}} {{index .HostConfig.LogConfig.Config "max-size"}} {{.HostConfig.ExtraHosts}} {{.HostConfig.Dns}}`)
	got = strings.Replace(got, "[CAP_NET_BIND_SERVICE]", "[NET_BIND_SERVICE]", 1) // the engine's spelling varies by version
	want := "500000000 268435456 on-failure:5 true 1000:1000 /srv [ALL] [NET_BIND_SERVICE] [no-new-privileges:true] json-file 10m [db.local:10.0.0.5 ipv6.local:::1] [1.1.1.1 8.8.8.8]"
	if got != want {
		t.Errorf("web's container:\n got %s\nwant %s", got, want)
	}
	if got := inspect(t, dns.ID, "{{.HostConfig.RestartPolicy.Name}}"); got != "always" {
		t.Errorf("dns restart policy %q, want always (deploy.restart_policy wins)", got)
	}
	if got := rt.Docker(t, "port", dns.ID, "53/udp"); !strings.Contains(got, ":38053") {
		t.Errorf("dns 53/udp published on %q, want host port 38053", got)
	}
	chainReaches(t, dns, "")
	waitFor(t, r.inst, "orchestrator-test:deploy-batch", time.Minute, "scale 0: one container, created and not running",
		func(cs []ctr) bool { return len(cs) == 1 && cs[0].State == "created" })
}

// unsupported: what did convert runs; the hostname prefix and tmpfs; the
// bind mount allowed by --allow-bind-mounts; the volume that replaced an
// external one is ours, and outlives a new container.
func checkUnsupported(t *testing.T, r servedRun) {
	cache := r.running(t, "cache", 1)[0]
	app := r.running(t, "app", 1)[0]
	r.running(t, "worker", 1)
	if got := inspect(t, cache.ID, "{{.Config.Hostname}} {{json .HostConfig.Tmpfs}}"); got != `cache-1 {"/data":"size=64m"}` {
		t.Errorf("cache hostname and tmpfs: %s", got)
	}
	volume := r.inst + "-shop-shared"
	mounts := `{{range .Mounts}}{{.Type}}:{{.Name}}{{.Source}}>{{.Destination}} {{end}}`
	want := "bind:/var/run/docker.sock>/var/run/docker.sock volume:" + volume
	if got := inspect(t, app.ID, mounts); !strings.Contains(got, "bind:/var/run/docker.sock>/var/run/docker.sock") || !strings.Contains(got, "volume:"+volume) {
		t.Errorf("app's mounts: %s, want %s", got, want)
	}
	created := rt.Docker(t, "volume", "inspect", "-f", `{{.CreatedAt}} {{index .Labels "orchestrator.instance"}}`, volume)
	next := r.replaced(t, "app.yaml", "com.example.tier: app", "com.example.tier: app2", "app", app)
	if got := inspect(t, next.ID, mounts); !strings.Contains(got, "volume:"+volume) {
		t.Errorf("the new app container's mounts: %s", got)
	}
	if again := rt.Docker(t, "volume", "inspect", "-f", `{{.CreatedAt}} {{index .Labels "orchestrator.instance"}}`, volume); again != created || !strings.HasSuffix(created, " "+r.inst) {
		t.Errorf("volume %s: %q before the replacement, %q after", volume, created, again)
	}
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
