package enginetest

import (
	"context"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// fakeStats is the Fake's stats state, guarded by the Fake's mutex.
type fakeStats struct {
	byID     map[string]engine.Stats
	dataRoot string
}

func (f *Fake) statsState() *fakeStats {
	if f.stats == nil {
		f.stats = &fakeStats{byID: map[string]engine.Stats{}, dataRoot: "/"}
	}
	return f.stats
}

// SetStats sets what Stats returns for a container (by id) from now on.
func (f *Fake) SetStats(id string, st engine.Stats) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statsState().byID[id] = st
}

// SetDataRoot sets what DataRoot returns; "/" until set.
func (f *Fake) SetDataRoot(path string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statsState().dataRoot = path
}

// Stats implements engine.Engine. It returns the stats set with
// SetStats, else a sample whose memory limit is the container's (1 GiB
// without one, as Docker reports the host's memory) and whose counters are
// zero. FailNext("stats", err) makes it fail once.
func (f *Fake) Stats(ctx context.Context, id string) (engine.Stats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get("stats", id)
	if err != nil {
		return engine.Stats{}, err
	}
	if st, ok := f.statsState().byID[c.ID]; ok {
		return st, nil
	}
	limit := uint64(c.cfg.MemoryBytes)
	if limit == 0 {
		limit = 1 << 30
	}
	return engine.Stats{Read: f.now(), MemLimit: limit}, nil
}

// DataRoot implements engine.Engine. FailNext("data-root", err)
// makes it fail once.
func (f *Fake) DataRoot(ctx context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("data-root"); err != nil {
		return "", err
	}
	return f.statsState().dataRoot, nil
}

var _ engine.Engine = (*Fake)(nil)
