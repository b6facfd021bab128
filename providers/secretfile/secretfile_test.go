package secretfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // umask may have narrowed it
		t.Fatal(err)
	}
	return path
}

func TestRead(t *testing.T) {
	got, err := Read(write(t, "s3cr3t with spaces \r\n", 0o600))
	if err != nil || got != "s3cr3t with spaces " {
		t.Fatalf("Read = %q, %v; want the secret without its line ending", got, err)
	}
	if got, err := Read(write(t, "owner-only", 0o400)); err != nil || got != "owner-only" {
		t.Errorf("a 0400 file: %q, %v", got, err)
	}
}

func TestReadRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		path func(t *testing.T) string
		want string
	}{
		{"group-readable", func(t *testing.T) string { return write(t, "x", 0o640) }, "chmod 600"},
		{"world-readable", func(t *testing.T) string { return write(t, "x", 0o604) }, "readable by group or others"},
		{"too large", func(t *testing.T) string { return write(t, strings.Repeat("x", MaxSize+1), 0o600) }, "larger than"},
		{"empty", func(t *testing.T) string { return write(t, "\n", 0o600) }, "empty"},
		{"a directory", func(t *testing.T) string { return t.TempDir() }, "not a regular file"},
		{"missing", func(t *testing.T) string { return filepath.Join(t.TempDir(), "none") }, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(tc.path(t))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one that says %q", err, tc.want)
			}
		})
	}
	_, err := Read(write(t, "x", 0o644))
	if !errors.Is(err, ErrLoose) {
		t.Errorf("a 0644 file: %v does not wrap ErrLoose", err)
	}
}
