package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"syscall"

	"github.com/orchestrator/orchestrator/api/wire"
	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/spec"
)

// apiError is an error with its status, code and the FastAPI-style detail
// that a client of the original expects: a string, or a 422's list.
// Handlers return it (or any error, which render classifies); render is the
// only writer of error bodies.
type apiError struct {
	status int
	code   wire.Code
	detail any // a string, or []wire.Issue
	errors []wire.FileError
	header http.Header
}

func (e *apiError) Error() string { return fmt.Sprint(e.detail) }

func errorf(status int, code wire.Code, format string, args ...any) error {
	return &apiError{status: status, code: code, detail: fmt.Sprintf(format, args...)}
}

// invalid is a 422 with one issue.
func invalid(loc []any, typ, format string, args ...any) error {
	return unprocessableIssues([]wire.Issue{{Loc: loc, Msg: fmt.Sprintf(format, args...), Type: typ}})
}

func unprocessableIssues(issues []wire.Issue) error {
	return &apiError{status: http.StatusUnprocessableEntity, code: wire.CodeSpecInvalid, detail: issues}
}

// unprocessable turns the spec's field errors into a 422, with each error's
// field path under "body", the way FastAPI reports a request model.
func unprocessable(errs spec.FieldErrors) error {
	out := make([]wire.Issue, 0, len(errs))
	for _, e := range errs {
		loc := []any{"body"}
		for _, l := range e.Loc {
			loc = append(loc, l)
		}
		out = append(out, wire.Issue{Loc: loc, Msg: e.Msg, Type: e.Type()})
	}
	return unprocessableIssues(out)
}

// fileErrors are the errors of a broken document, as data.
func fileErrors(errs spec.FieldErrors) []wire.FileError {
	out := make([]wire.FileError, 0, len(errs))
	for _, e := range errs {
		out = append(out, wire.FileError{File: e.File, Line: e.Line, Field: e.Field, Message: e.Msg})
	}
	return out
}

// classify is the answer to an error that no handler typed: the kinds of
// the spec package and the engine, each with its status and code.
func classify(err error) *apiError {
	var ae *apiError
	var fe spec.FieldErrors
	var mb *http.MaxBytesError
	at := func(status int, code wire.Code) *apiError {
		return &apiError{status: status, code: code, detail: err.Error()}
	}
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &mb):
		return tooLarge(mb.Limit)
	case errors.Is(err, spec.ErrUpstreamChanged): // before ErrConflict: it is no spec's conflict
		return at(http.StatusConflict, wire.CodeUpstreamChanged)
	case errors.Is(err, spec.ErrRecordFailed):
		return at(http.StatusServiceUnavailable, wire.CodeRecordFailed)
	case errors.Is(err, spec.ErrConflict):
		return at(http.StatusConflict, wire.CodeConflict)
	case errors.Is(err, spec.ErrBrokenFile):
		// before the field errors: a broken document in the directory
		// carries its own, which are not the request's
		out := at(http.StatusConflict, wire.CodeBrokenFile)
		if errors.As(err, &fe) {
			out.errors = fileErrors(fe)
		}
		return out
	case errors.As(err, &fe):
		return unprocessable(fe).(*apiError)
	case errors.Is(err, spec.ErrUnsafeName):
		return invalid([]any{"body", "image"}, "value_error", "%v", err).(*apiError)
	case errors.Is(err, spec.ErrPrecondition):
		return at(http.StatusPreconditionFailed, wire.CodePrecondition)
	case errors.Is(err, spec.ErrNotFound), errors.Is(err, engine.ErrNotFound):
		return at(http.StatusNotFound, wire.CodeNotFound)
	case errors.Is(err, spec.ErrRootMissing):
		return at(http.StatusServiceUnavailable, wire.CodeRootMissing)
	case noSpace(err):
		return at(http.StatusInsufficientStorage, wire.CodeInsufficientStorage)
	}
	return at(http.StatusInternalServerError, codeOf(err))
}

// noSpace reports whether err is a write that the state directory's file
// system had no room for: full (ENOSPC) or over quota (EDQUOT). The spec
// package's writes leave the file as it was, and say which file and why
// ("write web.yaml: no space left on device (the file is unchanged)").
func noSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// codeOf is the code of a failure that answers 500: the engine's kind when
// it has one.
func codeOf(err error) wire.Code {
	switch {
	case errors.Is(err, engine.ErrImageUnavailable):
		return wire.CodeImageUnavailable
	case errors.Is(err, engine.ErrUnavailable):
		return wire.CodeEngineUnavailable
	}
	return wire.CodeInternal
}

// render writes err as the response: the one error renderer of every
// handler, so that every failure has the original's shape and a code.
func (s *Server) render(w http.ResponseWriter, r *http.Request, err error) {
	ae := classify(err)
	if ae.status >= 500 {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "code", ae.code, "err", err)
	}
	writeError(w, ae)
}

func writeError(w http.ResponseWriter, ae *apiError) {
	for k, vs := range ae.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	writeJSON(w, ae.status, wire.Error{Detail: ae.detail, Code: ae.code, Errors: ae.errors})
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

// errNotFound is the router's answer to a path it does not serve: a code of
// its own, so that a client can tell a wrong URL from a missing spec.
var errNotFound = &apiError{status: http.StatusNotFound, code: wire.CodeNoRoute, detail: "Not Found"}

var errUnauthorized = &apiError{status: http.StatusUnauthorized, code: wire.CodeUnauthorized, detail: "Not authenticated",
	header: http.Header{"WWW-Authenticate": {`Bearer realm="orchestrator"`}}}

var errInternal = &apiError{status: http.StatusInternalServerError, code: wire.CodeInternal, detail: "internal error"}

func methodNotAllowed(allow ...string) error {
	return &apiError{status: http.StatusMethodNotAllowed, code: wire.CodeMethodNotAllowed, detail: "Method Not Allowed",
		header: http.Header{"Allow": {strings.Join(allow, ", ")}}}
}

func tooLarge(limit int64) *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge, code: wire.CodeBodyTooLarge,
		detail: fmt.Sprintf("request body too large: the limit is %d bytes", limit)}
}

func containerNotFound(x string) error {
	return errorf(http.StatusNotFound, wire.CodeNotFound, "Container '%s' not found", x)
}

// engineRefused is the original's 400 for a container action that failed
// in the engine. The status stays the original's; the code says whether
// the engine refused it or could not be reached.
func engineRefused(err error) error {
	if errors.Is(err, engine.ErrUnsupported) { // a swarm task: Swarm would replace it
		return errorf(http.StatusConflict, wire.CodeUnsupportedOnEngine, "%v", err)
	}
	code := wire.CodeEngineRefused
	if errors.Is(err, engine.ErrUnavailable) {
		code = wire.CodeEngineUnavailable
	}
	return errorf(http.StatusBadRequest, code, "%v", err)
}

// slogDiscard is the logger of a server built without one.
var slogDiscard = slog.New(slog.DiscardHandler)
