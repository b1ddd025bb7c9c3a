package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/orchestrator/orchestrator/spec"
)

// dirFiles is how many spec files scenario 5 loads.
const dirFiles = 1000

// runDirScale is scenario 5 (its load half): the time to load and validate
// dirFiles spec files, in process, with spec.Dir as serve uses it.
func runDirScale(b *bench) error {
	dir := filepath.Join(b.tmp, "dirscale")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("dirscale dir: %w", err)
	}
	for i := range dirFiles {
		text := appSpec(fmt.Sprintf("bench/app-%04d:1", i), 1+i%3)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("app-%04d.yaml", i)), []byte(text), 0o644); err != nil {
			return fmt.Errorf("write spec: %w", err)
		}
	}
	// A new Dir per repetition: a Dir keeps what it parsed of unchanged
	// files, so its second load is the resync's cost, not a first read.
	var cold, warm []float64
	for rep := 0; rep < b.reps; rep++ {
		d := spec.NewDir(dir, spec.Options{})
		for i, secs := range []*[]float64{&cold, &warm} {
			start := time.Now()
			snap, err := d.Load()
			took := time.Since(start)
			if err != nil {
				return fmt.Errorf("load %d files: %w", dirFiles, err)
			}
			if len(snap.Errors) > 0 || len(snap.Specs) != dirFiles {
				return fmt.Errorf("load %d files: %d valid specs, %d errors (first: %v)", dirFiles, len(snap.Specs), len(snap.Errors), snap.Errors)
			}
			*secs = append(*secs, took.Seconds())
			slog.Info("dirscale", "rep", rep+1, "files", dirFiles, "again", i == 1, "took", took.Round(time.Microsecond))
		}
	}
	b.add(Row{Scenario: "directory scale", Metric: fmt.Sprintf("load+validate %d files", dirFiles), Unit: "s", Summary: summarize(cold), Note: "target ≤ 1 s"})
	b.add(Row{Scenario: "directory scale", Metric: fmt.Sprintf("load %d unchanged files again (a resync)", dirFiles), Unit: "s", Summary: summarize(warm), Note: "read and compare; nothing is parsed again"})
	return nil
}
