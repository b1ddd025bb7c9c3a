package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) newValidateCmd() *cobra.Command {
	var in inputFlags
	cmd := &cobra.Command{
		Use:   "validate -f PATH...",
		Short: "Check spec files and print every error",
		Long: `Validate reads spec files and checks every rule of the spec format: unknown
fields, the image reference, replica bounds, cpu and memory quantities, ports,
env names, a fixed host port with more than one replica, and the extensions
(autoscale, health). It needs no state directory and changes nothing.

Every error is printed to standard error on its own line, as
"file:line: field: message", where file is the path as given with -f (joined
with the directory for a directory input, "<stdin>" for -). All errors of all
files are printed, not only the first. An image that is defined in more than
one document of the inputs is an error too, reported at every place.

A directory given with -f contributes its *.yaml, *.yml and *.json files;
with -R also those of its subdirectories. Dotfiles, dot-directories and editor
leftovers (*~, *.swp, #*#) are skipped, as in the state directory. A
directory without any spec file is an error. A file with no documents (empty,
or only comments) holds no specs and is valid.

When everything is valid, validate prints one line to standard output,
"N specs valid in M files", and exits 0. Otherwise it exits 1.`,
		Example: `  # Check one file
  orchestrator validate -f web.yaml

  # Check every spec file of a directory tree
  orchestrator validate -R -f examples/

  # Check what another tool writes
  render-specs | orchestrator validate -f -`,
		Args: cobra.NoArgs,
		RunE: withCode(exitFailure, func(*cobra.Command, []string) error {
			res, err := a.readInputs(in)
			if err != nil {
				return err
			}
			if len(res.Errors) > 0 {
				printErrors(a.stderr, res.Errors)
				return reported(exitFailure)
			}
			fmt.Fprintf(a.stdout, "%s valid in %s\n", plural(len(res.Docs), "spec"), plural(res.Files, "file"))
			return nil
		}),
	}
	in.bind(cmd, "spec files to check")
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}
