package spec

import (
	"bytes"
)

// Document is one valid spec document of a file.
type Document struct {
	Spec  Spec
	Index int // 0-based position among the file's documents ("---" separated)
	Line  int // line of the document's first field
}

// Parse reads every document of a YAML or JSON file; name is used in errors.
// It returns the valid documents and every error of the file, together.
// Empty documents (blank, or only comments) hold no spec and are no error.
func Parse(name string, data []byte, opts Options) ([]Document, FieldErrors) {
	var docs []Document
	var errs FieldErrors
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, FieldErrors{{File: name, Line: 1, Msg: "not a text file (it contains NUL bytes)"}}
	}
	for i, c := range splitDocuments(data) {
		if c.sepStart != c.start {
			sep := bytes.TrimSpace(data[c.sepStart+3 : c.start])
			if len(sep) > 0 && sep[0] != '#' {
				errs = append(errs, &FieldError{File: name, Line: c.line - 1, Msg: `put the document on the line after "---"`})
				continue
			}
		}
		node, ferr := parseChunk(data, c)
		if ferr != nil {
			ferr.File = name
			errs = append(errs, ferr)
			continue
		}
		if node == nil {
			continue
		}
		s, lines, derrs := decodeNode(node)
		derrs = append(derrs, semanticErrors(s, derrs, opts)...)
		first := node.Content[0].Line
		for _, e := range derrs {
			e.File = name
			if e.Line == 0 {
				e.Line = lines.lineOf(e.Loc, first)
			}
		}
		if len(derrs) > 0 {
			errs = append(errs, derrs...)
			continue
		}
		docs = append(docs, Document{Spec: s, Index: i, Line: firstFieldLine(node)})
	}
	errs.Sort()
	return docs, errs
}

// firstFieldLine is the line of the document's first key, where "file:line"
// of a spec points.
func firstFieldLine(doc *node) int {
	root := doc.Content[0]
	if len(root.Content) > 0 {
		return root.Content[0].Line
	}
	return root.Line
}

// semanticErrors validates a decoded document. When the schema walk already
// failed some fields, rules that read those fields (or, for the replica
// counts, the ports rule that reads max_replicas) would judge a default
// instead of what was written, so their errors are left out.
func semanticErrors(s Spec, schemaErrs FieldErrors, opts Options) FieldErrors {
	failed := map[string]bool{}
	for _, e := range schemaErrs {
		if len(e.Loc) == 0 {
			return nil // the document as a whole is wrong
		}
		failed[locKey(e.Loc)] = true
	}
	// min > max reads both counts; the ports rule reads max_replicas only.
	if failed["max_replicas"] {
		failed["ports"] = true
	}
	if failed["min_replicas"] || failed["max_replicas"] {
		failed["min_replicas"], failed["max_replicas"] = true, true
	}
	if failed["ports"] {
		failed["health"] = true
	}
	var out FieldErrors
next:
	for _, e := range Validate(s, opts) {
		for i := 1; i <= len(e.Loc); i++ {
			if failed[locKey(e.Loc[:i])] {
				continue next
			}
		}
		out = append(out, e)
	}
	return out
}
