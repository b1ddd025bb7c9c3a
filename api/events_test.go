package api_test

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

const within = 5 * time.Second

func withHeartbeat(d time.Duration) envOpt { return func(c *envConfig) { c.api.Heartbeat = d } }

// A write shows on /events: the actions it caused, when they ended, with
// reason and result; the engine's events of the new container; the spec's
// status each time it changed (and not again when it did not); and its
// removal when the spec is deleted.
func TestEventsOfAWrite(t *testing.T) {
	e := newEnv(t)
	s := openSSE(t, e, "/events")
	r := e.do("POST", "/start/container", `{"image":"web:v1","resources":{}}`)
	if r.code != 200 {
		t.Fatalf("start: %d %s", r.code, r.raw)
	}
	id, name := r.body["container_id"].(string), r.body["name"].(string)

	found, _ := s.each(t, within, "the create's action, the engine's start, the status Healthy",
		ofType(t, "action", map[string]any{"image": "web:v1"}),
		ofType(t, "container", map[string]any{"image": "web:v1", "id": id, "action": "start"}),
		ofType(t, "status", map[string]any{"image": "web:v1", "health": "Healthy", "running": 1.0}))
	action, healthy := found[0], found[2]
	got := action.decode(t)
	if _, err := time.Parse(time.RFC3339Nano, fmt.Sprint(got["time"])); err != nil {
		t.Errorf("action time %v: %v", got["time"], err)
	}
	delete(got, "time")
	want := map[string]any{"image": "web:v1", "kind": "create", "container": name, "id": id, "reason": "scale up to 1", "ok": true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("action (-want +got):\n%s", diff)
	}
	if m := healthy.decode(t); m["source"] != "web_v1.yaml:1" || m["synced"] != true {
		t.Errorf("status %v, want GET /status's item: synced, with its source", m)
	}

	// A pass that changes nothing sends no status; the next status event
	// is the removal of the spec.
	if r := e.do("POST", "/images/web:v1/reconcile", ""); r.code != 200 {
		t.Fatalf("reconcile: %d %s", r.code, r.raw)
	}
	if r := e.do("DELETE", "/images/web:v1", ""); r.code != 200 {
		t.Fatalf("delete: %d %s", r.code, r.raw)
	}
	removed, skipped := s.next(t, within, "the status's removal", ofType(t, "status", map[string]any{"image": "web:v1", "removed": true}))
	if diff := cmp.Diff(map[string]any{"image": "web:v1", "removed": true}, removed.decode(t)); diff != "" {
		t.Errorf("removal (-want +got):\n%s", diff)
	}
	var statuses []sseEvent
	for _, ev := range skipped {
		if ev.Type == "status" {
			statuses = append(statuses, ev)
		}
	}
	if len(statuses) > 0 {
		t.Errorf("status events between Healthy and the removal: %v; want none for the pass that changed nothing", statuses)
	}
	s.next(t, within, "the removal's action", ofType(t, "action", map[string]any{"image": "web:v1", "kind": "remove", "ok": true}))
}

// Every event has an increasing id; a client that comes back with
// Last-Event-ID (or since) gets the events after it, and one whose id is
// none of this server's gets a reset first, then every kept event.
func TestEventsResume(t *testing.T) {
	e := newEnv(t)
	live := openSSE(t, e, "/events")
	if r := e.do("POST", "/start/container", `{"image":"web:v1","resources":{}}`); r.code != 200 {
		t.Fatalf("start: %d %s", r.code, r.raw)
	}
	first, _ := live.next(t, within, "an event", func(sseEvent) bool { return true })
	second, _ := live.next(t, within, "another event", func(sseEvent) bool { return true })
	live.close()

	all := openSSE(t, e, "/events?since=0&follow=false").rest(t, within)
	var ids []uint64
	for _, ev := range all {
		if ev.Type == "comment" {
			continue
		}
		n, err := strconv.ParseUint(ev.ID, 10, 64)
		if err != nil {
			t.Fatalf("event %v: id %q is no number", ev, ev.ID)
		}
		if len(ids) > 0 && n <= ids[len(ids)-1] {
			t.Errorf("id %d after %d: not increasing", n, ids[len(ids)-1])
		}
		ids = append(ids, n)
	}
	if len(all) < 3 || all[0] != first || all[1] != second {
		t.Fatalf("since=0 gave %v; want every event from %v, %v", all, first, second)
	}

	for _, tc := range []struct {
		name    string
		path    string
		headers []string
		want    []sseEvent
	}{
		{"Last-Event-ID", "/events?follow=false", []string{"Last-Event-ID", first.ID}, all[1:]},
		{"since", "/events?follow=false&since=" + second.ID, nil, all[2:]},
		{"Last-Event-ID wins over since", "/events?follow=false&since=0", []string{"Last-Event-ID", second.ID}, all[2:]},
		{"the newest: nothing", "/events?follow=false", []string{"Last-Event-ID", all[len(all)-1].ID}, nil},
		{"an earlier run's id: reset", "/events?follow=false", []string{"Last-Event-ID", "99999999"},
			append([]sseEvent{{Type: "reset", Data: `{"last_event_id":99999999,"oldest":1}`}}, all...)},
		{"no id at all: reset", "/events?follow=false", []string{"Last-Event-ID", "x"},
			append([]sseEvent{{Type: "reset", Data: `{"last_event_id":18446744073709551615,"oldest":1}`}}, all...)},
	} {
		got := openSSE(t, e, tc.path, tc.headers...).rest(t, within)
		if len(got) > len(tc.want) { // events of later passes, if any, may follow
			got = got[:len(tc.want)]
		}
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(sseEvent{})); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}

	// A follow resumes live: what happens after it is sent too.
	s := openSSE(t, e, "/events", "Last-Event-ID", all[len(all)-1].ID)
	if r := e.do("DELETE", "/images/web:v1", ""); r.code != 200 {
		t.Fatalf("delete: %d %s", r.code, r.raw)
	}
	ev, _ := s.next(t, within, "the removal", ofType(t, "status", map[string]any{"removed": true}))
	if n, _ := strconv.ParseUint(ev.ID, 10, 64); n <= ids[len(ids)-1] {
		t.Errorf("a later event has id %d, not above %d", n, ids[len(ids)-1])
	}
}

// With --token, /events needs it: as the Bearer header, or as
// ?access_token= (a browser's EventSource sends no header), which no other
// endpoint takes.
func TestEventsNeedTheToken(t *testing.T) {
	e := newEnv(t, withToken("s3cret"))
	for _, tc := range []struct {
		path    string
		headers []string
		code    int
	}{
		{"/events?follow=false", nil, 401},
		{"/events?follow=false", []string{"Authorization", "Bearer nope"}, 401},
		{"/events?follow=false", []string{"Authorization", "Bearer s3cret"}, 200},
		{"/events?follow=false&access_token=s3cret", nil, 200},
		{"/events?follow=false&access_token=nope", nil, 401},
		{"/events?follow=false&access_token=", nil, 401},
		{"/status?access_token=s3cret", nil, 401},
		{"/containers?access_token=s3cret", nil, 401},
	} {
		if got := e.do("GET", tc.path, "", tc.headers...); got.code != tc.code {
			t.Errorf("GET %s %v: %d, want %d", tc.path, tc.headers, got.code, tc.code)
		} else if got.code == 401 && got.body["code"] != "unauthorized" {
			t.Errorf("GET %s: 401 %s, want code unauthorized", tc.path, got.raw)
		}
	}
	if r := e.do("POST", "/events?access_token=s3cret", ""); r.code != http.StatusUnauthorized {
		t.Errorf("POST /events with the token in the query: %d, want 401 (only GET takes it)", r.code)
	}
}

// An idle stream sends a ping every heartbeat, and a shutdown
// (CloseStreams) ends it.
func TestEventsPingAndShutdown(t *testing.T) {
	e := newEnv(t, withHeartbeat(20*time.Millisecond))
	s := openSSE(t, e, "/events")
	ping, _ := s.next(t, within, "a ping", func(ev sseEvent) bool { return ev.Type == "comment" })
	if ping.Data != "ping" {
		t.Errorf("comment %q, want ping", ping.Data)
	}
	e.srv.CloseStreams()
	s.rest(t, within) // it ends
}

// A client that does not read falls behind and is dropped: publishing
// never waits for it (5000 events of 1 KiB, far more than the socket
// holds, within a deadline), and its stream ends after what it was sent,
// events without a gap, from which it can resume.
func TestEventsSlowClientIsDropped(t *testing.T) {
	e := newEnv(t)
	resp, err := http.Get(e.url + "/events") // its body is not read until the end
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rt.Eventually(t, within, "the client subscribed", func() (bool, string) { return e.hub.Subscribers() == 1, "" })

	const n = 5000
	pad := strings.Repeat("x", 1024)
	published := make(chan struct{})
	go func() { // ends after n publishes
		defer close(published)
		for i := range n {
			if err := e.hub.Publish("test", map[string]any{"i": i, "pad": pad}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	select {
	case <-published:
	case <-time.After(within):
		t.Fatal("publishing waited for a client that does not read")
	}
	if got := e.hub.Subscribers(); got != 0 {
		t.Errorf("%d subscribers after the burst, want the reader that does not read dropped", got)
	}

	evs := make(chan sseEvent, n)
	ended := make(chan struct{})
	go func() { // ends with the body: the server ends the dropped stream
		defer close(ended)
		parseSSE(bufio.NewReader(resp.Body), evs)
	}()
	select {
	case <-ended:
	case <-time.After(30 * time.Second):
		t.Fatal("the dropped client's stream did not end")
	}
	close(evs)
	var ids []uint64
	for ev := range evs {
		if ev.Type == "test" {
			id, _ := strconv.ParseUint(ev.ID, 10, 64)
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 || len(ids) >= n {
		t.Fatalf("the dropped client got %d of %d events, want some and not all", len(ids), n)
	}
	for i, id := range ids {
		if id != ids[0]+uint64(i) {
			t.Fatalf("event %d has id %d after %d: a gap", i, id, ids[i-1])
		}
	}
}
