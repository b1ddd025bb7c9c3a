package spec_test

import (
	"strings"
	"testing"

	"github.com/orchestrator/orchestrator/spec"
)

// FuzzParse feeds the parser arbitrary bytes. It must never panic, every
// error must say where it is, and every document it accepts must survive a
// round trip: rendered by MarshalYAML and parsed again, it is still valid and
// has the same Revision (so the same desired state) and the same Hash.
//
// The seed corpus is in testdata/fuzz/FuzzParse; run it longer with
//
//	go test ./spec -run '^$' -fuzz FuzzParse -fuzztime 2m
func FuzzParse(f *testing.F) {
	f.Add([]byte("image: nginx:alpine\nresources: {cpu: \"500m\", memory: 256m}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, errs := spec.Parse("fuzz.yaml", data, twoCPUs)
		for i, e := range errs {
			if e.File != "fuzz.yaml" || e.Line < 1 || e.Msg == "" {
				t.Errorf("error without file, line or message: %+v", *e)
			}
			if i > 0 && errs[i-1].Line > e.Line {
				t.Errorf("errors not sorted by line: %d before %d", errs[i-1].Line, e.Line)
			}
			_ = e.Error()
		}
		var specs []spec.Spec
		for _, d := range docs {
			if verrs := spec.Validate(d.Spec, twoCPUs); len(verrs) > 0 {
				t.Fatalf("Parse accepted a document that Validate refuses: %v\ninput:\n%q", verrs, data)
			}
			if !strings.HasPrefix(d.Spec.Hash(), "v1:") {
				t.Fatalf("Hash %q lacks its version", d.Spec.Hash())
			}
			out := spec.MarshalYAML(d.Spec)
			again, aerrs := spec.Parse("again.yaml", out, twoCPUs)
			if len(aerrs) > 0 || len(again) != 1 {
				t.Fatalf("rendered document does not parse back (%d docs): %v\ninput:\n%q\nrendered:\n%s", len(again), aerrs, data, out)
			}
			if a, b := d.Spec.Revision(), again[0].Spec.Revision(); a != b {
				t.Fatalf("revision changed in the round trip: %s -> %s\ninput:\n%q\nrendered:\n%s\nbefore: %#v\nafter:  %#v", a, b, data, out, d.Spec, again[0].Spec)
			}
			if a, b := d.Spec.Hash(), again[0].Spec.Hash(); a != b {
				t.Fatalf("hash changed in the round trip: %s -> %s\nrendered:\n%s", a, b, out)
			}
			specs = append(specs, d.Spec)
		}
		// All of them rendered together into one file parse back in order.
		if len(specs) > 1 {
			out := spec.MarshalYAML(specs...)
			again, aerrs := spec.Parse("all.yaml", out, twoCPUs)
			if len(aerrs) > 0 || len(again) != len(specs) {
				t.Fatalf("rendered file does not parse back (%d of %d docs): %v\nrendered:\n%s", len(again), len(specs), aerrs, out)
			}
			for i := range specs {
				if specs[i].Revision() != again[i].Spec.Revision() {
					t.Fatalf("document %d: revision changed in the round trip\nrendered:\n%s", i, out)
				}
			}
		}
	})
}
