package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/orchestrator/orchestrator/api/wire"
	"github.com/orchestrator/orchestrator/spec"
)

// errServer marks an error about the server as a whole, not about one
// spec: it cannot be reached, refuses the token, failed (5xx) or is not an
// orchestrator. A verb stops at the first one instead of reporting it once
// per spec.
var errServer = errors.New("server error")

// serverError is an error that errors.Is classifies as errServer; it prints
// as the error it wraps.
type serverError struct{ err error }

func (e *serverError) Error() string        { return e.err.Error() }
func (e *serverError) Unwrap() error        { return e.err }
func (e *serverError) Is(target error) bool { return target == errServer }

// apiError is an error answer of the server. It prints as the server's
// detail, and unwraps to the spec package's sentinel that its code stands
// for, and to the field errors it carries, so that the verbs handle it as
// they handle the same error of a state directory. Only the code is read,
// never the English of the detail (docs/design.md §12).
type apiError struct {
	status int
	code   wire.Code
	detail string
	kind   error            // a spec sentinel, or nil
	fields spec.FieldErrors // of a 422, or of the broken file of a 409
}

func (e *apiError) Error() string { return e.detail }

func (e *apiError) Unwrap() []error {
	var out []error
	if e.kind != nil {
		out = append(out, e.kind)
	}
	if e.fields != nil {
		out = append(out, e.fields)
	}
	return out
}

// kindOf is the spec sentinel that each code stands for.
var kindOf = map[wire.Code]error{
	wire.CodeNotFound:     spec.ErrNotFound,
	wire.CodePrecondition: spec.ErrPrecondition,
	wire.CodeConflict:     spec.ErrConflict,
	wire.CodeBrokenFile:   spec.ErrBrokenFile,
	wire.CodeSpecInvalid:  spec.ErrInvalid,
	wire.CodeRootMissing:  spec.ErrRootMissing,
}

// apiError turns an answer that is no success into an error.
func (c *client) apiError(method, path string, status int, raw []byte) error {
	var body struct {
		Detail json.RawMessage  `json:"detail"`
		Code   wire.Code        `json:"code"`
		Errors []wire.FileError `json:"errors"`
	}
	if json.Unmarshal(raw, &body) != nil || body.Code == "" || body.Code == wire.CodeNoRoute {
		// Not this API's answer, or no such endpoint: no orchestrator (of
		// this version) at that URL.
		return &serverError{fmt.Errorf("%s %s%s: %d %s: is this an orchestrator server?", method, c.base, path, status, http.StatusText(status))}
	}
	detail := ""
	var issues []wire.Issue
	if json.Unmarshal(body.Detail, &detail) != nil && json.Unmarshal(body.Detail, &issues) != nil {
		detail = string(body.Detail)
	}
	e := &apiError{status: status, code: body.Code, detail: detail, kind: kindOf[body.Code]}
	switch {
	case body.Code == wire.CodeUnauthorized:
		hint := "give its token with --token or $" + envToken
		if c.token != "" {
			hint = "the token given is not the server's"
		}
		return &serverError{fmt.Errorf("the orchestrator at %s refused the request: %s (%s)", c.base, detail, hint)}
	case body.Code == wire.CodeBrokenFile:
		e.fields = brokenFileErrors(body.Errors)
	case body.Code == wire.CodeSpecInvalid && issues != nil:
		e.kind, e.fields = nil, fieldErrors(issues)
		e.detail = e.fields.Error()
	case e.kind == nil && status >= 500:
		return &serverError{fmt.Errorf("the orchestrator at %s failed: %d %s: %s", c.base, status, http.StatusText(status), detail)}
	}
	return e
}

// fieldErrors turns a 422's issues into field errors: loc without "body"
// as the field path, written the way the spec package writes it
// (resources.cpu, env["A"], ports["80/tcp"]).
func fieldErrors(issues []wire.Issue) spec.FieldErrors {
	out := make(spec.FieldErrors, 0, len(issues))
	for _, is := range issues {
		loc := make([]string, 0, len(is.Loc))
		for i, l := range is.Loc {
			if i == 0 && l == "body" {
				continue
			}
			loc = append(loc, fmt.Sprint(l))
		}
		out = append(out, &spec.FieldError{Field: fieldPath(loc), Loc: loc, Msg: is.Msg})
	}
	return out
}

// mapFields are the fields of a spec whose keys are names, not fields.
var mapFields = map[string]bool{"env": true, "ports": true}

// fieldPath joins loc as the spec package does: fields with ".", the keys
// of env and ports quoted in brackets.
func fieldPath(loc []string) string {
	var b strings.Builder
	for i, l := range loc {
		switch {
		case i == 1 && mapFields[loc[0]]:
			b.WriteString("[" + strconv.Quote(l) + "]")
		case i > 0:
			b.WriteString("." + l)
		default:
			b.WriteString(l)
		}
	}
	return b.String()
}

// brokenFileErrors are the errors of a broken file that a 409 lists as
// data; nil when there are none.
func brokenFileErrors(errs []wire.FileError) spec.FieldErrors {
	var out spec.FieldErrors
	for _, e := range errs {
		out = append(out, &spec.FieldError{File: e.File, Line: e.Line, Field: e.Field, Msg: e.Message})
	}
	return out
}
