package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// sseWriteTimeout bounds each write of an event stream: a client that
// stops reading (its TCP window full) is cut off after it, instead of
// holding its handler for ever. The server's own write timeout is lifted
// for streams, as for a logs follow.
const sseWriteTimeout = 10 * time.Second

// DefaultHeartbeat is how often an idle event stream sends ": ping", so
// that proxies and clients see it alive.
const DefaultHeartbeat = 15 * time.Second

// sse writes a text/event-stream answer. The first error of a write is
// kept: once the client is gone, every later write is a no-op, and err
// says so.
type sse struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	err error
}

// startSSE sends the headers of an event stream, and a retry hint: a
// client that loses the stream reconnects after 2 s.
func startSSE(w http.ResponseWriter) *sse {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each event on at once
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	s := &sse{w: w, rc: http.NewResponseController(w)}
	s.write("retry: 2000\n\n")
	s.flush()
	return s
}

// event writes one event: its id when it has one (so that a client's
// Last-Event-ID moves), its type, and data, one line of JSON.
func (s *sse) event(id uint64, typ string, data []byte) {
	buf := make([]byte, 0, len(data)+64)
	if id > 0 {
		buf = append(strconv.AppendUint(append(buf, "id: "...), id, 10), '\n')
	}
	buf = append(append(append(buf, "event: "...), typ...), '\n')
	buf = append(append(append(buf, "data: "...), data...), "\n\n"...)
	s.write(string(buf))
}

// value writes an event without an id whose data is v as JSON.
func (s *sse) value(typ string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.err = errors.Join(s.err, err)
		return
	}
	s.event(0, typ, b)
}

// comment writes a comment line, which clients ignore: a heartbeat.
func (s *sse) comment(text string) { s.write(": " + text + "\n\n") }

func (s *sse) write(text string) {
	if s.err != nil {
		return
	}
	s.deadline()
	_, s.err = s.w.Write([]byte(text))
}

// flush sends what was written, and reports whether the stream is still
// good.
func (s *sse) flush() bool {
	if s.err == nil {
		s.deadline()
		s.err = s.rc.Flush()
	}
	return s.err == nil
}

// deadline gives the next write sseWriteTimeout. An http.ResponseWriter
// that has no deadlines (a test's recorder) is fine.
func (s *sse) deadline() {
	_ = s.rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
}

// streamContext is ctx, also ended by CloseStreams: a shutdown must not
// wait for a client that follows a stream.
func (s *Server) streamContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.streams, cancel)
	return ctx, func() {
		stop()
		cancel()
	}
}
