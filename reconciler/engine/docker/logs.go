package docker

import (
	"context"
	"io"
	"strconv"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// Logs implements engine.Engine. Our containers have no TTY, so the engine
// multiplexes stdout and stderr in frames; they are demultiplexed into one
// plain stream, in the order the engine sent them.
func (d *Engine) Logs(ctx context.Context, id string, opts engine.LogOptions) (io.ReadCloser, error) {
	rc, err := d.cli.ContainerLogs(ctx, id, LogsOptions(opts))
	if err != nil {
		return nil, Classify("logs", id, err)
	}
	return PlainLogs(rc), nil
}

// LogsOptions is the engine's request for opts: stdout and stderr, from
// opts.Tail lines back ("all" when negative).
func LogsOptions(opts engine.LogOptions) container.LogsOptions {
	tail := "all"
	if opts.Tail >= 0 {
		tail = strconv.Itoa(opts.Tail)
	}
	return container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: opts.Follow, Tail: tail}
}

// PlainLogs demultiplexes a log stream of a container without a TTY (a
// container's or a swarm task's) into one plain stream; closing it closes
// rc.
func PlainLogs(rc io.ReadCloser) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() { // ends with the stream: its end, ctx, or the reader's Close
		_, err := stdcopy.StdCopy(pw, pw, rc)
		rc.Close()
		pw.CloseWithError(err)
	}()
	return &logStream{PipeReader: pr, rc: rc}
}

// logStream closes the engine's stream with the pipe, so that a reader
// that stops early ends the copy at once.
type logStream struct {
	*io.PipeReader
	rc io.Closer
}

func (l *logStream) Close() error {
	l.rc.Close()
	return l.PipeReader.Close()
}
