package spec

// This file holds the types of the compose-like fields of a spec (issue 13):
// how a container runs, beyond image, env, ports and limits.

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
	"github.com/invopop/jsonschema"
	"github.com/mattn/go-shellwords"
)

// Words is a command line: a list of arguments, or one string that is split
// into words as a shell would (quotes and backslashes, no expansion), as
// compose does for command and entrypoint.
type Words []string

func (Words) fromString(s string) ([]string, error) {
	words, err := shellwords.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("cannot split %q into words: %w", s, err)
	}
	return words, nil
}

// JSONSchema documents both forms.
func (Words) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{OneOf: []*jsonschema.Schema{
		{Type: "string", Description: "split into words as a shell would, without expansion"},
		{Type: "array", Items: &jsonschema.Schema{Type: "string"}},
	}}
}

// HealthTest is a healthcheck's test, as in compose: ["CMD", args...],
// ["CMD-SHELL", command] or ["NONE"]; one string is a CMD-SHELL command.
type HealthTest []string

func (HealthTest) fromString(s string) ([]string, error) { return []string{"CMD-SHELL", s}, nil }

// JSONSchema documents both forms.
func (HealthTest) JSONSchema() *jsonschema.Schema {
	return &jsonschema.Schema{OneOf: []*jsonschema.Schema{
		{Type: "string", Description: "a command for the image's shell (CMD-SHELL)"},
		{Type: "array", Items: &jsonschema.Schema{Type: "string"}, Description: `["CMD", args...], ["CMD-SHELL", command] or ["NONE"]`},
	}}
}

// Healthcheck is the engine's own healthcheck of a container (Docker's
// HEALTHCHECK). Its status is the container's health: a container is ready
// only when healthy.
type Healthcheck struct {
	Test        HealthTest `json:"test,omitempty" jsonschema:"example=CMD,example=/demo" jsonschema_description:"What to run in the container: [\"CMD\", args...], [\"CMD-SHELL\", command] or one string (a shell command); [\"NONE\"] turns the image's healthcheck off."`
	Interval    string     `json:"interval,omitempty" jsonschema:"example=10s" jsonschema_description:"Between checks: a Go duration, at least 1ms. Default the engine's (30s)."`
	Timeout     string     `json:"timeout,omitempty" jsonschema:"example=3s" jsonschema_description:"How long one check may take: a Go duration, at least 1ms. Default the engine's (30s)."`
	Retries     int        `json:"retries,omitempty" jsonschema:"minimum=0" jsonschema_description:"Failures in a row that make the container unhealthy. Default the engine's (3)."`
	StartPeriod string     `json:"start_period,omitempty" jsonschema:"example=5s" jsonschema_description:"Time to start, during which failures do not count: a Go duration."`
	Disable     bool       `json:"disable,omitempty" jsonschema_description:"Turn the image's healthcheck off (test NONE)."`
}

// Logging is where a container's output goes: the engine's log driver.
type Logging struct {
	Driver  string            `json:"driver,omitempty" jsonschema:"example=json-file" jsonschema_description:"The engine's log driver (json-file, local, journald, syslog, none, ...). Default the engine's."`
	Options map[string]string `json:"options,omitempty" jsonschema_description:"The driver's options, e.g. max-size: 10m and max-file: \"3\" for json-file."`
}

// ShortName is the spec's name on its networks (the alias the other
// containers reach it by): Name, or else the last part of the image's
// repository ("shop/web:1.4" is "web").
func (s Spec) ShortName() string {
	if s.Name != "" {
		return s.Name
	}
	repo := s.Image
	if named, err := reference.ParseNormalizedNamed(s.Image); err == nil {
		repo = reference.Path(named)
	} else if i := strings.IndexAny(repo, ":@"); i >= 0 {
		repo = repo[:i]
	}
	return repo[strings.LastIndex(repo, "/")+1:]
}

// RestartPolicy is the engine's restart policy of the spec's containers:
// its name and, for on-failure, the most retries (0 for no bound).
func (s Spec) RestartPolicy() (name string, maxRetries int) {
	switch r := s.Restart; {
	case r == "":
		return RestartUnlessStopped, 0
	case strings.HasPrefix(r, RestartOnFailure+":"):
		n := 0
		fmt.Sscanf(r[len(RestartOnFailure)+1:], "%d", &n)
		return RestartOnFailure, n
	default:
		return r, 0
	}
}

// The restart policies, as compose writes them.
const (
	RestartNo            = "no"
	RestartAlways        = "always"
	RestartUnlessStopped = "unless-stopped"
	RestartOnFailure     = "on-failure"
)
