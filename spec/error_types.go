package spec

import "strings"

// Type is pydantic's name for the kind of this error (missing,
// extra_forbidden, int_parsing, ...), which clients of the original's 422
// switch on.
func (e *FieldError) Type() string {
	switch m := e.Msg; {
	case strings.HasPrefix(m, "is required"):
		return "missing"
	case strings.HasPrefix(m, "unknown field"):
		return "extra_forbidden"
	case strings.HasPrefix(m, "must be an integer"):
		return "int_parsing"
	case strings.HasPrefix(m, "must be a string"):
		return "string_type"
	case strings.HasPrefix(m, "must be true or false"):
		return "bool_type"
	case strings.HasPrefix(m, "must be a mapping"):
		return "dict_type"
	case strings.HasPrefix(m, "invalid YAML"):
		return "json_invalid"
	case strings.HasPrefix(m, "must be >= "):
		return "greater_than_equal"
	case strings.HasPrefix(m, "must be \"running\" or \"stopped\""):
		return "literal_error"
	}
	return "value_error"
}
