# orchestrator: the two commands are `make run` and `make test`.
GO        ?= go
BIN       := bin/orchestrator
# The build's identity, stamped into the binary (`orchestrator version`);
# without git (a source tarball), "dev" and "unknown".
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
DEMO      := orchestrator-demo
# One tag of the demo image per example spec: no registry is reachable, so
# every example runs the image built here.
DEMO_TAGS := latest web worker api cache kv
STATE     ?= examples/state

.PHONY: all build image test test-faults test-swarm lint run demo-image bench bench-ui bench-quick bench-go fuzz clean

all: lint build test

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/orchestrator

# The orchestrator's own image, FROM scratch (cmd/orchestrator/Dockerfile):
# the static binary, this machine's CA certificates when it has them (for
# --git https://...) and an empty /tmp, from a temporary build context.
# Tagged $(IMAGE):$(VERSION) and $(IMAGE):latest; IMAGE_TAG=NAME:TAG builds
# that one tag instead (the image test's own).
IMAGE     ?= orchestrator
IMAGE_TAG ?=
CA_CERTS  ?= /etc/ssl/certs/ca-certificates.crt
image:
	@set -e; ctx=$$(mktemp -d); trap 'rm -rf "$$ctx"' EXIT; \
	mkdir -p "$$ctx/rootfs/tmp" "$$ctx/rootfs/etc/ssl/certs"; chmod 1777 "$$ctx/rootfs/tmp"; \
	echo "building $(or $(IMAGE_TAG),$(IMAGE):$(VERSION) $(IMAGE):latest) ($(VERSION), commit $(COMMIT))"; \
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -ldflags "-s -w $(LDFLAGS)" -o "$$ctx/rootfs/orchestrator" ./cmd/orchestrator; \
	if [ -f "$(CA_CERTS)" ]; then cp "$(CA_CERTS)" "$$ctx/rootfs/etc/ssl/certs/ca-certificates.crt"; \
	else echo "warning: no $(CA_CERTS): the image cannot verify https remotes (--git https://...)" >&2; fi; \
	docker build -q -f cmd/orchestrator/Dockerfile --build-arg VERSION=$(VERSION) --build-arg REVISION=$(COMMIT) \
	  $(addprefix -t ,$(or $(IMAGE_TAG),$(IMAGE):$(VERSION) $(IMAGE):latest)) "$$ctx"

test:
	$(GO) test -race -count=1 -timeout 20m ./...

# The fault suite (README "Reliability"): the quick fault tests again, the
# long ones (kill -9 in the middle of a rollout of FAULT_ROLLOUT containers,
# FAULT_REPS times; the engine cut and stalled for FAULT_HOLD each), the
# router fuzzed for FAULT_FUZZTIME, and last, on its own, a real restart of
# the Docker daemon, which runs only with ORCH_DAEMON_RESTART_TEST=1 (CI).
FAULT_ROLLOUT  ?= 50
FAULT_REPS     ?= 10
FAULT_HOLD     ?= 30s
FAULT_FUZZTIME ?= 2m
test-faults:
	ORCH_FAULTS=1 ORCH_FAULT_ROLLOUT=$(FAULT_ROLLOUT) ORCH_FAULT_REPS=$(FAULT_REPS) ORCH_FAULT_HOLD=$(FAULT_HOLD) \
	  $(GO) test -race -count=1 -timeout 30m -v -run '^TestFault' -skip '^TestFaultDaemonRestart$$' ./...
	$(GO) test ./api -run '^$$' -fuzz '^FuzzRouter$$' -fuzztime $(FAULT_FUZZTIME) -fuzzminimizetime 5s
	$(GO) test -race -count=1 -timeout 10m -v -run '^TestFaultDaemonRestart$$' ./cmd/orchestrator

# The swarm engine's tests (serve --engine swarm, the swarm adapter's
# contracts): each runs `docker swarm init --advertise-addr 127.0.0.1` when
# the engine is not a manager and `docker swarm leave --force` after, one
# at a time across packages (a machine-wide lock). CI runs them after the
# rest (.ci/run).
test-swarm:
	ORCH_SWARM=1 $(GO) test -race -count=1 -timeout 15m -run 'Swarm' ./...
	@state=$$(docker info --format '{{.Swarm.LocalNodeState}}'); echo "swarm state after the tests: $$state"

# staticcheck, pinned; `go run` builds it once into the module cache.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

# gofmt, go vet, staticcheck, and the import rules of docs/architecture.md
# (.ci/check-imports: only the Docker adapter reaches the Docker SDK).
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	bash .ci/check-imports

# The demo image: a static Go binary in an image FROM scratch.
demo-image:
	mkdir -p bin/demo-image
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/demo-image/demo ./examples/demo
	docker build -q -t $(DEMO):latest -f examples/demo/Dockerfile bin/demo-image
	for t in $(DEMO_TAGS); do docker tag $(DEMO):latest $(DEMO):$$t; done

run: demo-image build
	$(BIN) validate -R -f $(STATE)
	$(BIN) serve --dir $(STATE)

# Benchmarks: cmd/orchestrator-bench builds its own image, runs a real
# serve, compares it with the engine's own floor measured in the same run
# (the machine is noisy), prints one table and cleans up, also on Ctrl-C.
# BENCHFLAGS="-o bench.json" also writes the table as JSON.
bench: bench-ui
	$(GO) run ./cmd/orchestrator-bench $(BENCHFLAGS)

# The dashboard's rows (README "Dashboard"): the overview's server time with
# 200 specs, and an engine event → the browser's DOM (headless Chromium).
bench-ui:
	$(GO) test ./api/ui -run '^$$' -bench '^BenchmarkOverview200$$' -benchtime 200x
	ORCH_UI_BENCH=1 $(GO) test -count=1 -v -run '^TestUIEventToDOM$$' ./cmd/orchestrator | grep -E 'DOM|^(ok|FAIL|---)'

bench-quick:
	$(GO) run ./cmd/orchestrator-bench -quick $(BENCHFLAGS)

# The Go benchmarks of the packages (BenchmarkConverge20 against
# BenchmarkCreateStartLoop20, BenchmarkHealth20, the sampler's round).
bench-go:
	$(GO) test -run '^$$' -bench . -benchtime 3x -benchmem ./...

# The fuzz targets, each for as long as FUZZTIME says: the spec parser,
# and the router (every route: random method, path, headers and body).
FUZZTIME ?= 2m
fuzz:
	$(GO) test ./spec -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME)
	$(GO) test ./api -run '^$$' -fuzz '^FuzzRouter$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s

clean:
	rm -rf bin
