package main

import (
	"math"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	s := []float64{1, 2, 3, 4, 5}
	for _, c := range []struct{ p, want float64 }{{0, 1}, {50, 3}, {100, 5}, {25, 2}, {99, 4.96}} {
		if got := percentile(s, c.p); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("percentile(%v) = %v, want %v", c.p, got, c.want)
		}
	}
	if got := percentile([]float64{7}, 99); got != 7 {
		t.Errorf("one element: %v", got)
	}
	if !math.IsNaN(percentile(nil, 50)) {
		t.Error("empty: want NaN")
	}
}

func TestSummarize(t *testing.T) {
	got := summarize([]float64{3, 1, 2, 10})
	if got != (Summary{Min: 1, Median: 2.5, Max: 10}) {
		t.Errorf("summarize = %+v", got)
	}
	if summarize(nil) != (Summary{}) {
		t.Error("empty: want zero")
	}
}

func TestDurationsMs(t *testing.T) {
	got := durationsMs([]time.Duration{2 * time.Millisecond, time.Millisecond})
	if got[0] != 1 || got[1] != 2 {
		t.Errorf("durationsMs = %v", got)
	}
}
