// Package regularfile opens a file that must be a regular file (a secret,
// the directory of transfer targets, a recording) and refuses anything else
// at once. The open itself never waits: opening a named pipe for reading
// waits for a writer, which would hold the program at start without a word.
package regularfile

import (
	"errors"
	"fmt"
	"os"
)

// ErrNotRegular is wrapped by Open's error for a path that is not a regular
// file: a named pipe, a device, a directory.
var ErrNotRegular = errors.New("not a regular file")

// Open opens path for reading and returns it with what it is, or an error
// that wraps ErrNotRegular ("PATH is not a regular file") when it is not a
// regular file. A failed open returns the os error as it is.
func Open(path string) (*os.File, os.FileInfo, error) {
	// nonBlock: a named pipe opens at once instead of waiting for a
	// writer, and is refused below like anything irregular. It changes
	// nothing for a regular file.
	f, err := os.OpenFile(path, os.O_RDONLY|nonBlock, 0)
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%s is %w", path, ErrNotRegular)
	}
	return f, info, nil
}
