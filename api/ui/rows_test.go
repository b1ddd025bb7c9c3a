package ui

import (
	"io/fs"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/api/wire"
	"github.com/orchestrator/orchestrator/spec"
)

func fsGlob(pattern string) ([]string, error) { return fs.Glob(files, pattern) }

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(files, name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestOverviewRows(t *testing.T) {
	util := 91.4
	fileErr := `web.yaml:4: resources.memory: "12q" is not a size`
	for _, tc := range []struct {
		name   string
		list   wire.StatusList
		images []wire.Image
		want   []row
	}{
		{name: "nothing", want: nil},
		{
			name: "specs by image, autoscaled and not",
			list: wire.StatusList{Specs: []wire.Status{
				{Image: "b:1", Synced: true, Health: "Healthy", Desired: 2, Ready: 2, Running: 2, Source: "b.yaml:1", Revision: "r2",
					Autoscale: &wire.Autoscale{TargetCPUPercent: 50, UtilizationPercent: &util, Recommendation: 4, Reason: "cpu 182% of target → 4"}},
				{Image: "a:1", Health: "Progressing", Desired: 1, Running: 0, Source: "a.yaml:1", Revision: "r1", Message: "creating"},
			}},
			want: []row{
				{Image: "a:1", Sync: "OutOfSync", Health: "Progressing", Counts: true, Desired: 1, Source: "a.yaml:1", Revision: "r1", Message: "creating"},
				{Image: "b:1", Sync: "Synced", Health: "Healthy", Counts: true, Desired: 2, Ready: 2, Running: 2, Source: "b.yaml:1", Revision: "r2",
					CPU: "91% / 50%", Scale: "→ 4: cpu 182% of target → 4"},
			},
		},
		{
			name: "autoscaled without data",
			list: wire.StatusList{Specs: []wire.Status{{Image: "a:1", Synced: true, Health: "Healthy", Autoscale: &wire.Autoscale{TargetCPUPercent: 70, Recommendation: 1}}}},
			want: []row{{Image: "a:1", Sync: "Synced", Health: "Healthy", Counts: true, CPU: "– / 70%", Scale: "→ 1"}},
		},
		{
			name: "a broken file that names no readable spec is a row of its own, first",
			list: wire.StatusList{
				Specs:  []wire.Status{{Image: "a:1", Synced: true, Health: "Healthy", Source: "a.yaml:1"}},
				Errors: []string{"junk.yaml:3: yaml: line 3: did not find expected key"},
			},
			want: []row{
				{Broken: true, Source: "junk.yaml:3", Error: "junk.yaml:3: yaml: line 3: did not find expected key"},
				{Image: "a:1", Sync: "Synced", Health: "Healthy", Counts: true, Source: "a.yaml:1"},
			},
		},
		{
			name: "a file error that a spec carries is on the spec's row only; its last good version is stale",
			list: wire.StatusList{
				Specs:  []wire.Status{{Image: "web:1", Health: "Degraded", Source: "web.yaml:1", Revision: "r1", LastError: fileErr}},
				Errors: []string{fileErr},
			},
			images: []wire.Image{{Spec: spec.Spec{Image: "web:1"}, Stale: true, Errors: []string{fileErr}}},
			want: []row{{Image: "web:1", Broken: true, Stale: true, Sync: "OutOfSync", Health: "Degraded", Counts: true,
				Source: "web.yaml:1", Revision: "r1", Error: fileErr}},
		},
		{
			name: "an action's error is no broken file",
			list: wire.StatusList{Specs: []wire.Status{{Image: "a:1", Health: "Degraded", LastError: "create a-1: image not found"}}},
			want: []row{{Image: "a:1", Sync: "OutOfSync", Health: "Degraded", Counts: true, Error: "create a-1: image not found"}},
		},
		{
			name: "a directory error without file:line",
			list: wire.StatusList{Errors: []string{"state directory /srv/state: no such file or directory"}},
			want: []row{{Broken: true, Source: "state directory /srv/state", Error: "state directory /srv/state: no such file or directory"}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := overviewRows(tc.list, tc.images)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

func TestImageURL(t *testing.T) {
	for _, tc := range []struct{ image, want string }{
		{"orchestrator-demo:web", "/ui/images/orchestrator-demo:web"},
		{"ghcr.io/org/app:1.2", "/ui/images/ghcr.io/org/app:1.2"},
		{"app@sha256:abc", "/ui/images/app@sha256:abc"},
		{"a b/c?d", "/ui/images/a%20b/c%3Fd"},
	} {
		if got := imageURL(tc.image); got != tc.want {
			t.Errorf("imageURL(%q) = %q, want %q", tc.image, got, tc.want)
		}
	}
}
