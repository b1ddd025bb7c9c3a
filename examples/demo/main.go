// Command demo is the small HTTP server that the examples, `make run` and the
// tests run as containers: no registry is reachable, so the orchestrator
// ships its own image, built FROM scratch from this static binary. One binary
// plays every tier of an example (web, api, kv store); its environment and
// flags choose the role.
//
// Routes:
//
//	GET  /                hostname, effective name and environment, as JSON
//	GET  /healthz         200 "ok", or 503 "sick" after POST /sick (or with SICK)
//	POST /sick            make /healthz answer 503 from now on
//	POST /well            make /healthz answer 200 again
//	GET  /burn?seconds=N  spin one core for N seconds (default 10, at most
//	                      600), so that CPU autoscaling can be shown for real
//	GET  /chain           {"hostname", "name", "upstream"}: "upstream" is the
//	                      decoded answer of $UPSTREAM/chain, absent without
//	                      UPSTREAM; 502 {"hostname", "name", "error"} when the
//	                      upstream fails; 508 past 8 hops (an UPSTREAM loop)
//	PUT  /kv/{key}        store the body as the key: 204, or 413 past 1 MiB
//	GET  /kv/{key}        the stored body, or 404
//	GET  /kv/             the stored keys, as a sorted JSON array
//	GET  /kv-starts       how many times a server started on this DATA_DIR,
//	                      counting this one (text), so a replacement container
//	                      shows that it saw its predecessor's volume
//
// The /kv routes exist only with DATA_DIR (404 without). Keys match
// [A-Za-z0-9_.-]{1,128} and are not "." or ".." (else 400). Values live in
// DATA_DIR/kv/<key>, written atomically (temp file, then rename); the start
// counter is DATA_DIR/.starts.
//
// Environment:
//
//	PORT      TCP port to listen on (default 8080)
//	NAME      this tier's name, reported by / and /chain (default "")
//	UPSTREAM  base URL that /chain calls, e.g. http://api:8080
//	DATA_DIR  directory (a volume) for the /kv routes and the start counter
//	STOP_MARKER_DIR  directory where a graceful stop (SIGTERM, Ctrl-C)
//	          leaves a file named after the hostname; a kill leaves none
//	SICK      true (or 1): start sick, /healthz answering 503 until POST
//	          /well, so that a spec's env makes a version that never passes
//	          its healthcheck (a rollout that must pause)
//
// Flags, for a spec's `command:` (the image's ENTRYPOINT is /demo, so the
// command items are its arguments); a flag that is given wins over the env:
//
//	-port N     overrides $PORT
//	-name NAME  overrides $NAME
//	-check URL  healthcheck mode: GET URL with a 2 s timeout, exit 0 on a 2xx
//	            answer, else print one line and exit 1; never serves. The
//	            image has no shell or curl, so a HEALTHCHECK is
//	            ["CMD", "/demo", "-check", "http://127.0.0.1:8080/healthz"]
//
// Unknown flags or arguments print the usage and exit 2. The server stops on
// SIGTERM or SIGINT, letting requests in flight finish for up to 5 s.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// config is what the environment and the flags ask for.
type config struct {
	port     string
	name     string
	upstream string // base URL without a trailing slash; "" means none
	dataDir  string // "" means no /kv routes
	// stopMarkers is a directory where a graceful stop leaves a file named
	// after the hostname; "" means none. A killed container leaves none,
	// which is how tests tell a graceful stop from a kill.
	stopMarkers string
	sick        bool // start with /healthz answering 503
	check       bool // -check was given: probe checkURL and exit
	checkURL    string
}

// errConfig is a configuration error already reported to stderr.
var errConfig = errors.New("invalid configuration")

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stderr))
}

// run is main with its inputs passed in, so tests can drive the flags.
// It returns the exit code: 2 for a usage error, as the flag package does.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	cfg, err := parseConfig(args, getenv, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		return 2
	}
	if cfg.check {
		return check(ctx, cfg.checkURL, checkTimeout, stderr)
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if err := serve(ctx, cfg, log); err != nil {
		log.Error("serve failed", "err", err)
		return 1
	}
	return 0
}

// parseConfig reads the environment, then lets the flags that are given
// override it. An empty `-name ""` is an override too, so flag.Visit, not
// the value, decides.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: demo [-port N] [-name NAME]\n       demo -check URL\n\n")
		fs.PrintDefaults()
		fmt.Fprint(stderr, "\nenvironment: PORT (default 8080), NAME, UPSTREAM, DATA_DIR, STOP_MARKER_DIR, SICK; a given flag wins\n")
	}
	port := fs.String("port", "", "listen on TCP port `N` (overrides $PORT)")
	name := fs.String("name", "", "this tier's `NAME`, reported by / and /chain (overrides $NAME)")
	checkURL := fs.String("check", "", "GET `URL` and exit 0 on a 2xx answer, 1 otherwise; does not serve")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "demo: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return config{}, errConfig
	}

	cfg := config{
		port:     getenv("PORT"),
		name:     getenv("NAME"),
		upstream: getenv("UPSTREAM"),
		dataDir:  getenv("DATA_DIR"),

		stopMarkers: getenv("STOP_MARKER_DIR"),
	}
	if cfg.port == "" {
		cfg.port = "8080"
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "port":
			cfg.port = *port
		case "name":
			cfg.name = *name
		case "check":
			cfg.check, cfg.checkURL = true, *checkURL
		}
	})
	if cfg.check {
		return cfg, nil // a probe needs nothing else, so nothing else may fail it
	}
	if n, err := strconv.Atoi(cfg.port); err != nil || n < 1 || n > 65535 {
		fmt.Fprintf(stderr, "demo: port %q is not a TCP port number\n", cfg.port)
		return config{}, errConfig
	}
	if v := getenv("SICK"); v != "" {
		sick, err := strconv.ParseBool(v)
		if err != nil {
			fmt.Fprintf(stderr, "demo: SICK %q is not true or false\n", v)
			return config{}, errConfig
		}
		cfg.sick = sick
	}
	if cfg.upstream != "" {
		// Fail at start rather than on every /chain: "api:8080" without a
		// scheme parses as a URL with scheme "api", so check for one.
		u, err := url.Parse(cfg.upstream)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fmt.Fprintf(stderr, "demo: UPSTREAM %q is not an http(s)://host[:port] URL\n", cfg.upstream)
			return config{}, errConfig
		}
		cfg.upstream = strings.TrimRight(cfg.upstream, "/")
	}
	return cfg, nil
}

// serve runs the server until ctx ends or a signal asks it to stop.
func serve(ctx context.Context, cfg config, log *slog.Logger) error {
	s, err := newServer(cfg, log)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv := &http.Server{
		Addr:              ":" + cfg.port,
		Handler:           s.routes(),
		ReadHeaderTimeout: 5 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("listening", "addr", srv.Addr, "name", cfg.name, "upstream", cfg.upstream, "data_dir", cfg.dataDir)
	select {
	case err := <-errc:
		return fmt.Errorf("listen on %s: %w", srv.Addr, err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	if cfg.stopMarkers != "" {
		if err := writeStopMarker(cfg.stopMarkers); err != nil {
			log.Warn("stop marker not written", "err", err)
		}
	}
	// Wait for requests in flight, but not for a long /burn: the engine
	// would kill us anyway once its stop timeout (10 s by default) passes.
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		log.Warn("requests still running at shutdown; closing them", "err", err)
		srv.Close()
	}
	return nil
}

// writeStopMarker leaves dir/<hostname> on a graceful stop, holding the
// time: the signal was received and the handler had time to run.
func writeStopMarker(dir string) error {
	host, err := os.Hostname()
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, host), []byte(time.Now().UTC().Format(time.RFC3339Nano)+"\n"), 0o644)
}
