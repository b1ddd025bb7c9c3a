package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/orchestrator/orchestrator/api/wire"
	"github.com/orchestrator/orchestrator/spec"
)

// requestTimeout bounds one request to the server. No call of the CLI waits
// for a reconcile pass, so this is generous.
const requestTimeout = 90 * time.Second

// client is a store over the REST API of a running `orchestrator serve`:
// the server reads and writes its state directory with the same code as
// --dir does, so the verbs behave the same either way. Errors of the server
// come back as the spec package's sentinel errors (see apiError).
type client struct {
	base  string // the server's URL, without a trailing slash
	token string
	http  *http.Client
	// dirOK: the verb also works on a state directory (--dir), which the
	// message of an unreachable server then offers.
	dirOK bool
}

// openClient resolves the server for the verbs that talk to one: --server,
// else $ORCHESTRATOR_SERVER, else http://127.0.0.1:8000; and the token:
// --token, else $ORCHESTRATOR_TOKEN. An explicit --dir is a usage error here.
func (a *app) openClient() (*client, error) {
	if a.dir != "" {
		return nil, usagef("this command needs a running server (orchestrator serve), not --dir: use --server URL")
	}
	if a.server == "" {
		a.server = a.getenv(envServer)
	}
	if a.server == "" {
		a.server = defaultServer
	}
	if a.token == "" {
		a.token = a.getenv(envToken)
	}
	c, err := newClient(a.server, a.token)
	if err != nil {
		return nil, usagef("%v", err)
	}
	a.server = c.base
	return c, nil
}

// newClient returns a client of the server at raw ("host:port" means http).
func newClient(raw, token string) (*client, error) {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("--server %q is not a server URL (want e.g. %s)", raw, defaultServer)
	}
	return &client{base: strings.TrimSuffix(u.String(), "/"), token: token, http: &http.Client{Timeout: requestTimeout}}, nil
}

// imagePath is /images/{image}[/suffix], the image escaped as one segment.
func imagePath(image, suffix string) string {
	p := "/images/" + url.PathEscape(image)
	if suffix != "" {
		p += "/" + suffix
	}
	return p
}

// call sends one request, with body as JSON when it is not nil, and decodes
// a 2xx answer into out when it is not nil. Any other answer is an error
// (see apiError), and so is a server that cannot be reached.
func (c *client) call(method, path string, body any, ifMatch string, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode the request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if ifMatch != "" {
		if ifMatch != "*" {
			ifMatch = strconv.Quote(ifMatch)
		}
		req.Header.Set("If-Match", ifMatch)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return c.transportError(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return c.transportError(err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return c.apiError(method, path, resp.StatusCode, raw)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return &serverError{fmt.Errorf("%s %s%s: the answer is not the API's JSON (is this an orchestrator server?): %w", method, c.base, path, err)}
	}
	return nil
}

// transportError says that the server cannot be reached, and what to do.
func (c *client) transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return &serverError{fmt.Errorf("the orchestrator at %s did not answer within %s: %w", c.base, c.http.Timeout, ue.Err)}
		}
		err = ue.Err
	}
	hint := "start it with `orchestrator serve --dir DIR` (this command needs a running server)"
	if c.dirOK {
		hint = "start it with `orchestrator serve --dir DIR`, or use --dir"
	}
	return &serverError{fmt.Errorf("cannot reach the orchestrator at %s: %w; %s", c.base, err, hint)}
}

// Load reads the desired state with one GET /images: each item carries its
// revision and source. A stale item (its file is broken; the server still
// enforces its last good version) is a broken file here, as on a
// directory: in Found and Errors, not in Specs. Source.Index is unknown
// (0): the API gives a spec's place as "file:line".
func (c *client) Load() (*spec.Snapshot, error) {
	var list wire.ImageList
	if err := c.call(http.MethodGet, "/images", nil, "", &list); err != nil {
		return nil, err
	}
	snap := &spec.Snapshot{Conflicts: map[string][]spec.Source{}, Found: map[string][]spec.Source{}}
	for _, item := range list.Images {
		e := spec.Entry{Spec: item.Spec, Source: parseSource(item.Source), Revision: item.Revision}
		snap.Found[e.Spec.Image] = []spec.Source{e.Source}
		if item.Stale {
			for _, msg := range item.Errors {
				snap.Errors = append(snap.Errors, &spec.FieldError{Msg: msg}) // already "file:line: field: message"
			}
			snap.BrokenFiles = append(snap.BrokenFiles, e.Source.File)
			continue
		}
		snap.Specs = append(snap.Specs, e)
	}
	sort.Slice(snap.Specs, func(i, j int) bool { return snap.Specs[i].Spec.Image < snap.Specs[j].Spec.Image })
	return snap, nil
}

// entry is GET /images/{image}: the spec, its revision and its source.
func (c *client) entry(image string) (spec.Entry, error) {
	var v wire.ImageDetail
	if err := c.call(http.MethodGet, imagePath(image, ""), nil, "", &v); err != nil {
		return spec.Entry{}, err
	}
	if v.Stale { // the server enforces a last good version that no file holds now
		return spec.Entry{}, fmt.Errorf("%w: the spec of %s at %s: %s", spec.ErrBrokenFile, image, v.Source, strings.Join(v.Errors, "; "))
	}
	return spec.Entry{Spec: v.Spec, Source: parseSource(v.Source), Revision: v.Revision}, nil
}

// Find says where image is written: GET /images/{image}, one request, where
// a Load needs one per image. No spec is (nil, nil).
func (c *client) Find(image string) ([]spec.Source, error) {
	e, err := c.entry(image)
	if errors.Is(err, spec.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []spec.Source{e.Source}, nil
}

// Preview is PUT /images/{image}?dry_run=true: what a Put would write.
// The answer names the file but not the line of an edited spec: its
// Source.Line is 0.
func (c *client) Preview(s spec.Spec) (spec.Change, error) {
	var v wire.Preview
	if err := c.call(http.MethodPut, imagePath(s.Image, "")+"?dry_run=true", requestBody(s), "", &v); err != nil {
		return spec.Change{}, err
	}
	if !v.DryRun {
		return spec.Change{}, &serverError{fmt.Errorf("the server at %s ignored dry_run and may have written %s: it is not a compatible orchestrator", c.base, s.Image)}
	}
	ch := spec.Change{
		PutResult: spec.PutResult{Result: v.Result, Revision: s.Revision(), Source: spec.Source{File: v.File}},
		After:     []byte(v.After),
	}
	if v.Result == spec.Created {
		ch.Source.Line = 1 // a new file; for an edit, the dry run gives no line
	} else {
		ch.Before = []byte(v.Before)
	}
	return ch, nil
}

// Put is PUT /images/{image}, with If-Match when ifMatch is set.
func (c *client) Put(s spec.Spec, ifMatch string) (spec.PutResult, error) {
	var v wire.Written
	if err := c.call(http.MethodPut, imagePath(s.Image, ""), requestBody(s), ifMatch, &v); err != nil {
		return spec.PutResult{}, err
	}
	return spec.PutResult{Result: v.Result, Revision: v.Revision, Source: parseSource(v.Source), Warnings: v.Warnings}, nil
}

// Delete is DELETE /images/{image}, with If-Match when ifMatch is set.
func (c *client) Delete(image, ifMatch string) (spec.Source, error) {
	var v wire.ImageDeleted
	if err := c.call(http.MethodDelete, imagePath(image, ""), nil, ifMatch, &v); err != nil {
		return spec.Source{}, err
	}
	return parseSource(v.Source), nil
}

// requestBody is s as the API takes it: maps never null, and no empty status.
func requestBody(s spec.Spec) any { return s.Normalized() }

// parseSource reads the API's "file:line".
func parseSource(s string) spec.Source {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return spec.Source{File: s}
	}
	line, err := strconv.Atoi(s[i+1:])
	if err != nil {
		return spec.Source{File: s}
	}
	return spec.Source{File: s[:i], Line: line}
}
