package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	yaml "go.yaml.in/yaml/v3"

	"github.com/orchestrator/orchestrator/spec"
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
		RunE: withCode(exitFailure, func(cmd *cobra.Command, _ []string) error {
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
			check, release := a.imageCheck(cmd.Context(), st)
			defer release()
			for _, d := range docs {
				res, err := st.Put(d.Spec, "")
				if err != nil {
					// Only a change of the directory since the preview gets here.
					return fmt.Errorf("%s: %w", d.Spec.Image, err)
				}
				fmt.Fprintf(a.stdout, "%s %s\n", d.Spec.Image, res.Result)
				for _, w := range append(res.Warnings, check(cmd.Context(), d.Spec.Image)...) {
					fmt.Fprintf(a.stderr, "warning: %s: %s\n", d.Spec.Image, w)
				}
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
			if errors.Is(err, errServer) {
				return nil, err // about the server, not this spec: say it once
			}
			a.storeProblem(st, d, err)
			failed++
			continue
		}
		changes[i] = ch
	}
	if failed > 0 {
		msg := fmt.Sprintf("%s cannot be written to %s", plural(failed, "spec"), a.where())
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
	if errors.Is(err, spec.ErrInvalid) && errors.As(err, &errs) {
		// The server's own validation (its host's CPUs, say): each error
		// at its field in the input, where it can be found.
		for _, e := range errs {
			c := *e
			c.File, c.Line = d.File, fieldLine(d, e.Loc)
			fmt.Fprintln(a.stderr, c.Error())
		}
		return
	}
	if _, remote := st.(*client); errors.Is(err, spec.ErrConflict) && !remote {
		if snap, lerr := st.Load(); lerr == nil && len(snap.Found[d.Spec.Image]) > 1 {
			fmt.Fprintf(a.stderr, "%s: %s: defined more than once in the state directory, at %s: fix that first\n",
				d.where(), d.Spec.Image, a.places(snap.Found[d.Spec.Image]))
			return
		}
	}
	fmt.Fprintf(a.stderr, "%s: %s: %v\n", d.where(), d.Spec.Image, err)
}

// fieldLine is the line of the field at loc in the document d of the input,
// or the document's line when it cannot be found there (standard input,
// say, which is read once).
func fieldLine(d inputDoc, loc []string) int {
	if d.File == stdinName || len(loc) == 0 {
		return d.Line
	}
	data, err := os.ReadFile(d.File)
	if err != nil {
		return d.Line
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if dec.Decode(&doc) != nil {
			return d.Line
		}
		if len(doc.Content) == 0 {
			continue
		}
		n := doc.Content[0]
		if n.Kind != yaml.MappingNode || len(n.Content) == 0 || n.Content[0].Line != d.Line {
			continue
		}
		line := d.Line
	walk:
		for _, key := range loc {
			if n.Kind == yaml.AliasNode && n.Alias != nil {
				n = n.Alias
			}
			for i := 0; i+1 < len(n.Content) && n.Kind == yaml.MappingNode; i += 2 {
				if n.Content[i].Value == key {
					line, n = n.Content[i].Line, n.Content[i+1]
					continue walk
				}
			}
			break
		}
		return line
	}
}

// places lists sources in the state directory as "dir/file:line, ...".
func (a *app) places(srcs []spec.Source) string {
	at := make([]string, len(srcs))
	for i, s := range srcs {
		at[i] = a.inDir(s.String())
	}
	return strings.Join(at, ", ")
}
