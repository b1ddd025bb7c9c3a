package main

import (
	"fmt"
	"os"
	"strings"
)

// secretFromFile reads a secret that a flag names by file (a Docker or
// systemd secret, kept out of the command line and the environment, which
// docker inspect shows): its content less surrounding whitespace, which
// must not be empty. Errors name the flag and the file, never the content.
func secretFromFile(flag, file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("--%s: %w", flag, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("--%s %s is empty", flag, file)
	}
	return s, nil
}
