package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	composecli "github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"github.com/orchestrator/orchestrator/spec"
)

const importLong = `Import converts a docker compose file into specs, one per service, for a
one-command migration: the specs go to standard output as one YAML stream
(which "orchestrator apply -f -" takes), or with -o DIR into DIR, one file
per service, DIR/<service>.yaml.

The compose file is loaded as docker compose loads it (compose-go):
variables are interpolated from the environment and the .env file next to
the compose file, env_file is read into env, extends is resolved, and every
profile is active. A compose file that does not load is an error.

What a spec cannot say is left out and reported on standard error, one line
each, sorted by the compose file's line: "compose.yml:14: web: build: not
supported (the orchestrator runs images; build and tag it first)". Nothing
is dropped silently: every attribute of the compose model that import does
not read is listed, and so are the translations worth knowing.

How a service becomes a spec:
  name                     the service's name (its alias on its networks)
  image                    image; a service without one (build only) is not
                           converted; one spec per image, so of two services
                           with one image the second is not converted
  deploy.replicas, scale   min_replicas and max_replicas, both (compose does
                           not autoscale); 0 is status: stopped (one
                           container, created and not started)
  deploy.resources.limits  resources.cpu and resources.memory ("256m"); the
  cpus, mem_limit          service's cpus and mem_limit when deploy has none
  ports                    "8080:80" is {"80/tcp": 8080}, "80" is
                           {"80/tcp": 0} (random), udp is kept; a host IP is
                           dropped, a host port range or a fixed host port
                           with more than one replica is made random
  environment, env_file    env, as compose resolves them; a variable without
                           a value or with a name that is not POSIX is left out
  command, entrypoint, working_dir, user, tmpfs, cap_add, cap_drop,
  read_only, security_opt, extra_hosts, dns, stop_signal, logging
                           the same fields
  stop_grace_period        stop_grace_period, a Go duration
  labels                   labels, but orchestrator.* keys (ours)
  hostname                 hostname, a prefix: containers are <hostname>-<slot>
  healthcheck              healthcheck (test, interval, timeout, retries,
                           start_period, disable); durations as Go durations
  restart                  restart; deploy.restart_policy wins, as in compose:
                           any is always, on-failure[:max_attempts], none is no
  deploy.placement         placement (constraints, preferences,
                           max_replicas_per_node): where serve --engine swarm
                           runs the tasks; the docker engine ignores it
  volumes                  a named volume is NAME:/path[:ro] (the top-level
                           volume's name: when set); a bind mount is ./rel
                           when its host path is below -o DIR, else the
                           absolute path, which serve allows only with
                           --allow-bind-mounts; a tmpfs mount goes to tmpfs;
                           an anonymous volume is left out
  networks                 networks: compose's default network (where every
                           service without networks: is) is a network named
                           after the project, so services still reach each
                           other by name; a declared network keeps its key
                           (or its name:); an external network is left out
  depends_on               depends_on (a start order: the orchestrator waits
                           for a ready container, healthy when there is a
                           healthcheck); service_completed_successfully and
                           a service without a spec are left out
Not supported, and reported: build, secrets, configs, privileged, devices,
container_name, network_mode, pid, ipc, ulimits, sysctls, links, expose,
profiles, volumes_from, init, deploy.update_config, an
external or non-local volume, an external or non-bridge network, and every
other attribute. Specs keep remove_volumes_on_prune off: a volume keeps its
data, as after "docker compose down" without -v.

Each spec is validated as apply would (a bind mount of any host path is
allowed here: serve's --allow-bind-mounts decides); a service whose spec is
not valid is reported and not converted. With -o, DIR is created if needed,
and an existing file is overwritten only with --force: without it, when
any of the files exists, nothing is written. Files of DIR that the import does not name are left as
they are.

The converted specs are written even when some services are not. Exit
status: 0 when every service was converted, even with report lines; 1 when
a service was not converted, the compose file did not load, a file could
not be written, or --strict was given and there are report lines.`

func (a *app) newImportCmd() *cobra.Command {
	var f importFlags
	cmd := &cobra.Command{
		Use:   "import COMPOSE_FILE [-o DIR]",
		Short: "Convert a docker compose file into specs, one per service",
		Long:  importLong,
		Example: `  # See the specs of a compose file, and what it sets that they cannot say
  orchestrator import compose.yml

  # Write them next to each other, one file per service, and serve them
  orchestrator import compose.yml -o state/
  orchestrator serve --dir state/

  # Or apply them to a running server
  orchestrator import compose.yml | orchestrator apply -f -

  # Fail (exit 1) on anything that did not convert as it is
  orchestrator import --strict compose.yml`,
		Args: cobra.ExactArgs(1),
		RunE: withCode(exitFailure, func(cmd *cobra.Command, args []string) error {
			return a.importCompose(cmd.Context(), args[0], f)
		}),
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.out, "out", "o", "", "write one spec file per service into `DIR` (created if missing) instead of standard output")
	fl.BoolVar(&f.force, "force", false, "with -o, overwrite existing spec files")
	fl.BoolVar(&f.strict, "strict", false, "exit 1 when there is anything to report")
	return cmd
}

type importFlags struct {
	out           string
	force, strict bool
}

func (a *app) importCompose(ctx context.Context, file string, f importFlags) error {
	rep := newReport(file)
	im := &importer{rep: rep}
	if f.out != "" {
		abs, err := filepath.Abs(f.out)
		if err != nil {
			return err
		}
		im.outDir = abs
	}
	project, err := loadCompose(ctx, file, rep)
	if err != nil {
		return err
	}
	im.project = project
	if keys := find(rep.raw, []string{"version"}); len(keys) > 0 {
		rep.addf(keys[0].Line, "", "version", "ignored (obsolete in the compose specification)")
	}
	im.topLevel()

	var specs []spec.Spec
	converted, failed := map[string]bool{}, false
	byImage := map[string]string{}
	opts := spec.Options{HostCPUs: a.hostCPUs, BindRoots: []string{"/"}}
	for _, svc := range servicesInOrder(project, rep) {
		name := svc.Name
		if svc.Image == "" {
			rep.addf(rep.svcLine(name), name, "", "no image: not converted (the orchestrator runs images; build and tag one, and set image:)")
			failed = true
			continue
		}
		if other, dup := byImage[svc.Image]; dup {
			rep.addf(rep.svcLine(name, "image"), name, "image", "%s is also the image of %s, and a spec is one per image: not converted (give it a tag of its own)", svc.Image, other)
			failed = true
			continue
		}
		byImage[svc.Image] = name
		s := im.convert(svc)
		if errs := spec.Validate(s, opts); len(errs) > 0 {
			for _, e := range errs {
				rep.addf(rep.svcLine(name), name, "", "not converted: the spec would not be valid: %s", e.Error())
			}
			failed = true
			continue
		}
		specs = append(specs, s)
		converted[name] = true
	}
	for i, s := range specs { // depends_on names only specs
		var deps []string
		for _, d := range s.DependsOn {
			if !converted[d] {
				rep.addf(im.entryLine(s.Name, "depends_on", d), s.Name, "depends_on", "%s: not converted (see its lines): left out", d)
				continue
			}
			deps = append(deps, d)
		}
		specs[i].DependsOn = deps
	}

	werr := a.writeSpecs(specs, f)
	rep.write(a.stderr)
	switch {
	case werr != nil:
		return werr
	case failed:
		return reported(exitFailure)
	case f.strict && len(rep.notes) > 0:
		return failf(exitFailure, "--strict: %s to report", plural(len(rep.notes), "line"))
	}
	return nil
}

// writeSpecs prints the specs as one stream, or writes them into f.out,
// one file per service, all or none.
func (a *app) writeSpecs(specs []spec.Spec, f importFlags) error {
	if f.out == "" {
		_, err := a.stdout.Write(spec.MarshalYAML(specs...))
		return err
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return err
	}
	if !f.force {
		var exist []string
		for _, s := range specs {
			p := joinDisplay(f.out, s.Name+".yaml")
			if _, err := os.Lstat(p); err == nil {
				exist = append(exist, p)
			}
		}
		if len(exist) > 0 {
			return failf(exitFailure, "already there (use --force to overwrite them): %s; nothing written", strings.Join(exist, ", "))
		}
	}
	for _, s := range specs {
		p := joinDisplay(f.out, s.Name+".yaml")
		if err := spec.WriteAtomic(p, spec.MarshalYAML(s), 0); err != nil { // a watching serve never reads half a file
			return err
		}
		fmt.Fprintf(a.stdout, "wrote %s\n", p)
	}
	return nil
}

var quietCompose sync.Once

// loadCompose loads the compose file as docker compose does, from its own
// directory, with every profile active and env_file read into environment.
func loadCompose(ctx context.Context, file string, rep *report) (*types.Project, error) {
	// compose-go logs its warnings through logrus: the report says what
	// matters, and nothing else may write to the terminal.
	quietCompose.Do(func() { logrus.SetOutput(io.Discard) })
	opts, err := composecli.NewProjectOptions([]string{file},
		composecli.WithWorkingDirectory(filepath.Dir(file)),
		composecli.WithOsEnv,
		composecli.WithEnvFiles(),
		composecli.WithDotEnv,
		composecli.WithProfiles([]string{"*"}),
		composecli.WithDiscardEnvFile,
		composecli.WithLoadOptions(rep.unsupportedCheck()),
	)
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(ctx)
}

// servicesInOrder are the project's services in the order the file
// writes them (those from elsewhere, as an included file, after them by
// name).
func servicesInOrder(p *types.Project, rep *report) []types.ServiceConfig {
	type ranked struct {
		line int
		svc  types.ServiceConfig
	}
	var out []ranked
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		line := 1 << 30
		if keys := find(rep.raw, []string{"services", name}); len(keys) > 0 {
			line = keys[0].Line
		}
		out = append(out, ranked{line, p.Services[name]})
	}
	slices.SortStableFunc(out, func(a, b ranked) int { return a.line - b.line })
	svcs := make([]types.ServiceConfig, len(out))
	for i, r := range out {
		svcs[i] = r.svc
	}
	return svcs
}
