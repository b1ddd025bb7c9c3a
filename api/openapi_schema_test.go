package api

// One source for the document's schemas: a field added to spec.Spec or to
// a wire type shows up in the served document with no edit of the
// document's code. encoding/json is the oracle: a value of each type with
// every field set is marshalled, and each key it writes, at any depth, must
// be in the schema.

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/api/wire"
	"github.com/orchestrator/orchestrator/spec"
)

// wireTypes are the types of package wire that the document describes:
// every one of them, which TestOpenAPIWireTypesAreInTheDocument checks
// against the package's source.
var wireTypes = []any{
	wire.PortBinding{}, wire.Ports{}, wire.Container{}, wire.ContainerList{}, wire.ImageContainers{},
	wire.Started{}, wire.Action{}, wire.Replicas{}, wire.Reconciled{}, wire.Patched{}, wire.ContainerDeleted{},
	wire.ContainerHealth{}, wire.ImageHealth{}, wire.Status{}, wire.Autoscale{}, wire.StatusList{}, wire.EngineStatus{},
	wire.Image{}, wire.ImageList{}, wire.ImageDetail{}, wire.Written{}, wire.Preview{}, wire.ImageDeleted{},
	wire.Error{}, wire.Issue{}, wire.FileError{}, wire.GitStatus{}, wire.GitRevision{}, wire.HookAnswer{},
	wire.ActionEvent{}, wire.StatusRemoved{}, wire.ContainerEvent{}, wire.FileEvent{}, wire.GitEvent{}, wire.ResetEvent{},
	wire.LogLine{}, wire.LogDropped{}, wire.LogEnd{},
}

// TestOpenAPISpecSchemaIsTheSpec: components/schemas/Spec is
// spec.OpenAPISchema() (its objects moved into components of their own),
// and has every field that the spec's JSON has.
func TestOpenAPISpecSchemaIsTheSpec(t *testing.T) {
	doc := oaTestDoc(t)
	keysInSchema(t, doc.Components.Schemas["Spec"].Value, marshalled(t, full(reflect.TypeFor[spec.Spec]())), "Spec")

	var served map[string]any
	if err := json.Unmarshal(openAPIJSON(), &served); err != nil {
		t.Fatal(err)
	}
	schemas := served["components"].(map[string]any)["schemas"].(map[string]any)
	// inline puts the components that the Spec refers to back in place.
	var inline func(v any) any
	inline = func(v any) any {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		if ref, ok := m["$ref"].(string); ok {
			sub := inline(schemas[ref[len(schemaPrefix):]]).(map[string]any)
			delete(sub, "title") // the component's name, which the inline object had not
			return sub
		}
		out := map[string]any{}
		for k, e := range m {
			if k == "properties" {
				props := map[string]any{}
				for name, p := range e.(map[string]any) {
					props[name] = inline(p)
				}
				e = props
			}
			out[k] = e
		}
		return out
	}
	got := inline(schemas["Spec"])
	want := marshalled(t, spec.OpenAPISchema())
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("components/schemas/Spec is not spec.OpenAPISchema() (-want +got):\n%s", diff)
	}
}

// TestOpenAPIWireTypesAreInTheDocument: every type of package wire has its
// schema, with every field its JSON has; and wireTypes lists them all.
func TestOpenAPIWireTypesAreInTheDocument(t *testing.T) {
	doc := oaTestDoc(t)
	var listed []string
	for _, v := range wireTypes {
		typ := reflect.TypeOf(v)
		listed = append(listed, typ.Name())
		name := componentNames[typ]
		if name == "" {
			name = typ.Name()
		}
		s := doc.Components.Schemas[name]
		if s == nil {
			t.Errorf("wire.%s has no schema %q", typ.Name(), name)
			continue
		}
		keysInSchema(t, s.Value, marshalled(t, full(typ)), name)
	}
	// A 422's body is a wire.Error too.
	keysInSchema(t, doc.Components.Schemas["HTTPValidationError"].Value,
		marshalled(t, wire.Error{Detail: []wire.Issue{full(reflect.TypeFor[wire.Issue]()).(wire.Issue)}, Code: wire.CodeSpecInvalid,
			Errors: []wire.FileError{full(reflect.TypeFor[wire.FileError]()).(wire.FileError)}}), "HTTPValidationError")

	var declared []string
	for name, kind := range wireDeclarations(t) {
		if kind == "type" { // not Code, a string type: the enum of TestOpenAPIErrorCodesAreWire
			declared = append(declared, name)
		}
	}
	sort.Strings(listed)
	sort.Strings(declared)
	if diff := cmp.Diff(declared, listed); diff != "" {
		t.Errorf("wireTypes is not every type of package wire (-source +wireTypes):\n%s", diff)
	}
}

// TestOpenAPIErrorCodesAreWire: wire.Codes, and so the enum of the error
// body's code, is every wire.Code constant, read from the package's source.
func TestOpenAPIErrorCodesAreWire(t *testing.T) {
	var want []string
	for name, kind := range wireDeclarations(t) {
		if kind == "const Code" {
			want = append(want, name)
		}
	}
	var got []string
	for _, c := range wire.Codes {
		got = append(got, string(c))
	}
	slices.Sort(want)
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("wire.Codes is not every Code constant (-constants +wire.Codes):\n%s", diff)
	}
	enum := oaTestDoc(t).Components.Schemas["HTTPError"].Value.Properties["code"].Value.Enum
	if len(enum) != len(wire.Codes) {
		t.Errorf("HTTPError's code has %d values, want %d", len(enum), len(wire.Codes))
	}
}

// TestOpenAPINotesNameTheDocument: a note or a name for a schema or
// property that the document does not have would be silently unused.
// (annotate refuses a schema's note for a property it lacks.)
func TestOpenAPINotesNameTheDocument(t *testing.T) {
	schemas := oaTestDoc(t).Components.Schemas
	for name := range schemaNotes {
		if schemas[name] == nil {
			t.Errorf("schemaNotes has %q, which is no schema of the document", name)
		}
	}
	for typ, name := range componentNames {
		if schemas[name] == nil {
			t.Errorf("componentNames names %v %q, which is no schema of the document", typ, name)
		}
	}
	for prop := range propertyNotes {
		used := false
		for _, s := range schemas {
			used = used || s.Value.Properties[prop] != nil
		}
		if !used {
			t.Errorf("propertyNotes has %q, which no schema has", prop)
		}
	}
}

// wireDeclarations are the exported types of package wire by name (kind
// "type"; "Code" for the Code type), and the values of its Code constants
// (kind "const Code").
func wireDeclarations(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("wire/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no source of package wire: %v", err)
	}
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, file := range files {
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, s := range gd.Specs {
				switch sp := s.(type) {
				case *ast.TypeSpec:
					if sp.Name.IsExported() {
						out[sp.Name.Name] = "type"
						if sp.Name.Name == "Code" {
							out[sp.Name.Name] = "Code"
						}
					}
				case *ast.ValueSpec:
					if id, ok := sp.Type.(*ast.Ident); ok && id.Name == "Code" && gd.Tok == token.CONST {
						for _, v := range sp.Values {
							if lit, ok := v.(*ast.BasicLit); ok {
								s, _ := strconv.Unquote(lit.Value)
								out[s] = "const Code"
							}
						}
					}
				}
			}
		}
	}
	return out
}

// full is a value of t with every field set, at every depth: non-nil
// pointers, one-element slices and maps, non-zero scalars.
func full(t reflect.Type) any { return fill(t).Interface() }

func fill(t reflect.Type) reflect.Value {
	v := reflect.New(t).Elem()
	switch t.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(t.Elem()))
		v.Elem().Set(fill(t.Elem()))
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(1, 0).UTC()))
			break
		}
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				v.Field(i).Set(fill(t.Field(i).Type))
			}
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(t, 1, 1))
		v.Index(0).Set(fill(t.Elem()))
	case reflect.Map:
		v.Set(reflect.MakeMap(t))
		v.SetMapIndex(fill(t.Key()), fill(t.Elem()))
	case reflect.Interface:
		v.Set(reflect.ValueOf("x"))
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5)
	}
	return v
}

// marshalled is v as encoding/json writes it, decoded generically.
func marshalled(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// keysInSchema reports every object key of v, at any depth, that schema s
// does not have: neither as a property nor through additionalProperties.
func keysInSchema(t *testing.T, s *openapi3.Schema, v any, at string) {
	t.Helper()
	if s == nil {
		t.Errorf("%s: no schema", at)
		return
	}
	// A oneOf (a string or a list, as command): the branch of the value's kind.
	for _, alt := range s.OneOf {
		_, isList := v.([]any)
		if alt.Value != nil && (alt.Value.Items != nil) == isList && (alt.Value.Type.Is("array") || alt.Value.Type.Is("object")) {
			s = alt.Value
			break
		}
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			switch {
			case s.Properties[k] != nil:
				keysInSchema(t, s.Properties[k].Value, e, at+"."+k)
			case s.AdditionalProperties.Schema != nil:
				keysInSchema(t, s.AdditionalProperties.Schema.Value, e, at+"["+k+"]")
			default:
				t.Errorf("%s: the JSON has %q, the schema has not", at, k)
			}
		}
	case []any:
		for _, e := range x {
			if s.Items == nil {
				t.Errorf("%s: an array, but the schema has no items", at)
				return
			}
			keysInSchema(t, s.Items.Value, e, at+"[]")
		}
	}
}
