package gitsync

import (
	"fmt"
	"os"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
)

// Credentials say how to authenticate to the remote. They are read once,
// never logged, and never in status, errors or metrics.
type Credentials struct {
	Token      string // for https: sent as the password of basic auth
	SSHKey     string // path of a private key (PEM, no passphrase) for ssh
	KnownHosts string // path of a known_hosts file for ssh; default ~/.ssh/known_hosts
}

// TokenFromFile reads a token file (--git-token-file), trimmed.
func TokenFromFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("--git-token-file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Auth is the transport's auth method for url: basic auth with the token
// over http(s), the key (checked against known_hosts) over ssh, none for a
// file:// remote or without credentials.
func (c Credentials) Auth(url string) (transport.AuthMethod, error) {
	ep, err := transport.NewEndpoint(url)
	if err != nil {
		return nil, fmt.Errorf("--git %s: %w", Redacted(url), err)
	}
	switch ep.Protocol {
	case "http", "https":
		if c.Token == "" {
			return nil, nil
		}
		return &githttp.BasicAuth{Username: "orchestrator", Password: c.Token}, nil
	case "ssh":
		if c.SSHKey == "" {
			return nil, nil
		}
		user := ep.User
		if user == "" {
			user = "git"
		}
		keys, err := gitssh.NewPublicKeysFromFile(user, c.SSHKey, "")
		if err != nil {
			return nil, fmt.Errorf("--git-ssh-key: %w", err)
		}
		var files []string
		if c.KnownHosts != "" {
			files = append(files, c.KnownHosts)
		}
		cb, err := gitssh.NewKnownHostsCallback(files...)
		if err != nil {
			return nil, fmt.Errorf("known_hosts: %w", err)
		}
		keys.HostKeyCallback = cb
		return keys, nil
	}
	return nil, nil
}
