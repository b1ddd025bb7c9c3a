package spec

import (
	"context"
	"errors"
)

// Errors of a Recorder, for errors.Is.
var (
	// ErrUpstreamChanged: the record moved on meanwhile (the git remote got
	// new commits), and changed the same file: the write is refused, and
	// can be made again on the new revision.
	ErrUpstreamChanged = errors.New("changed upstream")
	// ErrRecordFailed: the write could not be recorded (the remote cannot be
	// reached, or refuses it): it is not made.
	ErrRecordFailed = errors.New("write not recorded")
)

// Recorder records a write before it is made, such as a git commit of the
// change pushed to a remote (docs/design.md §14). When Record fails,
// nothing is written: a write that cannot be recorded is not accepted.
type Recorder interface {
	Record(ctx context.Context, w Write) error
}

// Write is the one file change of a Put or a Delete.
type Write struct {
	File   string // slash-separated, relative to the root
	Data   []byte // the file after the write; nil when the file goes
	Image  string
	Delete bool   // the image's document is removed (else it is put)
	Result Result // of a put: created or configured
	Note   Note   // why and by whom, from the caller's context
}

// Note says why a write is made and by whom, for its record: "scale
// shop/web:1.4 to min 2 max 5 (POST /images/shop/web:1.4/scale)", and the
// client's address.
type Note struct {
	Why, Who string
}

type noteKey struct{}

// WithNote returns ctx carrying n, for the Recorder of a write made with it.
func WithNote(ctx context.Context, n Note) context.Context {
	return context.WithValue(ctx, noteKey{}, n)
}

// NoteOf is the Note that ctx carries, if any.
func NoteOf(ctx context.Context) Note {
	n, _ := ctx.Value(noteKey{}).(Note)
	return n
}

// record hands w to the Dir's Recorder, if it has one.
func (d *Dir) record(ctx context.Context, w Write) error {
	if d.Recorder == nil {
		return nil
	}
	w.Note = NoteOf(ctx)
	return d.Recorder.Record(ctx, w)
}
