package api

import (
	"slices"

	"github.com/orchestrator/orchestrator/spec"
)

// openAPIDocument is the whole OpenAPI 3.0.3 document of the API. Every
// route of Handler is in it; TestOpenAPICoversRouter checks both ways.
func openAPIDocument(version string) *oaDocument {
	return &oaDocument{
		OpenAPI: "3.0.3",
		Info: oaInfo{
			Title:   "Orchestrator",
			Version: version,
			Description: "A GitOps-style Docker container orchestrator. The desired state is the spec files of a state " +
				"directory; this API is the REST API of the original FastAPI orchestrator over those files: every write " +
				"is a file write followed by a reconcile pass.\n\n" +
				"Errors have the original's shape, `{\"detail\": \"...\"}`, and validation errors are 422 in FastAPI's " +
				"shape (`HTTPValidationError`). An unknown path is 404 `{\"detail\": \"Not Found\"}`, and a known path " +
				"with a method it does not serve is 405 `{\"detail\": \"Method Not Allowed\"}` (components/responses " +
				"NotFound and MethodNotAllowed). A request body over 1 MiB (1048576 bytes) is 413, on any path.\n\n" +
				"When the server runs with a token (`--token` or `ORCHESTRATOR_TOKEN`), every endpoint but " +
				"`GET /health` needs `Authorization: Bearer <token>`, else 401. Without a token, no endpoint needs one.",
		},
		Servers: []oaServer{{URL: "/", Description: "this server"}},
		Tags: []oaTag{
			{Name: "containers", Description: "The original endpoints that start and act on containers."},
			{Name: "images", Description: "Specs (the desired state, one per image) and their containers."},
			{Name: "meta", Description: "Liveness, metrics and this documentation."},
		},
		Security:   []oaSecurityReq{{"bearerAuth": {}}},
		Paths:      openAPIPaths(),
		Components: openAPIComponents(),
	}
}

// Examples shared by requests and responses.
var (
	exampleSpec = map[string]any{
		"image": "nginx:alpine", "min_replicas": 1, "max_replicas": 3,
		"env": map[string]string{"LOG_LEVEL": "info"}, "ports": map[string]int{"80/tcp": 0},
		"resources": map[string]string{"cpu": "0.5", "memory": "256m", "status": "running"},
	}
	examplePorts   = map[string]any{"80/tcp": []map[string]string{{"HostIp": "0.0.0.0", "HostPort": "32768"}}}
	exampleSummary = map[string]any{"container_id": "3f2a9c1b7d4e", "name": "nginx-alpine-1", "status": "running", "ports": examplePorts}
	exampleStatus  = map[string]any{
		"image": "nginx:alpine", "synced": true, "health": "Healthy", "desired": 2, "ready": 2, "running": 2,
		"revision": "5d41402abc4b2a76b9719d911017c592", "source": "nginx_alpine.yaml:1", "last_reconcile": "2025-01-02T03:04:05Z",
		"autoscale": map[string]any{"target_cpu_percent": 70, "utilization_percent": 63.2, "recommendation": 2,
			"reason": "cpu 90% of target, within the 10% tolerance → keeps 2"},
	}
)

// exampleImageDetail is GET /images/{image}: the spec, where it is, its status.
func exampleImageDetail() map[string]any {
	out := map[string]any{"revision": "5d41402abc4b2a76b9719d911017c592", "source": "nginx_alpine.yaml:1", "status": exampleStatus}
	for k, v := range exampleSpec {
		out[k] = v
	}
	return out
}

func openAPIPaths() map[string]*oaPathItem {
	image := paramRef("image")
	nameOrID := paramRef("name_or_id")
	ifMatch := paramRef("If-Match")
	none := []oaSecurityReq{}

	return map[string]*oaPathItem{
		"/health": {Get: &oaOperation{
			Tags: []string{"meta"}, OperationID: "health", Summary: "Liveness",
			Description: "Always answers, and never needs the token (a load balancer's probe).",
			Security:    &none,
			Responses: map[string]*oaResponse{
				"200": jsonResponse("The server is up.", ref("HealthResponse"), map[string]bool{"ok": true}),
			},
		}},

		"/start/container": {Post: &oaOperation{
			Tags: []string{"containers"}, OperationID: "startContainer", Summary: "Write a spec and start a container of it",
			Description: "Writes the spec of the body to the state directory: a new file, or only the fields that " +
				"changed in the file that already holds the image (comments and other documents stay). Then waits, " +
				"bounded by the server's wait timeout (default 60 s), for the reconciler to have a running container " +
				"of the image, and answers with it: `created` if a pass made it for this call, else `kept-existing`.",
			Parameters:  []*oaParameter{ifMatch},
			RequestBody: jsonBody("The spec: the original StartContainerRequest, plus the optional extensions autoscale and health.", ref("StartContainerRequest"), exampleSpec),
			Responses: authed(map[string]*oaResponse{
				"200": withETag(jsonResponse("A container of the image is running.", ref("StartContainerResponse"),
					map[string]any{"ok": true, "action": "created", "image": "nginx:alpine", "container_id": "3f2a9c1b7d4e", "name": "nginx-alpine-1", "status": "running", "ports": examplePorts})),
				"409": respRef("Conflict"),
				"412": respRef("PreconditionFailed"),
				"413": respRef("PayloadTooLarge"),
				"422": respRef("ValidationFailed"),
				"500": withETag(detailResponse("No container of the image could be had: the reason (e.g. the image could "+
					"not be found or pulled), or that none was running within the wait timeout. The spec was written "+
					"(its ETag is set) and the reconciler keeps trying.", "image not found locally and pull failed: pull access denied for nosuch")),
				"503": respRef("StateDirUnavailable"),
			}),
		}},

		"/images": {Get: &oaOperation{
			Tags: []string{"images"}, OperationID: "listImages", Summary: "List the specs (the desired state)",
			Description: "The valid specs of the state directory, read from the files now: a file edited by hand shows at once.",
			Responses: authed(map[string]*oaResponse{
				"200": jsonResponse("The specs.", ref("ImageList"), map[string]any{"images": []any{exampleSpec}}),
				"500": respRef("InternalError"),
				"503": respRef("StateDirUnavailable"),
			}),
		}},

		"/images/{image}": {
			Get: &oaOperation{
				Tags: []string{"images"}, OperationID: "getImage", Summary: "One spec, with its status",
				Description: "The image's spec as the files have it, where it is written, its revision (also the ETag, " +
					"for If-Match on a later write), and the reconciler's status of it.",
				Parameters: []*oaParameter{image},
				Responses: authed(map[string]*oaResponse{
					"200": withETag(jsonResponse("The spec and its status.", ref("ImageDetail"), exampleImageDetail())),
					"404": detailResponse("No spec for the image.", "no spec for image 'nginx:alpine'"),
					"409": respRef("Conflict"),
					"500": respRef("InternalError"),
					"503": respRef("StateDirUnavailable"),
				}),
			},
			Put: &oaOperation{
				Tags: []string{"images"}, OperationID: "putImage", Summary: "Write a whole spec (apply)",
				Description: "Writes the spec of the body, as `orchestrator apply` does: a new file, or only the fields " +
					"that changed in the file that already holds the image (comments and other documents stay). It " +
					"triggers a reconcile pass but does not wait for containers (POST /start/container does). With " +
					"`dry_run=true` it writes nothing and answers with the file before and after, for `diff`.",
				Parameters: []*oaParameter{image, ifMatch, {
					Name: "dry_run", In: "query",
					Description: "Write nothing; answer with what the write would do. FastAPI's booleans: true/false, 1/0, yes/no, on/off.",
					Schema:      &oaSchema{Type: "boolean", Default: false},
				}},
				RequestBody: jsonBody("The spec, as for POST /start/container; its image must be the image of the path.", ref("StartContainerRequest"), exampleSpec),
				Responses: authed(map[string]*oaResponse{
					"200": withETag(jsonResponse("The spec is written (ETag: its revision), or with dry_run, what would be written (no ETag).",
						&oaSchema{OneOf: []*oaSchema{ref("PutImageResponse"), ref("PutImageDryRun")}},
						map[string]any{"image": "nginx:alpine", "result": "configured", "revision": "5d41402abc4b2a76b9719d911017c592", "source": "nginx_alpine.yaml:1"})),
					"409": respRef("Conflict"),
					"412": respRef("PreconditionFailed"),
					"413": respRef("PayloadTooLarge"),
					"422": respRef("ValidationFailed"),
					"500": respRef("InternalError"),
					"503": respRef("StateDirUnavailable"),
				}),
			},
			Delete: &oaOperation{
				Tags: []string{"images"}, OperationID: "deleteImage", Summary: "Delete a spec",
				Description: "Removes the document that holds the image (the file too, when it was its last document). " +
					"The reconciler then removes the image's containers.",
				Parameters: []*oaParameter{image, ifMatch},
				Responses: authed(map[string]*oaResponse{
					"200": jsonResponse("The spec is deleted.", ref("DeleteImageResponse"), map[string]any{"deleted": true, "image": "nginx:alpine", "source": "nginx_alpine.yaml:1"}),
					"404": detailResponse("No spec for the image.", "no spec for image 'nginx:alpine'"),
					"409": respRef("Conflict"),
					"412": respRef("PreconditionFailed"),
					"500": respRef("InternalError"),
					"503": respRef("StateDirUnavailable"),
				}),
			},
		},

		"/status": {Get: &oaOperation{
			Tags: []string{"images"}, OperationID: "listStatuses", Summary: "The status of every spec",
			Description: "What the reconciler knows of each spec after its last pass (DESIGN.md §7): synced, health, " +
				"desired/ready/running counts, revision, source, last error and time. A spec no pass has seen yet is not listed.",
			Responses: authed(map[string]*oaResponse{
				"200": jsonResponse("The statuses.", ref("StatusList"), map[string]any{"specs": []any{exampleStatus}, "errors": []any{}}),
			}),
		}},

		"/images/{image}/scale": {Post: &oaOperation{
			Tags: []string{"images"}, OperationID: "scaleImage", Summary: "Set min_replicas and max_replicas",
			Description: "Edits only the min_replicas and max_replicas of the image's spec in its file (an image with no " +
				"spec gets a new one, with empty env and ports and no resource limits), then waits for the reconcile " +
				"pass and answers with what it did.",
			Parameters:  []*oaParameter{image, ifMatch},
			RequestBody: jsonBody("The original ScaleRequest.", ref("ScaleRequest"), map[string]int{"min_replicas": 2, "max_replicas": 4}),
			Responses: authed(map[string]*oaResponse{
				"200": withETag(jsonResponse("The spec is written and the pass done.", ref("PassResponse"), examplePass)),
				"409": respRef("Conflict"),
				"412": respRef("PreconditionFailed"),
				"413": respRef("PayloadTooLarge"),
				"422": respRef("ValidationFailed"),
				"500": withETag(detailResponse("An action of the pass failed, or the pass could not run. The spec was "+
					"written (its ETag is set) and the reconciler keeps trying.", "scale-failed")),
				"503": respRef("StateDirUnavailable"),
			}),
		}},

		"/images/{image}/reconcile": {Post: &oaOperation{
			Tags: []string{"images"}, OperationID: "reconcileImage", Summary: "Run a reconcile pass now",
			Description: "Runs one pass (one that starts after the call) and answers with what it did for the image. No request body.",
			Parameters:  []*oaParameter{image},
			Responses: authed(map[string]*oaResponse{
				"200": jsonResponse("The pass is done.", ref("PassResponse"), examplePass),
				"404": detailResponse("No spec for the image.", "no spec for image 'nginx:alpine'"),
				"409": respRef("Conflict"),
				"500": detailResponse("An action of the pass failed, the pass could not run, or none ran within the wait timeout.", "reconcile-failed"),
				"503": respRef("StateDirUnavailable"),
			}),
		}},

		"/images/{image}/containers": {Get: &oaOperation{
			Tags: []string{"images"}, OperationID: "listImageContainers", Summary: "The containers of an image",
			Description: "The managed containers of the image, by name; an image with none (or no spec) has an empty list.",
			Parameters:  []*oaParameter{image},
			Responses: authed(map[string]*oaResponse{
				"200": jsonResponse("The containers.", ref("ImageContainers"), map[string]any{"image": "nginx:alpine", "containers": []any{exampleSummary}}),
				"500": respRef("InternalError"),
			}),
		}},

		"/images/{image}/health": {Get: &oaOperation{
			Tags: []string{"images"}, OperationID: "getImageHealth", Summary: "Health and usage of an image's containers",
			Description: "From the background stats sampler's cache (no engine call per request): the docker CLI's " +
				"cpu_percent and mem_percent, server_alive from a real probe, and the free bytes of the engine's data " +
				"root. A value that cannot be measured (yet) is null. An image is sampled while someone looks at it " +
				"(serve --stats-lease after the last request, autoscaled images always): the first request after a " +
				"lapse waits for one sampling round, and cpu_percent follows with the next one.",
			Parameters: []*oaParameter{image},
			Responses: authed(map[string]*oaResponse{
				"200": jsonResponse("The sampled health.", ref("ImageHealth"), map[string]any{"image": "nginx:alpine", "health": []any{map[string]any{
					"container_id": "3f2a9c1b7d4e", "name": "nginx-alpine-1", "status": "running", "ports": examplePorts,
					"server_alive": true, "cpu_percent": 0.42, "mem_percent": 1.7, "fs_free_bytes": 51234567890,
				}}}),
			}),
		}},

		"/containers": {Get: &oaOperation{
			Tags: []string{"containers"}, OperationID: "listContainers", Summary: "All managed containers",
			Description: "The containers this orchestrator manages (found by its label), of every image, by name.",
			Responses: authed(map[string]*oaResponse{
				"200": jsonResponse("The containers.", ref("ContainerList"), map[string]any{"containers": []any{exampleSummary}}),
				"500": respRef("InternalError"),
			}),
		}},

		"/containers/{name_or_id}": {
			Patch: &oaOperation{
				Tags: []string{"containers"}, OperationID: "patchContainer", Summary: "Stop (hold) or start a container",
				Description: "`stopped` holds the container stopped: the reconciler no longer counts, starts or removes it, " +
					"and creates a replacement. `running` releases the hold and starts it. Only managed containers; any " +
					"other name or id is 404.",
				Parameters:  []*oaParameter{nameOrID},
				RequestBody: jsonBody("The original PatchContainerRequest.", ref("PatchContainerRequest"), map[string]string{"status": "stopped"}),
				Responses: authed(map[string]*oaResponse{
					"200": jsonResponse("The container, after the change.", ref("PatchContainerResponse"),
						map[string]any{"ok": true, "container_id": "3f2a9c1b7d4e", "name": "nginx-alpine-1", "status": "exited", "ports": map[string]any{}}),
					"400": detailResponse("The id prefix matches more than one container, or the engine refused.", "'3f2a' matches 2 containers: give more of the id"),
					"404": respRef("ContainerNotFound"),
					"413": respRef("PayloadTooLarge"),
					"422": respRef("ValidationFailed"),
					"500": respRef("InternalError"),
				}),
			},
			Delete: &oaOperation{
				Tags: []string{"containers"}, OperationID: "deleteContainer", Summary: "Remove a container",
				Description: "Stops a running container (with a short timeout) unless force is set, then removes it. " +
					"The reconciler replaces it on its next pass. Only managed containers; any other name or id is 404.",
				Parameters: []*oaParameter{nameOrID, {
					Name: "force", In: "query",
					Description: "Remove without stopping first. FastAPI's booleans: true/false, 1/0, yes/no, on/off.",
					Schema:      &oaSchema{Type: "boolean", Default: false},
				}},
				Responses: authed(map[string]*oaResponse{
					"200": jsonResponse("The container is removed.", ref("DeleteContainerResponse"), map[string]any{"deleted": true, "container_id": "3f2a9c1b7d4e", "name": "nginx-alpine-1"}),
					"400": detailResponse("The id prefix matches more than one container, or the engine refused.", "'3f2a' matches 2 containers: give more of the id"),
					"404": respRef("ContainerNotFound"),
					"422": respRef("ValidationFailed"),
					"500": respRef("InternalError"),
				}),
			},
		},

		"/openapi.json": {Get: &oaOperation{
			Tags: []string{"meta"}, OperationID: "getOpenAPI", Summary: "This OpenAPI document",
			Responses: authed(map[string]*oaResponse{
				"200": jsonResponse("The OpenAPI 3.0.3 document.", &oaSchema{Type: "object"}, nil),
			}),
		}},

		"/docs": {Get: &oaOperation{
			Tags: []string{"meta"}, OperationID: "getDocs", Summary: "A page that renders this document",
			Description: "Served from files embedded in the binary (no external resources): /docs or /docs/, and its assets below /docs/. " +
				"It needs no token (a browser cannot send one); the page asks for it and sends it with its own requests.",
			Security: &none,
			Responses: map[string]*oaResponse{
				"200": {Description: "The page.", Content: map[string]oaMedia{"text/html": {Schema: &oaSchema{Type: "string"}}}},
			},
		}},

		"/metrics": {Get: &oaOperation{
			Tags: []string{"meta"}, OperationID: "getMetrics", Summary: "Prometheus metrics",
			Description: "Reconcile passes and durations, actions by kind and result, specs by health, HTTP requests by " +
				"route and code, and the Go and process collectors, in the Prometheus text format.",
			Responses: authed(map[string]*oaResponse{
				"200": {Description: "The metrics.", Content: map[string]oaMedia{"text/plain": {Schema: &oaSchema{Type: "string"}}}},
				"404": respRef("NotFound"),
			}),
		}},
	}
}

var examplePass = map[string]any{
	"ok": true, "image": "nginx:alpine", "desired": map[string]int{"min_replicas": 2, "max_replicas": 4},
	"actions": []any{map[string]any{"action": "create", "container_id": "9b8c7d6e5f4a", "name": "nginx-alpine-2", "ok": true}},
	"current": []any{exampleSummary, map[string]any{"container_id": "9b8c7d6e5f4a", "name": "nginx-alpine-2", "status": "running",
		"ports": map[string]any{"80/tcp": []map[string]string{{"HostIp": "0.0.0.0", "HostPort": "32769"}}}}},
}

func openAPIComponents() oaComponents {
	return oaComponents{
		Schemas:   openAPISchemas(),
		Responses: openAPIResponses(),
		Parameters: map[string]*oaParameter{
			"image": {
				Name: "image", In: "path", Required: true,
				Description: "A Docker image reference, as in the spec: [registry/]name[:tag][@digest]. It may contain " +
					"\"/\", \":\" and \"@\" (ghcr.io/org/app:1.2), written as they are or URL-encoded (%2F for \"/\"); " +
					"an encoded \"/\" never ends the image.",
				Schema:  &oaSchema{Type: "string", MinLength: intp(1)},
				Example: "nginx:alpine",
			},
			"name_or_id": {
				Name: "name_or_id", In: "path", Required: true,
				Description: "A managed container's name, id, or unique id prefix (4 characters or more), as docker finds them.",
				Schema:      &oaSchema{Type: "string", MinLength: intp(1)},
				Example:     "nginx-alpine-1",
			},
			"If-Match": {
				Name: "If-Match", In: "header",
				Description: "Write only if the spec is at this revision (the ETag of an earlier answer; quotes and W/ " +
					"are ignored), else 412. \"*\" matches any existing spec. Without it, the write is unconditional.",
				Schema: &oaSchema{Type: "string"},
			},
		},
		Headers: map[string]*oaHeader{
			"ETag": {Description: "The spec's revision, quoted: send it back as If-Match to write only if no one else has since.", Schema: &oaSchema{Type: "string", Example: `"5d41402abc4b2a76b9719d911017c592"`}},
		},
		SecuritySchemes: map[string]*oaSecurityScheme{
			"bearerAuth": {
				Type: "http", Scheme: "bearer",
				Description: "The server's token (--token or ORCHESTRATOR_TOKEN), when it has one. Without one, no endpoint needs it.",
			},
		},
	}
}

func openAPIResponses() map[string]*oaResponse {
	return map[string]*oaResponse{
		"Unauthorized": {
			Description: "The server has a token and the request did not bring it as `Authorization: Bearer <token>`.",
			Headers:     map[string]*oaHeader{"WWW-Authenticate": {Schema: &oaSchema{Type: "string", Example: `Bearer realm="orchestrator"`}}},
			Content:     map[string]oaMedia{"application/json": {Schema: ref("HTTPError"), Example: map[string]string{"detail": "Not authenticated"}}},
		},
		"NotFound": detailResponse("No such path (or, for /metrics, a server without metrics).", "Not Found"),
		"MethodNotAllowed": {
			Description: "The path exists but does not serve this method.",
			Headers:     map[string]*oaHeader{"Allow": {Description: "The methods the path serves, where known.", Schema: &oaSchema{Type: "string"}}},
			Content:     map[string]oaMedia{"application/json": {Schema: ref("HTTPError"), Example: map[string]string{"detail": "Method Not Allowed"}}},
		},
		"ContainerNotFound": detailResponse("No managed container has that name, id or id prefix (containers not managed by this orchestrator are never found).", "Container 'web-1' not found"),
		"Conflict": detailResponse("The image is written in more than one document, or the file that holds it has errors: it cannot be edited safely until the files are fixed.",
			`image defined more than once: "nginx:alpine" at a.yaml:1, b.yaml:4`),
		"PreconditionFailed": detailResponse("If-Match does not match the spec's current revision (or there is no spec yet).",
			`revision does not match: "nginx:alpine" is at revision 5d41402abc4b2a76b9719d911017c592`),
		"PayloadTooLarge":     detailResponse("The request body is over 1 MiB.", "request body too large: the limit is 1048576 bytes"),
		"ValidationFailed":    jsonResponse("Validation Error", ref("HTTPValidationError"), map[string]any{"detail": []any{map[string]any{"loc": []any{"body", "min_replicas"}, "msg": "Input should be greater than or equal to 0", "type": "greater_than_equal"}}}),
		"StateDirUnavailable": detailResponse("The state directory's root is missing or unreadable.", "state directory root missing or unreadable: /var/lib/orchestrator/state"),
		"InternalError":       detailResponse("The engine or the file system failed (the detail says how), or a handler panicked (\"internal error\").", "internal error"),
	}
}

func openAPISchemas() map[string]*oaSchema {
	status := func(desc string) *oaSchema {
		return &oaSchema{Type: "string", Enum: []any{"running", "stopped"}, Description: desc}
	}
	dockerStatus := str("Docker's state word: created, running, restarting, paused, exited, removing or dead.")
	replicas := func(defaults bool) (*oaSchema, *oaSchema) {
		lo := &oaSchema{Type: "integer", Minimum: intp(0), Description: "The fewest containers to run."}
		hi := &oaSchema{Type: "integer", Minimum: intp(1), Description: "The most containers to run; at least min_replicas."}
		if defaults {
			lo.Default, hi.Default = spec.DefaultMinReplicas, spec.DefaultMaxReplicas
		}
		return lo, hi
	}
	minR, maxR := replicas(true)
	env := &oaSchema{Type: "object", AdditionalProperties: &oaSchema{Type: "string"}, Default: map[string]string{},
		Description: "Environment variables. Names are POSIX ([A-Za-z_][A-Za-z0-9_]*). DISCOVERY_CALLBACK=<url> turns on " +
			"the discovery webhook: a POST of each create, start and stop of a container of the image."}
	ports := &oaSchema{Type: "object", AdditionalProperties: &oaSchema{Type: "integer", Minimum: intp(0), Maximum: intp(65535)},
		Default: map[string]int{}, Example: map[string]int{"80/tcp": 0},
		Description: "Container port (\"80\", \"80/tcp\" or \"53/udp\") to host port; 0 is a random host port. A fixed " +
			"host port needs max_replicas 1 (two replicas cannot bind one host port)."}
	specProps := func(minR, maxR *oaSchema) []oaProp {
		return []oaProp{
			prop("image", &oaSchema{Type: "string", MinLength: intp(1), Example: "nginx:alpine",
				Description: "A Docker image reference ([registry/]name[:tag][@digest]): the spec's identity, one spec per image."}),
			prop("min_replicas", minR),
			prop("max_replicas", maxR),
			prop("env", env),
			prop("ports", ports),
			prop("resources", ref("Resources")),
			prop("autoscale", ref("Autoscale")),
			prop("health", ref("HealthCheck")),
		}
	}
	viewMin, viewMax := replicas(false)
	viewRequired := []string{"image", "min_replicas", "max_replicas", "env", "ports", "resources"}
	summaryProps := func() []oaProp {
		return []oaProp{
			prop("container_id", str("The full container id.")),
			prop("name", str("The container's name.")),
			prop("status", dockerStatus),
			prop("ports", ref("DockerPorts")),
		}
	}
	summaryRequired := []string{"container_id", "name", "status", "ports"}
	nullable := func(s *oaSchema) *oaSchema { s.Nullable = true; return s }
	putResult := &oaSchema{Type: "string", Enum: []any{string(spec.Created), string(spec.Configured), string(spec.Unchanged)},
		Description: "In kubectl's words: created (a new document), configured (fields changed), unchanged (nothing to write)."}

	return map[string]*oaSchema{
		// Requests.
		"StartContainerRequest": closed(object("StartContainerRequest",
			"A spec: the original StartContainerRequest, plus the optional extensions autoscale and health. Unknown "+
				"fields, a bad value anywhere and min_replicas > max_replicas are 422.",
			[]string{"image", "resources"}, specProps(minR, maxR)...)),
		"Resources": closed(object("Resources", "Limits and run state of every container of the spec.", nil,
			prop("cpu", &oaSchema{Type: "string", Example: "500m",
				Description: "CPU limit: \"500m\" or \"0.5\" CPUs, exactly (nano-CPU steps); > 0, at least 10m, and at most the host's CPUs. Absent or empty: no limit."}),
			prop("memory", &oaSchema{Type: "string", Example: "256m",
				Description: "Memory limit in docker units (k/m/g are binary: 1g = 1 GiB) or Ki/Mi/Gi; at least 6m. Absent or empty: no limit."}),
			prop("status", func() *oaSchema {
				s := status("The run state of every container of the spec.")
				s.Default = "running"
				return s
			}()),
		)),
		"Autoscale": closed(object("Autoscale",
			"Extension: the CPU autoscaler, between min_replicas and max_replicas (HPA rules). It acts only when max_replicas > min_replicas.", nil,
			prop("enabled", &oaSchema{Type: "boolean", Default: true, Description: "On unless false."}),
			prop("target_cpu_percent", &oaSchema{Type: "integer", Minimum: intp(1), Maximum: intp(100), Default: 70,
				Description: "Target CPU use, in percent of the CPU limit."}),
			prop("scale_down_stabilization", &oaSchema{Type: "string", Default: "5m", Example: "5m",
				Description: "How long usage must stay low before a scale-down: a Go duration, 0 to 1h."}),
		)),
		"HealthCheck": closed(object("HealthCheck",
			"Extension: how to probe a container (server_alive): an HTTP GET of http_path on port, else a TCP connect to port. Port defaults to the spec's first port.", nil,
			prop("http_path", &oaSchema{Type: "string", Pattern: "^/", Example: "/healthz", Description: "Path to GET; starts with \"/\"."}),
			prop("port", &oaSchema{Type: "string", Example: "80/tcp", Description: "One of the spec's ports: \"80\", \"80/tcp\" or \"53/udp\"."}),
			prop("interval", &oaSchema{Type: "string", Example: "5s", Description: "How often to probe: a Go duration, at least 1s."}),
		)),
		"ScaleRequest": closed(object("ScaleRequest", "The original ScaleRequest. min_replicas > max_replicas is 422.",
			[]string{"min_replicas", "max_replicas"},
			prop("min_replicas", &oaSchema{Type: "integer", Minimum: intp(0), Description: "The fewest containers to run."}),
			prop("max_replicas", &oaSchema{Type: "integer", Minimum: intp(1), Description: "The most containers to run; at least min_replicas."}),
		)),
		"PatchContainerRequest": closed(object("PatchContainerRequest", "The original PatchContainerRequest.", []string{"status"},
			prop("status", status("stopped holds the container stopped (the reconciler replaces it); running releases it and starts it.")),
		)),

		// Specs and their status.
		"ImageSpec": object("ImageSpec", "A spec as the files have it (the extensions only when set).", viewRequired, specProps(viewMin, viewMax)...),
		"ListedImage": object("ListedImage", "A spec as GET /images lists it: the original's fields, plus its revision and source.", viewRequired,
			append(specProps(viewMin, viewMax), prop("revision", str("The spec's revision (its ETag).")), prop("source", str("file:line of its document.")))...),
		"ImageList": object("ImageList", "", []string{"images"}, prop("images", arrayOf(ref("ListedImage"), "The valid specs of the state directory."))),
		"ImageDetail": object("ImageDetail", "A spec, where it is written, and its status.",
			slices.Concat(viewRequired, []string{"revision", "source", "status"}),
			slices.Concat(specProps(viewMin, viewMax), []oaProp{
				prop("revision", str("The spec's revision: its ETag.")),
				prop("source", str("Where the spec is written: file:line in the state directory.")),
				prop("status", ref("SpecStatus")),
			})...),
		"SpecStatus": object("SpecStatus", "What the reconciler knows of the spec after its last pass (DESIGN.md §7).",
			[]string{"image", "synced", "health", "desired", "ready", "running", "revision", "source", "last_reconcile"},
			prop("image", str("")),
			prop("synced", boolean("The actual state equals the desired state.")),
			prop("health", &oaSchema{Type: "string", Enum: []any{"Healthy", "Progressing", "Degraded", "Missing", "Stopped"}}),
			prop("desired", integer("How many containers should run.")),
			prop("ready", integer("Containers of the current spec that are ready.")),
			prop("running", integer("Containers that run.")),
			prop("revision", str("The revision in force.")),
			prop("source", str("file:line of the spec.")),
			prop("last_error", str("The file's error, or the engine's (e.g. \"image not found locally and pull failed: ...\"); absent when none.")),
			prop("message", str("Why it has not converged yet; absent when it has.")),
			prop("last_reconcile", &oaSchema{Type: "string", Format: "date-time", Description: "When the last pass ran."}),
			prop("autoscale", ref("AutoscaleStatus")),
		),
		"AutoscaleStatus": object("AutoscaleStatus",
			"The CPU autoscaler's view of an autoscaled spec (max_replicas > min_replicas, autoscale.enabled not false, "+
				"status running); absent for the others. Runtime state: it is never written to the spec file.",
			[]string{"target_cpu_percent", "utilization_percent", "recommendation", "reason"},
			prop("target_cpu_percent", integer("autoscale.target_cpu_percent, defaulted (70).")),
			prop("utilization_percent", nullable(&oaSchema{Type: "number", Format: "double",
				Description: "Mean CPU of the ready containers that have run 30 s and have a metric, in percent of the CPU limit (of one core without a limit); null without data."})),
			prop("recommendation", integer("The replica count the reconciler aims at: the autoscaler's, clamped to [max(min_replicas,1), max_replicas] as the spec is now.")),
			prop("reason", &oaSchema{Type: "string", Example: "cpu 182% of target → 4", Description: "How the recommendation was reached."}),
		),
		"StatusList": object("StatusList", "", []string{"specs", "errors"},
			prop("specs", arrayOf(ref("SpecStatus"), "One per spec a pass has seen.")),
			prop("errors", arrayOf(&oaSchema{Type: "string"}, "Every error of the state directory as of the last pass, as file:line: field: message.")),
		),
		"PutImageResponse": object("PutImageResponse", "What the write did.", []string{"image", "result", "revision", "source"},
			prop("image", str("")),
			prop("result", putResult),
			prop("revision", str("The spec's new revision: its ETag.")),
			prop("source", str("Where the spec is written: file:line.")),
		),
		"PutImageDryRun": object("PutImageDryRun", "What the write would do; nothing is written.", []string{"image", "result", "file", "before", "after", "dry_run"},
			prop("image", str("")),
			prop("result", putResult),
			prop("file", str("The file that would be written, relative to the state directory.")),
			prop("before", str("The file now; empty when it would be created.")),
			prop("after", str("The file after the write.")),
			prop("dry_run", constTrue("")),
		),
		"DeleteImageResponse": object("DeleteImageResponse", "", []string{"deleted", "image", "source"},
			prop("deleted", constTrue("")),
			prop("image", str("")),
			prop("source", str("Where the spec was written: file:line.")),
		),

		// Containers.
		"PortBinding": object("PortBinding", "One published port, as Docker has it.", []string{"HostIp", "HostPort"},
			prop("HostIp", &oaSchema{Type: "string", Example: "0.0.0.0"}),
			prop("HostPort", &oaSchema{Type: "string", Example: "32768"}),
		),
		"DockerPorts": {Type: "object", Title: "DockerPorts", Example: examplePorts,
			Description:          "Docker's NetworkSettings.Ports: \"port/proto\" to its bindings (null when the port is not published).",
			AdditionalProperties: nullable(arrayOf(ref("PortBinding"), ""))},
		"ContainerSummary": object("ContainerSummary", "The original's container summary, plus the image whose spec it belongs to.", summaryRequired,
			append(summaryProps(), prop("image", str("Beyond the original: the image (spec) the container belongs to.")))...),
		"ContainerList": object("ContainerList", "", []string{"containers"},
			prop("containers", arrayOf(ref("ContainerSummary"), "The managed containers, by name."))),
		"ImageContainers": object("ImageContainers", "", []string{"image", "containers"},
			prop("image", str("")),
			prop("containers", arrayOf(ref("ContainerSummary"), "The image's managed containers, by name."))),
		"ContainerHealth": object("ContainerHealth", "A container's sampled health; a value that cannot be measured is null.",
			slices.Concat(summaryRequired, []string{"server_alive", "cpu_percent", "mem_percent", "fs_free_bytes"}),
			slices.Concat(summaryProps(), []oaProp{
				prop("server_alive", nullable(boolean("A real probe (health.http_path, else TCP to the first published port); Docker's HEALTHCHECK wins. null: nothing to probe."))),
				prop("cpu_percent", nullable(&oaSchema{Type: "number", Format: "double", Description: "The docker CLI's CPU %, from two samples."})),
				prop("mem_percent", nullable(&oaSchema{Type: "number", Format: "double", Description: "The docker CLI's memory %: usage less inactive file cache, over the limit."})),
				prop("fs_free_bytes", nullable(&oaSchema{Type: "integer", Format: "int64", Minimum: intp(0), Description: "Free bytes of the filesystem of the engine's data root."})),
			})...),
		"ImageHealth": object("ImageHealth", "", []string{"image", "health"},
			prop("image", str("")),
			prop("health", arrayOf(ref("ContainerHealth"), ""))),
		"StartContainerResponse": object("StartContainerResponse", "A running container of the image.",
			slices.Concat([]string{"ok", "action", "image"}, summaryRequired),
			slices.Concat([]oaProp{
				prop("ok", constTrue("")),
				prop("action", &oaSchema{Type: "string", Enum: []any{"created", "kept-existing"},
					Description: "created: a pass made the container for this call; kept-existing: one was running already."}),
				prop("image", str("")),
			}, summaryProps())...),
		"PatchContainerResponse": object("PatchContainerResponse", "The container after the change.",
			slices.Concat([]string{"ok"}, summaryRequired),
			slices.Concat([]oaProp{prop("ok", constTrue(""))}, summaryProps())...),
		"DeleteContainerResponse": object("DeleteContainerResponse", "", []string{"deleted", "container_id", "name"},
			prop("deleted", constTrue("")),
			prop("container_id", str("")),
			prop("name", str("")),
		),

		// Reconcile passes.
		"Action": object("Action", "One thing a reconcile pass did.", []string{"action", "container_id", "name", "ok"},
			prop("action", &oaSchema{Type: "string", Enum: []any{"create", "start", "stop", "remove"}}),
			prop("container_id", str("The container's id (empty for a create that failed).")),
			prop("name", str("")),
			prop("ok", boolean("")),
			prop("error", str("Why it failed; absent when ok.")),
		),
		"ReplicaRange": object("ReplicaRange", "", []string{"min_replicas", "max_replicas"},
			prop("min_replicas", &oaSchema{Type: "integer", Minimum: intp(0)}),
			prop("max_replicas", &oaSchema{Type: "integer", Minimum: intp(1)}),
		),
		"PassResponse": object("PassResponse", "What the reconcile pass did for the image, and its containers after it.",
			[]string{"ok", "image", "desired", "actions", "current"},
			prop("ok", constTrue("")),
			prop("image", str("")),
			prop("desired", ref("ReplicaRange")),
			prop("actions", arrayOf(ref("Action"), "")),
			prop("current", arrayOf(ref("ContainerSummary"), "The image's containers after the pass.")),
		),

		// Misc.
		"HealthResponse": object("HealthResponse", "", []string{"ok"}, prop("ok", constTrue(""))),
		"HTTPError":      object("HTTPError", "The original's error body.", []string{"detail"}, prop("detail", str("What went wrong."))),
		// FastAPI's own validation error schemas, as FastAPI publishes them.
		"HTTPValidationError": {Type: "object", Title: "HTTPValidationError",
			Properties: oaProps{prop("detail", &oaSchema{Type: "array", Title: "Detail", Items: ref("ValidationError")})}},
		"ValidationError": {Type: "object", Title: "ValidationError", Required: []string{"loc", "msg", "type"},
			Properties: oaProps{
				prop("loc", &oaSchema{Type: "array", Title: "Location",
					Items: &oaSchema{AnyOf: []*oaSchema{{Type: "string"}, {Type: "integer"}}}}),
				prop("msg", &oaSchema{Type: "string", Title: "Message"}),
				prop("type", &oaSchema{Type: "string", Title: "Error Type"}),
			}},
	}
}
