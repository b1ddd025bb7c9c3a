package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// server holds what the routes share: the configured role and the health
// switch that POST /sick and /well flip.
type server struct {
	name     string
	upstream string       // base URL for /chain; "" means none
	client   *http.Client // for the upstream
	store    *store       // nil without DATA_DIR
	log      *slog.Logger
	sick     atomic.Bool
}

// newServer builds the server for cfg. With a DATA_DIR it opens the store,
// which counts this start, so a bad volume fails the container at once.
func newServer(cfg config, log *slog.Logger) (*server, error) {
	s := &server{
		name:     cfg.name,
		upstream: cfg.upstream,
		client:   directClient(upstreamTimeout),
		log:      log,
	}
	s.sick.Store(cfg.sick)
	if cfg.dataDir != "" {
		st, err := openStore(cfg.dataDir)
		if err != nil {
			return nil, err
		}
		log.Info("data dir opened", "dir", cfg.dataDir, "starts", st.starts)
		s.store = st
	}
	return s, nil
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("POST /sick", s.setHealth(true))
	mux.HandleFunc("POST /well", s.setHealth(false))
	mux.HandleFunc("GET /burn", burn)
	mux.HandleFunc("GET /chain", s.chain)
	if s.store != nil {
		mux.HandleFunc("PUT /kv/{key}", s.store.put)
		mux.HandleFunc("GET /kv/{key}", s.store.get)
		mux.HandleFunc("GET /kv/{$}", s.store.list)
		mux.HandleFunc("GET /kv-starts", s.store.startsHandler)
	}
	mux.HandleFunc("GET /{$}", s.whoami)
	return mux
}

// directClient is an HTTP client that ignores HTTP_PROXY and friends: the
// point of /chain and -check is to reach a peer on the container network
// (or ourselves) directly, which a proxy outside it could not do.
func directClient(timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	return &http.Client{Timeout: timeout, Transport: tr}
}

func (s *server) healthz(w http.ResponseWriter, _ *http.Request) {
	if s.sick.Load() {
		http.Error(w, "sick", http.StatusServiceUnavailable)
		return
	}
	w.Write([]byte("ok\n"))
}

// setHealth flips /healthz, so that a test can watch the engine's
// healthcheck turn unhealthy and back without killing the process.
func (s *server) setHealth(sick bool) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		s.sick.Store(sick)
		s.log.Info("health switched", "sick", sick)
		if sick {
			fmt.Fprintln(w, "/healthz now answers 503")
			return
		}
		fmt.Fprintln(w, "/healthz now answers 200")
	}
}

// whoami reports the container's hostname, its name and the environment the
// orchestrator gave it, so that a spec change is visible with curl.
func (s *server) whoami(w http.ResponseWriter, _ *http.Request) {
	host, _ := os.Hostname()
	env := map[string]string{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	writeJSON(w, http.StatusOK, map[string]any{"hostname": host, "name": s.name, "env": env, "env_keys": keys})
}

// burn keeps one core busy for ?seconds=N (default 10, at most 600).
func burn(w http.ResponseWriter, r *http.Request) {
	secs, err := strconv.Atoi(r.URL.Query().Get("seconds"))
	if err != nil || secs <= 0 {
		secs = 10
	}
	secs = min(secs, 600)
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	x := 0
	for time.Now().Before(deadline) && r.Context().Err() == nil {
		for i := 0; i < 1_000_000; i++ {
			x += i ^ (x >> 3)
		}
	}
	w.Write([]byte("burned " + strconv.Itoa(secs) + "s " + strconv.Itoa(x&1) + "\n"))
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
