module github.com/orchestrator/orchestrator

go 1.26.8

require (
	github.com/distribution/reference v0.6.0
	github.com/docker/go-units v0.5.0
	go.yaml.in/yaml/v3 v3.0.4
	sigs.k8s.io/yaml v1.6.0
)

require (
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/opencontainers/go-digest v1.0.0 // indirect
	go.yaml.in/yaml/v2 v2.4.2 // indirect
)
