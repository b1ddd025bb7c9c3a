package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

const (
	// upstreamTimeout bounds one hop, so that a dead tier makes /chain
	// answer 502 rather than hang the caller.
	upstreamTimeout = 3 * time.Second
	// maxChainHops stops an UPSTREAM loop (a tier calling itself, or two
	// calling each other) from multiplying requests until the timeouts.
	maxChainHops = 8
	// hopsHeader carries how many tiers a /chain request went through.
	hopsHeader = "Demo-Chain-Hops"
	// maxUpstreamAnswer bounds how much of an upstream answer is read.
	maxUpstreamAnswer = 1 << 20
)

// chainAnswer is the /chain answer. Name is always present, even empty, so
// that a test can tell "no NAME" from "not a /chain answer".
type chainAnswer struct {
	Hostname string          `json:"hostname"`
	Name     string          `json:"name"`
	Upstream json.RawMessage `json:"upstream,omitempty"`
	Error    string          `json:"error,omitempty"`
}

// chain answers who we are and, with an UPSTREAM, what the upstream's
// /chain answered: a three-tier example shows each tier reaching the next by
// its DNS alias in one request from outside.
func (s *server) chain(w http.ResponseWriter, r *http.Request) {
	host, _ := os.Hostname()
	ans := chainAnswer{Hostname: host, Name: s.name}
	hops, _ := strconv.Atoi(r.Header.Get(hopsHeader))
	if hops >= maxChainHops {
		ans.Error = fmt.Sprintf("chain longer than %d hops: does UPSTREAM loop back?", maxChainHops)
		writeJSON(w, http.StatusLoopDetected, ans)
		return
	}
	if s.upstream == "" {
		writeJSON(w, http.StatusOK, ans)
		return
	}
	up, err := s.fetchChain(r, hops+1)
	if err != nil {
		s.log.Warn("upstream chain failed", "upstream", s.upstream, "err", err)
		ans.Error = err.Error()
		writeJSON(w, http.StatusBadGateway, ans)
		return
	}
	ans.Upstream = up
	writeJSON(w, http.StatusOK, ans)
}

// fetchChain gets $UPSTREAM/chain within the caller's request, so that a
// caller who gives up cancels the whole chain behind it.
func (s *server) fetchChain(r *http.Request, hops int) (json.RawMessage, error) {
	target := s.upstream + "/chain"
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, target, nil)
	if err != nil {
		return nil, fmt.Errorf("upstream request: %w", err)
	}
	req.Header.Set(hopsHeader, strconv.Itoa(hops))
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("upstream: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxUpstreamAnswer+1))
	if err != nil {
		return nil, fmt.Errorf("upstream %s: read answer: %w", target, err)
	}
	if len(body) > maxUpstreamAnswer {
		return nil, fmt.Errorf("upstream %s: answer larger than %d bytes", target, maxUpstreamAnswer)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("upstream %s answered %s: %s", target, resp.Status, upstreamError(body))
	}
	if !json.Valid(body) {
		return nil, fmt.Errorf("upstream %s: answer is not JSON: %s", target, snippet(body))
	}
	return json.RawMessage(body), nil
}

// upstreamError says why an upstream failed: its own "error" when it is a
// tier of the chain (so the deepest failure surfaces), else its body.
func upstreamError(body []byte) string {
	var a chainAnswer
	if err := json.Unmarshal(body, &a); err == nil && a.Error != "" {
		if a.Name != "" {
			return a.Name + ": " + a.Error
		}
		return a.Error
	}
	return snippet(body)
}

// snippet is the start of body on one line, for error messages.
func snippet(body []byte) string {
	const limit = 200
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > limit {
		s = strings.ToValidUTF8(s[:limit], "") + "…" // do not split a rune
	}
	if s == "" {
		return "(empty answer)"
	}
	return s
}
