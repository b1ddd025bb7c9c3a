package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// gitSpecFile is the one spec file of a git scenario's remote.
const gitSpecFile = "bench.yaml"

// gitServe is a `serve --git` of a git scenario's own: its instance
// (bench-<pid>-git-<mode>, which the run's cleanup removes), a remote and
// a checkout in the run's temp dir, a counting proxy, and one spec of a
// tag of its own. It lives for its scenarios only, so that no other
// scenario shares the engine with it.
type gitServe struct {
	mode     string // "webhook" or "poll"
	instance string
	image    string
	replicas int    // the spec's min_replicas now: the edits flip it
	secret   string // of the webhooks; "" when it polls
	checkout string // --dir: the clone, the revisions and the state link
	remote   *gitRemote
	srv      *server
	px       *proxy
	logPath  string
}

// runGit is the git scenarios (issue 12): a push → the engine through a
// webhook, then an API scale with commit and push against the same call
// without git, on one serve --git; then a push → the engine through
// polling, on a second one. Both start at once, so that their first
// containers' min-ready passes run out together (6 s each otherwise); the
// polling one meanwhile fetches its unchanged remote once a second, a
// git-upload-pack of a few ms. Both are stopped, and their containers
// removed, before the next scenario begins.
func runGit(ctx context.Context, b *bench) error {
	// Left by the scenarios before, or by main when they were not run: the
	// run's own serve has nothing else to do in the baseline.
	for _, f := range []string{"app.yaml", reactionFile} {
		if err := os.Remove(filepath.Join(b.dir, f)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove %s: %w", f, err)
		}
	}
	// The baseline's spec starts first: its min-ready pass ends while the
	// serve --git starts.
	if err := b.tag(ctx, plainImage); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(b.dir, plainFile), scaleSpec(plainImage, 1)); err != nil {
		return err
	}
	hook, err := startGitServe(ctx, b, "webhook", true, "--git-interval", "0")
	if err != nil {
		return err
	}
	poll, err := startGitServe(ctx, b, "poll", false, "--git-interval", gitPollInterval.String())
	if err != nil {
		return err
	}
	for _, g := range []*gitServe{hook, poll} {
		if err := g.settle(ctx, b); err != nil {
			return err
		}
	}
	for image, want := range map[string]int{benchImage: 0, reactionImage: 0, plainImage: 1} {
		if _, err := waitRunning(ctx, b.cli, b.run, image, want, 3*time.Minute); err != nil {
			return fmt.Errorf("git setup: %s: %w", image, err)
		}
	}
	if _, err := b.px.waitQuiet(ctx, 300*time.Millisecond, serveMinReady+time.Second, 30*time.Second); err != nil {
		return err
	}
	if err := runGitWebhook(ctx, b, hook); err != nil {
		return err
	}
	if err := runGitAPI(ctx, b, hook); err != nil {
		return err
	}
	if err := hook.finish(ctx, b); err != nil {
		return err
	}
	// The baseline's container goes before the polling scenario, which
	// then has the engine to itself.
	if err := os.Remove(filepath.Join(b.dir, plainFile)); err != nil {
		return fmt.Errorf("remove %s: %w", plainFile, err)
	}
	if _, err := waitRunningEvery(ctx, b.cli, b.run, plainImage, 0, time.Minute, 50*time.Millisecond); err != nil {
		return fmt.Errorf("git: remove the baseline's spec: %w", err)
	}
	if _, err := b.px.waitQuiet(ctx, 300*time.Millisecond, 0, 10*time.Second); err != nil {
		return err
	}
	if err := runGitPoll(ctx, b, poll); err != nil {
		return err
	}
	return poll.finish(ctx, b)
}

// startGitServe makes the remote (its spec at 1 replica) and starts serve
// on it with args (--git-interval and the like); settle waits for its
// first container. webhook adds a secret file and --webhook-secret-file.
func startGitServe(ctx context.Context, b *bench, mode string, webhook bool, args ...string) (*gitServe, error) {
	root := filepath.Join(b.tmp, "git-"+mode) // removed with b.tmp
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("git %s: %w", mode, err)
	}
	g := &gitServe{mode: mode, instance: b.run + "-git-" + mode, image: "orchestrator-bench:git-" + mode, replicas: 1,
		logPath: filepath.Join(os.TempDir(), b.run+"-git-"+mode+"-serve.log")}
	if err := b.tag(ctx, g.image); err != nil {
		return nil, err
	}
	var err error
	if g.remote, err = newGitRemote(root, map[string]string{gitSpecFile: scaleSpec(g.image, g.replicas)}); err != nil {
		return nil, fmt.Errorf("git %s: %w", mode, err)
	}
	args = append([]string{"--git", g.remote.url, "--git-branch", gitBranch}, args...)
	if webhook {
		g.secret = rand.Text()
		file := filepath.Join(root, "webhook-secret")
		if err := os.WriteFile(file, []byte(g.secret+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("git %s: secret: %w", mode, err)
		}
		args = append(args, "--webhook-secret-file", file)
	}
	if g.px, err = startProxy(filepath.Join(root, "engine.sock"), engineSocket()); err != nil {
		return nil, err
	}
	// Stopped by the run's cleanup too (a failure, Ctrl-C), before the
	// containers are removed, so that it cannot heal them.
	b.onCleanup = append(b.onCleanup, g.stop)
	g.checkout = filepath.Join(root, "checkout")
	if g.srv, err = startServe(ctx, b.bin, g.checkout, g.instance, "unix://"+g.px.sock, g.logPath, append(args, b.serveArgs...)); err != nil {
		return nil, fmt.Errorf("git %s: %w", mode, err)
	}
	slog.Info("serve --git is up", "mode", mode, "addr", g.srv.addr, "instance", g.instance, "remote", g.remote.url, "log", g.logPath)
	return g, nil
}

// settle waits until the spec's container of the first revision runs and
// serve is quiet, min-ready pass included, as the reaction scenario's
// setup does.
func (g *gitServe) settle(ctx context.Context, b *bench) error {
	if _, err := waitRunning(ctx, b.cli, g.instance, g.image, g.replicas, 2*time.Minute); err != nil {
		return fmt.Errorf("git %s: first revision: %w (log %s)", g.mode, err, g.logPath)
	}
	_, err := g.px.waitQuiet(ctx, 300*time.Millisecond, serveMinReady+time.Second, 30*time.Second)
	return err
}

// stop stops serve, then its proxy; the cleanup may call it again.
func (g *gitServe) stop() {
	g.srv.stop()
	g.px.close()
}

// finish stops serve and removes its containers, so that the scenarios
// after it have the engine to themselves.
func (g *gitServe) finish(ctx context.Context, b *bench) error {
	g.stop()
	n, err := removeInstances(ctx, b.cli, func(inst string) bool { return inst == g.instance })
	if err != nil {
		return fmt.Errorf("git %s: remove containers: %w", g.mode, err)
	}
	slog.Info("serve --git stopped", "mode", g.mode, "removed", n)
	return nil
}
