package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/docker/docker/api/types/container"
	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// dataRoots caches DockerRootDir by daemon address: it only changes when
// the engine is reconfigured and restarted, and docker info is not cheap.
var dataRoots sync.Map // DaemonHost() -> string

// Stats implements engine.Engine: one one-shot sample (stream=false and
// one-shot=true, API >= 1.41), so the engine does not wait a second to
// prime a previous sample; the sampler keeps its own.
func (d *Engine) Stats(ctx context.Context, id string) (engine.Stats, error) {
	ctx, cancel := d.bounded(ctx, 0)
	defer cancel()
	resp, err := d.cli.ContainerStatsOneShot(ctx, id)
	if err != nil {
		return engine.Stats{}, Classify("stats", id, err)
	}
	defer resp.Body.Close()
	var r container.StatsResponse
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return engine.Stats{}, fmt.Errorf("stats %s: decode: %w", id, err)
	}
	return statsOf(r), nil
}

// statsOf keeps what the docker CLI's formulas use. Like the CLI, it takes
// total_inactive_file (cgroup v1, which also has a non-hierarchical
// inactive_file) before inactive_file (cgroup v2).
func statsOf(r container.StatsResponse) engine.Stats {
	st := engine.Stats{
		Read:       r.Read,
		CPUTotal:   r.CPUStats.CPUUsage.TotalUsage,
		SystemCPU:  r.CPUStats.SystemUsage,
		OnlineCPUs: r.CPUStats.OnlineCPUs,
		PercpuLen:  len(r.CPUStats.CPUUsage.PercpuUsage),
		MemUsage:   r.MemoryStats.Usage,
		MemLimit:   r.MemoryStats.Limit,
	}
	if v, ok := r.MemoryStats.Stats["total_inactive_file"]; ok {
		st.InactiveFile = v
	} else {
		st.InactiveFile = r.MemoryStats.Stats["inactive_file"]
	}
	return st
}

// DataRoot implements engine.Engine: docker info's DockerRootDir, cached.
func (d *Engine) DataRoot(ctx context.Context) (string, error) {
	ctx, cancel := d.bounded(ctx, 0)
	defer cancel()
	host := d.cli.DaemonHost()
	if v, ok := dataRoots.Load(host); ok {
		return v.(string), nil
	}
	info, err := d.cli.Info(ctx)
	if err != nil {
		return "", fmt.Errorf("docker info: %w", err)
	}
	if info.DockerRootDir == "" {
		return "", fmt.Errorf("docker info: no DockerRootDir")
	}
	dataRoots.Store(host, info.DockerRootDir)
	return info.DockerRootDir, nil
}

var _ engine.Engine = (*Engine)(nil)
