package spec

// This file reflects the field list of a spec document from the Spec struct,
// the one place a field is declared. The decoder (decode.go), the renderer
// (render.go) and the JSON Schema (schema.go) all work from it, so that they
// cannot drift apart.

import (
	"reflect"
	"strings"
)

// kind is the shape a field's value takes in a document; it follows from
// the Go type of the struct field.
type kind int

const (
	kindString     kind = iota // string, or a named string type such as Status
	kindInt                    // int, *int
	kindBool                   // bool, *bool
	kindStringMap              // map[string]string
	kindIntMap                 // map[string]int
	kindObject                 // a struct or *struct: a nested mapping of fields
	kindStringList             // []string: a list of strings
	kindWords                  // a list type with a string form too (stringForm): command, healthcheck test
)

// stringForm is a list type that a document may also write as one string,
// as compose does: Words splits it as a shell would, HealthTest makes it a
// CMD-SHELL test.
type stringForm interface {
	fromString(s string) ([]string, error)
}

// field is one field of a document, reflected from one struct field.
type field struct {
	name     string     // the key in the document: the json tag's name
	kind     kind       // from the Go type
	required bool       // jsonschema:"required"
	index    int        // the struct field's index, for reflect.Value.Field
	fields   []field    // the nested fields of a kindObject, in struct order
	form     stringForm // of a kindWords: reads the string form
}

// specFields is the field list of a Spec document, in canonical order (the
// order of the struct). Anything else in a document is an unknown field.
var specFields = fieldsOf(reflect.TypeFor[Spec]())

// fieldsOf reflects the fields of the struct type t, in struct order. A
// field of a type the decoder cannot read panics here, at start-up, so that
// a new field of a new shape is taught to kindOf (and to the decoder and the
// renderer) before it can be used.
func fieldsOf(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" {
			continue // not part of the document, as for encoding/json
		}
		if name == "" || !sf.IsExported() {
			panic("spec: field " + t.String() + "." + sf.Name + " needs an exported name and a json tag")
		}
		f := field{name: name, index: i, required: hasTagOption(sf.Tag.Get("jsonschema"), "required")}
		f.kind, f.fields = kindOf(sf.Type, t.String()+"."+sf.Name)
		if f.kind == kindWords {
			f.form = reflect.Zero(sf.Type).Interface().(stringForm)
		}
		out = append(out, f)
	}
	return out
}

// kindOf maps a Go type to the shape the decoder expects. A pointer only
// marks the field as optional (absent is nil), so *int reads as an int.
func kindOf(t reflect.Type, where string) (kind, []field) {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return kindString, nil
	case reflect.Int, reflect.Int32, reflect.Int64:
		return kindInt, nil
	case reflect.Bool:
		return kindBool, nil
	case reflect.Struct:
		return kindObject, fieldsOf(t)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.String {
			if t.Implements(reflect.TypeFor[stringForm]()) {
				return kindWords, nil
			}
			return kindStringList, nil
		}
	case reflect.Map:
		if t.Key().Kind() == reflect.String {
			switch t.Elem().Kind() {
			case reflect.String:
				return kindStringMap, nil
			case reflect.Int:
				return kindIntMap, nil
			}
		}
	}
	panic("spec: field " + where + " has type " + t.String() + ", which the decoder cannot read yet (see kindOf)")
}

// hasTagOption reports whether a comma-separated struct tag value has the
// bare option opt. Escaped commas ("\,", as in an invopop pattern) do not
// split.
func hasTagOption(tag, opt string) bool {
	for _, o := range splitTag(tag) {
		if o == opt {
			return true
		}
	}
	return false
}

func splitTag(tag string) []string {
	var out []string
	start := 0
	for i := 0; i < len(tag); i++ {
		switch tag[i] {
		case '\\':
			i++
		case ',':
			out = append(out, tag[start:i])
			start = i + 1
		}
	}
	return append(out, tag[start:])
}

// lookup finds the field called name.
func lookup(fields []field, name string) (field, bool) {
	for _, f := range fields {
		if f.name == name {
			return f, true
		}
	}
	return field{}, false
}

// names lists the fields' names in canonical order, for messages.
func names(fields []field) string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.name
	}
	return strings.Join(out, ", ")
}

// requiredNames lists the required fields' names in canonical order.
func requiredNames(fields []field) []string {
	var out []string
	for _, f := range fields {
		if f.required {
			out = append(out, f.name)
		}
	}
	return out
}
