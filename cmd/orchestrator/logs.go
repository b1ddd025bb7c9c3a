package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/orchestrator/orchestrator/api/wire"
)

// logSource is where logs come from: a server's API, or the engine itself.
// Both see managed containers only.
type logSource interface {
	// containers lists the managed containers, each with its spec's image.
	listContainers(ctx context.Context) ([]wire.Container, error)
	// logs streams one container's output (see engine.Engine.Logs).
	logs(ctx context.Context, id string, follow bool, tail int) (io.ReadCloser, error)
}

func (a *app) newLogsCmd() *cobra.Command {
	var follow bool
	var tail, instance string
	cmd := &cobra.Command{
		Use:   "logs NAME|ID|IMAGE [-f] [--tail N]",
		Short: "Print the logs of a managed container, or of every container of an image",
		Long: `Logs prints what a managed container wrote (stdout and stderr), like docker
logs; given an image, it prints the logs of every container of that spec,
each line prefixed with the container's name, like docker compose logs.

The argument is a container's name, its id (or a unique prefix of 4 or more
characters), or an image. Only containers the orchestrator manages are
found; any other name is an error.

With --server URL (or $ORCHESTRATOR_SERVER) the logs come through that
server's API (GET /containers/{id}/logs), with its token. Otherwise they come
from the Docker engine of this machine directly (DOCKER_HOST): the managed
containers of every orchestrator, or with --dir (or $ORCHESTRATOR_DIR) or
--instance only those of that directory's (or that instance's) serve. Flags
win over the environment, as for every verb.

-f follows: new lines are printed as they are written, until the container
stops or Ctrl-C.`,
		Example: `  # The last 20 lines of every web replica, then follow them
  orchestrator logs orchestrator-demo:web --tail 20 -f

  # One container, through a server
  orchestrator logs orchestrator-demo-web-1 --server http://127.0.0.1:8000`,
		Args: cobra.ExactArgs(1),
		RunE: withCode(exitFailure, func(cmd *cobra.Command, args []string) error {
			n := -1
			if tail != "all" {
				v, err := strconv.Atoi(tail)
				if err != nil || v < 0 {
					return usagef("--tail must be a number >= 0 or \"all\", got %q", tail)
				}
				n = v
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			src, closeSrc, err := a.logSource(ctx, instance, cmd.Flags().Changed("instance"))
			if err != nil {
				return err
			}
			defer closeSrc()
			err = printLogs(ctx, src, args[0], follow, n, a.stdout)
			if ctx.Err() != nil && errors.Is(err, context.Canceled) {
				return nil // Ctrl-C while following
			}
			return err
		}),
	}
	fl := cmd.Flags()
	fl.BoolVarP(&follow, "follow", "f", false, "follow: print new lines as they are written")
	fl.StringVar(&tail, "tail", "all", "`N`: only the last N lines of each container, or \"all\"")
	fl.StringVar(&instance, "instance", "", "without a server: only the containers of this serve's `NAME` (see serve --instance)")
	return cmd
}

// logSource picks the server or the engine in the order of every verb
// (flags win over the environment): --dir (the engine, that directory's
// instance), --server, $ORCHESTRATOR_DIR, $ORCHESTRATOR_SERVER; with none,
// the engine, every instance's managed containers.
func (a *app) logSource(ctx context.Context, instance string, instanceSet bool) (logSource, func(), error) {
	if a.dir != "" && a.server != "" {
		return nil, nil, usagef("give --dir (the engine) or --server, not both")
	}
	if a.dir == "" && a.server == "" {
		a.dir = a.getenv(envDir)
	}
	if a.dir == "" && (a.server != "" || a.getenv(envServer) != "") {
		if instanceSet {
			return nil, nil, usagef("--instance is for the engine; a server shows its own containers")
		}
		c, err := a.openClient()
		return c, func() {}, err
	}
	if !instanceSet && a.dir != "" {
		inst, err := defaultInstance(a.dir)
		if err != nil {
			return nil, nil, err
		}
		instance, instanceSet = inst, true
	}
	return newEngineLogs(ctx, instance, instanceSet)
}

// printLogs resolves target to containers and copies their logs to w: one
// container as it wrote them, several with each line prefixed by its name.
func printLogs(ctx context.Context, src logSource, target string, follow bool, tail int, w io.Writer) error {
	all, err := src.listContainers(ctx)
	if err != nil {
		return err
	}
	cs, err := resolveContainers(all, target)
	if err != nil {
		return err
	}
	if len(cs) == 1 {
		rc, err := src.logs(ctx, cs[0].ContainerID, follow, tail)
		if err != nil {
			return err
		}
		defer rc.Close()
		_, err = io.Copy(w, rc)
		return err
	}
	width := 0
	for _, c := range cs {
		width = max(width, len(c.Name))
	}
	var mu sync.Mutex // one line at a time
	g, ctx := errgroup.WithContext(ctx)
	for _, c := range cs {
		g.Go(func() error {
			rc, err := src.logs(ctx, c.ContainerID, follow, tail)
			if err != nil {
				return err
			}
			defer rc.Close()
			prefix := fmt.Sprintf("%-*s | ", width, c.Name)
			sc := bufio.NewScanner(rc)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				mu.Lock()
				_, err := fmt.Fprintln(w, prefix+sc.Text())
				mu.Unlock()
				if err != nil {
					return err
				}
			}
			return sc.Err()
		})
	}
	return g.Wait()
}

// resolveContainers finds target among the managed containers: a name, an
// id or a unique id prefix of at least 4 characters (as docker finds
// them), else every container of the image target, by name.
func resolveContainers(all []wire.Container, target string) ([]wire.Container, error) {
	var prefixed, ofImage []wire.Container
	for _, c := range all {
		switch {
		case c.ContainerID == target || c.Name == strings.TrimPrefix(target, "/"):
			return []wire.Container{c}, nil
		case len(target) >= 4 && strings.HasPrefix(c.ContainerID, target):
			prefixed = append(prefixed, c)
		case c.Image == target:
			ofImage = append(ofImage, c)
		}
	}
	switch {
	case len(prefixed) == 1:
		return prefixed, nil
	case len(prefixed) > 1:
		return nil, fmt.Errorf("%q matches %d containers: give more of the id", target, len(prefixed))
	case len(ofImage) == 0:
		return nil, fmt.Errorf("no managed container or image %q", target)
	}
	sort.Slice(ofImage, func(i, j int) bool { return ofImage[i].Name < ofImage[j].Name })
	return ofImage, nil
}
