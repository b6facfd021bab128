package main

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"ringside/providers/jsonstream"
	"ringside/providers/stats"
)

// TestJSONStreamStatsLine runs the demo through --json --stats and checks
// that every stats line is exactly the figures of the call lines written
// before it: a Counter fed those lines, with the configuration and the start
// the line states, gives the same line at the same time.
func TestJSONStreamStatsLine(t *testing.T) {
	statsLines := func(out string) int { return strings.Count(out, `"type":"stats"`) }
	out := streamUntil(t, "no stats line with calls offered", func(out string) bool {
		// Calls offered since the start, so the window's figures are at work.
		return statsLines(out) >= 3 && !strings.Contains(lastStats(out), `"longest_wait_s":0,"offered":0,`)
	}, "--json", "--stats", "--stats-every", "100ms", "--stats-window", "5m", "--service-level", "2s",
		"--service-level-target", "90%", "--demo-seed", "7", "--demo-calls", "5", "--demo-rate", "1200")

	var calls []string
	checked := 0
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		var head struct {
			Type      string    `json:"type"`
			Time      time.Time `json:"time"`
			Since     time.Time `json:"since"`
			Window    float64   `json:"window_s"`
			Threshold float64   `json:"threshold_s"`
			Target    float64   `json:"target"`
			Call      json.RawMessage
		}
		if err := json.Unmarshal([]byte(line), &head); err != nil {
			t.Fatalf("not JSON: %s: %v", line, err)
		}
		switch head.Type {
		case "call":
			calls = append(calls, string(head.Call))
		case "stats":
			if head.Window != 300 || head.Threshold != 2 || head.Target != 0.9 || head.Since.IsZero() {
				t.Fatalf("the line does not say the flags' figures: %s", line)
			}
			c := stats.New(stats.Config{Window: 5 * time.Minute, Threshold: 2 * time.Second, Target: 0.9, Since: head.Since})
			for _, raw := range calls {
				call, err := jsonstream.UnmarshalCall([]byte(raw))
				if err != nil {
					t.Fatal(err)
				}
				c.Apply(call)
			}
			want, err := jsonstream.MarshalStats(c.Snapshot(head.Time))
			if err != nil {
				t.Fatal(err)
			}
			if line != string(want) {
				t.Fatalf("after %d call lines the stats line says\n%s\nbut those calls give\n%s", len(calls), line, want)
			}
			checked++
		}
	}
	if checked < 3 {
		t.Fatalf("%d stats lines checked", checked)
	}
}

// lastStats is the last stats line of out.
func lastStats(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for j := len(lines) - 1; j >= 0; j-- {
		if strings.Contains(lines[j], `"type":"stats"`) {
			return lines[j]
		}
	}
	return ""
}

// TestStatsFlags: the figures' flags are read from the command line and
// the environment, and a wrong value exits 2 saying what is wrong.
func TestStatsFlags(t *testing.T) {
	if c, _, _, ok := parseArgs(nil, newTestEnv(nil).env()); !ok || c.Figures.config(time.Time{}) != (stats.Config{Window: time.Hour, Threshold: 20 * time.Second, Target: 0.8}) || c.Console.StatsEvery != 10*time.Second {
		t.Fatalf("defaults %+v, every %v", c.Figures.config(time.Time{}), c.Console.StatsEvery)
	}
	t.Setenv("RINGSIDE_SERVICE_LEVEL_TARGET", "85%")
	te := newTestEnv(nil)
	c, _, _, ok := parseArgs([]string{"--json", "--stats", "--stats-window", "15m", "--service-level", "30s"}, te.env())
	if !ok {
		t.Fatalf("refused: %s", te.stderr.String())
	}
	if got := c.Figures.config(time.Time{}); got.Window != 15*time.Minute || got.Threshold != 30*time.Second || got.Target != 0.85 {
		t.Fatalf("figures %+v", got)
	}
	if c, _, _, ok := parseArgs([]string{"--service-level-target", "0.75"}, newTestEnv(nil).env()); !ok || c.Figures.ServiceLevelTarget != 0.75 {
		t.Fatalf("target %v, want 0.75: the flag wins over the environment", c.Figures.ServiceLevelTarget)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--stats"}, "--stats goes with --json"},
		{[]string{"--json", "--stats", "--stats-every", "1ms"}, "--stats-every 1ms: want at least 100ms"},
		{[]string{"--stats-window", "90s"}, "--stats-window 1m30s: want whole minutes"},
		{[]string{"--stats-window", "48h"}, "want 1m to 24h"},
		{[]string{"--service-level", "0s"}, "--service-level 0s"},
		{[]string{"--service-level-target", "80"}, "write a percentage with its sign (80%) or a fraction (0.8)"},
		{[]string{"--service-level-target", "abc"}, "not a service-level target"},
		{[]string{"--service-level-target", "150%"}, "out of range"},
	} {
		te := newTestEnv(nil)
		if code := run(tc.args, te.env()); code != exitUsage || !strings.Contains(te.stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, te.stderr.String(), tc.want)
		}
	}
}
