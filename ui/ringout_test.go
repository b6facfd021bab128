package ui

import (
	"strings"
	"testing"
	"time"

	"ringside/providers"
)

// The details of a ringing call say what the switch does to the agent if
// it rings out; once answered, or when the switch does nothing, they say
// nothing of it, and the panel is a line shorter.
func TestDetailsSayWhatRingingOutDoes(t *testing.T) {
	for _, tt := range []struct {
		ringOut providers.RingOut
		want    string
	}{
		{providers.RingOutNotReady, "unanswered: the switch sets you Not Ready"},
		{providers.RingOutLogOut, "unanswered: the switch logs you out"},
	} {
		t.Run(tt.want, func(t *testing.T) {
			hs := newHarness(t, 100, 30)
			c := ringing("c1", "Ana", t0)
			plain := c
			hs.events(plain)
			hs.key("enter")
			plainHeight := hs.m.details.panel(hs.m)
			if got := hs.screen(); strings.Contains(got, "unanswered") {
				t.Fatalf("a call the switch does nothing about says it does:\n%s", got)
			}
			c = next(c, func(c *providers.Call) { c.RingOut = tt.ringOut })
			hs.events(c)
			if got := hs.screen(); !strings.Contains(got, "ring out") || !strings.Contains(got, tt.want) {
				t.Fatalf("the details do not say %q:\n%s", tt.want, got)
			}
			if h := hs.m.details.panel(hs.m); h != plainHeight+1 {
				t.Errorf("panel %d lines, want %d", h, plainHeight+1)
			}
			hs.events(answered(c, t0.Add(2*time.Second)))
			if got := hs.screen(); strings.Contains(got, "unanswered") {
				t.Errorf("an answered call still says what ringing out does:\n%s", got)
			}
		})
	}
}

// A call the switch acts on that rings out says so in the status line,
// whether it was selected or not; one the caller gave up before its
// deadline, one answered, and one the switch does nothing about do not.
func TestRangOutSaysWhatTheSwitchDid(t *testing.T) {
	notReady := func(c providers.Call) providers.Call {
		c.RingOut = providers.RingOutNotReady
		return c
	}
	missed := func(c providers.Call, at time.Time) providers.Call {
		return ended(c, at, providers.EndReason{Text: "released while ringing"}, providers.OutcomeNone)
	}
	// rings rings a call the switch sets the agent Not Ready for, which
	// ends unanswered after d.
	rings := func(t *testing.T, d time.Duration) *harness {
		hs := newHarness(t, 100, 30)
		c := notReady(ringing("c1", "Ana", t0))
		hs.events(c)
		hs.clk.advance(d)
		hs.events(missed(c, hs.clk.t))
		return hs
	}
	t.Run("selected, Not Ready", func(t *testing.T) {
		hs := rings(t, 15*time.Second)
		if got, want := hs.m.status.text, "Ana rang out: the switch set you Not Ready · nothing left to select"; got != want {
			t.Errorf("status %q, want %q", got, want)
		}
		if hs.m.status.kind != statusError {
			t.Errorf("status kind %d, want an error's", hs.m.status.kind)
		}
	})
	t.Run("not selected, logged out", func(t *testing.T) {
		hs := newHarness(t, 100, 30)
		c := ringing("c1", "Ana", t0)
		c.RingOut = providers.RingOutLogOut
		hs.events(c, ringing("c2", "Bo", t0.Add(time.Second)))
		hs.key("j")
		if hs.selectedID() != "c2" {
			t.Fatalf("selected %q", hs.selectedID())
		}
		hs.clk.advance(16 * time.Second)
		hs.events(missed(c, hs.clk.t))
		if got, want := hs.m.status.text, "Ana rang out: the switch logged you out"; got != want {
			t.Errorf("status %q, want %q", got, want)
		}
	})
	t.Run("within the slack of the deadline", func(t *testing.T) {
		hs := rings(t, 14*time.Second)
		if !strings.Contains(hs.m.status.text, "rang out") {
			t.Errorf("status %q", hs.m.status.text)
		}
	})
	for name, end := range map[string]func(hs *harness, c providers.Call) providers.Call{
		"the caller gave up": func(hs *harness, c providers.Call) providers.Call {
			hs.clk.advance(5 * time.Second)
			return missed(c, hs.clk.t)
		},
		"answered, then hung up": func(hs *harness, c providers.Call) providers.Call {
			hs.clk.advance(20 * time.Second)
			return ended(answered(c, t0.Add(3*time.Second)), hs.clk.t, providers.EndReason{Text: "released"}, providers.OutcomeNone)
		},
		"rejected": func(hs *harness, c providers.Call) providers.Call {
			hs.clk.advance(20 * time.Second)
			return ended(c, hs.clk.t, providers.EndReason{Text: "rejected"}, providers.OutcomeRejected)
		},
		"the switch does nothing": func(hs *harness, c providers.Call) providers.Call {
			hs.clk.advance(20 * time.Second)
			c = missed(c, hs.clk.t)
			c.RingOut = providers.RingOutNone
			return c
		},
	} {
		t.Run(name, func(t *testing.T) {
			hs := newHarness(t, 100, 30)
			c := notReady(ringing("c1", "Ana", t0))
			hs.events(c)
			hs.events(end(hs, c))
			if strings.Contains(hs.m.status.text, "rang out") || strings.Contains(hs.m.status.text, "switch") {
				t.Errorf("status %q", hs.m.status.text)
			}
		})
	}
}
