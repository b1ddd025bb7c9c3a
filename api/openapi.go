package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
)

// Version is the API version that /openapi.json reports in info.version.
// The binary sets it at startup (or with -ldflags "-X
// github.com/orchestrator/orchestrator/api.Version=..."), before the first
// request: the document is built once, on first use.
var Version = "dev"

var (
	openAPIOnce sync.Once
	openAPIBody []byte
)

// openAPIJSON is the OpenAPI document, marshalled once.
func openAPIJSON() []byte {
	openAPIOnce.Do(func() {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(openAPIDocument(Version)); err != nil {
			panic("api: marshal the OpenAPI document: " + err.Error()) // plain data: unreachable
		}
		openAPIBody = buf.Bytes()
	})
	return openAPIBody
}

// openAPI serves the OpenAPI 3 document of the API.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(openAPIJSON()) // the client went away: nothing to tell it
}

// The types below are the parts of OpenAPI 3.0.3 that the document uses.
// Field order is the order of the output, so the document reads top-down.

type oaDocument struct {
	OpenAPI    string                 `json:"openapi"`
	Info       oaInfo                 `json:"info"`
	Servers    []oaServer             `json:"servers"`
	Tags       []oaTag                `json:"tags"`
	Security   []oaSecurityReq        `json:"security"`
	Paths      map[string]*oaPathItem `json:"paths"`
	Components oaComponents           `json:"components"`
}

type oaInfo struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
}

type oaServer struct {
	URL         string `json:"url"`
	Description string `json:"description,omitempty"`
}

type oaTag struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

type oaSecurityReq map[string][]string

type oaComponents struct {
	Schemas         map[string]*oaSchema         `json:"schemas"`
	Responses       map[string]*oaResponse       `json:"responses"`
	Parameters      map[string]*oaParameter      `json:"parameters"`
	Headers         map[string]*oaHeader         `json:"headers"`
	SecuritySchemes map[string]*oaSecurityScheme `json:"securitySchemes"`
}

type oaSecurityScheme struct {
	Type         string `json:"type"`
	Scheme       string `json:"scheme"`
	BearerFormat string `json:"bearerFormat,omitempty"`
	Description  string `json:"description,omitempty"`
}

type oaPathItem struct {
	Get    *oaOperation `json:"get,omitempty"`
	Put    *oaOperation `json:"put,omitempty"`
	Post   *oaOperation `json:"post,omitempty"`
	Patch  *oaOperation `json:"patch,omitempty"`
	Delete *oaOperation `json:"delete,omitempty"`
}

type oaOperation struct {
	Tags        []string               `json:"tags"`
	Summary     string                 `json:"summary"`
	Description string                 `json:"description,omitempty"`
	OperationID string                 `json:"operationId"`
	Parameters  []*oaParameter         `json:"parameters,omitempty"`
	RequestBody *oaRequestBody         `json:"requestBody,omitempty"`
	Responses   map[string]*oaResponse `json:"responses"`
	// Security overrides the document's; an empty list is "no auth".
	Security *[]oaSecurityReq `json:"security,omitempty"`
}

type oaParameter struct {
	Ref         string    `json:"$ref,omitempty"`
	Name        string    `json:"name,omitempty"`
	In          string    `json:"in,omitempty"`
	Description string    `json:"description,omitempty"`
	Required    bool      `json:"required,omitempty"`
	Schema      *oaSchema `json:"schema,omitempty"`
	Example     any       `json:"example,omitempty"`
}

type oaRequestBody struct {
	Description string             `json:"description,omitempty"`
	Required    bool               `json:"required"`
	Content     map[string]oaMedia `json:"content"`
}

type oaMedia struct {
	Schema  *oaSchema `json:"schema"`
	Example any       `json:"example,omitempty"`
}

type oaResponse struct {
	Ref         string               `json:"$ref,omitempty"`
	Description string               `json:"description,omitempty"`
	Headers     map[string]*oaHeader `json:"headers,omitempty"`
	Content     map[string]oaMedia   `json:"content,omitempty"`
}

type oaHeader struct {
	Ref         string    `json:"$ref,omitempty"`
	Description string    `json:"description,omitempty"`
	Required    bool      `json:"required,omitempty"`
	Schema      *oaSchema `json:"schema,omitempty"`
}

// oaSchema is an OpenAPI 3.0 Schema Object (a JSON Schema dialect).
type oaSchema struct {
	Ref         string `json:"$ref,omitempty"`
	Title       string `json:"title,omitempty"`
	Type        string `json:"type,omitempty"`
	Format      string `json:"format,omitempty"`
	Description string `json:"description,omitempty"`
	Nullable    bool   `json:"nullable,omitempty"`
	Enum        []any  `json:"enum,omitempty"`
	Default     any    `json:"default,omitempty"`
	Minimum     *int   `json:"minimum,omitempty"`
	Maximum     *int   `json:"maximum,omitempty"`
	MinLength   *int   `json:"minLength,omitempty"`
	Pattern     string `json:"pattern,omitempty"`
	Example     any    `json:"example,omitempty"`
	// Properties keep their order in the output.
	Properties           oaProps     `json:"properties,omitempty"`
	Required             []string    `json:"required,omitempty"`
	AdditionalProperties any         `json:"additionalProperties,omitempty"` // bool or *oaSchema
	Items                *oaSchema   `json:"items,omitempty"`
	AnyOf                []*oaSchema `json:"anyOf,omitempty"`
	OneOf                []*oaSchema `json:"oneOf,omitempty"`
}

// oaProp is one property of an object schema.
type oaProp struct {
	name   string
	schema *oaSchema
}

// oaProps is an object's properties, marshalled in order.
type oaProps []oaProp

func (ps oaProps) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(p.name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(p.schema)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Schema helpers: short constructors for the document's literals.

func intp(n int) *int { return &n }

func prop(name string, s *oaSchema) oaProp { return oaProp{name, s} }

func ref(name string) *oaSchema { return &oaSchema{Ref: "#/components/schemas/" + name} }

func str(desc string) *oaSchema { return &oaSchema{Type: "string", Description: desc} }

func boolean(desc string) *oaSchema { return &oaSchema{Type: "boolean", Description: desc} }

func integer(desc string) *oaSchema { return &oaSchema{Type: "integer", Description: desc} }

func arrayOf(items *oaSchema, desc string) *oaSchema {
	return &oaSchema{Type: "array", Items: items, Description: desc}
}

// object is an object schema with its properties in order; required names
// the properties that are always there.
func object(title, desc string, required []string, props ...oaProp) *oaSchema {
	return &oaSchema{Type: "object", Title: title, Description: desc, Properties: props, Required: required}
}

// closed forbids unknown fields, as the request models do (422 extra_forbidden).
func closed(s *oaSchema) *oaSchema {
	s.AdditionalProperties = false
	return s
}

func constTrue(desc string) *oaSchema {
	return &oaSchema{Type: "boolean", Enum: []any{true}, Description: desc}
}

// Response helpers.

func respRef(name string) *oaResponse { return &oaResponse{Ref: "#/components/responses/" + name} }

func jsonResponse(desc string, schema *oaSchema, example any) *oaResponse {
	return &oaResponse{Description: desc, Content: map[string]oaMedia{"application/json": {Schema: schema, Example: example}}}
}

// detailResponse is an error with the original's {"detail": "..."} body.
func detailResponse(desc, example string) *oaResponse {
	return jsonResponse(desc, ref("HTTPError"), map[string]string{"detail": example})
}

// withETag adds the ETag header of the spec's revision to a response.
func withETag(r *oaResponse) *oaResponse {
	if r.Headers == nil {
		r.Headers = map[string]*oaHeader{}
	}
	r.Headers["ETag"] = &oaHeader{Ref: "#/components/headers/ETag"}
	return r
}

func paramRef(name string) *oaParameter { return &oaParameter{Ref: "#/components/parameters/" + name} }

// responses merges response sets: later ones win.
func responses(sets ...map[string]*oaResponse) map[string]*oaResponse {
	out := map[string]*oaResponse{}
	for _, set := range sets {
		for code, r := range set {
			out[code] = r
		}
	}
	return out
}

// authed are the responses of every endpoint but /health: a token may be
// required, and a handler may fail unexpectedly.
func authed(rs map[string]*oaResponse) map[string]*oaResponse {
	return responses(map[string]*oaResponse{"401": respRef("Unauthorized")}, rs)
}

func jsonBody(desc string, schema *oaSchema, example any) *oaRequestBody {
	return &oaRequestBody{Description: desc, Required: true, Content: map[string]oaMedia{"application/json": {Schema: schema, Example: example}}}
}
