package autoscale_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/orchestrator/orchestrator/reconciler/autoscale"
	"github.com/orchestrator/orchestrator/reconciler/stats"
	"github.com/orchestrator/orchestrator/spec"
)

// The autoscaler's rules, with a fake clock and synthetic samples: nothing
// here sleeps.

var t0 = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// scaled is a running spec of app:v1 with min, max, a target and a
// scale-down window ("" for the defaults).
func scaled(minR, maxR, target int, window string) spec.Spec {
	s := spec.New("app:v1")
	s.MinReplicas, s.MaxReplicas = minR, maxR
	s.Autoscale = &spec.Autoscale{ScaleDownStabilization: window}
	if target > 0 {
		s.Autoscale.TargetCPUPercent = new(target)
	}
	return s
}

// busy is n ready, running containers at cpu (a fraction of the limit),
// started long before now.
func busy(n int, cpu float64) []stats.Usage {
	var out []stats.Usage
	for i := range n {
		out = append(out, stats.Usage{Name: fmt.Sprintf("app-%d", i+1), State: "running", Ready: true,
			CPU: new(cpu), Started: t0.Add(-time.Hour)})
	}
	return out
}

// fresh is a running container started age before t0, at cpu.
func fresh(age time.Duration, cpu float64) stats.Usage {
	return stats.Usage{Name: "app-new", State: "running", Ready: true, CPU: new(cpu), Started: t0.Add(-age)}
}

func TestRecommend(t *testing.T) {
	noMetric := stats.Usage{Name: "app-x", State: "running", Ready: true, Started: t0.Add(-time.Hour)}
	unready := busy(1, 0)[0]
	unready.Ready = false
	exited := stats.Usage{Name: "app-old", State: "exited", Started: t0.Add(-time.Hour)}
	off := scaled(1, 5, 50, "")
	off.Autoscale.Enabled = new(false)
	for _, tt := range []struct {
		name    string
		spec    spec.Spec
		current int
		usage   []stats.Usage
		want    int
		reason  string
		util    float64 // -1: none
	}{
		// The tolerance band: |util/target − 1| ≤ 0.1 keeps the count.
		{"within tolerance above", scaled(1, 10, 50, "0s"), 2, busy(2, 0.54), 2, "cpu 108% of target, within the 10% tolerance → keeps 2", 54},
		{"within tolerance below", scaled(1, 10, 50, "0s"), 10, busy(10, 0.46), 10, "cpu 92% of target, within the 10% tolerance → keeps 10", 46},
		{"just above tolerance", scaled(1, 10, 50, "0s"), 2, busy(2, 0.56), 3, "cpu 112% of target → 3", 56},
		{"just below tolerance", scaled(1, 10, 50, "0s"), 10, busy(10, 0.44), 9, "cpu 88% of target → 9", 44},
		{"the formula", scaled(1, 10, 50, ""), 2, busy(2, 0.91), 4, "cpu 182% of target → 4", 91},
		{"the default target is 70%", scaled(1, 10, 0, ""), 1, busy(1, 1), 2, "cpu 143% of target → 2", 100},
		{"scale-down without a window", scaled(1, 10, 50, "0s"), 4, busy(4, 0.1), 1, "cpu 20% of target → 1", 10},
		// Clamping to [max(min,1), max].
		{"clamped at max", scaled(1, 3, 50, ""), 2, busy(2, 1), 3, "cpu 200% of target asks for 4; clamped to max_replicas 3 → 3", 100},
		{"raised to min", scaled(2, 5, 50, "0s"), 3, busy(3, 0), 2, "cpu 0% of target asks for 0; raised to min_replicas 2 → 2", 0},
		{"min 0 is at least 1", scaled(0, 5, 50, "0s"), 3, busy(3, 0), 1, "cpu 0% of target asks for 0; raised to min_replicas 1 → 1", 0},
		// Containers without data: missing metric, new, or not ready.
		{"missing metric is idle on a scale-up", scaled(1, 10, 50, ""), 2, append(busy(1, 1), noMetric), 2,
			"cpu 200% of target, but 1 container without data → keeps 2", 100},
		{"missing metric only slows a scale-up", scaled(1, 10, 50, ""), 3, append(busy(2, 1), noMetric), 4,
			"cpu 200% of target (133% counting 1 container without data) → 4", 100},
		{"missing metric is at target on a scale-down", scaled(1, 10, 50, "0s"), 3, append(busy(1, 0.1), noMetric, noMetric), 3,
			"cpu 20% of target (73% counting 2 containers without data) → 3", 10},
		{"a container started 10s ago counts like one without a metric", scaled(1, 10, 50, ""), 2, append(busy(1, 1), fresh(10*time.Second, 1)), 2,
			"cpu 200% of target, but 1 container without data → keeps 2", 100},
		{"a container started 30s ago counts", scaled(1, 10, 50, ""), 2, append(busy(1, 1), fresh(30*time.Second, 1)), 4,
			"cpu 200% of target → 4", 100},
		{"an unready container has no data", scaled(1, 10, 50, "0s"), 2, append(busy(1, 0), unready), 1,
			"cpu 0% of target (50% counting 1 container without data) → 1", 0},
		{"containers that do not run are left out", scaled(1, 10, 50, ""), 2, append(busy(2, 0.5), exited), 2,
			"cpu 100% of target, within the 10% tolerance → keeps 2", 50},
		// No data at all keeps the count.
		{"no containers", scaled(1, 10, 50, "0s"), 3, nil, 3, "no cpu metrics yet → keeps 3", -1},
		{"only containers without data", scaled(1, 10, 50, "0s"), 3, []stats.Usage{noMetric, fresh(time.Second, 0)}, 3,
			"no cpu metrics yet (2 containers without data) → keeps 3", -1},
		// Not autoscaled: max(min,1).
		{"enabled: false", off, 3, busy(3, 1), 1, "autoscaling is off", -1},
		{"min == max", scaled(3, 3, 50, ""), 3, busy(3, 1), 3, "autoscaling is off", -1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := autoscale.New(autoscale.Options{})
			got := a.Recommend(tt.spec, tt.current, tt.usage, t0)
			want := autoscale.Recommendation{Replicas: tt.want, Reason: tt.reason}
			if tt.util >= 0 {
				want.UtilizationPercent = new(tt.util)
			}
			if d := cmp.Diff(want, got, cmp.Comparer(func(a, b float64) bool { return fmt.Sprintf("%.6f", a) == fmt.Sprintf("%.6f", b) })); d != "" {
				t.Errorf("Recommend (-want +got):\n%s", d)
			}
			if r := a.Replicas(tt.spec); r != tt.want {
				t.Errorf("Replicas = %d, want %d", r, tt.want)
			}
		})
	}
}

// From 1 to max in bounded steps: at most max(4, 2 × the count at the
// period's start) per 15 s, whatever the formula asks.
func TestScaleUpInBoundedSteps(t *testing.T) {
	s := scaled(1, 20, 10, "")
	a := autoscale.New(autoscale.Options{})
	current := 1
	for _, step := range []struct {
		after time.Duration
		want  int
	}{
		{0, 4}, {5 * time.Second, 4}, {14 * time.Second, 4},
		{15 * time.Second, 8}, {29 * time.Second, 8},
		{30 * time.Second, 16}, {44 * time.Second, 16},
		{45 * time.Second, 20}, {time.Minute, 20},
	} {
		rec := a.Recommend(s, current, busy(current, 1), t0.Add(step.after))
		if rec.Replicas != step.want {
			t.Fatalf("at +%s from %d: %d (%s), want %d", step.after, current, rec.Replicas, rec.Reason, step.want)
		}
		current = rec.Replicas
	}
	rec := autoscale.New(autoscale.Options{}).Recommend(s, 1, busy(1, 1), t0)
	if want := "cpu 1000% of target asks for 10; limited to 4 (at most max(4, 2×1) per 15s) → 4"; rec.Reason != want {
		t.Errorf("reason %q, want %q", rec.Reason, want)
	}
}

// A scale-down takes the highest recommendation of the window: it is held
// for the window, then released to the highest left in it.
func TestScaleDownStabilization(t *testing.T) {
	s := scaled(1, 10, 50, "") // 5m
	a := autoscale.New(autoscale.Options{})
	step := func(after time.Duration, current int, cpu float64) autoscale.Recommendation {
		t.Helper()
		return a.Recommend(s, current, busy(current, cpu), t0.Add(after))
	}
	if rec := step(0, 4, 0.5); rec.Replicas != 4 {
		t.Fatalf("at the target: %d (%s), want 4", rec.Replicas, rec.Reason)
	}
	rec := step(10*time.Second, 4, 0.1)
	if want := "cpu 20% of target asks for 1; held at 4 by the 5m0s scale-down stabilization → 4"; rec.Replicas != 4 || rec.Reason != want {
		t.Fatalf("load gone: %d (%s), want 4 (%s)", rec.Replicas, rec.Reason, want)
	}
	if rec := step(2*time.Minute, 4, 0.125); rec.Replicas != 4 { // raw ceil(4 × 0.25) = 1
		t.Fatalf("+2m: %d (%s), want 4", rec.Replicas, rec.Reason)
	}
	if rec := step(3*time.Minute, 4, 0.25); rec.Replicas != 4 { // raw 2
		t.Fatalf("+3m: %d (%s), want 4", rec.Replicas, rec.Reason)
	}
	if rec := step(5*time.Minute-time.Second, 4, 0); rec.Replicas != 4 {
		t.Fatalf("1s before the window ends: %d (%s), want 4", rec.Replicas, rec.Reason)
	}
	if rec := step(5*time.Minute, 4, 0); rec.Replicas != 2 { // the raw 2 of +3m is the highest left
		t.Fatalf("when the window ends: %d (%s), want 2", rec.Replicas, rec.Reason)
	}
	if rec := step(8*time.Minute-time.Second, 2, 0); rec.Replicas != 2 {
		t.Fatalf("+8m-1s: %d (%s), want 2", rec.Replicas, rec.Reason)
	}
	if rec := step(8*time.Minute, 2, 0); rec.Replicas != 1 {
		t.Fatalf("+8m: %d (%s), want 1", rec.Replicas, rec.Reason)
	}
	// A rise is never held: the load back scales up at once.
	if rec := step(8*time.Minute+time.Second, 1, 1); rec.Replicas != 2 {
		t.Fatalf("load back: %d (%s), want 2", rec.Replicas, rec.Reason)
	}
}

// The reconciler's target is the recommendation clamped to the spec as it
// is now; a spec that is not autoscaled has none.
func TestAutoscalerReplicasAndStatus(t *testing.T) {
	var none *autoscale.Autoscaler
	if got := none.Replicas(scaled(2, 5, 50, "")); got != 2 {
		t.Errorf("nil autoscaler: %d, want min 2", got)
	}
	a := autoscale.New(autoscale.Options{})
	s := scaled(1, 5, 50, "")
	want := &autoscale.Status{TargetCPUPercent: 50, Recommendation: 1, Reason: "not evaluated yet → 1"}
	if d := cmp.Diff(want, a.Status(s)); d != "" {
		t.Errorf("before any evaluation (-want +got):\n%s", d)
	}
	a.Recommend(s, 1, busy(1, 1), t0) // → 2
	s.MaxReplicas = 4
	a.Recommend(s, 2, busy(2, 1), t0.Add(20*time.Second)) // → 4
	s.MaxReplicas = 2                                     // edited by hand
	want = &autoscale.Status{TargetCPUPercent: 50, UtilizationPercent: new(100.0), Recommendation: 2,
		Reason: "cpu 200% of target → 4; the spec now allows 1..2 → 2"}
	if d := cmp.Diff(want, a.Status(s)); d != "" {
		t.Errorf("max lowered (-want +got):\n%s", d)
	}
	if got := a.Replicas(s); got != 2 {
		t.Errorf("max lowered: Replicas %d, want 2", got)
	}
	s.MinReplicas, s.MaxReplicas = 5, 8
	if got := a.Replicas(s); got != 5 {
		t.Errorf("min raised: Replicas %d, want 5", got)
	}
	s.Autoscale.Enabled = new(false)
	if got, st := a.Replicas(s), a.Status(s); got != 5 || st != nil {
		t.Errorf("disabled: Replicas %d, Status %+v, want 5 and nil", got, st)
	}
	stopped := scaled(1, 5, 50, "")
	stopped.Resources.Status = spec.StatusStopped
	if st := a.Status(stopped); st != nil {
		t.Errorf("stopped: Status %+v, want nil", st)
	}
}

// Run evaluates on its interval, wakes the reconciler when a target moves,
// logs the move, and ends with ctx; Evaluate forgets specs that are gone.
func TestAutoscalerRun(t *testing.T) {
	var logs syncLog
	now := t0
	a := autoscale.New(autoscale.Options{Interval: time.Millisecond, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	s := scaled(1, 5, 50, "")
	specs := func() map[string]spec.Spec { return map[string]spec.Spec{s.Image: s} }
	usage := func(image string) []stats.Usage {
		if image != s.Image {
			t.Errorf("usage of %q", image)
		}
		return busy(1, 1)
	}
	ctx, cancel := context.WithCancel(context.Background())
	changed := make(chan struct{}, 1)
	done := make(chan error, 1)
	go func() {
		done <- a.Run(ctx, specs, usage, func() {
			select {
			case changed <- struct{}{}:
			default:
			}
		})
	}()
	select {
	case <-changed:
	case <-time.After(10 * time.Second):
		t.Fatal("no wake-up within 10s")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if got := a.Replicas(s); got != 2 {
		t.Errorf("Replicas %d, want 2", got)
	}
	if want := `msg=autoscale image=app:v1 from=1 to=2 reason="cpu 200% of target → 2" utilization_percent=100`; !strings.Contains(logs.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, logs.String())
	}
	if a.Evaluate(map[string]spec.Spec{}, usage) {
		t.Error("Evaluate of no specs moved a target")
	}
	if got := a.Status(s).Reason; got != "not evaluated yet → 1" {
		t.Errorf("after the spec is gone: %q, want it forgotten", got)
	}
}

// syncLog is a log sink written by Run's goroutine and read by the test.
type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
