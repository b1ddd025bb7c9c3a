package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// The build's identity, stamped by the Makefile (make build, make image):
//
//	go build -ldflags "-X main.version=v1.2.3 -X main.commit=abc1234"
//
// Unstamped (go run, go test, a plain go build), currentBuild falls back to
// what the Go toolchain recorded in the binary, else "dev" and "unknown".
var (
	version = ""
	commit  = ""
)

// buildInfo is what `orchestrator version` prints. The JSON keys are those
// of `version -o json`.
type buildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"` // GOOS/GOARCH
}

// String is the line of `orchestrator version` without the program name:
// "v0.4.0-12-gabc1234 (commit abc1234, go1.26.1, linux/amd64)".
func (b buildInfo) String() string {
	return fmt.Sprintf("%s (commit %s, %s, %s)", b.Version, b.Commit, b.GoVersion, b.Platform)
}

// currentBuild is this binary's identity.
func currentBuild() buildInfo {
	bi, _ := debug.ReadBuildInfo()
	return resolveBuild(version, commit, bi)
}

// resolveBuild prefers the stamped version and commit. Without them it
// takes the module version the toolchain derived from the VCS (Go 1.24+,
// e.g. v0.0.0-20260101120000-abcdef123456+dirty) and the VCS revision it
// recorded (go build in a git work tree), else "dev" and "unknown". bi may
// be nil. The Go version and platform are the runtime's.
func resolveBuild(stampedVersion, stampedCommit string, bi *debug.BuildInfo) buildInfo {
	b := buildInfo{
		Version:   stampedVersion,
		Commit:    stampedCommit,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if bi != nil {
		if v := bi.Main.Version; b.Version == "" && v != "" && v != "(devel)" {
			b.Version = v
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && b.Commit == "" {
				b.Commit = shortRevision(s.Value)
			}
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	return b
}

// shortRevision abbreviates a full git hash as `git rev-parse --short` does
// by default.
func shortRevision(rev string) string {
	if len(rev) > 7 {
		return rev[:7]
	}
	return rev
}

// outText is version's default output: one line.
const outText = "text"

func (a *app) newVersionCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version [-o text|json]",
		Short: "Print the version, the commit and the Go version of this binary",
		Long: `Version prints what this binary was built from: the version (git describe
at build time), the commit, the Go version and the platform. The Makefile
stamps them (make build, make image); a binary built otherwise shows what
the Go toolchain recorded, else "dev" and "unknown". It needs neither a
state directory nor a server. --version prints the same line.

Formats (-o):
  text  orchestrator VERSION (commit COMMIT, GOVERSION, OS/ARCH)
  json  {"version", "commit", "go_version", "platform"}`,
		Example: `  orchestrator version
  orchestrator version -o json`,
		Args: cobra.NoArgs,
		RunE: withCode(exitFailure, func(*cobra.Command, []string) error {
			b := currentBuild()
			switch output {
			case outText:
				_, err := fmt.Fprintf(a.stdout, "orchestrator %s\n", b)
				return err
			case outJSON:
				return writeIndented(a.stdout, b)
			}
			return usagef("unknown output format %q (use text or json)", output)
		}),
	}
	cmd.Flags().StringVarP(&output, "output", "o", outText, "output `FORMAT`: text or json")
	return cmd
}
