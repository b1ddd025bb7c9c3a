package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/orchestrator/orchestrator/reconciler"
)

// Metrics are the Prometheus metrics of a server: reconcile passes and
// their durations, actions by kind and result, specs by health, each spec's
// replicas and autoscaler recommendation, and HTTP requests by route and
// code. It is also the reconciler's Observer.
type Metrics struct {
	reg            *prometheus.Registry
	passes         *prometheus.CounterVec
	passDuration   prometheus.Histogram
	actions        *prometheus.CounterVec
	specs          *prometheus.GaugeVec
	replicas       *prometheus.GaugeVec // by image and kind: desired, ready, running
	recommendation *prometheus.GaugeVec // by image, autoscaled specs only
	phases         *prometheus.HistogramVec
	debounce       prometheus.Histogram
	gitFetches     *prometheus.CounterVec
	gitRevision    *prometheus.GaugeVec

	mu          sync.Mutex
	specImages  map[string]bool // the images with per-spec series now
	autoscaled  map[string]bool // ... and with a recommendation
	requests    *prometheus.CounterVec
	reqDuration *prometheus.HistogramVec
}

// NewMetrics registers the metrics in a registry of their own (with the Go
// and process collectors).
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		passes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orchestrator_reconcile_passes_total", Help: "Reconcile passes, by result (ok or error).",
		}, []string{"result"}),
		passDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "orchestrator_reconcile_pass_duration_seconds", Help: "Duration of a reconcile pass.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orchestrator_actions_total", Help: "Engine actions taken by the reconciler, by kind and result.",
		}, []string{"kind", "result"}),
		specs: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "orchestrator_specs", Help: "Specs by health after the last pass.",
		}, []string{"health"}),
		replicas: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "orchestrator_spec_replicas", Help: "Replicas of each spec after the last pass: desired (the target), ready and running.",
		}, []string{"image", "kind"}),
		recommendation: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "orchestrator_autoscale_recommendation_replicas", Help: "The autoscaler's recommended replicas of each autoscaled spec.",
		}, []string{"image"}),
		// Fine buckets (×1.25 from 0.25 ms to ~4 s): make bench reads the
		// reaction split's quantiles from them.
		phases: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "orchestrator_reconcile_phase_seconds", Help: "Time of each phase of a pass that took actions, before its actions began: load (the directory, when read), list, plan.",
			Buckets: prometheus.ExponentialBuckets(0.00025, 1.25, 44),
		}, []string{"phase"}),
		debounce: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "orchestrator_watcher_debounce_seconds", Help: "Time from a batch's first file change to the watcher's signal.",
			Buckets: prometheus.ExponentialBuckets(0.00025, 1.25, 44),
		}),
		gitFetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orchestrator_git_fetch_total", Help: "Fetches of the git remote (serve --git), by result (ok or error).",
		}, []string{"result"}),
		gitRevision: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "orchestrator_git_revision_info", Help: "The git revision in place: 1, labelled by its commit and branch.",
		}, []string{"commit", "branch"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orchestrator_http_requests_total", Help: "HTTP requests, by route and status code.",
		}, []string{"method", "route", "code"}),
		reqDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "orchestrator_http_request_duration_seconds", Help: "HTTP request duration, by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 18),
		}, []string{"method", "route"}),
	}
	m.reg.MustRegister(m.passes, m.passDuration, m.actions, m.specs, m.replicas, m.recommendation, m.phases, m.debounce, m.gitFetches, m.gitRevision, m.requests, m.reqDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, h := range []string{reconciler.Healthy, reconciler.Progressing, reconciler.Degraded, reconciler.Missing, reconciler.Stopped} {
		m.specs.WithLabelValues(h)
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// PassDone implements reconciler.Observer.
func (m *Metrics) PassDone(res reconciler.PassResult, took time.Duration, statuses []reconciler.Status) {
	result := "ok"
	if res.Err != nil {
		result = "error"
	}
	m.passes.WithLabelValues(result).Inc()
	m.passDuration.Observe(took.Seconds())
	if res.Dispatched > 0 { // the phases of a pass that acted
		if res.Timings.Load > 0 {
			m.phases.WithLabelValues("load").Observe(res.Timings.Load.Seconds())
		}
		m.phases.WithLabelValues("list").Observe(res.Timings.List.Seconds())
		m.phases.WithLabelValues("plan").Observe(res.Timings.Plan.Seconds())
	}
	for _, d := range res.Done {
		r := "ok"
		if !d.OK {
			r = "error"
		}
		m.actions.WithLabelValues(string(d.Kind), r).Inc()
	}
	counts := map[string]int{reconciler.Healthy: 0, reconciler.Progressing: 0, reconciler.Degraded: 0, reconciler.Missing: 0, reconciler.Stopped: 0}
	for _, st := range statuses {
		counts[st.Health]++
	}
	for h, n := range counts {
		m.specs.WithLabelValues(h).Set(float64(n))
	}
	m.specSeries(statuses)
}

// specSeries sets the per-spec gauges, and deletes the series of the specs
// that are gone, one by one: a Reset would leave a scrape in between
// without any, and an alert on an absent series would flap.
func (m *Metrics) specSeries(statuses []reconciler.Status) {
	m.mu.Lock()
	defer m.mu.Unlock()
	specs, scaled := map[string]bool{}, map[string]bool{}
	for _, st := range statuses {
		specs[st.Image] = true
		m.replicas.WithLabelValues(st.Image, "desired").Set(float64(st.Desired))
		m.replicas.WithLabelValues(st.Image, "ready").Set(float64(st.Ready))
		m.replicas.WithLabelValues(st.Image, "running").Set(float64(st.Running))
		if st.Autoscale != nil {
			scaled[st.Image] = true
			m.recommendation.WithLabelValues(st.Image).Set(float64(st.Autoscale.Recommendation))
		}
	}
	for image := range m.specImages {
		if !specs[image] {
			for _, kind := range []string{"desired", "ready", "running"} {
				m.replicas.DeleteLabelValues(image, kind)
			}
		}
	}
	for image := range m.autoscaled {
		if !scaled[image] {
			m.recommendation.DeleteLabelValues(image)
		}
	}
	m.specImages, m.autoscaled = specs, scaled
}

// GitFetched counts a fetch of the git remote.
func (m *Metrics) GitFetched(err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.gitFetches.WithLabelValues(result).Inc()
}

// GitRevision notes the git revision in place.
func (m *Metrics) GitRevision(commit, branch string) {
	m.gitRevision.Reset() // one revision is in place at a time
	m.gitRevision.WithLabelValues(commit, branch).Set(1)
}

// Signalled implements watcher.Observer.
func (m *Metrics) Signalled(waited time.Duration) { m.debounce.Observe(waited.Seconds()) }

// routeKey carries the matched route up from a handler: the image routes
// are matched by hand, so chi's pattern alone ("/images/*") is too coarse.
type routeKey struct{}

func setRoute(r *http.Request, route string) {
	if p, ok := r.Context().Value(routeKey{}).(*string); ok {
		*p = route
	}
}

// middleware counts every request by route and code. A nil Metrics counts
// nothing.
func (m *Metrics) middleware(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		route := ""
		r = r.WithContext(context.WithValue(r.Context(), routeKey{}, &route))
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(rec, r)
		if route == "" {
			route = chi.RouteContext(r.Context()).RoutePattern()
		}
		// A mount's catch-all ("/start/*", "/images/*") that no route below
		// it took is no route either; never the raw path: unbounded values.
		if route == "" || strings.HasSuffix(route, "/*") {
			route = "unmatched"
		}
		method := r.Method
		switch method {
		case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		default:
			method = "other" // any client may send any method: keep the label set bounded
		}
		m.requests.WithLabelValues(method, route, strconv.Itoa(rec.code)).Inc()
		m.reqDuration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

// Unwrap lets http.ResponseController reach the connection (a streamed
// answer flushes and clears its write deadline).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}
