package main

import (
	"encoding/json"
	"regexp"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResolveBuild(t *testing.T) {
	goVersion, platform := runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH
	vcs := func(settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/orchestrator/orchestrator/cmd/orchestrator", Version: "(devel)"}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	const rev = "86339fc0a1b2c3d4e5f60718293a4b5c6d7e8f90"
	tests := []struct {
		name             string
		version, commit  string
		bi               *debug.BuildInfo
		wantVer, wantCmt string
	}{
		{"stamped by the Makefile", "v0.4.0-12-gabc1234", "abc1234", vcs("vcs.revision", rev), "v0.4.0-12-gabc1234", "abc1234"},
		{"stamped, dirty work tree", "v0.4.0-12-gabc1234-dirty", "abc1234", nil, "v0.4.0-12-gabc1234-dirty", "abc1234"},
		{"only the version stamped: the revision the toolchain recorded", "dev", "", vcs("vcs.revision", rev, "vcs.modified", "true"), "dev", "86339fc"},
		{"go build in a work tree", "", "", vcs("vcs", "git", "vcs.revision", rev), "dev", "86339fc"},
		{"go build with a module version from VCS tags", "", "",
			&debug.BuildInfo{Main: debug.Module{Version: "v0.4.1-0.20260101120000-86339fc0a1b2+dirty"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}}},
			"v0.4.1-0.20260101120000-86339fc0a1b2+dirty", "86339fc"},
		{"go test, go run: nothing recorded", "", "", vcs(), "dev", "unknown"},
		{"no build info at all", "", "", nil, "dev", "unknown"},
		{"a short revision is kept whole", "", "", vcs("vcs.revision", "abc"), "dev", "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := resolveBuild(tt.version, tt.commit, tt.bi)
			want := buildInfo{Version: tt.wantVer, Commit: tt.wantCmt, GoVersion: goVersion, Platform: platform}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("resolveBuild (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildInfoString(t *testing.T) {
	b := buildInfo{Version: "v0.4.0-12-gabc1234", Commit: "abc1234", GoVersion: "go1.26.1", Platform: "linux/amd64"}
	if got, want := b.String(), "v0.4.0-12-gabc1234 (commit abc1234, go1.26.1, linux/amd64)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	data, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(data), `{"version":"v0.4.0-12-gabc1234","commit":"abc1234","go_version":"go1.26.1","platform":"linux/amd64"}`; got != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}
}

// versionLine is what an unstamped test binary prints.
var versionLine = regexp.MustCompile(`^orchestrator \S+ \(commit \S+, go1\.\S+, [a-z0-9]+/[a-z0-9]+\)\n$`)

// The version verb and --version print the same line; -o json the same
// facts; anything else is a usage error.
func TestVersionCommand(t *testing.T) {
	want := "orchestrator " + currentBuild().String() + "\n"
	if !versionLine.MatchString(want) {
		t.Fatalf("version line %q does not match %s", want, versionLine)
	}
	for _, args := range [][]string{{"version"}, {"--version"}, {"version", "-o", "text"}} {
		checkResult(t, result{Code: 0, Stdout: want}, orch(t, args...))
	}

	got := orch(t, "version", "-o", "json")
	if got.Code != 0 || got.Stderr != "" {
		t.Fatalf("version -o json: %+v", got)
	}
	var b buildInfo
	if err := json.Unmarshal([]byte(got.Stdout), &b); err != nil {
		t.Fatalf("version -o json: %v: %s", err, got.Stdout)
	}
	if diff := cmp.Diff(currentBuild(), b); diff != "" {
		t.Errorf("version -o json (-want +got):\n%s", diff)
	}
	if b.GoVersion != runtime.Version() {
		t.Errorf("go_version = %q, want %q", b.GoVersion, runtime.Version())
	}

	checkResult(t, result{2, "", "error: unknown output format \"yaml\" (use text or json)\nSee 'orchestrator version --help'.\n"},
		orch(t, "version", "-o", "yaml"))
	checkResult(t, result{2, "", "error: unknown command \"now\" for \"orchestrator version\"\nSee 'orchestrator version --help'.\n"},
		orch(t, "version", "now"))
}
