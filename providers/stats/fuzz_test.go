package stats_test

import (
	"encoding/binary"
	"math"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/stats"
)

// FuzzApply: whatever snapshots arrive (any state, direction, queue,
// version, and times from year 1 to 9999), Apply and Snapshot never panic,
// and the figures hold together: no count below zero, the outcomes within
// the offered, the service level within its parts, the total the sum of
// the queues.
func FuzzApply(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	f.Add([]byte("\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x80 some more bytes to read"))
	f.Fuzz(func(t *testing.T, b []byte) {
		base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		read := func() uint64 {
			var v [8]byte
			n := copy(v[:], b)
			b = b[n:]
			return binary.LittleEndian.Uint64(v[:])
		}
		when := func(v uint64) time.Time {
			switch v % 8 {
			case 0:
				return time.Time{}
			case 1:
				return time.Unix(int64(v>>3)-math.MaxInt64/16, 0) // anywhere
			default:
				return base.Add(time.Duration(v>>3) % (3 * time.Hour))
			}
		}
		c := stats.New(stats.Config{Window: time.Duration(1+read()%90) * time.Minute, MaxCalls: 1 + int(read()%64),
			Since: when(read())})
		states := append(providers.States, "bogus")
		for len(b) > 0 {
			v := read()
			call := providers.Call{
				ID:        string(rune('a' + v%20)),
				State:     states[(v>>5)%uint64(len(states))],
				Direction: []providers.Direction{providers.Incoming, providers.Incoming, providers.Outgoing, ""}[(v>>8)%4],
				Queue:     []string{"", "Sales", "Support", "direct"}[(v>>10)%4],
				Outcome:   []providers.Outcome{"", providers.OutcomeHandled, providers.OutcomeMissed, providers.OutcomeRejected, providers.OutcomeTransferred, providers.OutcomeElsewhere}[(v>>12)%6],
				Version:   v >> 15 % 64,
				Arrived:   when(read()),
				Answered:  when(read()),
				Ended:     when(read()),
			}
			if v&(1<<20) != 0 {
				call.Version = math.MaxUint64 - v%3
			}
			c.Apply(call)
			if v&(1<<21) != 0 {
				check(t, c.Snapshot(when(read())))
			}
		}
		check(t, c.Snapshot(base.Add(time.Hour)))
	})
}

func check(t *testing.T, s stats.Snapshot) {
	t.Helper()
	var sum stats.Queue
	for _, q := range append(s.Queues, s.Total) {
		for _, n := range []int{q.Waiting, q.Talking, q.Held, q.Offered, q.Answered, q.WithinSL, q.Abandoned,
			q.ShortAbandoned, q.Rejected, q.Transferred, q.SLCounted} {
			if n < 0 {
				t.Fatalf("a count below zero: %+v", q)
			}
		}
		if q.Answered+q.Abandoned+q.Rejected > q.Offered || q.Transferred > q.Offered || q.ShortAbandoned > q.Abandoned ||
			q.WithinSL > q.Answered || q.SLCounted < q.WithinSL || q.SLCounted > q.Offered {
			t.Fatalf("figures that do not hold together: %+v", q)
		}
		if q.SL < 0 || q.SL > 1 || q.HasSL != (q.SLCounted > 0) || q.ASA < 0 || q.AHT < 0 || q.LongestWait < 0 {
			t.Fatalf("ratios or durations out of bounds: %+v", q)
		}
		arrivals := 0
		for _, n := range q.Arrivals {
			arrivals += n
		}
		if arrivals != q.Offered || len(q.Arrivals) != int(s.Window/time.Minute) {
			t.Fatalf("arrivals %v do not add up to %d offered", q.Arrivals, q.Offered)
		}
	}
	for _, q := range s.Queues {
		sum.Waiting += q.Waiting
		sum.Offered += q.Offered
		sum.SLCounted += q.SLCounted
		sum.LongestWait = max(sum.LongestWait, q.LongestWait)
	}
	if sum.Waiting != s.Total.Waiting || sum.Offered != s.Total.Offered || sum.SLCounted != s.Total.SLCounted || sum.LongestWait != s.Total.LongestWait {
		t.Fatalf("the total is not the sum of the queues: %+v vs %+v", s.Total, sum)
	}
}
