package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
	"github.com/orchestrator/orchestrator/watcher/gitsync/gitsynctest"
)

// sseEvent is one event of a Server-Sent Events stream, its data decoded.
type sseEvent struct {
	id   uint64
	typ  string
	data map[string]any
}

func (e sseEvent) String() string { return fmt.Sprintf("%d %s %v", e.id, e.typ, e.data) }

// openEvents opens url as an event stream; its events arrive on the
// channel, which is closed when the stream ends (the server's end, or the
// test's). Every goroutine has ended when the test has.
func openEvents(t *testing.T, url string, headers ...string) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var resp *http.Response
	rt.Eventually(t, 10*time.Second, "GET "+url, func() (bool, string) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err.Error()
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		if resp, err = http.DefaultClient.Do(req); err != nil {
			return false, err.Error()
		}
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
			resp.Body.Close()
			return false, resp.Status + " " + resp.Header.Get("Content-Type")
		}
		return true, ""
	})
	out := make(chan sseEvent, 4096)
	done := make(chan struct{})
	go func() { // ends with the body
		defer close(done)
		defer close(out)
		br := bufio.NewReader(resp.Body)
		var ev sseEvent
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			field, value, _ := strings.Cut(strings.TrimSuffix(line, "\n"), ": ")
			switch field {
			case "id":
				ev.id, _ = strconv.ParseUint(value, 10, 64)
			case "event":
				ev.typ = value
			case "data":
				if err := json.Unmarshal([]byte(value), &ev.data); err != nil {
					ev.data = map[string]any{"undecodable": value}
				}
			case "":
				if ev.typ != "" {
					out <- ev
				}
				ev = sseEvent{}
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		resp.Body.Close()
		<-done
	})
	return out
}

// collect reads events until every one of want (a description → a
// match) has matched one, and returns the first match of each.
func collect(t *testing.T, evs <-chan sseEvent, within time.Duration, want map[string]func(sseEvent) bool) map[string]sseEvent {
	t.Helper()
	deadline := time.After(within)
	got := map[string]sseEvent{}
	var read []string
	for len(got) < len(want) {
		select {
		case ev, ok := <-evs:
			if !ok {
				t.Fatalf("the stream ended; found %v; it had:\n%s", got, strings.Join(read, "\n"))
			}
			read = append(read, ev.String())
			for what, m := range want {
				if _, done := got[what]; !done && m(ev) {
					got[what] = ev
				}
			}
		case <-deadline:
			var missing []string
			for what := range want {
				if _, ok := got[what]; !ok {
					missing = append(missing, what)
				}
			}
			t.Fatalf("not within %s: %v; the stream had:\n%s", within, missing, strings.Join(read, "\n"))
		}
	}
	return got
}

func is(typ string, fields map[string]any) func(sseEvent) bool {
	return func(ev sseEvent) bool {
		if ev.typ != typ {
			return false
		}
		for k, v := range fields {
			if ev.data[k] != v {
				return false
			}
		}
		return true
	}
}

// A spec file written into the directory of a real serve shows on GET
// /events: the watcher's file event, the reconciler's create (its reason
// and result), the engine's create and start of the container, and the
// spec's status; the file first. Then the new
// container's logs as an event stream: the demo's start line, and "end"
// when the container is stopped by hand.
func TestServeEventStream(t *testing.T) {
	image := rt.BuildTestImage(t, "orchestrator-test:events-keep")
	inst := newInstance(t)
	dir := t.TempDir()
	writeFile(t, dir, "keep.yaml", specText("orchestrator-test:events-keep"))
	s := startServer(t, dir, inst)
	evs := openEvents(t, "http://"+s.addr+"/events")
	// serve's watcher starts with its reconciler: a file written before
	// its watches are in place is read by the first pass, unseen. Once a
	// rewrite of keep.yaml shows, it sees what follows.
	rt.Eventually(t, 30*time.Second, "the watcher sees a rewrite of keep.yaml", func() (bool, string) {
		writeFile(t, dir, "keep.yaml", specText("orchestrator-test:events-keep"))
		wait := time.After(time.Second)
		for {
			select {
			case ev := <-evs:
				if ev.typ == "file" && ev.data["path"] == "keep.yaml" {
					return true, ""
				}
			case <-wait:
				return false, "no file event"
			}
		}
	})

	writeFile(t, dir, "app.yaml", specText(image, "min_replicas: 1"))
	got := collect(t, evs, 60*time.Second, map[string]func(sseEvent) bool{
		"file app.yaml":     is("file", map[string]any{"path": "app.yaml"}),
		"action create ok":  is("action", map[string]any{"image": image, "kind": "create", "ok": true, "reason": "scale up to 1"}),
		"container create":  is("container", map[string]any{"image": image, "action": "create"}),
		"container start":   is("container", map[string]any{"image": image, "action": "start"}),
		"status of app.yml": is("status", map[string]any{"image": image, "source": "app.yaml:1", "running": 1.0}),
	})
	file, create, start := got["file app.yaml"], got["action create ok"], got["container start"]
	// The file comes first; the engine's events and the action's report
	// may come in either order (Docker sends its events when it likes).
	if !(file.id < got["container create"].id && got["container create"].id < start.id && file.id < create.id) {
		t.Errorf("ids: file %d, engine create %d, engine start %d, action %d; want the file first, the engine's create before its start",
			file.id, got["container create"].id, start.id, create.id)
	}
	id, name := create.data["id"].(string), create.data["container"].(string)
	if start.data["id"] != id || !strings.HasPrefix(name, inst+"-") {
		t.Errorf("the action's container %s %s; the engine started %v", name, id, start.data["id"])
	}

	logs := openEvents(t, "http://"+s.addr+"/containers/"+id+"/logs?follow=1&tail=200", "Accept", "text/event-stream")
	line := collect(t, logs, 30*time.Second, map[string]func(sseEvent) bool{
		"the start line": func(ev sseEvent) bool {
			l, _ := ev.data["line"].(string)
			return ev.typ == "log" && strings.Contains(l, "listening")
		},
	})["the start line"]
	if line.id != 0 {
		t.Errorf("a log event has id %d: log events are not numbered", line.id)
	}
	rt.Docker(t, "stop", "-t", "1", id) // ours: this test's instance made it
	end := collect(t, logs, 30*time.Second, map[string]func(sseEvent) bool{"end": is("end", nil)})["end"]
	if end.data["reason"] != "stopped" {
		t.Errorf("end %v, want the reason stopped", end.data)
	}
}

// With serve --git, a pushed revision that is fetched shows on GET /events
// as a git event (its commit and subject), a file event without a path
// (the revision is swapped in whole), the actions it causes, and the spec's
// status with the commit as its git_revision.
func TestServeEventStreamFromGit(t *testing.T) {
	image := rt.BuildTestImage(t, "orchestrator-test:events-keep")
	inst := newInstance(t)
	remote := gitsynctest.NewRemote(t, map[string]string{
		"app.yaml":  specText(image, "min_replicas: 1", "max_replicas: 2"),
		"keep.yaml": specText("orchestrator-test:events-keep"),
	})
	s := startServer(t, t.TempDir(), inst, withGit(remote.URL, "", 0))
	waitHealth(t, s)
	waitFor(t, inst, image, 60*time.Second, "1 running from the first revision", exactly(1))
	evs := openEvents(t, "http://"+s.addr+"/events")

	commit := remote.Commit("app to 2 replicas", map[string]string{"app.yaml": specText(image, "min_replicas: 2", "max_replicas: 2")}).String()
	remote.Push(false)
	req, err := http.NewRequest("POST", "http://"+s.addr+"/git/sync", nil)
	if err != nil {
		t.Fatal(err)
	}
	if code, body := callReq(t, req); code != 200 {
		t.Fatalf("POST /git/sync = %d %v", code, body)
	}
	got := collect(t, evs, 60*time.Second, map[string]func(sseEvent) bool{
		"git":           is("git", map[string]any{"commit": commit, "subject": "app to 2 replicas"}),
		"file, no path": func(ev sseEvent) bool { _, has := ev.data["path"]; return ev.typ == "file" && !has },
		"action create": is("action", map[string]any{"image": image, "kind": "create", "ok": true, "reason": "scale up to 2"}),
		"status at the commit": func(ev sseEvent) bool {
			rev, _ := ev.data["git_revision"].(map[string]any)
			return ev.typ == "status" && ev.data["image"] == image && rev["commit"] == commit
		},
	})
	if g := got["git"]; g.id > got["action create"].id || g.data["author"] == "" {
		t.Errorf("git event %v, action %v: want the revision first, with its author", g, got["action create"])
	}
}
