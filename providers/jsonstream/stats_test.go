package jsonstream

import (
	"encoding/json"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/stats"
)

// TestMarshalStats writes the figures of a few real calls: every field of
// the line, durations in seconds to the millisecond, the SL and the
// averages left out where there is none, alarms by name.
func TestMarshalStats(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 2, 10, 0, time.UTC)
	since := time.Date(2026, 11, 23, 9, 0, 30, 0, time.UTC)
	c := stats.New(stats.Config{Window: 3 * time.Minute, Threshold: 20 * time.Second, Target: 0.8, Since: since})
	arrived := since.Add(15 * time.Second)
	sales := providers.Call{ID: "s1", State: providers.StateEnded, Direction: providers.Incoming, Queue: "Sales",
		Arrived: arrived, Answered: arrived.Add(12345 * time.Millisecond), Ended: arrived.Add(100 * time.Second), Version: 3}
	waiting := providers.Call{ID: "d1", State: providers.StateRinging, Direction: providers.Incoming,
		Arrived: at.Add(-31*time.Second - 400*time.Microsecond), Version: 1}
	for _, call := range []providers.Call{sales, waiting} {
		c.Apply(call)
	}
	b, err := MarshalStats(c.Snapshot(at))
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"time":"2026-11-23T09:02:10Z","type":"stats","since":"2026-11-23T09:00:30Z","from":"2026-11-23T09:00:30Z",` +
		`"window_s":180,"threshold_s":20,"target":0.8,"queues":[` +
		`{"name":"Sales","waiting":0,"talking":0,"held":0,"longest_wait_s":0,"offered":1,"answered":1,"within_sl":1,` +
		`"sl_counted":1,"abandoned":0,"short_abandoned":0,"rejected":0,"transferred":0,"sl":1,"asa_s":12.345,"aht_s":87.655,` +
		`"arrivals":[1,0,0],"alarms":[]},` +
		`{"name":"direct","waiting":1,"talking":0,"held":0,"longest_wait_s":31,"offered":1,"answered":0,"within_sl":0,` +
		`"sl_counted":1,"abandoned":0,"short_abandoned":0,"rejected":0,"transferred":0,"sl":0,` +
		`"arrivals":[0,1,0],"alarms":["sl_below_target","wait_beyond_threshold"]}],` +
		`"total":{"waiting":1,"talking":0,"held":0,"longest_wait_s":31,"offered":2,"answered":1,"within_sl":1,` +
		`"sl_counted":2,"abandoned":0,"short_abandoned":0,"rejected":0,"transferred":0,"sl":0.5,"asa_s":12.345,"aht_s":87.655,` +
		`"arrivals":[1,1,0],"alarms":["sl_below_target","wait_beyond_threshold"]}}`
	if string(b) != want {
		t.Fatalf("stats line:\n got %s\nwant %s", b, want)
	}
}

// TestMarshalStatsWithNothing: with no calls the line still has every
// list, empty, and no since when the figures cover the whole window.
func TestMarshalStatsWithNothing(t *testing.T) {
	b, err := MarshalStats(stats.New(stats.Config{Window: 2 * time.Minute}).Snapshot(time.Date(2026, 1, 1, 0, 0, 59, 0, time.FixedZone("CET", 3600))))
	if err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal(b, &line); err != nil {
		t.Fatal(err)
	}
	if _, ok := line["since"]; ok || line["time"] != "2025-12-31T23:00:59Z" || line["from"] != "2025-12-31T22:59:00Z" {
		t.Fatalf("times: %s", b)
	}
	total := line["total"].(map[string]any)
	if q := line["queues"].([]any); len(q) != 0 || len(total["arrivals"].([]any)) != 2 || len(total["alarms"].([]any)) != 0 {
		t.Fatalf("lists: %s", b)
	}
	if _, ok := total["sl"]; ok {
		t.Fatalf("an SL without calls: %s", b)
	}
}
