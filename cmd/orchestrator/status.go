package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/orchestrator/orchestrator/api/wire"
)

func (a *app) newStatusCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "status [IMAGE] [--server URL] [-o table|json]",
		Short: "Show how far each spec is from its containers (needs a running server)",
		Long: `Status prints the reconciler's status of every spec, or of one image, as a
running server (orchestrator serve) knows it after its last pass: GET /status
of the REST API. It needs the server, not --dir: only the reconciler knows.

Formats (-o):
  table  one line per spec: IMAGE HEALTH SYNCED DESIRED READY RUNNING CPU
         SOURCE MESSAGE/ERROR. HEALTH is Healthy, Progressing, Degraded,
         Missing or Stopped; SYNCED says whether the containers match the
         spec; DESIRED is the replica count the reconciler aims at (the
         autoscaler's recommendation for an autoscaled spec), READY and
         RUNNING what it found; CPU is an autoscaled spec's utilisation over
         its target, in percent of the CPU limit ("182%/70%"; "?" before
         the first metrics, "-" when not autoscaled); SOURCE is file:line in
         the server's state directory; MESSAGE/ERROR is the last error, else
         why the spec is not converged yet and the autoscaler's reason
         ("autoscale: cpu 260% of target → 4"), else "-".
  json   {"specs": [...]}, as the API gives it; with IMAGE, that spec's object.

A spec shows up once the reconciler has made a pass over it. Status exits 1
when IMAGE has no status (no spec, or no pass yet), or when the server cannot
be reached.`,
		Example: `  # Every spec, from the server on 127.0.0.1:8000
  orchestrator status

  # One image, as JSON, from another server
  orchestrator status orchestrator-demo:web -o json --server http://10.0.0.5:8000 --token "$TOKEN"`,
		Args: cobra.MaximumNArgs(1),
		RunE: withCode(exitFailure, func(_ *cobra.Command, args []string) error {
			if output != outTable && output != outJSON {
				return usagef("unknown output format %q (use table or json)", output)
			}
			c, err := a.openClient()
			if err != nil {
				return err
			}
			var body wire.StatusList
			if err := c.call(http.MethodGet, "/status", nil, "", &body); err != nil {
				return err
			}
			specs := body.Specs
			if specs == nil {
				specs = []wire.Status{}
			}
			if len(args) == 1 {
				var one []wire.Status
				for _, st := range specs {
					if st.Image == args[0] {
						one = append(one, st)
					}
				}
				if len(one) == 0 {
					return failf(exitFailure, "no status for image %q on %s (no spec for it, or no reconcile pass over it yet)", args[0], a.server)
				}
				specs = one
			}
			if output == outJSON {
				var v any = struct {
					Specs []wire.Status   `json:"specs"`
					Git   *wire.GitStatus `json:"git,omitempty"`
				}{specs, body.Git}
				if len(args) == 1 {
					v = specs[0]
				}
				return writeIndented(a.stdout, v)
			}
			if body.Git != nil && len(args) == 0 {
				writeGitStatus(a.stdout, *body.Git) // the revision the specs are at
			}
			if len(specs) == 0 {
				fmt.Fprintf(a.stderr, "no specs on %s\n", a.server)
				return nil
			}
			return writeStatusTable(a.stdout, specs)
		}),
	}
	cmd.Flags().StringVarP(&output, "output", "o", outTable, "output `FORMAT`: table or json")
	return cmd
}

// writeStatusTable prints the statuses as aligned columns.
func writeStatusTable(w io.Writer, specs []wire.Status) error {
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "IMAGE\tHEALTH\tSYNCED\tDESIRED\tREADY\tRUNNING\tCPU\tSOURCE\tMESSAGE/ERROR")
	for _, st := range specs {
		synced := "no"
		if st.Synced {
			synced = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\n", st.Image, orDash(st.Health), synced,
			st.Desired, st.Ready, st.Running, cpuColumn(st.Autoscale), orDash(st.Source), orDash(oneLine(statusNote(st))))
	}
	return tw.Flush()
}

// statusNote is what the MESSAGE/ERROR column says: the last error, else
// why the spec is not converged yet and the autoscaler's reason.
func statusNote(st wire.Status) string {
	if st.LastError != "" {
		return "error: " + st.LastError
	}
	if as := st.Autoscale; as != nil {
		if st.Message == "" {
			return "autoscale: " + as.Reason
		}
		return st.Message + "; autoscale: " + as.Reason
	}
	return st.Message
}

// cpuColumn is an autoscaled spec's utilisation over its target, as
// kubectl get hpa has it: "182%/70%", "?/70%" without metrics, "-" when
// the spec is not autoscaled.
func cpuColumn(as *wire.Autoscale) string {
	if as == nil {
		return "-"
	}
	util := "?"
	if as.UtilizationPercent != nil {
		util = fmt.Sprintf("%.0f%%", *as.UtilizationPercent)
	}
	return fmt.Sprintf("%s/%d%%", util, as.TargetCPUPercent)
}

// oneLine keeps a table row on one line: line breaks become "; ", and tabs
// (which would shift the columns) spaces.
func oneLine(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(strings.ReplaceAll(l, "\t", " ")); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}

// writeIndented prints v as indented JSON, as get -o json does.
func writeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
