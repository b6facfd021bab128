// Package secretfile reads a credential from a file the way ssh reads a
// private key: only a regular file that no one but its owner can read, and
// only a few kilobytes of it.
package secretfile

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"

	"ringside/providers/regularfile"
)

// MaxSize is the most a secret file may hold. Client secrets and passwords
// are far shorter; a larger file is the wrong file (a key bundle, a log).
const MaxSize = 4096

// ErrLoose is wrapped by Read's error when group or others may read the
// file.
var ErrLoose = errors.New("readable by group or others")

// Read returns the file's content without its final line ending. It refuses
// a file that group or others can read (chmod 600 fixes that), anything but
// a regular file, a file larger than MaxSize and an empty one, and says
// which in its error.
func Read(path string) (string, error) { return ReadUpTo(path, MaxSize) }

// ReadUpTo is Read for a secret that may be larger than MaxSize, up to most
// bytes: a NATS credentials file holds a signed token and a key.
func ReadUpTo(path string, most int64) (string, error) {
	f, info, err := regularfile.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	// Windows has no such mode bits; its ACLs are not checked here.
	if perm := info.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return "", fmt.Errorf("%s is %w (mode %04o): run chmod 600 %s", path, ErrLoose, perm, path)
	}
	if info.Size() > most {
		return "", fmt.Errorf("%s is larger than %d bytes; is it the right file?", path, most)
	}
	buf, err := io.ReadAll(io.LimitReader(f, most+1))
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(buf)) > most {
		return "", fmt.Errorf("%s is larger than %d bytes; is it the right file?", path, most)
	}
	secret := strings.TrimSuffix(strings.TrimSuffix(string(buf), "\n"), "\r")
	if secret == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return secret, nil
}
