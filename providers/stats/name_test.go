package stats

import (
	"strings"
	"testing"
	"time"

	"ringside/providers"
)

// QueueName names each call's queue as the Counter's figures do, long
// names included.
func TestQueueNameMatchesTheFigures(t *testing.T) {
	long := strings.Repeat("Ü", maxQueueName+5)
	c := New(Config{})
	at := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	for i, field := range []string{"", "Sales", long, Direct} {
		c.Apply(providers.Call{ID: string(rune('a' + i)), State: providers.StateRinging, Direction: providers.Incoming,
			Queue: field, Arrived: at, Version: 1})
	}
	names := map[string]int{}
	for _, q := range c.Snapshot(at).Queues {
		names[q.Name] = q.Waiting
	}
	for _, field := range []string{"", "Sales", long} {
		if _, ok := names[QueueName(field)]; !ok {
			t.Errorf("QueueName(%.20q) = %.20q, not among the figures' queues %v", field, QueueName(field), names)
		}
	}
	if names[Direct] != 2 {
		t.Errorf("calls with no queue and those of a queue called %q: %d in %q, want 2", Direct, names[Direct], Direct)
	}
}
