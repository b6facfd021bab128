//go:build !unix

package regularfile

// nonBlock is nothing where the system has no O_NONBLOCK for open.
const nonBlock = 0
