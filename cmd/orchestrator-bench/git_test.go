package main

import (
	"context"
	"math"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"
)

// TestHookSignature checks the signature against GitHub's own example
// (docs.github.com, "Validating webhook deliveries"): serve checks the
// header the way GitHub makes it, so the bench must make it the same way.
func TestHookSignature(t *testing.T) {
	for _, c := range []struct {
		name, secret, body, want string
	}{
		{"GitHub's example", "It's a Secret to Everybody", "Hello, World!",
			"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"},
		// Computed with Python's hmac, independently of Go's.
		{"the bench's push event", "secret", `{"ref":"refs/heads/main"}`,
			"sha256=d8f89f0618acd61fe621aa4e64078c0e2bca15d0b578b7f3eb734f55883c5320"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, hookSignature(c.secret, []byte(c.body))); diff != "" {
				t.Errorf("hookSignature (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPushEvent(t *testing.T) {
	if diff := cmp.Diff(`{"ref":"refs/heads/main"}`, string(pushEvent())); diff != "" {
		t.Errorf("pushEvent (-want +got):\n%s", diff)
	}
}

// TestSpread checks that the pauses of the polling scenario stay inside
// the interval and that any few of them cover it: sorted, no gap between
// neighbours (or the ends) is wider than the interval over the count, times
// the golden ratio's bound of 2.
func TestSpread(t *testing.T) {
	for _, n := range []int{1, 2, 4, 12, 100} {
		var fr []float64
		for i := range n {
			d := spread(i, time.Second)
			if d < 0 || d >= time.Second {
				t.Fatalf("spread(%d) = %s, outside [0, 1s)", i, d)
			}
			fr = append(fr, d.Seconds())
		}
		slices.Sort(fr)
		gap := fr[0]
		for i := 1; i < len(fr); i++ {
			gap = math.Max(gap, fr[i]-fr[i-1])
		}
		gap = math.Max(gap, 1-fr[len(fr)-1])
		if n > 1 && gap > 2.0/float64(n) {
			t.Errorf("%d pauses: widest gap %.3f of the interval, want ≤ %.3f: %v", n, gap, 2.0/float64(n), fr)
		}
	}
	got := []time.Duration{spread(0, time.Second), spread(1, time.Second), spread(2, time.Second)}
	want := []time.Duration{0, 618033988 * time.Nanosecond, 236067977 * time.Nanosecond}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("spread(0..2) (-want +got):\n%s", diff)
	}
}

func TestVerdict(t *testing.T) {
	for _, c := range []struct {
		got, limit float64
		want       string
	}{
		{100, 300, "met"},
		{300, 300, "met"},
		{300.1, 300, "NOT met"},
		{math.NaN(), 300, "NOT met"},
		{math.Inf(1), 3, "NOT met"},
	} {
		if diff := cmp.Diff(c.want, verdict(c.got, c.limit)); diff != "" {
			t.Errorf("verdict(%v, %v) (-want +got):\n%s", c.got, c.limit, diff)
		}
	}
}

// TestGitRemote runs the bench's remote on disk: each commit and push
// reaches the bare repository, and commitsSince counts them, as the API
// scenario's check of one commit per call does.
func TestGitRemote(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("go-git's file:// transport runs git-receive-pack, and there is no git here")
	}
	g, err := newGitRemote(t.TempDir(), map[string]string{gitSpecFile: scaleSpec("img:1", 1)})
	if err != nil {
		t.Fatal(err)
	}
	first, err := g.head()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{2, 1} {
		if err := g.commit(gitSpecFile, scaleSpec("img:1", n), "edit"); err != nil {
			t.Fatal(err)
		}
		if err := g.push(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	got, err := g.commitsSince(first)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(2, got); diff != "" {
		t.Errorf("commitsSince (-want +got):\n%s", diff)
	}
	bare, err := g.bare()
	if err != nil {
		t.Fatal(err)
	}
	head, err := g.head()
	if err != nil {
		t.Fatal(err)
	}
	c, err := bare.CommitObject(head)
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.File(gitSpecFile)
	if err != nil {
		t.Fatal(err)
	}
	text, err := f.Contents()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(scaleSpec("img:1", 1), text); diff != "" {
		t.Errorf("the remote's %s (-want +got):\n%s", gitSpecFile, diff)
	}
	if _, err := g.commitsSince(plumbing.NewHash("0123456789012345678901234567890123456789")); err == nil {
		t.Error("commitsSince of a commit not in the history: want an error")
	}
}

// TestEditSplit cuts an edit's moments into the parts of a row's note.
func TestEditSplit(t *testing.T) {
	at := func(ms int) time.Time { return time.Unix(1000, 0).Add(time.Duration(ms) * time.Millisecond) }
	for _, c := range []struct {
		name  string
		times editTimes
		want  editSplit
	}{
		{"webhook", editTimes{start: at(0), pushed: at(70), announced: at(72), swapped: at(110), event: at(200)},
			editSplit{total: 200 * time.Millisecond, push: 70 * time.Millisecond, hook: 2 * time.Millisecond, sync: 38 * time.Millisecond, rest: 90 * time.Millisecond}},
		{"polling: announced is the push's end", editTimes{start: at(0), pushed: at(60), announced: at(60), swapped: at(500), event: at(600)},
			editSplit{total: 600 * time.Millisecond, push: 60 * time.Millisecond, sync: 440 * time.Millisecond, rest: 100 * time.Millisecond}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, c.times.split(), cmp.AllowUnexported(editSplit{})); diff != "" {
				t.Errorf("split (-want +got):\n%s", diff)
			}
		})
	}
	ss := []editSplit{
		{push: 60 * time.Millisecond, hook: time.Millisecond, sync: 30 * time.Millisecond, rest: 90 * time.Millisecond},
		{push: 80 * time.Millisecond, hook: 3 * time.Millisecond, sync: 50 * time.Millisecond, rest: 110 * time.Millisecond},
	}
	for _, c := range []struct {
		webhook bool
		want    string
	}{
		{true, "p50 of the parts: the push 70.0 ms, the webhook's answer 2.0 ms, answered → state link swapped (fetch, checkout) 40.0 ms, swapped → engine event (debounce, pass, engine) 100.0 ms"},
		{false, "p50 of the parts: the push 70.0 ms, its end → state link swapped (the wait for the next fetch, the fetch, the checkout) 40.0 ms, swapped → engine event (debounce, pass, engine) 100.0 ms"},
	} {
		if diff := cmp.Diff(c.want, splitNote(ss, c.webhook)); diff != "" {
			t.Errorf("splitNote(webhook %v) (-want +got):\n%s", c.webhook, diff)
		}
	}
}
