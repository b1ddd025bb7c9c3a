package main

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/orchestrator/orchestrator/api/wire"
)

func (a *app) newSyncCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "sync [--server URL]",
		Short: "Make a server that serves a git remote fetch it now (needs serve --git)",
		Long: `Sync asks a running server (orchestrator serve --git) to fetch its git
remote now, as a push webhook does, and waits for it: when the followed
branch moved, its head is put in place and the reconciler applies it.
It prints the revision in place: branch, commit, subject and author.

It exits 1 when the remote cannot be fetched (the revision in place
stays), or when the server does not serve a git remote.`,
		Example: `  orchestrator sync
  orchestrator sync --server http://10.0.0.5:8000 --token "$TOKEN"`,
		Args: cobra.NoArgs,
		RunE: withCode(exitFailure, func(*cobra.Command, []string) error {
			c, err := a.openClient()
			if err != nil {
				return err
			}
			var all wire.StatusList
			if err := c.call(http.MethodGet, "/status", nil, "", &all); err != nil {
				return err
			}
			if all.Git == nil {
				return fmt.Errorf("the orchestrator at %s serves no git remote (start it with serve --git URL)", a.server)
			}
			var st wire.GitStatus
			if err := c.call(http.MethodPost, "/git/sync", nil, "", &st); err != nil {
				return err
			}
			writeGitStatus(a.stdout, st)
			return nil
		}),
	}
}

// writeGitStatus prints the remote's line: "git: main at 4f1c2d3e4f5a
// "web to 3 replicas" by Dev <dev@example.com>, fetched 3s ago".
func writeGitStatus(w io.Writer, st wire.GitStatus) {
	rev := "no revision yet"
	if c := st.Revision.Commit; c != "" {
		rev = fmt.Sprintf("at %.12s %q by %s", c, st.Revision.Subject, st.Revision.Author)
	}
	fetched := "never fetched"
	if st.LastFetch != nil {
		fetched = "fetched " + time.Since(*st.LastFetch).Round(time.Second).String() + " ago"
	}
	fmt.Fprintf(w, "git: %s %s %s, %s\n", st.URL, st.Branch, rev, fetched)
	if st.LastError != "" {
		fmt.Fprintf(w, "git: last fetch failed: %s\n", st.LastError)
	}
}
