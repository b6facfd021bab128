//go:build unix

package directory

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A named pipe given as the directory is refused at once: opening it would
// wait for a writer, holding the program at start without a word.
func TestLoadRefusesANamedPipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "directory.csv")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	loaded := make(chan error, 1)
	go func() {
		_, err := Load(path)
		loaded <- err
	}()
	select {
	case err := <-loaded:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("Load = %v, want a refusal as not a regular file", err)
		}
	case <-time.After(10 * time.Second):
		// Let the waiting open through, so that the test ends, and fail.
		if w, err := os.OpenFile(path, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		<-loaded
		t.Fatal("Load waited for a writer on a named pipe")
	}
}
