// Package discovery delivers the original orchestrator's discovery
// webhook: a spec whose env has DISCOVERY_CALLBACK=<url> gets a POST of a
// Body on every create, start and stop of its containers. Deliveries run in
// the background, each bounded by a timeout; a failure is logged, never
// fatal, and never delays the reconciler.
package discovery

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Env is the env key of a spec that names its webhook's URL.
const Env = "DISCOVERY_CALLBACK"

// Timeout bounds one delivery.
const Timeout = 2 * time.Second

// Body is the JSON of one webhook POST, as the original sent it.
type Body struct {
	Image       string                   `json:"image"`
	ContainerID string                   `json:"container_id"`
	Name        string                   `json:"name"`
	Host        string                   `json:"host"` // where the published ports are reached
	Ports       map[string][]PortBinding `json:"ports"`
	Status      string                   `json:"status"` // running or stopped
	Event       string                   `json:"event"`  // create, start or stop
}

// PortBinding is one published port, in Docker's JSON spelling.
type PortBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

// Notifier posts bodies in the background. Wait returns when every
// delivery begun has ended.
type Notifier struct {
	client *http.Client
	log    *slog.Logger
	wg     sync.WaitGroup
}

// NewNotifier returns a notifier that logs failures to log.
func NewNotifier(log *slog.Logger) *Notifier {
	return &Notifier{client: &http.Client{Timeout: Timeout}, log: log}
}

// Send posts b to url in the background. The delivery outlives ctx's
// cancellation (a stopping serve still announces what it did); Timeout
// bounds it.
func (n *Notifier) Send(ctx context.Context, url string, b Body) {
	body, _ := json.Marshal(b) // plain strings and maps: cannot fail
	ctx = context.WithoutCancel(ctx)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := n.post(ctx, url, body); err != nil {
			n.log.Warn("webhook failed", "image", b.Image, "container", b.Name, "event", b.Event, "url", url, "err", err)
			return
		}
		n.log.Debug("webhook delivered", "image", b.Image, "container", b.Name, "event", b.Event, "url", url)
	}()
}

// Wait returns when every delivery has ended.
func (n *Notifier) Wait() { n.wg.Wait() }

func (n *Notifier) post(ctx context.Context, url string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("status %s", resp.Status)
	}
	return nil
}
