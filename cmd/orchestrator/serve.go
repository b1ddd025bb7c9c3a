package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/orchestrator/orchestrator/api"
	"github.com/orchestrator/orchestrator/api/events"
	"github.com/orchestrator/orchestrator/reconciler"
	"github.com/orchestrator/orchestrator/reconciler/autoscale"
	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/reconciler/stats"
	"github.com/orchestrator/orchestrator/spec"
	"github.com/orchestrator/orchestrator/watcher"
	"github.com/orchestrator/orchestrator/watcher/gitsync"
)

// serveFlags are the flags of serve.
type serveFlags struct {
	addr         string
	token        string
	tokenFile    string
	waitTimeout  time.Duration
	host         string
	logFormat    string
	logLevel     string
	instance     string
	instanceSet  bool // --instance was given, maybe empty (the legacy mode)
	parallelism  int
	resync       time.Duration
	readyTimeout time.Duration
	minReady     time.Duration
	allowEmpty   bool
	statsLease   time.Duration
	engineWait   time.Duration // bound of one engine call (--engine-timeout)
	engine       string        // --engine: docker or swarm
	debugAddr    string
	git          gitFlags
	// listener, when set, is served instead of listening on addr: a caller
	// that holds an open one (the tests) never races another process for a
	// port that was free a moment before.
	listener net.Listener
	// engineHost, when set, is the engine's address instead of DOCKER_HOST:
	// the fault tests put a proxy there, and their docker CLI stays direct.
	engineHost string
}

// sampled is what the sampler samples: the engine, with the container list
// of the Observed that costs no engine call while nothing changed.
type sampled struct{ *engine.Observed }

func (s sampled) List(ctx context.Context) ([]engine.Container, error) { return s.Current(ctx) }

func (a *app) newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve --dir DIR",
		Short: "Keep the Docker engine equal to the specs in DIR, continuously",
		Long: `serve watches the state directory and runs the reconciler: every change of
a spec file, every engine event about a managed container, and a periodic
resync start a pass that makes the engine match the files. It creates,
starts, stops, replaces and removes containers, and heals what is changed
by hand.

It stops on SIGINT or SIGTERM and leaves the containers running; a new
serve adopts them (they carry their spec in labels) and creates no
duplicates.

An empty or missing state directory is an error, never "remove
everything": start with --allow-empty to allow that.

A spec with max_replicas > min_replicas is autoscaled on CPU, like a
Kubernetes HPA: its target count moves between max(min_replicas,1) and
max_replicas after the containers' CPU use against autoscale.target_cpu_percent
(default 70) of the CPU limit. The count is runtime state, never written to
the files; orchestrator status shows it with the utilisation and the reason.

It serves the REST API of the original FastAPI orchestrator on --addr
(default 127.0.0.1:8000): GET /images, POST /start/container, scale,
reconcile, container PATCH/DELETE, health, plus /openapi.json, /docs,
/metrics and /events (live Server-Sent Events: actions, statuses, engine
events, file changes, git revisions). Every write goes to the files of DIR.
Binding anything but loopback needs --token (or $ORCHESTRATOR_TOKEN); with a
token, every endpoint but GET /health needs "Authorization: Bearer <token>"
(the event streams also take ?access_token=<token>).`,
		Example: `  # Run the examples (make run builds their image first)
  orchestrator serve --dir examples/state

  # JSON logs, more actions at once, a faster resync
  orchestrator serve --dir /srv/state --log-format json --parallelism 8 --resync 10s`,
		Args: cobra.NoArgs,
		RunE: withCode(exitFailure, func(cmd *cobra.Command, _ []string) error {
			if err := f.git.check(cmd.Flags()); err != nil {
				return err
			}
			if f.git.url == "" { // with --git, --dir is the checkout, and has a default
				if err := a.requireDir(); err != nil {
					return err
				}
			}
			log, err := newLogger(a.stderr, f.logFormat, f.logLevel)
			if err != nil {
				return usagef("%v", err)
			}
			switch {
			case f.tokenFile != "" && f.token != "":
				return usagef("--token and --token-file are two sources of one token: give one")
			case f.tokenFile != "":
				if f.token, err = secretFromFile("token-file", f.tokenFile); err != nil {
					return usagef("%v", err)
				}
			case f.token == "":
				f.token = a.getenv("ORCHESTRATOR_TOKEN")
			}
			if err := api.CheckBind(f.addr, f.token); err != nil {
				return usagef("%v", err)
			}
			if f.statsLease < 0 {
				return usagef("--stats-lease must not be negative, got %s", f.statsLease)
			}
			if f.engine != engineDocker && f.engine != engineSwarm {
				return usagef("--engine must be docker or swarm, got %q", f.engine)
			}
			f.instanceSet = cmd.Flags().Changed("instance")
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return a.serve(ctx, f, log)
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8000", "`ADDR` to serve HTTP on")
	fl.StringVar(&f.token, "token", "", "bearer `TOKEN` required by the API (env ORCHESTRATOR_TOKEN); needed to bind a non-loopback address")
	fl.StringVar(&f.tokenFile, "token-file", "", "`FILE` holding the API's bearer token, as --token (a Docker or systemd secret)")
	fl.DurationVar(&f.waitTimeout, "wait-timeout", 60*time.Second, "how long a write through the API waits for its reconcile pass")
	fl.StringVar(&f.host, "advertise-host", "", "`HOST` named in discovery webhooks, where published ports are reached (default: the hostname)")
	fl.StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	fl.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fl.StringVar(&f.instance, "instance", "", "`NAME` of this orchestrator: labels its containers and prefixes their names (default: derived from --dir, labels only; '' = containers without the label, as before instances)")
	fl.IntVar(&f.parallelism, "parallelism", 8, "engine actions at once (make bench: 8 matches the best plain SDK loop on 2 cores)")
	fl.DurationVar(&f.resync, "resync", 30*time.Second, "periodic pass interval (jittered by 10%)")
	fl.DurationVar(&f.engineWait, "engine-timeout", 30*time.Second, "bound of one engine call (a stop gets its grace period on top): a stalled engine fails calls, and /status says it is unavailable, instead of holding the reconciler")
	fl.DurationVar(&f.readyTimeout, "ready-timeout", 60*time.Second, "how long a new container has to become ready before a rollout pauses (old containers kept, Degraded) until the spec changes")
	fl.DurationVar(&f.minReady, "min-ready", 5*time.Second, "how long a new container must run without a restart before a rollout removes an old one for it (0: as soon as it is ready)")
	fl.DurationVar(&f.statsLease, "stats-lease", 5*time.Minute, "sample an image's stats for this long after its last health request (autoscaled images always); 0 samples every container all the time")
	fl.StringVar(&f.debugAddr, "debug-addr", "", "`ADDR` to serve Go's /debug/pprof on (off by default; never expose it)")
	fl.BoolVar(&f.allowEmpty, "allow-empty", false, "let an empty state directory remove every managed container")
	fl.StringVar(&f.engine, "engine", engineDocker, "`ENGINE` to run the specs on: docker (containers on this engine) or swarm (one Swarm service per spec; the engine must be a swarm manager)")
	f.git.bind(fl)
	return cmd
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json, got %q", format)
}

// serve wires the watcher, the reconciler and the HTTP server, and runs them
// until ctx ends or one of them fails.
func (a *app) serve(ctx context.Context, f serveFlags, log *slog.Logger) error {
	// Where the specs are: DIR, or with --git the state directory of a
	// checkout that DIR (or a default) holds.
	metrics := api.NewMetrics()
	// GET /events: the feed hears of the reconciler, the engine, the
	// watcher and git; it is made once the remote, if any, is known (git
	// speaks only once its Run or SyncNow is called, below).
	hub := events.New(events.Options{})
	var feed *api.Feed
	home, stateDir := a.dir, a.dir
	var repo *gitsync.Repo
	secret := ""
	if f.git.url != "" {
		var err error
		obs := gitMetrics{metrics, func() string { return repo.Status().Branch }, func(rev gitsync.Revision) { feed.GitSynced(rev.Commit, rev.Subject, rev.Author) }}
		repo, secret, err = a.gitRepo(f.git, a.dir, obs, log.With("component", "git"))
		if err != nil {
			return err
		}
		home, stateDir = filepath.Dir(repo.StateDir()), repo.StateDir()
	}
	feedOpts := api.FeedOptions{Logger: log.With("component", "events")}
	if repo != nil {
		feedOpts.Git = gitView{repo}
	}
	feed = api.NewFeed(hub, feedOpts)
	// Whose containers these are: the explicit --instance (which also
	// prefixes names), else one derived from the directory. One serve per
	// directory and per instance on this host.
	instance, prefix := f.instance, f.instance
	if !f.instanceSet {
		var err error
		if instance, err = defaultInstance(home); err != nil {
			return err
		}
		prefix = ""
	}
	release, err := lockServe(home, instance)
	if err != nil {
		return err
	}
	defer release()
	served, err := openEngine(ctx, f, instance)
	if err != nil {
		return err
	}
	defer served.close()
	dockerEngine := served.local
	// Readers of the container list (the API, the sampler) reuse the last
	// list until an event or an action changes it.
	observed := engine.NewObserved(served.Engine)
	opts := a.options()
	if opts.HostCPUs == 0 {
		if n, err := dockerEngine.CPUs(ctx); err == nil {
			opts.HostCPUs = n // cpu limits are bounded by the engine's host, not ours
		} else {
			return fmt.Errorf("docker engine unreachable: %w", err)
		}
	}
	dir := spec.NewDir(stateDir, opts)
	if f.git.commit {
		if dir.Recorder, err = localRecorder(f.git, stateDir); err != nil {
			return err
		}
	}
	w := watcher.New(stateDir, watcher.Options{Logger: log.With("component", "watcher"), Observer: metrics, Files: feed})
	// The autoscaler's recommendations are runtime state: the reconciler
	// reads them as targets; nothing is written to the files.
	autoscaler := autoscale.New(autoscale.Options{Logger: log.With("component", "autoscaler")})
	r := reconciler.New(dir, observed, reconciler.Options{
		Instance: instance, NamePrefix: prefix, Parallelism: f.parallelism, Resync: f.resync,
		ReadyTimeout: f.readyTimeout, MinReady: max(f.minReady, time.Nanosecond), AllowEmpty: f.allowEmpty, Logger: log.With("component", "reconciler"),
		Observer: reconciler.Observers{metrics, feed}, EngineObserver: feed, Host: f.host, Autoscaler: autoscaler,
		Services: served.services,
	})
	// Docker 20.10 answers one-shot stats at its once-a-second collection,
	// so a round takes about running/Parallelism seconds. 128 keeps the
	// first health request of an image of 100 replicas near 1 s (it waits
	// for a round; with 32 it took 4.7 s in make bench).
	sampler := stats.New(sampled{observed}, r.Desired, stats.Options{
		HostCPUs: opts.HostCPUs, Parallelism: 128, Lease: f.statsLease, Logger: log.With("component", "sampler"),
	})
	apiOpts := api.Options{Token: f.token, WaitTimeout: f.waitTimeout, Logger: log.With("component", "api"), Metrics: metrics, Events: hub}
	if repo != nil {
		dir.Recorder = repo // every API write is a commit, pushed before the file is written
		apiOpts.Git, apiOpts.WebhookSecret = gitView{repo}, secret
	}
	server := api.New(dir, r, observed, sampler, apiOpts)
	ln := f.listener
	if ln == nil {
		if ln, err = net.Listen("tcp", f.addr); err != nil {
			return fmt.Errorf("listen %s: %w", f.addr, err)
		}
	}
	var debugLn net.Listener // before anything runs: a bad address stops nothing half-way
	if f.debugAddr != "" {
		if debugLn, err = net.Listen("tcp", f.debugAddr); err != nil {
			ln.Close()
			return fmt.Errorf("listen %s: %w", f.debugAddr, err)
		}
	}
	srv := &http.Server{
		Handler:           server.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      f.waitTimeout + 30*time.Second, // a write waits for its pass
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	srv.RegisterOnShutdown(server.CloseStreams) // a logs follow or /events must not hold the shutdown
	log.Info("serving", "dir", stateDir, "addr", ln.Addr().String(), "instance", instance, "host_cpus", opts.HostCPUs, "git", gitsync.Redacted(f.git.url), "engine", f.engine)
	logOthers(ctx, dockerEngine, instance, log)

	// Each component runs until ctx ends or one fails, which ends the rest.
	g, ctx := errgroup.WithContext(ctx)
	if repo != nil {
		g.Go(func() error { return repo.Run(ctx) })
		// The first revision is in place before anything reads the
		// directory; without one (the remote cannot be had) nothing is
		// pruned, and the next sync brings it.
		first, cancel := context.WithTimeout(ctx, 2*time.Minute)
		if _, err := repo.SyncNow(first); err != nil {
			log.Warn("no revision of the git remote yet: serving without one; containers are left as they are", "err", err)
		}
		cancel()
	}
	g.Go(func() error { return w.Run(ctx) })
	g.Go(func() error { return r.Run(ctx, w.Changes()) })
	g.Go(func() error { return sampler.Run(ctx) })
	g.Go(func() error { return autoscaler.Run(ctx, r.Desired, sampler.Usage, r.Nudge) })
	g.Go(func() error {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shut)
	})
	if debugLn != nil {
		g.Go(func() error { return serveDebug(ctx, debugLn, log) })
	}
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http: %w", err)
		}
		return nil
	})
	err = g.Wait()
	log.Info("stopped; managed containers are left running")
	return err
}
