package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Lines as serve writes them (slog JSON, RFC3339Nano local time).
const (
	lineSignalled = `{"time":"2026-11-26T14:00:00.060000000Z","level":"DEBUG","msg":"changes signalled","component":"watcher","first_change":"2026-11-26T14:00:00.005000000Z","waited_ms":55}` + "\n"
	linePlannedNo = `{"time":"2026-11-26T14:00:00.061000000Z","level":"DEBUG","msg":"pass planned","component":"reconciler","reload":false,"specs":2,"containers":2,"actions":0,"load_ms":0,"list_ms":3.5,"plan_ms":0.1}` + "\n"
	linePlanned   = `{"time":"2026-11-26T14:00:00.080000000Z","level":"DEBUG","msg":"pass planned","component":"reconciler","reload":true,"specs":2,"containers":2,"actions":1,"load_ms":1.5,"list_ms":12.25,"plan_ms":0.2}` + "\n"
)

func TestServeLogRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "serve.log")
	if err := os.WriteFile(path, []byte("panic: not json\n"+lineSignalled+linePlanned[:40]), 0o644); err != nil {
		t.Fatal(err)
	}
	l := &serveLog{path: path}
	lines, err := l.read()
	if err != nil || len(lines) != 1 || lines[0].Msg != msgSignalled || lines[0].WaitedMs != 55 {
		t.Fatalf("first read: %+v, %v", lines, err)
	}
	want := time.Date(2026, 11, 26, 14, 0, 0, 60_000_000, time.UTC)
	if !lines[0].Time.Equal(want) {
		t.Errorf("time %v, want %v", lines[0].Time, want)
	}
	// The rest of the half-written line arrives.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(linePlanned[40:])
	f.Close()
	lines, err = l.read()
	if err != nil || len(lines) != 1 || lines[0].Msg != msgPlanned || lines[0].Actions != 1 || lines[0].ListMs != 12.25 || !lines[0].Reload {
		t.Fatalf("second read: %+v, %v", lines, err)
	}
	if l.specs != 2 {
		t.Errorf("specs %d, want 2", l.specs)
	}
	if lines, err := l.read(); err != nil || len(lines) != 0 {
		t.Errorf("third read: %+v, %v", lines, err)
	}
}
