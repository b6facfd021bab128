//go:build !unix

package main

// noFollow is nothing where the system has no O_NOFOLLOW: the look before
// the open and the comparison after it are what refuse a link there.
const noFollow = 0
