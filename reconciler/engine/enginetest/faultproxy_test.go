package enginetest_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// Through the proxy a call passes; cut, it fails at once; stalled, it hangs
// until its deadline; restored, it passes again.
func TestFaultProxy(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "target.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "pong") })}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	p := rt.StartFaultProxy(t, sock)

	call := func(timeout time.Duration) error {
		tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", p.Sock)
		}}
		defer tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://engine/_ping", nil)
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.ReadAll(resp.Body)
		return err
	}
	if err := call(5 * time.Second); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	p.Cut()
	if err := call(5 * time.Second); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cut: %v, want a failure before the deadline", err)
	}
	p.Stall()
	if err := call(300 * time.Millisecond); err == nil {
		t.Errorf("stalled: the call passed")
	}
	p.Restore()
	if err := call(5 * time.Second); err != nil {
		t.Errorf("restored: %v", err)
	}
}
