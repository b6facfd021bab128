package bayeux

import (
	"flag"
	"testing"

	"go.uber.org/goleak"
)

// TestMain runs the tests and fails the package if any left a goroutine
// running. The tests against real servers mostly wait (for holds, back-off,
// the servers' timers), so they run with more parallelism than the number
// of cores, unless -parallel says otherwise.
func TestMain(m *testing.M) {
	flag.Set("test.parallel", "4")
	goleak.VerifyTestMain(m)
}
