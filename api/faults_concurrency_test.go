package api_test

// The fault suite's concurrent writers (issue 14): API writes and file
// edits racing on ten specs. The server's own order of its writes is read
// from the state directory's Recorder (called under the directory lock,
// before each write); the file edits take the same lock and note
// themselves in the same log, so the log is the one serial order of every
// write.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/spec"
)

const (
	faultSpecs = 10
	faultOps   = 100
)

// opKind is one kind of concurrent write.
type opKind struct {
	name string
	// codes are the answers it may get; 412 only where it sends If-Match.
	codes []int
}

// The kinds of op, by op index modulo their count (7, prime to the 10
// specs: every spec gets every kind).
var opKinds = []opKind{
	{"PUT If-Match just read", []int{200, 412}},
	{"PUT If-Match initial (stale once written)", []int{200, 412}},
	{"PUT If-Match never a revision", []int{412}},
	{"PUT", []int{200}},
	{"scale", []int{200}},
	{"scale If-Match just read", []int{200, 412}},
	{"file edit", nil},
}

// faultOp is one op and what came of it.
type faultOp struct {
	i       int
	kind    opKind
	image   string
	ifMatch string    // the revision it names, "" for none
	put     spec.Spec // of a PUT or an edit: the whole spec it writes
	max     int       // of a scale: the max_replicas it sets
	code    int
	errCode string // the answer's code
	etag    string // the revision the answer names
	err     error
}

// logged is one write, in the directory lock's order.
type logged struct {
	image string
	data  []byte
	edit  int // the op of a file edit; -1 for an API write
}

// writeLog is the Recorder of the state directory, and the file edits' log.
type writeLog struct {
	mu     sync.Mutex
	writes []logged
}

func (l *writeLog) Record(_ context.Context, w spec.Write) error {
	l.add(logged{image: w.Image, data: w.Data, edit: -1})
	return nil
}

func (l *writeLog) add(w logged) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.writes = append(l.writes, w)
}

// TestFaultConcurrentWritesAndEdits: 100 concurrent writes on 10 specs —
// PUT with an If-Match just read, stale or bogus, PUT without, scale with
// and without, and whole-file edits (write, then rename) — lose nothing
// and tear nothing. Every If-Match that does not match is a 412, never a
// silent overwrite; every accepted write names, in its ETag, the revision
// it made, and in its If-Match the one it replaced; replaying the writes in
// the server's order gives every intermediate and the final file; every
// file parses, and no temp file is left. Conditional writes lose no
// update: each one's content is final, or was replaced by a later write
// that named its revision, or by a later unconditional write or edit.
func TestFaultConcurrentWritesAndEdits(t *testing.T) {
	log := &writeLog{}
	e := newRecordedEnv(t, log)
	initial := map[string]spec.Spec{}
	for j := range faultSpecs {
		image := fmt.Sprintf("s%d:v1", j)
		e.fake.AddImage(image)
		text := fmt.Sprintf("# spec %d\nimage: %s\nmin_replicas: 1\nmax_replicas: 2\nenv:\n  WRITE_ID: initial # scale keeps it\nresources: {}\n", j, image)
		e.write(faultFile(j), text)
		initial[image] = mustParse(t, faultFile(j), []byte(text))
	}

	ops := make([]*faultOp, faultOps)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range ops {
		j := i % faultSpecs
		op := &faultOp{i: i, kind: opKinds[i%len(opKinds)], image: fmt.Sprintf("s%d:v1", j)}
		ops[i] = op
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			op.err = e.runOp(op, j, initial[op.image].Revision(), log)
		}()
	}
	close(start)
	wg.Wait()

	accepted := checkAnswers(t, ops)
	final := checkReplay(t, log.snapshot(), ops, accepted, initial)
	checkFinalFiles(t, e, final)
	codes := map[string]int{}
	for _, op := range ops {
		key := fmt.Sprint(op.code)
		if op.kind.name == "file edit" {
			key = "file edit"
		}
		codes[key]++
	}
	t.Logf("%d concurrent writes and edits on %d specs: %v; %d writes in the log, replayed serially", len(ops), faultSpecs, codes, len(log.snapshot()))
}

// runOp makes one op; an error is a failure of the transport or the test.
func (e *env) runOp(op *faultOp, j int, initialRev string, log *writeLog) error {
	readRev := func() (string, error) {
		r, err := e.try("GET", "/images/"+op.image, "")
		if err != nil {
			return "", err
		}
		if r.code != 200 || r.header.Get("ETag") == "" {
			return "", fmt.Errorf("GET %s while others write = %d %s (torn file?)", op.image, r.code, trimmed(r.raw))
		}
		return strings.Trim(r.header.Get("ETag"), `"`), nil
	}
	var err error
	var r response
	switch op.kind.name {
	case "file edit":
		return e.editFile(op, j, log)
	case "scale", "scale If-Match just read":
		if op.kind.name != "scale" {
			if op.ifMatch, err = readRev(); err != nil {
				return err
			}
		}
		op.max = 100 + op.i // unique: every write makes a revision of its own
		r, err = e.try("POST", "/images/"+op.image+"/scale", fmt.Sprintf(`{"min_replicas":1,"max_replicas":%d}`, op.max), ifMatchHeader(op.ifMatch)...)
	default:
		switch op.kind.name {
		case "PUT If-Match just read":
			if op.ifMatch, err = readRev(); err != nil {
				return err
			}
		case "PUT If-Match initial (stale once written)":
			op.ifMatch = initialRev
		case "PUT If-Match never a revision":
			op.ifMatch = "0000"
		}
		body := fmt.Sprintf(`{"image":%q,"min_replicas":1,"max_replicas":2,"env":{"WRITE_ID":"put-%d"},"resources":{}}`, op.image, op.i)
		if op.put, err = parseSpecText(faultFile(j), []byte(body)); err != nil {
			return err
		}
		r, err = e.try("PUT", "/images/"+op.image, body, ifMatchHeader(op.ifMatch)...)
	}
	if err != nil {
		return err
	}
	op.code, op.etag = r.code, strings.Trim(r.header.Get("ETag"), `"`)
	op.errCode, _ = r.body["code"].(string)
	return nil
}

// editFile replaces the spec's file as git or an editor does: a whole new
// file written beside it, then renamed over it. It holds the directory's
// lock, as `orchestrator apply --dir` does: an editor that does not can
// lose its edit to an API write that read the file before the rename and
// renames after it (nothing can close that window against a writer that
// ignores the lock).
func (e *env) editFile(op *faultOp, j int, log *writeLog) error {
	text := fmt.Sprintf("# edited by hand (op %d)\nimage: %s\nmax_replicas: 3\nenv:\n  WRITE_ID: edit-%d\nresources: {}\n", op.i, op.image, op.i)
	var err error
	if op.put, err = parseSpecText(faultFile(j), []byte(text)); err != nil {
		return err
	}
	d, err := os.Open(e.dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := syscall.Flock(int(d.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(e.dir, ".edit-*.tmp")
	if err != nil {
		return err
	}
	if _, err = tmp.WriteString(text); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(e.dir, faultFile(j)))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return err
	}
	op.code = 200
	log.add(logged{image: op.image, data: []byte(text), edit: op.i})
	return nil // the lock goes with d
}

// checkAnswers checks each op's answer against its kind, and returns the
// accepted API writes by image and the revision they made.
func checkAnswers(t *testing.T, ops []*faultOp) map[[2]string]*faultOp {
	t.Helper()
	accepted := map[[2]string]*faultOp{}
	for _, op := range ops {
		switch {
		case op.err != nil:
			t.Errorf("op %d (%s on %s): %v", op.i, op.kind.name, op.image, op.err)
		case op.kind.codes == nil: // a file edit
		case !containsInt(op.kind.codes, op.code):
			t.Errorf("op %d (%s on %s, If-Match %q) = %d %s, want one of %v", op.i, op.kind.name, op.image, op.ifMatch, op.code, op.errCode, op.kind.codes)
		case op.code == 412 && op.errCode != "precondition_failed":
			t.Errorf("op %d (%s on %s) = 412 with code %q, want precondition_failed", op.i, op.kind.name, op.image, op.errCode)
		case op.code == 200 && op.etag == "":
			t.Errorf("op %d (%s on %s) = 200 without an ETag", op.i, op.kind.name, op.image)
		case op.code == 200:
			key := [2]string{op.image, op.etag}
			if other, ok := accepted[key]; ok {
				t.Errorf("ops %d and %d of %s both made revision %s", other.i, op.i, op.image, op.etag)
			}
			accepted[key] = op
		}
	}
	return accepted
}

// checkReplay replays the log, image by image, and returns each image's
// final spec. Each write must be an accepted op's (matched by the revision
// it made, or the edit's op), every accepted op must be in the log once,
// a conditional write must name the revision it replaced, and each write
// must give what its op does to the spec before it.
func checkReplay(t *testing.T, writes []logged, ops []*faultOp, accepted map[[2]string]*faultOp, initial map[string]spec.Spec) map[string]spec.Spec {
	t.Helper()
	cur := map[string]spec.Spec{}
	for image, s := range initial {
		cur[image] = s
	}
	order := map[string][]*faultOp{} // per image, in the log's order
	seen := map[*faultOp]bool{}
	for k, w := range writes {
		got, err := parseSpecText(w.image, w.data)
		if err != nil {
			t.Errorf("write %d of %s is not one whole spec: %v\n%s", k, w.image, err, w.data)
			continue
		}
		op := accepted[[2]string{w.image, got.Revision()}]
		if w.edit >= 0 {
			op = ops[w.edit]
		}
		if op == nil || seen[op] {
			t.Errorf("write %d of %s (revision %s) is no accepted op's, or a second one's:\n%s", k, w.image, got.Revision(), w.data)
			continue
		}
		seen[op] = true
		prev := cur[w.image]
		if op.ifMatch != "" && op.ifMatch != prev.Revision() {
			t.Errorf("op %d (%s) overwrote revision %s silently: its If-Match was %s", op.i, op.kind.name, prev.Revision(), op.ifMatch)
		}
		want := op.put
		if op.max > 0 { // a scale changes the replicas of the spec it replaces, and nothing else
			want = prev
			want.MinReplicas, want.MaxReplicas = 1, op.max
		}
		if diff := cmp.Diff(want.Normalized(), got.Normalized()); diff != "" {
			t.Errorf("write %d, op %d (%s on %s), lost an update (-want +got):\n%s", k, op.i, op.kind.name, w.image, diff)
		}
		cur[w.image] = got
		order[w.image] = append(order[w.image], op)
	}
	for _, op := range accepted {
		if !seen[op] {
			t.Errorf("op %d (%s on %s) answered 200 with revision %s, which no write made", op.i, op.kind.name, op.image, op.etag)
		}
	}
	// No lost update, as the issue defines it for conditional writes.
	for image, seq := range order {
		for n, op := range seq {
			if op.ifMatch == "" || op.kind.codes == nil {
				continue
			}
			rev := op.etag
			if n == len(seq)-1 && rev == cur[image].Revision() {
				continue
			}
			if n+1 < len(seq) {
				if next := seq[n+1]; next.ifMatch == "" || next.ifMatch == rev {
					continue
				}
			}
			t.Errorf("op %d (%s on %s, revision %s) is neither final nor replaced by a write after it that named it or named none", op.i, op.kind.name, image, rev)
		}
	}
	return cur
}

// checkFinalFiles: every file parses to its replayed spec, the API serves
// that revision, and no temp file is left.
func checkFinalFiles(t *testing.T, e *env, final map[string]spec.Spec) {
	t.Helper()
	entries, err := os.ReadDir(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != faultSpecs {
		var names []string
		for _, en := range entries {
			names = append(names, en.Name())
		}
		t.Errorf("the directory holds %v, want the %d spec files and nothing else (no temp file)", names, faultSpecs)
	}
	for j := range faultSpecs {
		image := fmt.Sprintf("s%d:v1", j)
		got, err := parseSpecText(faultFile(j), []byte(e.read(faultFile(j))))
		if err != nil {
			t.Errorf("%s: %v", faultFile(j), err)
			continue
		}
		if diff := cmp.Diff(final[image].Normalized(), got.Normalized()); diff != "" {
			t.Errorf("%s is not the serial replay of the accepted writes (-want +got):\n%s", faultFile(j), diff)
		}
		if r := e.do("GET", "/images/"+image, ""); strings.Trim(r.header.Get("ETag"), `"`) != got.Revision() {
			t.Errorf("GET %s = %d, ETag %s; want the file's revision %s", image, r.code, r.header.Get("ETag"), got.Revision())
		}
	}
}

func faultFile(j int) string { return fmt.Sprintf("s%d.yaml", j) }

func ifMatchHeader(rev string) []string {
	if rev == "" {
		return nil
	}
	return []string{"If-Match", `"` + rev + `"`}
}

// parseSpecText is the one spec that text holds, or why it holds none.
func parseSpecText(file string, text []byte) (spec.Spec, error) {
	docs, errs := spec.Parse(file, text, spec.Options{HostCPUs: 2})
	if len(errs) > 0 {
		return spec.Spec{}, errs
	}
	if len(docs) != 1 {
		return spec.Spec{}, fmt.Errorf("%d documents, want 1", len(docs))
	}
	return docs[0].Spec, nil
}

func mustParse(t *testing.T, file string, text []byte) spec.Spec {
	t.Helper()
	s, err := parseSpecText(file, text)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return s
}

func (l *writeLog) snapshot() []logged {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]logged(nil), l.writes...)
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// try is do for any goroutine: an error instead of a fatal failure.
func (e *env) try(method, path, body string, headers ...string) (response, error) {
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		return response{}, err
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	r := response{code: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r, err
}

// newRecordedEnv is newEnv with rec as the state directory's Recorder, and
// a wait timeout far above what the writes take (a bound, not a pace).
// Every PUT and edit changes env, so each is a rollout; a new container is
// stable at once, so that the scales' waits for it stay short.
func newRecordedEnv(t *testing.T, rec spec.Recorder) *env {
	t.Helper()
	return newEnv(t, func(c *envConfig) {
		c.recorder, c.api.WaitTimeout, c.rec.MinReady = rec, 30*time.Second, time.Millisecond
	})
}
