package spec

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Result says what a Put did, in kubectl's words.
type Result string

// The results of Put.
const (
	Created    Result = "created"
	Configured Result = "configured"
	Unchanged  Result = "unchanged"
)

// PutResult reports a Put.
type PutResult struct {
	Result   Result
	Revision string
	Source   Source
	// Warnings are what the store noticed that does not stop the write:
	// a server says when the image is not on its engine.
	Warnings []string
}

// ErrConflict: the image is written in more than one document.
var ErrConflict = errors.New("image defined more than once")

// Put writes s into the directory. An image that a document already holds is
// edited in place: only the changed fields, keeping comments, key order and
// the other documents of the file. A new image gets a new file named from the
// image. With ifMatch set ("*" for any), the current revision must match it.
// The write is atomic (temp file, fsync, rename), and an unchanged spec
// writes nothing.
func (d *Dir) Put(s Spec, ifMatch string) (PutResult, error) {
	return d.PutContext(context.Background(), s, ifMatch)
}

// PutContext is Put with a context for the Dir's Recorder, which records
// the change (with the context's Note) before it is written.
func (d *Dir) PutContext(ctx context.Context, s Spec, ifMatch string) (PutResult, error) {
	unlock, err := d.lock()
	if err != nil {
		return PutResult{}, err
	}
	defer unlock()
	ch, err := d.plan(s, ifMatch)
	if err != nil || ch.Result == Unchanged {
		return ch.PutResult, err
	}
	if err := d.record(ctx, Write{File: ch.Source.File, Data: ch.After, Image: s.Image, Result: ch.Result}); err != nil {
		return PutResult{}, err
	}
	return ch.PutResult, writeFailed(ch.Source.File, replaceFile(ch.path, ch.After, 0))
}

// Change is what a Put would do to one file.
type Change struct {
	PutResult
	Before []byte // the file now; nil when it would be created
	After  []byte // the file after the Put
	path   string
}

// Preview computes what Put would write, and writes nothing.
func (d *Dir) Preview(s Spec) (Change, error) {
	unlock, err := d.lock()
	if err != nil {
		return Change{}, err
	}
	defer unlock()
	return d.plan(s, "")
}

func (d *Dir) plan(s Spec, ifMatch string) (Change, error) {
	s.normalize()
	if errs := Validate(s, d.Options); len(errs) > 0 {
		return Change{}, errs
	}
	text, err := d.writable(s)
	if err != nil {
		return Change{}, err
	}
	name, err := FileName(s.Image)
	if err != nil {
		return Change{}, err
	}
	snap, err := d.Load()
	if err != nil {
		return Change{}, err
	}
	if err := checkName(s, snap); err != nil {
		return Change{}, err
	}
	srcs := snap.Found[s.Image]
	switch {
	case len(srcs) > 1:
		return Change{}, kindErrorf(ErrConflict, "%q at %s", s.Image, others(srcs, Source{}))
	case len(srcs) == 0:
		if ifMatch != "" {
			return Change{}, kindErrorf(ErrPrecondition, "%q has no spec yet", s.Image)
		}
		return d.planCreate(s, name, text)
	}
	return d.planUpdate(s, srcs[0], ifMatch)
}

// writable renders s as a new file and checks that it reads back as s. A
// value that YAML cannot hold (invalid UTF-8, say) is refused as invalid,
// instead of panicking in the encoder or writing a file that reads back as
// another spec.
func (d *Dir) writable(s Spec) (text []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			text, err = nil, FieldErrors{{Msg: fmt.Sprintf("cannot be written as YAML: %v", r)}}
		}
	}()
	text = renderYAML(s)
	docs, errs := Parse("", text, d.Options)
	if len(errs) == 0 && len(docs) == 1 && docs[0].Spec.Revision() == s.Revision() {
		return text, nil
	}
	return nil, FieldErrors{{Msg: "a value cannot be written as YAML that reads back the same (control characters or invalid UTF-8?)"}}
}

func (d *Dir) planCreate(s Spec, name string, text []byte) (Change, error) {
	root, err := filepath.EvalSymlinks(d.Root)
	if err != nil {
		return Change{}, kindErrorf(ErrRootMissing, "%s: %w", d.Root, unwrapPath(err))
	}
	rel := name
	for i := 2; ; i++ {
		// name is one plain file name (FileName allows no separators and
		// no ".."), so full is in the root. Whatever is there already, a
		// file or a link of any kind, takes the name: the rename that
		// creates the file never follows a link.
		full := filepath.Join(root, rel)
		if _, err := os.Lstat(full); errors.Is(err, os.ErrNotExist) {
			return Change{
				PutResult: PutResult{Result: Created, Revision: s.Revision(), Source: Source{File: rel, Line: 1}},
				After:     text,
				path:      full,
			}, nil
		}
		rel = fmt.Sprintf("%s-%d.yaml", strings.TrimSuffix(name, ".yaml"), i)
	}
}

func (d *Dir) planUpdate(s Spec, src Source, ifMatch string) (Change, error) {
	full, err := d.inside(src.File)
	if err != nil {
		return Change{}, err
	}
	data, c, cur, err := d.readDocument(full, src)
	if err != nil {
		return Change{}, err
	}
	if ifMatch != "" && ifMatch != "*" && ifMatch != cur.Revision() {
		return Change{}, kindErrorf(ErrPrecondition, "%q is at revision %s", s.Image, cur.Revision())
	}
	ch := Change{PutResult: PutResult{Result: Unchanged, Revision: s.Revision(), Source: src}, Before: data, After: data, path: full}
	if cur.Revision() == s.Revision() {
		return ch, nil
	}
	out, err := editFile(data, c, cur, s, strings.EqualFold(filepath.Ext(full), ".json"))
	if err != nil {
		return Change{}, fmt.Errorf("edit %s: %w", src.File, err)
	}
	ch.Result, ch.After = Configured, out
	return ch, nil
}

// readDocument reads the document at src and checks that it is valid: an
// invalid document cannot be edited field by field.
func (d *Dir) readDocument(full string, src Source) ([]byte, chunk, Spec, error) {
	data, err := os.ReadFile(full)
	if err != nil {
		return nil, chunk{}, Spec{}, fmt.Errorf("read %s: %w", src.File, err)
	}
	chunks := splitDocuments(data)
	if src.Index >= len(chunks) {
		return nil, chunk{}, Spec{}, kindErrorf(ErrBrokenFile, "%s changed while reading", src.File)
	}
	c := chunks[src.Index]
	doc, ferr := parseChunk(data, c)
	if ferr != nil || doc == nil {
		return nil, chunk{}, Spec{}, kindErrorf(ErrBrokenFile, "%s changed while reading", src.File)
	}
	cur, lines, errs := decodeNode(doc)
	errs = append(errs, semanticErrors(cur, errs, d.Options)...)
	for _, e := range errs {
		e.File = src.File
		if e.Line == 0 {
			e.Line = lines.lineOf(e.Loc, src.Line)
		}
	}
	if len(errs) > 0 {
		errs.Sort()
		return nil, chunk{}, Spec{}, kindErrorf(ErrBrokenFile, "fix it first:\n%w", errs)
	}
	return data, c, cur, nil
}

// Delete removes the document that holds image, and only it: the file goes
// when that was its last document. It returns where the document was.
func (d *Dir) Delete(image, ifMatch string) (Source, error) {
	return d.DeleteContext(context.Background(), image, ifMatch)
}

// DeleteContext is Delete with a context for the Dir's Recorder.
func (d *Dir) DeleteContext(ctx context.Context, image, ifMatch string) (Source, error) {
	unlock, err := d.lock()
	if err != nil {
		return Source{}, err
	}
	defer unlock()
	snap, err := d.Load()
	if err != nil {
		return Source{}, err
	}
	srcs := snap.Found[image]
	switch {
	case len(srcs) == 0:
		return Source{}, kindErrorf(ErrNotFound, "%q", image)
	case len(srcs) > 1:
		return Source{}, kindErrorf(ErrConflict, "%q at %s", image, others(srcs, Source{}))
	}
	src := srcs[0]
	full, err := d.inside(src.File)
	if err != nil {
		return Source{}, err
	}
	data, err := os.ReadFile(full)
	if err != nil {
		return Source{}, fmt.Errorf("read %s: %w", src.File, err)
	}
	if ifMatch != "" && ifMatch != "*" {
		_, _, cur, err := d.readDocument(full, src)
		if err != nil {
			return Source{}, err
		}
		if cur.Revision() != ifMatch {
			return Source{}, kindErrorf(ErrPrecondition, "%q is at revision %s", image, cur.Revision())
		}
	}
	out := removeDocument(data, src.Index)
	gone := !hasDocuments(out)
	w := Write{File: src.File, Data: out, Image: image, Delete: true}
	if gone {
		w.Data = nil
	}
	if err := d.record(ctx, w); err != nil {
		return Source{}, err
	}
	if gone {
		// The name the user sees goes: a symlinked file loses its link, not
		// the target that something else may also name.
		named := filepath.Join(filepath.Dir(full), filepath.Base(src.File))
		if real, err := filepath.EvalSymlinks(d.Root); err == nil {
			named = filepath.Join(real, filepath.FromSlash(src.File))
		}
		if err := os.Remove(named); err != nil {
			return src, fmt.Errorf("delete %s: %w", src.File, err)
		}
		return src, nil
	}
	return src, writeFailed(src.File, replaceFile(full, out, 0))
}

// hasDocuments reports whether data still holds a document: anything but
// blank lines, comments and separators, including text that does not parse.
func hasDocuments(data []byte) bool {
	for _, c := range splitDocuments(data) {
		if doc, err := parseChunk(data, c); doc != nil || err != nil {
			return true
		}
	}
	return false
}

// removeDocument cuts document i and one separator next to it out of data.
func removeDocument(data []byte, i int) []byte {
	chunks := splitDocuments(data)
	c := chunks[i]
	start, end := c.sepStart, c.end
	if i == 0 && len(chunks) > 1 {
		end = chunks[1].start // the document and the "---" after it
	}
	return append(append([]byte(nil), data[:start]...), data[end:]...)
}

// FileName is the file a new image is written to: lowercase, with "/", ":"
// and "@" turned into "_", and ".yaml" on the end. Names that could escape
// the directory are refused.
func FileName(image string) (string, error) {
	if image == "" || strings.ContainsAny(image, "\x00\\") || strings.Contains(image, "..") ||
		strings.HasPrefix(image, "/") || filepath.IsAbs(image) {
		return "", kindErrorf(ErrUnsafeName, "image %q cannot name a file in the state directory", image)
	}
	name := strings.NewReplacer("/", "_", ":", "_", "@", "_").Replace(strings.ToLower(image))
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return "", kindErrorf(ErrUnsafeName, "image %q has %q, which cannot be in a file name", image, r)
		}
	}
	if strings.HasPrefix(name, ".") {
		return "", kindErrorf(ErrUnsafeName, "image %q would make a hidden file", image)
	}
	if len(name) > 200 { // most file systems stop at 255 bytes
		sum := sha256.Sum256([]byte(image))
		name = name[:180] + "-" + hex.EncodeToString(sum[:4])
	}
	return name + ".yaml", nil
}

// inside resolves the existing file rel below the root, through any
// symlink (a write goes to the link's target), and refuses it when it is
// not inside the resolved root.
func (d *Dir) inside(rel string) (string, error) {
	root, err := filepath.EvalSymlinks(d.Root)
	if err != nil {
		return "", kindErrorf(ErrRootMissing, "%s: %w", d.Root, unwrapPath(err))
	}
	full, err := filepath.EvalSymlinks(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		return "", fmt.Errorf("%s: %w", rel, err) // gone since the Load, or a link loop
	}
	if r, err := filepath.Rel(root, full); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", kindErrorf(ErrUnsafeName, "%s is outside %s", rel, d.Root)
	}
	return full, nil
}

// lock serialises writers of this directory, also across processes (the
// CLI's apply --dir beside a running server), with flock on the directory.
func (d *Dir) lock() (func(), error) {
	f, err := os.Open(d.Root)
	if err != nil {
		return nil, kindErrorf(ErrRootMissing, "%s: %w", d.Root, unwrapPath(err))
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", d.Root, err)
	}
	return func() { f.Close() }, nil // closing the descriptor releases the lock
}

// WriteAtomic replaces path with data: a temp file in the same directory
// (a dotfile, so the loader never reads it half-written), fsync, rename,
// fsync of the directory. perm 0 keeps the mode of the file it replaces.
// On failure the file is as it was and no temp file is left: the error
// names path and the cause, which errors.Is finds (syscall.ENOSPC when
// the file system is full).
func WriteAtomic(path string, data []byte, perm os.FileMode) error {
	return writeFailed(path, replaceFile(path, data, perm))
}

// writeFailed is the error of a failed replaceFile of file, named as the
// caller knows it (a Dir's writes name it relative to the root); nil stays
// nil.
func writeFailed(file string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("write %s: %w (the file is unchanged)", file, err)
}

// replaceFile is WriteAtomic, with the cause alone as its error.
func replaceFile(path string, data []byte, perm os.FileMode) error {
	if perm == 0 {
		perm = 0o644
		if st, err := os.Stat(path); err == nil {
			perm = st.Mode().Perm()
		}
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, tempPrefix+"*.tmp")
	if err != nil {
		return tempCause(err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename; the temp of a failed write goes
	if _, err = tmp.Write(data); err == nil {
		if err = tmp.Chmod(perm); err == nil {
			err = tmp.Sync()
		}
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return tempCause(err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if df, err := os.Open(dir); err == nil {
		_ = df.Sync() // best effort: the rename is already visible
		df.Close()
	}
	return nil
}

// tempPrefix starts the name of replaceFile's temp files.
const tempPrefix = ".orchestrator-"

// tempCause is the cause of a failure on the temp file, without the temp
// file's name, which is gone and means nothing to the reader: "no space
// left on device" rather than "write /state/.orchestrator-123.tmp: no
// space left on device".
func tempCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && strings.HasPrefix(filepath.Base(pe.Path), tempPrefix) {
		return pe.Err
	}
	return err
}
