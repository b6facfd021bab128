//go:build unix

package main

import (
	"errors"
	"syscall"
)

// noFollow makes an open fail on a symbolic link in the path's last element.
const noFollow = syscall.O_NOFOLLOW

// isLoop reports whether an open failed because noFollow met a link.
func isLoop(err error) bool { return errors.Is(err, syscall.ELOOP) }
