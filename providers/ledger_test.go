package providers

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestLedgerLifecycle(t *testing.T) {
	l := NewLedger("test", 0)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	c, changed := l.Update("a", func(c *Call) { c.State = StateRinging; c.Arrived = t0 })
	if !changed || c.Version != 1 || c.Provider != "test" || c.ID != "a" {
		t.Fatalf("new call: changed=%v %+v", changed, c)
	}
	if _, changed = l.Update("a", func(c *Call) { c.State = StateRinging }); changed {
		t.Fatal("an identical update must not count as a change")
	}
	if _, changed = l.Update("a", func(c *Call) { c.Arrived = t0.In(time.FixedZone("x", 3600)) }); changed {
		t.Fatal("the same instant in another zone is no change")
	}
	c, _ = l.Update("a", func(c *Call) { c.State = StateActive })
	if c.Version != 2 || c.State != StateActive {
		t.Fatalf("answer: %+v", c)
	}
	c, changed = l.Update("a", func(c *Call) { c.State = StateConnecting; c.Region = "emea" })
	if !changed || c.State != StateActive || c.Region != "emea" {
		t.Fatalf("a late connecting must keep active and still apply other fields: %+v", c)
	}
	c, _ = l.Update("a", func(c *Call) { c.State = StateHeld })
	if c.State != StateHeld {
		t.Fatalf("active to held must be allowed: %+v", c)
	}
	c, _ = l.Update("a", func(c *Call) { c.State = StateActive })
	if c.State != StateActive {
		t.Fatalf("held to active must be allowed: %+v", c)
	}
	c, _ = l.Update("a", func(c *Call) { c.State = StateEnded; c.End = EndReason{Code: 200, Subcode: 5001} })
	if c.State != StateEnded {
		t.Fatalf("end: %+v", c)
	}
	v := c.Version
	c, changed = l.Update("a", func(c *Call) { c.State = StateRinging; c.End = EndReason{} })
	if changed || c.State != StateEnded || c.Version != v || c.End.Code != 200 {
		t.Fatalf("an ended call must never come back: changed=%v %+v", changed, c)
	}
	if live := l.Live(); len(live) != 0 {
		t.Fatalf("Live after end: %v", live)
	}
}

func TestLedgerLateStateKeepsCapabilities(t *testing.T) {
	l := NewLedger("test", 0)
	ring := func(c *Call) { c.State = StateRinging; c.Caps = Caps(ActionAnswer, ActionReject) }
	l.Update("a", ring)
	l.Update("a", func(c *Call) { c.State = StateActive; c.Caps = Caps(ActionHangup) })
	c, changed := l.Update("a", func(c *Call) { ring(c); c.Region = "amer" })
	if !changed || c.State != StateActive || c.Caps != Caps(ActionHangup) || !c.Can(ActionHangup) || c.Region != "amer" {
		t.Fatalf("a late ringing report must leave an active call its state and hang-up, and still apply the rest: %+v", c)
	}
	c, _ = l.Update("a", func(c *Call) { c.State = StateHeld; c.Caps = 0 })
	if c.State != StateHeld || c.Caps != 0 {
		t.Fatalf("a change of the same rank applies its capabilities: %+v", c)
	}
}

func TestLedgerUnknownStateKeepsOld(t *testing.T) {
	l := NewLedger("test", 0)
	c, _ := l.Update("n", func(c *Call) { c.State = "weird" })
	if c.State != StateRinging {
		t.Fatalf("an unknown state on a new call defaults to ringing, got %q", c.State)
	}
	l.Update("n", func(c *Call) { c.State = StateActive })
	c, _ = l.Update("n", func(c *Call) { c.State = "weird" })
	if c.State != StateActive {
		t.Fatalf("an unknown state keeps the old one, got %q", c.State)
	}
}

func TestLedgerForgetsOldestEnded(t *testing.T) {
	l := NewLedger("test", 2)
	for i := range 3 {
		l.Update(fmt.Sprint(i), func(c *Call) { c.State = StateEnded })
	}
	if _, ok := l.Get("0"); ok {
		t.Fatal("the oldest ended call should be forgotten beyond the limit")
	}
	for _, id := range []string{"1", "2"} {
		if _, ok := l.Get(id); !ok {
			t.Fatalf("ended call %s forgotten too early", id)
		}
	}
}

func TestLedgerSnapshotsShareNoMemory(t *testing.T) {
	l := NewLedger("test", 0)
	c, _ := l.Update("m", func(c *Call) { c.Modalities = []string{"audio"} })
	c.Modalities[0] = "changed"
	got, _ := l.Get("m")
	if got.Modalities[0] != "audio" {
		t.Fatal("a returned snapshot must not alias the ledger's copy")
	}
}

func TestLedgerConcurrent(t *testing.T) {
	l := NewLedger("test", 0)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 200 {
				l.Update(fmt.Sprint(i%10), func(c *Call) { c.Region = fmt.Sprint(w, i) })
			}
		})
	}
	wg.Wait()
	total := uint64(0)
	for _, c := range l.Live() {
		total += c.Version
	}
	if total != 1600 {
		t.Fatalf("every distinct update must bump the version once: total %d", total)
	}
}
