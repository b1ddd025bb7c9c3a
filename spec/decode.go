package spec

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// lineIndex maps a field's location to the line it is written on.
type lineIndex map[string]int

func locKey(loc []string) string { return strings.Join(loc, "\x00") }

// lineOf finds the line of loc, or of its nearest written ancestor.
func (ix lineIndex) lineOf(loc []string, fallback int) int {
	for i := len(loc); i > 0; i-- {
		if l, ok := ix[locKey(loc[:i])]; ok {
			return l
		}
	}
	return fallback
}

// decoder walks one document's node tree against the schema, collecting every
// error instead of stopping at the first, and remembering each field's line.
type decoder struct {
	lines lineIndex
	errs  FieldErrors
}

func (d *decoder) fail(n *yaml.Node, e *FieldError) {
	e.Line = n.Line
	d.errs = append(d.errs, e)
}

// decodeNode checks the document against the fields of Spec and decodes it
// into a Spec with the original defaults, normalized.
func decodeNode(doc *yaml.Node) (Spec, lineIndex, FieldErrors) {
	s := New("")
	lines, errs := decodeDoc(doc, specFields, &s)
	s.normalize()
	return s, lines, errs
}

// decodeDoc checks the document against fields and decodes it into dst, a
// pointer to a struct that holds the defaults. The walk gives every error
// with its line; the decode itself then goes through sigs.k8s.io/yaml,
// strict, on a value that the walk built from the nodes. With schema errors
// dst holds the fields that were well-formed, so that their own rules can
// still be checked.
func decodeDoc(doc *yaml.Node, fields []field, dst any) (lineIndex, FieldErrors) {
	d := &decoder{lines: lineIndex{}}
	root := resolve(doc.Content[0])
	value := d.object(root, fields, path{})
	b, err := json.Marshal(value)
	if err == nil {
		err = sigsyaml.UnmarshalStrict(asciiJSON(b), dst)
	}
	if err != nil && len(d.errs) == 0 {
		d.errs = FieldErrors{{Line: root.Line, Msg: "cannot decode: " + err.Error()}}
	}
	return d.lines, d.errs
}

// asciiJSON escapes every rune of JSON text from DEL up, so that the YAML
// reader of sigs.k8s.io/yaml reads each string as it was written: raw, it
// refuses DEL and the C1 controls, and it reads NEL (U+0085) as a line break.
func asciiJSON(b []byte) []byte {
	var out strings.Builder
	for _, r := range string(b) {
		switch {
		case r < 0x7f:
			out.WriteRune(r)
		case r <= 0xffff:
			fmt.Fprintf(&out, `\u%04x`, r)
		default:
			fmt.Fprintf(&out, `\U%08x`, r) // YAML has no surrogate pairs
		}
	}
	return []byte(out.String())
}

func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func (d *decoder) object(n *yaml.Node, fields []field, p path) map[string]any {
	if n.Kind != yaml.MappingNode {
		if p.text == "" {
			msg := "a spec must be a mapping of fields (" + strings.Join(append(requiredNames(fields), "..."), ", ") + "), got " + describe(n)
			if n.Kind == yaml.SequenceNode {
				msg += ` (put each spec in its own document, separated by "---" lines)`
			}
			d.fail(n, &FieldError{Msg: msg})
		} else {
			d.fail(n, p.kindErrorf("dict_type", "must be a mapping, got %s", describe(n)))
		}
		return nil
	}
	out := map[string]any{}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		name := k.Value
		fp := p.field(name)
		if k.Kind != yaml.ScalarNode {
			// Keep a location below p, so that only this mapping's rules are skipped.
			e := p.errorf("field names must be strings, got %s", describe(k))
			e.Loc = fp.loc
			d.fail(k, e)
			continue
		}
		if first, dup := seen[name]; dup {
			d.fail(k, fp.errorf("duplicate field (first set on line %d)", first))
			continue
		}
		seen[name] = k.Line
		f, ok := lookup(fields, name)
		if !ok {
			d.fail(k, fp.kindErrorf("extra_forbidden", "unknown field (known fields: %s)", names(fields)))
			continue
		}
		d.lines[locKey(fp.loc)] = k.Line
		if val, ok := d.value(v, f, fp); ok {
			out[name] = val
		}
	}
	for _, f := range fields {
		if _, ok := seen[f.name]; f.required && !ok {
			fp := p.field(f.name)
			d.fail(n, fp.kindErrorf("missing", "is required%s", requiredHints[fp.text]))
		}
	}
	return out
}

// requiredHints are examples added to the error of a missing required
// field, by field path: a named exception, since a struct tag documents a
// field's value but not how to write a whole mapping of it.
var requiredHints = map[string]string{
	"resources": ` (e.g. resources: {cpu: "500m", memory: "256m"})`,
}

func (d *decoder) value(v *yaml.Node, f field, p path) (any, bool) {
	switch f.kind {
	case kindObject:
		m := d.object(v, f.fields, p)
		return m, m != nil
	case kindStringMap, kindIntMap:
		return d.mapping(v, f.kind, p)
	case kindStringList, kindWords:
		return d.list(v, f, p)
	default:
		return d.scalar(v, f.kind, p)
	}
}

func (d *decoder) mapping(n *yaml.Node, k kind, p path) (any, bool) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, p.kindErrorf("dict_type", "must be a mapping, got %s", describe(n)))
		return nil, false
	}
	out := map[string]any{}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		kp := p.key(key.Value)
		if key.Kind != yaml.ScalarNode {
			d.fail(key, p.errorf("keys must be strings, got %s", describe(key)))
			continue
		}
		if first, dup := seen[key.Value]; dup {
			d.fail(key, kp.errorf("duplicate key (first set on line %d)", first))
			continue
		}
		seen[key.Value] = key.Line
		d.lines[locKey(kp.loc)] = key.Line
		elem := kindString
		if k == kindIntMap {
			elem = kindInt
		}
		// Only well-formed entries are kept, so that the others' own rules still run.
		if val, good := d.scalar(v, elem, kp); good {
			out[key.Value] = val
		}
	}
	return out, true
}

// list reads a list of strings; a kindWords field also takes one string,
// which its type turns into a list.
func (d *decoder) list(n *yaml.Node, f field, p path) (any, bool) {
	if f.kind == kindWords && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		words, err := f.form.fromString(n.Value)
		if err != nil {
			d.fail(n, p.errorf("%s", err.Error()))
			return nil, false
		}
		return words, true
	}
	if n.Kind != yaml.SequenceNode {
		want := "a list of strings"
		if f.kind == kindWords {
			want = "a string or a list of strings"
		}
		d.fail(n, p.kindErrorf("list_type", "must be %s, got %s", want, describe(n)))
		return nil, false
	}
	out := []any{}
	good := true
	for i, item := range n.Content {
		item = resolve(item)
		ip := p.index(i)
		d.lines[locKey(ip.loc)] = item.Line
		v, ok := d.scalar(item, kindString, ip)
		good = good && ok
		out = append(out, v)
	}
	return out, good
}

func (d *decoder) scalar(n *yaml.Node, k kind, p path) (any, bool) {
	tag := n.ShortTag()
	if n.Kind == yaml.ScalarNode {
		switch {
		case k == kindString && (tag == "!!str" || tag == "!!merge"):
			return n.Value, true // a "<<" value is no merge: only a key is
		case k == kindBool && tag == "!!bool":
			var b bool
			if err := n.Decode(&b); err == nil {
				return b, true
			}
		case k == kindInt && (tag == "!!int" || tag == "!!float" || tag == "!!str"):
			// The original validated with pydantic, whose default (lax) mode
			// also takes "3" and 3.0 for an integer: any body it accepted is
			// a valid spec, so these are integers here too.
			if i, ok := integer(n); ok {
				if i >= -1<<31 && i < 1<<31 {
					return i, true
				}
				d.fail(n, p.errorf("must be between %d and %d, got %s", -1<<31, 1<<31-1, n.Value))
				return nil, false
			}
		case k == kindString && tag != "!!null":
			d.fail(n, p.kindErrorf("string_type", "must be a string, got %s; quote it: %q", describe(n), n.Value))
			return nil, false
		}
	}
	want := map[kind]string{kindString: "a string", kindInt: "an integer", kindBool: "true or false"}[k]
	typ := map[kind]string{kindString: "string_type", kindInt: "int_parsing", kindBool: "bool_type"}[k]
	d.fail(n, p.kindErrorf(typ, "must be %s, got %s", want, describe(n)))
	return nil, false
}

// integer reads an integer scalar, an integer in a string ("3"), or a
// number without a fractional part (3.0), as pydantic's lax mode does.
func integer(n *yaml.Node) (int64, bool) {
	switch n.ShortTag() {
	case "!!int":
		var i int64
		err := n.Decode(&i)
		return i, err == nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return 0, false
		}
		return int64(f), true
	case "!!str":
		i, err := strconv.ParseInt(strings.TrimSpace(n.Value), 10, 64)
		return i, err == nil
	}
	return 0, false
}

// describe names a node's type the way a user reads it.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.ShortTag() {
	case "!!null":
		return "null"
	case "!!int":
		return "integer " + n.Value
	case "!!float":
		return "number " + n.Value
	case "!!bool":
		return "boolean " + n.Value
	case "!!str":
		return fmt.Sprintf("string %q", n.Value)
	}
	return n.ShortTag() + " " + n.Value
}
