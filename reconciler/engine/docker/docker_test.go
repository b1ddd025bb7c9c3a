package docker_test

import (
	"context"
	"os/exec"
	"testing"

	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/reconciler/engine/docker"
	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// newDocker connects an adapter that sees only this test's containers, and
// removes them all when the test ends.
func newDocker(t *testing.T) (*docker.Engine, string) {
	t.Helper()
	rt.RequireDocker(t)
	id := rt.UniqueID(t)
	d, err := docker.New(context.Background(), docker.Options{Instance: id})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	rt.CleanupInstance(t, id)
	return d, id
}

func TestDockerContract(t *testing.T) {
	rt.Run(t, func(t *testing.T) rt.Harness {
		image := rt.BuildTestImage(t)
		d, id := newDocker(t)
		return rt.Harness{
			Engine: d, Image: image, MissingImage: "orchestrator-test-missing:" + id, Prefix: id,
			AddUnmanaged: func(t *testing.T, name string) string {
				label := "orchestrator.test=" + id
				t.Cleanup(func() { rt.RemoveLabelled(t, label) })
				// Same image, and even our image label, but not managed-by: never ours.
				return rt.Docker(t, "run", "-d", "--name", name, "--label", label,
					"--label", engine.LabelImage+"="+image, image)
			},
			AddForeignVolume: func(t *testing.T, name string) {
				rt.Docker(t, "volume", "create", name)
				t.Cleanup(func() { exec.Command("docker", "volume", "rm", "-f", name).Run() })
			},
			AddForeignNetwork: func(t *testing.T, name string) {
				rt.Docker(t, "network", "create", name)
				t.Cleanup(func() { exec.Command("docker", "network", "rm", name).Run() })
			},
		}
	})
}
