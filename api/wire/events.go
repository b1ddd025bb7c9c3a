package wire

import "time"

// The data of the Server-Sent Events of GET /events and of GET
// /containers/{name_or_id}/logs as an event stream (docs/design.md §11).
// Each is one line of JSON after "data: ".

// ActionEvent is an "action" event: a reconciler action that ended.
type ActionEvent struct {
	Time      time.Time `json:"time"` // when it ended
	Image     string    `json:"image"`
	Kind      string    `json:"kind"`      // create, start, stop or remove
	Container string    `json:"container"` // the container's name
	ID        string    `json:"id"`        // its id; empty for a create that made none
	Reason    string    `json:"reason"`    // why the reconciler took it
	OK        bool      `json:"ok"`
	Error     string    `json:"error,omitempty"` // why it failed
}

// StatusRemoved is the "status" event of a spec whose status is gone (its
// spec was deleted); any other "status" event is a Status.
type StatusRemoved struct {
	Image   string `json:"image"`
	Removed bool   `json:"removed"` // always true
}

// ContainerEvent is a "container" event: an engine event about one of our
// containers.
type ContainerEvent struct {
	Time   time.Time `json:"time"` // the engine's
	Image  string    `json:"image"`
	ID     string    `json:"id"`
	Action string    `json:"action"` // create, start, die, stop, destroy, health_status: healthy, ...
}

// FileEvent is a "file" event: the watcher saw a file of the state
// directory change. Path is relative to the state directory; a change whose
// file is not known (a git revision swapped in whole, a rescan) has none.
type FileEvent struct {
	Time time.Time `json:"time"`
	Path string    `json:"path,omitempty"`
}

// GitEvent is a "git" event: a revision of the git remote was put in
// place (serve --git).
type GitEvent struct {
	Time    time.Time `json:"time"` // when it was put in place
	Commit  string    `json:"commit"`
	Subject string    `json:"subject"`
	Author  string    `json:"author"`
}

// ResetEvent is the "reset" event, sent first when a client resumes from
// an id whose next events are no longer kept (or from an id of an earlier
// run): the events that follow are every one kept, from Oldest.
type ResetEvent struct {
	LastEventID uint64 `json:"last_event_id"` // what the client resumed from
	Oldest      uint64 `json:"oldest"`        // the oldest id kept; 0 when none is
}

// LogLine is a "log" event: one line the container wrote.
type LogLine struct {
	Line      string `json:"line"`
	Truncated bool   `json:"truncated,omitempty"` // the line was longer and is cut
}

// LogDropped is a "dropped" event: lines not sent, over the stream's rate.
type LogDropped struct {
	Dropped int `json:"dropped"`
}

// LogEnd is the "end" event: the log ended, because the container stopped
// (with follow) or every line was sent (without). A client closes its
// EventSource then, or it would reconnect.
type LogEnd struct {
	Reason string `json:"reason"` // stopped or done
}
