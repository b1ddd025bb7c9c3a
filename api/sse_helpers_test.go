package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// sseEvent is one parsed Server-Sent Event; a comment line (": ping") is
// an event of Type "comment" with the text as Data.
type sseEvent struct {
	ID, Type, Data string
}

// decode is the event's data as a map.
func (ev sseEvent) decode(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(ev.Data), &m); err != nil {
		t.Fatalf("event %s %s: data is no JSON object: %v", ev.Type, ev.Data, err)
	}
	return m
}

// sseStream is an open event stream: its events arrive on events, which
// is closed when the stream ends.
type sseStream struct {
	resp   *http.Response
	events chan sseEvent
	cancel context.CancelFunc
}

// openSSE opens path on e as an event stream, with headers given as name,
// value pairs, and checks that the answer is one. The stream is closed
// when the test ends.
func openSSE(t *testing.T, e *env, path string, headers ...string) *sseStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.url+path, nil)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		resp.Body.Close()
		cancel()
		t.Fatalf("GET %s: %d %s, want 200 text/event-stream", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &sseStream{resp: resp, events: make(chan sseEvent, 4096), cancel: cancel}
	done := make(chan struct{})
	go func() { // ends when the body ends: the server's end, or close below
		defer close(done)
		defer close(s.events)
		parseSSE(bufio.NewReader(resp.Body), s.events)
	}()
	t.Cleanup(func() {
		s.close()
		<-done
	})
	return s
}

func (s *sseStream) close() {
	s.cancel()
	s.resp.Body.Close()
}

// parseSSE sends each event of r on out until r ends.
func parseSSE(r *bufio.Reader, out chan<- sseEvent) {
	var ev sseEvent
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if ev.Type != "" || ev.Data != "" {
				out <- ev
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, ": "):
			out <- sseEvent{Type: "comment", Data: strings.TrimPrefix(line, ": ")}
		default:
			field, value, _ := strings.Cut(line, ": ")
			switch field {
			case "id":
				ev.ID = value
			case "event":
				ev.Type = value
			case "data":
				ev.Data = value
			}
		}
	}
}

// next is the next event that match accepts, within the deadline; the
// events skipped on the way are returned too.
func (s *sseStream) next(t *testing.T, within time.Duration, what string, match func(sseEvent) bool) (sseEvent, []sseEvent) {
	t.Helper()
	deadline := time.After(within)
	var skipped []sseEvent
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				t.Fatalf("%s: the stream ended first; it had %v", what, skipped)
			}
			if match(ev) {
				return ev, skipped
			}
			skipped = append(skipped, ev)
		case <-deadline:
			t.Fatalf("%s: not within %s; the stream had %v", what, within, skipped)
		}
	}
}

// each waits, within the deadline, until every one of match has accepted
// an event, in any order; it returns the first event each accepted, and
// every event read.
func (s *sseStream) each(t *testing.T, within time.Duration, what string, match ...func(sseEvent) bool) ([]sseEvent, []sseEvent) {
	t.Helper()
	deadline := time.After(within)
	found := make([]sseEvent, len(match))
	seen := make([]bool, len(match))
	var read []sseEvent
	for left := len(match); left > 0; {
		select {
		case ev, ok := <-s.events:
			if !ok {
				t.Fatalf("%s: the stream ended first; it had %v", what, read)
			}
			read = append(read, ev)
			for i, m := range match {
				if !seen[i] && m(ev) {
					found[i], seen[i] = ev, true
					left--
				}
			}
		case <-deadline:
			t.Fatalf("%s: not within %s (found %v); the stream had %v", what, within, seen, read)
		}
	}
	return found, read
}

// rest is every event until the stream ends, within the deadline.
func (s *sseStream) rest(t *testing.T, within time.Duration) []sseEvent {
	t.Helper()
	deadline := time.After(within)
	var out []sseEvent
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				return out
			}
			out = append(out, ev)
		case <-deadline:
			t.Fatalf("the stream did not end within %s; it had %v", within, out)
		}
	}
}

// ofType matches the events of type typ whose data has every key, value of
// fields (values compared as their fmt form).
func ofType(t *testing.T, typ string, fields map[string]any) func(sseEvent) bool {
	return func(ev sseEvent) bool {
		if ev.Type != typ {
			return false
		}
		m := ev.decode(t)
		for k, v := range fields {
			if got, ok := m[k]; !ok || got != v {
				return false
			}
		}
		return true
	}
}
