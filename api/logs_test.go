package api_test

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"

	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// A follow streams each line as it is written, and ends when the container
// stops, or when the server shuts down (CloseStreams), whichever is first.
func TestLogsFollow(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/start/container", `{"image":"web:v1","resources":{}}`)
	if r.code != 200 {
		t.Fatalf("start: %d %s", r.code, r.raw)
	}
	id := r.body["container_id"].(string)
	follow := func() (*bufio.Reader, func()) {
		t.Helper()
		resp, err := http.Get(e.url + "/containers/" + id + "/logs?follow=true")
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Fatalf("follow = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		return bufio.NewReader(resp.Body), func() { resp.Body.Close() }
	}
	line := func(br *bufio.Reader) string {
		t.Helper()
		got, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("read a line: %v (got %q)", err, got)
		}
		return strings.TrimSuffix(got, "\n")
	}

	br, done := follow()
	if got := line(br); got != rt.StartLog {
		t.Errorf("first line %q, want the start line", got)
	}
	e.fake.Log(id, "written while followed")
	if got := line(br); got != "written while followed" {
		t.Errorf("streamed line %q", got)
	}
	if err := e.fake.StopByHand(id); err != nil {
		t.Fatal(err)
	}
	if rest, err := br.ReadString('\n'); err == nil || rest != "" {
		t.Errorf("after the container stopped: %q, %v; want the end of the stream", rest, err)
	}
	done()

	// A shutdown ends a follow of a running container.
	if r := e.do("PATCH", "/containers/"+id, `{"status":"running"}`); r.code != 200 {
		t.Fatalf("start again: %d %s", r.code, r.raw)
	}
	br, done = follow()
	defer done()
	line(br)
	ended := make(chan error, 1)
	go func() {
		_, err := br.ReadString('\n')
		for err == nil {
			_, err = br.ReadString('\n')
		}
		ended <- err
	}()
	e.srv.CloseStreams()
	select {
	case <-ended:
	case <-time.After(10 * time.Second):
		t.Fatal("CloseStreams did not end the follow")
	}
}
