package api_test

import (
	"net/http"
	"strings"

	"github.com/orchestrator/orchestrator/api/wire"
)

// badRequests is the request half of TestFaultBadInputChangesNothing, over
// faultEnv: web:v1 (containers web-v1-1 and web-v1-2), the broken api:v1,
// the twice-written nginx:alpine, cache:v1 without a spec.
func badRequests() []badRequest {
	var out []badRequest
	out = append(out, badStartBodies()...)
	out = append(out, badOtherBodies()...)
	out = append(out, badPaths()...)
	out = append(out, badQueries()...)
	out = append(out, badMethods()...)
	out = append(out, badPreconditionsAndSizes()...)
	out = append(out, badStates()...)
	return out
}

const faultRes = `"resources":{"cpu":"0.5","memory":"64m"}`

// invalidBody is a 422 of a body, with want in the answer.
func invalidBody(name, method, path, body, want string) badRequest {
	return badRequest{kind: "body", name: name, method: method, path: path, body: body,
		status: http.StatusUnprocessableEntity, code: wire.CodeSpecInvalid, want: want}
}

// badStartBodies are bodies of POST /start/container for cache:v1, which
// the engine has: a body wrongly taken would write cache_v1.yaml and start
// a container.
func badStartBodies() []badRequest {
	start := func(name, body, want string) badRequest {
		return invalidBody("start: "+name, "POST", "/start/container", body, want)
	}
	// with is a start body of cache:v1 with fields and valid resources.
	with := func(fields string) string { return `{"image":"cache:v1",` + fields + `,` + faultRes + `}` }
	res := func(resources string) string { return `{"image":"cache:v1","resources":` + resources + `}` }
	long := strings.Repeat("a", 300)
	return []badRequest{
		// not a JSON object
		start("malformed JSON", `{"image":`, `"type":"json_invalid"`),
		start("trailing garbage", `{"image":"cache:v1","resources":{}} {}`, `"type":"json_invalid"`),
		start("empty body", ``, `"loc":["body"],"msg":"Field required","type":"missing"`),
		start("null", `null`, `"type":"model_attributes_type"`),
		start("a list", `[{"image":"cache:v1","resources":{}}]`, `"type":"model_attributes_type"`),
		start("a number", `42`, `"type":"model_attributes_type"`),
		// image
		start("image missing", `{`+faultRes+`}`, `"loc":["body","image"],"msg":"is required","type":"missing"`),
		start("image a number", `{"image":5,`+faultRes+`}`, `"loc":["body","image"],"msg":"must be a string`),
		start("image empty", `{"image":"",`+faultRes+`}`, `"loc":["body","image"]`),
		start("image upper case", `{"image":"Cache:v1",`+faultRes+`}`, `must be lowercase`),
		start("image too long", `{"image":"`+long+`:v1",`+faultRes+`}`, `"loc":["body","image"]`),
		start("image climbing out", `{"image":"../../etc/passwd",`+faultRes+`}`, `"loc":["body","image"]`),
		start("image absolute", `{"image":"/etc/passwd",`+faultRes+`}`, `is not a valid image reference`),
		start("image with a NUL", `{"image":"cache:v1\u0000",`+faultRes+`}`, `is not a valid image reference`),
		// replicas
		start("min_replicas a word", with(`"min_replicas":"two"`), `"loc":["body","min_replicas"],"msg":"must be an integer, got string \"two\"","type":"int_parsing"`),
		start("min_replicas negative", with(`"min_replicas":-1`), `"loc":["body","min_replicas"],"msg":"must be >= 0, got -1","type":"greater_than_equal"`),
		start("min_replicas a fraction", with(`"min_replicas":1.5`), `"loc":["body","min_replicas"],"msg":"must be an integer, got number 1.5"`),
		start("min_replicas a boolean", with(`"min_replicas":true`), `"msg":"must be an integer, got boolean true"`),
		start("min_replicas huge", with(`"min_replicas":1e20`), `"loc":["body","min_replicas"]`),
		start("max_replicas null", with(`"max_replicas":null`), `"loc":["body","max_replicas"],"msg":"must be an integer, got null"`),
		start("max_replicas 0", with(`"max_replicas":0`), `"loc":["body","max_replicas"],"msg":"must be >= 1, got 0"`),
		start("max_replicas below min_replicas", with(`"min_replicas":3,"max_replicas":2`), `"msg":"3 is greater than max_replicas 2"`),
		// ports
		start("ports a list", with(`"ports":[80]`), `"loc":["body","ports"]`),
		start("port key a word", with(`"ports":{"http":0}`), `"loc":["body","ports","http"]`),
		start("port key 0", with(`"ports":{"0":0}`), `"loc":["body","ports","0"]`),
		start("port key out of range", with(`"ports":{"70000/tcp":0}`), `"loc":["body","ports","70000/tcp"]`),
		start("port key of an unknown protocol", with(`"ports":{"80/sctp":0}`), `"loc":["body","ports","80/sctp"]`),
		start("the same port twice", with(`"ports":{"80":0,"80/tcp":0}`), `"loc":["body","ports"`),
		start("host port negative", with(`"max_replicas":1,"ports":{"80":-1}`), `host port must be 0-65535`),
		start("host port out of range", with(`"max_replicas":1,"ports":{"80":70000}`), `host port must be 0-65535`),
		start("host port a word", with(`"max_replicas":1,"ports":{"80":"eighty"}`), `must be an integer`),
		start("fixed host port, many replicas", with(`"ports":{"80":8080}`), `two replicas cannot bind one host port`),
		// env
		start("env a list", with(`"env":["A=1"]`), `"loc":["body","env"]`),
		start("env value a number", with(`"env":{"PORT":8080}`), `"loc":["body","env","PORT"],"msg":"must be a string, got integer 8080`),
		start("env value a boolean", with(`"env":{"DEBUG":true}`), `"loc":["body","env","DEBUG"],"msg":"must be a string, got boolean true`),
		start("env value null", with(`"env":{"A":null}`), `"loc":["body","env","A"],"msg":"must be a string, got null"`),
		start("env value an object", with(`"env":{"A":{"b":"c"}}`), `"loc":["body","env","A"]`),
		start("env value with a NUL", with(`"env":{"A":"x\u0000y"}`), `"msg":"value must not contain a NUL byte"`),
		start("env name starting with a digit", with(`"env":{"1BAD":"x"}`), `"loc":["body","env","1BAD"]`),
		start("env name with =", with(`"env":{"A=B":"x"}`), `"loc":["body","env","A=B"]`),
		start("env name empty", with(`"env":{"":"x"}`), `is not a valid variable name`),
		// resources
		start("resources missing", `{"image":"cache:v1"}`, `"loc":["body","resources"],"msg":"is required`),
		start("resources a string", res(`"big"`), `"loc":["body","resources"],"msg":"must be a mapping`),
		start("resources null", res(`null`), `"loc":["body","resources"]`),
		start("cpu a word", res(`{"cpu":"lots"}`), `"loc":["body","resources","cpu"],"msg":"\"lots\" is not a CPU quantity`),
		start("cpu a number", res(`{"cpu":0.5}`), `must be a string, got number 0.5; quote it`),
		start("cpu negative", res(`{"cpu":"-0.5"}`), `"loc":["body","resources","cpu"]`),
		start("cpu zero", res(`{"cpu":"0"}`), `must be > 0`),
		start("cpu more than the host", res(`{"cpu":"64"}`), `is more than the host's 2 CPUs`),
		start("cpu too precise", res(`{"cpu":"0.0000000001"}`), `is too precise`),
		start("memory not a size", res(`{"memory":"12q"}`), `"msg":"\"12q\" is not a size (use e.g. 256m, 1g)"`),
		start("memory a number", res(`{"memory":67108864}`), `"loc":["body","resources","memory"],"msg":"must be a string`),
		start("memory negative", res(`{"memory":"-64m"}`), `"loc":["body","resources","memory"]`),
		start("memory too small", res(`{"memory":"1m"}`), `below the engine's minimum of 6 MiB`),
		start("status paused", res(`{"status":"paused"}`), `"loc":["body","resources","status"],"msg":"must be \"running\" or \"stopped\", got \"paused\"","type":"literal_error"`),
		start("status upper case", res(`{"status":"RUNNING"}`), `"loc":["body","resources","status"]`),
		start("status a number", res(`{"status":1}`), `"loc":["body","resources","status"]`),
		// unknown fields
		start("unknown field", with(`"replicas":3`), `"loc":["body","replicas"],"msg":"unknown field`),
		start("unknown resources field", res(`{"cpus":"1"}`), `"loc":["body","resources","cpus"]`),
		// extensions
		start("autoscale target 0", with(`"autoscale":{"target_cpu_percent":0}`), `must be 1-100`),
		start("autoscale target 101", with(`"autoscale":{"target_cpu_percent":101}`), `must be 1-100`),
		start("autoscale enabled a word", with(`"autoscale":{"enabled":"yes"}`), `"loc":["body","autoscale","enabled"]`),
		start("stabilization not a duration", with(`"autoscale":{"scale_down_stabilization":"forever"}`), `"loc":["body","autoscale","scale_down_stabilization"]`),
		start("stabilization over 1h", with(`"autoscale":{"scale_down_stabilization":"2h"}`), `"loc":["body","autoscale","scale_down_stabilization"]`),
		start("health path without /", with(`"ports":{"80":0},"health":{"http_path":"healthz"}`), `must start with \"/\"`),
		start("health interval below 1s", with(`"ports":{"80":0},"health":{"interval":"10ms"}`), `"loc":["body","health","interval"]`),
		start("health port not a port of the spec", with(`"ports":{"80":0},"health":{"port":"81/tcp"}`), `"loc":["body","health","port"]`),
		// runtime fields
		start("volume without a target", with(`"volumes":["data"]`), `"loc":["body","volumes","0"],"msg":"\"data\" is not SOURCE:/path[:ro]`),
		start("volume target relative", with(`"volumes":["data:data"]`), `"loc":["body","volumes","0"]`),
		start("volume mode unknown", with(`"volumes":["data:/data:rx"]`), `unknown mode \"rx\"`),
		start("volume climbing out with ../", with(`"volumes":["../etc:/etc"]`), `"loc":["body","volumes","0"]`),
		start("volume climbing out of ./", with(`"volumes":["./a/../../b:/b"]`), `stays below the spec's directory (no ..)`),
		start("bind mount outside the allowed roots", with(`"volumes":["/etc:/etc"]`), `outside the allowed roots`),
		start("bind mount of an unclean path", with(`"volumes":["/srv//x:/x"]`), `the host path must be clean`),
		start("two volumes at one target", with(`"volumes":["a:/data","b:/data"]`), `/data is mounted twice`),
		start("volumes a string", with(`"volumes":"data:/data"`), `"msg":"must be a list of strings`),
		start("tmpfs relative", with(`"tmpfs":["run"]`), `"loc":["body","tmpfs","0"]`),
		start("reserved label", with(`"labels":{"orchestrator.slot":"9"}`), `"loc":["body","labels","orchestrator.slot"]`),
		start("reserved label managed-by", with(`"labels":{"orchestrator.managed-by":"me"}`), `is reserved`),
		start("label value a number", with(`"labels":{"team":5}`), `"loc":["body","labels","team"]`),
		start("restart unknown", with(`"restart":"sometimes"`), `"loc":["body","restart"],"msg":"must be unless-stopped, always, on-failure, on-failure:N or no`),
		start("restart on-failure:-1", with(`"restart":"on-failure:-1"`), `"type":"literal_error"`),
		start("restart on-failure:x", with(`"restart":"on-failure:x"`), `"loc":["body","restart"]`),
		start("healthcheck without a test", with(`"healthcheck":{"interval":"5s"}`), `"loc":["body","healthcheck","test"],"msg":"is required`),
		start("healthcheck test of an unknown kind", with(`"healthcheck":{"test":["RUN","x"]}`), `must start with CMD, CMD-SHELL or NONE`),
		start("healthcheck interval without a unit", with(`"healthcheck":{"test":"true","interval":"5"}`), `"loc":["body","healthcheck","interval"]`),
		start("healthcheck interval a number", with(`"healthcheck":{"test":"true","interval":5}`), `quote it: \"5\"`),
		start("healthcheck timeout negative", with(`"healthcheck":{"test":"true","timeout":"-1s"}`), `"loc":["body","healthcheck","timeout"]`),
		start("healthcheck start_period below 1ms", with(`"healthcheck":{"test":"true","start_period":"1us"}`), `must be at least 1ms, got 1us`),
		start("healthcheck retries negative", with(`"healthcheck":{"test":"true","retries":-1}`), `"loc":["body","healthcheck","retries"]`),
		start("command with a NUL", with(`"command":["a\u0000b"]`), `"loc":["body","command","0"],"msg":"must not contain a NUL byte"`),
		start("entrypoint with a NUL", with(`"entrypoint":["sh\u0000"]`), `"loc":["body","entrypoint","0"]`),
		start("command a number", with(`"command":5`), `"msg":"must be a string or a list of strings, got integer 5"`),
		start("network name bad", with(`"networks":["Bad Name!"]`), `"loc":["body","networks","0"]`),
		start("network name empty", with(`"networks":[""]`), `is not a network`),
		start("network host", with(`"networks":["host"]`), `is the engine's own network`),
		start("networks a map", with(`"networks":{"shop":{}}`), `"loc":["body","networks"]`),
		start("name bad", with(`"name":"-web"`), `"loc":["body","name"]`),
		start("working_dir relative", with(`"working_dir":"app"`), `must be an absolute path`),
		start("user bad", with(`"user":"root:wheel:x"`), `"loc":["body","user"]`),
		start("hostname too long", with(`"hostname":"`+strings.Repeat("h", 60)+`"`), `"loc":["body","hostname"]`),
		start("stop_signal unknown", with(`"stop_signal":"SIGNOPE"`), `is not a signal`),
		start("stop_grace_period over 1h", with(`"stop_grace_period":"2h"`), `"loc":["body","stop_grace_period"]`),
		start("cap_add bad", with(`"cap_add":["net admin"]`), `is not a capability`),
		start("security_opt bad", with(`"security_opt":["Bad Opt"]`), `is not a security option`),
		start("extra_hosts bad", with(`"extra_hosts":["nohost"]`), `"loc":["body","extra_hosts","0"]`),
		start("dns not an address", with(`"dns":["one.one.one.one"]`), `is not an IP address`),
		start("logging options without a driver", with(`"logging":{"options":{"max-size":"10m"}}`), `options need a driver`),
		start("depends_on its own name", with(`"depends_on":["cache"]`), `is this spec's own name`),
		start("read_only a word", with(`"read_only":"yes"`), `"loc":["body","read_only"]`),
		start("remove_volumes_on_prune a number", with(`"remove_volumes_on_prune":1`), `"loc":["body","remove_volumes_on_prune"]`),
	}
}

// badOtherBodies are bodies of PUT /images/web:v1 (a body wrongly taken
// would edit web_v1.yaml), POST .../scale and PATCH /containers/....
func badOtherBodies() []badRequest {
	put := func(name, body, want string) badRequest {
		return invalidBody("PUT: "+name, "PUT", "/images/web:v1", body, want)
	}
	with := func(fields string) string { return `{"image":"web:v1",` + fields + `,` + faultRes + `}` }
	scale := func(name, body, want string) badRequest {
		return invalidBody("scale: "+name, "POST", "/images/web:v1/scale", body, want)
	}
	patch := func(name, body, want string) badRequest {
		return invalidBody("PATCH: "+name, "PATCH", "/containers/web-v1-1", body, want)
	}
	return []badRequest{
		put("malformed JSON", `{"image":"web:v1",`, `"type":"json_invalid"`),
		put("empty body", ``, `"msg":"Field required","type":"missing"`),
		put("another image than the path's", `{"image":"api:v1",`+faultRes+`}`, `does not match the image of the path`),
		put("image missing", `{"min_replicas":1,`+faultRes+`}`, `"loc":["body","image"],"msg":"is required"`),
		put("min_replicas a word", with(`"min_replicas":"one"`), `"type":"int_parsing"`),
		put("min_replicas negative", with(`"min_replicas":-2`), `"type":"greater_than_equal"`),
		put("max_replicas below min_replicas", with(`"min_replicas":4,"max_replicas":1`), `4 is greater than max_replicas 1`),
		put("port key bad", with(`"ports":{"80/tcp/x":0}`), `"loc":["body","ports","80/tcp/x"]`),
		put("host port a word", with(`"max_replicas":1,"ports":{"80":"x"}`), `must be an integer`),
		put("env value a boolean", with(`"env":{"DEBUG":false}`), `quote it`),
		put("env name bad", with(`"env":{"A-B":"x"}`), `"loc":["body","env","A-B"]`),
		put("cpu bad", `{"image":"web:v1","resources":{"cpu":"1.2.3"}}`, `"loc":["body","resources","cpu"]`),
		put("memory bad", `{"image":"web:v1","resources":{"memory":"lots"}}`, `is not a size`),
		put("status bad", `{"image":"web:v1","resources":{"status":"paused"}}`, `"type":"literal_error"`),
		put("resources missing", `{"image":"web:v1"}`, `"loc":["body","resources"]`),
		put("unknown field", with(`"replica":2`), `"loc":["body","replica"],"msg":"unknown field`),
		put("bind mount outside the allowed roots", with(`"volumes":["/var/run/docker.sock:/var/run/docker.sock"]`), `outside the allowed roots`),
		put("reserved label", with(`"labels":{"orchestrator.instance":"x"}`), `is reserved`),
		put("restart bad", with(`"restart":"never"`), `"loc":["body","restart"]`),
		put("healthcheck duration bad", with(`"healthcheck":{"test":"true","interval":"soon"}`), `"loc":["body","healthcheck","interval"]`),
		put("command with a NUL", with(`"command":"run\u0000now"`), `"loc":["body","command"`),
		put("network name bad", with(`"networks":["a/b"]`), `"loc":["body","networks","0"]`),

		scale("max_replicas missing", `{"min_replicas":1}`, `"loc":["body","max_replicas"],"msg":"Field required","type":"missing"`),
		scale("min_replicas negative", `{"min_replicas":-1,"max_replicas":2}`, `"type":"greater_than_equal"`),
		scale("max_replicas 0", `{"min_replicas":0,"max_replicas":0}`, `"loc":["body","max_replicas"]`),
		scale("min_replicas above max_replicas", `{"min_replicas":4,"max_replicas":2}`, `4 is greater than max_replicas 2`),
		scale("not JSON", `min=1`, `"type":"json_invalid"`),
		scale("empty body", ``, `"msg":"Field required"`),
		scale("a list", `[1,2]`, `"type":"model_attributes_type"`),
		scale("extra field", `{"min_replicas":1,"max_replicas":2,"force":true}`, `"loc":["body","force"],"msg":"Extra inputs are not permitted"`),
		scale("min_replicas a word", `{"min_replicas":"one","max_replicas":2}`, `"type":"int_parsing"`),
		scale("min_replicas a fraction", `{"min_replicas":1.5,"max_replicas":2}`, `"type":"int_parsing"`),
		scale("max_replicas null", `{"min_replicas":1,"max_replicas":null}`, `"loc":["body","max_replicas"]`),

		patch("status unknown", `{"status":"paused"}`, `"loc":["body","status"],"msg":"Input should be 'running' or 'stopped'","type":"literal_error"`),
		patch("status a number", `{"status":1}`, `"type":"literal_error"`),
		patch("status missing", `{}`, `"loc":["body","status"],"msg":"Field required"`),
		patch("no body", ``, `Field required`),
		patch("extra field", `{"status":"stopped","now":true}`, `"type":"extra_forbidden"`),
		patch("not JSON", `status=stopped`, `"type":"json_invalid"`),
	}
}

// badPaths are bad image and container names on every route that takes
// one.
func badPaths() []badRequest {
	image := func(name, method, path, body string) badRequest {
		return badRequest{kind: "path", name: name, method: method, path: path, body: body,
			status: http.StatusUnprocessableEntity, code: wire.CodeSpecInvalid, want: `"loc":["path","image"]`}
	}
	missing := func(name, method, path, body string, code wire.Code, want string) badRequest {
		return badRequest{kind: "path", name: name, method: method, path: path, body: body,
			status: http.StatusNotFound, code: code, want: want}
	}
	long := strings.Repeat("a", 300) + ":v1"
	scaleBody := `{"min_replicas":1,"max_replicas":2}`
	return []badRequest{
		image("GET an image climbing out", "GET", "/images/..%2F..%2Fetc%2Fpasswd", ""),
		image("GET an image climbing out, unencoded", "GET", "/images/../../etc/passwd", ""),
		image("PUT an upper case image", "PUT", "/images/Web:V1", `{"image":"Web:V1","resources":{}}`),
		image("DELETE an absolute image", "DELETE", "/images/%2Fetc%2Fpasswd", ""),
		image("scale an image climbing out", "POST", "/images/..%2F..%2Fetc%2Fx/scale", scaleBody),
		image("scale a too long image", "POST", "/images/"+long+"/scale", scaleBody),
		image("reconcile an image with two colons", "POST", "/images/web::v1/reconcile", ""),
		image("containers of an image with a space", "GET", "/images/web:v1%20x/containers", ""),
		image("health of an image with a NUL", "GET", "/images/web:v1%00/health", ""),
		image("an unknown action as part of the image", "GET", "/images/web:v1/nope", ""),
		image("PUT an empty tag", "PUT", "/images/web:", `{"image":"web:","resources":{}}`),
		missing("scale an empty image", "POST", "/images//scale", scaleBody, wire.CodeNoRoute, `"detail":"Not Found"`),
		missing("GET an unknown image", "GET", "/images/nope:v1", "", wire.CodeNotFound, `no spec for image 'nope:v1'`),
		missing("DELETE an unknown image", "DELETE", "/images/nope:v1", "", wire.CodeNotFound, `no spec for image 'nope:v1'`),
		missing("reconcile an unknown image", "POST", "/images/nope:v1/reconcile", "", wire.CodeNotFound, `no spec for image 'nope:v1'`),
		missing("PATCH an unknown container", "PATCH", "/containers/nope", `{"status":"stopped"}`, wire.CodeNotFound, `"detail":"Container 'nope' not found"`),
		missing("PATCH a container not ours", "PATCH", "/containers/not-ours", `{"status":"stopped"}`, wire.CodeNotFound, `Container 'not-ours' not found`),
		missing("PATCH a container climbing out", "PATCH", "/containers/..%2F..%2Fetc", `{"status":"running"}`, wire.CodeNotFound, `not found`),
		missing("DELETE an unknown container", "DELETE", "/containers/nope?force=true", "", wire.CodeNotFound, `Container 'nope' not found`),
		missing("DELETE a container not ours", "DELETE", "/containers/not-ours?force=true", "", wire.CodeNotFound, `Container 'not-ours' not found`),
		missing("DELETE a container named NUL", "DELETE", "/containers/%00", "", wire.CodeNotFound, `not found`),
		missing("logs of a container not ours", "GET", "/containers/not-ours/logs", "", wire.CodeNotFound, `Container 'not-ours' not found`),
		missing("a path no route takes", "GET", "/nope", "", wire.CodeNoRoute, `{"detail":"Not Found","code":"no_route"}`),
		missing("start without container", "POST", "/start", `{"image":"cache:v1","resources":{}}`, wire.CodeNoRoute, `"detail":"Not Found"`),
		missing("start of something else", "POST", "/start/containers", `{"image":"cache:v1","resources":{}}`, wire.CodeNoRoute, `"detail":"Not Found"`),
	}
}

// badQueries are query values that are no boolean or count.
func badQueries() []badRequest {
	query := func(name, method, path, body, param string) badRequest {
		return badRequest{kind: "query", name: name, method: method, path: path, body: body,
			status: http.StatusUnprocessableEntity, code: wire.CodeSpecInvalid, want: `"loc":["query","` + param + `"]`}
	}
	put := `{"image":"web:v1","min_replicas":1,"max_replicas":2,` + faultRes + `}` // a change, if it were written
	return []badRequest{
		query("DELETE force=maybe", "DELETE", "/containers/web-v1-1?force=maybe", "", "force"),
		query("DELETE force=2", "DELETE", "/containers/web-v1-1?force=2", "", "force"),
		query("PUT dry_run=x", "PUT", "/images/web:v1?dry_run=x", put, "dry_run"),
		query("PUT dry_run=maybe", "PUT", "/images/web:v1?dry_run=maybe", put, "dry_run"),
		query("logs tail=-1", "GET", "/containers/web-v1-1/logs?tail=-1", "", "tail"),
		query("logs tail=x", "GET", "/containers/web-v1-1/logs?tail=x", "", "tail"),
		query("logs tail=1.5", "GET", "/containers/web-v1-1/logs?tail=1.5", "", "tail"),
		query("logs follow=2", "GET", "/containers/web-v1-1/logs?follow=2", "", "follow"),
		query("logs follow=maybe", "GET", "/containers/web-v1-1/logs?follow=maybe", "", "follow"),
	}
}

// badMethods are known paths with a method they do not serve.
func badMethods() []badRequest {
	m := func(method, path string) badRequest {
		return badRequest{kind: "method", name: method + " " + path, method: method, path: path,
			status: http.StatusMethodNotAllowed, code: wire.CodeMethodNotAllowed, want: `"detail":"Method Not Allowed"`}
	}
	return []badRequest{
		m("GET", "/start/container"),
		m("PUT", "/start/container"),
		m("DELETE", "/start/container"),
		m("POST", "/metrics"),
		m("PUT", "/images"),
		m("POST", "/images"),
		m("DELETE", "/images/"),
		m("PATCH", "/images/web:v1"),
		m("POST", "/images/web:v1"),
		m("GET", "/images/web:v1/scale"),
		m("PUT", "/images/web:v1/reconcile"),
		m("DELETE", "/images/web:v1/containers"),
		m("POST", "/images/web:v1/health"),
		m("POST", "/containers"),
		m("GET", "/containers/web-v1-1"),
		m("PUT", "/containers/web-v1-1"),
		m("DELETE", "/containers/web-v1-1/logs"),
		m("DELETE", "/status"),
		m("POST", "/health"),
	}
}

// badPreconditionsAndSizes are If-Match mismatches (412) and bodies over
// the limit (413).
func badPreconditionsAndSizes() []badRequest {
	pre := func(name, method, path, body, ifMatch string) badRequest {
		return badRequest{kind: "precondition", name: name, method: method, path: path, body: body, headers: []string{"If-Match", ifMatch},
			status: http.StatusPreconditionFailed, code: wire.CodePrecondition, want: `revision does not match`}
	}
	size := func(name, method, path, body string, chunked bool) badRequest {
		return badRequest{kind: "size", name: name, method: method, path: path, body: body, chunked: chunked,
			status: http.StatusRequestEntityTooLarge, code: wire.CodeBodyTooLarge, want: `request body too large: the limit is 1048576 bytes`}
	}
	change := `{"image":"web:v1","min_replicas":1,"max_replicas":2,` + faultRes + `}`
	scale := `{"min_replicas":1,"max_replicas":2}`
	big := strings.Repeat("x", 2<<20)
	return []badRequest{
		pre("start with another revision", "POST", "/start/container", change, `"0123"`),
		pre("start of a new image with a revision", "POST", "/start/container", `{"image":"cache:v1",`+faultRes+`}`, `"0123"`),
		pre("PUT with another revision", "PUT", "/images/web:v1", change, `"0123"`),
		pre("PUT with a weak other revision", "PUT", "/images/web:v1", change, `W/"0123"`),
		pre("scale with another revision", "POST", "/images/web:v1/scale", scale, `"0123"`),
		pre("DELETE with another revision", "DELETE", "/images/web:v1", "", `"0123"`),

		size("start, 2 MiB", "POST", "/start/container", `{"image":"cache:v1","resources":{},"env":{"A":"`+big+`"}}`, false),
		size("start, 2 MiB without a length", "POST", "/start/container", `{"image":"cache:v1","resources":{},"env":{"A":"`+big+`"}}`, true),
		size("PUT, 2 MiB", "PUT", "/images/web:v1", `{"image":"web:v1","resources":{},"env":{"A":"`+big+`"}}`, false),
		size("PUT, 2 MiB without a length", "PUT", "/images/web:v1", `{"image":"web:v1","resources":{},"env":{"A":"`+big+`"}}`, true),
		size("scale, 2 MiB", "POST", "/images/web:v1/scale", `{"min_replicas":1,"max_replicas":2,"x":"`+big+`"}`, false),
		size("PATCH, 2 MiB", "PATCH", "/containers/web-v1-1", `{"status":"stopped","x":"`+big+`"}`, true),
	}
}

// badStates are requests that the state directory or the engine refuse:
// a broken document or an image written twice (409), an id prefix that
// matches two containers (400).
func badStates() []badRequest {
	conflict := func(name, method, path, body string, code wire.Code, want string) badRequest {
		return badRequest{kind: "conflict", name: name, method: method, path: path, body: body,
			status: http.StatusConflict, code: code, want: want}
	}
	ambiguous := func(name, method, path, body string) badRequest {
		return badRequest{kind: "ambiguous", name: name, method: method, path: path, body: body,
			status: http.StatusBadRequest, code: wire.CodeAmbiguous, want: `matches 2 containers: give more of the id`}
	}
	return []badRequest{
		conflict("start of a broken document's image", "POST", "/start/container", `{"image":"api:v1",`+faultRes+`}`, wire.CodeBrokenFile, `broken.yaml:3: resources.memory`),
		conflict("PUT a broken document's image", "PUT", "/images/api:v1", `{"image":"api:v1",`+faultRes+`}`, wire.CodeBrokenFile, `"file":"broken.yaml","line":3,"field":"resources.memory"`),
		conflict("scale a broken document's image", "POST", "/images/api:v1/scale", `{"min_replicas":1,"max_replicas":2}`, wire.CodeBrokenFile, `broken.yaml:1 has errors`),
		conflict("GET a broken document's image", "GET", "/images/api:v1", "", wire.CodeBrokenFile, `has errors`),
		conflict("start of an image written twice", "POST", "/start/container", `{"image":"nginx:alpine",`+faultRes+`}`, wire.CodeConflict, `at dup-a.yaml:1, dup-b.yaml:1`),
		conflict("PUT an image written twice", "PUT", "/images/nginx:alpine", `{"image":"nginx:alpine",`+faultRes+`}`, wire.CodeConflict, `image defined more than once`),
		conflict("DELETE an image written twice", "DELETE", "/images/nginx:alpine", "", wire.CodeConflict, `image defined more than once`),
		ambiguous("PATCH by a prefix of two ids", "PATCH", "/containers/fake0000", `{"status":"stopped"}`),
		ambiguous("DELETE by a prefix of two ids", "DELETE", "/containers/fake0000?force=true", ""),
	}
}
