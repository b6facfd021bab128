package regularfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// A regular file opens for reading; a directory is refused in words; a
// missing file gives the system's error.
func TestOpen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, info, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if b, err := io.ReadAll(f); err != nil || string(b) != "hello" || info.Size() != 5 {
		t.Errorf("read %q, %v, size %d", b, err, info.Size())
	}
	if _, _, err := Open(dir); !errors.Is(err, ErrNotRegular) || err.Error() != dir+" is not a regular file" {
		t.Errorf("a directory: %v", err)
	}
	if _, _, err := Open(filepath.Join(dir, "none")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing file: %v", err)
	}
}
