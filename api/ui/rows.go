package ui

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/orchestrator/orchestrator/api/wire"
)

// row is one line of the overview: a spec, or a broken file that names no
// spec that could be read. assets/rows.js builds the same rows from the same
// two answers (GET /status and GET /images) and replaces these, which are
// the first paint.
type row struct {
	Image    string // "" for a broken file without a readable spec
	Broken   bool   // its file has errors: a red row
	Stale    bool   // its file is broken and its last good version is in force
	Sync     string // Synced or OutOfSync; "" for a broken file without a spec
	Health   string // Healthy, Progressing, Degraded, Missing or Stopped
	Counts   bool   // Desired, Ready and Running mean something
	Desired  int
	Ready    int
	Running  int
	CPU      string // "37% / 60%" against the autoscale target; "" when not autoscaled
	Scale    string // the autoscaler's recommendation and reason
	Source   string // file:line
	Revision string
	Error    string // the last error, or a broken file's error
	Message  string // why it is not converged yet
}

// overviewRows are the broken files first (the red rows a person must
// see), then one row per spec, by image. An error of the state directory
// that a spec's status already carries is shown on that spec's row only.
func overviewRows(list wire.StatusList, images []wire.Image) []row {
	stale := map[string]bool{}
	for _, img := range images {
		stale[img.Image] = img.Stale
	}
	specs := slices.Clone(list.Specs)
	slices.SortFunc(specs, func(a, b wire.Status) int { return strings.Compare(a.Image, b.Image) })
	var out, rows []row
	claimed := map[string]bool{}
	for _, st := range specs {
		r := row{
			Image: st.Image, Sync: syncWord(st.Synced), Health: st.Health, Counts: true,
			Desired: st.Desired, Ready: st.Ready, Running: st.Running,
			Source: st.Source, Revision: st.Revision, Error: st.LastError, Message: st.Message, Stale: stale[st.Image],
		}
		for _, e := range list.Errors {
			if st.LastError != "" && strings.Contains(st.LastError, e) {
				r.Broken, claimed[e] = true, true
			}
		}
		r.Broken = r.Broken || r.Stale
		if as := st.Autoscale; as != nil {
			util := "–"
			if as.UtilizationPercent != nil {
				util = fmt.Sprintf("%.0f%%", *as.UtilizationPercent)
			}
			r.CPU = fmt.Sprintf("%s / %d%%", util, as.TargetCPUPercent)
			r.Scale = fmt.Sprintf("→ %d", as.Recommendation)
			if as.Reason != "" {
				r.Scale += ": " + as.Reason
			}
		}
		rows = append(rows, r)
	}
	for _, e := range list.Errors {
		if !claimed[e] {
			out = append(out, row{Broken: true, Source: errorSource(e), Error: e})
		}
	}
	return append(out, rows...)
}

func syncWord(synced bool) string {
	if synced {
		return "Synced"
	}
	return "OutOfSync"
}

// sourceRE is the file:line that starts an error of the state directory
// ("web.yaml:4: resources.memory: …").
var sourceRE = regexp.MustCompile(`^(.+?:\d+): `)

// errorSource is the file:line of a directory error, or its first part.
func errorSource(e string) string {
	if m := sourceRE.FindStringSubmatch(e); m != nil {
		return m[1]
	}
	if i := strings.Index(e, ": "); i > 0 {
		return e[:i]
	}
	return ""
}

// shortRevision is the start of a revision, as git shortens a commit.
func shortRevision(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

// imageURL is the path of an image's page: each segment escaped, ":" kept
// (ghcr.io/org/app:1.2 → /ui/images/ghcr.io/org/app:1.2).
func imageURL(image string) string {
	parts := strings.Split(image, "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(url.PathEscape(p), "%3A", ":")
	}
	return Prefix + "images/" + strings.Join(parts, "/")
}
