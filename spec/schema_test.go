package spec

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// schemaAt finds the schema of the field at the dotted path p in a generic
// schema.
func schemaAt(m map[string]any, p string) map[string]any {
	for _, name := range strings.Split(p, ".") {
		props, _ := m["properties"].(map[string]any)
		m, _ = props[name].(map[string]any)
	}
	return m
}

// TestSchemaDefaultsAreTheCodes: the defaults that the tags document are
// the ones the code applies to an absent field.
func TestSchemaDefaultsAreTheCodes(t *testing.T) {
	s := New("nginx:alpine")
	tests := []struct {
		path string
		code any // what the code makes of the absent field
	}{
		{"min_replicas", s.MinReplicas},
		{"max_replicas", s.MaxReplicas},
		{"resources.status", string(s.Normalized().Resources.Status)},
		{"autoscale.enabled", s.AutoscaleEnabled()},
		{"autoscale.target_cpu_percent", s.TargetCPUPercent()},
		{"autoscale.scale_down_stabilization", s.ScaleDownStabilization()},
	}
	oa := OpenAPISchema()
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			def := schemaAt(oa, tc.path)["default"]
			var got any = def
			switch tc.code.(type) {
			case int:
				f, _ := def.(float64)
				got = int(f)
			case time.Duration:
				got, _ = time.ParseDuration(fmt.Sprint(def))
			}
			if diff := cmp.Diff(tc.code, got); diff != "" {
				t.Errorf("default (-code +schema):\n%s", diff)
			}
		})
	}
}

// TestRenderDefaultsAreDocumented: every field that the renderer leaves out
// at a default of its own (what an absent field decodes to, when it is not
// empty) has that default in the schema, so "left out" means "the default".
func TestRenderDefaultsAreDocumented(t *testing.T) {
	oa := OpenAPISchema()
	var check func(fields []field, base reflect.Value, prefix string)
	check = func(fields []field, base reflect.Value, prefix string) {
		for _, f := range fields {
			p, v := joinPath(prefix, f.name), base.Field(f.index)
			if f.kind == kindObject {
				if v.Kind() != reflect.Pointer {
					check(f.fields, v, p)
				}
				continue
			}
			if empty(v) {
				continue
			}
			if got, want := fmt.Sprint(schemaAt(oa, p)["default"]), fmt.Sprint(v.Interface()); got != want {
				t.Errorf("%s: the renderer leaves out %s, the schema's default is %s", p, want, got)
			}
		}
	}
	check(specFields, reflect.ValueOf(New("").Normalized()), "")
}

// TestNamedExceptionsNameFields: the exceptions kept by field path still
// name a field of the right kind, so a renamed field cannot leave one behind.
func TestNamedExceptionsNameFields(t *testing.T) {
	find := func(p string) (field, bool) {
		fields := specFields
		var f field
		for _, name := range strings.Split(p, ".") {
			var ok bool
			if f, ok = lookup(fields, name); !ok {
				return field{}, false
			}
			fields = f.fields
		}
		return f, true
	}
	for p := range requiredHints {
		if f, ok := find(p); !ok || !f.required {
			t.Errorf("requiredHints[%q]: no required field at that path", p)
		}
	}
	for p := range mapRules {
		if f, ok := find(p); !ok || f.kind != kindStringMap && f.kind != kindIntMap {
			t.Errorf("mapRules[%q]: no map field at that path", p)
		}
	}
}

// TestPortKeyPattern: the schema's simple pattern of a port key accepts
// every key the validator accepts, and refuses what it refuses for its form
// (the range 1-65535 is the validator's alone).
func TestPortKeyPattern(t *testing.T) {
	re := regexp.MustCompile(mapRules["ports"].keys)
	tests := []struct {
		key         string
		match, port bool
	}{
		{"80", true, true},
		{"80/tcp", true, true},
		{"53/udp", true, true},
		{"080", true, true},
		{"0", true, false},
		{"70000", true, false},
		{"80/sctp", false, false},
		{"80/TCP", false, false},
		{"+80", false, false},
		{"-1", false, false},
		{"http", false, false},
		{"", false, false},
		{"80/", false, false},
	}
	for _, tc := range tests {
		_, err := ParsePort(tc.key)
		if got := re.MatchString(tc.key); got != tc.match || (err == nil) != tc.port {
			t.Errorf("%q: pattern match %v (want %v), ParsePort ok %v (want %v)", tc.key, got, tc.match, err == nil, tc.port)
		}
	}
}

// openAPI30Keywords are the fields of an OpenAPI 3.0 Schema Object.
var openAPI30Keywords = map[string]bool{
	"title": true, "multipleOf": true, "maximum": true, "exclusiveMaximum": true, "minimum": true,
	"exclusiveMinimum": true, "maxLength": true, "minLength": true, "pattern": true, "maxItems": true,
	"minItems": true, "uniqueItems": true, "maxProperties": true, "minProperties": true, "required": true,
	"enum": true, "type": true, "allOf": true, "oneOf": true, "anyOf": true, "not": true, "items": true,
	"properties": true, "additionalProperties": true, "description": true, "format": true, "default": true,
	"nullable": true, "discriminator": true, "readOnly": true, "writeOnly": true, "xml": true,
	"externalDocs": true, "example": true, "deprecated": true,
}

// TestOpenAPISchemaIsOpenAPI30 walks every schema object of OpenAPISchema
// and checks that it uses only OpenAPI 3.0 keywords.
func TestOpenAPISchemaIsOpenAPI30(t *testing.T) {
	var walk func(m map[string]any, at string)
	walk = func(m map[string]any, at string) {
		for k, v := range m {
			if !openAPI30Keywords[k] {
				t.Errorf("%s: %q is no OpenAPI 3.0 schema keyword", at, k)
			}
			switch k {
			case "properties":
				for name, sub := range v.(map[string]any) {
					walk(sub.(map[string]any), joinPath(at, name))
				}
			case "additionalProperties", "items":
				if sub, ok := v.(map[string]any); ok {
					walk(sub, at+"["+k+"]")
				}
			}
		}
	}
	walk(OpenAPISchema(), "")
}

// TestSchemaCopies: callers get their own copy, so changing it cannot change
// what the next caller (the API's document) gets.
func TestSchemaCopies(t *testing.T) {
	b := JSONSchema()
	want := string(b)
	b[0] = 'x'
	if got := string(JSONSchema()); got != want {
		t.Error("JSONSchema returned the cached slice itself")
	}
	m := OpenAPISchema()
	delete(m, "properties")
	if _, ok := OpenAPISchema()["properties"]; !ok {
		t.Error("OpenAPISchema returned a shared map")
	}
	var doc map[string]any
	if err := json.Unmarshal(JSONSchema(), &doc); err != nil || doc["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("JSONSchema is not a draft 2020-12 document: %v, $schema %v", err, doc["$schema"])
	}
}

// TestSchemaKeywords pins what a client can rely on: the bounds, enums,
// key patterns and closed objects that the decoder and validator enforce.
func TestSchemaKeywords(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(JSONSchema(), &doc); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, keyword string
		want          any
	}{
		{"", "additionalProperties", false},
		{"", "required", []any{"image", "resources"}},
		{"min_replicas", "minimum", 0.0},
		{"max_replicas", "minimum", 1.0},
		{"env", "propertyNames", map[string]any{"pattern": envName.String()}},
		{"ports", "additionalProperties", map[string]any{"type": "integer", "minimum": 0.0, "maximum": 65535.0}},
		{"resources", "additionalProperties", false},
		{"resources.status", "enum", []any{"running", "stopped"}},
		{"autoscale", "additionalProperties", false},
		{"autoscale.target_cpu_percent", "minimum", 1.0},
		{"autoscale.target_cpu_percent", "maximum", 100.0},
		{"health", "additionalProperties", false},
		{"health.http_path", "pattern", "^/"},
	}
	for _, tc := range tests {
		s := doc
		if tc.path != "" {
			s = schemaAt(doc, tc.path)
		}
		if diff := cmp.Diff(tc.want, s[tc.keyword]); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s", tc.path, tc.keyword, diff)
		}
	}
}
