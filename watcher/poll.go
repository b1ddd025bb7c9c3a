package watcher

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"time"
)

// runPoll watches by comparing fingerprints of the tree every PollInterval
// (every RootPoll while the root is missing) until ctx is done. It is the
// fallback when inotify fails, and needs nothing but stat.
//
// With retry set, it also tries to set inotify up again, after each of
// retry's waits, and returns the started notifier as soon as that works:
// the caller goes back to inotify. It returns nil when ctx is done.
func (w *Watcher) runPoll(ctx context.Context, root string, d *debouncer, retry *backoff) *notifier {
	prev, err := fingerprint(root)
	missing := err != nil
	if missing {
		w.log.Error("state directory root missing, polling for it", "root", root, "err", err, "interval", w.opts.RootPoll)
	}
	w.markReady()

	interval := func() time.Duration {
		if missing {
			return min(w.opts.RootPoll, w.opts.PollInterval)
		}
		return w.opts.PollInterval
	}
	t := time.NewTimer(interval())
	defer t.Stop()
	var (
		rt    *time.Timer
		again <-chan time.Time // never, without retry
	)
	if retry != nil {
		rt = time.NewTimer(retry.next())
		defer rt.Stop()
		again = rt.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-again:
			n, err := w.startNotify(root)
			if err == nil {
				return n
			}
			wait := retry.next()
			w.log.Debug("inotify still unavailable", "err", err, "retry_in", wait.String(), "root", root)
			rt.Reset(wait)
			continue
		case <-t.C:
		}
		fp, err := fingerprint(root)
		switch {
		case err != nil && !missing:
			missing = true
			w.log.Error("state directory root missing, polling for it", "root", root, "err", err, "interval", w.opts.RootPoll)
			d.kick(kickChanging)
		case err != nil:
			// still missing
		case missing:
			missing = false
			prev = fp
			w.log.Info("state directory root is back", "root", root)
			d.kick(kickChanging)
		case fp != prev:
			prev = fp
			d.kick(kickChanging)
		}
		t.Reset(interval())
	}
}

// fingerprint hashes what the tree looks like to spec.Dir: the root's target,
// and the relative path, identity and mode of every directory, plus size and
// mtime of every spec file, symlinks followed. Directory mtimes are left out
// on purpose: editors' temp files change them without changing any spec.
func fingerprint(root string) ([sha256.Size]byte, error) {
	t, err := resolveRoot(root)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	h := sha256.New()
	writeString(h, t.path)
	walkTree(t.path, func(e entry) {
		writeString(h, e.rel)
		id := idOf(e.info)
		var buf [8 * 5]byte
		binary.LittleEndian.PutUint64(buf[0:], id.dev)
		binary.LittleEndian.PutUint64(buf[8:], id.ino)
		binary.LittleEndian.PutUint64(buf[16:], uint64(e.info.Mode()))
		if !e.dir {
			binary.LittleEndian.PutUint64(buf[24:], uint64(e.info.Size()))
			binary.LittleEndian.PutUint64(buf[32:], uint64(e.info.ModTime().UnixNano()))
		}
		h.Write(buf[:])
	})
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum, nil
}

// writeString writes s with its length, so that names cannot run together.
func writeString(h hash.Hash, s string) {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	h.Write([]byte(s))
}
