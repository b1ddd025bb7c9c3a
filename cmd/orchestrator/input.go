package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/orchestrator/orchestrator/spec"
)

// stdinName names standard input ("-f -") in messages.
const stdinName = "<stdin>"

// inputFlags name the input files of a verb: -f (repeatable) and -R.
type inputFlags struct {
	files     []string
	recursive bool
}

// bind adds -f and -R to cmd; what says what the files are for.
func (f *inputFlags) bind(cmd *cobra.Command, what string) {
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.files, "filename", "f", nil,
		what+": `PATH` is a file, a directory (its spec files; with -R also those below), or \"-\" for standard input; repeatable")
	fl.BoolVarP(&f.recursive, "recursive", "R", false,
		"read directories given with -f recursively")
}

// given reports whether any -f was given.
func (f *inputFlags) given() bool { return len(f.files) > 0 }

// inputDoc is one valid spec document of an input.
type inputDoc struct {
	Spec spec.Spec
	File string // as the user gave it (joined with the directory for directory inputs); "<stdin>"
	Line int    // line of the document's first field
}

func (d inputDoc) where() string { return fmt.Sprintf("%s:%d", d.File, d.Line) }

// inputs is everything read from the -f flags.
type inputs struct {
	Docs   []inputDoc       // the valid documents, in the order given
	Files  int              // files read
	Errors spec.FieldErrors // every error of every file, and every image given more than once
}

// readInputs reads and validates every input. Problems with the files are
// in Errors, all of them; the error return is for a wrong command line.
func (a *app) readInputs(f inputFlags) (*inputs, error) {
	in := &inputs{}
	opts := a.options()
	seen := map[string]bool{} // a file named twice (say by a directory and by itself) is read once
	stdinRead := false
	for _, p := range f.files {
		if p == "-" {
			if stdinRead {
				return nil, usagef(`"-f -" (standard input) can be given only once`)
			}
			stdinRead = true
			data, err := io.ReadAll(a.stdin)
			if err != nil {
				return nil, failf(exitFailure, "read standard input: %w", err)
			}
			in.parse(stdinName, data, opts)
			continue
		}
		if p == "" {
			return nil, usagef("-f needs a file name")
		}
		st, err := os.Stat(p)
		if err != nil {
			in.Errors = append(in.Errors, readError(p, err))
			continue
		}
		files := []string{p}
		if st.IsDir() {
			var errs spec.FieldErrors
			files, errs = listSpecFiles(p, f.recursive)
			in.Errors = append(in.Errors, errs...)
			if len(files) == 0 && len(errs) == 0 {
				hint := ""
				if !f.recursive {
					hint = " (use -R to read its subdirectories)"
				}
				in.Errors = append(in.Errors, &spec.FieldError{File: p,
					Msg: "no spec files (*.yaml, *.yml, *.json) in this directory" + hint})
			}
		}
		for _, name := range files {
			if key := fileKey(name); key != "" {
				if seen[key] {
					continue
				}
				seen[key] = true
			}
			data, err := os.ReadFile(name)
			if err != nil {
				in.Errors = append(in.Errors, readError(name, err))
				continue
			}
			in.parse(name, data, opts)
		}
	}
	in.checkDuplicates()
	in.Errors.Sort()
	return in, nil
}

// readSpecs reads the inputs of a verb that changes or compares the state.
// Any error in them is printed, and the verb must do nothing: consequence
// says so ("nothing was applied").
func (a *app) readSpecs(f inputFlags, consequence string) ([]inputDoc, error) {
	in, err := a.readInputs(f)
	if err != nil {
		return nil, err
	}
	if len(in.Errors) > 0 {
		printErrors(a.stderr, in.Errors)
		msg := plural(len(in.Errors), "error") + " in the input"
		if consequence != "" {
			msg += ": " + consequence
		}
		return nil, fail(exitFailure, errors.New(msg))
	}
	if len(in.Docs) == 0 {
		return nil, failf(exitFailure, "no specs in the input")
	}
	return in.Docs, nil
}

func (in *inputs) parse(name string, data []byte, opts spec.Options) {
	in.Files++
	docs, errs := spec.Parse(name, data, opts)
	in.Errors = append(in.Errors, errs...)
	for _, d := range docs {
		in.Docs = append(in.Docs, inputDoc{Spec: d.Spec, File: name, Line: d.Line})
	}
}

// checkDuplicates reports an image given in more than one document, at
// every place, the way the state directory reports a conflict.
func (in *inputs) checkDuplicates() {
	byImage := map[string][]inputDoc{}
	for _, d := range in.Docs {
		byImage[d.Spec.Image] = append(byImage[d.Spec.Image], d)
	}
	for image, docs := range byImage {
		if len(docs) < 2 {
			continue
		}
		for i, d := range docs {
			var others []string
			for j, o := range docs {
				if j != i {
					others = append(others, o.where())
				}
			}
			in.Errors = append(in.Errors, &spec.FieldError{File: d.File, Line: d.Line, Field: "image", Loc: []string{"image"},
				Msg: fmt.Sprintf("%q is also defined at %s", image, strings.Join(others, ", "))})
		}
	}
}

// listSpecFiles lists the spec files of a directory input, named below the
// directory as the user wrote it: the top level only, or with recursive
// every level, skipping what the state directory skips (dotfiles, editor
// leftovers) and following symlinks, each directory once.
func listSpecFiles(root string, recursive bool) ([]string, spec.FieldErrors) {
	var files []string
	var errs spec.FieldErrors
	visited := map[string]bool{}
	var walk func(dir, shown string)
	walk = func(dir, shown string) {
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			if visited[real] {
				return
			}
			visited[real] = true
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			errs = append(errs, readError(shown, err))
			return
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
		for _, e := range entries {
			name := e.Name()
			if spec.Ignored(name) {
				continue
			}
			full, fullShown := filepath.Join(dir, name), joinDisplay(shown, name)
			st, err := os.Stat(full) // through symlinks
			if err != nil {
				continue // a dangling symlink holds no spec, as in the state directory
			}
			switch {
			case st.IsDir():
				if recursive {
					walk(full, fullShown)
				}
			case st.Mode().IsRegular() && spec.IsSpecFile(name):
				files = append(files, fullShown)
			}
		}
	}
	walk(root, root)
	return files, errs
}

// fileKey identifies a file whichever way it was named; "" if unknown.
func fileKey(name string) string {
	real, err := filepath.EvalSymlinks(name)
	if err != nil {
		return ""
	}
	abs, err := filepath.Abs(real)
	if err != nil {
		return ""
	}
	return abs
}

// readError is an unreadable input, as a FieldError naming the file.
func readError(name string, err error) *spec.FieldError {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &spec.FieldError{File: name, Msg: "cannot read: " + err.Error()}
}
