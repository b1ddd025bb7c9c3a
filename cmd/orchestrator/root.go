package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/orchestrator/orchestrator/spec"
)

// Environment variables that stand in for the global flags.
const (
	envDir    = "ORCHESTRATOR_DIR"
	envServer = "ORCHESTRATOR_SERVER"
	envToken  = "ORCHESTRATOR_TOKEN"
)

// defaultServer is the server the verbs talk to when neither --dir nor
// --server (nor their variables) is given: where serve listens by default.
const defaultServer = "http://127.0.0.1:8000"

// store is where the desired state lives. The verbs reach it only through
// this interface: *spec.Dir for a state directory (--dir), *client for a
// running server's REST API (--server).
type store interface {
	Load() (*spec.Snapshot, error)
	Preview(s spec.Spec) (spec.Change, error)
	Put(s spec.Spec, ifMatch string) (spec.PutResult, error)
	Delete(image, ifMatch string) (spec.Source, error)
}

var (
	_ store = (*spec.Dir)(nil)
	_ store = (*client)(nil)
)

// app is one run of the command line: its streams, its environment and the
// global flags, shared by every verb.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string

	// Global flags, bound by newRootCmd.
	dir      string // --dir, else $ORCHESTRATOR_DIR
	server   string // --server, else $ORCHESTRATOR_SERVER, else defaultServer
	token    string // --token, else $ORCHESTRATOR_TOKEN
	hostCPUs int    // --host-cpus
	// bindRoots are the host directories a spec may bind-mount by absolute
	// path (--allow-bind-mounts).
	bindRoots []string

	// remote is set once openStore chose the server: the server, not this
	// machine, then bounds resources.cpu.
	remote bool

	// localImages connects to this machine's engine for apply's image
	// check; nil checks nothing (tests).
	localImages func(ctx context.Context) (imageLookup, func(), error)
}

func newApp(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *app {
	return &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, localImages: dockerImages}
}

// run executes args and returns the exit code, printing any error.
func (a *app) run(args []string) int {
	root := a.newRootCmd()
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	code, msg, usage := exitCode(err)
	if msg != nil {
		fmt.Fprintf(a.stderr, "error: %v\n", msg)
	}
	if usage {
		path := root.CommandPath()
		if cmd != nil {
			path = cmd.CommandPath()
		}
		fmt.Fprintf(a.stderr, "See '%s --help'.\n", path)
	}
	return code
}

const rootLong = `orchestrator runs Docker containers from a directory of spec files, the
only desired state (GitOps style): edit a file, commit it, or use these
verbs, and the reconciler makes the containers match.

A spec is the body of the original POST /start/container, in YAML or JSON,
one or more documents per file (separated by "---"):

  image: nginx:alpine
  min_replicas: 2
  max_replicas: 4
  ports: {"80/tcp": 0}
  resources: {cpu: "500m", memory: "256m"}

The verbs apply, delete, get and diff work on the state directory given
with --dir (or $ORCHESTRATOR_DIR) directly. Without one they talk to a
running server (orchestrator serve) at --server URL (or
$ORCHESTRATOR_SERVER, else http://127.0.0.1:8000), which writes the same
files; give its token with --token (or $ORCHESTRATOR_TOKEN). status and
get containers need the server: they show what the reconciler sees.
validate needs neither.

Exit codes:
  0  success (diff: no differences)
  1  the command failed: invalid specs, nothing applied, an image not
     found, a failed write (diff: there are differences)
  2  wrong usage: an unknown flag or command, a wrong number of arguments,
     a bad --server URL (diff: any error)`

func (a *app) newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "orchestrator",
		Short:         "A GitOps-style Docker container orchestrator driven by spec files",
		Long:          rootLong,
		Version:       currentBuild().String(),
		SilenceErrors: true, // run prints errors, and sets the exit code
		SilenceUsage:  true,
		// A later "serve" verb and the server client hook in here.
		PersistentPreRunE: func(*cobra.Command, []string) error {
			if a.hostCPUs < 0 {
				return usagef("--host-cpus must be >= 0, got %d", a.hostCPUs)
			}
			for _, r := range a.bindRoots {
				if !filepath.IsAbs(r) {
					return usagef("--allow-bind-mounts takes absolute host directories, got %q", r)
				}
			}
			return nil
		},
		Example: `  # Check spec files, then write them into the state directory
  orchestrator validate -R -f examples/
  orchestrator apply -R -f examples/ --dir /srv/orchestrator/state

  # See what is desired, and what an apply would change
  orchestrator get --dir /srv/orchestrator/state
  orchestrator diff -f web.yaml --dir /srv/orchestrator/state

  # The same through a running server (orchestrator serve --dir ...)
  orchestrator apply -R -f examples/ --server http://127.0.0.1:8000
  orchestrator status
  orchestrator get containers`,
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetVersionTemplate("orchestrator {{.Version}}\n") // the line of `orchestrator version`

	pf := root.PersistentFlags()
	pf.StringVar(&a.dir, "dir", "", "the state directory `DIR`: the spec files that are the desired state (env "+envDir+")")
	pf.StringVar(&a.server, "server", "", "`URL` of a running orchestrator server, used when --dir is not given (env "+envServer+", default "+defaultServer+")")
	pf.StringVar(&a.token, "token", "", "bearer `TOKEN` of the server (env "+envToken+")")
	pf.IntVar(&a.hostCPUs, "host-cpus", 0, "`N` CPUs on the Docker host, the upper bound of resources.cpu (0: this machine's; with a server, the server checks)")
	pf.StringSliceVar(&a.bindRoots, "allow-bind-mounts", nil, "host `DIR`s (comma-separated, or repeated) that a spec may bind-mount by absolute path; / allows any. A directory next to the spec file (./dir) needs none (with a server, the server checks)")
	// --version without the -v shorthand, which stays free (for verbose, say).
	root.Flags().Bool("version", false, "print the version and exit")
	root.MarkFlagsMutuallyExclusive("dir", "server")

	root.AddCommand(
		a.newValidateCmd(),
		a.newApplyCmd(),
		a.newDeleteCmd(),
		a.newGetCmd(),
		a.newDiffCmd(),
		a.newServeCmd(),
		a.newStatusCmd(),
		a.newLogsCmd(),
		a.newDownCmd(),
		a.newSyncCmd(),
		a.newImportCmd(),
		a.newVersionCmd(),
	)
	return root
}

// unboundedCPUs stands for "no bound" on resources.cpu when validating for
// a server, which checks against its own engine's host.
const unboundedCPUs = 1 << 20

// options are the host facts that validation needs. Input for a server is
// not bounded by this machine's CPUs: the server's bound is the one that
// counts, and it answers with a 422 that the verbs print like any error.
func (a *app) options() spec.Options {
	opts := spec.Options{HostCPUs: a.hostCPUs, BindRoots: a.bindRoots}
	if a.remote && a.hostCPUs == 0 {
		opts.HostCPUs = unboundedCPUs
	}
	if a.remote && len(a.bindRoots) == 0 {
		opts.BindRoots = []string{"/"} // the server's own --allow-bind-mounts decides
	}
	return opts
}

// openStore resolves where the desired state is. This is the one place that
// decides between a state directory and a server. Flags win over the
// environment: --dir, then --server, then $ORCHESTRATOR_DIR, then
// $ORCHESTRATOR_SERVER, then the default server, http://127.0.0.1:8000.
func (a *app) openStore() (store, error) {
	if a.dir == "" && a.server == "" {
		a.dir = a.getenv(envDir)
	}
	if a.dir != "" {
		return spec.NewDir(a.dir, a.options()), nil
	}
	c, err := a.openClient()
	if err != nil {
		return nil, err
	}
	a.remote = true
	c.dirOK = true
	return c, nil
}

// requireDir is for serve, which is the server: it needs a state directory
// (--dir, else $ORCHESTRATOR_DIR), never another server.
func (a *app) requireDir() error {
	if a.dir == "" && a.server == "" {
		a.dir = a.getenv(envDir)
	}
	if a.dir == "" {
		return usagef("--dir is required: serve runs the reconciler and the API over a state directory")
	}
	return nil
}

// where names the desired state in messages: the state directory, or the
// server's URL.
func (a *app) where() string {
	if a.remote {
		return a.server
	}
	return a.dir
}

// inDir turns a path relative to the state directory into one the user can
// open from where they ran the command.
func (a *app) inDir(rel string) string {
	if rel == "" {
		return a.dir
	}
	return joinDisplay(a.dir, filepath.FromSlash(rel))
}

// joinDisplay joins a directory as the user wrote it with a name below it,
// without cleaning what the user wrote ("./x/" stays "./x/").
func joinDisplay(dir, rel string) string {
	if dir == "" {
		return rel
	}
	if strings.HasSuffix(dir, string(filepath.Separator)) || strings.HasSuffix(dir, "/") {
		return dir + rel
	}
	return dir + string(filepath.Separator) + rel
}

// withCode makes every error of f end the command with code, unless f chose
// a code itself. Without it an error of a verb would look like a usage error.
func withCode(code int, f func(cmd *cobra.Command, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		err := f(cmd, args)
		var ee *exitError
		if err == nil || errors.As(err, &ee) {
			return err
		}
		return fail(code, err)
	}
}

// printErrors prints each error on its own line: "file:line: field: message".
func printErrors(w io.Writer, errs spec.FieldErrors) {
	for _, e := range errs {
		fmt.Fprintln(w, e.Error())
	}
}

// plural is "1 spec", "2 specs".
func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
