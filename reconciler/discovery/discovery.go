// Package discovery delivers the original orchestrator's discovery
// webhook: a spec whose env has DISCOVERY_CALLBACK=<url> gets a POST of a
// Body on every create, start and stop of its containers. Deliveries run in
// the background, each bounded by a timeout, and reach one URL in the order
// they were sent (a stop is never announced after the start that followed
// it); a failure is logged, never fatal, and never delays the reconciler.
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

// Notifier posts bodies in the background, one at a time and in order per
// URL. Wait returns when every delivery begun has ended.
type Notifier struct {
	client *http.Client
	log    *slog.Logger
	wg     sync.WaitGroup

	mu     sync.Mutex
	queues map[string][]delivery // per URL, while its sender runs
}

// delivery is one queued POST.
type delivery struct {
	ctx  context.Context
	b    Body
	body []byte
}

// MaxQueued bounds the deliveries waiting for one URL: past it, the oldest
// is dropped (and logged), so a dead receiver cannot hold memory.
const MaxQueued = 256

// NewNotifier returns a notifier that logs failures to log.
func NewNotifier(log *slog.Logger) *Notifier {
	return &Notifier{client: &http.Client{Timeout: Timeout}, log: log, queues: map[string][]delivery{}}
}

// Send queues b for url. The delivery outlives ctx's cancellation (a
// stopping serve still announces what it did); Timeout bounds each POST.
func (n *Notifier) Send(ctx context.Context, url string, b Body) {
	body, _ := json.Marshal(b) // plain strings and maps: cannot fail
	d := delivery{ctx: context.WithoutCancel(ctx), b: b, body: body}
	n.mu.Lock()
	defer n.mu.Unlock()
	q, running := n.queues[url]
	if len(q) >= MaxQueued {
		n.log.Warn("webhook dropped", "image", q[0].b.Image, "container", q[0].b.Name, "event", q[0].b.Event, "url", url, "reason", "queue full")
		q = q[1:]
	}
	n.queues[url] = append(q, d)
	if !running {
		n.wg.Add(1)
		go n.drain(url)
	}
}

// drain posts url's queue in order, and ends when it is empty.
func (n *Notifier) drain(url string) {
	defer n.wg.Done()
	for {
		n.mu.Lock()
		q := n.queues[url]
		if len(q) == 0 {
			delete(n.queues, url)
			n.mu.Unlock()
			return
		}
		d := q[0]
		n.queues[url] = q[1:]
		n.mu.Unlock()
		if err := n.post(d.ctx, url, d.body); err != nil {
			n.log.Warn("webhook failed", "image", d.b.Image, "container", d.b.Name, "event", d.b.Event, "url", url, "err", err)
			continue
		}
		n.log.Debug("webhook delivered", "image", d.b.Image, "container", d.b.Name, "event", d.b.Event, "url", url)
	}
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
