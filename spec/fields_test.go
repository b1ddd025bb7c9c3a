package spec

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/invopop/jsonschema"
	yaml "go.yaml.in/yaml/v3"
)

// testLogging is the nested struct of an extra field in TestOneFieldDeclaredOnce.
type testLogging struct {
	Driver string `json:"driver" jsonschema:"required" jsonschema_description:"The log driver."`
	MaxMB  *int   `json:"max_mb,omitempty" jsonschema:"minimum=1"`
}

// withExtra is a copy of Spec with one more field, inserted after ports:
// the test's stand-in for the next issue's new fields.
func withExtra(extra reflect.StructField) reflect.Type {
	st := reflect.TypeFor[Spec]()
	var fs []reflect.StructField
	for i := range st.NumField() {
		fs = append(fs, st.Field(i))
		if st.Field(i).Name == "Ports" {
			fs = append(fs, extra)
		}
	}
	return reflect.StructOf(fs)
}

// asType copies the fields of a Spec into a new value of t, by name.
func asType(s Spec, t reflect.Type) reflect.Value {
	v := reflect.New(t).Elem()
	sv := reflect.ValueOf(s)
	for i := range sv.NumField() {
		v.FieldByName(sv.Type().Field(i).Name).Set(sv.Field(i))
	}
	return v
}

func parseDoc(t *testing.T, text string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("test document does not parse: %v", err)
	}
	return &doc
}

func schemaJSON(t *testing.T, s *jsonschema.Schema) map[string]any {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestOneFieldDeclaredOnce proves the derivation: a struct field added to a
// copy of Spec, and nothing else, is decoded (with its line), named among
// the known fields, rendered in its canonical place, and documented in the
// JSON Schema.
func TestOneFieldDeclaredOnce(t *testing.T) {
	tests := []struct {
		name       string
		extra      reflect.StructField
		yaml       string // the extra field as written, last in the document
		want       any    // its decoded Go value
		wantRender string // the extra field as rendered, between ports and resources
		wantSchema map[string]any
	}{
		{
			name:       "string with an enum",
			extra:      reflect.StructField{Name: "XRestart", Type: reflect.TypeFor[string](), Tag: `json:"x_restart,omitempty" jsonschema:"enum=no,enum=always" jsonschema_description:"When to restart."`},
			yaml:       "x_restart: always\n",
			want:       "always",
			wantRender: "x_restart: always\n",
			wantSchema: map[string]any{"type": "string", "enum": []any{"no", "always"}, "description": "When to restart."},
		},
		{
			name:       "optional int, lax",
			extra:      reflect.StructField{Name: "XStopGrace", Type: reflect.TypeFor[*int](), Tag: `json:"x_stop_grace_seconds,omitempty" jsonschema:"minimum=0,default=10"`},
			yaml:       "x_stop_grace_seconds: \"30\"\n",
			want:       newInt(30),
			wantRender: "x_stop_grace_seconds: 30\n",
			wantSchema: map[string]any{"type": "integer", "minimum": 0.0, "default": 10.0},
		},
		{
			name:       "bool",
			extra:      reflect.StructField{Name: "XReadOnly", Type: reflect.TypeFor[bool](), Tag: `json:"x_read_only,omitempty"`},
			yaml:       "x_read_only: true\n",
			want:       true,
			wantRender: "x_read_only: true\n",
			wantSchema: map[string]any{"type": "boolean"},
		},
		{
			name:       "string map, sorted",
			extra:      reflect.StructField{Name: "XLabels", Type: reflect.TypeFor[map[string]string](), Tag: `json:"x_labels,omitempty"`},
			yaml:       "x_labels: {b: \"2\", a: \"1\"}\n",
			want:       map[string]string{"a": "1", "b": "2"},
			wantRender: "x_labels:\n  a: \"1\"\n  b: \"2\"\n",
			wantSchema: map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}},
		},
		{
			name:       "string list",
			extra:      reflect.StructField{Name: "XDNS", Type: reflect.TypeFor[[]string](), Tag: `json:"x_dns,omitempty"`},
			yaml:       "x_dns: [1.1.1.1, \"8.8.8.8\"]\n",
			want:       []string{"1.1.1.1", "8.8.8.8"},
			wantRender: "x_dns:\n  - 1.1.1.1\n  - 8.8.8.8\n",
			wantSchema: map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
		},
		{
			name:       "words, as one string",
			extra:      reflect.StructField{Name: "XCommand", Type: reflect.TypeFor[Words](), Tag: `json:"x_command,omitempty"`},
			yaml:       "x_command: serve --name 'the shop'\n",
			want:       Words{"serve", "--name", "the shop"},
			wantRender: "x_command:\n  - serve\n  - --name\n  - the shop\n",
			wantSchema: map[string]any{"oneOf": []any{
				map[string]any{"type": "string", "description": "split into words as a shell would, without expansion"},
				map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
			}},
		},
		{
			name:       "nested object",
			extra:      reflect.StructField{Name: "XLogging", Type: reflect.TypeFor[*testLogging](), Tag: `json:"x_logging,omitempty" jsonschema_description:"Where logs go."`},
			yaml:       "x_logging:\n  max_mb: 5\n  driver: local\n",
			want:       &testLogging{Driver: "local", MaxMB: newInt(5)},
			wantRender: "x_logging:\n  driver: local\n  max_mb: 5\n",
			wantSchema: map[string]any{
				"type": "object", "description": "Where logs go.", "additionalProperties": false, "required": []any{"driver"},
				"properties": map[string]any{
					"driver": map[string]any{"type": "string", "description": "The log driver."},
					"max_mb": map[string]any{"type": "integer", "minimum": 1.0},
				},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			typ := withExtra(tc.extra)
			fields := fieldsOf(typ)
			name, _, _ := strings.Cut(tc.extra.Tag.Get("json"), ",")

			// Decode: the value, and the line it is written on.
			doc := "image: nginx:alpine\nports:\n  \"80\": 0\nresources:\n  cpu: 500m\n" + tc.yaml
			dst := reflect.New(typ)
			dst.Elem().Set(asType(New(""), typ))
			lines, errs := decodeDoc(parseDoc(t, doc), fields, dst.Interface())
			if len(errs) > 0 {
				t.Fatalf("decode: %v", errs)
			}
			if got := lines[locKey([]string{name})]; got != 6 {
				t.Errorf("line of %s = %d, want 6", name, got)
			}
			if diff := cmp.Diff(tc.want, dst.Elem().FieldByName(tc.extra.Name).Interface()); diff != "" {
				t.Errorf("decoded %s (-want +got):\n%s", name, diff)
			}

			// Unknown fields: the new field is known, in canonical order.
			_, errs = decodeDoc(parseDoc(t, "image: x\nresources: {}\nbogus: 1\n"), fields, reflect.New(typ).Interface())
			known := names(specFields)
			known = strings.Replace(known, "ports, ", "ports, "+name+", ", 1)
			wantMsg := "unknown field (known fields: " + known + ")"
			if len(errs) != 1 || errs[0].Msg != wantMsg || errs[0].Line != 3 {
				t.Errorf("unknown field errors = %v, want line 3: %s", errs, wantMsg)
			}

			// Render: in canonical place, whatever the order written.
			base := asType(New("").Normalized(), typ)
			tree := renderTree(fields, dst.Elem(), base, func(...string) bool { return false })
			wantText := "image: nginx:alpine\nports:\n  \"80\": 0\n" + tc.wantRender + "resources:\n  cpu: 500m\n"
			if diff := cmp.Diff(wantText, string(encodeYAML(tree, 2))); diff != "" {
				t.Errorf("render (-want +got):\n%s", diff)
			}

			// JSON Schema: the property, in canonical place.
			s := schemaOf(typ)
			if diff := cmp.Diff(names(fields), strings.Join(slices.Collect(s.Properties.KeysFromOldest()), ", ")); diff != "" {
				t.Errorf("schema properties (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantSchema, schemaJSON(t, property(s, name))); diff != "" {
				t.Errorf("schema of %s (-want +got):\n%s", name, diff)
			}
		})
	}
}

// structPath is one field of the Spec struct, found by a reflection walk
// of its own (not fieldsOf), so that the test does not trust what it tests.
type structPath struct {
	path     string
	object   bool
	required bool
}

func walkStruct(t reflect.Type, prefix string) []structPath {
	var out []structPath
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		p := strings.TrimPrefix(prefix+"."+name, ".")
		ft := sf.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		required := slices.Contains(strings.Split(sf.Tag.Get("jsonschema"), ","), "required")
		out = append(out, structPath{path: p, object: ft.Kind() == reflect.Struct, required: required})
		if ft.Kind() == reflect.Struct {
			out = append(out, walkStruct(ft, p)...)
		}
	}
	return out
}

// populate sets every field of v, recursively, to a value that is not
// empty: the fully populated spec.
func populate(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		populate(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			populate(v.Field(i))
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		e := reflect.New(v.Type().Elem()).Elem()
		populate(e)
		v.SetMapIndex(reflect.ValueOf("K"), e)
	case reflect.Slice:
		v.Set(reflect.Append(reflect.MakeSlice(v.Type(), 0, 1), reflect.ValueOf("x").Convert(v.Type().Elem())))
	case reflect.String:
		v.SetString("x")
	case reflect.Int:
		v.SetInt(7)
	case reflect.Bool:
		v.SetBool(true)
	default:
		panic("populate: teach me " + v.Type().String())
	}
}

// TestEveryFieldIsDerived walks Spec by reflection and checks that every
// field, recursively and in struct order, is in the decode table, in the
// render of a fully populated spec, and in the JSON Schema, and that the
// populated spec reads back unchanged.
func TestEveryFieldIsDerived(t *testing.T) {
	walk := walkStruct(reflect.TypeFor[Spec](), "")
	var want, wantRequired []string
	objects := map[string]bool{}
	for _, p := range walk {
		want = append(want, p.path)
		objects[p.path] = p.object
		if p.required {
			wantRequired = append(wantRequired, p.path)
		}
	}

	var full Spec
	populate(reflect.ValueOf(&full).Elem())
	rendered := specTree(full, func(...string) bool { return true })

	var schema jsonschema.Schema
	if err := json.Unmarshal(JSONSchema(), &schema); err != nil {
		t.Fatalf("JSONSchema is not a schema: %v", err)
	}

	inWalkOrder := func(paths []string) []string {
		slices.SortStableFunc(paths, func(a, b string) int { return slices.Index(want, a) - slices.Index(want, b) })
		return paths
	}
	tests := []struct {
		name string
		got  func() (paths, required []string) // required is nil where it has no meaning
	}{
		{"decode table", func() ([]string, []string) { return tablePaths(specFields, "") }},
		{"render", func() ([]string, []string) { return nodePaths(rendered, "", objects), nil }},
		{"JSON Schema", func() ([]string, []string) { return schemaPaths(&schema, "") }},
		{"OpenAPI schema", func() ([]string, []string) {
			paths, required := mapPaths(OpenAPISchema(), "")
			return inWalkOrder(paths), inWalkOrder(required)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, required := tc.got()
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			if required == nil {
				return
			}
			if diff := cmp.Diff(wantRequired, required); diff != "" {
				t.Errorf("required fields (-want +got):\n%s", diff)
			}
		})
	}

	again, _, errs := decodeNode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{rendered}})
	if len(errs) > 0 {
		t.Fatalf("the rendered full spec does not decode: %v\n%s", errs, encodeYAML(rendered, 2))
	}
	if diff := cmp.Diff(full, again); diff != "" {
		t.Errorf("full spec after render and decode (-want +got):\n%s", diff)
	}
}

func joinPath(prefix, name string) string { return strings.TrimPrefix(prefix+"."+name, ".") }

func tablePaths(fields []field, prefix string) (paths, required []string) {
	for _, f := range fields {
		p := joinPath(prefix, f.name)
		paths = append(paths, p)
		if f.required {
			required = append(required, p)
		}
		sub, subReq := tablePaths(f.fields, p)
		paths, required = append(paths, sub...), append(required, subReq...)
	}
	return paths, required
}

func nodePaths(n *yaml.Node, prefix string, objects map[string]bool) []string {
	var out []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		p := joinPath(prefix, n.Content[i].Value)
		out = append(out, p)
		if objects[p] {
			out = append(out, nodePaths(n.Content[i+1], p, objects)...)
		}
	}
	return out
}

func schemaPaths(s *jsonschema.Schema, prefix string) (paths, required []string) {
	if s.Properties == nil {
		return nil, nil
	}
	for name, sub := range s.Properties.FromOldest() {
		p := joinPath(prefix, name)
		paths = append(paths, p)
		if slices.Contains(s.Required, name) {
			required = append(required, p)
		}
		subPaths, subReq := schemaPaths(sub, p)
		paths, required = append(paths, subPaths...), append(required, subReq...)
	}
	return paths, required
}

// mapPaths lists the properties of a generic schema, parents before their
// fields (the order within one object is lost in a Go map).
func mapPaths(m map[string]any, prefix string) (paths, required []string) {
	props, _ := m["properties"].(map[string]any)
	req, _ := m["required"].([]any)
	for name, sub := range props {
		p := joinPath(prefix, name)
		paths = append(paths, p)
		if slices.Contains(req, any(name)) {
			required = append(required, p)
		}
		subPaths, subReq := mapPaths(sub.(map[string]any), p)
		paths, required = append(paths, subPaths...), append(required, subReq...)
	}
	return paths, required
}

func newInt(v int) *int { return &v }
