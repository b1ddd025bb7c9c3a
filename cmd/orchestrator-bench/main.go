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
	"os"
	"os/signal"
	"path/filepath"
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
	apiDur        time.Duration
	run           string // instance label of serve: bench-<pid>
	tmp, dir      string // temp root; the watched state dir
	cli           *client.Client
	srv           *server
	rows          []Row
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
	quick := flag.Bool("quick", false, "small sizes: n=10, reps=1, api with 20 containers for 2 s")
	out := flag.String("o", "", "also write the table as JSON to `FILE`")
	flag.IntVar(&b.n, "n", 50, "replicas for the convergence scenario")
	flag.IntVar(&b.reps, "reps", 3, "repetitions of each scenario")
	flag.IntVar(&b.apiN, "api-n", 100, "running containers for the API scenario")
	flag.DurationVar(&b.apiDur, "api-duration", 10*time.Second, "load time per endpoint in the API scenario")
	flag.Parse()
	if *quick {
		b.n, b.reps, b.apiN, b.apiDur = 10, 1, 20, 2*time.Second
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
	if err := removeLeftovers(ctx, b.cli); err != nil {
		return err
	}
	slog.Info("building the demo image and the orchestrator")
	if err := buildImage(ctx, b.tmp); err != nil {
		return err
	}
	bin, err := buildOrchestrator(ctx, b.tmp)
	if err != nil {
		return err
	}
	// The cleanup is deferred before serve starts: serve is stopped first,
	// so that it cannot heal what is then removed.
	defer b.cleanup()
	if err := writeFile(filepath.Join(b.dir, "keep.yaml"), fmt.Sprintf("image: %s\nresources: {cpu: 100m, memory: 32m}\n", keepImage)); err != nil {
		return err
	}
	if b.srv, err = startServe(ctx, bin, b.dir, b.run, filepath.Join(os.TempDir(), b.run+"-serve.log")); err != nil {
		return err
	}
	slog.Info("serve is up", "addr", b.srv.addr, "instance", b.run)
	if err := runConverge(ctx, b); err != nil {
		return err
	}
	if err := runAPI(ctx, b); err != nil {
		return err
	}
	printTable(os.Stdout, b.rows, time.Since(start))
	if *out != "" {
		return writeJSON(*out, b.rows)
	}
	return nil
}

// cleanup stops serve and removes every container of this run, with a
// fresh context: the run's own may be cancelled by a signal.
func (b *bench) cleanup() {
	b.srv.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n, err := removeRun(ctx, b.cli, b.run)
	if err != nil {
		slog.Error("cleanup", "err", err)
		return
	}
	slog.Info("cleanup: removed this run's containers", "instance", b.run, "containers", n)
}

// printTable writes the rows as an aligned table.
func printTable(w io.Writer, rows []Row, took time.Duration) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tmetric\tunit\tmin\tmedian\tmax\tnote")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Scenario, r.Metric, r.Unit, num(r.Min), num(r.Median), num(r.Max), r.Note)
	}
	tw.Flush()
	fmt.Fprintf(w, "(whole run: %s)\n", took.Round(time.Second))
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
