// Command orchestrator-bench measures the orchestrator against the engine's
// own floor, in the same run, and prints one table (issue 6).
//
// It builds its own FROM-scratch demo image and the orchestrator binary, runs
// `orchestrator serve` as a subprocess with its own instance label and state
// dir, and removes every container of that label at the end, also when it
// is interrupted. Run it from the module root: make bench, make bench-quick.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/docker/docker/client"
)

// Row is one line of the table: a measure summarized over the repetitions.
type Row struct {
	Scenario string `json:"scenario"`
	Metric   string `json:"metric"`
	Unit     string `json:"unit"`
	Summary
	Note string `json:"note,omitempty"`
}

// bench is one run: its settings, its engine client, serve, and the rows.
type bench struct {
	n, reps, apiN int
	apiDur        time.Duration // load per endpoint in the API scenario...
	apiDur400     time.Duration // ...and in GET /containers on the idle setup
	loopPars      []int         // the SDK loop's concurrencies in the convergence scenario
	edits         int           // edits of the reaction scenario
	drainSamples  int           // samples of the scale-down scenario, and as many baseline ones
	idleSpecs     int           // specs of the idle scenario, idleReplicas containers each
	idleDur       time.Duration // idle time measured, in idleWindows windows
	reps400       int           // repetitions of GET /containers on the idle setup
	changeSmall   int           // spec files for the change cost, then...
	changeLarge   int           // ...this many
	changes       []change      // the changes whose cost is counted at each size
	gitEdits      int           // pushes announced by a webhook in the git scenarios
	gitPollEdits  int           // pushes found by polling
	gitCalls      int           // API scale calls on each serve, with git and without
	swarmEdits    int           // env edits of the swarm scenario

	run      string // instance label of serve: bench-<pid>
	tmp, dir string // temp root; the watched state dir
	cli      *client.Client
	hc       *http.Client
	srv      *server
	px       *proxy   // serve's engine calls go through it
	logPath  string   // serve's log, for a human when something fails
	tags     []string // image tags this run made, removed at the end
	rows     []Row

	bin       string   // the orchestrator built for the run
	serveArgs []string // -serve-args, for every serve of the run
	// onCleanup stops what scenarios started for themselves (the git
	// scenarios' serves), first of all in the cleanup.
	onCleanup []func()
}

func (b *bench) add(r Row) { b.rows = append(b.rows, r) }

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err := run(); err != nil {
		if errors.Is(err, context.Canceled) {
			err = fmt.Errorf("interrupted: %w", err)
		}
		fmt.Fprintln(os.Stderr, "orchestrator-bench:", err)
		os.Exit(1)
	}
}

func run() error {
	b := &bench{}
	quick := flag.Bool("quick", false, "small sizes: n=10, reps=1, SDK loop 8 at a time, api with 20 containers for 1 s, 10 edits, 5 scale-down samples, idle 10 specs for 3 s, change cost of −1 container at 50 and 250 files, git 10 webhook pushes, 4 polled pushes, 4 API calls of each kind, 3 swarm edits")
	out := flag.String("o", "", "also write the table as JSON to `FILE`")
	flag.IntVar(&b.n, "n", 50, "replicas for the convergence scenarios (containers, and swarm tasks)")
	flag.IntVar(&b.reps, "reps", 3, "repetitions of the convergence scenarios (the swarm's: each of serve and the baseline) and of the API scenario")
	flag.IntVar(&b.apiN, "api-n", 100, "running containers for the API scenario")
	flag.DurationVar(&b.apiDur, "api-duration", 5*time.Second, "load time per endpoint in the API scenario")
	flag.DurationVar(&b.apiDur400, "idle-api-duration", 10*time.Second, "load time per endpoint of GET /containers on the idle setup")
	flag.IntVar(&b.edits, "edits", 100, "spec edits in the reaction scenario")
	flag.IntVar(&b.drainSamples, "scaledown-samples", 10, "new specs written while a spec of 10 scales to 0 with a 10 s grace period (and as many without)")
	flag.IntVar(&b.idleSpecs, "idle-specs", 200, "specs of 2 containers in the idle scenario")
	flag.DurationVar(&b.idleDur, "idle-duration", 60*time.Second, "idle time measured, as 3 windows")
	flag.IntVar(&b.reps400, "reps-idle-api", 2, "repetitions of GET /containers on the idle setup")
	flag.IntVar(&b.gitEdits, "git-edits", 24, "pushes announced by a webhook in the git scenarios (rounded up to even: the spec ends where it began)")
	flag.IntVar(&b.gitPollEdits, "git-poll-edits", 8, "pushes found by polling every 1 s in the git scenarios")
	flag.IntVar(&b.gitCalls, "git-calls", 6, "API scale calls of each kind (the count changes; no engine action) on serve --git and as many without git, rounded up to even")
	flag.IntVar(&b.swarmEdits, "swarm-edits", 10, "env edits of a spec of 2 replicas on serve --engine swarm, each after the rolling update of the one before (about 8 s each)")
	flag.IntVar(&b.changeLarge, "change-files", 1000, "spec files for the second change cost (the first is with the idle specs alone)")
	only := flag.String("only", "converge,api,reaction,scaledown,git,swarm,idle", "the scenarios to run, of `LIST` converge,api,reaction,scaledown,git,swarm,idle (idle includes GET /containers at 400 and the change cost; swarm makes the engine a single-node swarm for its length when it is in none)")
	serveArgs := flag.String("serve-args", "", "extra `FLAGS` for serve, e.g. \"--parallelism 8\"")
	flag.Parse()
	b.loopPars, b.changeSmall = []int{8, 16}, b.idleSpecs
	b.changes = []change{{2, 1}, {1, 2}}
	if *quick {
		b.n, b.reps, b.apiN, b.apiDur, b.apiDur400, b.loopPars = 10, 1, 20, time.Second, time.Second, []int{8}
		b.edits, b.idleSpecs, b.idleDur, b.reps400 = 10, 10, 3*time.Second, 1
		b.drainSamples = 5
		b.changeSmall, b.changeLarge, b.changes = 50, 250, []change{{2, 1}}
		b.gitEdits, b.gitPollEdits, b.gitCalls = 10, 4, 4
		b.swarmEdits = 3
	}
	if b.gitEdits < 1 || b.gitPollEdits < 1 || b.gitCalls < 1 {
		return fmt.Errorf("-git-edits, -git-poll-edits and -git-calls must be at least 1")
	}
	b.gitEdits += b.gitEdits % 2
	b.serveArgs = strings.Fields(*serveArgs)
	want := map[string]bool{}
	for _, name := range strings.Split(*only, ",") {
		want[strings.TrimSpace(name)] = true
	}
	// Checked before anything runs, not after minutes of other scenarios.
	if _, err := exec.LookPath("git"); want["git"] && err != nil {
		return fmt.Errorf("the git scenarios push to a file:// remote, for which go-git runs git-receive-pack: no git here (%w); -only without git skips them", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()

	var err error
	if b.tmp, err = os.MkdirTemp("", "orchestrator-bench-"); err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(b.tmp)
	b.run = fmt.Sprintf("%s%d", instancePrefix, os.Getpid())
	b.dir = filepath.Join(b.tmp, "state")
	if err := os.MkdirAll(b.dir, 0o755); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}

	if err := runDirScale(b); err != nil {
		return err
	}
	if b.cli, err = newClient(ctx); err != nil {
		return err
	}
	defer b.cli.Close()
	b.hc = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: apiClients * 2}}
	if want["swarm"] {
		info, err := b.cli.Info(ctx)
		if err != nil {
			return fmt.Errorf("docker info: %w", err)
		}
		if err := swarmUsable(info); err != nil {
			return err
		}
	}
	if err := removeLeftovers(ctx, b.cli); err != nil {
		return err
	}
	// The cleanup is deferred before anything is made: serve is stopped
	// first, so that it cannot heal what is then removed, and the tags go
	// last.
	defer b.cleanup()
	slog.Info("building the demo image and the orchestrator")
	if err := buildImage(ctx, b.tmp); err != nil {
		return err
	}
	if err := b.tag(ctx, reactionImage); err != nil {
		return err
	}
	if b.bin, err = buildOrchestrator(ctx, b.tmp); err != nil {
		return err
	}
	// keep.yaml keeps the dir from ever being empty; max 1, since an
	// autoscaled spec is sampled all the time, which the idle cost would
	// count. The reaction spec runs from the start, so that its first
	// start's min-ready pass is long over when its edits begin.
	if err := writeFile(filepath.Join(b.dir, "keep.yaml"), fmt.Sprintf("image: %s\nmin_replicas: 1\nmax_replicas: 1\nresources: {cpu: 100m, memory: 32m}\n", keepImage)); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(b.dir, reactionFile), reactionSpec(1)); err != nil {
		return err
	}
	if b.px, err = startProxy(filepath.Join(b.tmp, "engine.sock"), engineSocket()); err != nil {
		return err
	}
	b.logPath = filepath.Join(os.TempDir(), b.run+"-serve.log")
	if b.srv, err = startServe(ctx, b.bin, b.dir, b.run, "unix://"+b.px.sock, b.logPath, b.serveArgs); err != nil {
		return err
	}
	slog.Info("serve is up", "addr", b.srv.addr, "instance", b.run, "log", b.logPath)
	scenarios := []struct {
		name string
		run  func(context.Context, *bench) error
	}{{"converge", runConverge}, {"api", runAPI}, {"reaction", runReaction}, {"scaledown", runScaleDown}, {"git", runGit}, {"swarm", runSwarm}, {"idle", runIdleAll}}
	for _, s := range scenarios {
		if !want[s.name] {
			continue
		}
		if err := s.run(ctx, b); err != nil {
			return err
		}
	}
	printTable(os.Stdout, b.rows, time.Since(start))
	fmt.Printf("(orchestrator built from %s)\n", treeState())
	if *out != "" {
		return writeJSON(*out, b.rows)
	}
	return nil
}

// runIdleAll is the idle setup and what is measured on it: the idle cost,
// GET /containers at 400, and the cost of one change.
func runIdleAll(ctx context.Context, b *bench) error {
	// Left by the scenarios before, or by main when they were not run.
	for _, f := range []string{"app.yaml", reactionFile} {
		if err := os.Remove(filepath.Join(b.dir, f)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove %s: %w", f, err)
		}
	}
	running, err := runIdle(ctx, b)
	if err != nil {
		return err
	}
	if err := runAPIAt400(ctx, b, running); err != nil {
		return err
	}
	return runChangeCost(ctx, b)
}

// cleanup stops the serves and removes every container and tag of this run,
// with a fresh context: the run's own may be cancelled by a signal.
func (b *bench) cleanup() {
	for _, stop := range b.onCleanup {
		stop()
	}
	b.srv.stop()
	b.px.close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	n, err := removeRun(ctx, b.cli, b.run)
	if err != nil {
		slog.Error("cleanup: containers", "err", err)
	}
	t, err := removeTags(ctx, b.cli, b.tags)
	if err != nil {
		slog.Error("cleanup: tags", "err", err)
	}
	slog.Info("cleanup: removed this run's containers and tags", "instance", b.run, "containers", n, "tags", t, "took", time.Since(start).Round(time.Millisecond))
}

// treeState names the source the orchestrator was built from: the commit,
// "-dirty" when the working tree differs, and how many files outside the
// benchmark's own do (the numbers move with the orchestrator's code).
func treeState() string {
	desc, err := exec.Command("git", "describe", "--always", "--dirty").Output()
	if err != nil {
		return "an unknown tree"
	}
	s := strings.TrimSpace(string(desc))
	st, err := exec.Command("git", "status", "--porcelain", "--", ".", ":!cmd/orchestrator-bench").Output()
	if err == nil {
		s += fmt.Sprintf("; %d files changed or new outside cmd/orchestrator-bench", strings.Count(string(st), "\n"))
	}
	return s
}

// printTable writes the rows as an aligned table.
func printTable(w io.Writer, rows []Row, took time.Duration) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tmetric\tunit\tmin\tmedian\tmax\tnote")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Scenario, r.Metric, r.Unit, num(r.Min), num(r.Median), num(r.Max), r.Note)
	}
	tw.Flush()
	fmt.Fprintf(w, "(run up to this table: %s; the cleanup follows)\n", took.Round(time.Second))
}

// num formats a value with three significant-ish digits.
func num(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.4f", v)
	}
}

// writeJSON writes the rows to path.
func writeJSON(path string, rows []Row) error {
	data, err := json.MarshalIndent(rows, "", "  ")
	if err != nil {
		return fmt.Errorf("encode table: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
