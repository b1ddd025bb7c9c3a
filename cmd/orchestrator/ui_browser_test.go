package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	rt "github.com/orchestrator/orchestrator/reconciler/engine/enginetest"
)

// The dashboard's tests drive a real headless Chromium (Debian's chromium
// package) with chromedp. Each tab reports every JavaScript console error,
// uncaught exception, dialog (an alert is an injection that ran) and failed
// request (a network error, or an answer >= 400), and the test fails on any
// of them when it ends.

// chromium finds a Chromium or Chrome binary on PATH.
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// requireBrowser skips the test when no Chromium can be found, or fails it
// when ORCH_REQUIRE_BROWSER=1 (as CI sets it).
func requireBrowser(t *testing.T) string {
	t.Helper()
	if p := chromium(); p != "" {
		return p
	}
	msg := "no Chromium found on PATH (chromium, chromium-browser, google-chrome): apt-get install chromium"
	if os.Getenv("ORCH_REQUIRE_BROWSER") == "1" {
		t.Fatal("ORCH_REQUIRE_BROWSER=1 and " + msg)
	}
	t.Skip(msg + " (set ORCH_REQUIRE_BROWSER=1 to fail instead)")
	return ""
}

// browser is one tab of a headless Chromium on serve's dashboard.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string // http://host:port

	mu       sync.Mutex
	problems []string
	urls     map[network.RequestID]string
	requests []string // every URL asked for, in order
	ended    bool
	// netChanged counts loads Chromium failed because the machine's
	// network changed under it: a Docker network another test made or
	// removed meanwhile adds or drops a host address. Not the page's
	// fault; a page load it hit is made again (open).
	netChanged int
}

// errNetworkChanged is Chromium's error for a load cut by a change of the
// machine's network configuration.
const errNetworkChanged = "net::ERR_NETWORK_CHANGED"

// newBrowser starts Chromium with a window of width×height and a tab on
// base's origin; it is closed, and its problems reported, when the test
// ends.
func newBrowser(t *testing.T, base string, width, height int) *browser {
	t.Helper()
	path := requireBrowser(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.WindowSize(width, height), chromedp.DisableGPU)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with its sandbox
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	b := &browser{t: t, base: base, urls: map[network.RequestID]string{}}
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(b.listen))
	t.Cleanup(func() {
		b.mu.Lock()
		b.ended = true
		problems := b.problems
		b.mu.Unlock()
		cancel()
		cancelAlloc()
		for _, p := range problems {
			t.Errorf("browser: %s", p)
		}
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser and the tab
		t.Fatalf("start %s: %v", path, err)
	}
	b.ctx = ctx
	// A dialog blocks the page: it is a problem (listen), and closed here.
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return b
}

// listen runs in the tab's loop: it only records.
func (b *browser) listen(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range ev.Args {
				if a.Description != "" {
					parts = append(parts, a.Description)
				} else {
					parts = append(parts, string(a.Value))
				}
			}
			b.problem("console.%s: %s", ev.Type, strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil {
			text += " " + d.Exception.Description
		}
		b.problem("uncaught exception at %s:%d: %s", d.URL, d.LineNumber+1, text)
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError && !strings.Contains(ev.Entry.Text, errNetworkChanged) {
			b.problem("log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
		}
	case *page.EventJavascriptDialogOpening:
		b.problem("a %s dialog opened: %q", ev.Type, ev.Message)
	case *network.EventRequestWillBeSent:
		b.mu.Lock()
		b.urls[ev.RequestID] = ev.Request.URL
		b.requests = append(b.requests, ev.Request.Method+" "+ev.Request.URL)
		b.mu.Unlock()
	case *network.EventResponseReceived:
		if ev.Response.Status >= 400 {
			b.problem("%s answered %d", ev.Response.URL, ev.Response.Status)
		}
	case *network.EventLoadingFailed:
		// A stream that the page closes, or a load that a navigation
		// ends, is canceled; anything else is a failure.
		switch {
		case ev.Canceled:
		case ev.ErrorText == errNetworkChanged:
			b.mu.Lock()
			b.netChanged++
			b.mu.Unlock()
		default:
			b.mu.Lock()
			url := b.urls[ev.RequestID]
			b.mu.Unlock()
			b.problem("request failed: %s: %s %s", url, ev.ErrorText, ev.BlockedReason)
		}
	}
}

func (b *browser) problem(format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.ended {
		b.problems = append(b.problems, fmt.Sprintf(format, args...))
	}
}

// asked is every request the tab made so far, as "METHOD URL".
func (b *browser) asked() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.requests...)
}

// do runs actions, failing the test on an error.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %s: %v", what, err)
	}
}

// open loads a page of the server and waits for its load event; a load
// that a change of the machine's network cut short is made again (up to
// three times).
func (b *browser) open(path string) {
	b.t.Helper()
	for try := 1; ; try++ {
		before := b.networkChanges()
		b.do("open "+path, chromedp.Navigate(b.base+path))
		if b.networkChanges() == before || try == 3 {
			return
		}
		b.t.Logf("browser: the machine's network changed while %s loaded: loading it again", path)
	}
}

func (b *browser) networkChanges() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.netChanged
}

// js evaluates expr in the page and decodes its value into T.
func js[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("browser: evaluate %s: %v", expr, err)
	}
	return v
}

// waitJS polls until expr is true, showing state (an expression of a
// string) when it is not within the time.
func (b *browser) waitJS(within time.Duration, what, expr, state string) {
	b.t.Helper()
	rt.Eventually(b.t, within, what, func() (bool, string) {
		return js[bool](b, expr), js[string](b, state)
	})
}

// waitText waits until the element that sel matches holds substr.
func (b *browser) waitText(within time.Duration, sel, substr string) {
	b.t.Helper()
	q := quoteJS(sel)
	b.waitJS(within, fmt.Sprintf("%s holds %q", sel, substr),
		fmt.Sprintf(`((document.querySelector(%s) || {}).textContent || '').includes(%s)`, q, quoteJS(substr)),
		fmt.Sprintf(`((document.querySelector(%s) || {}).textContent || '(no %s)').slice(0, 2000)`, q, strings.ReplaceAll(sel, "'", "")))
}

func (b *browser) click(sel string) {
	b.t.Helper()
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// setValue types v into the input that sel matches, as a person would
// (key events, so input events fire), once the field is emptied.
func (b *browser) setValue(sel, v string) {
	b.t.Helper()
	// Focused and cleared as a person would (an input event): a live
	// refresh of the form between the clear and the keys leaves it alone.
	if !js[bool](b, fmt.Sprintf(`(() => { const el = document.querySelector(%s); if (!el) return false; el.focus(); el.value = ''; `+
		`el.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`, quoteJS(sel))) {
		b.t.Fatalf("browser: no %s to fill", sel)
	}
	b.do("fill "+sel, chromedp.SendKeys(chromedp.CSS(sel), v, chromedp.NodeVisible))
}

// screenshot saves the viewport as a PNG among the test's artifacts (not
// committed): $ORCH_ARTIFACTS, or orchestrator-ui-artifacts in the temp dir.
func (b *browser) screenshot(name string) string {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := os.Getenv("ORCH_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "orchestrator-ui-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s (%d bytes)", path, len(png))
	return path
}

// viewport makes the page width×height; mobile emulates a phone.
func (b *browser) viewport(width, height int64, mobile bool) {
	b.t.Helper()
	var opts []chromedp.EmulateViewportOption
	if mobile {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	b.do("viewport", chromedp.EmulateViewport(width, height, opts...))
}

// quoteJS is s as a JavaScript string literal.
func quoteJS(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}
