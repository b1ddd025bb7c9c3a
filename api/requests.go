package api

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/orchestrator/orchestrator/api/wire"
	"github.com/orchestrator/orchestrator/spec"
)

// readJSON reads a request body that must be one JSON object, and returns
// it with its fields. Every failure is a 422 in FastAPI's words.
func readJSON(r *http.Request) ([]byte, map[string]json.RawMessage, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, nil, err // a *http.MaxBytesError renders as 413
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil, invalid([]any{"body"}, "missing", "Field required")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) || !json.Valid(body) {
			offset := int64(0)
			if se != nil {
				offset = se.Offset
			}
			return nil, nil, invalid([]any{"body", offset}, "json_invalid", "JSON decode error: %v", err)
		}
		return nil, nil, invalid([]any{"body"}, "model_attributes_type", "Input should be a valid dictionary or object to extract fields from")
	}
	if fields == nil {
		return nil, nil, invalid([]any{"body"}, "model_attributes_type", "Input should be a valid dictionary or object to extract fields from")
	}
	return body, fields, nil
}

// parseSpec reads the body of POST /start/container: a spec, with every
// rule of the spec format (the original's model, and more).
func parseSpec(r *http.Request, opts spec.Options) (spec.Spec, error) {
	body, _, err := readJSON(r)
	if err != nil {
		return spec.Spec{}, err
	}
	docs, errs := spec.Parse("body", body, opts)
	if len(errs) > 0 {
		return spec.Spec{}, unprocessable(errs)
	}
	if len(docs) != 1 {
		return spec.Spec{}, invalid([]any{"body"}, "missing", "Field required")
	}
	return docs[0].Spec, nil
}

// scaleRequest is the original ScaleRequest.
type scaleRequest struct {
	MinReplicas int `json:"min_replicas"`
	MaxReplicas int `json:"max_replicas"`
}

func parseScale(r *http.Request) (scaleRequest, error) {
	_, fields, err := readJSON(r)
	if err != nil {
		return scaleRequest{}, err
	}
	var req scaleRequest
	var issues []wire.Issue
	for _, f := range []struct {
		name string
		min  int
		dst  *int
	}{{"min_replicas", 0, &req.MinReplicas}, {"max_replicas", 1, &req.MaxReplicas}} {
		raw, ok := fields[f.name]
		delete(fields, f.name)
		switch n, good := laxInt(raw); {
		case !ok:
			issues = append(issues, wire.Issue{Loc: []any{"body", f.name}, Msg: "Field required", Type: "missing"})
		case !good:
			issues = append(issues, wire.Issue{Loc: []any{"body", f.name}, Msg: "Input should be a valid integer", Type: "int_parsing"})
		case n < f.min:
			issues = append(issues, wire.Issue{Loc: []any{"body", f.name}, Msg: fmt.Sprintf("Input should be greater than or equal to %d", f.min), Type: "greater_than_equal"})
		default:
			*f.dst = n
		}
	}
	issues = append(issues, extraFields(fields)...)
	if len(issues) == 0 && req.MinReplicas > req.MaxReplicas {
		issues = append(issues, wire.Issue{Loc: []any{"body", "min_replicas"}, Msg: fmt.Sprintf("%d is greater than max_replicas %d", req.MinReplicas, req.MaxReplicas), Type: "value_error"})
	}
	if len(issues) > 0 {
		return scaleRequest{}, unprocessableIssues(issues)
	}
	return req, nil
}

// parsePatch reads the original PatchContainerRequest.
func parsePatch(r *http.Request) (spec.Status, error) {
	_, fields, err := readJSON(r)
	if err != nil {
		return "", err
	}
	raw, ok := fields["status"]
	delete(fields, "status")
	var issues []wire.Issue
	var status string
	switch {
	case !ok:
		issues = append(issues, wire.Issue{Loc: []any{"body", "status"}, Msg: "Field required", Type: "missing"})
	case json.Unmarshal(raw, &status) != nil || (status != "running" && status != "stopped"):
		issues = append(issues, wire.Issue{Loc: []any{"body", "status"}, Msg: "Input should be 'running' or 'stopped'", Type: "literal_error"})
	}
	issues = append(issues, extraFields(fields)...)
	if len(issues) > 0 {
		return "", unprocessableIssues(issues)
	}
	return spec.Status(status), nil
}

func extraFields(fields map[string]json.RawMessage) []wire.Issue {
	var out []wire.Issue
	for name := range fields {
		out = append(out, wire.Issue{Loc: []any{"body", name}, Msg: "Extra inputs are not permitted", Type: "extra_forbidden"})
	}
	return out
}

// laxInt reads an integer as pydantic's lax mode does: 3, "3" or 3.0.
func laxInt(raw json.RawMessage) (int, bool) {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return 0, false
	}
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<31 {
			return int(x), true
		}
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(x)); err == nil && n > -1<<31 && n < 1<<31 {
			return n, true
		}
	}
	return 0, false
}

// checkBearer compares in constant time.
func checkBearer(header, token string) bool {
	scheme, got, ok := strings.Cut(header, " ")
	return ok && strings.EqualFold(scheme, "Bearer") && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
}

// CheckBind refuses to serve a non-loopback address without a token: the
// API can start any container on the host.
func CheckBind(addr, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", addr, err)
	}
	if token != "" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	// A name is loopback only if everything it resolves to is.
	if addrs, err := net.LookupHost(host); err == nil && len(addrs) > 0 && allLoopback(addrs) {
		return nil
	}
	return fmt.Errorf("refusing to serve on %s without a token: binding anything but loopback exposes the Docker host; set --token or ORCHESTRATOR_TOKEN", addr)
}

// ifMatch reads If-Match as a revision: quotes and a weak prefix dropped.
func ifMatch(r *http.Request) string {
	v := strings.TrimSpace(r.Header.Get("If-Match"))
	v = strings.TrimPrefix(v, "W/")
	return strings.Trim(v, `"`)
}

func setETag(w http.ResponseWriter, revision string) {
	if revision != "" {
		w.Header().Set("ETag", `"`+revision+`"`)
	}
}

func allLoopback(addrs []string) bool {
	for _, a := range addrs {
		if ip := net.ParseIP(a); ip == nil || !ip.IsLoopback() {
			return false
		}
	}
	return true
}
