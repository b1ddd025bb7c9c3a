package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/api/wire"
)

// minFaultCases is how many bad inputs issue 14's fault suite asks for.
const minFaultCases = 60

// TestFaultBadInputChangesNothing is issue 14's bad-input table: bad
// request bodies, paths, query strings, methods, preconditions and sizes on
// the real handler (badRequests), and broken spec files in the watched
// directory (badFiles). Every request gets a clear 4xx with a code and a
// message in FastAPI's shape; every file gets a file:line error in GET
// /status. Neither writes a file, nor creates, starts, stops or removes a
// container.
func TestFaultBadInputChangesNothing(t *testing.T) {
	reqs, files := badRequests(), badFiles()
	kinds := map[string]int{"file": len(files)}
	for _, tc := range reqs {
		kinds[tc.kind]++
	}
	t.Logf("bad inputs: %d requests + %d files = %d; by kind: %v", len(reqs), len(files), len(reqs)+len(files), kinds)
	if n := len(reqs) + len(files); n < minFaultCases {
		t.Fatalf("only %d bad inputs, want at least %d", n, minFaultCases)
	}
	t.Run("requests", func(t *testing.T) { runBadRequests(t, reqs) })
	t.Run("files", func(t *testing.T) { runBadFiles(t, files) })
}

// badRequest is one request that must be refused with status and code and
// change nothing.
type badRequest struct {
	// kind is what is bad: body, path, query, method, precondition, size,
	// conflict or ambiguous.
	kind    string
	name    string
	method  string
	path    string
	body    string
	headers []string
	chunked bool // send the body without a Content-Length
	status  int
	code    wire.Code
	want    string // in the raw answer
}

// faultEnv is newEnv with something for every bad request to aim at:
// web:v1 with two running containers (started through the API), a never
// good document of api:v1 (broken.yaml), nginx:alpine written twice, a
// container of web:v1 that is not ours, and cache:v1 on the engine without
// a spec, so that a body wrongly taken would create a file and a container.
func faultEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	e.fake.AddImage("cache:v1")
	if r := e.do("POST", "/start/container", `{"image":"web:v1","min_replicas":2,"max_replicas":2,"resources":{"cpu":"0.5","memory":"64m"}}`); r.code != 200 {
		t.Fatalf("setup: %d %s", r.code, r.raw)
	}
	e.write("broken.yaml", "image: api:v1\nresources:\n  memory: 12q\n")
	e.write("dup-a.yaml", "image: nginx:alpine\nresources: {}\n")
	e.write("dup-b.yaml", "image: nginx:alpine\nresources: {}\n")
	e.unmanaged = append(e.unmanaged, e.fake.AddUnmanaged("not-ours", "web:v1"))
	e.pass()
	return e
}

// runBadRequests sends each request to a faultEnv and checks the answer,
// then, after a pass that has seen whatever it did, that the files and the
// engine are as they were.
func runBadRequests(t *testing.T, reqs []badRequest) {
	e := faultEnv(t)
	if got := len(e.containers()); got != 2 {
		t.Fatalf("setup: %d containers of web:v1, want 2", got)
	}
	for _, tc := range reqs {
		t.Run(tc.kind+"/"+tc.name, func(t *testing.T) {
			files, engine := snapshotTree(t, e.dir), snapshotEngine(e)
			r := send(t, e, tc)
			if r.code != tc.status || !strings.Contains(r.raw, tc.want) {
				t.Errorf("%s %s = %d %s\nwant %d containing %s", tc.method, trim(tc.path), r.code, trim(r.raw), tc.status, tc.want)
			}
			if err := checkErrorBody(r, tc.code); err != nil {
				t.Errorf("%s %s: %v: %s", tc.method, trim(tc.path), err, trim(r.raw))
			}
			e.pass() // whatever the request did, a pass has seen it
			if diff := cmp.Diff(files, snapshotTree(t, e.dir)); diff != "" {
				t.Errorf("the state directory changed (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(engine, snapshotEngine(e)); diff != "" {
				t.Errorf("the engine changed (-before +after):\n%s", diff)
			}
		})
	}
}

// send makes tc's request on e's server.
func send(t *testing.T, e *env, tc badRequest) response {
	t.Helper()
	var body io.Reader
	if tc.body != "" {
		body = strings.NewReader(tc.body)
		if tc.chunked {
			body = io.MultiReader(body) // no length the client can know
		}
	}
	req, err := http.NewRequest(tc.method, e.url+tc.path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(tc.headers); i += 2 {
		req.Header.Set(tc.headers[i], tc.headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{code: resp.StatusCode, header: resp.Header, raw: string(raw)}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if err := json.Unmarshal(raw, &r.body); err != nil {
		t.Errorf("the answer is not a JSON object: %v: %s", err, trim(r.raw))
	}
	return r
}

// checkErrorBody checks an error answer's shape: the code, and FastAPI's
// detail, a message or a 422's list of {loc, msg, type} with loc under
// body, path or query.
func checkErrorBody(r response, code wire.Code) error {
	if r.code < 400 || r.code > 499 {
		return fmt.Errorf("status %d is no 4xx", r.code)
	}
	if got := r.body["code"]; got != string(code) {
		return fmt.Errorf("code %v, want %s", got, code)
	}
	switch d := r.body["detail"].(type) {
	case string:
		if r.code == 422 || strings.TrimSpace(d) == "" {
			return fmt.Errorf("detail %q is no 422 list, or empty", d)
		}
	case []any:
		if r.code != 422 || len(d) == 0 {
			return fmt.Errorf("a list detail with status %d, or empty", r.code)
		}
		for _, it := range d {
			m, _ := it.(map[string]any)
			loc, _ := m["loc"].([]any)
			msg, _ := m["msg"].(string)
			typ, _ := m["type"].(string)
			if len(loc) == 0 || msg == "" || typ == "" {
				return fmt.Errorf("issue %v is not {loc, msg, type}", it)
			}
			if where := fmt.Sprint(loc[0]); where != "body" && where != "path" && where != "query" {
				return fmt.Errorf("issue %v is not under body, path or query", it)
			}
		}
	default:
		return fmt.Errorf("detail %v is neither a message nor a list", r.body["detail"])
	}
	return nil
}

// snapshotTree is every entry below root, by path: a file's bytes, "dir"
// for a directory, a link's target. Temp files count: a write that failed
// must leave none.
func snapshotTree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case d.Type()&os.ModeSymlink != 0:
			target, err := os.Readlink(p)
			out[rel] = "link to " + target
			return err
		case d.IsDir():
			out[rel] = "dir"
		default:
			b, err := os.ReadFile(p)
			out[rel] = string(b)
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// engineActions are the fake's calls that change something.
var engineActions = []string{"create", "start", "stop", "remove", "update", "pull",
	"ensure-volume", "ensure-network", "remove-volume", "remove-network"}

// snapshotEngine is what a bad input must not change on the engine: every
// container (ours and the others) with its state, and the count of each
// action.
func snapshotEngine(e *env) []string {
	e.t.Helper()
	cs, err := e.fake.List(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("container %s %s %s %s held=%v hash=%s", c.ID, c.Name, c.Image, c.State, c.Held, c.SpecHash))
	}
	for _, id := range e.unmanaged {
		out = append(out, "unmanaged "+id+" "+e.fake.State(id))
	}
	for _, op := range engineActions {
		out = append(out, fmt.Sprintf("calls %s=%d", op, e.fake.Calls(op)))
	}
	sort.Strings(out)
	return out
}
