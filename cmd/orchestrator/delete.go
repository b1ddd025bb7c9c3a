package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/orchestrator/orchestrator/spec"
)

func (a *app) newDeleteCmd() *cobra.Command {
	var in inputFlags
	var ignoreNotFound, dryRun bool
	cmd := &cobra.Command{
		Use:   "delete (IMAGE... | -f PATH...) --dir DIR",
		Short: "Remove specs from the state directory",
		Long: `Delete removes the spec of each image from the state directory, and prints
"IMAGE deleted" for each. The images are named on the command line, or by
the spec files given with -f (which must be valid, as for apply).

Only the document that holds the image is removed: the rest of its file
stays as it was, and the file goes when that was its last document. Once the
spec is gone, the reconciler removes the image's containers.

Delete checks every image first. An image with no spec in the state
directory is an error (exit 1), unless --ignore-not-found is given; an image
defined twice there is an error too. Either way nothing is deleted when any
image fails the check.`,
		Example: `  # Delete one image's spec
  orchestrator delete nginx:alpine --dir state/

  # Delete the specs that a file defines, if they are there
  orchestrator delete -f web.yaml --dir state/ --ignore-not-found`,
		RunE: withCode(exitFailure, func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 == in.given() {
				return usagef("name the images either as arguments or with -f (not both)")
			}
			st, err := a.openStore()
			if err != nil {
				return err
			}
			images := dedupe(args)
			if in.given() {
				docs, err := a.readSpecs(in, "nothing was deleted")
				if err != nil {
					return err
				}
				for _, d := range docs {
					images = append(images, d.Spec.Image)
				}
			}
			images, err = a.checkDeletable(st, images, ignoreNotFound)
			if err != nil {
				return err
			}
			for _, image := range images {
				if dryRun {
					fmt.Fprintf(a.stdout, "%s deleted (dry run)\n", image)
					continue
				}
				if _, err := st.Delete(image, ""); err != nil {
					if ignoreNotFound && errors.Is(err, spec.ErrNotFound) {
						continue // deleted by someone else since the check
					}
					return fmt.Errorf("%s: %w", image, err)
				}
				fmt.Fprintf(a.stdout, "%s deleted\n", image)
			}
			return nil
		}),
	}
	in.bind(cmd, "spec files whose images to delete")
	cmd.Flags().BoolVar(&ignoreNotFound, "ignore-not-found", false, "treat an image with no spec as deleted, not as an error")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, `print what delete would do ("IMAGE deleted (dry run)"), and delete nothing`)
	return cmd
}

// imageFinder is a store that says where one image is written more cheaply
// than a whole Load: the server, with one request per image.
type imageFinder interface {
	Find(image string) ([]spec.Source, error)
}

// checkDeletable checks every image before anything is deleted, against
// one snapshot (or, with a server, one request per image), and returns the
// images to delete. Every problem is printed.
func (a *app) checkDeletable(st store, images []string, ignoreNotFound bool) ([]string, error) {
	found, err := a.find(st, images)
	if err != nil {
		return nil, err
	}
	var keep []string
	failed := 0
	for _, image := range images {
		srcs, ok := found[image]
		switch {
		case !ok:
			failed++ // printed by find
		case len(srcs) == 0 && ignoreNotFound:
			continue
		case len(srcs) == 0:
			fmt.Fprintf(a.stderr, "no spec for image %q in %s\n", image, a.where())
			failed++
		case len(srcs) > 1:
			fmt.Fprintf(a.stderr, "image %q is defined more than once, at %s: fix that first\n", image, a.places(srcs))
			failed++
		default:
			keep = append(keep, image)
		}
	}
	if failed > 0 {
		return nil, fmt.Errorf("%s cannot be deleted: nothing was deleted", plural(failed, "image"))
	}
	return keep, nil
}

// find says where each image is written. An image whose place cannot be
// told (the server finds its document broken) is left out, its problem
// printed.
func (a *app) find(st store, images []string) (map[string][]spec.Source, error) {
	found := map[string][]spec.Source{}
	f, ok := st.(imageFinder)
	if !ok {
		snap, err := st.Load()
		if err != nil {
			return nil, err
		}
		for _, image := range images {
			found[image] = snap.Found[image]
		}
		return found, nil
	}
	for _, image := range images {
		srcs, err := f.Find(image)
		switch {
		case errors.Is(err, spec.ErrBrokenFile), errors.Is(err, spec.ErrConflict):
			fmt.Fprintf(a.stderr, "image %q: %v: fix that first\n", image, err)
		case err != nil:
			return nil, err
		default:
			found[image] = srcs
		}
	}
	return found, nil
}

// dedupe drops repeated names, keeping the first.
func dedupe(names []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}
