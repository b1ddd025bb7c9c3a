package main

import (
	"context"
	"time"

	"github.com/orchestrator/orchestrator/api/wire"
	"github.com/orchestrator/orchestrator/reconciler/engine/docker"
)

// imageLookup says whether an image is present on an engine.
type imageLookup interface {
	HasImage(ctx context.Context, image string) (bool, error)
}

// dockerImages connects to this machine's engine, if one answers within a
// moment.
func dockerImages(ctx context.Context) (imageLookup, func(), error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	e, err := docker.New(ctx, docker.Options{})
	if err != nil {
		return nil, nil, err
	}
	if err := e.Ping(ctx); err != nil {
		e.Close()
		return nil, nil, err
	}
	return e, func() { e.Close() }, nil
}

// imageCheck returns how apply warns of an image that is not on the engine,
// and how to release what it holds. Through a server, the server checks its
// own engine (the warnings of its PUT). With --dir, this machine's engine
// is asked when one answers: apply works offline too, and then checks
// nothing.
func (a *app) imageCheck(ctx context.Context, st store) (check func(ctx context.Context, image string) []string, release func()) {
	none := func(context.Context, string) []string { return nil }
	if _, remote := st.(*client); remote || a.localImages == nil {
		return none, func() {}
	}
	images, release, err := a.localImages(ctx)
	if err != nil {
		return none, func() {}
	}
	check = func(ctx context.Context, image string) []string {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if ok, err := images.HasImage(ctx, image); err != nil || ok {
			return nil
		}
		return []string{wire.ImageMissing}
	}
	return check, release
}
