package api

// The document's shared parts: the answers that many operations give (each
// an HTTPError or HTTPValidationError with its own example), the path and
// header parameters, the ETag header, the bearer scheme, and the examples,
// written as values of the wire types so that they have the types' shape.

import (
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/orchestrator/orchestrator/api/wire"
	"github.com/orchestrator/orchestrator/reconciler"
	"github.com/orchestrator/orchestrator/spec"
)

func openAPIComponents(s *schemaSet) *openapi3.Components {
	str := func(example any) *openapi3.SchemaRef {
		sch := openapi3.NewStringSchema()
		sch.Example = example
		return &openapi3.SchemaRef{Value: sch}
	}
	image := str(nil)
	image.Value.MinLength = 1
	nameOrID := str(nil)
	nameOrID.Value.MinLength = 1

	c := &openapi3.Components{
		Responses: openAPIResponses(s),
		Parameters: openapi3.ParametersMap{
			"image": {Value: &openapi3.Parameter{
				Name: "image", In: openapi3.ParameterInPath, Required: true, Schema: image, Example: "nginx:alpine",
				Description: "A Docker image reference, as in the spec: [registry/]name[:tag][@digest]. It may contain " +
					"\"/\", \":\" and \"@\" (ghcr.io/org/app:1.2), written as they are or URL-encoded (%2F for \"/\"); " +
					"an encoded \"/\" never ends the image. One that is no valid reference is 422.",
			}},
			"name_or_id": {Value: &openapi3.Parameter{
				Name: "name_or_id", In: openapi3.ParameterInPath, Required: true, Schema: nameOrID, Example: "nginx-alpine-1",
				Description: "A managed container's name, id, or unique id prefix (4 characters or more), as docker finds them.",
			}},
			"If-Match": {Value: &openapi3.Parameter{
				Name: "If-Match", In: openapi3.ParameterInHeader, Schema: str(nil),
				Description: "Write only if the spec is at this revision (the ETag of an earlier answer; quotes and W/ " +
					"are ignored), else 412. \"*\" matches any existing spec. Without it, the write is unconditional.",
			}},
		},
		Headers: openapi3.Headers{
			"ETag": {Value: &openapi3.Header{Parameter: openapi3.Parameter{
				Description: "The spec's revision, quoted: send it back as If-Match to write only if no one else has since.",
				Schema:      str(`"` + exampleRevision + `"`),
			}}},
		},
		SecuritySchemes: openapi3.SecuritySchemes{
			"bearerAuth": {Value: &openapi3.SecurityScheme{
				Type: "http", Scheme: "bearer",
				Description: "The server's token (--token or ORCHESTRATOR_TOKEN), when it has one. Without one, no endpoint needs it.",
			}},
			"accessToken": {Value: &openapi3.SecurityScheme{
				Type: "apiKey", In: "query", Name: "access_token",
				Description: "The same token as a query parameter, taken by the event streams only (GET /events, and the " +
					"logs as an event stream): a browser's EventSource cannot send a header.",
			}},
		},
	}
	c.Schemas = s.schemas // last: the responses above add schemas too
	return c
}

// openAPIResponses are the answers that several operations share.
func openAPIResponses(s *schemaSet) openapi3.ResponseBodies {
	header := func(desc, example string) *openapi3.HeaderRef {
		sch := openapi3.NewStringSchema()
		if example != "" {
			sch.Example = example
		}
		return &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{Description: desc, Schema: &openapi3.SchemaRef{Value: sch}}}}
	}
	unauthorized := detailResponse(s, "The server has a token and the request did not bring it as `Authorization: Bearer <token>`.",
		wire.CodeUnauthorized, "Not authenticated")
	unauthorized.Value.Headers = openapi3.Headers{"WWW-Authenticate": header("How to authenticate.", `Bearer realm="orchestrator"`)}
	notAllowed := detailResponse(s, "The path exists but does not serve this method.", wire.CodeMethodNotAllowed, "Method Not Allowed")
	notAllowed.Value.Headers = openapi3.Headers{"Allow": header("The methods the path serves, where known.", "")}

	return openapi3.ResponseBodies{
		"Unauthorized":     unauthorized,
		"NotFound":         detailResponse(s, "No such path (or, for /metrics, a server without metrics).", wire.CodeNoRoute, "Not Found"),
		"MethodNotAllowed": notAllowed,
		"ContainerNotFound": detailResponse(s, "No managed container has that name, id or id prefix (containers not "+
			"managed by this orchestrator are never found).", wire.CodeNotFound, "Container 'web-1' not found"),
		"BadContainerRequest": detailResponse(s, "The id prefix matches more than one container (code ambiguous), or the "+
			"engine refused (code engine_refused).", wire.CodeAmbiguous, "'3f2a' matches 2 containers: give more of the id"),
		"Conflict": jsonResponse(s, "The image is written in more than one document (code conflict), or the document "+
			"that holds it has errors (code broken_file, with the errors as data): it cannot be edited safely until the "+
			"files are fixed.", wire.Error{
			Detail: `image defined more than once: "nginx:alpine" at a.yaml:1, b.yaml:4`, Code: wire.CodeConflict}),
		"PreconditionFailed": detailResponse(s, "If-Match does not match the spec's current revision (or there is no spec yet).",
			wire.CodePrecondition, `revision does not match: "nginx:alpine" is at revision `+exampleRevision),
		"PayloadTooLarge": detailResponse(s, "The request body is over 1 MiB.", wire.CodeBodyTooLarge,
			"request body too large: the limit is 1048576 bytes"),
		"ValidationFailed": response("Validation Error: the body, the image of the path or a query value breaks a rule.",
			jsonContent(schemaRef("HTTPValidationError"), wire.Error{Code: wire.CodeSpecInvalid, Detail: []wire.Issue{{
				Loc: []any{"body", "min_replicas"}, Msg: "Input should be greater than or equal to 0", Type: "greater_than_equal"}}})),
		"StateDirUnavailable": detailResponse(s, "The state directory's root is missing or unreadable.", wire.CodeRootMissing,
			"state directory root missing or unreadable: /var/lib/orchestrator/state"),
		"InternalError": detailResponse(s, "The engine or the file system failed (the detail says how, the code "+
			"engine_unavailable when the engine cannot be reached), or a handler panicked (\"internal error\").",
			wire.CodeInternal, "internal error"),
	}
}

// Examples, as values of the types they show.
const (
	exampleRevision = "5d41402abc4b2a76b9719d911017c592"
	exampleSource   = "nginx_alpine.yaml:1"
)

var (
	exampleSpec = spec.Spec{
		Image: "nginx:alpine", MinReplicas: 1, MaxReplicas: 3,
		Env: map[string]string{"LOG_LEVEL": "info"}, Ports: map[string]int{"80/tcp": 0},
		Resources: spec.Resources{CPU: "0.5", Memory: "256m", Status: spec.StatusRunning},
	}
	exampleImage     = wire.Image{Spec: exampleSpec, Revision: exampleRevision, Source: exampleSource}
	examplePorts     = wire.Ports{"80/tcp": {{HostIP: "0.0.0.0", HostPort: "32768"}}}
	exampleContainer = wire.Container{ContainerID: "3f2a9c1b7d4e", Image: "nginx:alpine", Name: "nginx-alpine-1", Status: "running", Ports: examplePorts}
	exampleStarted   = wire.Started{OK: true, Action: "created", Image: "nginx:alpine",
		ContainerID: exampleContainer.ContainerID, Name: exampleContainer.Name, Status: "running", Ports: examplePorts}
	exampleStatus = wire.Status{
		Image: "nginx:alpine", Synced: true, Health: reconciler.Healthy, Desired: 2, Ready: 2, Running: 2,
		Revision: exampleRevision, Source: exampleSource, LastReconcile: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		Autoscale: &wire.Autoscale{TargetCPUPercent: 70, UtilizationPercent: openapi3.Ptr(63.2), Recommendation: 2,
			Reason: "cpu 90% of target, within the 10% tolerance → keeps 2"},
	}
	exampleWritten = wire.Written{Image: "nginx:alpine", Result: spec.Configured, Revision: exampleRevision, Source: exampleSource}
	examplePass    = wire.Reconciled{
		OK: true, Image: "nginx:alpine", Desired: wire.Replicas{MinReplicas: 2, MaxReplicas: 4},
		Actions: []wire.Action{{Action: string(reconciler.KindCreate), ContainerID: "9b8c7d6e5f4a", Name: "nginx-alpine-2", OK: true}},
		Current: []wire.Container{exampleContainer, {ContainerID: "9b8c7d6e5f4a", Image: "nginx:alpine", Name: "nginx-alpine-2",
			Status: "running", Ports: wire.Ports{"80/tcp": {{HostIP: "0.0.0.0", HostPort: "32769"}}}}},
	}
	exampleTime = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	exampleGit  = wire.GitStatus{URL: "ssh://git@git.example.com/shop.git", Branch: "main", Path: "deploy",
		Revision:  wire.GitRevision{Commit: "4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c", Subject: "web to 3 replicas", Author: "Dev <dev@example.com>", Time: &exampleTime},
		LastFetch: &exampleTime}
	exampleHealth = wire.ImageHealth{Image: "nginx:alpine", Health: []wire.ContainerHealth{{
		ContainerID: exampleContainer.ContainerID, Name: exampleContainer.Name, Status: "running", Ports: examplePorts,
		ServerAlive: openapi3.Ptr(true), CPUPercent: openapi3.Ptr(0.42), MemPercent: openapi3.Ptr(1.7),
		FSFreeBytes: openapi3.Ptr(uint64(51234567890)),
	}}}
	// exampleStale is a spec whose file is broken, listed at its last good
	// version.
	exampleStale = wire.Image{Spec: spec.Spec{Image: "web:v1", MinReplicas: 2, MaxReplicas: 5, Env: map[string]string{},
		Ports: map[string]int{}, Resources: spec.Resources{Memory: "64m", Status: spec.StatusRunning}},
		Revision: "9e107d9d372bb6826bd81d3542a419d6", Source: "web.yaml:1", Stale: true,
		Errors: []string{`web.yaml:4: resources.memory: "12q" is not a size (use e.g. 256m, 1g)`}}
)
