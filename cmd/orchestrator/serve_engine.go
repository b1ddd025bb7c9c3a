package main

import (
	"context"
	"fmt"

	"github.com/orchestrator/orchestrator/reconciler/engine"
	"github.com/orchestrator/orchestrator/reconciler/engine/docker"
	"github.com/orchestrator/orchestrator/reconciler/engine/swarm"
)

// The engines serve runs on (--engine).
const (
	engineDocker = "docker" // containers on this engine
	engineSwarm  = "swarm"  // one Swarm service per spec (issue 16)
)

// servedEngine is what serve runs on: the engine the reconciler and the
// API see, the local Docker engine under it (its CPUs, the other
// instances' containers), and with --engine swarm the services.
type servedEngine struct {
	engine.Engine
	local    *docker.Engine
	services engine.Services // nil on docker
	close    func() error
}

// openEngine connects to the engine --engine names. Swarm needs a manager,
// and says how to make one when it is not.
func openEngine(ctx context.Context, f serveFlags, instance string) (*servedEngine, error) {
	switch f.engine {
	case engineDocker, "":
		d, err := docker.New(ctx, docker.Options{Instance: instance, CallTimeout: f.engineWait, Host: f.engineHost})
		if err != nil {
			return nil, err
		}
		return &servedEngine{Engine: d, local: d, close: d.Close}, nil
	case engineSwarm:
		s, err := swarm.New(ctx, swarm.Options{Instance: instance, CallTimeout: f.engineWait, Host: f.engineHost})
		if err != nil {
			return nil, fmt.Errorf("--engine swarm: %w", err)
		}
		return &servedEngine{Engine: s, local: s.Engine, services: s, close: s.Close}, nil
	}
	return nil, usagef("--engine must be docker or swarm, got %q", f.engine)
}
