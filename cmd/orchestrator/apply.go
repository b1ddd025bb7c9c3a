package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/orchestrator/orchestrator/spec"
	"github.com/spf13/cobra"
)

func (a *app) newApplyCmd() *cobra.Command {
	var in inputFlags
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "apply -f PATH... --dir DIR",
		Short: "Write spec files into the state directory",
		Long: `Apply makes the state directory hold the given specs, one per image, and
prints one line per spec: "IMAGE created", "IMAGE configured" or
"IMAGE unchanged".

Apply is all or nothing. It first reads and validates every input (as
validate does, including an image given twice), then works out the change
for every spec against the state directory. If anything is wrong, with the
input or with the state directory (a target document that has errors, an
image defined twice there), it prints every problem, writes nothing and
exits 1.

A spec whose image is already in the state directory is edited in place:
only the fields that differ change, and comments, key order and the other
documents of that file stay as they are. A new image gets a new file named
from the image ("ghcr.io/org/app:1.2" -> ghcr.io_org_app_1.2.yaml). Every
write is atomic. Applying the same input again prints "unchanged" and
leaves every file byte for byte as it was.

Apply does not remove specs that the input leaves out; use delete for that.
The state directory must exist.`,
		Example: `  # Apply every spec file of a directory
  orchestrator apply -f examples/ --dir state/

  # Apply from standard input, with the directory from the environment
  export ORCHESTRATOR_DIR=state/
  orchestrator get web:1.0 -o yaml | orchestrator apply -f -

  # Show what would happen, and write nothing
  orchestrator apply -f web.yaml --dir state/ --dry-run`,
		Args: cobra.NoArgs,
		RunE: withCode(exitFailure, func(*cobra.Command, []string) error {
			st, err := a.openStore()
			if err != nil {
				return err
			}
			docs, err := a.readSpecs(in, "nothing was applied")
			if err != nil {
				return err
			}
			changes, err := a.preview(st, docs, "nothing was applied")
			if err != nil {
				return err
			}
			if dryRun {
				for i, d := range docs {
					fmt.Fprintf(a.stdout, "%s %s (dry run)\n", d.Spec.Image, changes[i].Result)
				}
				return nil
			}
			for _, d := range docs {
				res, err := st.Put(d.Spec, "")
				if err != nil {
					// Only a change of the directory since the preview gets here.
					return fmt.Errorf("%s: %w", d.Spec.Image, err)
				}
				fmt.Fprintf(a.stdout, "%s %s\n", d.Spec.Image, res.Result)
			}
			return nil
		}),
	}
	in.bind(cmd, "spec files to apply")
	_ = cmd.MarkFlagRequired("filename")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, `print what apply would do ("IMAGE created (dry run)"), and write nothing`)
	return cmd
}

// preview works out the change of every spec against the store, writing
// nothing. Every problem is printed; the error counts them, and says the
// consequence ("nothing was applied").
func (a *app) preview(st store, docs []inputDoc, consequence string) ([]spec.Change, error) {
	changes := make([]spec.Change, len(docs))
	failed := 0
	for i, d := range docs {
		ch, err := st.Preview(d.Spec)
		if err != nil {
			if errors.Is(err, spec.ErrRootMissing) {
				return nil, fmt.Errorf("%w (create the directory first)", err)
			}
			a.storeProblem(st, d, err)
			failed++
			continue
		}
		changes[i] = ch
	}
	if failed > 0 {
		msg := fmt.Sprintf("%s cannot be written to %s", plural(failed, "spec"), a.dir)
		if consequence != "" {
			msg += ": " + consequence
		}
		return nil, errors.New(msg)
	}
	return changes, nil
}

// storeProblem prints why spec d cannot be written. Paths in the state
// directory are joined to --dir, so that they can be opened from here.
func (a *app) storeProblem(st store, d inputDoc, err error) {
	var errs spec.FieldErrors
	if errors.Is(err, spec.ErrBrokenFile) && errors.As(err, &errs) {
		fmt.Fprintf(a.stderr, "%s: %s: its document in the state directory has errors, fix them first:\n", d.where(), d.Spec.Image)
		for _, e := range errs {
			c := *e
			c.File = a.inDir(e.File)
			fmt.Fprintln(a.stderr, c.Error())
		}
		return
	}
	if errors.Is(err, spec.ErrConflict) {
		if snap, lerr := st.Load(); lerr == nil && len(snap.Found[d.Spec.Image]) > 1 {
			fmt.Fprintf(a.stderr, "%s: %s: defined more than once in the state directory, at %s: fix that first\n",
				d.where(), d.Spec.Image, a.places(snap.Found[d.Spec.Image]))
			return
		}
	}
	fmt.Fprintf(a.stderr, "%s: %s: %v\n", d.where(), d.Spec.Image, err)
}

// places lists sources in the state directory as "dir/file:line, ...".
func (a *app) places(srcs []spec.Source) string {
	at := make([]string, len(srcs))
	for i, s := range srcs {
		at[i] = a.inDir(s.String())
	}
	return strings.Join(at, ", ")
}
