package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/orchestrator/orchestrator/api/wire"
	"github.com/orchestrator/orchestrator/spec"
)

// GitSource is the git remote behind the state directory (serve --git,
// docs/design.md §14): what the API shows of it and asks of it.
type GitSource interface {
	Status() GitStatus
	// Sync asks for a fetch soon; requests coalesce.
	Sync()
	// SyncNow fetches and puts the branch's head in place, and returns the
	// status after it.
	SyncNow(ctx context.Context) (GitStatus, error)
	// LastChange is the commit that last changed a file of the state
	// directory (slash-separated), when known.
	LastChange(file string) (GitStatus, bool)
}

// GitStatus is what the API shows of the remote.
type GitStatus struct {
	URL, Branch, Path       string
	Commit, Subject, Author string
	Time                    time.Time // of the commit in place
	LastFetch               time.Time
	LastError               string
}

// syncTimeout bounds POST /git/sync.
const syncTimeout = 60 * time.Second

// gitRoutes is POST /git/sync: fetch now.
func (s *Server) gitRoutes() chi.Router {
	r := chi.NewRouter()
	r.Post("/sync", s.handle(s.gitSync))
	return r
}

func (s *Server) gitSync(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), syncTimeout)
	defer cancel()
	st, err := s.opts.Git.SyncNow(ctx)
	if err != nil {
		return errorf(http.StatusBadGateway, wire.CodeGitUnavailable, "%v", err)
	}
	writeJSON(w, http.StatusOK, gitStatusOf(st))
	return nil
}

// gitStatusOf is the wire view of the remote.
func gitStatusOf(st GitStatus) wire.GitStatus {
	at := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		return &t
	}
	return wire.GitStatus{
		URL: st.URL, Branch: st.Branch, Path: st.Path, LastFetch: at(st.LastFetch), LastError: st.LastError,
		Revision: wire.GitRevision{Commit: st.Commit, Subject: st.Subject, Author: st.Author, Time: at(st.Time)},
	}
}

// noted is r's context with the note of the write it makes: what and
// through which call, and the client's address, for the write's commit.
func noted(r *http.Request, format string, args ...any) context.Context {
	return spec.WithNote(r.Context(), spec.Note{Why: fmt.Sprintf(format, args...), Who: r.RemoteAddr})
}

// withGitRevision is st with the commit that last changed its file.
func (s *Server) withGitRevision(st wire.Status) wire.Status { return gitRevisionOf(s.opts.Git, st) }

// gitRevisionOf is st with the commit of git that last changed its file;
// st as it is without git.
func gitRevisionOf(git GitSource, st wire.Status) wire.Status {
	if git == nil {
		return st
	}
	file := st.Source
	if i := strings.LastIndexByte(file, ':'); i > 0 {
		file = file[:i]
	}
	if c, ok := git.LastChange(file); ok {
		rev := gitStatusOf(c).Revision
		st.GitRevision = &rev
	}
	return st
}
