package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"
)

// Messages of serve's debug lines the reaction scenario reads (see
// watcher/debounce.go and reconciler/pass.go).
const (
	msgSignalled = "changes signalled"
	msgPlanned   = "pass planned"
)

// logLine is one JSON line of serve's log (--log-format json), with the
// attributes of the lines the benchmark reads; the others stay zero.
type logLine struct {
	Time      time.Time `json:"time"`
	Level     string    `json:"level"`
	Msg       string    `json:"msg"`
	Component string    `json:"component"`

	// changes signalled (watcher)
	FirstChange string  `json:"first_change"`
	WaitedMs    float64 `json:"waited_ms"`

	// pass planned (reconciler)
	Reload     bool    `json:"reload"`
	Specs      int     `json:"specs"`
	Containers int     `json:"containers"`
	Actions    int     `json:"actions"`
	LoadMs     float64 `json:"load_ms"`
	ListMs     float64 `json:"list_ms"`
	PlanMs     float64 `json:"plan_ms"`
}

// serveLog reads serve's log file as serve appends to it: each read picks
// up where the last stopped, and a line still being written waits for the
// next read.
type serveLog struct {
	path    string
	off     int64
	partial []byte
	specs   int // of the last "pass planned" line read: how many specs serve had
}

// read returns the complete lines appended since the last read. Lines that
// are not JSON (a panic's trace, say) are skipped.
func (l *serveLog) read() ([]logLine, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, fmt.Errorf("serve log: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(l.off, io.SeekStart); err != nil {
		return nil, fmt.Errorf("serve log: %w", err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("serve log: %w", err)
	}
	l.off += int64(len(data))
	data = append(l.partial, data...)
	end := bytes.LastIndexByte(data, '\n')
	if end < 0 {
		l.partial = data
		return nil, nil
	}
	l.partial = bytes.Clone(data[end+1:])
	lines := parseLines(data[:end+1])
	for _, ll := range lines {
		if ll.Msg == msgPlanned {
			l.specs = ll.Specs
		}
	}
	return lines, nil
}

// parseLines decodes the JSON lines of data, skipping any other line.
func parseLines(data []byte) []logLine {
	var out []logLine
	for line := range bytes.Lines(data) {
		var ll logLine
		if err := json.Unmarshal(line, &ll); err != nil || ll.Msg == "" {
			continue
		}
		out = append(out, ll)
	}
	return out
}
