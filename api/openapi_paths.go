package api

// The document's operations: what each route does, its parameters and its
// answers, in words for people. The bodies' schemas are the Go types' (each
// answer names its type through its example), so what stays written by hand
// here is the prose, the status codes each handler can answer with, and the
// examples.

import (
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/orchestrator/orchestrator/api/wire"
	"github.com/orchestrator/orchestrator/spec"
)

func openAPIPaths(s *schemaSet) *openapi3.Paths {
	image := paramRef("image")
	nameOrID := paramRef("name_or_id")
	ifMatch := paramRef("If-Match")
	public := &openapi3.SecurityRequirements{} // no token, even when the server has one
	noSuchSpec := func() *openapi3.ResponseRef {
		return detailResponse(s, "No spec for the image.", wire.CodeNotFound, "no spec for image 'nginx:alpine'")
	}
	specBody := func(desc string) *openapi3.RequestBodyRef {
		return jsonBody(desc, schemaOf[spec.Spec](s), exampleSpec)
	}

	return openapi3.NewPaths(
		openapi3.WithPath("/health", &openapi3.PathItem{Get: &openapi3.Operation{
			Tags: []string{"meta"}, OperationID: "health", Summary: "Liveness",
			Description: "Always answers, and never needs the token (a load balancer's probe).",
			Security:    public,
			Responses: responses(map[int]*openapi3.ResponseRef{
				200: response("The server is up.", jsonContent(schemaRef("HealthResponse"), map[string]bool{"ok": true})),
			}),
		}}),

		openapi3.WithPath("/start/container", &openapi3.PathItem{Post: &openapi3.Operation{
			Tags: []string{"containers"}, OperationID: "startContainer", Summary: "Write a spec and start a container of it",
			Description: "Writes the spec of the body to the state directory: a new file, or only the fields that " +
				"changed in the file that already holds the image (comments and other documents stay). Then waits, " +
				"bounded by the server's wait timeout (default 60 s), for the reconciler to have a container of the " +
				"image in the state the spec asks for (running; for a stopped spec, created and not running), and " +
				"answers with it: `created` if a pass made it for this call, else `kept-existing`.",
			Parameters:  openapi3.Parameters{ifMatch},
			RequestBody: specBody("The spec: the original StartContainerRequest, plus the optional extensions autoscale and health."),
			Responses: authed(map[int]*openapi3.ResponseRef{
				200: withETag(jsonResponse(s, "The container of the image, in the state its spec asks for.", exampleStarted)),
				409: respRef("Conflict"),
				412: respRef("PreconditionFailed"),
				413: respRef("PayloadTooLarge"),
				422: respRef("ValidationFailed"),
				500: withETag(detailResponse(s, "No container of the image could be had: the reason (e.g. the image could "+
					"not be found or pulled), or that none was there within the wait timeout. The spec was written (its "+
					"ETag is set) and the reconciler keeps trying.", wire.CodeImageUnavailable,
					"image not found locally and pull failed: pull access denied for nosuch")),
				503: respRef("StateDirUnavailable"),
			}),
		}}),

		openapi3.WithPath("/images", &openapi3.PathItem{Get: &openapi3.Operation{
			Tags: []string{"images"}, OperationID: "listImages", Summary: "List the specs (the desired state)",
			Description: "The valid specs of the state directory, read from the files now: a file edited by hand shows at once. " +
				"A spec whose file has errors is still listed, at the last good version that the reconciler keeps in force, " +
				"with stale: true and the file's errors; a broken spec that never had a good version is not.",
			Responses: authed(map[int]*openapi3.ResponseRef{
				200: jsonResponse(s, "The specs.", wire.ImageList{Images: []wire.Image{exampleImage, exampleStale}}),
				500: respRef("InternalError"),
				503: respRef("StateDirUnavailable"),
			}),
		}}),

		openapi3.WithPath("/images/{image}", &openapi3.PathItem{
			Get: &openapi3.Operation{
				Tags: []string{"images"}, OperationID: "getImage", Summary: "One spec, with its status",
				Description: "The image's spec as the files have it, where it is written, its revision (also the ETag, " +
					"for If-Match on a later write), and the reconciler's status of it (absent until a pass has seen it). " +
					"When its file has errors, the last good version that the reconciler keeps in force, with stale: true, " +
					"the file's errors and no ETag (the file holds no valid version that If-Match could match; a write to a " +
					"broken document is 409 broken_file); 409 when no good version is known.",
				Parameters: openapi3.Parameters{image},
				Responses: authed(map[int]*openapi3.ResponseRef{
					200: withETag(jsonResponse(s, "The spec and its status; a stale spec has no ETag.", wire.ImageDetail{Image: exampleImage, Status: &exampleStatus})),
					404: noSuchSpec(),
					409: respRef("Conflict"),
					422: respRef("ValidationFailed"),
					500: respRef("InternalError"),
					503: respRef("StateDirUnavailable"),
				}),
			},
			Put: &openapi3.Operation{
				Tags: []string{"images"}, OperationID: "putImage", Summary: "Write a whole spec (apply)",
				Description: "Writes the spec of the body, as `orchestrator apply` does: a new file, or only the fields " +
					"that changed in the file that already holds the image (comments and other documents stay). It " +
					"triggers a reconcile pass but does not wait for containers (POST /start/container does). With " +
					"`dry_run=true` it writes nothing and answers with the file before and after, for `diff`.",
				Parameters: openapi3.Parameters{image, ifMatch, {Value: &openapi3.Parameter{
					Name: "dry_run", In: openapi3.ParameterInQuery,
					Description: "Write nothing; answer with what the write would do. FastAPI's booleans: true/false, 1/0, yes/no, on/off.",
					Schema:      &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeBoolean}, Default: false}},
				}}},
				RequestBody: specBody("The spec, as for POST /start/container; its image must be the image of the path."),
				Responses: authed(map[int]*openapi3.ResponseRef{
					200: withETag(response("The spec is written (ETag: its revision), or with dry_run, what would be written (no ETag).",
						jsonContent(&openapi3.SchemaRef{Value: &openapi3.Schema{OneOf: openapi3.SchemaRefs{
							schemaOf[wire.Written](s), schemaOf[wire.Preview](s),
						}}}, exampleWritten))),
					409: respRef("Conflict"),
					412: respRef("PreconditionFailed"),
					413: respRef("PayloadTooLarge"),
					422: respRef("ValidationFailed"),
					500: respRef("InternalError"),
					503: respRef("StateDirUnavailable"),
				}),
			},
			Delete: &openapi3.Operation{
				Tags: []string{"images"}, OperationID: "deleteImage", Summary: "Delete a spec",
				Description: "Removes the document that holds the image (the file too, when it was its last document). " +
					"The reconciler then removes the image's containers.",
				Parameters: openapi3.Parameters{image, ifMatch},
				Responses: authed(map[int]*openapi3.ResponseRef{
					200: jsonResponse(s, "The spec is deleted.", wire.ImageDeleted{Deleted: true, Image: "nginx:alpine", Source: exampleSource}),
					404: noSuchSpec(),
					409: respRef("Conflict"),
					412: respRef("PreconditionFailed"),
					422: respRef("ValidationFailed"),
					500: respRef("InternalError"),
					503: respRef("StateDirUnavailable"),
				}),
			},
		}),

		openapi3.WithPath("/status", &openapi3.PathItem{Get: &openapi3.Operation{
			Tags: []string{"images"}, OperationID: "listStatuses", Summary: "The status of every spec",
			Description: "What the reconciler knows of each spec after its last pass (docs/design.md §7): synced, health, " +
				"desired/ready/running counts, revision, source, last error and time. A spec no pass has seen yet is not listed.",
			Responses: authed(map[int]*openapi3.ResponseRef{
				200: jsonResponse(s, "The statuses.", wire.StatusList{Specs: []wire.Status{exampleStatus}, Errors: []string{}}),
			}),
		}}),

		openapi3.WithPath("/images/{image}/scale", &openapi3.PathItem{Post: &openapi3.Operation{
			Tags: []string{"images"}, OperationID: "scaleImage", Summary: "Set min_replicas and max_replicas",
			Description: "Edits only the min_replicas and max_replicas of the image's spec in its file (an image with no " +
				"spec gets a new one, with empty env and ports and no resource limits), then waits for the reconcile " +
				"pass and answers with what it did.",
			Parameters:  openapi3.Parameters{image, ifMatch},
			RequestBody: jsonBody("The original ScaleRequest.", schemaRef("ScaleRequest"), scaleRequest{MinReplicas: 2, MaxReplicas: 4}),
			Responses: authed(map[int]*openapi3.ResponseRef{
				200: withETag(jsonResponse(s, "The spec is written and the pass done.", examplePass)),
				409: respRef("Conflict"),
				412: respRef("PreconditionFailed"),
				413: respRef("PayloadTooLarge"),
				422: respRef("ValidationFailed"),
				500: withETag(detailResponse(s, "An action of the pass failed, or the pass could not run. The spec was "+
					"written (its ETag is set) and the reconciler keeps trying. The code says why when it is known.",
					wire.CodeNotConverged, "scale-failed")),
				503: respRef("StateDirUnavailable"),
			}),
		}}),

		openapi3.WithPath("/images/{image}/reconcile", &openapi3.PathItem{Post: &openapi3.Operation{
			Tags: []string{"images"}, OperationID: "reconcileImage", Summary: "Run a reconcile pass now",
			Description: "Runs one pass (one that starts after the call) and answers with what it did for the image. No request body.",
			Parameters:  openapi3.Parameters{image},
			Responses: authed(map[int]*openapi3.ResponseRef{
				200: jsonResponse(s, "The pass is done.", examplePass),
				404: noSuchSpec(),
				409: respRef("Conflict"),
				422: respRef("ValidationFailed"),
				500: detailResponse(s, "An action of the pass failed, the pass could not run, or none ran within the wait "+
					"timeout. The code says why when it is known.", wire.CodeNotConverged, "reconcile-failed"),
				503: respRef("StateDirUnavailable"),
			}),
		}}),

		openapi3.WithPath("/images/{image}/containers", &openapi3.PathItem{Get: &openapi3.Operation{
			Tags: []string{"images"}, OperationID: "listImageContainers", Summary: "The containers of an image",
			Description: "The managed containers of the image, by name; an image with none (or no spec) has an empty list.",
			Parameters:  openapi3.Parameters{image},
			Responses: authed(map[int]*openapi3.ResponseRef{
				200: jsonResponse(s, "The containers.", wire.ImageContainers{Image: "nginx:alpine", Containers: []wire.Container{exampleContainer}}),
				422: respRef("ValidationFailed"),
				500: respRef("InternalError"),
			}),
		}}),

		openapi3.WithPath("/images/{image}/health", &openapi3.PathItem{Get: &openapi3.Operation{
			Tags: []string{"images"}, OperationID: "getImageHealth", Summary: "Health and usage of an image's containers",
			Description: "From the background stats sampler's cache (no engine call per request): the docker CLI's " +
				"cpu_percent and mem_percent, server_alive from a real probe, and the free bytes of the engine's data " +
				"root. A value that cannot be measured (yet) is null. An image is sampled while someone looks at it " +
				"(serve --stats-lease after the last request, autoscaled images always): the first request after a " +
				"lapse waits for one sampling round, and cpu_percent follows with the next one.",
			Parameters: openapi3.Parameters{image},
			Responses: authed(map[int]*openapi3.ResponseRef{
				200: jsonResponse(s, "The sampled health.", exampleHealth),
				422: respRef("ValidationFailed"),
			}),
		}}),

		openapi3.WithPath("/containers", &openapi3.PathItem{Get: &openapi3.Operation{
			Tags: []string{"containers"}, OperationID: "listContainers", Summary: "All managed containers",
			Description: "The containers this orchestrator manages (found by its label), of every image, by name.",
			Responses: authed(map[int]*openapi3.ResponseRef{
				200: jsonResponse(s, "The containers.", wire.ContainerList{Containers: []wire.Container{exampleContainer}}),
				500: respRef("InternalError"),
			}),
		}}),

		openapi3.WithPath("/containers/{name_or_id}", &openapi3.PathItem{
			Patch: &openapi3.Operation{
				Tags: []string{"containers"}, OperationID: "patchContainer", Summary: "Stop (hold) or start a container",
				Description: "`stopped` holds the container stopped: the reconciler no longer counts, starts or removes it, " +
					"and creates a replacement. `running` releases the hold and starts it. Only managed containers; any " +
					"other name or id is 404.",
				Parameters:  openapi3.Parameters{nameOrID},
				RequestBody: jsonBody("The original PatchContainerRequest.", schemaRef("PatchContainerRequest"), map[string]string{"status": "stopped"}),
				Responses: authed(map[int]*openapi3.ResponseRef{
					200: jsonResponse(s, "The container, after the change.", wire.Patched{
						OK: true, ContainerID: exampleContainer.ContainerID, Name: exampleContainer.Name, Status: "exited", Ports: wire.Ports{}}),
					400: respRef("BadContainerRequest"),
					404: respRef("ContainerNotFound"),
					413: respRef("PayloadTooLarge"),
					422: respRef("ValidationFailed"),
					500: respRef("InternalError"),
				}),
			},
			Delete: &openapi3.Operation{
				Tags: []string{"containers"}, OperationID: "deleteContainer", Summary: "Remove a container",
				Description: "Stops a running container (with a short timeout) unless force is set, then removes it. " +
					"The reconciler replaces it on its next pass. Only managed containers; any other name or id is 404.",
				Parameters: openapi3.Parameters{nameOrID, {Value: &openapi3.Parameter{
					Name: "force", In: openapi3.ParameterInQuery,
					Description: "Remove without stopping first. FastAPI's booleans: true/false, 1/0, yes/no, on/off.",
					Schema:      &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeBoolean}, Default: false}},
				}}},
				Responses: authed(map[int]*openapi3.ResponseRef{
					200: jsonResponse(s, "The container is removed.", wire.ContainerDeleted{
						Deleted: true, ContainerID: exampleContainer.ContainerID, Name: exampleContainer.Name}),
					400: respRef("BadContainerRequest"),
					404: respRef("ContainerNotFound"),
					422: respRef("ValidationFailed"),
					500: respRef("InternalError"),
				}),
			},
		}),

		openapi3.WithPath("/containers/{name_or_id}/logs", logsPathItem(s, nameOrID)),

		openapi3.WithPath("/events", eventsPathItem(s)),

		openapi3.WithPath("/git/sync", &openapi3.PathItem{Post: &openapi3.Operation{
			Tags: []string{"git"}, OperationID: "gitSync", Summary: "Fetch the git remote now",
			Description: "Only with `serve --git`. Fetches the followed branch and, when it moved, puts its head in place " +
				"(the state directory is swapped to the new revision whole), then answers with the remote's status. " +
				"`orchestrator sync` calls it.",
			Responses: authed(map[int]*openapi3.ResponseRef{
				200: jsonResponse(s, "The remote's status after the fetch.", exampleGit),
				502: detailResponse(s, "The remote could not be fetched (unreachable, refused, not a repository); "+
					"the revision in place stays.", wire.CodeGitUnavailable, "fetch ssh://git@git.example.com/shop.git: authentication required"),
			}),
		}}),

		openapi3.WithPath(hookPath, &openapi3.PathItem{Post: &openapi3.Operation{
			Tags: []string{"git"}, OperationID: "gitHook", Summary: "A push webhook of the git host",
			Description: "Only with `serve --git` and `--webhook-secret-file`, and the one route open without the API " +
				"token: the signature is its authentication. GitHub's `X-Hub-Signature-256`, Gitea's or Forgejo's " +
				"`X-Gitea-Signature` (the HMAC-SHA256 of the body with the secret) or GitLab's `X-Gitlab-Token`. A push " +
				"to the followed branch asks for a fetch (a burst of pushes is one fetch).",
			Security: public,
			RequestBody: &openapi3.RequestBodyRef{Value: &openapi3.RequestBody{Required: true, Description: "The host's push event; only its `ref` is read.",
				Content: openapi3.Content{"application/json": &openapi3.MediaType{Schema: &openapi3.SchemaRef{Value: openapi3.NewObjectSchema()},
					Example: map[string]string{"ref": "refs/heads/main"}}}}},
			Responses: responses(map[int]*openapi3.ResponseRef{
				200: jsonResponse(s, "A ping: nothing to fetch.", wire.HookAnswer{Reason: "ping"}),
				202: jsonResponse(s, "The push is fetched (accepted), or is to another branch (the reason).", wire.HookAnswer{Accepted: true}),
				401: detailResponse(s, "A missing or wrong signature: nothing is fetched.", wire.CodeUnauthorized, errBadSignature.detail.(string)),
				413: respRef("PayloadTooLarge"),
			}),
		}}),

		openapi3.WithPath("/openapi.json", &openapi3.PathItem{Get: &openapi3.Operation{
			Tags: []string{"meta"}, OperationID: "getOpenAPI", Summary: "This OpenAPI document",
			Responses: authed(map[int]*openapi3.ResponseRef{
				200: response("The OpenAPI 3.0.3 document.", jsonContent(&openapi3.SchemaRef{Value: openapi3.NewObjectSchema()}, nil)),
			}),
		}}),

		openapi3.WithPath("/docs", &openapi3.PathItem{Get: &openapi3.Operation{
			Tags: []string{"meta"}, OperationID: "getDocs", Summary: "A page that renders this document",
			Description: "Served from files embedded in the binary (no external resources): /docs or /docs/, and its assets below /docs/. " +
				"It needs no token (a browser cannot send one); the page asks for it and sends it with its own requests.",
			Security: public,
			Responses: responses(map[int]*openapi3.ResponseRef{
				200: response("The page.", openapi3.Content{"text/html": &openapi3.MediaType{Schema: &openapi3.SchemaRef{Value: openapi3.NewStringSchema()}}}),
			}),
		}}),

		openapi3.WithPath("/metrics", &openapi3.PathItem{Get: &openapi3.Operation{
			Tags: []string{"meta"}, OperationID: "getMetrics", Summary: "Prometheus metrics",
			Description: "Reconcile passes and durations, actions by kind and result, specs by health, each spec's " +
				"replicas and autoscaler recommendation, HTTP requests by route and code, and the Go and process " +
				"collectors, in the Prometheus text format.",
			Responses: authed(map[int]*openapi3.ResponseRef{
				200: response("The metrics.", openapi3.Content{"text/plain": &openapi3.MediaType{Schema: &openapi3.SchemaRef{Value: openapi3.NewStringSchema()}}}),
				404: respRef("NotFound"),
			}),
		}}),
	)
}
