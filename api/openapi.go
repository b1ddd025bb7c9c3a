package api

// The OpenAPI 3.0.3 document of the API, served at /openapi.json, built with
// kin-openapi's types. Its schemas are generated from the Go types
// (openapi_schemas.go); what is written by hand is what no type says: the
// operations with their descriptions and examples (openapi_paths.go), the
// shared responses and parameters (openapi_components.go), and the notes on
// the schemas (openapi_notes.go). TestOpenAPIMatchesResponses checks every
// operation's real answers against it.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/orchestrator/orchestrator/api/wire"
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
	openAPIOnce.Do(func() { openAPIBody = marshalOpenAPI(openAPIDocument(Version)) })
	return openAPIBody
}

// marshalOpenAPI is doc as indented JSON. kin-openapi's marshaller escapes
// HTML ("<token>" as "\u003ctoken\u003e"); people read the document too, so
// it is decoded and written again without that. Both write object keys in
// sorted order, so nothing moves.
func marshalOpenAPI(doc *openapi3.T) []byte {
	raw, err := json.Marshal(doc)
	if err != nil {
		panic("api: marshal the OpenAPI document: " + err.Error()) // plain data: unreachable
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // numbers stay as written
	var v any
	if err := dec.Decode(&v); err != nil {
		panic("api: read back the OpenAPI document: " + err.Error())
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		panic("api: marshal the OpenAPI document: " + err.Error())
	}
	return buf.Bytes()
}

// openAPI serves the OpenAPI 3 document of the API.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(openAPIJSON()) // the client went away: nothing to tell it
}

// openAPIDocument is the whole document. Every route of Handler is in it;
// TestOpenAPICoversRouter checks both ways.
func openAPIDocument(version string) *openapi3.T {
	s := newSchemaSet()
	paths := openAPIPaths(s) // before the components: the operations add the schemas of their bodies
	return &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{
			Title:   "Orchestrator",
			Version: version,
			Description: "A GitOps-style Docker container orchestrator. The desired state is the spec files of a state " +
				"directory; this API is the REST API of the original FastAPI orchestrator over those files: every write " +
				"is a file write followed by a reconcile pass.\n\n" +
				"Errors have the original's shape, `{\"detail\": \"...\"}`, plus a stable `code` for clients that must " +
				"not parse English (`HTTPError`; docs/design.md §12). Validation errors are 422 with FastAPI's list as " +
				"the detail (`HTTPValidationError`). An unknown path is 404 `{\"detail\": \"Not Found\", \"code\": " +
				"\"not_found\"}`, and a known path with a method it does not serve is 405 `{\"detail\": \"Method Not " +
				"Allowed\", \"code\": \"method_not_allowed\"}` (components/responses NotFound and MethodNotAllowed). A " +
				"request body over 1 MiB (1048576 bytes) is 413, on any path.\n\n" +
				"When the server runs with a token (`--token` or `ORCHESTRATOR_TOKEN`), every endpoint but " +
				"`GET /health` needs `Authorization: Bearer <token>`, else 401. Without a token, no endpoint needs one.",
		},
		Servers: openapi3.Servers{{URL: "/", Description: "this server"}},
		Tags: openapi3.Tags{
			{Name: "containers", Description: "The original endpoints that start and act on containers."},
			{Name: "images", Description: "Specs (the desired state, one per image) and their containers."},
			{Name: "meta", Description: "Liveness, metrics and this documentation."},
			{Name: "git", Description: "The git remote behind the state directory, with serve --git."},
		},
		Security:   openapi3.SecurityRequirements{{"bearerAuth": {}}},
		Paths:      paths,
		Components: openAPIComponents(s),
	}
}

// Helpers for the operations' literals.

func respRef(name string) *openapi3.ResponseRef {
	return &openapi3.ResponseRef{Ref: "#/components/responses/" + name}
}

func paramRef(name string) *openapi3.ParameterRef {
	return &openapi3.ParameterRef{Ref: "#/components/parameters/" + name}
}

func jsonContent(schema *openapi3.SchemaRef, example any) openapi3.Content {
	media := &openapi3.MediaType{Schema: schema}
	if example != nil {
		media.Example = toJSON(example)
	}
	return openapi3.Content{"application/json": media}
}

func response(desc string, content openapi3.Content) *openapi3.ResponseRef {
	return &openapi3.ResponseRef{Value: &openapi3.Response{Description: &desc, Content: content}}
}

// jsonResponse is a JSON answer whose body is a T: its schema is T's, and
// the example, a T, cannot have another shape.
func jsonResponse[T any](s *schemaSet, desc string, example T) *openapi3.ResponseRef {
	return response(desc, jsonContent(schemaOf[T](s), example))
}

// detailResponse is an error answer: an HTTPError with a string detail.
func detailResponse(s *schemaSet, desc string, code wire.Code, detail string) *openapi3.ResponseRef {
	return jsonResponse(s, desc, wire.Error{Detail: detail, Code: code})
}

// withETag adds the ETag header of the spec's revision to a response.
func withETag(r *openapi3.ResponseRef) *openapi3.ResponseRef {
	if r.Value.Headers == nil {
		r.Value.Headers = openapi3.Headers{}
	}
	r.Value.Headers["ETag"] = &openapi3.HeaderRef{Ref: "#/components/headers/ETag"}
	return r
}

// responses are an operation's answers by status.
func responses(rs map[int]*openapi3.ResponseRef) *openapi3.Responses {
	out := openapi3.NewResponses()
	for code, r := range rs {
		out.Set(strconv.Itoa(code), r)
	}
	return out
}

// authed are the responses of an endpoint behind the token: 401 is one.
func authed(rs map[int]*openapi3.ResponseRef) *openapi3.Responses {
	rs[http.StatusUnauthorized] = respRef("Unauthorized")
	return responses(rs)
}

func jsonBody(desc string, schema *openapi3.SchemaRef, example any) *openapi3.RequestBodyRef {
	return &openapi3.RequestBodyRef{Value: &openapi3.RequestBody{Description: desc, Required: true, Content: jsonContent(schema, example)}}
}
