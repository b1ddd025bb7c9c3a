package enginetest

import (
	"strings"
	"testing"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

func TestFakeContract(t *testing.T) {
	Run(t, func(t *testing.T) Harness {
		f := NewFake("app:v1")
		f.SetProbe(demoProbe)
		return Harness{
			Engine: f, Image: "app:v1", MissingImage: "nope:v1", Prefix: "fake",
			AddUnmanaged:      func(t *testing.T, name string) string { return f.AddUnmanaged(name, "app:v1") },
			AddForeignVolume:  func(t *testing.T, name string) { f.AddForeignVolume(name) },
			AddForeignNetwork: func(t *testing.T, name string) { f.AddForeignNetwork(name, 0) },
		}
	})
}

// demoProbe is the demo image's -check probe as the fake runs it: the
// server answers /healthz, and 404 to any other path.
func demoProbe(cfg engine.Config) (int, string) {
	test := cfg.Healthcheck.Test
	url := test[len(test)-1]
	if strings.HasSuffix(url, "/healthz") {
		return 0, ""
	}
	return 1, "demo -check: unhealthy: GET " + url + " answered 404 Not Found\n"
}
