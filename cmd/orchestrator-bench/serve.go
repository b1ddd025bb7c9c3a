package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// server is a running `orchestrator serve` subprocess.
type server struct {
	cmd     *exec.Cmd
	addr    string
	exited  chan struct{} // closed once the process has been waited for
	waitErr error         // its exit status, valid once exited is closed
}

// buildOrchestrator builds ./cmd/orchestrator into tmp and returns the path.
func buildOrchestrator(ctx context.Context, tmp string) (string, error) {
	bin := filepath.Join(tmp, "orchestrator")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", bin, "./cmd/orchestrator")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build cmd/orchestrator: %s: %w", out, err)
	}
	return bin, nil
}

// startServe runs bin serve on dir with the instance label, talking to the
// engine at dockerHost (the counting proxy) and logging JSON at debug level
// to logPath, and waits until its API answers GET /health. The benchmark
// reads nothing of the log (its facts come from /metrics and the API); it
// is for a human when a run fails, and debug level tells them most. Debug
// is also the level the published numbers were measured at.
func startServe(ctx context.Context, bin, dir, instance, dockerHost, logPath string, extra []string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("serve log: %w", err)
	}
	cmd := exec.Command(bin, "serve", "--dir", dir, "--instance", instance, "--addr", addr, "--log-format", "json", "--log-level", "debug")
	cmd.Args = append(cmd.Args, extra...)
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+dockerHost) // the last value of a key wins
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group: a Ctrl-C reaches the benchmark, which stops
	// serve first and then removes the containers, in that order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start serve: %w", err)
	}
	s := &server{cmd: cmd, addr: addr, exited: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		logf.Close()
		close(s.exited)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/health")
		if err == nil {
			resp.Body.Close()
			return s, nil
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("serve exited early (log %s): %w", logPath, s.waitErr)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond): // poll interval
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("serve not answering on %s within 30 s (log %s)", addr, logPath)
		}
	}
}

// stop sends SIGTERM and waits for serve to exit, killing it after 10 s.
func (s *server) stop() {
	if s == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// url is the API's base URL.
func (s *server) url() string { return "http://" + s.addr }

// freeAddr picks a free loopback TCP address.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
