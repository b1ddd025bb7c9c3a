// Command demo is the small HTTP server that the examples, `make run` and the
// tests run as containers: no registry is reachable, so the orchestrator
// ships its own image, built FROM scratch from this static binary.
//
// It answers / (who am I), /healthz (200 "ok") and /burn?seconds=N (spins
// one core for N seconds, so that CPU autoscaling can be shown for real).
// It listens on $PORT (default 8080) and stops on SIGTERM.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	srv := &http.Server{
		Addr:              ":" + port,
		Handler:           routes(),
		ReadHeaderTimeout: 5 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Info("listening", "addr", srv.Addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("serve failed", "err", err)
		os.Exit(1)
	}
}

func routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /burn", burn)
	mux.HandleFunc("GET /{$}", whoami)
	return mux
}

// whoami reports the container's hostname and the environment the
// orchestrator gave it, so that a spec change is visible with curl.
func whoami(w http.ResponseWriter, _ *http.Request) {
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
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"hostname": host, "env": env, "env_keys": keys})
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
