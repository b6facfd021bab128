//go:build !unix

package natsconn

import (
	"fmt"
	"os"
	"path/filepath"
)

// lockStore opens a lock file; without flock the store is not guarded
// against a second server (NATS takes no lock of its own).
func lockStore(store string) (*os.File, error) {
	path := filepath.Join(store, "ringside.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("nats: store lock %s: %w", path, err)
	}
	return f, nil
}
