package wire

// Code is the stable, machine-readable kind of an API error, for clients
// that must not parse English (docs/design.md §12). It goes beside the
// original's "detail", which stays as it was.
type Code string

// The error codes, with the status each goes with.
const (
	CodeSpecInvalid       Code = "spec_invalid"        // 422: the body (or path image) breaks a rule; detail is FastAPI's list
	CodeNotFound          Code = "not_found"           // 404: no such spec or managed container
	CodeNoRoute           Code = "no_route"            // 404: no such path (FastAPI's "Not Found")
	CodeMethodNotAllowed  Code = "method_not_allowed"  // 405
	CodePrecondition      Code = "precondition_failed" // 412: If-Match is not the spec's revision
	CodeConflict          Code = "conflict"            // 409: the image is defined twice in the state directory
	CodeBrokenFile        Code = "broken_file"         // 409: the document that holds the image has errors; see Errors
	CodeAmbiguous         Code = "ambiguous"           // 400: an id prefix matches several containers
	CodeEngineRefused     Code = "engine_refused"      // 400: the engine refused a container action
	CodeUnauthorized      Code = "unauthorized"        // 401: a token is needed, or it is not the server's
	CodeBodyTooLarge      Code = "body_too_large"      // 413
	CodeRootMissing       Code = "root_missing"        // 503: the state directory is missing or unreadable
	CodeEngineUnavailable Code = "engine_unavailable"  // 500 (400 on a container PATCH or DELETE): the engine cannot be reached
	CodeImageUnavailable  Code = "image_unavailable"   // 500: the image is not present and could not be pulled
	CodeNotConverged      Code = "not_converged"       // 500: the passes did not get the image where the call wanted it
	CodeUpstreamChanged   Code = "upstream_changed"    // 409: the git remote changed the same file meanwhile; nothing was written
	CodeRecordFailed      Code = "record_failed"       // 503: the write could not be committed and pushed; nothing was written
	CodeGitUnavailable    Code = "git_unavailable"     // 502: the git remote could not be fetched
	CodeInternal          Code = "internal"            // 500: anything else

	// 409: the engine has no equivalent of a container action (a swarm
	// task cannot be stopped by itself): scale the image instead.
	CodeUnsupportedOnEngine Code = "unsupported_on_engine"

	// 507: the state directory's file system is full (or over quota); the file is unchanged.
	CodeInsufficientStorage Code = "insufficient_storage"
)

// Codes are every Code, for the document's enum (Go cannot list a type's
// constants; a test reads this package's source to keep the list whole).
var Codes = []Code{
	CodeSpecInvalid, CodeNotFound, CodeNoRoute, CodeMethodNotAllowed, CodePrecondition, CodeConflict, CodeBrokenFile,
	CodeAmbiguous, CodeEngineRefused, CodeUnauthorized, CodeBodyTooLarge, CodeRootMissing,
	CodeEngineUnavailable, CodeImageUnavailable, CodeNotConverged, CodeUpstreamChanged, CodeRecordFailed,
	CodeGitUnavailable, CodeInsufficientStorage, CodeUnsupportedOnEngine, CodeInternal,
}

// Error is the body of every error answer: the original's detail (a string,
// or FastAPI's list of Issue for a 422) and its Code. Errors lists the
// problems of a broken file (CodeBrokenFile) as data.
type Error struct {
	Detail any         `json:"detail"`
	Code   Code        `json:"code"`
	Errors []FileError `json:"errors,omitempty"`
}

// Issue is one entry of a FastAPI 422 detail.
type Issue struct {
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
	Type string `json:"type"` // pydantic's error type, e.g. missing, int_parsing, value_error
}

// FileError is one problem of a document in the state directory.
type FileError struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}
