package api

// The document's component schemas are made from Go types, so that they
// cannot drift from what the server reads and writes:
//
//   - Spec is spec.OpenAPISchema(), the schema the spec package generates
//     from the Spec struct; its struct-valued fields become components of
//     their own (Resources, Autoscale, HealthCheck), so that the responses
//     that carry a spec refer to the same ones.
//   - ScaleRequest and PatchContainerRequest are cut from it: the bodies
//     that requests.go reads by hand are fields of the spec.
//   - Every response body is reflected from its type in api/wire with
//     github.com/invopop/jsonschema (the generator the spec package uses)
//     and converted to OpenAPI 3.0.
//
// What a Go type cannot say (descriptions, enums, examples, the names the
// document has always used) is in openapi_notes.go.

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/invopop/jsonschema"

	"github.com/orchestrator/orchestrator/api/wire"
	"github.com/orchestrator/orchestrator/spec"
)

const schemaPrefix = "#/components/schemas/"

// schemaSet is the document's components/schemas, filled as the operations
// ask for the schemas of their bodies.
type schemaSet struct {
	schemas openapi3.Schemas
	// types is the Go type of each component name: two types that shared a
	// name would silently share one schema.
	types map[string]reflect.Type
}

func newSchemaSet() *schemaSet {
	s := &schemaSet{schemas: openapi3.Schemas{}, types: map[string]reflect.Type{}}
	s.addDocument(spec.OpenAPISchema(), reflect.TypeFor[spec.Spec]())
	s.addCut("ScaleRequest", s.name(reflect.TypeFor[spec.Spec]()), fieldNames(reflect.TypeFor[scaleRequest]()))
	s.addCut("PatchContainerRequest", s.name(reflect.TypeFor[spec.Resources]()), []string{"status"})
	s.addValidationError()
	s.schemas["HealthResponse"] = &openapi3.SchemaRef{Value: healthResponseSchema()}
	return s
}

// schemaOf is a reference to the component schema of T, reflected (with the
// types it uses) on first use.
func schemaOf[T any](s *schemaSet) *openapi3.SchemaRef {
	return s.ref(reflect.TypeFor[T]())
}

func (s *schemaSet) ref(t reflect.Type) *openapi3.SchemaRef {
	name := s.name(t)
	if s.schemas[name] == nil {
		s.reflectType(t)
	}
	return schemaRef(name)
}

func schemaRef(name string) *openapi3.SchemaRef {
	return &openapi3.SchemaRef{Ref: schemaPrefix + name}
}

// name is t's component name (componentNames, else the Go type's name),
// claimed for t. It is also invopop's Namer, so it sees every named type.
func (s *schemaSet) name(t reflect.Type) string {
	name := componentNames[t]
	if name == "" {
		name = t.Name()
	}
	if name == "" {
		return ""
	}
	if prev, ok := s.types[name]; ok && prev != t {
		panic(fmt.Sprintf("api: %v and %v would both be schema %q: name one in componentNames", prev, t, name))
	}
	s.types[name] = t
	return name
}

// reflectType adds the schema of t and of every named type it uses.
func (s *schemaSet) reflectType(t reflect.Type) {
	r := &jsonschema.Reflector{
		Anonymous: true,   // no $id: the schemas live in this document
		Namer:     s.name, // the document's names, checked for clashes
		Mapper:    s.specTypes,
	}
	root := r.ReflectFromType(t)
	for _, name := range slices.Sorted(maps.Keys(root.Definitions)) {
		if s.schemas[name] != nil {
			continue
		}
		sch := decodeSchema(openAPI30(toJSON(root.Definitions[name])))
		sch.Title = name
		goType := s.types[name]
		goFacts(sch, goType)
		annotate(name, sch, true)
		s.embedSpec(sch, goType)
		s.schemas[name] = &openapi3.SchemaRef{Value: sch}
	}
}

// specTypes makes invopop refer to the spec's struct types (reached through
// a wire type that embeds spec.Spec) by their components, which addDocument
// made from spec.OpenAPISchema, instead of reflecting them a second time.
func (s *schemaSet) specTypes(t reflect.Type) *jsonschema.Schema {
	if t.PkgPath() != reflect.TypeFor[spec.Spec]().PkgPath() || t.Kind() != reflect.Struct {
		return nil
	}
	return &jsonschema.Schema{Ref: "#/$defs/" + s.name(t)}
}

// embedSpec gives a type that embeds spec.Spec (wire.Image, and
// wire.ImageDetail through it) the Spec component's own property schemas.
// The properties are copied in rather than combined with allOf: in OpenAPI
// 3.0 each branch of an allOf applies its own additionalProperties, so a
// closed Spec would refuse revision and source.
func (s *schemaSet) embedSpec(sch *openapi3.Schema, t reflect.Type) {
	if t == nil || t.Kind() != reflect.Struct {
		return
	}
	specType := reflect.TypeFor[spec.Spec]()
	from := s.schemas[s.name(specType)].Value.Properties
	for _, f := range jsonFields(t) {
		if f.from == specType {
			sch.Properties[f.name] = from[f.name]
		}
	}
}

// goFacts are what invopop leaves out of a struct's schema but the Go type
// says: a pointer without omitempty is written as null when nil, and an
// unsigned integer is never negative.
func goFacts(sch *openapi3.Schema, t reflect.Type) {
	if t == nil || t.Kind() != reflect.Struct {
		return
	}
	for _, f := range jsonFields(t) {
		p := sch.Properties[f.name]
		nullable := f.typ.Kind() == reflect.Pointer && !f.omitempty
		switch {
		case p == nil:
			continue
		case p.Value == nil && nullable:
			panic(fmt.Sprintf("api: %v.%s may be null, which OpenAPI 3.0 cannot say of a $ref: make it omitempty", t, f.name))
		case p.Value == nil:
			continue // a $ref: its component has the facts
		}
		p.Value.Nullable = nullable
		switch deref(f.typ).Kind() {
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			p.Value.Min = openapi3.Ptr(0.0)
		}
	}
}

// addDocument adds the schema m of the struct type t as a component, and
// each of its struct-valued properties as a component of its own, so that
// every schema that holds one refers to the same.
func (s *schemaSet) addDocument(m map[string]any, t reflect.Type) {
	name := s.name(t)
	props, _ := m["properties"].(map[string]any)
	for _, f := range jsonFields(t) {
		p, ok := props[f.name].(map[string]any)
		ft := deref(f.typ)
		if !ok || ft.Kind() != reflect.Struct || p["properties"] == nil {
			continue
		}
		s.addDocument(p, ft)
		props[f.name] = map[string]any{"$ref": schemaPrefix + s.name(ft)}
	}
	m["title"] = name
	s.schemas[name] = &openapi3.SchemaRef{Value: decodeSchema(m)}
}

// addCut adds name, the object of the given fields of component from, each
// required and without its default: the request bodies that requests.go
// reads by hand are fields of the spec, with the spec's rules.
func (s *schemaSet) addCut(name, from string, fields []string) {
	src := s.schemas[from].Value
	out := closedObject(name)
	for _, f := range fields {
		p := src.Properties[f]
		if p == nil || p.Value == nil {
			panic(fmt.Sprintf("api: %s.%s is no inline property of %s", name, f, from))
		}
		v := *p.Value
		v.Default = nil
		out.Properties[f] = &openapi3.SchemaRef{Value: &v}
		out.Required = append(out.Required, f)
	}
	annotate(name, out, false)
	s.schemas[name] = &openapi3.SchemaRef{Value: out}
}

// addValidationError adds HTTPValidationError, the error body of a 422:
// wire.Error, with FastAPI's list of issues as its detail.
func (s *schemaSet) addValidationError() {
	schemaOf[wire.Error](s) // reflected first
	v := *s.schemas[s.name(reflect.TypeFor[wire.Error]())].Value
	v.Properties = maps.Clone(v.Properties)
	v.Properties["detail"] = &openapi3.SchemaRef{Value: &openapi3.Schema{
		Type: &openapi3.Types{openapi3.TypeArray}, Title: "Detail", Items: schemaOf[wire.Issue](s),
	}}
	v.Properties["code"] = &openapi3.SchemaRef{Value: &openapi3.Schema{
		Type: &openapi3.Types{openapi3.TypeString}, Enum: []any{string(wire.CodeSpecInvalid)},
	}}
	v.Title = "HTTPValidationError"
	annotate(v.Title, &v, false)
	s.schemas[v.Title] = &openapi3.SchemaRef{Value: &v}
}

// healthResponseSchema is GET /health's {"ok": true}, the one body that
// server.go writes as a map literal rather than a wire type.
func healthResponseSchema() *openapi3.Schema {
	s := closedObject("HealthResponse")
	s.Properties["ok"] = &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeBoolean}, Enum: []any{true}}}
	s.Required = []string{"ok"}
	return s
}

func closedObject(title string) *openapi3.Schema {
	return &openapi3.Schema{
		Type: &openapi3.Types{openapi3.TypeObject}, Title: title, Properties: openapi3.Schemas{},
		AdditionalProperties: openapi3.AdditionalProperties{Has: openapi3.Ptr(false)},
	}
}

// jsonField is one field as encoding/json writes it.
type jsonField struct {
	name      string
	typ       reflect.Type
	omitempty bool
	from      reflect.Type // the struct that declares it (an embedded one's fields are the embedder's)
}

// jsonFields are the fields encoding/json writes for the struct type t,
// embedded structs flattened, in order.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && deref(f.Type).Kind() == reflect.Struct {
			out = append(out, jsonFields(deref(f.Type))...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name, f.Type, slices.Contains(strings.Split(opts, ","), "omitempty"), t})
	}
	return out
}

func fieldNames(t reflect.Type) []string {
	var out []string
	for _, f := range jsonFields(t) {
		out = append(out, f.name)
	}
	return out
}

func deref(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Pointer {
		return t.Elem()
	}
	return t
}

// toJSON is v as generic JSON (maps, slices, float64s).
func toJSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic("api: marshal " + err.Error()) // plain data: unreachable
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		panic("api: unmarshal " + err.Error())
	}
	return out
}

func decodeSchema(v any) *openapi3.Schema {
	b, err := json.Marshal(v)
	if err != nil {
		panic("api: marshal a schema: " + err.Error())
	}
	var s openapi3.Schema
	if err := json.Unmarshal(b, &s); err != nil {
		panic("api: not an OpenAPI schema: " + err.Error() + ": " + string(b))
	}
	return &s
}

// openAPI30 rewrites invopop's JSON Schema (draft 2020-12), as generic JSON,
// into an OpenAPI 3.0 Schema Object: $defs are components, an unconstrained
// schema is {} rather than true, "examples" is "example", and the keywords
// that 3.0 lacks go.
func openAPI30(v any) any {
	if b, ok := v.(bool); ok && b {
		return map[string]any{}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	for _, k := range []string{"$schema", "$id", "$defs", "$anchor", "propertyNames"} {
		delete(m, k)
	}
	if ref, ok := m["$ref"].(string); ok {
		m["$ref"] = schemaPrefix + strings.TrimPrefix(ref, "#/$defs/")
	}
	if ex, ok := m["examples"].([]any); ok {
		delete(m, "examples")
		if len(ex) > 0 {
			m["example"] = ex[0]
		}
	}
	if props, ok := m["properties"].(map[string]any); ok {
		for k, p := range props {
			props[k] = openAPI30(p)
		}
	}
	for _, k := range []string{"items", "additionalProperties", "not"} {
		if sub, ok := m[k]; ok && sub != false {
			m[k] = openAPI30(sub)
		}
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		if subs, ok := m[k].([]any); ok {
			for i, sub := range subs {
				subs[i] = openAPI30(sub)
			}
		}
	}
	return m
}
