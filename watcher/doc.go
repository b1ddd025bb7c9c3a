// Package watcher turns file-system activity under the state directory into
// debounced "changed" signals for the reconciler.
//
// The signal carries no detail on purpose: the reconciler is level-triggered
// and re-reads a whole snapshot on every wake-up, so the watcher only has to
// make sure that no change goes unannounced, and that a burst of changes
// (a git checkout, an editor's rename-save) becomes few wake-ups that come
// after the burst, never in the middle of a half-written tree.
//
// Files:
//   - watcher.go: the API and options;
//   - fallback.go: the switch between inotify and polling, and back;
//   - notify.go: the inotify (fsnotify) event loop, and which events are complete changes;
//   - watches.go: the set of watched directories;
//   - errpump.go: receiving fsnotify's errors;
//   - root.go: resolving the (possibly symlinked, possibly missing) root;
//   - tree.go: walking the tree the way spec.Dir reads it;
//   - poll.go: the polling fallback, comparing fingerprints of the tree;
//   - debounce.go: the trailing-edge debouncer: a short wait after a complete
//     change, a longer one after a change that may still be going on, and a
//     maximum delay.
package watcher
