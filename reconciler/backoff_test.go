package reconciler

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBackoffDoublesToFiveMinutes(t *testing.T) {
	b := backoffs{}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var got []time.Duration
	for i := 0; i < 18; i++ {
		got = append(got, b.fail("web", "r1", errors.New("boom"), now).Sub(now))
	}
	want := []time.Duration{5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond,
		80 * time.Millisecond, 160 * time.Millisecond, 320 * time.Millisecond, 640 * time.Millisecond, 1280 * time.Millisecond,
		2560 * time.Millisecond, 5120 * time.Millisecond, 10240 * time.Millisecond, 20480 * time.Millisecond,
		40960 * time.Millisecond, 81920 * time.Millisecond, 163840 * time.Millisecond, 5 * time.Minute, 5 * time.Minute}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("delays (-want +got):\n%s", diff)
	}
	b.succeed("web")
	if b.lastError("web") != nil || b.waiting("web", now) {
		t.Errorf("after success the spec still backs off")
	}
}

func TestBackoffWakesOnceForEachRetry(t *testing.T) {
	b := backoffs{}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	until := b.fail("web", "r1", errors.New("boom"), now)
	b.fail("api", "r1", errors.New("boom"), now.Add(time.Second))
	if got := b.next(); !got.Equal(until) {
		t.Errorf("next = %v, want web's retry %v", got, until)
	}
	if !b.waiting("web", now) {
		t.Errorf("web not waiting before its retry")
	}
	// Already due (the pass ran long): still the next wake-up, until a pass retries it.
	if got := b.next(); !got.Equal(until) {
		t.Errorf("a due retry is not the next wake-up: %v", got)
	}
	if b.waiting("web", until) {
		t.Errorf("web still waiting at its retry time")
	}
	if got, want := b.next(), now.Add(time.Second+5*time.Millisecond); !got.Equal(want) {
		t.Errorf("after web's retry, next = %v, want api's %v", got, want)
	}
	if b.lastError("web") == nil {
		t.Errorf("the error is forgotten before the retry succeeds")
	}
}

func TestBackoffResetsWhenTheSpecChanges(t *testing.T) {
	b := backoffs{}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 10; i++ {
		b.fail("web", "r1", errors.New("boom"), now)
	}
	b.resetIfChanged("web", "r1")
	if !b.waiting("web", now) {
		t.Errorf("the same revision stopped backing off")
	}
	b.resetIfChanged("web", "r2")
	if b.waiting("web", now) || b.lastError("web") != nil {
		t.Errorf("a new revision still backs off")
	}
}
