package spec

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Sentinel errors, classified with errors.Is by callers (the CLI's exit codes,
// the API's status codes).
var (
	// ErrInvalid wraps every validation failure (FieldErrors).
	ErrInvalid = errors.New("invalid spec")
	// ErrNotFound: no spec for that image.
	ErrNotFound = errors.New("spec not found")
	// ErrPrecondition: If-Match did not match the current revision.
	ErrPrecondition = errors.New("revision does not match")
	// ErrUnsafeName: the image cannot be turned into a file name inside the directory.
	ErrUnsafeName = errors.New("unsafe file name")
	// ErrBrokenFile: the file that holds the spec has errors and cannot be edited safely.
	ErrBrokenFile = errors.New("file has errors")
	// ErrRootMissing: the state directory root is missing or unreadable.
	ErrRootMissing = errors.New("state directory root missing or unreadable")
)

// kindError is an error of one of the kinds above: errors.Is matches the
// kind, and a cause, if any, is wrapped last.
type kindError struct {
	kind error
	err  error
}

func (e *kindError) Error() string        { return e.kind.Error() + ": " + e.err.Error() }
func (e *kindError) Is(target error) bool { return target == e.kind }
func (e *kindError) Unwrap() error        { return e.err }

// kindErrorf is fmt.Errorf (a cause with %w goes last) made an error of kind.
func kindErrorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, err: fmt.Errorf(format, args...)}
}

// FieldError is one problem with one field of one document.
// It prints as "file:line: field: message", leaving out what is unknown.
type FieldError struct {
	File  string // path as the user gave it, or relative to the state directory
	Line  int    // 1-based; 0 when unknown
	Field string // e.g. resources.memory, env["LOG_LEVEL"]; empty for the whole document
	// Loc is Field split into its parts, the way FastAPI reports "loc".
	Loc []string
	Msg string
	// Kind is pydantic's name for this kind of error, which clients of the
	// original's 422 switch on ("missing", "int_parsing", ...); set where
	// the error is made, empty for a plain "value_error".
	Kind string
}

// Type is the error's pydantic type: its Kind, or value_error.
func (e *FieldError) Type() string {
	if e.Kind == "" {
		return "value_error"
	}
	return e.Kind
}

// Error prints "file:line: field: message", leaving out what is unknown.
func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteString(":" + strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// FieldErrors is every problem found in one input, reported together.
type FieldErrors []*FieldError

// Error prints one error per line.
func (es FieldErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Is makes errors.Is(err, ErrInvalid) true for any FieldErrors.
func (es FieldErrors) Is(target error) bool { return target == ErrInvalid }

// Sort orders the errors by file, then line, then field.
func (es FieldErrors) Sort() {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Field < b.Field
	})
}

// path is a field path under construction: struct fields join with ".",
// map keys are quoted in brackets so that "80/tcp" or "a.b" stay readable.
type path struct {
	text string
	loc  []string
}

func (p path) field(name string) path {
	t := name
	if p.text != "" {
		t = p.text + "." + name
	}
	return path{text: t, loc: append(append([]string(nil), p.loc...), name)}
}

func (p path) key(k string) path {
	return path{text: p.text + "[" + strconv.Quote(k) + "]", loc: append(append([]string(nil), p.loc...), k)}
}

func (p path) index(i int) path {
	return path{text: p.text + "[" + strconv.Itoa(i) + "]", loc: append(append([]string(nil), p.loc...), strconv.Itoa(i))}
}

// errorf builds a FieldError at p; the line is filled in later from the node index.
func (p path) errorf(format string, args ...any) *FieldError {
	return &FieldError{Field: p.text, Loc: p.loc, Msg: fmt.Sprintf(format, args...)}
}

// kindErrorf is errorf of a kind of pydantic's (see FieldError.Kind).
func (p path) kindErrorf(kind, format string, args ...any) *FieldError {
	e := p.errorf(format, args...)
	e.Kind = kind
	return e
}
