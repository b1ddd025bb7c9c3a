package api

// What the document says of its schemas that the Go types cannot: the
// component names it has always used, descriptions (the wire types carry no
// schema tags, and Go comments are not in the binary), enums of values that
// the server writes as plain strings, and examples. Everything else in a
// schema is reflected (openapi_schemas.go). annotate refuses a note for a
// property that does not exist, so a renamed or removed field cannot leave
// a stale note behind.

import (
	"fmt"
	"reflect"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/orchestrator/orchestrator/api/wire"
	"github.com/orchestrator/orchestrator/reconciler"
	"github.com/orchestrator/orchestrator/spec"
)

// componentNames are the schemas whose name is not their Go type's: the
// names the document had before it was generated (clients generate their
// types from them), FastAPI's for its error bodies, and HealthCheck, which
// "Health" would confuse with a container's sampled health.
var componentNames = map[reflect.Type]string{
	reflect.TypeFor[wire.Started]():          "StartContainerResponse",
	reflect.TypeFor[wire.Reconciled]():       "PassResponse",
	reflect.TypeFor[wire.Replicas]():         "ReplicaRange",
	reflect.TypeFor[wire.Container]():        "ContainerSummary",
	reflect.TypeFor[wire.Ports]():            "DockerPorts",
	reflect.TypeFor[wire.Status]():           "SpecStatus",
	reflect.TypeFor[wire.Autoscale]():        "AutoscaleStatus",
	reflect.TypeFor[wire.Image]():            "ListedImage",
	reflect.TypeFor[wire.Written]():          "PutImageResponse",
	reflect.TypeFor[wire.Preview]():          "PutImageDryRun",
	reflect.TypeFor[wire.ImageDeleted]():     "DeleteImageResponse",
	reflect.TypeFor[wire.Patched]():          "PatchContainerResponse",
	reflect.TypeFor[wire.ContainerDeleted](): "DeleteContainerResponse",
	reflect.TypeFor[wire.Error]():            "HTTPError",
	reflect.TypeFor[wire.Issue]():            "ValidationError",
	reflect.TypeFor[spec.Health]():           "HealthCheck",
	reflect.TypeFor[wire.StatusRemoved]():    "StatusRemovedEvent",
	reflect.TypeFor[wire.LogLine]():          "LogLineEvent",
	reflect.TypeFor[wire.LogDropped]():       "LogDroppedEvent",
	reflect.TypeFor[wire.LogEnd]():           "LogEndEvent",
}

// note is what the document says of a schema or of one of its properties.
type note struct {
	desc    string
	title   string
	enum    []any
	example any
	edit    func(*openapi3.Schema) // anything else
}

func enum[T ~string](vs ...T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

var (
	alwaysTrue   = note{enum: []any{true}}
	dockerStatus = note{desc: "Docker's state word: created, running, restarting, paused, exited, removing or dead."}
	putResult    = note{enum: enum(spec.Created, spec.Configured, spec.Unchanged),
		desc: "In kubectl's words: created (a new document), configured (fields changed), unchanged (nothing to write)."}
	staleNote = note{enum: []any{true}, desc: "Present (true) when the file no longer gives a valid version of the " +
		"spec (it has errors, the image is written twice, or the directory holds no specs) and the reconciler keeps " +
		"this last good version in force: these fields, revision and source are the last good ones, and the " +
		"containers follow them (docs/design.md §3). Absent for a valid spec. Argo CD would show it OutOfSync " +
		"with a ComparisonError; the status is Degraded and not synced."}
	staleErrors = note{desc: "Why the files give no valid version of a stale spec, as file:line: field: message " +
		"(as GET /status's errors). Absent for a valid spec.",
		example: []any{`web.yaml:4: resources.memory: "12q" is not a size (use e.g. 256m, 1g)`}}
)

// propertyNotes apply to the property of that name in every reflected
// schema whose own notes do not name it.
var propertyNotes = map[string]note{
	"ok":           alwaysTrue,
	"deleted":      alwaysTrue,
	"container_id": {desc: "The full container id."},
	"name":         {desc: "The container's name."},
	"status":       dockerStatus,
	"source":       {desc: "Where the spec is written: file:line in the state directory."},
}

// schemaNotes are by component, then by property; "" is the schema itself.
var schemaNotes = map[string]map[string]note{
	"StartContainerResponse": {
		"": {desc: "The container of the image, in the state its spec asks for: running, or for a stopped spec created and not running."},
		"action": {enum: []any{"created", "kept-existing"},
			desc: "created: a pass made the container for this call; kept-existing: one was there already."},
	},
	"PatchContainerResponse":  {"": {desc: "The container after the change."}},
	"DeleteContainerResponse": {"": {desc: "The removed container."}},
	"ContainerSummary": {
		"":      {desc: "The original's container summary, plus the image whose spec it belongs to."},
		"image": {desc: "Beyond the original: the image (spec) the container belongs to."},
	},
	"ContainerList":   {"containers": {desc: "The managed containers, by name."}},
	"ImageContainers": {"containers": {desc: "The image's managed containers, by name."}},
	"ContainerHealth": {
		"": {desc: "A container's sampled health; a value that cannot be measured (yet) is null."},
		"server_alive": {desc: "A real probe (health.http_path, else TCP to the first published port); Docker's " +
			"HEALTHCHECK wins. null: nothing to probe."},
		"cpu_percent":   {desc: "The docker CLI's CPU %, from two samples."},
		"mem_percent":   {desc: "The docker CLI's memory %: usage less inactive file cache, over the limit."},
		"fs_free_bytes": {desc: "Free bytes of the filesystem of the engine's data root."},
		"node":          {desc: "serve --engine swarm: the node the task runs on. Absent on a single engine."},
		"slot":          {desc: "serve --engine swarm: the task's slot in its service. Absent on a single engine."},
		"stats_unavailable": {desc: "serve --engine swarm: why the values are null for a task on another node " +
			"(stats are sampled through the engine serve runs on). Absent when measured."},
	},
	"ImageHealth": {"health": {desc: "One per managed container of the image."}},
	"PortBinding": {
		"":         {desc: "One published port, as Docker has it."},
		"HostIp":   {example: "0.0.0.0"},
		"HostPort": {example: "32768"},
	},
	"DockerPorts": {"": {
		desc:    "Docker's NetworkSettings.Ports: \"port/proto\" to its bindings (null when the port is not published).",
		example: map[string]any{"80/tcp": []any{map[string]any{"HostIp": "0.0.0.0", "HostPort": "32768"}}},
		edit:    func(s *openapi3.Schema) { s.AdditionalProperties.Schema.Value.Nullable = true },
	}},
	"Action": {
		"":             {desc: "One thing a reconcile pass did."},
		"action":       {enum: enum(reconciler.KindCreate, reconciler.KindStart, reconciler.KindStop, reconciler.KindRemove)},
		"container_id": {desc: "The container's id (empty for a create that failed)."},
		"ok":           {desc: "Whether it succeeded."},
		"error":        {desc: "Why it failed; absent when ok."},
	},
	"ReplicaRange": {"": {desc: "The spec's min_replicas and max_replicas."}},
	"PassResponse": {
		"":        {desc: "What the reconcile passes after the call did for the image, and its containers after them."},
		"current": {desc: "The image's containers after the pass."},
	},
	"SpecStatus": {
		"":               {desc: "What the reconciler knows of the spec after its last pass (docs/design.md §7)."},
		"synced":         {desc: "The actual state equals the desired state."},
		"health":         {enum: enum(reconciler.Healthy, reconciler.Progressing, reconciler.Degraded, reconciler.Missing, reconciler.Stopped)},
		"desired":        {desc: "How many containers should run."},
		"ready":          {desc: "Containers of the current spec that are ready."},
		"running":        {desc: "Containers that run."},
		"revision":       {desc: "The revision in force."},
		"last_error":     {desc: "The file's error, or the engine's (e.g. \"image not found locally and pull failed: ...\"); absent when none."},
		"message":        {desc: "Why it has not converged yet; absent when it has."},
		"last_reconcile": {desc: "When the last pass ran."},
	},
	"AutoscaleStatus": {
		"": {desc: "The CPU autoscaler's view of an autoscaled spec (max_replicas > min_replicas, autoscale.enabled not " +
			"false, status running); absent for the others. Runtime state: it is never written to the spec file."},
		"target_cpu_percent": {desc: "autoscale.target_cpu_percent, defaulted (70)."},
		"utilization_percent": {desc: "Mean CPU of the ready containers that have run 30 s and have a metric, in percent " +
			"of the CPU limit (of one core without a limit); null without data."},
		"recommendation": {desc: "The replica count the reconciler aims at: the autoscaler's, clamped to " +
			"[max(min_replicas,1), max_replicas] as the spec is now."},
		"reason": {desc: "How the recommendation was reached.", example: "cpu 182% of target → 4"},
	},
	"StatusList": {
		"specs":  {desc: "One per spec a pass has seen."},
		"errors": {desc: "Every error of the state directory as of the last pass, as file:line: field: message."},
	},
	"EngineStatus": {
		"":          {desc: "The engine as the last pass saw it (absent before the first pass): whether it answered the listing."},
		"available": {desc: "false while the engine cannot be reached or does not answer within --engine-timeout."},
		"error":     {desc: "Why the engine is unavailable; absent when it is available."},
		"since":     {desc: "When the engine became available, or unavailable."},
	},
	"ListedImage": {
		"":         {desc: "A spec as GET /images lists it: the spec's fields, plus its revision and source."},
		"revision": {desc: "The spec's revision (its ETag)."},
		"stale":    staleNote,
		"errors":   staleErrors,
	},
	"ImageList": {"images": {desc: "The valid specs of the state directory, and the stale specs still in force " +
		"(stale: true), by image."}},
	"ImageDetail": {
		"":         {desc: "A spec, where it is written, and its status (absent before the first pass over it)."},
		"revision": {desc: "The spec's revision: its ETag (none for a stale spec)."},
		"stale":    staleNote,
		"errors":   staleErrors,
	},
	"PutImageResponse": {
		"":         {desc: "What the write did."},
		"result":   putResult,
		"revision": {desc: "The spec's new revision: its ETag."},
		"warnings": {desc: "What does not stop the write: the image is not present on the server's engine " +
			"(the spec is written all the same; serve tries to pull it, and the spec fails until it can)."},
	},
	"PutImageDryRun": {
		"":        {desc: "What the write would do; nothing is written."},
		"result":  putResult,
		"file":    {desc: "The file that would be written, relative to the state directory."},
		"before":  {desc: "The file now; empty when it would be created."},
		"after":   {desc: "The file after the write."},
		"dry_run": alwaysTrue,
	},
	"DeleteImageResponse": {"source": {desc: "Where the spec was written: file:line."}},
	"HTTPError": {
		"": {desc: "The body of every error: the original's detail, and a stable code for clients that must not " +
			"parse English (docs/design.md §12)."},
		"detail": {desc: "What went wrong.", edit: func(s *openapi3.Schema) { s.Type = &openapi3.Types{openapi3.TypeString} }},
		"code":   {enum: enum(wire.Codes...), desc: "The kind of error; each goes with one status (docs/design.md §12)."},
		"errors": {desc: "The problems of a broken file (code broken_file), as data."},
	},
	"HTTPValidationError": {"": {desc: "A 422: FastAPI's list of issues as the detail, and the code spec_invalid."}},
	"FileError": {
		"": {desc: "One problem of a document in the state directory."},
	},
	"ValidationError": {
		"": {desc: "One issue of a 422, as FastAPI (pydantic) reports it."},
		"loc": {title: "Location", desc: "Where: body, path or query, then the field's path.", edit: func(s *openapi3.Schema) {
			s.Items = &openapi3.SchemaRef{Value: &openapi3.Schema{AnyOf: openapi3.SchemaRefs{
				{Value: &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeString}}},
				{Value: &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeInteger}}},
			}}}
		}},
		"msg":  {title: "Message"},
		"type": {title: "Error Type", desc: "pydantic's error type, e.g. missing, int_parsing, value_error."},
	},
	"ActionEvent": {
		"":          {desc: "The data of an action event of GET /events: a reconciler action that ended."},
		"time":      {desc: "When it ended."},
		"kind":      {enum: enum(reconciler.KindCreate, reconciler.KindStart, reconciler.KindStop, reconciler.KindRemove)},
		"container": {desc: "The container's name."},
		"id":        {desc: "The container's id; empty for a create that made none."},
		"reason":    {desc: "Why the reconciler took it.", example: "scale up to 3"},
		"ok":        {desc: "Whether it succeeded."},
		"error":     {desc: "Why it failed; absent when ok."},
	},
	"StatusRemovedEvent": {
		"":        {desc: "The data of a status event of GET /events for a spec whose status is gone (its spec was deleted)."},
		"removed": alwaysTrue,
	},
	"ContainerEvent": {
		"":       {desc: "The data of a container event of GET /events: an engine event about a managed container."},
		"time":   {desc: "The engine's time of the event."},
		"id":     {desc: "The container's id."},
		"action": {desc: "The engine's action.", example: "start"},
	},
	"FileEvent": {
		"":     {desc: "The data of a file event of GET /events: the watcher saw a change in the state directory."},
		"path": {desc: "The file (or directory) that changed, relative to the state directory; absent when not known (a git revision swapped in whole, a rescan).", example: "web.yaml"},
	},
	"GitEvent": {
		"":     {desc: "The data of a git event of GET /events: a revision of the remote is in place (serve --git)."},
		"time": {desc: "When it was put in place."},
	},
	"ResetEvent": {
		"":              {desc: "The data of the reset event of GET /events: events after last_event_id are lost, and every kept event follows."},
		"last_event_id": {desc: "The id the client resumed from."},
		"oldest":        {desc: "The oldest id kept; 0 when none is."},
	},
	"LogLineEvent": {
		"":          {desc: "The data of a log event: one line the container wrote."},
		"truncated": {desc: "Present (true) when the line was longer than 16 KiB and is cut.", enum: []any{true}},
	},
	"LogDroppedEvent": {"": {desc: "The data of a dropped event: how many lines were not sent, over the stream's 200 a second."}},
	"LogEndEvent": {
		"":       {desc: "The data of the end event: the log ended. Close the EventSource, or it reconnects."},
		"reason": {enum: []any{"stopped", "done"}, desc: "stopped: the container stopped (follow); done: every line was sent."},
	},
	"ScaleRequest": {"": {desc: "The original ScaleRequest: the spec's min_replicas and max_replicas. " +
		"min_replicas > max_replicas is 422."}},
	"PatchContainerRequest": {
		"":       {desc: "The original PatchContainerRequest."},
		"status": {desc: "stopped holds the container stopped (the reconciler replaces it); running releases it and starts it."},
	},
}

// annotate applies the notes of component name to s; shared adds the
// propertyNotes, which are for the reflected wire types.
func annotate(name string, s *openapi3.Schema, shared bool) {
	own := schemaNotes[name]
	if n, ok := own[""]; ok {
		n.apply(s)
	}
	for prop, n := range own {
		if prop == "" {
			continue
		}
		p := s.Properties[prop]
		if p == nil || p.Value == nil {
			panic(fmt.Sprintf("api: schemaNotes[%q] names %q, which is no inline property of it", name, prop))
		}
		n.apply(p.Value)
	}
	if !shared {
		return
	}
	for prop, p := range s.Properties {
		_, mine := own[prop]
		if n, ok := propertyNotes[prop]; ok && !mine && p.Value != nil {
			n.apply(p.Value)
		}
	}
}

func (n note) apply(s *openapi3.Schema) {
	if n.desc != "" {
		s.Description = n.desc
	}
	if n.title != "" {
		s.Title = n.title
	}
	if n.enum != nil {
		s.Enum = n.enum
	}
	if n.example != nil {
		s.Example = n.example
	}
	if n.edit != nil {
		n.edit(s)
	}
}
