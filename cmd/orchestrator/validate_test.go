package main

import (
	"os"
	"testing"
)

func TestValidate(t *testing.T) {
	inTempDir(t)
	writeFiles(t, map[string]string{
		"in/web.yaml":          webYAML,
		"in/multi.yml":         multiYAML,
		"in/bad.yaml":          badYAML,
		"in/empty.yaml":        "# no specs yet\n",
		"in/notes.txt":         "not a spec",
		"tree/web.yaml":        webYAML,
		"tree/sub/worker.json": `{"image": "shop/worker:1.0", "max_replicas": 1, "resources": {"cpu": "0.25"}}`,
		"tree/sub/deep/x.yaml": multiYAML,
		"tree/.git/HEAD.yaml":  badYAML, // dot-directories are skipped
		"tree/web.yaml~":       badYAML, // and editor leftovers
		"tree/.#web.yaml":      badYAML,
		"tree/sub/4913":        badYAML,
		"dup/a.yaml":           webYAML,
		"dup/b.yaml":           "---\n" + webYAML,
		"nospecs/README.md":    "nothing",
	})
	mkdir(t, "nospecs/sub")
	if err := os.Symlink("../tree/sub", "in/linked"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  result
	}{
		{name: "one file", args: []string{"-f", "in/web.yaml"},
			want: result{0, "1 spec valid in 1 file\n", ""}},
		{name: "several files, one with no documents", args: []string{"-f", "in/web.yaml", "-f", "in/multi.yml", "-f", "in/empty.yaml"},
			want: result{0, "3 specs valid in 3 files\n", ""}},
		{name: "an explicit file is read whatever its name", args: []string{"-f", "in/notes.txt"},
			want: result{1, "", "in/notes.txt:1: a spec must be a mapping of fields (image, resources, ...), got string \"not a spec\"\n"}},
		{name: "every error of a file", args: []string{"-f", "in/bad.yaml"},
			want: result{1, "", badErrors}},
		{name: "errors of every input", args: []string{"-f", "in/bad.yaml", "-f", "-", "-f", "missing.yaml"},
			stdin: "image: shop/x:1\nresources: {cpu: 1}\n",
			want: result{1, "", `<stdin>:2: resources.cpu: must be a string, got integer 1; quote it: "1"
` + badErrors + `missing.yaml: cannot read: no such file or directory
`}},
		{name: "stdin", args: []string{"-f", "-"}, stdin: multiYAML,
			want: result{0, "2 specs valid in 1 file\n", ""}},
		{name: "directory: top level only", args: []string{"-f", "tree"},
			want: result{0, "1 spec valid in 1 file\n", ""}},
		{name: "directory, recursive", args: []string{"-R", "-f", "tree/"},
			want: result{0, "4 specs valid in 3 files\n", ""}},
		{name: "a symlinked directory is followed", args: []string{"--recursive", "--filename", "./in/linked"},
			want: result{0, "3 specs valid in 2 files\n", ""}},
		{name: "a file named twice is read once", args: []string{"-R", "-f", "tree", "-f", "tree/web.yaml"},
			want: result{0, "4 specs valid in 3 files\n", ""}},
		{name: "directory without spec files", args: []string{"-f", "nospecs"},
			want: result{1, "", "nospecs: no spec files (*.yaml, *.yml, *.json) in this directory (use -R to read its subdirectories)\n"}},
		{name: "same image in two files", args: []string{"-f", "dup"},
			want: result{1, "", `dup/a.yaml:2: image: "shop/web:1.0" is also defined at dup/b.yaml:3
dup/b.yaml:3: image: "shop/web:1.0" is also defined at dup/a.yaml:2
`}},
		{name: "same image in a file and stdin", args: []string{"-f", "in/web.yaml", "-f", "-"}, stdin: webYAML,
			want: result{1, "", `<stdin>:2: image: "shop/web:1.0" is also defined at in/web.yaml:2
in/web.yaml:2: image: "shop/web:1.0" is also defined at <stdin>:2
`}},
		{name: "host cpus bound cpu", args: []string{"-f", "in/multi.yml", "--host-cpus", "1"},
			want: result{0, "2 specs valid in 1 file\n", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkResult(t, tt.want, cli(t, nil, tt.stdin, append([]string{"validate"}, tt.args...)...))
		})
	}
}
