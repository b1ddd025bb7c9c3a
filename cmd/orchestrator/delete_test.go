package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDelete(t *testing.T) {
	// The state every case starts from: a multi-document file and a single one.
	state := map[string]string{
		"state/shop.yaml": multiYAML,
		"state/web.yaml":  webYAML,
	}
	// multiYAML without shop/api:2, its first document, and the "---" after it.
	multiWithoutAPI := multiYAML[len("image: shop/api:2\nmin_replicas: 1\nmax_replicas: 3\nresources: {cpu: \"1\", memory: 1g}\n---\n"):]
	tests := []struct {
		name  string
		files map[string]string
		args  []string
		want  result
		after map[string]string // the state directory afterwards
	}{
		{
			name: "images as arguments",
			args: []string{"shop/api:2", "shop/web:1.0", "shop/api:2"},
			want: result{0, "shop/api:2 deleted\nshop/web:1.0 deleted\n", ""},
			after: map[string]string{
				"shop.yaml": multiWithoutAPI,
			},
		},
		{
			name:  "images from files",
			files: map[string]string{"in/a.yaml": webYAML, "in/b.yaml": "image: shop/cache:7\nresources: {}\n"},
			args:  []string{"-f", "in"},
			want:  result{0, "shop/web:1.0 deleted\nshop/cache:7 deleted\n", ""},
			after: map[string]string{
				"shop.yaml": multiYAML[:len(multiYAML)-len("---\nimage: shop/cache:7\nmax_replicas: 1\nports: {\"6379\": 6379}\nresources: {memory: 128m}\n")],
			},
		},
		{
			name:  "a missing image is an error, and nothing is deleted",
			args:  []string{"shop/web:1.0", "shop/nope:1"},
			want:  result{1, "", "no spec for image \"shop/nope:1\" in state\nerror: 1 image cannot be deleted: nothing was deleted\n"},
			after: map[string]string{"shop.yaml": multiYAML, "web.yaml": webYAML},
		},
		{
			name:  "--ignore-not-found",
			args:  []string{"shop/nope:1", "shop/web:1.0", "--ignore-not-found"},
			want:  result{0, "shop/web:1.0 deleted\n", ""},
			after: map[string]string{"shop.yaml": multiYAML},
		},
		{
			name:  "an invalid input deletes nothing",
			files: map[string]string{"in/bad.yaml": badYAML},
			args:  []string{"-f", "in/bad.yaml"},
			want:  result{1, "", badErrors + "error: 3 errors in the input: nothing was deleted\n"},
			after: map[string]string{"shop.yaml": multiYAML, "web.yaml": webYAML},
		},
		{
			name:  "an image defined twice deletes nothing",
			files: map[string]string{"state/web2.yaml": webYAML},
			args:  []string{"shop/api:2", "shop/web:1.0"},
			want:  result{1, "", "image \"shop/web:1.0\" is defined more than once, at state/web.yaml:2, state/web2.yaml:2: fix that first\nerror: 1 image cannot be deleted: nothing was deleted\n"},
			after: map[string]string{"shop.yaml": multiYAML, "web.yaml": webYAML, "web2.yaml": webYAML},
		},
		{
			name:  "--dry-run",
			args:  []string{"shop/api:2", "--dry-run"},
			want:  result{0, "shop/api:2 deleted (dry run)\n", ""},
			after: map[string]string{"shop.yaml": multiYAML, "web.yaml": webYAML},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inTempDir(t)
			writeFiles(t, state)
			writeFiles(t, tt.files)
			got := orch(t, append([]string{"delete", "--dir", "state"}, tt.args...)...)
			checkResult(t, tt.want, got)
			if diff := cmp.Diff(tt.after, readTree(t, "state")); diff != "" {
				t.Errorf("state afterwards (-want +got):\n%s", diff)
			}
		})
	}
}
