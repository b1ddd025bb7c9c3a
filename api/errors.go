package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/orchestrator/orchestrator/reconciler"
	"github.com/orchestrator/orchestrator/spec"
)

// httpError is an error with the status code and FastAPI-style body that a
// client of the original expects: {"detail": "..."}.
type httpError struct {
	code   int
	detail any // a string, or the list of a 422
	header http.Header
}

func (e *httpError) Error() string { return fmt.Sprint(e.detail) }

func errorf(code int, format string, args ...any) error {
	return &httpError{code: code, detail: fmt.Sprintf(format, args...)}
}

// issue is one entry of a FastAPI 422 body.
type issue struct {
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
	Type string `json:"type"`
}

// invalid is a 422 with one issue.
func invalid(loc []any, typ, format string, args ...any) error {
	return &httpError{code: http.StatusUnprocessableEntity, detail: []issue{{Loc: loc, Msg: fmt.Sprintf(format, args...), Type: typ}}}
}

// unprocessable turns the spec's field errors into a 422, with each error's
// field path under "body", the way FastAPI reports a request model.
func unprocessable(errs spec.FieldErrors) error {
	out := make([]issue, 0, len(errs))
	for _, e := range errs {
		loc := []any{"body"}
		for _, l := range e.Loc {
			loc = append(loc, l)
		}
		out = append(out, issue{Loc: loc, Msg: e.Msg, Type: issueType(e)})
	}
	return &httpError{code: http.StatusUnprocessableEntity, detail: out}
}

// issueType names an error the way pydantic does, for clients that switch
// on "type".
func issueType(e *spec.FieldError) string {
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

// render writes err as the response: the one error renderer of every
// handler, so that every failure has the original's shape.
func (s *Server) render(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	var fe spec.FieldErrors
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &he):
	case errors.As(err, &mb):
		he = &httpError{code: http.StatusRequestEntityTooLarge, detail: fmt.Sprintf("request body too large: the limit is %d bytes", mb.Limit)}
	case errors.Is(err, spec.ErrConflict), errors.Is(err, spec.ErrBrokenFile):
		// before the field errors: a broken document in the directory
		// carries its own, which are not the request's
		he = &httpError{code: http.StatusConflict, detail: err.Error()}
	case errors.As(err, &fe):
		he = unprocessable(fe).(*httpError)
	case errors.Is(err, spec.ErrUnsafeName):
		he = invalid([]any{"body", "image"}, "value_error", "%v", err).(*httpError)
	case errors.Is(err, spec.ErrPrecondition):
		he = &httpError{code: http.StatusPreconditionFailed, detail: err.Error()}
	case errors.Is(err, spec.ErrNotFound):
		he = &httpError{code: http.StatusNotFound, detail: err.Error()}
	case errors.Is(err, spec.ErrRootMissing):
		he = &httpError{code: http.StatusServiceUnavailable, detail: err.Error()}
	case errors.Is(err, reconciler.ErrNotFound):
		he = &httpError{code: http.StatusNotFound, detail: err.Error()}
	default:
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		he = &httpError{code: http.StatusInternalServerError, detail: err.Error()}
	}
	for k, vs := range he.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	writeJSON(w, he.code, map[string]any{"detail": he.detail})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client went away: nothing to tell it
}

// handler is an HTTP handler that returns its error for render.
type handler func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.render(w, r, err)
		}
	}
}

var errNotFound = &httpError{code: http.StatusNotFound, detail: "Not Found"}

func methodNotAllowed(allow ...string) error {
	return &httpError{code: http.StatusMethodNotAllowed, detail: "Method Not Allowed", header: http.Header{"Allow": {strings.Join(allow, ", ")}}}
}

func containerNotFound(x string) error {
	return &httpError{code: http.StatusNotFound, detail: fmt.Sprintf("Container '%s' not found", x)}
}

// slogDiscard is the logger of a server built without one.
var slogDiscard = slog.New(slog.DiscardHandler)
