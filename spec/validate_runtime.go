package spec

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file validates the runtime fields (runtime.go): each rule names the
// field and, in a list, the entry.

var (
	userName     = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]*)?$`)
	hostLabel    = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,50}[A-Za-z0-9])?$`)
	capability   = regexp.MustCompile(`^(CAP_)?[A-Z][A-Z0-9_]*$`)
	driverName   = regexp.MustCompile(`^[a-z0-9][a-z0-9_.:/-]*$`)
	securityOpt  = regexp.MustCompile(`^[a-z][a-z-]*([=:].*)?$`)
	signalNumber = regexp.MustCompile(`^[0-9]{1,2}$`)
)

// signals are the names stop_signal takes, with or without SIG.
var signals = strings.Fields("HUP INT QUIT ILL TRAP ABRT IOT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD CONT " +
	"STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO POLL PWR SYS RTMIN RTMAX")

// ReservedLabelPrefix starts the labels that are ours: a spec may not set
// them.
const ReservedLabelPrefix = "orchestrator."

// reservedNetworks are the engine's own networks, which are not
// user-defined bridges.
var reservedNetworks = []string{"bridge", "host", "none", "default"}

func validateRuntime(s Spec, opts Options, root path, add func(*FieldError)) {
	if s.Name != "" && !resourceName.MatchString(s.Name) {
		add(root.field("name").errorf("%q is not a name (letters, digits, _ . -, starting with a letter or digit, at most 63)", s.Name))
	}
	validateWords(s.Command, root.field("command"), add)
	validateWords(s.Entrypoint, root.field("entrypoint"), add)
	if s.WorkingDir != "" && !strings.HasPrefix(s.WorkingDir, "/") {
		add(root.field("working_dir").errorf("must be an absolute path, got %q", s.WorkingDir))
	}
	if s.User != "" && !userName.MatchString(s.User) {
		add(root.field("user").errorf("%q is not user[:group] (names or ids)", s.User))
	}
	if s.Hostname != "" && !hostLabel.MatchString(s.Hostname) {
		add(root.field("hostname").errorf("%q is not a host name prefix (letters, digits and -, at most 52: -<slot> is added)", s.Hostname))
	}
	for _, k := range sortedKeys(s.Labels) {
		kp := root.field("labels").key(k)
		switch {
		case k == "":
			add(kp.errorf("a label needs a key"))
		case strings.HasPrefix(k, ReservedLabelPrefix):
			add(kp.errorf("%q is reserved: labels starting with %s are the orchestrator's own", k, ReservedLabelPrefix))
		case strings.ContainsRune(k+s.Labels[k], 0):
			add(kp.errorf("must not contain a NUL byte"))
		}
	}
	validateMounts(s, opts, root, add)
	validateNames(s.Networks, root.field("networks"), "network", add, func(n string) string {
		if slices.Contains(reservedNetworks, n) {
			return fmt.Sprintf("%q is the engine's own network, not a user-defined bridge", n)
		}
		return ""
	})
	validateNames(s.DependsOn, root.field("depends_on"), "spec name", add, func(n string) string {
		if n == s.ShortName() {
			return fmt.Sprintf("%q is this spec's own name", n)
		}
		return ""
	})
	if s.Healthcheck != nil {
		validateHealthcheck(*s.Healthcheck, root.field("healthcheck"), add)
	}
	if s.Restart != "" {
		validateRestart(s.Restart, root.field("restart"), add)
	}
	if s.Logging != nil {
		l := *s.Logging
		if l.Driver != "" && !driverName.MatchString(l.Driver) {
			add(root.field("logging").field("driver").errorf("%q is not a log driver name", l.Driver))
		}
		if l.Driver == "" && len(l.Options) > 0 {
			add(root.field("logging").field("driver").errorf("options need a driver (e.g. json-file)"))
		}
	}
	if s.StopSignal != "" && !validSignal(s.StopSignal) {
		add(root.field("stop_signal").errorf("%q is not a signal (e.g. SIGTERM, TERM, 15)", s.StopSignal))
	}
	if s.StopGracePeriod != "" {
		validateDuration(s.StopGracePeriod, 0, time.Hour, root.field("stop_grace_period"), add)
	}
	for _, f := range []struct {
		name string
		caps []string
	}{{"cap_add", s.CapAdd}, {"cap_drop", s.CapDrop}} {
		for i, c := range f.caps {
			if c != "ALL" && !capability.MatchString(c) {
				add(root.field(f.name).index(i).errorf("%q is not a capability (e.g. NET_ADMIN, CAP_NET_ADMIN, ALL)", c))
			}
		}
	}
	for i, o := range s.SecurityOpt {
		if !securityOpt.MatchString(o) || strings.ContainsRune(o, 0) {
			add(root.field("security_opt").index(i).errorf("%q is not a security option (e.g. no-new-privileges, seccomp=unconfined)", o))
		}
	}
	for i, h := range s.ExtraHosts {
		if err := checkExtraHost(h); err != nil {
			add(root.field("extra_hosts").index(i).errorf("%s", err.Error()))
		}
	}
	for i, d := range s.DNS {
		if _, err := netip.ParseAddr(d); err != nil {
			add(root.field("dns").index(i).errorf("%q is not an IP address", d))
		}
	}
	if s.Placement != nil {
		validatePlacement(*s.Placement, root.field("placement"), add)
	}
}

// Swarm's placement syntax (swarmkit's constraint parser): a constraint is
// an attribute, == or !=, and a value; attributes are case-insensitive; a
// preference spreads over a label.
var (
	constraint     = regexp.MustCompile(`(?i)^\s*(node\.(id|hostname|role|platform\.os|platform\.arch)|(node|engine)\.labels\.[a-z0-9_.-]+)\s*(==|!=)\s*[a-z0-9:_.*()?+\[\]\\^$|/ -]*[a-z0-9:_.*()?+\[\]\\^$|/-]\s*$`)
	spreadOverNode = regexp.MustCompile(`(?i)^spread=(node|engine)\.labels\.[a-z0-9_.-]+$`)
)

func validatePlacement(pl Placement, p path, add func(*FieldError)) {
	for i, c := range pl.Constraints {
		if !constraint.MatchString(c) {
			add(p.field("constraints").index(i).errorf("%q is not a constraint: <attribute>==<value> or !=, on node.id, node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.<label> or engine.labels.<label>", c))
		}
	}
	for i, pref := range pl.Preferences {
		if !spreadOverNode.MatchString(pref) {
			add(p.field("preferences").index(i).errorf("%q is not a preference: spread=node.labels.<label> (or engine.labels.<label>)", pref))
		}
	}
	if pl.MaxReplicasPerNode < 0 {
		add(p.field("max_replicas_per_node").errorf("must be at least 0 (0: no limit), got %d", pl.MaxReplicasPerNode))
	}
}

func validateWords(w []string, p path, add func(*FieldError)) {
	for i, a := range w {
		if strings.ContainsRune(a, 0) {
			add(p.index(i).errorf("must not contain a NUL byte"))
		}
	}
}

// validateMounts checks volumes and tmpfs: each parses, no two share a
// container path, and a bind mount of an absolute host path is below one
// of the allowed roots.
func validateMounts(s Spec, opts Options, root path, add func(*FieldError)) {
	targets := map[string]string{}
	seen := func(p path, entry, target string) {
		if other, dup := targets[target]; dup {
			add(p.errorf("%s is mounted twice (also by %q)", target, other))
		}
		targets[target] = entry
	}
	for i, v := range s.Volumes {
		p := root.field("volumes").index(i)
		m, err := ParseVolume(v)
		if err != nil {
			add(p.errorf("%s", err.Error()))
			continue
		}
		if m.Type == MountBind && !m.Relative() && !bindAllowed(m.Source, opts.BindRoots) {
			allowed := "serve has no --allow-bind-mounts"
			if len(opts.BindRoots) > 0 {
				allowed = "--allow-bind-mounts allows " + strings.Join(opts.BindRoots, ", ")
			}
			add(p.errorf("host path %s is outside the allowed roots (%s); a path next to the spec file (./dir) is always allowed", m.Source, allowed))
		}
		seen(p, v, m.Target)
	}
	for i, v := range s.Tmpfs {
		p := root.field("tmpfs").index(i)
		m, err := ParseTmpfs(v)
		if err != nil {
			add(p.errorf("%s", err.Error()))
			continue
		}
		seen(p, v, m.Target)
	}
	if s.RemoveVolumesOnPrune && len(s.VolumeNames()) == 0 {
		add(root.field("remove_volumes_on_prune").errorf("the spec has no named volume to remove"))
	}
}

// validateNames checks a list of names: the form, no repeats, and the
// caller's own rule (a message, or "").
func validateNames(names []string, p path, what string, add func(*FieldError), rule func(string) string) {
	seen := map[string]bool{}
	for i, n := range names {
		ip := p.index(i)
		switch {
		case !resourceName.MatchString(n):
			add(ip.errorf("%q is not a %s (letters, digits, _ . -, starting with a letter or digit)", n, what))
		case seen[n]:
			add(ip.errorf("%q is listed twice", n))
		default:
			if msg := rule(n); msg != "" {
				add(ip.errorf("%s", msg))
			}
		}
		seen[n] = true
	}
}

func validateHealthcheck(h Healthcheck, p path, add func(*FieldError)) {
	if len(h.Test) > 0 {
		tp := p.field("test")
		switch kind := h.Test[0]; {
		case kind == "NONE":
			if len(h.Test) > 1 {
				add(tp.errorf("NONE takes nothing after it"))
			}
		case kind == "CMD" || kind == "CMD-SHELL":
			if len(h.Test) < 2 || h.Test[1] == "" {
				add(tp.errorf("%s needs a command after it", kind))
			}
			if kind == "CMD-SHELL" && len(h.Test) > 2 {
				add(tp.errorf("CMD-SHELL takes one command string"))
			}
		default:
			add(tp.errorf("must start with CMD, CMD-SHELL or NONE (or be one string, a shell command), got %q", kind))
		}
	} else if !h.Disable {
		add(p.field("test").kindErrorf("missing", "is required (e.g. [\"CMD\", \"/demo\", \"-check\", \"http://127.0.0.1:8080/healthz\"]), unless disable is true"))
	}
	if h.Disable && len(h.Test) > 0 && h.Test[0] != "NONE" {
		add(p.field("disable").errorf("disable and a test do not go together"))
	}
	for _, d := range []struct{ name, v string }{{"interval", h.Interval}, {"timeout", h.Timeout}, {"start_period", h.StartPeriod}} {
		if d.v != "" {
			validateDuration(d.v, time.Millisecond, 24*time.Hour, p.field(d.name), add)
		}
	}
	if h.Retries < 0 {
		add(p.field("retries").kindErrorf("greater_than_equal", "must be >= 0, got %d", h.Retries))
	}
}

func validateRestart(r string, p path, add func(*FieldError)) {
	switch {
	case r == RestartNo || r == RestartAlways || r == RestartUnlessStopped || r == RestartOnFailure:
		return
	case strings.HasPrefix(r, RestartOnFailure+":"):
		if n, err := strconv.Atoi(r[len(RestartOnFailure)+1:]); err == nil && n >= 0 {
			return
		}
	}
	add(p.kindErrorf("literal_error", "must be unless-stopped, always, on-failure, on-failure:N or no, got %q", r))
}

func validateDuration(v string, least, most time.Duration, p path, add func(*FieldError)) {
	d, err := time.ParseDuration(v)
	switch {
	case err != nil:
		add(p.errorf("%q is not a duration (use e.g. 500ms, 10s, 1m30s)", v))
	case d < least:
		add(p.errorf("must be at least %s, got %s", least, v))
	case d > most:
		add(p.errorf("must be at most %s, got %s", most, v))
	}
}

func validSignal(s string) bool {
	if signalNumber.MatchString(s) {
		n, _ := strconv.Atoi(s)
		return n >= 1 && n <= 64
	}
	name := strings.TrimPrefix(s, "SIG")
	base, _, _ := strings.Cut(name, "+")
	return slices.Contains(signals, base)
}

func checkExtraHost(h string) error {
	i := strings.IndexAny(h, ":=")
	if i <= 0 {
		return fmt.Errorf("%q is not host:ip", h)
	}
	host, ip := h[:i], h[i+1:]
	if !hostLabel.MatchString(strings.ReplaceAll(host, ".", "-")) {
		return fmt.Errorf("%q: %q is not a host name", h, host)
	}
	if ip == "host-gateway" {
		return nil
	}
	if _, err := netip.ParseAddr(strings.Trim(ip, "[]")); err != nil {
		return fmt.Errorf("%q: %q is not an IP address (or host-gateway)", h, ip)
	}
	return nil
}
