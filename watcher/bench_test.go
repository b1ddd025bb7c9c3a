package watcher

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkRenameToSignal measures what the watcher adds to the product's
// reaction time: from the rename of a fully written spec file into the state
// directory (how editors, git-sync and our own API write) to the watcher's
// signal, with the default options and real inotify. It reports the p50 and
// p99 of that wait; ns/op also counts writing the temp file.
func BenchmarkRenameToSignal(b *testing.B) {
	root := b.TempDir()
	web := filepath.Join(root, "web.yaml")
	tmp := filepath.Join(root, ".web.yaml.tmp") // ignored: only the rename counts
	if err := os.WriteFile(web, []byte(specYAML("web:0")), 0o644); err != nil {
		b.Fatal(err)
	}
	w := New(root, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("Run: %v", err)
		}
	}()
	select {
	case <-w.ready:
	case <-time.After(5 * time.Second):
		b.Fatal("watcher not ready within 5s")
	}

	waits := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		if err := os.WriteFile(tmp, []byte(specYAML("web:"+string(rune('a'+i%26)))), 0o644); err != nil {
			b.Fatal(err)
		}
		begin := time.Now()
		if err := os.Rename(tmp, web); err != nil {
			b.Fatal(err)
		}
		select {
		case <-w.Changes():
			waits = append(waits, time.Since(begin))
		case <-time.After(5 * time.Second):
			b.Fatal("no signal within 5s of the rename")
		}
	}
	b.StopTimer()
	slices.Sort(waits)
	b.ReportMetric(msOf(quantile(waits, 0.50)), "p50-ms")
	b.ReportMetric(msOf(quantile(waits, 0.99)), "p99-ms")
}

// quantile is the q-quantile of sorted durations, nearest rank.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted)) + 0.5)
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
