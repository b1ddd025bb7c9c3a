package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/orchestrator/orchestrator/api/wire"
	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/reconciler/engine/docker"
)

// listContainers implements logSource: GET /containers (bounded by the
// client's request timeout).
func (c *client) listContainers(context.Context) ([]wire.Container, error) { return c.containers() }

// logs implements logSource: GET /containers/{id}/logs, streamed. Its
// request has no timeout (a follow lasts as long as the container runs):
// ctx ends it.
func (c *client) logs(ctx context.Context, id string, follow bool, tail int) (io.ReadCloser, error) {
	q := url.Values{"follow": {strconv.FormatBool(follow)}}
	if tail >= 0 {
		q.Set("tail", strconv.Itoa(tail))
	}
	path := "/containers/" + url.PathEscape(id) + "/logs?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	// No overall timeout (a follow lasts), but a server that never answers
	// is not waited for.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.ResponseHeaderTimeout = requestTimeout
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return nil, c.transportError(err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return nil, c.apiError(http.MethodGet, path, resp.StatusCode, raw)
	}
	return resp.Body, nil
}

// engineLogs is a logSource on this machine's engine.
type engineLogs struct{ e *docker.Engine }

// newEngineLogs connects to the engine: the managed containers of every
// instance, or of instance when only is set.
func newEngineLogs(ctx context.Context, instance string, only bool) (logSource, func(), error) {
	e, err := docker.New(ctx, docker.Options{Instance: instance, AnyInstance: !only})
	if err != nil {
		return nil, nil, err
	}
	return engineLogs{e}, func() { e.Close() }, nil
}

func (l engineLogs) listContainers(ctx context.Context) ([]wire.Container, error) {
	cs, err := l.e.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("docker engine: %w", err)
	}
	out := make([]wire.Container, 0, len(cs))
	for _, c := range cs {
		out = append(out, wire.Container{ContainerID: c.ID, Image: c.Image, Name: c.Name, Status: c.State})
	}
	return out, nil
}

func (l engineLogs) logs(ctx context.Context, id string, follow bool, tail int) (io.ReadCloser, error) {
	return l.e.Logs(ctx, id, engine.LogOptions{Follow: follow, Tail: tail})
}
