package spec

// This file holds the editor: small text edits of one document (a scalar
// token, the lines of one entry), found through the node tree.

import (
	"bytes"
	"sort"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
)

// textEdit replaces data[start:end] with text.
type textEdit struct {
	start, end int
	text       string
}

// editor collects text edits against data; lines and columns come from the
// node tree, which yaml.v3 counts 1-based, columns in characters.
type editor struct {
	data  []byte
	lines []int
	edits []textEdit
	json  bool
	unit  int    // indentation step of nested mappings
	eol   string // the document's line ending, for the lines it adds
}

func (e *editor) mapping(old, want *yaml.Node, flow bool) error {
	flow = flow || old.Style&yaml.FlowStyle != 0
	w := pairs(want)
	kept := 0
	for i := 0; i+1 < len(old.Content); i += 2 {
		k, raw := old.Content[i], old.Content[i+1]
		v := resolve(raw)
		nv, ok := w[k.Value]
		if !ok {
			if flow {
				return errNoTextEdit
			}
			if err := e.removeEntry(k); err != nil {
				return err
			}
			continue
		}
		kept++
		if equalNode(v, nv) {
			continue
		}
		if err := e.change(k, raw, nv, flow); err != nil {
			return err
		}
	}
	adds := newKeys(old, want)
	if len(adds) == 0 {
		return nil
	}
	if flow || kept == 0 {
		return errNoTextEdit
	}
	return e.addEntries(old, want, adds)
}

// change edits one value: a scalar token in place, a nested mapping field by
// field, or else the entry's lines re-rendered.
func (e *editor) change(k, raw, nv *yaml.Node, flow bool) error {
	v := resolve(raw)
	if raw.Kind != yaml.AliasNode && v.Anchor == "" { // an anchored value is shared: never edit it in place
		mark := len(e.edits)
		var err error
		switch {
		case v.Kind == yaml.ScalarNode && nv.Kind == yaml.ScalarNode:
			err = e.replaceScalar(v, nv, flow)
		case v.Kind == yaml.MappingNode && nv.Kind == yaml.MappingNode && len(nv.Content) > 0:
			err = e.mapping(v, nv, flow)
		default:
			err = errNoTextEdit
		}
		if err == nil {
			return nil
		}
		e.edits = e.edits[:mark]
	}
	if flow {
		return errNoTextEdit
	}
	return e.replaceEntry(k, nv, v.Style&yaml.FlowStyle != 0)
}

func (e *editor) replaceScalar(v, nv *yaml.Node, flow bool) error {
	if v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || v.Tag != "" && v.Style&yaml.TaggedStyle != 0 {
		return errNoTextEdit
	}
	start, err := e.offset(v.Line, v.Column)
	if err != nil {
		return err
	}
	end, err := e.tokenEnd(start, v, flow)
	if err != nil {
		return err
	}
	e.edits = append(e.edits, textEdit{start, end, e.scalarText(nv, v.Style, flow)})
	return nil
}

// scalarText writes nv in the style of the token it replaces where that is
// safe, so "a JSON file stays JSON" and 'quoted' stays quoted.
func (e *editor) scalarText(nv *yaml.Node, style yaml.Style, flow bool) string {
	if nv.Tag != "!!str" {
		return nv.Value
	}
	switch {
	case e.json || style&yaml.DoubleQuotedStyle != 0:
		return jsonString(nv.Value)
	case style&yaml.SingleQuotedStyle != 0:
		return "'" + strings.ReplaceAll(nv.Value, "'", "''") + "'"
	}
	plain := strings.TrimSuffix(string(encodeYAML(nv, 2)), "\n")
	if plain != nv.Value || flow && strings.ContainsAny(plain, ",[]{}") {
		return jsonString(nv.Value)
	}
	return plain
}

// tokenEnd finds where the single-line scalar token at start ends.
func (e *editor) tokenEnd(start int, v *yaml.Node, flow bool) (int, error) {
	d := e.data
	switch {
	case v.Style&yaml.DoubleQuotedStyle != 0:
		for i := start + 1; i < len(d) && d[i] != '\n'; i++ {
			switch d[i] {
			case '\\':
				i++
			case '"':
				return i + 1, nil
			}
		}
	case v.Style&yaml.SingleQuotedStyle != 0:
		for i := start + 1; i < len(d) && d[i] != '\n'; i++ {
			if d[i] == '\'' {
				if i+1 < len(d) && d[i+1] == '\'' {
					i++
					continue
				}
				return i + 1, nil
			}
		}
	default:
		i := start
		for ; i < len(d) && d[i] != '\n' && d[i] != '\r'; i++ {
			if d[i] == '#' && i > start && (d[i-1] == ' ' || d[i-1] == '\t') ||
				flow && (d[i] == ',' || d[i] == ']' || d[i] == '}') {
				break
			}
		}
		end := start + len(bytes.TrimRight(d[start:i], " \t"))
		if string(d[start:end]) == v.Value {
			return end, nil
		}
	}
	return 0, errNoTextEdit
}

// replaceEntry re-renders the lines of one block-mapping entry.
func (e *editor) replaceEntry(k, nv *yaml.Node, flowStyle bool) error {
	start, indent, err := e.entryStart(k)
	if err != nil {
		return err
	}
	val := *nv
	if flowStyle && val.Kind == yaml.MappingNode {
		val.Style = yaml.FlowStyle
	}
	e.edits = append(e.edits, textEdit{start, e.lineStart(e.entryEnd(k.Line, indent) + 1), e.entryText(k.Value, &val, indent)})
	return nil
}

func (e *editor) removeEntry(k *yaml.Node) error {
	start, indent, err := e.entryStart(k)
	if err != nil {
		return err
	}
	e.edits = append(e.edits, textEdit{start, e.lineStart(e.entryEnd(k.Line, indent) + 1), ""})
	return nil
}

// addEntries appends want's new keys after the last entry of the block
// mapping old, at the indentation of its keys.
func (e *editor) addEntries(old, want *yaml.Node, adds []int) error {
	_, indent, err := e.entryStart(old.Content[0])
	if err != nil {
		return err
	}
	last := old.Content[len(old.Content)-2]
	if _, _, err := e.entryStart(last); err != nil {
		return err
	}
	at := e.lineStart(e.entryEnd(last.Line, indent) + 1)
	var text strings.Builder
	if at > 0 && e.data[at-1] != '\n' && !e.insertsAt(at) {
		text.WriteString(e.eol) // the last line of a file without a final newline
	}
	for _, i := range adds {
		text.WriteString(e.entryText(want.Content[i].Value, want.Content[i+1], indent))
	}
	e.edits = append(e.edits, textEdit{at, at, text.String()})
	return nil
}

// insertsAt reports whether an edit already inserts text at off: the new
// entries of a nested mapping, which end with a line ending.
func (e *editor) insertsAt(off int) bool {
	for _, ed := range e.edits {
		if ed.start == off && ed.end == off && ed.text != "" {
			return true
		}
	}
	return false
}

func (e *editor) entryText(key string, val *yaml.Node, indent int) string {
	m := mapNode()
	put(m, key, val)
	body := string(encodeYAML(m, e.unit))
	pad := strings.Repeat(" ", indent)
	lines := strings.SplitAfter(body, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString(pad + strings.TrimSuffix(l, "\n") + e.eol)
		}
	}
	return b.String()
}

// entryStart checks that key k begins its line (a block mapping entry) and
// returns the line's offset and the key's indentation.
func (e *editor) entryStart(k *yaml.Node) (int, int, error) {
	if k.Line < 1 || k.Line > len(e.lines) {
		return 0, 0, errNoTextEdit
	}
	ls := e.lines[k.Line-1]
	off, err := e.offset(k.Line, k.Column)
	if err != nil || strings.TrimLeft(string(e.data[ls:off]), " ") != "" {
		return 0, 0, errNoTextEdit
	}
	return ls, off - ls, nil
}

// entryEnd is the last line of the entry whose key is on line keyLine at
// indentation indent: the following lines indented deeper, without the
// blank and comment lines that trail them.
func (e *editor) entryEnd(keyLine, indent int) int {
	end := keyLine
	for l := keyLine + 1; l <= len(e.lines); l++ {
		text := e.lineText(l)
		trimmed := strings.TrimLeft(text, " \t")
		if strings.TrimSpace(trimmed) == "" {
			continue
		}
		if len(text)-len(trimmed) <= indent {
			break
		}
		if !strings.HasPrefix(trimmed, "#") {
			end = l
		}
	}
	return end
}

func (e *editor) lineText(l int) string {
	start := e.lines[l-1]
	end := len(e.data)
	if l < len(e.lines) {
		end = e.lines[l]
	}
	return strings.TrimRight(string(e.data[start:end]), "\r\n")
}

func (e *editor) lineStart(l int) int {
	if l > len(e.lines) {
		return len(e.data)
	}
	return e.lines[l-1]
}

// offset turns a 1-based line and character column into a byte offset.
func (e *editor) offset(line, col int) (int, error) {
	if line < 1 || line > len(e.lines) {
		return 0, errNoTextEdit
	}
	off := e.lines[line-1]
	for c := 1; c < col; c++ {
		if off >= len(e.data) || e.data[off] == '\n' {
			return 0, errNoTextEdit
		}
		_, size := utf8.DecodeRune(e.data[off:])
		off += size
	}
	return off, nil
}

// apply makes the collected edits, which must not overlap. Insertions at
// one offset keep the order they were collected in: a nested mapping's new
// entries before the new entries of the mapping that holds it.
func (e *editor) apply() ([]byte, error) {
	sort.SliceStable(e.edits, func(i, j int) bool { return e.edits[i].start < e.edits[j].start })
	var out []byte
	prev := 0
	for _, ed := range e.edits {
		if ed.start < prev {
			return nil, errNoTextEdit
		}
		out = append(append(out, e.data[prev:ed.start]...), ed.text...)
		prev = ed.end
	}
	return append(out, e.data[prev:]...), nil
}

// indentUnit guesses the file's indentation step from its first nested block
// mapping, defaulting to 2.
func indentUnit(root *yaml.Node) int {
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], resolve(root.Content[i+1])
		if v.Kind == yaml.MappingNode && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0 && v.Content[0].Line > k.Line {
			if u := v.Content[0].Column - k.Column; u > 0 && u <= 8 {
				return u
			}
		}
	}
	return 2
}
