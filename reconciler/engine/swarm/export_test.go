package swarm

import (
	"context"
	"testing"

	"github.com/orchestrator/orchestrator/reconciler/engine"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// NewForTest connects an adapter that sees only this test's services, on a
// swarm (ORCH_SWARM=1), and removes them when the test ends. It is here,
// in the package, so that the tests inside it (which reach its unexported
// parts) and those of swarm_test share it.
func NewForTest(t *testing.T) (*Engine, string) {
	t.Helper()
	rt.RequireSwarm(t)
	id := rt.UniqueID(t)
	e, err := New(context.Background(), Options{Instance: id})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	rt.CleanupInstance(t, id) // after the services: their task containers
	t.Cleanup(func() { rt.RemoveServicesLabelled(t, engine.LabelInstance+"="+id) })
	return e, id
}
