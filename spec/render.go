package spec

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

const (
	mappingNode = yaml.MappingNode
	scalarNode  = yaml.ScalarNode
)

// specTree builds the document of s as a node tree, fields in canonical
// order, by the rules of renderTree. What a field left out decodes to is
// what a document without it decodes to: New("") normalized.
func specTree(s Spec, has func(loc ...string) bool) *yaml.Node {
	s.normalize()
	return renderTree(specFields, reflect.ValueOf(s), reflect.ValueOf(New("").Normalized()), has)
}

// renderTree builds the mapping of the struct v, its fields in canonical
// order. base is what v decodes to from a document without any optional
// field, so that leaving a field out keeps its value:
//   - a field whose value differs from its base is written, unless both are
//     empty (no limit, an empty map, an absent extension);
//   - a field at its base value is left out unless has says the document
//     being edited writes it, so an edit never adds "min_replicas: 1" to a
//     file that relied on the default (an empty one is left out even then);
//   - a required field is always written, and a required mapping that would
//     be empty is written with its defaults explicit ("resources: {status:
//     running}", not "resources: {}").
//
// Maps are written sorted by key, and *bool and bool as YAML booleans.
func renderTree(fields []field, v, base reflect.Value, has func(loc ...string) bool) *yaml.Node {
	return (&renderer{has: has}).object(fields, v, base, nil)
}

type renderer struct {
	has func(loc ...string) bool
}

func (r *renderer) object(fields []field, v, base reflect.Value, loc []string) *yaml.Node {
	m := mapNode()
	for _, f := range fields {
		fv, fb := v.Field(f.index), base.Field(f.index)
		floc := append(slices.Clip(loc), f.name)
		if f.required || r.written(fv, fb, floc) {
			put(m, f.name, r.value(f, fv, fb, floc))
		}
	}
	return m
}

func (r *renderer) written(v, base reflect.Value, loc []string) bool {
	if reflect.DeepEqual(v.Interface(), base.Interface()) {
		return !empty(v) && r.has(loc...)
	}
	return !empty(v) || !empty(base)
}

// empty is the Go zero value, or an empty map: what a field that is left
// out decodes to when it has no default of its own.
func empty(v reflect.Value) bool {
	return v.IsZero() || (v.Kind() == reflect.Map || v.Kind() == reflect.Slice) && v.Len() == 0
}

func (r *renderer) value(f field, v, base reflect.Value, loc []string) *yaml.Node {
	if v.Kind() == reflect.Pointer {
		// Only a non-nil pointer is written; a nil base has no defaults.
		if base.IsNil() {
			base = reflect.Zero(v.Type().Elem())
		} else {
			base = base.Elem()
		}
		v = v.Elem()
	}
	switch f.kind {
	case kindObject:
		n := r.object(f.fields, v, base, loc)
		if f.required && len(n.Content) == 0 {
			explicit := &renderer{has: func(...string) bool { return true }}
			n = explicit.object(f.fields, v, base, loc)
		}
		return n
	case kindStringMap, kindIntMap:
		m := mapNode()
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			put(m, k.String(), scalar(v.MapIndex(k)))
		}
		return m
	case kindStringList, kindWords:
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for i := range v.Len() {
			seq.Content = append(seq.Content, strNode(v.Index(i).String()))
		}
		return seq
	}
	return scalar(v)
}

// scalar writes a string, an integer or a boolean with its YAML tag.
func scalar(v reflect.Value) *yaml.Node {
	switch v.Kind() {
	case reflect.Int, reflect.Int32, reflect.Int64:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v.Int(), 10)}
	case reflect.Bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v.Bool())}
	}
	return strNode(v.String())
}

func mapNode() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }

func strNode(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

func put(m *yaml.Node, key string, val *yaml.Node) {
	m.Content = append(m.Content, strNode(key), val)
}

// renderYAML is the text of a new file holding s, every field explicit.
func renderYAML(s Spec) []byte {
	return encodeYAML(specTree(s, func(...string) bool { return true }), 2)
}

// MarshalYAML renders specs as a multi-document YAML stream in canonical
// field order, the way a new file is written.
func MarshalYAML(specs ...Spec) []byte {
	var out [][]byte
	for _, s := range specs {
		s.normalize()
		out = append(out, renderYAML(s))
	}
	return bytes.Join(out, []byte("---\n"))
}

func encodeYAML(n *yaml.Node, indent int) []byte {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(indent)
	if err := enc.Encode(n); err != nil {
		panic("spec: encode YAML: " + err.Error()) // node trees built here always encode
	}
	enc.Close()
	return b.Bytes()
}

// encodeJSON renders a node tree as indented JSON, keeping key order: the
// fallback for a structural edit of a .json spec file.
func encodeJSON(n *yaml.Node) []byte {
	var b bytes.Buffer
	writeJSON(&b, resolve(n), "")
	b.WriteByte('\n')
	return b.Bytes()
}

func writeJSON(b *bytes.Buffer, n *yaml.Node, indent string) {
	switch n.Kind {
	case yaml.DocumentNode:
		writeJSON(b, resolve(n.Content[0]), indent)
	case yaml.MappingNode:
		if len(n.Content) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{\n")
		for i := 0; i+1 < len(n.Content); i += 2 {
			b.WriteString(indent + "  " + jsonString(n.Content[i].Value) + ": ")
			writeJSON(b, resolve(n.Content[i+1]), indent+"  ")
			if i+2 < len(n.Content) {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "}")
	case yaml.SequenceNode: // volumes, networks, command, healthcheck.test, ...
		if len(n.Content) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[\n")
		for i, c := range n.Content {
			b.WriteString(indent + "  ")
			writeJSON(b, resolve(c), indent+"  ")
			if i+1 < len(n.Content) {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "]")
	default:
		switch n.ShortTag() {
		case "!!int", "!!bool", "!!float":
			var v any
			if err := n.Decode(&v); err == nil {
				out, _ := json.Marshal(v)
				b.Write(out)
				return
			}
		case "!!null":
			b.WriteString("null")
			return
		}
		b.WriteString(jsonString(n.Value))
	}
}

// jsonString quotes s as JSON, which is also a valid YAML double-quoted scalar.
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// hasPath reports whether the mapping root has the nested keys of loc.
func hasPath(root *yaml.Node) func(loc ...string) bool {
	return func(loc ...string) bool {
		n := root
		for _, k := range loc {
			n = child(n, k)
			if n == nil {
				return false
			}
		}
		return true
	}
}

func child(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return resolve(m.Content[i+1])
		}
	}
	return nil
}

// equalNode compares a written node with a rendered one by value, so that
// 0x10 equals 16 and 'a' equals "a".
func equalNode(a, b *yaml.Node) bool {
	a, b = resolve(a), resolve(b)
	if a.Kind != b.Kind {
		return false
	}
	if a.Kind == yaml.ScalarNode {
		if a.ShortTag() != b.ShortTag() {
			return false
		}
		var va, vb any
		if a.Decode(&va) != nil || b.Decode(&vb) != nil {
			return a.Value == b.Value
		}
		return va == vb
	}
	if a.Kind == yaml.SequenceNode && len(a.Content) == len(b.Content) {
		for i := range a.Content {
			if !equalNode(a.Content[i], b.Content[i]) {
				return false
			}
		}
		return true
	}
	if a.Kind != yaml.MappingNode || len(a.Content) != len(b.Content) {
		return false
	}
	am, bm := pairs(a), pairs(b)
	for k, v := range am {
		w, ok := bm[k]
		if !ok || !equalNode(v, w) {
			return false
		}
	}
	return true
}

func pairs(m *yaml.Node) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		out[m.Content[i].Value] = m.Content[i+1]
	}
	return out
}

// newKeys lists the keys of b that a lacks, in b's order.
func newKeys(a, b *yaml.Node) []int {
	have := pairs(a)
	var out []int
	for i := 0; i+1 < len(b.Content); i += 2 {
		if _, ok := have[b.Content[i].Value]; !ok {
			out = append(out, i)
		}
	}
	sort.Ints(out)
	return out
}
