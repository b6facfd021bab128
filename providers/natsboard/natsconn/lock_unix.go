//go:build unix

package natsconn

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockStore takes an exclusive lock on store for as long as the returned
// file is open; the system drops it when the process dies.
func lockStore(store string) (*os.File, error) {
	path := filepath.Join(store, "ringside.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("nats: store lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("nats: another process runs a server on the store %s (give each relay its own --nats-store, or point them at one server with --nats)", store)
		}
		return nil, fmt.Errorf("nats: store lock %s: %w", path, err)
	}
	return f, nil
}
