package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/orchestrator/orchestrator/api/events"
	"github.com/orchestrator/orchestrator/api/wire"
	"github.com/orchestrator/orchestrator/reconciler"
	"github.com/orchestrator/orchestrator/reconciler/engine"
)

// The event types of GET /events (docs/design.md §11).
const (
	EventAction    = "action"    // wire.ActionEvent
	EventStatus    = "status"    // wire.Status, or wire.StatusRemoved
	EventContainer = "container" // wire.ContainerEvent
	EventFile      = "file"      // wire.FileEvent
	EventGit       = "git"       // wire.GitEvent
	EventReset     = "reset"     // wire.ResetEvent; never numbered, never kept
)

// FeedOptions configure a Feed.
type FeedOptions struct {
	// Git, when set, adds each status's git_revision, as GET /status does.
	Git    GitSource
	Logger *slog.Logger
	Now    func() time.Time // default time.Now
}

// Feed turns what serve's parts report into the events of a hub: it is the
// reconciler's Observer (the actions a pass reports, and the statuses that
// changed) and EngineObserver (engine events), the watcher's FileObserver,
// and hears of git revisions. Every method returns at once: the hub never
// waits for a client.
type Feed struct {
	hub  *events.Hub
	opts FeedOptions
	log  *slog.Logger

	mu   sync.Mutex
	sent map[string][]byte // by image: the status last sent, without last_reconcile
}

// NewFeed returns a feed of hub.
func NewFeed(hub *events.Hub, opts FeedOptions) *Feed {
	log := opts.Logger
	if log == nil {
		log = slogDiscard
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Feed{hub: hub, opts: opts, log: log, sent: map[string][]byte{}}
}

// PassDone implements reconciler.Observer: an "action" event for each
// action the pass reports (they ended since the last pass), then a
// "status" event for each spec whose status changed since the last sent,
// and one with "removed" for each that has none any more.
func (f *Feed) PassDone(res reconciler.PassResult, _ time.Duration, statuses []reconciler.Status) {
	for _, d := range res.Done {
		ev := wire.ActionEvent{Time: d.Ended, Image: d.Image, Kind: string(d.Kind), Container: d.Name, ID: d.ID, Reason: d.Reason, OK: d.OK}
		if d.Err != nil {
			ev.Error = d.Err.Error()
		}
		if ev.Time.IsZero() {
			ev.Time = f.opts.Now()
		}
		f.publish(EventAction, ev)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	seen := make(map[string]bool, len(statuses))
	for _, st := range statuses {
		seen[st.Image] = true
		w := gitRevisionOf(f.opts.Git, statusOf(st))
		key := w
		key.LastReconcile = time.Time{} // every pass moves it: no change by itself
		b, err := json.Marshal(key)
		if err != nil {
			f.log.Warn("status event not published", "image", st.Image, "err", err)
			continue
		}
		if bytes.Equal(f.sent[st.Image], b) {
			continue
		}
		f.sent[st.Image] = b
		f.publish(EventStatus, w)
	}
	for image := range f.sent {
		if !seen[image] {
			delete(f.sent, image)
			f.publish(EventStatus, wire.StatusRemoved{Image: image, Removed: true})
		}
	}
}

// EngineEvent implements reconciler.EngineObserver: a "container" event.
// The reconnect of the engine's stream is no container's.
func (f *Feed) EngineEvent(ev engine.Event) {
	if ev.ContainerID == "" || ev.Action == engine.EventReconnect {
		return
	}
	f.publish(EventContainer, wire.ContainerEvent{Time: ev.Time, Image: ev.Image, ID: ev.ContainerID, Action: ev.Action})
}

// FilesChanged implements watcher.FileObserver: a "file" event per path,
// and one without a path for the changes whose files are not known.
func (f *Feed) FilesChanged(paths []string, others bool) {
	now := f.opts.Now()
	for _, p := range paths {
		f.publish(EventFile, wire.FileEvent{Time: now, Path: p})
	}
	if others || len(paths) == 0 {
		f.publish(EventFile, wire.FileEvent{Time: now})
	}
}

// GitSynced is a "git" event: a revision of the remote is in place.
func (f *Feed) GitSynced(commit, subject, author string) {
	f.publish(EventGit, wire.GitEvent{Time: f.opts.Now(), Commit: commit, Subject: subject, Author: author})
}

func (f *Feed) publish(typ string, data any) {
	if err := f.hub.Publish(typ, data); err != nil {
		f.log.Warn("event not published", "type", typ, "err", err)
	}
}
