package spec

import (
	"bytes"
	"slices"
	"sync"
)

// parseCache keeps what Load made of each file's bytes, so that reading an
// unchanged file again (every resync reads every file) costs a read and a
// compare instead of three YAML parses: an idle host with 200 files spent
// 90 % of each resync pass parsing them (BenchmarkIdleResync).
type parseCache struct {
	mu    sync.Mutex
	opts  Options                // what files were parsed with
	files map[string]*parsedFile // by file name
}

// parsedFile is one file's bytes and what they hold. Load hands out copies:
// callers may change what they get.
type parsedFile struct {
	data    []byte
	images  map[string][]Source // imagesIn
	entries []Entry             // the valid documents, when errs is empty
	errs    FieldErrors
}

// parse returns what file f with data holds, from the cache when the bytes
// are the ones parsed last time.
func (d *Dir) parse(f string, data []byte) *parsedFile {
	if d.cache != nil {
		d.cache.mu.Lock()
		if !d.cache.opts.equal(d.Options) { // validation depends on them
			d.cache.opts, d.cache.files = d.Options, map[string]*parsedFile{}
		}
		p, ok := d.cache.files[f]
		d.cache.mu.Unlock()
		if ok && bytes.Equal(p.data, data) {
			return p
		}
	}
	p := &parsedFile{data: data, images: imagesIn(f, data)}
	docs, errs := Parse(f, data, d.Options)
	p.errs = errs
	if len(errs) == 0 {
		for _, doc := range docs {
			p.entries = append(p.entries, Entry{Spec: doc.Spec, Source: Source{File: f, Line: doc.Line, Index: doc.Index}, Revision: doc.Spec.Revision()})
		}
	}
	if d.cache != nil {
		d.cache.mu.Lock()
		d.cache.files[f] = p
		d.cache.mu.Unlock()
	}
	return p
}

// keepOnly forgets the files that a load did not see.
func (d *Dir) keepOnly(seen map[string]bool) {
	if d.cache == nil {
		return
	}
	d.cache.mu.Lock()
	defer d.cache.mu.Unlock()
	for f := range d.cache.files {
		if !seen[f] {
			delete(d.cache.files, f)
		}
	}
}

// copyErrs copies the errors, so that a caller's change cannot reach the cache.
func copyErrs(errs FieldErrors) FieldErrors {
	out := make(FieldErrors, len(errs))
	for i, e := range errs {
		c := *e
		c.Loc = slices.Clone(e.Loc)
		out[i] = &c
	}
	return out
}
