package stats

import "github.com/orchestrator/orchestrator/reconciler/engine"

// cpuPercent is the docker CLI's formula over two samples:
// Δcpu_usage.total_usage / Δsystem_cpu_usage × online_cpus × 100, with
// online_cpus falling back to len(percpu_usage), then to the host's CPUs.
// It is nil when the system counter did not move or the counters reset.
func cpuPercent(prev, cur engine.Stats, hostCPUs int) *float64 {
	if cur.SystemCPU <= prev.SystemCPU || cur.CPUTotal < prev.CPUTotal {
		return nil
	}
	cpus := float64(cur.OnlineCPUs)
	if cpus == 0 {
		cpus = float64(cur.PercpuLen)
	}
	if cpus == 0 {
		cpus = float64(hostCPUs)
	}
	if cpus == 0 {
		return nil
	}
	v := float64(cur.CPUTotal-prev.CPUTotal) / float64(cur.SystemCPU-prev.SystemCPU) * cpus * 100
	return &v
}

// memPercent is the docker CLI's formula: (usage − inactive_file when that
// is present and below usage) / limit × 100; nil without a limit.
func memPercent(st engine.Stats) *float64 {
	if st.MemLimit == 0 {
		return nil
	}
	used := st.MemUsage
	if st.InactiveFile > 0 && st.InactiveFile < used {
		used -= st.InactiveFile
	}
	v := float64(used) / float64(st.MemLimit) * 100
	return &v
}
