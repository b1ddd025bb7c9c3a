package spec

// This file generates the JSON Schema of a spec document from the Spec
// struct and its tags, with github.com/invopop/jsonschema, and the OpenAPI
// 3.0 form of it that the API's document embeds.

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"

	"github.com/invopop/jsonschema"
)

// Integer fields are documented as "type": "integer", although the decoder
// also takes an integer in a string ("3") and a whole number (3.0), as the
// original's pydantic (lax mode) did: a schema that said so would send
// every client a oneOf for what is an integer on the wire.

// specSchemaDescription describes the document as a whole: the type's own
// comment, which a struct tag cannot carry.
const specSchemaDescription = "One desired-state document: the original StartContainerRequest, plus the optional " +
	"extensions autoscale and health. Unknown fields are errors. Integer fields also accept an integer in a string " +
	"(\"3\") or a whole number (3.0), as the original's pydantic validation did."

// mapRule says what struct tags cannot say of a map field, since invopop's
// tags describe the map and not its keys or values: the pattern of its keys
// and the bounds of its integer values.
type mapRule struct {
	keys     string // a pattern every key matches ("" for any)
	min, max string // bounds of an integer value ("" for none)
}

// mapRules are the map fields' rules, by field path: named exceptions, kept
// next to the rules that the validator checks (the env pattern is the
// validator's own). The port pattern is the simple form; the validator also
// checks the range 1-65535.
var mapRules = map[string]mapRule{
	"env":   {keys: envName.String()},
	"ports": {keys: `^[0-9]+(/(tcp|udp))?$`, min: "0", max: "65535"},
}

// JSONSchema is the JSON Schema (draft 2020-12) of one spec document, as
// indented JSON: one self-contained object schema (no $ref, no $defs) whose
// properties are in canonical field order, with required fields, types,
// descriptions, defaults, bounds and enums, and "additionalProperties": false
// on every object, as unknown fields are errors. Each call returns a new
// slice.
func JSONSchema() []byte {
	return append([]byte(nil), specSchemaJSON()...)
}

// OpenAPISchema is the schema of one spec document as an OpenAPI 3.0 Schema
// Object, ready to be put at components/schemas/Spec: JSONSchema without
// "$schema", with "examples" turned into OpenAPI's single "example", and
// without "propertyNames" (which OpenAPI 3.0 lacks; the descriptions of env
// and ports say the form of their keys). Numbers are float64, as
// encoding/json decodes them. Each call returns a new map, which the caller
// may change; json.Marshal it to feed a typed builder such as kin-openapi's
// openapi3.Schema.
func OpenAPISchema() map[string]any {
	var m map[string]any
	if err := json.Unmarshal(specSchemaJSON(), &m); err != nil {
		panic("spec: the generated JSON Schema does not read back: " + err.Error())
	}
	delete(m, "$schema")
	toOpenAPI30(m)
	return m
}

var specSchemaJSON = sync.OnceValue(func() []byte {
	s := schemaOf(reflect.TypeFor[Spec]())
	s.Title, s.Description = "Spec", specSchemaDescription
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		panic("spec: marshal the JSON Schema: " + err.Error()) // the schema is plain data
	}
	return append(b, '\n')
})

// schemaOf reflects the document type t into its JSON Schema, by the same
// tags as fieldsOf.
func schemaOf(t reflect.Type) *jsonschema.Schema {
	r := &jsonschema.Reflector{
		Anonymous:                  true, // the schema has no URL of its own
		DoNotReference:             true, // one tree: nothing to rewrite when it is embedded
		ExpandedStruct:             true,
		RequiredFromJSONSchemaTags: true, // required is the tag's word, as for the decoder
	}
	s := r.ReflectFromType(t)
	for p, rule := range mapRules {
		if ps := property(s, p); ps != nil {
			rule.apply(ps)
		}
	}
	return s
}

// property finds the schema of the field at the dotted path p.
func property(s *jsonschema.Schema, p string) *jsonschema.Schema {
	for _, name := range strings.Split(p, ".") {
		if s == nil || s.Properties == nil {
			return nil
		}
		s, _ = s.Properties.Get(name)
	}
	return s
}

func (r mapRule) apply(s *jsonschema.Schema) {
	if r.keys != "" {
		s.PropertyNames = &jsonschema.Schema{Pattern: r.keys}
	}
	if v := s.AdditionalProperties; v != nil && v.Type == "integer" {
		v.Minimum, v.Maximum = json.Number(r.min), json.Number(r.max)
	}
}

// toOpenAPI30 rewrites a JSON Schema object, in place and recursively, into
// the subset that an OpenAPI 3.0 Schema Object allows.
func toOpenAPI30(m map[string]any) {
	delete(m, "propertyNames")
	if ex, ok := m["examples"].([]any); ok {
		delete(m, "examples")
		if len(ex) > 0 {
			m["example"] = ex[0]
		}
	}
	if props, ok := m["properties"].(map[string]any); ok {
		for _, p := range props {
			if pm, ok := p.(map[string]any); ok {
				toOpenAPI30(pm)
			}
		}
	}
	if ap, ok := m["additionalProperties"].(map[string]any); ok {
		toOpenAPI30(ap)
	}
	if items, ok := m["items"].(map[string]any); ok {
		toOpenAPI30(items)
	}
	if alts, ok := m["oneOf"].([]any); ok {
		for _, a := range alts {
			if am, ok := a.(map[string]any); ok {
				toOpenAPI30(am)
			}
		}
	}
}
