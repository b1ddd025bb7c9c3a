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
	tail := "all"
	if opts.Tail >= 0 {
		tail = strconv.Itoa(opts.Tail)
	}
	rc, err := d.cli.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Follow: opts.Follow, Tail: tail})
	if err != nil {
		return nil, Classify("logs", id, err)
	}
	pr, pw := io.Pipe()
	go func() { // ends with the stream: its end, ctx, or the reader's Close
		_, err := stdcopy.StdCopy(pw, pw, rc)
		rc.Close()
		pw.CloseWithError(err)
	}()
	return &logStream{PipeReader: pr, rc: rc}, nil
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
