package main

// The report of import: what a compose file sets that a spec cannot say,
// and what was translated in a way worth knowing, one line each with the
// compose file's line.

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/tree"
	yaml "go.yaml.in/yaml/v3"
)

// note is one line of the report: "file:line: service: key: message".
type note struct {
	line    int    // in the compose file; 0 when it cannot be told
	service string // "" for the file's top level
	key     string // "ports", "deploy.placement"; at the top level "networks.front"
	msg     string
}

// report collects the notes of one import.
type report struct {
	file  string     // the compose file, as the user named it
	raw   *yaml.Node // its first document as written, for lines; nil if unreadable
	notes []note
}

func newReport(file string) *report {
	r := &report{file: file}
	if data, err := os.ReadFile(file); err == nil {
		var doc yaml.Node
		if yaml.Unmarshal(data, &doc) == nil && len(doc.Content) > 0 {
			r.raw = doc.Content[0]
		}
	}
	return r
}

// addf adds a note at line.
func (r *report) addf(line int, service, key, format string, args ...any) {
	r.notes = append(r.notes, note{line: line, service: service, key: key, msg: fmt.Sprintf(format, args...)})
}

// write prints the notes sorted by line (the file's top level without a
// line first), in the order they were found within a line.
func (r *report) write(w io.Writer) {
	slices.SortStableFunc(r.notes, func(a, b note) int { return a.line - b.line })
	for _, n := range r.notes {
		where := r.file
		if n.line > 0 {
			where += fmt.Sprintf(":%d", n.line)
		}
		parts := []string{where}
		for _, p := range []string{n.service, n.key} {
			if p != "" {
				parts = append(parts, p)
			}
		}
		fmt.Fprintf(w, "%s: %s\n", strings.Join(parts, ": "), n.msg)
	}
}

// line is the line of path (e.g. services, web, ports, [], mode) as
// written in the compose file: its k-th occurrence when the path crosses
// lists ("[]"). A key that is not written there (it comes from extends, an
// anchor merge that cannot be followed, or an included file) has the line
// of its nearest written ancestor, or of the service's extends: that it
// came through.
func (r *report) line(path []string, k int) int {
	if r.raw == nil {
		return 0
	}
	if ms := find(r.raw, path); len(ms) > 0 {
		return ms[min(k, len(ms)-1)].Line
	}
	for n := len(path) - 1; n > 0; n-- {
		if path[n-1] == tree.PathMatchList {
			continue // which item it was is unknown: the list's key says more
		}
		if n == 2 && path[0] == "services" {
			if ext := find(r.raw, []string{"services", path[1], "extends"}); len(ext) > 0 {
				return ext[0].Line
			}
		}
		if ms := find(r.raw, path[:n]); len(ms) > 0 {
			return ms[0].Line
		}
	}
	return 0
}

// svcLine is the line of a service's key (or the service itself).
func (r *report) svcLine(service string, keys ...string) int {
	return r.line(append([]string{"services", service}, keys...), 0)
}

// itemLine is the line of item i of a service's list key, when the list
// is written with n items (the loaded one has them in the same order);
// else the key's line.
func (r *report) itemLine(service, key string, i, n int) int {
	if r.raw != nil {
		if items := find(r.raw, []string{"services", service, key, tree.PathMatchList}); len(items) == n {
			return items[i].Line
		}
	}
	return r.svcLine(service, key)
}

// find is every node at path below n: the key node of a mapping entry, or
// the item node of a list ("[]"). Merge keys (<<: *anchor) are followed.
func find(n *yaml.Node, path []string) []*yaml.Node {
	n = deref(n)
	if len(path) == 0 || n == nil {
		return nil
	}
	var out []*yaml.Node
	next := func(key, val *yaml.Node) {
		if len(path) == 1 {
			out = append(out, key)
		} else {
			out = append(out, find(val, path[1:])...)
		}
	}
	switch {
	case path[0] == tree.PathMatchList && n.Kind == yaml.SequenceNode:
		for _, item := range n.Content {
			next(item, item)
		}
	case n.Kind == yaml.MappingNode:
		if k, v := mapEntry(n, path[0]); k != nil {
			next(k, v)
		}
	}
	return out
}

// mapEntry is the entry key of mapping m, written there or merged in.
func mapEntry(m *yaml.Node, key string) (k, v *yaml.Node) {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i].Tag != "!!merge" {
			return m.Content[i], m.Content[i+1]
		}
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Tag != "!!merge" {
			continue
		}
		merged := deref(m.Content[i+1])
		sources := []*yaml.Node{merged}
		if merged != nil && merged.Kind == yaml.SequenceNode {
			sources = merged.Content
		}
		for _, src := range sources {
			if k, v := mapEntry(src, key); k != nil {
				return k, v
			}
		}
	}
	return nil, nil
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && (n.Kind == yaml.AliasNode || n.Kind == yaml.DocumentNode) {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		} else if len(n.Content) > 0 {
			n = n.Content[0]
		} else {
			return nil
		}
	}
	return n
}

// supported are the attributes of the compose model that import reads: the
// loader reports every other one it finds (fail-closed: an attribute that
// the compose specification gains later is reported too). Some of these
// are read and still reported for some values (an external volume, a
// host IP, a range of host ports): see import_convert.go.
var supported = func() []tree.Path {
	var out []tree.Path
	add := func(prefix string, keys ...string) {
		for _, k := range keys {
			p := k
			if prefix != "" {
				p = strings.TrimSuffix(prefix+"."+k, ".")
			}
			out = append(out, tree.Path(p))
		}
	}
	add("", "name", "services", "networks", "volumes")
	add("services.*", "", "image", "command", "entrypoint", "working_dir", "user", "hostname",
		"labels", "labels.*", "label_file", "environment", "environment.*", "env_file",
		"ports", "volumes", "tmpfs", "networks", "networks.*", "depends_on", "depends_on.*",
		"healthcheck", "restart", "logging", "stop_signal", "stop_grace_period", "cap_add", "cap_drop",
		"read_only", "security_opt", "extra_hosts", "extra_hosts.*", "dns", "deploy", "scale", "cpus", "mem_limit")
	add("services.*.env_file.[]", "path", "required", "format")
	add("services.*.ports.[]", "target", "published", "protocol", "host_ip", "mode")
	add("services.*.volumes.[]", "type", "source", "target", "read_only", "bind", "volume", "tmpfs")
	add("services.*.volumes.[].bind", "create_host_path", "selinux")
	add("services.*.volumes.[].tmpfs", "size", "mode")
	add("services.*.depends_on.*", "condition", "required")
	add("services.*.healthcheck", "test", "interval", "timeout", "retries", "start_period", "disable")
	add("services.*.logging", "driver", "options", "options.*")
	add("services.*.deploy", "mode", "replicas", "resources", "resources.limits", "resources.limits.cpus",
		"resources.limits.memory", "restart_policy", "restart_policy.condition", "restart_policy.max_attempts",
		"placement", "placement.constraints", "placement.preferences", "placement.max_replicas_per_node")
	add("services.*.deploy.placement.preferences.[]", "spread")
	add("networks.*", "", "name", "external", "driver")
	add("volumes.*", "", "name", "external", "driver")
	return out
}()

// why says why an attribute is not supported, by its path below a service
// ("services.*." left out) or at the top level; "" for a plain "not
// supported".
var why = map[string]string{
	"build":                         "the orchestrator runs images; build and tag it first",
	"secrets":                       "no secrets store: pass the value in env, or mount a file with volumes",
	"configs":                       "no configs: mount the file with volumes",
	"privileged":                    "containers never run privileged; add the capabilities it needs with cap_add",
	"container_name":                "the orchestrator names containers itself; others reach this one by its service name",
	"devices":                       "no host devices in containers",
	"gpus":                          "no GPUs in containers",
	"pid":                           "containers keep their own process namespace",
	"ipc":                           "containers keep their own IPC namespace",
	"uts":                           "containers keep their own UTS namespace",
	"userns_mode":                   "containers keep the engine's user namespace",
	"cgroup":                        "containers keep their own cgroup namespace",
	"network_mode":                  "containers join user-defined bridge networks; this one gets the engine's default bridge",
	"links":                         "services on one network reach each other by name; the start order is kept in depends_on",
	"external_links":                "services reach each other by name on their networks",
	"expose":                        "not needed: containers on one network reach all of each other's ports",
	"profiles":                      "every service is imported",
	"volumes_from":                  "mount the same named volume in both services",
	"init":                          "no init process is added",
	"stdin_open":                    "containers run detached",
	"tty":                           "containers run detached",
	"pull_policy":                   "the engine pulls a missing image",
	"ulimits":                       "the engine's defaults apply",
	"sysctls":                       "the engine's defaults apply",
	"deploy.update_config":          "the orchestrator replaces containers one at a time, the new one first",
	"deploy.rollback_config":        "the orchestrator replaces containers one at a time, the new one first",
	"deploy.labels":                 "labels of a swarm service; use labels",
	"deploy.endpoint_mode":          "one host: containers are reached by name on their networks",
	"deploy.resources.reservations": "only limits are set (cpus, memory)",
	"deploy.resources.limits.pids":  "only the cpus and memory limits are set",
	"deploy.restart_policy.delay":   "the engine's restart policy has no delay",
	"deploy.restart_policy.window":  "the engine's restart policy has no window",
	"healthcheck.start_interval":    "the engine's default applies",
	"networks.*.aliases":            "the service's one alias is its name",
	"networks.*.ipv4_address":       "addresses are the engine's choice",
	"networks.*.ipv6_address":       "addresses are the engine's choice",
	"depends_on.*.restart":          "dependents are not restarted with their dependency",
	"ports.[].app_protocol":         "ignored (a hint for tools)",
	"ports.[].name":                 "ignored (a hint for tools)",
	"volumes.[].bind.propagation":   "bind mounts are private",
	"volumes.[].volume.nocopy":      "the engine's default applies (the image's content is copied into a new volume)",
	"volumes.[].volume.subpath":     "the whole volume is mounted",
	"develop":                       "compose watch is for development",
	"post_start":                    "no lifecycle hooks",
	"pre_stop":                      "no lifecycle hooks",
	"pre_start":                     "no lifecycle hooks",
	"attach":                        "use orchestrator logs",
	"use_api_socket":                "containers get no engine socket",
	"mem_reservation":               "only the cpus and memory limits are set",
	"memswap_limit":                 "only the cpus and memory limits are set",
	"shm_size":                      "the engine's default applies",
	"cpu_shares":                    "only the cpus and memory limits are set",
	"cpuset":                        "only the cpus and memory limits are set",
	"pids_limit":                    "only the cpus and memory limits are set",
	// top level
	"top:secrets":      "no secrets store: pass values in env, or mount files with volumes",
	"top:configs":      "no configs: mount the files with volumes",
	"top:models":       "no models",
	"top:networks.*.*": "the orchestrator makes plain bridge networks",
	"top:volumes.*.*":  "the orchestrator makes plain local volumes",
}

// unsupportedCheck is the loader option that reports every attribute of
// the model outside supported into r.
func (r *report) unsupportedCheck() func(*loader.Options) {
	return loader.WithSupportedAttributes(supported, func(found []loader.UnsupportedAttribute) {
		seen := map[tree.Path]int{}
		for _, f := range found {
			parts := f.Path.Parts()
			for i, p := range parts {
				parts[i] = strings.ReplaceAll(p, "👻", ".") // a key with dots, as tree.Path keeps it
			}
			line := r.line(parts, seen[f.Path])
			seen[f.Path]++
			service, rel := "", parts
			if len(parts) > 2 && parts[0] == "services" {
				service, rel = parts[1], parts[2:]
			}
			r.addf(line, service, displayKey(rel), "not supported%s", reason(service != "", rel))
		}
	})
}

// reason is " (why)" for an unsupported attribute, "" if none is known.
func reason(inService bool, rel []string) string {
	path := tree.Path(strings.Join(rel, "."))
	prefix := ""
	if !inService {
		prefix = "top:"
	}
	for pattern, text := range why {
		p, ok := strings.CutPrefix(pattern, prefix)
		if (inService && strings.HasPrefix(pattern, "top:")) || !ok {
			continue
		}
		if path.Matches(tree.Path(p)) {
			return " (" + text + ")"
		}
	}
	return ""
}

// displayKey writes a path below a service: "ports[].app_protocol".
func displayKey(rel []string) string {
	return strings.ReplaceAll(strings.Join(rel, "."), ".[]", "[]")
}
