package reconciler_test

import (
	"testing"
	"time"

	"github.com/orchestrator/orchestrator/reconciler"
	"github.com/orchestrator/orchestrator/spec"
)

// staleView is what a test compares of a reconciler.Stale.
type staleView struct {
	Image, Source, Revision string
	MinReplicas             int
	Errors                  []string
}

func staleViews(ss []reconciler.Stale) []staleView {
	var out []staleView
	for _, s := range ss {
		out = append(out, staleView{Image: s.Entry.Spec.Image, Source: s.Entry.Source.String(), Revision: s.Entry.Revision,
			MinReplicas: s.Entry.Spec.MinReplicas, Errors: s.Errors})
	}
	return out
}

// A spec whose file breaks stays in force at its last good version, and
// Enforced and Stale say so, with the file's errors; a valid spec, a fixed
// one, and one never good are not stale.
func TestEnforcedIsTheLastGoodVersion(t *testing.T) {
	const good = "image: app:v1\nmin_replicas: 2\nresources: {}\n"
	tests := []struct {
		name string
		then func(w *world)
		want func(w *world, revs map[string]string) []staleView
	}{
		{"valid", func(*world) {}, func(*world, map[string]string) []staleView { return nil }},
		{"broken file", func(w *world) {
			w.write("app.yaml", "image: app:v1\nmin_replicas: 3\nresources: {memory: 12q}\n")
		}, func(_ *world, revs map[string]string) []staleView {
			return []staleView{{Image: "app:v1", Source: "app.yaml:1", Revision: revs["app:v1"], MinReplicas: 2,
				Errors: []string{`app.yaml:3: resources.memory: "12q" is not a size (use e.g. 256m, 1g)`}}}
		}},
		{"fixed with a change", func(w *world) {
			w.write("app.yaml", "image: app:v1\nmin_replicas: 3\nresources: {memory: 12q}\n")
			w.converge()
			w.write("app.yaml", "image: app:v1\nmin_replicas: 3\nresources: {}\n")
		}, func(*world, map[string]string) []staleView { return nil }},
		{"written twice", func(w *world) {
			w.write("copy.yaml", good)
		}, func(_ *world, revs map[string]string) []staleView {
			return []staleView{{Image: "app:v1", Source: "app.yaml:1", Revision: revs["app:v1"], MinReplicas: 2, Errors: []string{
				`app.yaml:1: image: "app:v1" is also defined at copy.yaml:1`,
				`copy.yaml:1: image: "app:v1" is also defined at app.yaml:1`,
			}}}
		}},
		{"empty directory", func(w *world) {
			w.remove("app.yaml")
			w.remove("keep.yaml")
		}, func(w *world, revs map[string]string) []staleView {
			why := []string{"state directory " + w.root + " holds no specs (start with --allow-empty to let that remove everything)"}
			return []staleView{
				{Image: "app:v1", Source: "app.yaml:1", Revision: revs["app:v1"], MinReplicas: 2, Errors: why},
				{Image: "keep:v1", Source: "keep.yaml:1", Revision: revs["keep:v1"], MinReplicas: 1, Errors: why},
			}
		}},
		{"never good: broken before a restart", func(w *world) {
			w.write("app.yaml", "image: app:v1\nmin_replicas: 3\nresources: {memory: 12q}\n")
			w.r = reconciler.New(spec.NewDir(w.root, spec.Options{HostCPUs: 4}), w.fake, reconciler.Options{Now: func() time.Time { return w.now }})
		}, func(*world, map[string]string) []staleView { return nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, "app:v1")
			w.write("app.yaml", good)
			w.converge()
			revs := map[string]string{"app:v1": w.status("app:v1").Revision, "keep:v1": w.status("keep:v1").Revision}
			before := w.ids("app:v1")
			tc.then(w)
			w.converge()
			want := tc.want(w, revs)
			diff(t, "Stale()", want, staleViews(w.r.Stale()))
			e, errs, ok := w.r.Enforced("app:v1")
			var got []staleView
			if ok {
				got = staleViews([]reconciler.Stale{{Entry: e, Errors: errs}})
			}
			var wantApp []staleView
			for _, v := range want {
				if v.Image == "app:v1" {
					wantApp = append(wantApp, v)
				}
			}
			diff(t, "Enforced(app:v1)", wantApp, got)
			if ok {
				diff(t, "containers of a stale spec", before, w.ids("app:v1"))
			}
		})
	}
}

// Enforced and Stale hand out copies: a caller that edits what it got
// changes nothing in force.
func TestStaleIsACopy(t *testing.T) {
	w := newWorld(t, "app:v1")
	w.write("app.yaml", "image: app:v1\nenv: {A: b}\nresources: {}\n")
	w.converge()
	w.write("app.yaml", "image: app:v1\nenv: {A: b}\nresources: {memory: 12q}\n")
	w.converge()
	e, errs, _ := w.r.Enforced("app:v1")
	e.Spec.Env["A"] = "changed"
	errs[0] = "changed"
	st := w.r.Stale()
	st[0].Entry.Spec.Env["A"] = "changed"
	e, errs, _ = w.r.Enforced("app:v1")
	diff(t, "env in force", map[string]string{"A": "b"}, e.Spec.Env)
	diff(t, "errors", []string{`app.yaml:3: resources.memory: "12q" is not a size (use e.g. 256m, 1g)`}, errs)
}
