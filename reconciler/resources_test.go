package reconciler_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// A spec's compose-like fields reach its containers: the command, a
// hostname per slot, its labels beside ours, a named volume, a bind mount
// next to its file, its networks with its name as alias, and its restart
// policy, noted in a label for the release of a hold.
func TestRuntimeFieldsReachTheEngine(t *testing.T) {
	w := newWorld(t, "shop/db:16")
	w.write("db.yaml", `image: shop/db:16
name: db
command: ["-name", "db"]
hostname: db
labels: {team: shop}
volumes: ["data:/var/lib/db", "./conf:/etc/db:ro"]
tmpfs: [/run]
networks: [shop]
restart: on-failure:3
healthcheck: {test: [CMD, /demo, -check, "http://127.0.0.1:8080/healthz"], interval: 2s}
extra_hosts: ["gw=10.0.0.1"]
resources: {}
`)
	w.converge()
	ids := w.ids("shop/db:16")
	if len(ids) != 1 {
		t.Fatalf("containers: %v", w.containers("shop/db:16"))
	}
	cfg := w.fake.Config(ids[0])
	diff(t, "command", []string{"-name", "db"}, cfg.Cmd)
	diff(t, "hostname", "db-1", cfg.Hostname)
	diff(t, "mounts", []engine.Mount{
		{Type: engine.MountVolume, Source: "data", Target: "/var/lib/db"},
		{Type: engine.MountBind, Source: filepath.Join(w.root, "conf"), Target: "/etc/db", ReadOnly: true},
		{Type: engine.MountTmpfs, Target: "/run"},
	}, cfg.Mounts)
	diff(t, "networks", []engine.NetworkAttachment{{Name: "shop", Aliases: []string{"db"}}}, cfg.Networks)
	diff(t, "restart", engine.RestartPolicy{Name: "on-failure", MaxRetries: 3}, cfg.Restart)
	diff(t, "healthcheck", &engine.Healthcheck{Test: []string{"CMD", "/demo", "-check", "http://127.0.0.1:8080/healthz"}, Interval: 2 * time.Second}, cfg.Healthcheck)
	diff(t, "extra hosts", []string{"gw:10.0.0.1"}, cfg.ExtraHosts)
	if cfg.Labels["team"] != "shop" || cfg.Labels[engine.LabelRestart] != "on-failure:3" || cfg.Labels[engine.LabelImage] != "shop/db:16" {
		t.Errorf("labels = %v", cfg.Labels)
	}
	if !w.fake.HasVolume("data") || !w.fake.HasNetwork("shop") {
		t.Errorf("volume data %v, network shop %v: want both made", w.fake.HasVolume("data"), w.fake.HasNetwork("shop"))
	}
	if st := w.status("shop/db:16"); st.Health != "Healthy" {
		t.Errorf("status %+v, want Healthy", st)
	}
}

// A deleted spec's network goes once its last container is gone; its
// volume stays, unless the spec said remove_volumes_on_prune.
func TestPruneRemovesNetworksAndOptedInVolumes(t *testing.T) {
	for _, tc := range []struct {
		name       string
		optIn      string
		volumeGone bool
	}{
		{"volume kept", "", false},
		{"volume removed on opt-in", "remove_volumes_on_prune: true\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, "shop/db:16")
			w.write("db.yaml", "image: shop/db:16\nvolumes: [data:/d]\nnetworks: [shop]\n"+tc.optIn+"resources: {}\n")
			w.converge()
			w.remove("db.yaml")
			w.converge()
			if got := w.containers("shop/db:16"); len(got) != 0 {
				t.Fatalf("containers left: %v", got)
			}
			w.pass() // the pass after the last container went
			if w.fake.HasNetwork("shop") {
				t.Errorf("network shop kept after its spec and containers went")
			}
			if gone := !w.fake.HasVolume("data"); gone != tc.volumeGone {
				t.Errorf("volume data removed = %v, want %v", gone, tc.volumeGone)
			}
		})
	}
}

// A network that a container we do not own still uses is never removed;
// one that was never ours is never touched.
func TestPruneLeavesWhatOthersUse(t *testing.T) {
	w := newWorld(t, "shop/api:1")
	w.write("api.yaml", "image: shop/api:1\nnetworks: [shop]\nresources: {}\n")
	w.converge()
	w.fake.AttachForeign("shop")
	w.fake.AddForeignNetwork("legacy", 0)
	w.remove("api.yaml")
	w.converge()
	w.pass()
	if !w.fake.HasNetwork("shop") || !w.fake.HasNetwork("legacy") {
		t.Errorf("network shop %v, legacy %v: want both kept", w.fake.HasNetwork("shop"), w.fake.HasNetwork("legacy"))
	}
}

// A volume name taken by a volume that is not ours is the spec's error,
// with its file, line and field; the spec gets no container, and the
// volume is not touched.
func TestForeignVolumeIsTheSpecsError(t *testing.T) {
	w := newWorld(t, "shop/db:16")
	w.fake.AddForeignVolume("data")
	w.write("db.yaml", "image: shop/db:16\nvolumes:\n  - ./conf:/etc/db\n  - data:/d\nresources: {}\n")
	w.converge()
	if got := w.containers("shop/db:16"); len(got) != 0 {
		t.Errorf("containers made on a foreign volume: %v", got)
	}
	st := w.status("shop/db:16")
	if !strings.HasPrefix(st.LastError, "db.yaml:4: volumes[1]: volume data exists and is not ours") {
		t.Errorf("status error = %q, want it to name db.yaml:4: volumes[1]", st.LastError)
	}
	if err := w.fake.RemoveVolume(context.Background(), "data"); err == nil {
		t.Errorf("the foreign volume was taken over")
	}
}

// depends_on: on a fresh start a spec waits for a ready container of each
// spec it names, at most ReadyTimeout.
func TestDependsOnOrdersAFreshStart(t *testing.T) {
	w := newWorld(t, "shop/db:16", "shop/api:1")
	w.write("api.yaml", "image: shop/api:1\ndepends_on: [db]\nresources: {}\n")
	w.write("db.yaml", "image: shop/db:16\nresources: {}\n")
	w.fake.FailNext("create", errTest) // the db's first create fails: api must wait
	w.pass()
	if got := w.containers("shop/api:1"); len(got) != 0 {
		t.Errorf("api started before db: %v", got)
	}
	if st := w.status("shop/api:1"); !strings.Contains(st.Message, "waits for db to be ready (depends_on)") {
		t.Errorf("api status message = %q", st.Message)
	}
	w.now = w.now.Add(time.Minute) // db's backoff passes
	w.converge()
	diff(t, "api after db is ready", []string{"shop-api-1-1 running"}, w.containers("shop/api:1"))
}

var errTest = errTestType("the engine said no")

type errTestType string

func (e errTestType) Error() string { return string(e) }
