package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/orchestrator/orchestrator/api/wire"
)

// status shows the reconciler's status of each spec, as GET /status has it.
func TestStatus(t *testing.T) {
	inTempDir(t)
	s := startAPI(t, "")
	checkResult(t, result{0, "", "no specs on " + s.url + "\n"}, s.orch(t, "status"))
	checkResult(t, result{0, "{\n  \"specs\": []\n}\n", ""}, s.orch(t, "status", "-o", "json"))

	writeFiles(t, map[string]string{"in/web.yaml": webYAML, "in/worker.yaml": workerYAML})
	checkResult(t, result{0, "shop/web:1.0 created\nshop/worker:1.0 created\n", ""}, s.orch(t, "apply", "-f", "in"))
	s.converge(t)

	want := `IMAGE             HEALTH    SYNCED   DESIRED   READY   RUNNING   CPU   SOURCE                   MESSAGE/ERROR
shop/web:1.0      Healthy   yes      2         2       2         -     shop_web_1.0.yaml:1      -
shop/worker:1.0   Stopped   yes      0         0       0         -     shop_worker_1.0.yaml:1   -
`
	checkResult(t, result{0, want, ""}, s.orch(t, "status"))
	lines := strings.SplitAfter(want, "\n")
	checkResult(t, result{0, lines[0] + lines[2], ""}, cli(t, map[string]string{envServer: s.url}, "", "status", "shop/worker:1.0"))

	got := s.orch(t, "status", "shop/web:1.0", "-o", "json")
	var st wire.Status
	if err := json.Unmarshal([]byte(got.Stdout), &st); err != nil || got.Code != 0 || got.Stderr != "" {
		t.Fatalf("status shop/web:1.0 -o json: %+v (%v)", got, err)
	}
	// The same status as GET /status has it.
	resp, err := http.Get(s.url + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var all wire.StatusList
	if err := json.NewDecoder(resp.Body).Decode(&all); err != nil {
		t.Fatal(err)
	}
	var wantSt wire.Status
	for _, x := range all.Specs {
		if x.Image == "shop/web:1.0" {
			wantSt = x
		}
	}
	if diff := cmp.Diff(wantSt, st, cmpopts.IgnoreFields(wire.Status{}, "LastReconcile")); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}

	checkResult(t, result{1, "", fmt.Sprintf("error: no status for image %q on %s (no spec for it, or no reconcile pass over it yet)\n", "shop/nope:1", s.url)},
		s.orch(t, "status", "shop/nope:1"))
}

func TestStatusNote(t *testing.T) {
	for _, tt := range []struct {
		st   wire.Status
		want string
	}{
		{wire.Status{}, "-"},
		{wire.Status{Message: "waiting for 1 container to be ready"}, "waiting for 1 container to be ready"},
		{wire.Status{Message: "m", LastError: "pull x: denied\n\tretry in 4s"}, "error: pull x: denied; retry in 4s"},
	} {
		if got := orDash(oneLine(statusNote(tt.st))); got != tt.want {
			t.Errorf("note of %+v = %q, want %q", tt.st, got, tt.want)
		}
	}
}
