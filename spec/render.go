package spec

import (
	"bytes"
	"encoding/json"
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
// order. Zero values (no limit, empty maps, absent extensions) are left out.
// Fields at their default are left out unless has says the document being
// edited writes them, so an edit never adds "min_replicas: 1" to a file that
// relied on the default.
func specTree(s Spec, has func(loc ...string) bool) *yaml.Node {
	m := mapNode()
	put(m, "image", strNode(s.Image))
	if s.MinReplicas != DefaultMinReplicas || has("min_replicas") {
		put(m, "min_replicas", intNode(s.MinReplicas))
	}
	if s.MaxReplicas != DefaultMaxReplicas || has("max_replicas") {
		put(m, "max_replicas", intNode(s.MaxReplicas))
	}
	if len(s.Env) > 0 {
		env := mapNode()
		for _, k := range sortedKeys(s.Env) {
			put(env, k, strNode(s.Env[k]))
		}
		put(m, "env", env)
	}
	if len(s.Ports) > 0 {
		ports := mapNode()
		for _, k := range sortedKeys(s.Ports) {
			put(ports, k, intNode(s.Ports[k]))
		}
		put(m, "ports", ports)
	}
	r := mapNode()
	if s.Resources.CPU != "" {
		put(r, "cpu", strNode(s.Resources.CPU))
	}
	if s.Resources.Memory != "" {
		put(r, "memory", strNode(s.Resources.Memory))
	}
	if st := s.Resources.Status; st != StatusRunning && st != "" || has("resources", "status") || len(r.Content) == 0 {
		put(r, "status", strNode(string(s.Resources.Status)))
	}
	put(m, "resources", r)
	if a := s.Autoscale; a != nil {
		n := mapNode()
		if a.Enabled != nil {
			put(n, "enabled", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(*a.Enabled)})
		}
		if a.TargetCPUPercent != nil {
			put(n, "target_cpu_percent", intNode(*a.TargetCPUPercent))
		}
		if a.ScaleDownStabilization != "" {
			put(n, "scale_down_stabilization", strNode(a.ScaleDownStabilization))
		}
		put(m, "autoscale", n)
	}
	if h := s.Health; h != nil {
		n := mapNode()
		for _, kv := range [][2]string{{"http_path", h.HTTPPath}, {"port", h.Port}, {"interval", h.Interval}} {
			if kv[1] != "" {
				put(n, kv[0], strNode(kv[1]))
			}
		}
		put(m, "health", n)
	}
	return m
}

func mapNode() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"} }

func strNode(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

func intNode(v int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v)}
}

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
