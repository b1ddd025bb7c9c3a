package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/orchestrator/orchestrator/spec"
)

// Output formats of get.
const (
	outTable = "table"
	outJSON  = "json"
	outYAML  = "yaml"
)

func (a *app) newGetCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "get [IMAGE] --dir DIR [-o table|json|yaml]",
		Short: "Show the desired state: every spec, or one image's",
		Long: `Get prints the specs of the state directory, or the spec of one image.

Formats (-o):
  table  one line per spec: IMAGE MIN MAX STATUS CPU MEMORY PORTS FILE.
         CPU is in CPUs ("0.5"); PORTS lists "80/tcp" for a random host port
         and "8080:80/tcp" for a fixed one; FILE is file:line relative to
         the state directory; "-" stands for an empty value.
  json   {"images": [...]}, the shape of the API's GET /images, each spec with
         its "source" (file, line, index) and "revision"; with IMAGE, just
         that spec's object.
  yaml   the specs as a multi-document YAML stream, which apply takes back
         unchanged.

Problems in the state directory (a file that does not parse or validate, an
image defined twice) do not stop get: they are printed to standard error as
warnings, "warning: file:line: field: message", and the specs they affect are
left out. Get exits 1 only when the state directory cannot be read or the
IMAGE asked for has no valid spec.

Through a server (no --dir), get shows what the server reads from its state
directory: the valid specs only (its files' errors are not listed), with
"source" as file and line ("index" is 0: the API does not give it).

"get containers" lists the managed containers instead; see its --help.`,
		Example: `  # List the desired state
  orchestrator get --dir state/

  # One image, as JSON
  orchestrator get nginx:alpine --dir state/ -o json

  # Copy the desired state of one directory into another
  orchestrator get --dir state/ -o yaml | orchestrator apply -f - --dir other/

  # The desired state of the server on 127.0.0.1:8000, and its containers
  orchestrator get
  orchestrator get containers`,
		Args: cobra.MaximumNArgs(1),
		RunE: withCode(exitFailure, func(_ *cobra.Command, args []string) error {
			switch output {
			case outTable, outJSON, outYAML:
			default:
				return usagef("unknown output format %q (use table, json or yaml)", output)
			}
			st, err := a.openStore()
			if err != nil {
				return err
			}
			snap, err := st.Load()
			if err != nil {
				return err
			}
			for _, e := range snap.Errors {
				w := *e
				w.File = a.inDir(e.File)
				fmt.Fprintf(a.stderr, "warning: %s\n", w.Error())
			}
			entries := snap.Specs
			if len(args) == 1 {
				e, ok := snap.Get(args[0])
				if !ok {
					if len(snap.Found[args[0]]) > 0 {
						return failf(exitFailure, "the spec for image %q has errors (see the warnings above)", args[0])
					}
					return failf(exitFailure, "no spec for image %q", args[0])
				}
				entries = []spec.Entry{e}
			}
			switch output {
			case outJSON:
				return writeJSON(a.stdout, entries, len(args) == 1)
			case outYAML:
				specs := make([]spec.Spec, len(entries))
				for i, e := range entries {
					specs[i] = e.Spec
				}
				_, err := a.stdout.Write(spec.MarshalYAML(specs...))
				return err
			}
			if len(entries) == 0 {
				fmt.Fprintf(a.stderr, "no specs in %s\n", a.where())
				return nil
			}
			return writeTable(a.stdout, entries)
		}),
	}
	cmd.Flags().StringVarP(&output, "output", "o", outTable, "output `FORMAT`: table, json or yaml")
	cmd.AddCommand(a.newGetContainersCmd())
	return cmd
}

// writeTable prints the entries as aligned columns.
func writeTable(w io.Writer, entries []spec.Entry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "IMAGE\tMIN\tMAX\tSTATUS\tCPU\tMEMORY\tPORTS\tFILE")
	for _, e := range entries {
		s := e.Spec
		cpu := ""
		if n := s.NanoCPUs(); n > 0 {
			cpu = spec.FormatCPU(n)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", s.Image, s.MinReplicas, s.MaxReplicas,
			orDash(string(s.Resources.Status)), orDash(cpu), orDash(s.Resources.Memory),
			orDash(formatPorts(s.Ports)), e.Source)
	}
	return tw.Flush()
}

// formatPorts lists ports the way docker run -p takes them: "80/tcp" for a
// random host port, "8080:80/tcp" for a fixed one.
func formatPorts(ports map[string]int) string {
	type port struct {
		p    spec.Port
		host int
	}
	var list []port
	for k, host := range ports {
		p, err := spec.ParsePort(k)
		if err != nil {
			p = spec.Port{Proto: k} // unreachable for a valid spec; keep the key visible
		}
		list = append(list, port{p, host})
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].p.Number != list[j].p.Number {
			return list[i].p.Number < list[j].p.Number
		}
		return list[i].p.Proto < list[j].p.Proto
	})
	out := make([]string, len(list))
	for i, p := range list {
		out[i] = p.p.String()
		if p.host != 0 {
			out[i] = strconv.Itoa(p.host) + ":" + out[i]
		}
	}
	return strings.Join(out, ",")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// specJSON is one spec as get -o json prints it: the API's image object,
// plus where it is written and its revision.
type specJSON struct {
	spec.Spec
	Source   spec.Source `json:"source"`
	Revision string      `json:"revision"`
}

func writeJSON(w io.Writer, entries []spec.Entry, one bool) error {
	list := make([]specJSON, len(entries))
	for i, e := range entries {
		s := e.Spec
		if s.Env == nil {
			s.Env = map[string]string{}
		}
		if s.Ports == nil {
			s.Ports = map[string]int{}
		}
		list[i] = specJSON{Spec: s, Source: e.Source, Revision: e.Revision}
	}
	var v any = map[string][]specJSON{"images": list}
	if one {
		v = list[0]
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
