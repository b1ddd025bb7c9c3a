package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/reconciler/engine/docker"
	"github.com/orchestrator/orchestrator/reconciler/engine/swarm"
)

func (a *app) newDownCmd() *cobra.Command {
	var instance string
	var timeout time.Duration
	var volumes bool
	cmd := &cobra.Command{
		Use:   "down --dir DIR [--instance NAME]",
		Short: "Stop and remove the containers of a state directory's serve, like docker compose down",
		Long: `Down stops and removes every container that serve of DIR manages: those
labelled with its instance (the one derived from DIR, or --instance), and no
other, then the instance's networks; with --volumes, its volumes too, and
their data. On a swarm manager it first removes the instance's services
(serve --engine swarm), as docker stack rm does. The files stay as they
are; a new serve creates the containers (and networks and volumes) again.

Serve must not be running on DIR: it would create them again at once. Down
takes the same lock as serve, so it refuses while one runs.`,
		Example: `  # After Ctrl-C on make run: remove the examples' containers
  orchestrator down --dir examples/state`,
		Args: cobra.NoArgs,
		RunE: withCode(exitFailure, func(cmd *cobra.Command, _ []string) error {
			if err := a.requireDir(); err != nil {
				return err
			}
			if !cmd.Flags().Changed("instance") {
				var err error
				if instance, err = defaultInstance(a.dir); err != nil {
					return err
				}
			}
			release, err := lockServe(a.dir, instance)
			if errors.Is(err, errServed) {
				return fmt.Errorf("%w; down would fight it: stop serve first", err)
			}
			if err != nil {
				return err
			}
			defer release()
			e, err := docker.New(cmd.Context(), docker.Options{Instance: instance})
			if err != nil {
				return err
			}
			defer e.Close()
			if !cmd.Flags().Changed("timeout") {
				timeout = engine.OwnStopTimeout // each container's stop_grace_period, as compose down
			}
			if err := a.downServices(cmd.Context(), instance); err != nil {
				return err
			}
			if err := a.down(cmd.Context(), e, instance, timeout); err != nil {
				return err
			}
			return a.downResources(cmd.Context(), e, volumes)
		}),
	}
	cmd.Flags().BoolVarP(&volumes, "volumes", "v", false, "also remove the instance's volumes, and the data in them")
	cmd.Flags().StringVar(&instance, "instance", "", "the serve's `NAME`, when it was started with --instance")
	cmd.Flags().DurationVarP(&timeout, "timeout", "t", 0, "how long a container has to stop before it is killed (default: its spec's stop_grace_period, else 10s)")
	return cmd
}

// down stops and removes the instance's containers, a few at a time, and
// prints each one removed.
func (a *app) down(ctx context.Context, e engine.Engine, instance string, timeout time.Duration) error {
	cs, err := e.List(ctx)
	if err != nil {
		return err
	}
	if len(cs) == 0 {
		fmt.Fprintf(a.stderr, "no containers of instance %q\n", instance)
		return nil
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
	var mu sync.Mutex
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, c := range cs {
		g.Go(func() error {
			if c.Active() { // graceful; Remove forces what is left (paused, say)
				if err := e.Stop(ctx, c.ID, timeout); err != nil && !errors.Is(err, engine.ErrNotFound) {
					return err
				}
			}
			if err := e.Remove(ctx, c.ID); err != nil && !errors.Is(err, engine.ErrNotFound) {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(a.stdout, "%s removed\n", c.Name)
			return nil
		})
	}
	return g.Wait()
}

// downServicesWait bounds the wait for Swarm to stop a removed service's
// tasks: a default grace period of 10 s and then some. Past it, down stops
// and removes what is left itself.
const downServicesWait = 2 * time.Minute

// downServices removes the instance's services when the engine is a swarm
// manager (serve --engine swarm made them), as docker stack rm does. On
// any other engine there are none.
func (a *app) downServices(ctx context.Context, instance string) error {
	s, err := swarm.New(ctx, swarm.Options{Instance: instance})
	if errors.Is(err, swarm.ErrNotManager) {
		return nil
	}
	if err != nil {
		return err
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(ctx, downServicesWait)
	defer cancel()
	names, err := s.RemoveAll(ctx)
	for _, name := range names {
		fmt.Fprintf(a.stdout, "service %s removed\n", name)
	}
	return err
}

// downResources removes the instance's networks, and with volumes its
// volumes, as docker compose down [-v] does; each one removed is printed.
func (a *app) downResources(ctx context.Context, e engine.Engine, volumes bool) error {
	ns, err := e.Networks(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range ns {
		if err := e.RemoveNetwork(ctx, n.Name); err != nil && !errors.Is(err, engine.ErrNotFound) {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(a.stdout, "network %s removed\n", n.Name)
	}
	if !volumes {
		return errors.Join(errs...)
	}
	vs, err := e.Volumes(ctx)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, v := range vs {
		if err := e.RemoveVolume(ctx, v.Name); err != nil && !errors.Is(err, engine.ErrNotFound) {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(a.stdout, "volume %s removed\n", v.Name)
	}
	return errors.Join(errs...)
}
