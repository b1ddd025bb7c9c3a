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
	Debounce     time.Duration // trailing-edge quiet period, default 50ms
	MaxDelay     time.Duration // never hold a change longer than this, default 500ms
	PollInterval time.Duration // fallback polling when inotify fails, default 2s
	RootPoll     time.Duration // while the root is missing, default 1s
	ForcePolling bool          // use polling only (tests of the fallback, or file systems without inotify)
	Logger       *slog.Logger  // default: discard (inject one to see errors and the fallback)
	// Observer, if set, hears of every signal, with how long its batch
	// waited since its first change (metrics).
	Observer Observer
}

// Observer hears of the watcher's signals.
type Observer interface {
	Signalled(waited time.Duration)
}

func (o Options) withDefaults() Options {
	if o.Debounce <= 0 {
		o.Debounce = 50 * time.Millisecond
	}
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

	// addWatch adds one inotify watch. Tests replace it to simulate
	// exhausted inotify limits.
	addWatch func(*fsnotify.Watcher, string) error
}

// New returns a watcher of the state directory at root. root may be a
// symlink (git-sync, ConfigMap mounts) and may be missing for now.
func New(root string, opts Options) *Watcher {
	opts = opts.withDefaults()
	return &Watcher{
		root:     root,
		opts:     opts,
		log:      opts.Logger,
		changes:  make(chan struct{}, 1),
		ready:    make(chan struct{}),
		addWatch: func(fsw *fsnotify.Watcher, path string) error { return fsw.Add(path) },
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
// fails (for example when the limit on watches is reached), for the rest of
// the run.
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
	d := newDebouncer(w.opts.Debounce, w.opts.MaxDelay, w.changes, w.log)
	d.observer = w.opts.Observer
	var wg sync.WaitGroup
	wg.Go(func() { d.run(ctx) })

	w.watch(ctx, root, d)
	cancel()
	wg.Wait()
	return nil
}

// watch runs inotify, or polling when inotify is not to be had, until ctx
// is done.
func (w *Watcher) watch(ctx context.Context, root string, d *debouncer) {
	if !w.opts.ForcePolling {
		err := w.runNotify(ctx, root, d)
		if err == nil || ctx.Err() != nil {
			return
		}
		w.log.Warn("inotify unavailable, polling", "err", err, "interval", w.opts.PollInterval, "root", root)
		// Whatever happened between the failure and the polling baseline
		// would be lost: announce it instead.
		d.kick()
	}
	w.runPoll(ctx, root, d)
}

func (w *Watcher) markReady() { w.readyOnce.Do(func() { close(w.ready) }) }
