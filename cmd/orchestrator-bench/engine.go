package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"syscall"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// instancePrefix starts the instance label of every run's serve: bench-<pid>.
const instancePrefix = "bench-"

// newClient connects to the engine of DOCKER_HOST, negotiating the API version.
func newClient(ctx context.Context) (*client.Client, error) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	cli.NegotiateAPIVersion(ctx)
	return cli, nil
}

// countRunning counts the running containers of instance and image.
func countRunning(ctx context.Context, cli *client.Client, instance, image string) (int, error) {
	f := filters.NewArgs(
		filters.Arg("label", engine.LabelInstance+"="+instance),
		filters.Arg("label", engine.LabelImage+"="+image),
		filters.Arg("status", "running"),
	)
	list, err := cli.ContainerList(ctx, container.ListOptions{Filters: f})
	if err != nil {
		return 0, fmt.Errorf("list containers: %w", err)
	}
	return len(list), nil
}

// removeWorkers is how many containers are removed at once: the engine
// does the work, and more at once only queue in it.
const removeWorkers = 8

// removeInstances force-removes every managed container whose instance label
// satisfies match, removeWorkers at a time, and returns how many it
// removed.
func removeInstances(ctx context.Context, cli *client.Client, match func(instance string) bool) (int, error) {
	list, err := cli.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("label", engine.LabelManagedBy))})
	if err != nil {
		return 0, fmt.Errorf("list containers: %w", err)
	}
	ids := make(chan string)
	var mu sync.Mutex
	var errs []error
	n := 0
	var wg sync.WaitGroup
	for range removeWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				err := cli.ContainerRemove(ctx, id, container.RemoveOptions{Force: true})
				mu.Lock()
				switch {
				case err == nil:
					n++
				case !cerrdefs.IsNotFound(err):
					errs = append(errs, fmt.Errorf("remove %s: %w", id[:12], err))
				}
				mu.Unlock()
			}
		}()
	}
	for _, c := range list {
		if match(c.Labels[engine.LabelInstance]) {
			ids <- c.ID
		}
	}
	close(ids)
	wg.Wait()
	return n, errors.Join(errs...)
}

// removeRun removes the containers of this run: the instances bench-<pid>
// and bench-<pid>-*.
func removeRun(ctx context.Context, cli *client.Client, run string) (int, error) {
	return removeInstances(ctx, cli, func(inst string) bool {
		return inst == run || strings.HasPrefix(inst, run+"-")
	})
}

// removeLeftovers removes the containers of earlier runs whose process is
// gone (killed with -9, say); a run still alive keeps its containers.
func removeLeftovers(ctx context.Context, cli *client.Client) error {
	n, err := removeInstances(ctx, cli, deadRun)
	if n > 0 {
		slog.Info("removed leftovers of earlier runs", "containers", n)
	}
	return err
}

// deadRun reports whether instance is of a run whose process is gone:
// bench-<pid> or bench-<pid>-*, and no process has the pid.
func deadRun(instance string) bool {
	rest, ok := strings.CutPrefix(instance, instancePrefix)
	if !ok {
		return false
	}
	pid, err := strconv.Atoi(strings.SplitN(rest, "-", 2)[0])
	return err == nil && !alive(pid)
}

// alive reports whether a process with the pid exists.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
