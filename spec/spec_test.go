package spec_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/spec"
)

// hashedSpec has every field that the hash covers.
func hashedSpec() spec.Spec {
	s := spec.New("nginx:alpine")
	s.MinReplicas, s.MaxReplicas = 2, 4
	s.Env = map[string]string{"LOG_LEVEL": "info", "A": "1"}
	s.Ports = map[string]int{"80": 0, "53/udp": 0}
	s.Resources.CPU, s.Resources.Memory = "500m", "256m"
	s.Autoscale = &spec.Autoscale{TargetCPUPercent: intPtr(60)}
	s.Health = &spec.Health{HTTPPath: "/healthz", Port: "80", Interval: "5s"}
	return s
}

func TestHashAndRevisionAreStable(t *testing.T) {
	a, b := hashedSpec(), hashedSpec()
	// Build b's maps in another order; the hash must not care.
	b.Env = map[string]string{}
	b.Env["A"], b.Env["LOG_LEVEL"] = "1", "info"
	b.Ports = map[string]int{}
	b.Ports["53/udp"], b.Ports["80"] = 0, 0
	if a.Hash() != b.Hash() || a.Revision() != b.Revision() {
		t.Errorf("equal specs: hash %s / %s, revision %s / %s", a.Hash(), b.Hash(), a.Revision(), b.Revision())
	}
	for i := 0; i < 20; i++ {
		if h := hashedSpec().Hash(); h != a.Hash() {
			t.Fatalf("hash changed between calls: %s then %s", a.Hash(), h)
		}
	}
	// The hash is in the label of every container: if this value changes,
	// an upgrade recreates every container. Bump HashVersion when the hashed
	// fields change on purpose, and update this value.
	if diff := cmp.Diff("v1:954290037c8ff06a3dee0f96514f796c", a.Hash()); diff != "" {
		t.Errorf("Hash (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(a.Hash(), "v1:") || spec.HashVersion != "v1" {
		t.Errorf("Hash %q does not start with %q", a.Hash(), "v1:")
	}
	if r := a.Revision(); len(r) != 32 || strings.Trim(r, "0123456789abcdef") != "" || strings.Contains(r, ":") {
		t.Errorf("Revision %q is not 32 hex digits", r)
	}
}

// TestHashCoversTheContainer checks which changes recreate containers (a new
// Hash) and which only scale them (the same Hash, a new Revision).
func TestHashCoversTheContainer(t *testing.T) {
	tests := []struct {
		name         string
		mut          func(*spec.Spec)
		sameHash     bool
		sameRevision bool
	}{
		// Scaling: never recreates.
		{name: "min_replicas", mut: func(s *spec.Spec) { s.MinReplicas = 3 }, sameHash: true},
		{name: "max_replicas", mut: func(s *spec.Spec) { s.MaxReplicas = 10 }, sameHash: true},
		{name: "status", mut: func(s *spec.Spec) { s.Resources.Status = spec.StatusStopped }, sameHash: true},
		{name: "autoscale target", mut: func(s *spec.Spec) { s.Autoscale.TargetCPUPercent = intPtr(80) }, sameHash: true},
		{name: "autoscale disabled", mut: func(s *spec.Spec) { s.Autoscale.Enabled = boolPtr(false) }, sameHash: true},
		{name: "autoscale removed", mut: func(s *spec.Spec) { s.Autoscale = nil }, sameHash: true},
		{name: "autoscale stabilization", mut: func(s *spec.Spec) { s.Autoscale.ScaleDownStabilization = "1m" }, sameHash: true},
		// The same container written another way.
		{name: "cpu 0.5 for 500m", mut: func(s *spec.Spec) { s.Resources.CPU = "0.5" }, sameHash: true},
		{name: "memory 256Mi for 256m", mut: func(s *spec.Spec) { s.Resources.Memory = "256Mi" }, sameHash: true},
		{name: "memory in bytes", mut: func(s *spec.Spec) { s.Resources.Memory = "268435456" }, sameHash: true},
		{name: "port 80/tcp for 80", mut: func(s *spec.Spec) { s.Ports = map[string]int{"80/tcp": 0, "53/udp": 0} }, sameHash: true},
		{name: "health port 80/tcp for 80", mut: func(s *spec.Spec) { s.Health.Port = "80/tcp" }, sameHash: true},
		{name: "nothing", mut: func(*spec.Spec) {}, sameHash: true, sameRevision: true},
		{name: "empty status is running", mut: func(s *spec.Spec) { s.Resources.Status = "" }, sameHash: true, sameRevision: true},
		// What defines the container: recreates.
		{name: "image", mut: func(s *spec.Spec) { s.Image = "nginx:1.27" }},
		{name: "env value", mut: func(s *spec.Spec) { s.Env["LOG_LEVEL"] = "debug" }},
		{name: "env added", mut: func(s *spec.Spec) { s.Env["NEW"] = "" }},
		{name: "env removed", mut: func(s *spec.Spec) { delete(s.Env, "A") }},
		{name: "cpu", mut: func(s *spec.Spec) { s.Resources.CPU = "501m" }},
		{name: "cpu limit removed", mut: func(s *spec.Spec) { s.Resources.CPU = "" }},
		{name: "memory", mut: func(s *spec.Spec) { s.Resources.Memory = "257m" }},
		{name: "port added", mut: func(s *spec.Spec) { s.Ports["443"] = 0 }},
		{name: "port protocol", mut: func(s *spec.Spec) { s.Ports = map[string]int{"80/udp": 0, "53/udp": 0} }},
		{name: "host port", mut: func(s *spec.Spec) { s.Ports["80"] = 8080 }},
		{name: "health path", mut: func(s *spec.Spec) { s.Health.HTTPPath = "/ready" }},
		{name: "health interval", mut: func(s *spec.Spec) { s.Health.Interval = "10s" }},
		{name: "health removed", mut: func(s *spec.Spec) { s.Health = nil }},
	}
	base := hashedSpec()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := hashedSpec()
			tc.mut(&s)
			if got := s.Hash() == base.Hash(); got != tc.sameHash {
				t.Errorf("same Hash = %v, want %v (%s vs %s)", got, tc.sameHash, s.Hash(), base.Hash())
			}
			if got := s.Revision() == base.Revision(); got != tc.sameRevision {
				t.Errorf("same Revision = %v, want %v", got, tc.sameRevision)
			}
		})
	}
}

// TestHashIgnoresHowADocumentIsWritten parses two files that say the same
// thing in different ways.
func TestHashIgnoresHowADocumentIsWritten(t *testing.T) {
	a := "image: nginx\nenv: {A: \"1\", B: \"2\"}\nports: {\"80\": 0}\nresources: {cpu: \"0.5\", memory: 1g}\n"
	b := "# same\nresources:\n  memory: 1024m\n  cpu: 500m\nports:\n  80/tcp: 0\nenv:\n  B: \"2\"\n  A: \"1\"\nimage: nginx\nmax_replicas: 2\n"
	da, ea := spec.Parse("a.yaml", []byte(a), twoCPUs)
	db, eb := spec.Parse("b.yaml", []byte(b), twoCPUs)
	if len(ea)+len(eb) > 0 || len(da) != 1 || len(db) != 1 {
		t.Fatalf("Parse: %v %v", ea, eb)
	}
	if da[0].Spec.Hash() != db[0].Spec.Hash() {
		t.Errorf("hashes differ: %s vs %s", da[0].Spec.Hash(), db[0].Spec.Hash())
	}
	if da[0].Spec.Revision() == db[0].Spec.Revision() {
		t.Errorf("revisions are equal, but max_replicas differs")
	}
}

func TestNewAndDerivedValues(t *testing.T) {
	s := spec.New("nginx")
	want := spec.Spec{
		Image: "nginx", MinReplicas: 1, MaxReplicas: 5,
		Env: map[string]string{}, Ports: map[string]int{},
		Resources: spec.Resources{Status: spec.StatusRunning},
	}
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("New (-want +got):\n%s", diff)
	}
	// A spec built by code and one parsed from a file have one revision.
	docs, errs := spec.Parse("n.yaml", []byte("image: nginx\nresources: {}\n"), twoCPUs)
	if len(errs) > 0 || len(docs) != 1 {
		t.Fatalf("Parse: %v", errs)
	}
	if docs[0].Spec.Revision() != s.Revision() || docs[0].Spec.Hash() != s.Hash() {
		t.Errorf("parsed and built specs differ: %s/%s vs %s/%s",
			docs[0].Spec.Revision(), docs[0].Spec.Hash(), s.Revision(), s.Hash())
	}
	// nil maps are empty maps.
	z := s
	z.Env, z.Ports = nil, nil
	if z.Revision() != s.Revision() || z.Hash() != s.Hash() {
		t.Error("nil maps change the revision or hash")
	}

	type derived struct {
		NanoCPUs    int64
		MemoryBytes int64
		Autoscale   bool
		Target      int
		Stabilize   time.Duration
	}
	get := func(s spec.Spec) derived {
		return derived{s.NanoCPUs(), s.MemoryBytes(), s.AutoscaleEnabled(), s.TargetCPUPercent(), s.ScaleDownStabilization()}
	}
	tests := []struct {
		name string
		mut  func(*spec.Spec)
		want derived
	}{
		{name: "defaults", mut: func(*spec.Spec) {},
			want: derived{0, 0, true, 70, 5 * time.Minute}},
		{name: "limits", mut: func(s *spec.Spec) { s.Resources.CPU, s.Resources.Memory = "1500m", "1Gi" },
			want: derived{1_500_000_000, 1 << 30, true, 70, 5 * time.Minute}},
		{name: "min equals max", mut: func(s *spec.Spec) { s.MinReplicas, s.MaxReplicas = 3, 3 },
			want: derived{0, 0, false, 70, 5 * time.Minute}},
		{name: "disabled", mut: func(s *spec.Spec) { s.Autoscale = &spec.Autoscale{Enabled: boolPtr(false)} },
			want: derived{0, 0, false, 70, 5 * time.Minute}},
		{name: "enabled, tuned", mut: func(s *spec.Spec) {
			s.Autoscale = &spec.Autoscale{Enabled: boolPtr(true), TargetCPUPercent: intPtr(50), ScaleDownStabilization: "90s"}
		}, want: derived{0, 0, true, 50, 90 * time.Second}},
		{name: "empty autoscale block", mut: func(s *spec.Spec) { s.Autoscale = &spec.Autoscale{} },
			want: derived{0, 0, true, 70, 5 * time.Minute}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := spec.New("nginx")
			tc.mut(&s)
			if diff := cmp.Diff(tc.want, get(s)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
