package spec

import (
	"bytes"
	"errors"
	"fmt"

	yaml "go.yaml.in/yaml/v3"
)

// errNoTextEdit: a change that cannot be made as a small text edit; the
// caller re-renders a larger part instead.
var errNoTextEdit = errors.New("no text edit")

// editFile changes document c of data from cur to s, touching only the text
// of the fields that differ: a scalar's token, or the lines of one entry.
// When that is not possible (a structural change in a flow mapping, e.g. a
// JSON file) the one document is re-rendered from its node tree, which keeps
// comments but not layout. Either way the result is parsed back and must
// equal s.
func editFile(data []byte, c chunk, cur, s Spec, isJSON bool) ([]byte, error) {
	doc, ferr := parseChunk(data, c)
	if ferr != nil || doc == nil {
		return nil, fmt.Errorf("document %d no longer parses", c.line)
	}
	root := resolve(doc.Content[0])
	want := specTree(s, hasPath(root))
	e := &editor{data: data, lines: lineOffsets(data), json: isJSON, unit: indentUnit(root), eol: lineEnding(data[c.start:c.end])}
	if e.mapping(root, want, root.Style&yaml.FlowStyle != 0) == nil {
		if out, err := e.apply(); err == nil && sameSpec(out, c, s) {
			return out, nil
		}
	}
	// Re-render this document only; the other documents stay byte for byte.
	// A first try keeps anchors and aliases; when a replaced anchor leaves
	// an alias dangling, a second try writes every alias out in full.
	for _, expand := range []bool{false, true} {
		if expand {
			if doc, _ = parseChunk(data, c); doc == nil {
				break
			}
			expandAliases(doc)
			root = resolve(doc.Content[0])
		}
		merge(root, want)
		var text []byte
		if isJSON || root.Style&yaml.FlowStyle != 0 {
			text = encodeJSON(root)
		} else {
			text = encodeYAML(doc, e.unit)
		}
		if e.eol != "\n" {
			crlf := bytes.ReplaceAll(text, []byte("\n"), []byte(e.eol))
			if out := splice(data, c, crlf); sameSpec(out, c, s) {
				return out, nil
			}
		}
		if out := splice(data, c, text); sameSpec(out, c, s) {
			return out, nil
		}
	}
	return nil, fmt.Errorf("re-rendered document does not read back as the new spec")
}

// splice replaces the text of document c of data.
func splice(data []byte, c chunk, text []byte) []byte {
	return append(append(append([]byte(nil), data[:c.start]...), text...), data[c.end:]...)
}

// lineEnding is "\r\n" for text whose first line ends so, else "\n".
func lineEnding(text []byte) string {
	if i := bytes.IndexByte(text, '\n'); i > 0 && text[i-1] == '\r' {
		return "\r\n"
	}
	return "\n"
}

// expandAliases replaces every alias under n with a copy of what it
// names, and drops the anchors: a tree that merge can change freely.
func expandAliases(n *yaml.Node) {
	for i, c := range n.Content {
		if c.Kind == yaml.AliasNode && c.Alias != nil {
			cp := deepCopy(resolve(c))
			cp.Line, cp.Column = c.Line, c.Column
			n.Content[i] = cp
		}
		n.Content[i].Anchor = ""
		expandAliases(n.Content[i])
	}
}

func deepCopy(n *yaml.Node) *yaml.Node {
	cp := *n
	cp.Content = nil
	for _, c := range n.Content {
		cp.Content = append(cp.Content, deepCopy(resolve(c)))
	}
	return &cp
}

// sameSpec reads document c.index of out back and compares it with s.
func sameSpec(out []byte, c chunk, s Spec) bool {
	for _, oc := range splitDocuments(out) {
		if oc.line != c.line {
			continue
		}
		doc, ferr := parseChunk(out, oc)
		if ferr != nil || doc == nil {
			return false
		}
		got, _, errs := decodeNode(doc)
		return len(errs) == 0 && got.Revision() == s.Revision()
	}
	return false
}

// merge makes the mapping old hold what want holds, in place: the fallback.
func merge(old, want *yaml.Node) {
	w := pairs(want)
	var kept []*yaml.Node
	for i := 0; i+1 < len(old.Content); i += 2 {
		k, v := old.Content[i], old.Content[i+1]
		nv, ok := w[k.Value]
		switch {
		case !ok:
			continue
		case v.Kind == yaml.MappingNode && nv.Kind == yaml.MappingNode:
			merge(v, nv)
		case !equalNode(v, nv):
			v = nv
		}
		kept = append(kept, k, v)
	}
	for _, i := range newKeys(old, want) {
		kept = append(kept, want.Content[i], want.Content[i+1])
	}
	old.Content = kept
}
