package watcher

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Options tune a Watcher. Zero values take the defaults.
type Options struct {
	// Debounce is the trailing-edge quiet period after a change that may
	// still be going on (a file written in place), default 50ms.
	Debounce time.Duration
	// Settle is the trailing-edge wait after a change that is complete by
	// itself (a file renamed into place): time enough for the rest of a
	// burst of renames to join the batch. Default 10ms, never more than
	// Debounce.
	Settle       time.Duration
	MaxDelay     time.Duration // never hold a change longer than this, default 500ms
	PollInterval time.Duration // fallback polling when inotify fails, and the first wait before trying inotify again, default 2s
	RootPoll     time.Duration // while the root is missing, default 1s
	ForcePolling bool          // use polling only (tests of the fallback, or file systems without inotify)
	Logger       *slog.Logger  // default: discard (inject one to see errors and the fallback)
	// Observer, if set, hears of every signal, with how long its batch
	// waited since its first change (metrics).
	Observer Observer
	// Files, if set, hears of the files of every signalled batch (the
	// event stream of GET /events).
	Files FileObserver
}

// Observer hears of the watcher's signals.
type Observer interface {
	Signalled(waited time.Duration)
}

// FileObserver hears, just before each signal, what changed in its batch:
// paths are the files (or directories) seen to change, slash-separated and
// relative to the root, sorted, at most MaxPaths of them; others says that
// the batch also had changes whose files are not known (the root swapped
// or came back, a rescan after lost events, polling, more than MaxPaths
// files). It is called from the watcher's goroutine: it must not block.
type FileObserver interface {
	FilesChanged(paths []string, others bool)
}

// MaxPaths bounds the paths a FileObserver hears of per batch.
const MaxPaths = 64

func (o Options) withDefaults() Options {
	if o.Debounce <= 0 {
		o.Debounce = 50 * time.Millisecond
	}
	if o.Settle <= 0 {
		o.Settle = 10 * time.Millisecond
	}
	// A complete change never waits longer than one that may still be going on.
	o.Settle = min(o.Settle, o.Debounce)
	if o.MaxDelay <= 0 {
		o.MaxDelay = 500 * time.Millisecond
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 2 * time.Second
	}
	if o.RootPoll <= 0 {
		o.RootPoll = time.Second
	}
	if o.Logger == nil {
		// A caller that wants to hear of the fallback to polling or a lost
		// root injects a logger (serve does); tests and embedders need not.
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Watcher watches a state directory and signals on Changes after every
// debounced batch of changes to it. Create it with New and start it with Run.
type Watcher struct {
	root    string
	opts    Options
	log     *slog.Logger
	changes chan struct{}
	running atomic.Bool

	// ready is closed once the first watches (or the polling baseline) are
	// in place: changes made after that are seen. Tests wait for it.
	ready     chan struct{}
	readyOnce sync.Once

	// newFSWatcher makes an inotify instance, and addWatch adds one watch
	// to it. Tests replace them to simulate exhausted inotify limits
	// (max_user_instances, max_user_watches), and their end.
	newFSWatcher func() (*fsnotify.Watcher, error)
	addWatch     func(*fsnotify.Watcher, string) error
}

// New returns a watcher of the state directory at root. root may be a
// symlink (git-sync, ConfigMap mounts) and may be missing for now.
func New(root string, opts Options) *Watcher {
	opts = opts.withDefaults()
	return &Watcher{
		root:         root,
		opts:         opts,
		log:          opts.Logger,
		changes:      make(chan struct{}, 1),
		ready:        make(chan struct{}),
		newFSWatcher: fsnotify.NewWatcher,
		addWatch:     func(fsw *fsnotify.Watcher, path string) error { return fsw.Add(path) },
	}
}

// Changes delivers one value per debounced batch of changes. It has capacity
// 1 and coalesces: the watcher never blocks on a slow reader, and a reader
// that wakes up re-reads the whole directory anyway.
func (w *Watcher) Changes() <-chan struct{} { return w.changes }

// Run watches until ctx is done. It returns nil on ctx cancel, and an error
// only if it cannot work at all (an empty root, or a second Run). Every
// goroutine it starts has ended when it returns.
//
// It uses inotify, and falls back to polling every PollInterval when inotify
// fails (for example when the limit on watches is reached). While polling it
// tries to set inotify up again, first after PollInterval, then less and
// less often (up to once a minute), and goes back to it as soon as it works.
func (w *Watcher) Run(ctx context.Context) error {
	if w.root == "" {
		return errors.New("watcher: empty root")
	}
	root, err := filepath.Abs(w.root)
	if err != nil {
		return fmt.Errorf("watcher: %w", err)
	}
	if !w.running.CompareAndSwap(false, true) {
		return errors.New("watcher: Run called twice")
	}

	ctx, cancel := context.WithCancel(ctx)
	d := newDebouncer(w.opts.Settle, w.opts.Debounce, w.opts.MaxDelay, w.changes, w.log)
	d.observer, d.files = w.opts.Observer, w.opts.Files
	var wg sync.WaitGroup
	wg.Go(func() { d.run(ctx) })

	w.watch(ctx, root, d)
	cancel()
	wg.Wait()
	return nil
}

func (w *Watcher) markReady() { w.readyOnce.Do(func() { close(w.ready) }) }
