package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// checkTimeout bounds a -check probe well inside Docker's default
// healthcheck timeout (30 s), so that a hung server reads as unhealthy
// rather than as a timed-out check.
const checkTimeout = 2 * time.Second

// check is the -check mode: the image is FROM scratch, with no shell or
// curl, so the binary is its own healthcheck probe. It GETs rawURL and
// returns the exit code: 0 on a 2xx answer, else 1 after printing one line.
// Even a malformed URL gives 1, not the usage code 2: Docker reserves exit
// code 2, and such a check can only ever mean "unhealthy".
func check(ctx context.Context, rawURL string, timeout time.Duration, out io.Writer) int {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fmt.Fprintf(out, "demo -check: %q is not an http(s)://host[:port]/path URL\n", rawURL)
		return 1
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		fmt.Fprintf(out, "demo -check: %v\n", err)
		return 1
	}
	resp, err := directClient(0).Do(req) // ctx carries the timeout
	if err != nil {
		fmt.Fprintf(out, "demo -check: unhealthy: %v\n", err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		fmt.Fprintf(out, "demo -check: unhealthy: GET %s answered %s\n", rawURL, resp.Status)
		return 1
	}
	return 0
}
