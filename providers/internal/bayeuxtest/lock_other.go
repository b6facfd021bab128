//go:build !unix

package bayeuxtest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// lockFile takes an exclusive lock by creating path, waiting (up to the npm
// install's own bound) for another process to remove it; the returned func
// removes it.
func lockFile(path string) (func(), error) {
	deadline := time.Now().Add(npmInstallTimeout)
	for {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			f.Close()
			return func() { os.Remove(path) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s is still held after %s; remove it if no install is running", path, npmInstallTimeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
