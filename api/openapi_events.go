package api

// The document's event streams: GET /events and the logs' event stream.
// OpenAPI 3.0 has no words for Server-Sent Events, so the answer is
// text/event-stream (a string), its events are listed in prose, and the
// schema of each event's data is named in the operation's x-sse-events
// (event type → schema).

import (
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/orchestrator/orchestrator/api/wire"
)

// sseSecurity: the bearer header, or (what a browser's EventSource can
// send) the token as ?access_token=.
var sseSecurity = &openapi3.SecurityRequirements{{"bearerAuth": {}}, {"accessToken": {}}}

func sseContent(example string) openapi3.Content {
	return openapi3.Content{"text/event-stream": &openapi3.MediaType{Schema: &openapi3.SchemaRef{Value: openapi3.NewStringSchema()}, Example: example}}
}

func boolQuery(name, desc string, def bool) *openapi3.ParameterRef {
	return &openapi3.ParameterRef{Value: &openapi3.Parameter{
		Name: name, In: openapi3.ParameterInQuery, Description: desc + " FastAPI's booleans: true/false, 1/0, yes/no, on/off.",
		Schema: &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeBoolean}, Default: def}},
	}}
}

var accessTokenParam = &openapi3.ParameterRef{Value: &openapi3.Parameter{
	Name: "access_token", In: openapi3.ParameterInQuery,
	Description: "The server's token, for a client that cannot send the Authorization header (a browser's EventSource). " +
		"Taken on the event streams only; a URL may be logged by a proxy, so send the header when you can.",
	Schema: &openapi3.SchemaRef{Value: openapi3.NewStringSchema()},
}}

const eventsExample = "retry: 2000\n\n" +
	"id: 1764750000000001\nevent: file\ndata: {\"time\":\"2026-12-03T10:00:00.01Z\",\"path\":\"web.yaml\"}\n\n" +
	"id: 1764750000000002\nevent: container\ndata: {\"time\":\"2026-12-03T10:00:00.05Z\",\"image\":\"nginx:alpine\",\"id\":\"4f2a…\",\"action\":\"start\"}\n\n" +
	"id: 1764750000000003\nevent: action\ndata: {\"time\":\"2026-12-03T10:00:00.06Z\",\"image\":\"nginx:alpine\",\"kind\":\"create\",\"container\":\"nginx-alpine-3\",\"id\":\"4f2a…\",\"reason\":\"scale up to 3\",\"ok\":true}\n\n" +
	": ping\n\n"

func eventsPathItem(s *schemaSet) *openapi3.PathItem {
	return &openapi3.PathItem{Get: &openapi3.Operation{
		Tags: []string{"meta"}, OperationID: "streamEvents", Summary: "Live events (Server-Sent Events)",
		Description: "What happens, as it happens, for any SSE client (`curl -N`, a browser's EventSource). Each event has " +
			"an `id:` (increasing, also across restarts), an `event:` type, and one line of JSON as `data:` (its schema " +
			"is in x-sse-events):\n\n" +
			"- `action`: a reconciler action that ended, with its reason and result (ActionEvent);\n" +
			"- `status`: a spec's status that changed, as one item of GET /status's specs (SpecStatus), or " +
			"`{\"image\", \"removed\": true}` when the spec is gone (StatusRemovedEvent);\n" +
			"- `container`: an engine event about a managed container (ContainerEvent);\n" +
			"- `file`: a file of the state directory changed, seen by the watcher; no path when it is not known, as when " +
			"a git revision is swapped in whole (FileEvent);\n" +
			"- `git`: a revision of the remote was put in place, with serve --git (GitEvent);\n" +
			"- `reset`, without an id: the client resumed from an id whose next events are no longer kept (the last 1024 " +
			"are), or from an earlier run's; every kept event follows (ResetEvent).\n\n" +
			"A client that reconnects with `Last-Event-ID` (EventSource does) resumes after that id. An idle stream sends " +
			"`: ping` every 15 s. A client that falls 256 events behind is dropped (its stream ends; it resumes when it " +
			"reconnects): it never slows the reconciler or the other clients. The stream ends when the server shuts down.",
		Security: sseSecurity,
		Parameters: openapi3.Parameters{
			{Value: &openapi3.Parameter{
				Name: "since", In: openapi3.ParameterInQuery,
				Description: "Resume after this event id, as Last-Event-ID does (the header wins); 0 sends every kept event first.",
				Schema:      &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeInteger}, Format: "int64", Min: openapi3.Ptr(0.0)}},
			}},
			{Value: &openapi3.Parameter{
				Name: "Last-Event-ID", In: openapi3.ParameterInHeader,
				Description: "The id of the last event the client saw: the stream resumes after it.",
				Schema:      &openapi3.SchemaRef{Value: openapi3.NewStringSchema()},
			}},
			boolQuery("follow", "false: send the kept events (with since) and end.", true),
			accessTokenParam,
		},
		Responses: authed(map[int]*openapi3.ResponseRef{
			200: response("The event stream.", sseContent(eventsExample)),
			422: respRef("ValidationFailed"),
		}),
		Extensions: map[string]any{"x-sse-events": map[string]any{
			EventAction:    schemaOf[wire.ActionEvent](s),
			EventStatus:    &openapi3.SchemaRef{Value: &openapi3.Schema{OneOf: openapi3.SchemaRefs{schemaOf[wire.Status](s), schemaOf[wire.StatusRemoved](s)}}},
			EventContainer: schemaOf[wire.ContainerEvent](s),
			EventFile:      schemaOf[wire.FileEvent](s),
			EventGit:       schemaOf[wire.GitEvent](s),
			EventReset:     schemaOf[wire.ResetEvent](s),
		}},
	}}
}

const logsExample = "retry: 2000\n\n" +
	"event: log\ndata: {\"line\":\"level=INFO msg=listening addr=:8080\"}\n\n" +
	"event: dropped\ndata: {\"dropped\":1250}\n\n" +
	"event: end\ndata: {\"reason\":\"stopped\"}\n\n"

func logsPathItem(s *schemaSet, nameOrID *openapi3.ParameterRef) *openapi3.PathItem {
	return &openapi3.PathItem{Get: &openapi3.Operation{
		Tags: []string{"containers"}, OperationID: "containerLogs", Summary: "The logs of a container",
		Description: "What the container wrote, stdout and stderr interleaved, as plain text (`orchestrator logs`). " +
			"With follow, the answer streams new lines until the container stops or the client goes. Only managed " +
			"containers; any other name or id is 404.\n\n" +
			"Asked with `Accept: text/event-stream` (or `format=sse`), the answer is Server-Sent Events instead: a `log` " +
			"event per line (`{\"line\"}`, JSON, so any text is safe; a line over 16 KiB is cut and marked truncated), at " +
			"most 200 lines a second, with a `dropped` event (`{\"dropped\": n}`) for the lines over that rate, and " +
			"an `end` event (`{\"reason\": \"stopped\"}` with follow, `\"done\"` without) when the log ends: close the " +
			"EventSource then, or it reconnects. tail defaults to 200 there. An idle stream sends `: ping` every 15 s.",
		Security: sseSecurity,
		Parameters: openapi3.Parameters{nameOrID, boolQuery("follow", "Stream new lines as they are written.", false), {Value: &openapi3.Parameter{
			Name: "tail", In: openapi3.ParameterInQuery,
			Description: "Only the last N lines, or `all` (the default; 200 for an event stream).",
			Schema:      &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeString}, Pattern: "^(all|[0-9]+)$", Default: "all"}},
		}}, {Value: &openapi3.Parameter{
			Name: "format", In: openapi3.ParameterInQuery,
			Description: "sse: an event stream, as Accept: text/event-stream asks; text: plain text whatever the Accept.",
			Schema:      &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeString}, Enum: []any{"text", "sse"}}},
		}}, accessTokenParam},
		Responses: authed(map[int]*openapi3.ResponseRef{
			200: response("The container's output: plain text, or an event stream.", openapi3.Content{
				"text/plain":        &openapi3.MediaType{Schema: &openapi3.SchemaRef{Value: openapi3.NewStringSchema()}},
				"text/event-stream": sseContent(logsExample)["text/event-stream"],
			}),
			400: respRef("BadContainerRequest"),
			404: respRef("ContainerNotFound"),
			422: respRef("ValidationFailed"),
			500: respRef("InternalError"),
		}),
		Extensions: map[string]any{"x-sse-events": map[string]any{
			"log":     schemaOf[wire.LogLine](s),
			"dropped": schemaOf[wire.LogDropped](s),
			"end":     schemaOf[wire.LogEnd](s),
		}},
	}}
}
