package spec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Dir is a state directory: its files are the only desired state.
// Load reads it; Put and Delete edit it in place.
type Dir struct {
	Root    string
	Options Options // fixed once the Dir is in use: parsed files are cached
	// Recorder, when set, records every write before it is made (a git
	// commit); set it before the Dir is in use.
	Recorder Recorder
	cache    *parseCache
}

// NewDir returns the state directory at root.
func NewDir(root string, opts Options) *Dir {
	return &Dir{Root: root, Options: opts, cache: &parseCache{opts: opts, files: map[string]*parsedFile{}}}
}

// Source is where a spec is written: file (slash-separated, relative to the
// root), line of its first field, and 0-based document index in the file.
type Source struct {
	File  string `json:"file"`
	Line  int    `json:"line"`
	Index int    `json:"index"`
}

// String is "file:line".
func (s Source) String() string { return fmt.Sprintf("%s:%d", s.File, s.Line) }

// Entry is one loaded spec.
type Entry struct {
	Spec     Spec
	Source   Source
	Revision string
}

// Snapshot is the state directory as read at one moment.
type Snapshot struct {
	// Specs are the valid specs, sorted by image. They leave out every spec
	// of a file with errors, and every image written more than once.
	Specs []Entry
	// Errors are all errors, sorted by file and line.
	Errors FieldErrors
	// BrokenFiles are the files with errors. Specs they held keep their last
	// good version: a broken file never prunes anything.
	BrokenFiles []string
	// Conflicts are images that cannot be in force as written: written in
	// more than one document, or named like another spec (names.go); with
	// every place.
	Conflicts map[string][]Source
	// Found is every image named in a document that parses as YAML, valid or
	// not, with its place; Put uses it to find the document to edit.
	Found map[string][]Source
}

// Get returns the valid spec for image.
func (s *Snapshot) Get(image string) (Entry, bool) {
	i := sort.Search(len(s.Specs), func(i int) bool { return s.Specs[i].Spec.Image >= image })
	if i < len(s.Specs) && s.Specs[i].Spec.Image == image {
		return s.Specs[i], true
	}
	return Entry{}, false
}

// Load reads every spec file under the root, recursively, following
// symlinks. It fails only when the root itself is missing or unreadable
// (ErrRootMissing); problems with files are in the snapshot.
func (d *Dir) Load() (*Snapshot, error) {
	// Every file is read below the root as resolved once, so that a root
	// symlink swapped mid-load (git-sync) gives the old tree or the new one,
	// never a mix.
	real, files, err := d.specFiles()
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{Conflicts: map[string][]Source{}, Found: map[string][]Source{}}
	var good []Entry
	seen := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(real, filepath.FromSlash(f)))
		if err != nil {
			snap.Errors = append(snap.Errors, &FieldError{File: f, Msg: "cannot read: " + unwrapPath(err).Error()})
			snap.BrokenFiles = append(snap.BrokenFiles, f)
			continue
		}
		seen[f] = true
		p := d.parse(f, data)
		for image, srcs := range p.images {
			snap.Found[image] = append(snap.Found[image], srcs...)
		}
		if len(p.errs) > 0 {
			snap.Errors = append(snap.Errors, copyErrs(p.errs)...)
			snap.BrokenFiles = append(snap.BrokenFiles, f)
			continue
		}
		for _, e := range p.entries {
			e.Spec = e.Spec.Clone()
			good = append(good, e)
		}
	}
	d.keepOnly(seen)
	for image, srcs := range snap.Found {
		if len(srcs) < 2 {
			continue
		}
		snap.Conflicts[image] = srcs
		for _, src := range srcs {
			snap.Errors = append(snap.Errors, &FieldError{File: src.File, Line: src.Line, Field: "image",
				Loc: []string{"image"}, Msg: fmt.Sprintf("%q is also defined at %s", image, others(srcs, src))})
		}
	}
	var unique []Entry
	for _, e := range good {
		if _, conflict := snap.Conflicts[e.Spec.Image]; !conflict {
			unique = append(unique, e)
		}
	}
	nameErrs, nameConflicts := d.nameConflicts(unique)
	snap.Errors = append(snap.Errors, nameErrs...)
	for image, srcs := range nameConflicts {
		snap.Conflicts[image] = srcs
	}
	for _, e := range unique {
		if _, conflict := snap.Conflicts[e.Spec.Image]; !conflict {
			snap.Specs = append(snap.Specs, e)
		}
	}
	sort.Slice(snap.Specs, func(i, j int) bool { return snap.Specs[i].Spec.Image < snap.Specs[j].Spec.Image })
	snap.Errors.Sort()
	return snap, nil
}

func others(all []Source, self Source) string {
	var out []string
	for _, s := range all {
		if s != self {
			out = append(out, s.String())
		}
	}
	return strings.Join(out, ", ")
}

// imagesIn names the image of every document that parses as YAML, even an
// invalid one, so that a conflict or an edit can find it.
func imagesIn(file string, data []byte) map[string][]Source {
	out := map[string][]Source{}
	for i, c := range splitDocuments(data) {
		doc, err := parseChunk(data, c)
		if err != nil || doc == nil {
			continue
		}
		root := resolve(doc.Content[0])
		if root.Kind != mappingNode {
			continue
		}
		for j := 0; j+1 < len(root.Content); j += 2 {
			k, v := root.Content[j], resolve(root.Content[j+1])
			if k.Value == "image" && v.Kind == scalarNode && v.ShortTag() == "!!str" {
				out[v.Value] = append(out[v.Value], Source{File: file, Line: firstFieldLine(doc), Index: i})
				break
			}
		}
	}
	return out
}

// specFiles resolves the root and lists the spec files under it,
// slash-separated and relative to it, sorted. It follows symlinked
// directories (git-sync and ConfigMap mounts are built of them), each target
// once, so a link cycle ends; and it reads a file reached by more than one
// path (a link to a file of the tree, a link to a directory of the tree)
// once, under its own name where that is one of them, so that it is not a
// conflict with itself.
func (d *Dir) specFiles() (string, []string, error) {
	real, err := filepath.EvalSymlinks(d.Root)
	if err != nil {
		return "", nil, kindErrorf(ErrRootMissing, "%s: %w", d.Root, unwrapPath(err))
	}
	byTarget := map[string]string{} // real path of a file -> the name it is read under
	err = WalkTree(real, func(e TreeEntry) {
		if e.Dir {
			return
		}
		prev, seen := byTarget[e.Target]
		own := filepath.Join(real, filepath.FromSlash(e.Rel)) == e.Target
		if !seen || own || prev > e.Rel && filepath.Join(real, filepath.FromSlash(prev)) != e.Target {
			byTarget[e.Target] = e.Rel
		}
	})
	if err != nil {
		return "", nil, kindErrorf(ErrRootMissing, "%s: %w", d.Root, unwrapPath(err))
	}
	files := make([]string, 0, len(byTarget))
	for _, rel := range byTarget {
		files = append(files, rel)
	}
	sort.Strings(files)
	return real, files, nil
}

func pathJoin(rel, name string) string {
	if rel == "" {
		return name
	}
	return rel + "/" + name
}

// errNotDir: a root that is a file.
var errNotDir = errors.New("not a directory")

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// IsSpecFile reports whether a file name is read as a spec file.
func IsSpecFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return (ext == ".yaml" || ext == ".yml" || ext == ".json") && !Ignored(name)
}

// Ignored reports whether a file or directory name is skipped: dotfiles and
// dot-directories (.git, and our own temp files), and editor leftovers.
func Ignored(name string) bool {
	return strings.HasPrefix(name, ".") ||
		strings.HasSuffix(name, "~") ||
		strings.HasSuffix(name, ".swp") || strings.HasSuffix(name, ".swx") ||
		strings.HasPrefix(name, "#") && strings.HasSuffix(name, "#") ||
		name == "4913"
}

// FieldLine is the line of the field at loc (e.g. "volumes", "0") in the
// document src names, read again from its file: for errors found after
// parsing, by the engine. It is src.Line when that cannot be told.
func (d *Dir) FieldLine(src Source, loc ...string) int {
	data, err := os.ReadFile(filepath.Join(d.Root, filepath.FromSlash(src.File)))
	if err != nil {
		return src.Line
	}
	chunks := splitDocuments(data)
	if src.Index < 0 || src.Index >= len(chunks) {
		return src.Line
	}
	node, ferr := parseChunk(data, chunks[src.Index])
	if ferr != nil || node == nil {
		return src.Line
	}
	_, lines, _ := decodeNode(node)
	return lines.lineOf(loc, src.Line)
}
