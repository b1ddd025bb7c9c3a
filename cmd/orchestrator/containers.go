package main

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/orchestrator/orchestrator/api/wire"
)

func (a *app) newGetContainersCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "containers [IMAGE] [--server URL] [-o table|json]",
		Short: "List the managed containers, like docker ps (needs a running server)",
		Long: `Get containers lists the containers that a running server (orchestrator
serve) manages, every one or those of one image, the way docker ps does.
It needs the server, not --dir: only the server talks to the engine.

Formats (-o):
  table  one line per container: CONTAINER ID (its first 12 characters),
         NAME, IMAGE (of its spec), STATUS (Docker's word: running, exited,
         ...), and PORTS as docker ps shows them ("0.0.0.0:32768->8080/tcp";
         "8080/tcp" when not published).
  json   {"containers": [...]}: the API's container summaries, each with its
         "image".

A container whose spec is gone (it is being removed) shows "-" as IMAGE.`,
		Example: `  # Every managed container
  orchestrator get containers

  # The containers of one image, as JSON
  orchestrator get containers orchestrator-demo:web -o json`,
		Args: cobra.MaximumNArgs(1),
		RunE: withCode(exitFailure, func(_ *cobra.Command, args []string) error {
			if output != outTable && output != outJSON {
				return usagef("unknown output format %q (use table or json)", output)
			}
			c, err := a.openClient()
			if err != nil {
				return err
			}
			var rows []wire.Container
			if len(args) == 1 {
				rows, err = c.containersOf(args[0])
			} else {
				rows, err = c.containers()
			}
			if err != nil {
				return err
			}
			if output == outJSON {
				return writeIndented(a.stdout, wire.ContainerList{Containers: rows})
			}
			if len(rows) == 0 {
				fmt.Fprintf(a.stderr, "no containers on %s\n", a.server)
				return nil
			}
			return writeContainerTable(a.stdout, rows)
		}),
	}
	cmd.Flags().StringVarP(&output, "output", "o", outTable, "output `FORMAT`: table or json")
	return cmd
}

// containersOf is GET /images/{image}/containers.
func (c *client) containersOf(image string) ([]wire.Container, error) {
	var body wire.ImageContainers
	if err := c.call(http.MethodGet, imagePath(image, "containers"), nil, "", &body); err != nil {
		return nil, err
	}
	rows := body.Containers
	if rows == nil {
		rows = []wire.Container{}
	}
	for i := range rows {
		rows[i].Image = image
	}
	return rows, nil
}

// containers is every managed container (GET /containers), each with its
// image.
func (c *client) containers() ([]wire.Container, error) {
	var all wire.ContainerList
	if err := c.call(http.MethodGet, "/containers", nil, "", &all); err != nil {
		return nil, err
	}
	if all.Containers == nil {
		return []wire.Container{}, nil
	}
	return all.Containers, nil // each summary names its image
}

// writeContainerTable prints the containers as docker ps does.
func writeContainerTable(w io.Writer, rows []wire.Container) error {
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "CONTAINER ID\tNAME\tIMAGE\tSTATUS\tPORTS")
	for _, r := range rows {
		id := r.ContainerID
		if len(id) > 12 {
			id = id[:12]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", id, r.Name, orDash(r.Image), orDash(r.Status), orDash(dockerPorts(r.Ports)))
	}
	return tw.Flush()
}

// dockerPorts writes published ports as docker ps does:
// "0.0.0.0:32768->8080/tcp, [::]:32768->8080/tcp"; a port that is not
// published is just "8080/tcp". They are sorted by container port.
func dockerPorts(ports wire.Ports) string {
	keys := make([]string, 0, len(ports))
	for k := range ports {
		keys = append(keys, k)
	}
	num := func(k string) int {
		n, _ := strconv.Atoi(strings.SplitN(k, "/", 2)[0])
		return n
	}
	sort.Slice(keys, func(i, j int) bool {
		if a, b := num(keys[i]), num(keys[j]); a != b {
			return a < b
		}
		return keys[i] < keys[j]
	})
	var out []string
	for _, k := range keys {
		if len(ports[k]) == 0 {
			out = append(out, k)
			continue
		}
		for _, b := range ports[k] {
			ip := b.HostIP
			if strings.Contains(ip, ":") {
				ip = "[" + ip + "]"
			}
			out = append(out, ip+":"+b.HostPort+"->"+k)
		}
	}
	return strings.Join(out, ", ")
}
