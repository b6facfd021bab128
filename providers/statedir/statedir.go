// Package statedir is where ringside keeps what it must remember between
// runs: the relay's NATS store, the console's recent transfer targets. It
// follows the XDG Base Directory rules for state (data that outlives a run
// but is not worth a backup): $XDG_STATE_HOME/ringside when that is an
// absolute path, else ~/.local/state/ringside.
package statedir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Dir is ringside's state directory. getenv reads the environment
// (os.Getenv, or a test's); the home directory is the process's.
func Dir(getenv func(string) string) (string, error) {
	if dir := getenv("XDG_STATE_HOME"); dir != "" && filepath.IsAbs(dir) {
		return filepath.Join(dir, "ringside"), nil
	}
	home, err := os.UserHomeDir()
	if err == nil && home == "" {
		err = errors.New("$HOME is empty")
	}
	if err != nil {
		return "", fmt.Errorf("no home directory for ringside's state: %w", err)
	}
	return filepath.Join(home, ".local", "state", "ringside"), nil
}
