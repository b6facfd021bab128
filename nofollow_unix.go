//go:build unix

package main

import "syscall"

// noFollow makes an open fail on a symbolic link in the path's last element.
const noFollow = syscall.O_NOFOLLOW
