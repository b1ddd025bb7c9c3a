package api

import (
	"bufio"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orchestrator/orchestrator/api/wire"
)

// The budget of a logs stream: a burst of rate lines, then rate a second.
func TestLineBudget(t *testing.T) {
	t0 := time.Unix(0, 0)
	for _, tc := range []struct {
		name  string
		at    []time.Duration // a line at each
		taken int
	}{
		{"a burst of 200 of 300", repeat(0, 300), 200},
		{"200 a second for 3 s", spread(600, 3*time.Second), 600},
		{"400 in one second: the burst, then what refills", spread(400, time.Second), 200 + 199},
		{"after a pause, the burst again", append(repeat(0, 250), repeat(5*time.Second, 250)...), 400},
	} {
		b := lineBudget{rate: 200, tokens: 200, last: t0}
		taken := 0
		for _, at := range tc.at {
			if b.allow(t0.Add(at)) {
				taken++
			}
		}
		if taken != tc.taken {
			t.Errorf("%s: %d lines taken, want %d", tc.name, taken, tc.taken)
		}
	}
}

func repeat(at time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = at
	}
	return out
}

// spread is n moments evenly over d, the first at d/n.
func spread(n int, d time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d * time.Duration(i+1) / time.Duration(n)
	}
	return out
}

func TestReadLines(t *testing.T) {
	long := strings.Repeat("x", sseMaxLine+100)
	for _, tc := range []struct {
		name, in string
		want     []wire.LogLine
	}{
		{"lines", "a\nb\n", []wire.LogLine{{Line: "a"}, {Line: "b"}}},
		{"no newline at the end", "a\nb", []wire.LogLine{{Line: "a"}, {Line: "b"}}},
		{"CRLF and empty lines", "a\r\n\nb\n", []wire.LogLine{{Line: "a"}, {Line: ""}, {Line: "b"}}},
		{"a long line is cut", long + "\nc\n", []wire.LogLine{{Line: long[:sseMaxLine], Truncated: true}, {Line: "c"}}},
		{"cut inside a rune", "a" + strings.Repeat("é", sseMaxLine/2) + "\n", []wire.LogLine{{Line: "a" + strings.Repeat("é", sseMaxLine/2-1), Truncated: true}}},
		{"nothing", "", nil},
	} {
		out := make(chan wire.LogLine, 16)
		err := readLines(bufio.NewReader(strings.NewReader(tc.in)), out, nil)
		close(out)
		var got []wire.LogLine
		for l := range out {
			got = append(got, l)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" || err == nil {
			t.Errorf("%s: lines (-want +got), err %v:\n%s", tc.name, err, diff)
		}
	}
}
