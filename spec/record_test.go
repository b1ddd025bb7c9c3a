package spec_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/spec"
)

// recorder keeps the writes it is handed, and fails when told to.
type recorder struct {
	got  []spec.Write
	fail error
}

func (r *recorder) Record(_ context.Context, w spec.Write) error {
	r.got = append(r.got, w)
	return r.fail
}

// A write is recorded, with its note, before it is made; a write whose
// record fails is not made at all.
func TestRecorderSeesEveryWriteFirst(t *testing.T) {
	root := t.TempDir()
	d := spec.NewDir(root, spec.Options{HostCPUs: 2})
	rec := &recorder{}
	d.Recorder = rec
	ctx := spec.WithNote(context.Background(), spec.Note{Why: "start web:v1 (POST /start/container)", Who: "127.0.0.1"})
	s := spec.New("web:v1")
	if _, err := d.PutContext(ctx, s, ""); err != nil {
		t.Fatal(err)
	}
	s.MinReplicas = 2
	if _, err := d.PutContext(ctx, s, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Put(s, ""); err != nil { // unchanged: nothing to record
		t.Fatal(err)
	}
	file, err := os.ReadFile(filepath.Join(root, "web_v1.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	note := spec.Note{Why: "start web:v1 (POST /start/container)", Who: "127.0.0.1"}
	want := []spec.Write{
		{File: "web_v1.yaml", Data: []byte("image: web:v1\nmin_replicas: 1\nmax_replicas: 5\nresources:\n  status: running\n"), Image: "web:v1", Result: spec.Created, Note: note},
		{File: "web_v1.yaml", Data: file, Image: "web:v1", Result: spec.Configured, Note: note},
	}
	if diff := cmp.Diff(want, rec.got); diff != "" {
		t.Errorf("recorded (-want +got):\n%s", diff)
	}

	// A record that fails stops the write.
	rec.fail = errors.New("push rejected")
	s.MinReplicas = 3
	if _, err := d.PutContext(ctx, s, ""); !errors.Is(err, rec.fail) {
		t.Errorf("put with a failing record = %v", err)
	}
	if _, err := d.DeleteContext(ctx, "web:v1", ""); !errors.Is(err, rec.fail) {
		t.Errorf("delete with a failing record = %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(root, "web_v1.yaml")); string(after) != string(file) {
		t.Errorf("a write whose record failed changed the file:\n%s", after)
	}

	// A delete of the last document records the file's removal.
	rec.fail, rec.got = nil, nil
	if _, err := d.DeleteContext(ctx, "web:v1", ""); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]spec.Write{{File: "web_v1.yaml", Image: "web:v1", Delete: true, Note: note}}, rec.got); diff != "" {
		t.Errorf("recorded delete (-want +got):\n%s", diff)
	}
}
