package api

import (
	"bufio"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/orchestrator/orchestrator/api/wire"
	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// The limits of a logs event stream (docs/design.md §11).
const (
	// sseLogRate is how many lines a stream sends per second at most, and
	// its burst: lines beyond it are dropped, and counted in a "dropped"
	// event, so that a container that floods its output cannot flood a
	// browser.
	sseLogRate = 200
	// sseMaxLine is the longest line sent; a longer one is cut, marked
	// truncated.
	sseMaxLine = 16 << 10
	// sseDefaultTail is the lines from the end sent first when the client
	// gives no tail.
	sseDefaultTail = 200
)

// wantsSSE reports whether a logs request asks for an event stream: an
// Accept of text/event-stream, or format=sse (format=text is the plain
// text of other clients).
func wantsSSE(r *http.Request) (bool, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "sse":
		return true, nil
	case "text":
		return false, nil
	case "":
	default:
		return false, invalid([]any{"query", "format"}, "enum", "Input should be 'text' or 'sse'")
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/event-stream" {
			return true, nil
		}
	}
	return false, nil
}

// logStream is a container's logs as Server-Sent Events: a "log" event per
// line, at most sseLogRate a second ("dropped" says how many were not
// sent), and "end" when the log ends (the container stopped, with follow).
// A shutdown or the client's going ends it without "end". Nothing is
// numbered: a client that reconnects gets the tail again.
func (s *Server) logStream(w http.ResponseWriter, r *http.Request, c engine.Container, x string, opts engine.LogOptions) error {
	ctx, stop := s.streamContext(r.Context())
	rc, err := s.engine.Logs(ctx, c.ID, opts)
	if err != nil {
		stop()
		if errors.Is(err, engine.ErrNotFound) {
			return containerNotFound(x)
		}
		return err
	}
	lines := make(chan wire.LogLine, 64)
	var readErr error // set before lines is closed
	ended := make(chan struct{})
	go func() { // ends at the log's end, or when rc is closed or ctx ends (below)
		defer close(ended)
		readErr = readLines(rc, lines, ctx.Done())
		close(lines)
	}()
	defer func() {
		stop()
		rc.Close()
		<-ended
	}()

	out := startSSE(w)
	budget := lineBudget{rate: sseLogRate, tokens: sseLogRate, last: time.Now()}
	dropped := 0
	sendDropped := func() {
		if dropped > 0 {
			out.value("dropped", wire.LogDropped{Dropped: dropped})
			dropped = 0
		}
	}
	second := time.NewTicker(time.Second) // tells of dropped lines when none come after them
	defer second.Stop()
	ping := time.NewTicker(s.opts.Heartbeat)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ping.C:
			out.comment("ping")
		case <-second.C:
			sendDropped()
		case l, ok := <-lines:
			if !ok {
				if !errors.Is(readErr, io.EOF) {
					return nil // the engine's stream broke, or ctx ended: no end to tell of
				}
				sendDropped()
				reason := "done"
				if opts.Follow {
					reason = "stopped"
				}
				out.value("end", wire.LogEnd{Reason: reason})
				out.flush()
				return nil
			}
			if !budget.allow(time.Now()) {
				dropped++
				continue
			}
			sendDropped()
			out.value("log", l)
			if len(lines) > 0 {
				continue // flush once the queue is empty
			}
		}
		if !out.flush() {
			return nil // the client went away
		}
	}
}

// readLines sends each line of r on out until r ends (io.EOF) or fails,
// or done is closed.
func readLines(r io.Reader, out chan<- wire.LogLine, done <-chan struct{}) error {
	br := bufio.NewReaderSize(r, 32<<10)
	for {
		l, err := readLine(br)
		if l != nil {
			select {
			case out <- *l:
			case <-done:
				return errors.New("stream ended")
			}
		}
		if err != nil {
			return err
		}
	}
}

// readLine reads one line, without its end, cut at sseMaxLine. It returns
// nil with io.EOF at the end; a last line without a newline is a line.
func readLine(br *bufio.Reader) (*wire.LogLine, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(line) <= sseMaxLine {
			line = append(line, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(line) == 0 {
			return nil, err
		}
		line = []byte(strings.TrimRight(string(line), "\r\n"))
		l := &wire.LogLine{Line: string(line)}
		if len(line) > sseMaxLine {
			l.Line, l.Truncated = strings.ToValidUTF8(string(line[:sseMaxLine]), ""), true
		}
		return l, err
	}
}

// lineBudget is a token bucket: rate lines a second, and a burst of rate.
type lineBudget struct {
	rate, tokens float64
	last         time.Time
}

// allow takes a token at now, if there is one.
func (b *lineBudget) allow(now time.Time) bool {
	b.tokens = min(b.rate, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
