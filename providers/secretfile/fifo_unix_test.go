//go:build unix

package secretfile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadRefusesANamedPipe: a named pipe only its owner can read is refused
// at once as not a regular file; the open does not wait for a writer, which
// would hold the program at start without a word.
func TestReadRefusesANamedPipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := Read(path)
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		// Free the reader so that the test can end, then fail.
		if w, werr := os.OpenFile(path, os.O_WRONLY, 0); werr == nil {
			w.Close()
		}
		<-done
		t.Fatal("Read waited for a writer on a named pipe")
	}
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("err = %v, want a refusal as not a regular file", err)
	}
}
