package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// maxValue bounds a PUT body: the store is a demo, not a blob store.
const maxValue = 1 << 20

// keyRE is what a key may be: it is a file name, so no separators, nothing
// a shell or a URL would need to quote, and short enough for any filesystem.
var keyRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)

func validKey(key string) bool {
	return keyRE.MatchString(key) && key != "." && key != ".."
}

// store is a key-value store in a directory, meant to be a named volume, so
// that its data outlives the container. Values are in dir/kv/ so that no key
// (".starts" is a valid one) can clash with the start counter or the temp
// files in dir itself.
type store struct {
	dir    string
	starts int // this server's start number on dir, counting itself
}

// openStore prepares dir and counts this start in dir/.starts.
func openStore(dir string) (*store, error) {
	if err := os.MkdirAll(filepath.Join(dir, "kv"), 0o755); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	s := &store{dir: dir}
	n, err := s.countStart()
	if err != nil {
		return nil, err
	}
	s.starts = n
	return s, nil
}

// countStart increments dir/.starts and returns the new count. Two servers
// starting on the same volume at the same instant may both read the same
// count; that costs one count, never a torn file, which is enough to show
// that a replacement container saw the volume of the one before.
func (s *store) countStart() (int, error) {
	path := filepath.Join(s.dir, ".starts")
	n := 0
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return 0, fmt.Errorf("start counter: %w", err)
	default:
		// A counter we cannot read means the volume is not what we think:
		// fail loudly rather than start counting from zero again.
		if n, err = strconv.Atoi(strings.TrimSpace(string(data))); err != nil {
			return 0, fmt.Errorf("start counter %s: %w", path, err)
		}
	}
	n++
	if err := s.writeAtomic(path, []byte(strconv.Itoa(n)+"\n")); err != nil {
		return 0, fmt.Errorf("start counter: %w", err)
	}
	return n, nil
}

// writeAtomic writes data to path through a temp file in the same volume
// and a rename, so that a reader, or the next container after a crash, sees
// the old value or the new one, never half of one.
func (s *store) writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(s.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("temp file: %w", err)
	}
	defer os.Remove(f.Name()) // after a successful rename there is nothing to remove
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", f.Name(), err)
	}
	// Sync before the rename: otherwise a host crash can leave the new
	// name pointing at an empty file.
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", f.Name(), err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil { // CreateTemp makes it 0600
		return fmt.Errorf("chmod %s: %w", f.Name(), err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("rename: %w", err)
	}
	return nil
}

// keyPath checks the key of r and returns its file, or answers 400.
func (s *store) keyPath(w http.ResponseWriter, r *http.Request) (string, bool) {
	key := r.PathValue("key")
	if !validKey(key) {
		http.Error(w, fmt.Sprintf("invalid key %q: want [A-Za-z0-9_.-]{1,128}, not . or ..", key), http.StatusBadRequest)
		return "", false
	}
	return filepath.Join(s.dir, "kv", key), true
}

func (s *store) put(w http.ResponseWriter, r *http.Request) {
	path, ok := s.keyPath(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxValue))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, fmt.Sprintf("value larger than %d bytes", maxValue), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := s.writeAtomic(path, body); err != nil {
		http.Error(w, "store: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *store) get(w http.ResponseWriter, r *http.Request) {
	path, ok := s.keyPath(w, r)
	if !ok {
		return
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		http.Error(w, "no such key", http.StatusNotFound)
		return
	case err != nil:
		http.Error(w, "store: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Write(data)
}

// list answers the keys, sorted (os.ReadDir sorts), and [] rather than
// null when there are none.
func (s *store) list(w http.ResponseWriter, _ *http.Request) {
	entries, err := os.ReadDir(filepath.Join(s.dir, "kv"))
	if err != nil {
		http.Error(w, "store: "+err.Error(), http.StatusInternalServerError)
		return
	}
	keys := []string{}
	for _, e := range entries {
		if e.Type().IsRegular() && validKey(e.Name()) {
			keys = append(keys, e.Name())
		}
	}
	writeJSON(w, http.StatusOK, keys)
}

func (s *store) startsHandler(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintln(w, s.starts)
}
