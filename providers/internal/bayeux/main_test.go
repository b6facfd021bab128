package bayeux

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test left a goroutine running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
