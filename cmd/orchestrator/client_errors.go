package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

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
// detail, and unwraps to the spec package's sentinel that its status stands
// for, and to the field errors it carries, so that the verbs handle it as
// they handle the same error of a state directory:
//
//	404 -> spec.ErrNotFound         412 -> spec.ErrPrecondition
//	409 -> spec.ErrConflict, or spec.ErrBrokenFile with the file's errors
//	422 -> spec.FieldErrors (loc without "body" as the field path)
//	503 -> spec.ErrRootMissing
type apiError struct {
	status int
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

// issue is one entry of a FastAPI 422 body.
type issue struct {
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
	Type string `json:"type"`
}

// apiError turns an answer that is no success into an error.
func (c *client) apiError(method, path string, status int, raw []byte) error {
	var body struct {
		Detail json.RawMessage `json:"detail"`
	}
	detail := ""
	var issues []issue
	isAPI := json.Unmarshal(raw, &body) == nil && len(body.Detail) > 0
	if isAPI {
		if json.Unmarshal(body.Detail, &detail) != nil && json.Unmarshal(body.Detail, &issues) != nil {
			detail = string(body.Detail)
		}
	} else {
		detail = strings.TrimSpace(string(raw))
		if len(detail) > 200 {
			detail = detail[:200] + "..."
		}
	}
	if detail == "" && issues == nil {
		detail = http.StatusText(status)
	}
	if status < 500 && status != http.StatusUnauthorized && (!isAPI || (status == http.StatusNotFound && detail == "Not Found")) {
		// Not the API's answer, or its router's 404: no such endpoint.
		return &serverError{fmt.Errorf("%s %s%s: %d %s: is this an orchestrator server?", method, c.base, path, status, http.StatusText(status))}
	}
	e := &apiError{status: status, detail: detail}
	switch {
	case status == http.StatusUnauthorized:
		hint := "give its token with --token or $" + envToken
		if c.token != "" {
			hint = "the token given is not the server's"
		}
		return &serverError{fmt.Errorf("the orchestrator at %s refused the request: %s (%s)", c.base, detail, hint)}
	case status == http.StatusNotFound:
		e.kind = spec.ErrNotFound
	case status == http.StatusPreconditionFailed:
		e.kind = spec.ErrPrecondition
	case status == http.StatusConflict && strings.HasPrefix(detail, spec.ErrConflict.Error()):
		e.kind = spec.ErrConflict
	case status == http.StatusConflict:
		e.kind = spec.ErrBrokenFile
		e.fields = brokenFileErrors(detail)
	case status == http.StatusUnprocessableEntity && issues != nil:
		e.fields = fieldErrors(issues)
		e.detail = e.fields.Error()
	case status == http.StatusUnprocessableEntity:
		e.kind = spec.ErrInvalid
	case status == http.StatusServiceUnavailable && strings.HasPrefix(detail, spec.ErrRootMissing.Error()):
		e.kind = spec.ErrRootMissing
	case status >= 500:
		return &serverError{fmt.Errorf("the orchestrator at %s failed: %d %s: %s", c.base, status, http.StatusText(status), detail)}
	}
	return e
}

// fieldErrors turns a 422's issues into field errors: loc without "body"
// as the field path, written the way the spec package writes it
// (resources.cpu, env["A"], ports["80/tcp"]).
func fieldErrors(issues []issue) spec.FieldErrors {
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

// errorLine is one "file:line: message" line of a detail.
var errorLine = regexp.MustCompile(`^(\S[^:]*):(\d+): (.+)$`)

// brokenAt finds the place in GET /images/{image}'s 409 for a spec whose
// document has errors.
var brokenAt = regexp.MustCompile(` at (\S+) has errors$`)

// storedErrors works around the API's answer to a PUT onto a spec whose
// document in the state directory has errors: a 422 that lists that
// document's errors as if they were the body's (with "body" in loc, and no
// file or line). When a 422 comes back and GET /images/{image} says that
// the document has errors, the field errors are the document's: the error
// becomes spec.ErrBrokenFile, at the document's place.
func (c *client) storedErrors(image string, err error) error {
	var ae *apiError
	if !errors.As(err, &ae) || ae.status != http.StatusUnprocessableEntity || ae.fields == nil {
		return err
	}
	_, gerr := c.entry(image)
	var ge *apiError
	if !errors.Is(gerr, spec.ErrBrokenFile) || !errors.As(gerr, &ge) {
		return err
	}
	var src spec.Source
	if m := brokenAt.FindStringSubmatch(ge.detail); m != nil {
		src = parseSource(m[1])
	}
	fields := make(spec.FieldErrors, len(ae.fields))
	for i, f := range ae.fields {
		c := *f
		c.File, c.Line = src.File, src.Line
		fields[i] = &c
	}
	return &apiError{status: http.StatusConflict, detail: ge.detail, kind: spec.ErrBrokenFile, fields: fields}
}

// brokenFileErrors reads back the errors of a broken file that the server
// lists in a 409's detail, one "file:line: field: message" per line after
// the first; nil when there are none.
func brokenFileErrors(detail string) spec.FieldErrors {
	var out spec.FieldErrors
	lines := strings.Split(detail, "\n")
	for _, l := range lines[1:] {
		m := errorLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		out = append(out, &spec.FieldError{File: m[1], Line: n, Msg: m[3]})
	}
	return out
}
