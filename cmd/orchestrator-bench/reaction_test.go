package main

import (
	"testing"
	"time"
)

func TestSplitReaction(t *testing.T) {
	lines := parseLines([]byte(linePlannedNo + lineSignalled + linePlannedNo + linePlanned))
	rename := time.Date(2026, 11, 26, 14, 0, 0, 5_000_000, time.UTC)
	event := time.Date(2026, 11, 26, 14, 0, 0, 130_000_000, time.UTC)
	s, err := splitReaction(rename, event, lines)
	if err != nil {
		t.Fatal(err)
	}
	want := split{total: 125 * time.Millisecond, debounce: 55 * time.Millisecond, loadPlan: 20 * time.Millisecond,
		engine: 50 * time.Millisecond, list: 12250 * time.Microsecond}
	if s != want {
		t.Errorf("split = %+v, want %+v", s, want)
	}
	if s.debounce+s.loadPlan+s.engine != s.total {
		t.Error("the parts do not add up")
	}
	// A signal before the rename is an earlier edit's.
	if _, err := splitReaction(rename.Add(time.Second), event.Add(time.Second), lines); err == nil {
		t.Error("signal before the rename: want an error")
	}
	// No acting pass yet: the caller reads on.
	if _, err := splitReaction(rename, event, lines[:3]); err == nil {
		t.Error("no pass with actions: want an error")
	}
	// A pass planned after the event cannot have caused it.
	if _, err := splitReaction(rename, rename.Add(70*time.Millisecond), lines); err == nil {
		t.Error("pass after the event: want an error")
	}
}
