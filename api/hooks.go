package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/orchestrator/orchestrator/api/wire"
)

// hookPath is the push webhook's route. It is the one route open without
// the API token: the signature is its authentication.
const hookPath = "/hooks/git"

var errBadSignature = &apiError{status: http.StatusUnauthorized, code: wire.CodeUnauthorized,
	detail: "missing or wrong webhook signature (X-Hub-Signature-256, X-Gitea-Signature or X-Gitlab-Token)"}

// gitHook is POST /hooks/git: a push to the followed branch, signed with
// the webhook secret, asks for a fetch (bursts coalesce into one). A
// missing or wrong signature is 401 and fetches nothing; a push to another
// branch is 202 with the reason.
func (s *Server) gitHook(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err // too large: 413
	}
	if !signed(r.Header, body, s.opts.WebhookSecret) {
		s.log.Warn("webhook refused: bad signature", "remote", r.RemoteAddr)
		return errBadSignature
	}
	if event := r.Header.Get("X-GitHub-Event"); event == "ping" {
		writeJSON(w, http.StatusOK, wire.HookAnswer{Accepted: false, Reason: "ping"})
		return nil
	}
	var push struct {
		Ref string `json:"ref"`
	}
	_ = json.Unmarshal(body, &push) // no ref: not a push
	// Before the first clone worked, and without --git-branch, the branch
	// is not known: every push may be the one to fetch.
	branch := s.opts.Git.Status().Branch
	want := "refs/heads/" + branch
	if push.Ref != want && (branch != "" || !strings.HasPrefix(push.Ref, "refs/heads/")) {
		writeJSON(w, http.StatusAccepted, wire.HookAnswer{Reason: "not a push to " + want + ": " + orNone(push.Ref)})
		return nil
	}
	s.opts.Git.Sync()
	writeJSON(w, http.StatusAccepted, wire.HookAnswer{Accepted: true})
	return nil
}

// signed checks a webhook's signature against secret, in constant time:
// GitHub's X-Hub-Signature-256 ("sha256=" and the HMAC-SHA256 of the body,
// hex), Gitea's and Forgejo's X-Gitea-Signature / X-Forgejo-Signature (the
// same HMAC, hex), or GitLab's X-Gitlab-Token (the secret itself).
func signed(h http.Header, body []byte, secret string) bool {
	if secret == "" {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	sum := mac.Sum(nil)
	hexEqual := func(got string) bool {
		b, err := hex.DecodeString(got)
		return err == nil && hmac.Equal(b, sum)
	}
	if v := h.Get("X-Hub-Signature-256"); v != "" {
		got, ok := strings.CutPrefix(v, "sha256=")
		return ok && hexEqual(got)
	}
	for _, k := range []string{"X-Gitea-Signature", "X-Forgejo-Signature"} {
		if v := h.Get(k); v != "" {
			return hexEqual(v)
		}
	}
	if v := h.Get("X-Gitlab-Token"); v != "" {
		return subtle.ConstantTimeCompare([]byte(v), []byte(secret)) == 1
	}
	return false
}

func orNone(s string) string {
	if s == "" {
		return "no ref"
	}
	return s
}
