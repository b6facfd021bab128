//go:build unix

package regularfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestOpenRefusesANamedPipe: a named pipe is refused at once as not a
// regular file; the open does not wait for a writer, which would hold the
// program at start without a word.
func TestOpenRefusesANamedPipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		f, _, err := Open(path)
		if f != nil {
			f.Close()
		}
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
		t.Fatal("Open waited for a writer on a named pipe")
	}
	if !errors.Is(err, ErrNotRegular) {
		t.Fatalf("err = %v, want ErrNotRegular", err)
	}
}
