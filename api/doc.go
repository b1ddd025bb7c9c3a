// Package api serves the REST API of the original FastAPI orchestrator over
// the state directory's files. It is built in the REST API issue.
package api
