// Command orchestrator is the command line of the file-driven container
// orchestrator. Its desired state is a directory of spec files
// (docs/design.md §2, §3); the verbs here validate spec files and edit that
// directory the way kubectl edits a cluster: validate, apply, delete, get
// and diff.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/orchestrator/orchestrator/api"
)

func main() {
	api.Version = currentBuild().Version // once, before anything serves: the document is built on first use
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the command line args and returns the exit code. It is main
// without the process: the tests call it in-process.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return newApp(stdin, stdout, stderr, os.Getenv).run(args)
}

// Exit codes. They are documented in the root command's help.
const (
	exitOK = 0
	// exitFailure: the command ran and failed (invalid input, nothing
	// applied, an image that is missing, a failed write). For diff: there
	// are differences.
	exitFailure = 1
	// exitUsage: the command line is wrong (an unknown flag, a wrong number
	// of arguments, no --dir). For diff: any error at all.
	exitUsage = 2
)

// exitError ends a command with an exit code. err is printed as
// "error: ..." by run; it is nil when the command printed its problems
// itself (every validation error, say) and has nothing to add.
type exitError struct {
	code  int
	err   error
	usage bool // a wrong command line: run points at --help
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// fail ends the command with code, printing err.
func fail(code int, err error) error { return &exitError{code: code, err: err} }

// failf ends the command with code, printing the formatted message.
func failf(code int, format string, args ...any) error {
	return &exitError{code: code, err: fmt.Errorf(format, args...)}
}

// usagef ends the command with exitUsage: the command line is wrong.
func usagef(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...), usage: true}
}

// reported ends the command with code; the problem is already printed.
func reported(code int) error { return &exitError{code: code} }

// exitCode classifies what a command returned. Errors that are no
// exitError come from cobra itself (flag parsing, argument counts, unknown
// commands): those are usage errors.
func exitCode(err error) (code int, msg error, usage bool) {
	if err == nil {
		return exitOK, nil, false
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code, ee.err, ee.usage
	}
	return exitUsage, err, true
}
