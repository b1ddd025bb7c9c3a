package main

import (
	"errors"
	"io"

	"github.com/spf13/cobra"
)

// errDifferences ends diff with exit code 1: there are differences.
var errDifferences = reported(exitFailure)

func (a *app) newDiffCmd() *cobra.Command {
	var in inputFlags
	cmd := &cobra.Command{
		Use:   "diff -f PATH... --dir DIR",
		Short: "Show what apply would change in the state directory",
		Long: `Diff prints, for each spec of the input, a unified diff of its file in the
state directory as it is against the file as apply would leave it. A spec
for a new image is diffed against /dev/null. Files are named relative to the
state directory ("--- a/web.yaml", "+++ b/web.yaml"), with three lines of
context. Nothing is written.

When two input specs live in the same file, each diff shows that spec's
change alone against the file as it is now.

Exit codes, as for kubectl diff and diff(1): 0 when apply would change
nothing, 1 when there are differences, 2 on any error (an invalid input, a
problem in the state directory, a wrong command line).`,
		Example: `  # What would applying the examples change?
  orchestrator diff -f examples/ --dir state/

  # Apply only when there is something to apply
  orchestrator diff -f web.yaml --dir state/ >/dev/null || orchestrator apply -f web.yaml --dir state/`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			err := a.diff(in)
			if err == nil || err == errDifferences {
				return err
			}
			var ee *exitError
			if errors.As(err, &ee) {
				return &exitError{code: exitUsage, err: ee.err, usage: ee.usage}
			}
			return fail(exitUsage, err)
		},
	}
	in.bind(cmd, "spec files to compare")
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

// diff prints the diffs; errDifferences when there are any.
func (a *app) diff(in inputFlags) error {
	st, err := a.openStore()
	if err != nil {
		return err
	}
	docs, err := a.readSpecs(in, "")
	if err != nil {
		return err
	}
	changes, err := a.preview(st, docs, "")
	if err != nil {
		return err
	}
	differ := false
	for _, ch := range changes {
		from := "a/" + ch.Source.File
		if ch.Before == nil {
			from = "/dev/null"
		}
		d := unifiedDiff(from, "b/"+ch.Source.File, ch.Before, ch.After, 3)
		if d == "" {
			continue
		}
		differ = true
		if _, err := io.WriteString(a.stdout, d); err != nil {
			return err
		}
	}
	if differ {
		return errDifferences
	}
	return nil
}
