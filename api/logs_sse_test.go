package api_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// startWeb starts a web:v1 container on e and returns its id.
func startWeb(t *testing.T, e *env) string {
	t.Helper()
	r := e.do("POST", "/start/container", `{"image":"web:v1","resources":{}}`)
	if r.code != 200 {
		t.Fatalf("start: %d %s", r.code, r.raw)
	}
	return r.body["container_id"].(string)
}

// Asked for an event stream, a follow sends each line as a "log" event,
// JSON-encoded (HTML and quotes are data), a line written after the stream
// opened too, and "end" when the container stops; with the token in the
// query when the server has one.
func TestLogsAsEventStream(t *testing.T) {
	e := newEnv(t, withToken("s3cret"))
	r := e.do("POST", "/start/container", `{"image":"web:v1","resources":{}}`, "Authorization", "Bearer s3cret")
	if r.code != 200 {
		t.Fatalf("start: %d %s", r.code, r.raw)
	}
	id := r.body["container_id"].(string)
	s := openSSE(t, e, "/containers/"+id+"/logs?follow=1&tail=200&access_token=s3cret", "Accept", "text/event-stream")
	first, _ := s.next(t, within, "the start line", func(ev sseEvent) bool { return ev.Type == "log" })
	if diff := cmp.Diff(`{"line":"`+rt.StartLog+`"}`, first.Data); diff != "" {
		t.Errorf("first event's data (-want +got):\n%s", diff)
	}
	if first.ID != "" {
		t.Errorf("a log event has id %q: log events are not numbered", first.ID)
	}

	e.fake.Log(id, `<script>alert("x")</script>`)
	ev, _ := s.next(t, within, "the line written after the stream opened", func(ev sseEvent) bool { return ev.Type == "log" })
	if want := `{"line":"\u003cscript\u003ealert(\"x\")\u003c/script\u003e"}`; ev.Data != want {
		t.Errorf("data %s, want %s", ev.Data, want)
	}
	if err := e.fake.StopByHand(id); err != nil {
		t.Fatal(err)
	}
	rest := s.rest(t, within)
	if n := len(rest); n == 0 || rest[n-1].Type != "end" || rest[n-1].Data != `{"reason":"stopped"}` {
		t.Errorf("after the stop: %v, want the stream to end with end {\"reason\":\"stopped\"}", rest)
	}
}

// The stream sends at most 200 lines a second (the burst: what a tail
// sends at once); the lines over it are counted in a "dropped" event, and
// a line over 16 KiB is cut and marked. Without follow it ends with "end"
// {"reason":"done"}.
func TestLogsEventStreamLimits(t *testing.T) {
	e := newEnv(t)
	id := startWeb(t, e)
	long := strings.Repeat("é", 10000) // 20000 bytes
	e.fake.Log(id, long)
	const flood = 1000
	for i := range flood {
		e.fake.Log(id, fmt.Sprint("line ", i))
	}
	total := 2 + flood // the start line, the long one, the flood

	evs := openSSE(t, e, "/containers/"+id+"/logs?tail=all&format=sse").rest(t, within)
	lines, dropped := 0, 0
	for i, ev := range evs {
		switch ev.Type {
		case "log":
			lines++
			if i == 1 { // after the start line
				m := ev.decode(t)
				if got := m["line"].(string); m["truncated"] != true || len(got) != 16<<10 || !strings.HasPrefix(long, got) {
					t.Errorf("the long line: %d bytes, truncated %v; want its first 16 KiB, marked", len(got), m["truncated"])
				}
			}
		case "dropped":
			dropped += int(ev.decode(t)["dropped"].(float64))
		}
	}
	if lines+dropped != total || dropped == 0 || lines < 200 {
		t.Errorf("%d lines sent and %d dropped of %d: want at least the burst of 200 sent, the rest counted as dropped", lines, dropped, total)
	}
	if last := evs[len(evs)-1]; last.Type != "end" || last.Data != `{"reason":"done"}` {
		t.Errorf("last event %v, want end {\"reason\":\"done\"}", last)
	}

	// The tail of an event stream is 200 lines unless asked otherwise.
	evs = openSSE(t, e, "/containers/"+id+"/logs", "Accept", "text/plain, text/event-stream;q=0.9").rest(t, within)
	if n := len(evs); n != 201 || evs[0].Data != `{"line":"line 800"}` {
		t.Errorf("default tail: %d events from %v, want 200 lines from line 800 and end", n, evs[0])
	}

	// format=text is the plain text whatever the Accept.
	if r := e.do("GET", "/containers/"+id+"/logs?tail=1&format=text", "", "Accept", "text/event-stream"); r.code != 200 ||
		r.header.Get("Content-Type") != "text/plain; charset=utf-8" || r.raw != "line 999\n" {
		t.Errorf("format=text: %d %s %q", r.code, r.header.Get("Content-Type"), r.raw)
	}
}
