package reconciler

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// DiscoveryEnv is the env key of the original's discovery webhook: a spec
// that sets it gets a POST on every create, start and stop of its containers.
const DiscoveryEnv = "DISCOVERY_CALLBACK"

// webhookTimeout bounds one delivery; a failure is logged, never fatal.
const webhookTimeout = 2 * time.Second

// Discovery is the body of a discovery webhook POST.
type Discovery struct {
	Image       string                   `json:"image"`
	ContainerID string                   `json:"container_id"`
	Name        string                   `json:"name"`
	Host        string                   `json:"host"`
	Ports       map[string][]PortBinding `json:"ports"`
	Status      string                   `json:"status"` // running or stopped
	Event       string                   `json:"event"`  // create, start or stop
}

// notifier delivers webhooks in the background, one goroutine each, all
// ended by the Run context and waited for when Run returns.
type notifier struct {
	client *http.Client
	host   string
	wg     sync.WaitGroup
}

func newNotifier(host string) *notifier {
	return &notifier{client: &http.Client{Timeout: webhookTimeout}, host: host}
}

// announceDone sends the webhooks of a pass's successful actions. One List
// gives the ports of every container involved.
func (r *Reconciler) announceDone(ctx context.Context, done []Done) {
	var due []Done
	for _, d := range done {
		if d.OK && d.Kind != KindRemove && r.callbackOf(d.Image) != "" {
			due = append(due, d)
		}
	}
	if len(due) == 0 {
		return
	}
	cs, err := r.engine.List(ctx)
	if err != nil {
		r.log.Warn("webhook: list containers failed", "err", err)
		return
	}
	byID := map[string]Container{}
	for _, c := range cs {
		byID[c.ID] = c
	}
	for _, d := range due {
		r.deliver(ctx, d.Image, byID[d.ID], d.ID, d.Name, string(d.Kind))
	}
}

// Announce delivers the webhook of a container event that the API caused
// (a PATCH to running or stopped). The delivery outlives the request that
// caused it; its own timeout bounds it.
func (r *Reconciler) Announce(ctx context.Context, image, containerID, event string) {
	if r.callbackOf(image) == "" {
		return
	}
	ctx = context.WithoutCancel(ctx)
	cs, err := r.engine.List(ctx)
	if err != nil {
		r.log.Warn("webhook: list containers failed", "err", err)
		return
	}
	for _, c := range cs {
		if c.ID == containerID {
			r.deliver(ctx, image, c, c.ID, c.Name, event)
			return
		}
	}
}

func (r *Reconciler) callbackOf(image string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.desired[image].Env[DiscoveryEnv]
}

func (r *Reconciler) deliver(ctx context.Context, image string, c Container, id, name, event string) {
	url := r.callbackOf(image)
	// A stopped spec's containers are created and not started: "stopped".
	status := "running"
	if event == string(KindStop) || event == string(KindCreate) && !c.Active() {
		status = "stopped"
	}
	body, _ := json.Marshal(Discovery{Image: image, ContainerID: id, Name: name, Host: r.hooks.host, Ports: c.Ports, Status: status, Event: event})
	r.hooks.wg.Add(1)
	go func() {
		defer r.hooks.wg.Done()
		err := r.hooks.post(ctx, url, body)
		if err != nil {
			r.log.Warn("webhook failed", "image", image, "container", name, "event", event, "url", url, "err", err)
			return
		}
		r.log.Debug("webhook delivered", "image", image, "container", name, "event", event, "url", url)
	}()
}

func (n *notifier) post(ctx context.Context, url string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, webhookTimeout)
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
