package enginetest

import (
	"context"
	"io"
	"strings"
	"sync"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// StartLog is the line the fake's containers write when they start, as the
// demo image logs that it listens.
const StartLog = "level=INFO msg=listening addr=:8080"

// fakeLogs wakes followers of a container's logs: changed is closed and
// replaced on every line written and every stop or removal. Guarded by
// Fake.mu.
type fakeLogs struct{ changed chan struct{} }

func (l *fakeLogs) wait() <-chan struct{} {
	if l.changed == nil {
		l.changed = make(chan struct{})
	}
	return l.changed
}

func (l *fakeLogs) bump() {
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
}

// logLine writes a line to c's log. Called under f.mu.
func (f *Fake) logLine(c *fakeContainer, line string) {
	c.logs = append(c.logs, line)
	f.logs.bump()
}

// Log writes a line to the container's log, as its program would.
func (f *Fake) Log(id, line string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, err := f.get("log", id); err == nil {
		f.logLine(c, line)
	}
}

// Logs implements engine.Engine: the lines written so far, from opts.Tail
// back; following, the lines written later, until the container stops or
// is removed.
func (f *Fake) Logs(ctx context.Context, id string, opts engine.LogOptions) (io.ReadCloser, error) {
	f.mu.Lock()
	c, err := f.get("logs", id)
	if err != nil {
		f.mu.Unlock()
		return nil, err
	}
	from, run := 0, c.runs
	if opts.Tail >= 0 && opts.Tail < len(c.logs) {
		from = len(c.logs) - opts.Tail
	}
	f.mu.Unlock()
	pr, pw := io.Pipe()
	closed := make(chan struct{})
	go func() { // ends with the container's run, ctx, or the reader's Close
		for {
			f.mu.Lock()
			lines := c.logs[from:]
			from = len(c.logs)
			_, present := f.containers[c.ID]
			// A restart since the follow began ends it too, as a stop
			// ends docker logs --follow however soon the start comes.
			done := !opts.Follow || !present || c.State != "running" || c.runs != run
			changed := f.logs.wait()
			f.mu.Unlock()
			if len(lines) > 0 {
				if _, err := io.WriteString(pw, strings.Join(lines, "\n")+"\n"); err != nil {
					return // the reader closed
				}
			}
			if done {
				pw.Close()
				return
			}
			select {
			case <-changed:
			case <-closed:
				return
			case <-ctx.Done():
				pw.CloseWithError(ctx.Err())
				return
			}
		}
	}()
	return &fakeLogStream{PipeReader: pr, closed: closed}, nil
}

// fakeLogStream wakes the follower when the reader closes, as closing the
// engine's stream ends a follow.
type fakeLogStream struct {
	*io.PipeReader
	closed chan struct{}
	once   sync.Once
}

func (s *fakeLogStream) Close() error {
	s.once.Do(func() { close(s.closed) })
	return s.PipeReader.Close()
}
