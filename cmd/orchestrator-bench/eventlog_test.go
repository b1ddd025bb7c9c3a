package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/events"

	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// ev is an event of a container of image at t.
func ev(image, id string, action events.Action, t time.Time) events.Message {
	return events.Message{Action: action, TimeNano: t.UnixNano(),
		Actor: events.Actor{ID: id, Attributes: map[string]string{engine.LabelImage: image}}}
}

// The log looks back (an event before the wait is found) and ahead (one
// after it is waited for), leaves out what is older than the time asked
// and other images' events, and reports the subscription's end.
func TestEventLog(t *testing.T) {
	msgs, errs := make(chan events.Message), make(chan error)
	l := newEventLog(msgs, errs)
	ctx := context.Background()
	t0 := time.Now()
	msgs <- ev("a:1", "old", events.ActionCreate, t0.Add(-time.Second)) // before t0: left out
	msgs <- ev("b:1", "b1", events.ActionCreate, t0)
	msgs <- ev("a:1", "a1", events.ActionCreate, t0.Add(time.Millisecond))
	m, err := l.first(ctx, t0, ofImage("a:1"), time.Second, "a")
	if err != nil || m.Actor.ID != "a1" {
		t.Fatalf("first = %s, %v; want a1", m.Actor.ID, err)
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		msgs <- ev("a:1", "a1", events.ActionStart, t0.Add(2*time.Millisecond))
		msgs <- ev("a:1", "a2", events.ActionStart, t0.Add(3*time.Millisecond))
	}()
	got, err := l.atLeast(ctx, t0, ofImage("a:1", events.ActionStart), 2, time.Second, "starts")
	if err != nil || len(got) != 2 || got[1].Actor.ID != "a2" {
		t.Fatalf("atLeast = %v, %v; want the starts of a1 and a2", got, err)
	}
	if _, err := l.first(ctx, t0, ofImage("c:1"), 30*time.Millisecond, "c"); err == nil || !strings.Contains(err.Error(), "no c within") {
		t.Fatalf("first of nothing = %v; want a timeout", err)
	}
	errs <- errors.New("gone")
	if _, err := l.first(ctx, t0, ofImage("c:1"), time.Second, "c"); err == nil || !strings.Contains(err.Error(), "gone") {
		t.Fatalf("first after the end = %v; want the subscription's error", err)
	}
	if n := len(l.since(t0, ofImage("a:1"))); n != 3 {
		t.Fatalf("since = %d events of a:1; want 3 (the old one left out)", n)
	}
}

func TestSpecFileOf(t *testing.T) {
	if got := specFileOf(newSpecImage(3, true)); got != "new-base-03.yaml" {
		t.Fatalf("specFileOf = %q", got)
	}
}
