package api

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/orchestrator/orchestrator/api/wire"
)

// sseBatch bounds how many queued events are written before a flush.
const sseBatch = 64

// eventStream is GET /events: the hub's events as Server-Sent Events
// (docs/design.md §11), from now on, or resumed after Last-Event-ID (or
// ?since=) from the kept ones, with a "reset" first when some are lost.
// A client that falls behind is dropped by the hub: its stream ends, and
// it resumes from its last id when it reconnects. With follow=false the
// answer is the kept events and ends.
func (s *Server) eventStream(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	follow := true
	if v := q.Get("follow"); v != "" {
		b, ok := parseBool(v)
		if !ok {
			return invalid([]any{"query", "follow"}, "bool_parsing", "Input should be a valid boolean, unable to interpret input")
		}
		follow = b
	}
	last, resume := uint64(0), false
	if v := q.Get("since"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return invalid([]any{"query", "since"}, "int_parsing", "Input should be an event id (a number >= 0)")
		}
		last, resume = n, true
	}
	if v := strings.TrimSpace(r.Header.Get("Last-Event-ID")); v != "" { // a reconnect: it wins over since
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			n = math.MaxUint64 // no id of ours: start again from what is kept, with a reset
		}
		last, resume = n, true
	}

	sub := s.opts.Events.Subscribe(last, resume)
	defer sub.Close()
	ctx, stop := s.streamContext(r.Context())
	defer stop()
	out := startSSE(w)
	if sub.Reset {
		out.value(EventReset, wire.ResetEvent{LastEventID: last, Oldest: sub.Oldest})
	}
	for _, ev := range sub.Backlog {
		out.event(ev.ID, ev.Type, ev.Data)
	}
	if !out.flush() || !follow {
		return nil
	}
	ping := time.NewTicker(s.opts.Heartbeat)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done(): // the client went, or the server shuts down
			return nil
		case <-ping.C:
			out.comment("ping")
		case ev, ok := <-sub.C:
			if !ok {
				s.log.Info("event stream client dropped: it fell behind", "remote", r.RemoteAddr)
				return nil
			}
			out.event(ev.ID, ev.Type, ev.Data)
			for i := 0; i < sseBatch && len(sub.C) > 0; i++ {
				if ev, ok = <-sub.C; ok {
					out.event(ev.ID, ev.Type, ev.Data)
				}
			}
		}
		if !out.flush() {
			return nil // the client went away
		}
	}
}

// sseTokenInQuery reports whether r may carry the token as ?access_token=:
// only the event streams, since a browser's EventSource cannot send a
// header. A URL's token can end up in a proxy's log: clients that can send
// the header should.
func sseTokenInQuery(r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	p := r.URL.Path
	return p == "/events" || strings.HasPrefix(p, "/containers/") && strings.HasSuffix(p, "/logs")
}
