package relay

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/natsboard/wire"
)

func isRinging(c providers.Call) bool { return c.State == providers.StateRinging }
func isEnded(c providers.Call) bool   { return c.State == providers.StateEnded }

// firstRun publishes calls "stays" and "gone" ringing, then stops cleanly.
func firstRun(t *testing.T, url, name string) *board {
	t.Helper()
	p := newScripted(live(providers.LinkLive), ringing("stays", 1), ringing("gone", 1))
	rr := startRelay(t, p, connect(t, url), Config{Board: name})
	b := watchBoard(t, connect(t, url), name)
	b.waitCall("stays", "ringing", isRinging)
	b.waitCall("gone", "ringing", isRinging)
	if err := rr.stop(t); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRestartEndsWhatEndedMeanwhile: a relay restarted over a provider
// that cannot look calls up ends, once the provider is live, the calls the
// earlier run left that it does not report; a call that started meanwhile
// appears, one it reports stays.
func TestRestartEndsWhatEndedMeanwhile(t *testing.T) {
	ns := startNATS(t)
	b := firstRun(t, ns.ClientURL(), "rs")

	p := newScripted(live(providers.LinkConnecting), ringing("stays", 1), ringing("new", 1))
	rr := startRelay(t, p, connect(t, ns.ClientURL()), Config{Board: "rs"})
	b.waitCall("new", "appeared", isRinging)
	// Not live yet: nothing is decided about "gone".
	if c, ok := b.call("gone"); !ok || c.State != providers.StateRinging {
		t.Fatalf("ended before the provider was live: %+v", c)
	}
	p.emit(live(providers.LinkLive))
	gone := b.waitCall("gone", "ended", isEnded)
	if gone.End.Text != AwayText || gone.Caps != 0 || gone.Result() != providers.OutcomeMissed || gone.Version != 2 {
		t.Fatalf("%+v", gone)
	}
	if c, ok := b.call("stays"); !ok || c.State != providers.StateRinging {
		t.Fatalf("a call the provider reported was ended: %+v", c)
	}
	if !strings.Contains(rr.said.String(), "1 call(s) an earlier run left live ended") {
		t.Fatalf("said:\n%s", rr.said.String())
	}
}

// TestRestartAsksAProviderThatCanRecheck: a provider that can look calls
// up is asked about those it does not report (and asked again about those
// it could not check); what it finds is what the board shows.
func TestRestartAsksAProviderThatCanRecheck(t *testing.T) {
	defer func(w []time.Duration) { recheckWaits = w }(recheckWaits)
	recheckWaits = []time.Duration{10 * time.Millisecond, 10 * time.Millisecond}
	ns := startNATS(t)
	b := firstRun(t, ns.ClientURL(), "rc")

	var mu sync.Mutex
	var asked [][]string
	p := &rechecking{scripted: newScripted(live(providers.LinkConnecting), ringing("stays", 1), live(providers.LinkLive))}
	p.recheck = func(ctx context.Context, calls []providers.Call) error {
		var ids []string
		for _, c := range calls {
			ids = append(ids, c.ID)
		}
		mu.Lock()
		asked = append(asked, ids)
		n := len(asked)
		mu.Unlock()
		if n == 1 {
			failed := &providers.RecheckError{Provider: "scripted"}
			for _, id := range ids {
				failed.Failed = append(failed.Failed, providers.RecheckFailure{ID: id, Err: errors.New("the source did not answer")})
			}
			return failed
		}
		p.emit(ended("gone", 2, "Graph no longer knows this call."))
		return nil
	}
	startRelay(t, p, connect(t, ns.ClientURL()), Config{Board: "rc"})
	gone := b.waitCall("gone", "ended by the provider", isEnded)
	if gone.End.Text != "Graph no longer knows this call." {
		t.Fatalf("%+v", gone)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(asked) != 2 || !slices.Equal(asked[0], []string{"gone"}) || !slices.Equal(asked[1], []string{"gone"}) {
		t.Fatalf("asked about %v", asked)
	}
	if c, ok := b.call("stays"); !ok || c.State != providers.StateRinging {
		t.Fatalf("%+v", c)
	}
}

// TestRestartWithNothingLeft: a board whose calls all ended needs nothing
// reconciled; a board's foreign or unreadable keys are skipped, not
// rewritten.
func TestRestartWithNothingLeft(t *testing.T) {
	ns := startNATS(t)
	nc := connect(t, ns.ClientURL())
	p := newScripted(live(providers.LinkLive), ended("old", 3, "Done."))
	rr := startRelay(t, p, nc, Config{Board: "calm"})
	b := watchBoard(t, nc, "calm")
	b.waitCall("old", "ended", isEnded)
	if _, err := b.kv.Put(context.Background(), wire.CallKey("junk"), []byte(`{"id":`)); err != nil {
		t.Fatal(err)
	}
	if err := rr.stop(t); err != nil {
		t.Fatal(err)
	}
	rr2 := startRelay(t, newScripted(live(providers.LinkLive)), nc, Config{Board: "calm"})
	eventually(t, "the restarted provider live", func() bool { return rr2.said.count("scripted: live") > 0 })
	if !strings.Contains(rr2.log.String(), "skipping a call the board holds that cannot be read") {
		t.Fatalf("log:\n%s", rr2.log.String())
	}
	if strings.Contains(rr2.said.String(), "left live") {
		t.Fatalf("said:\n%s", rr2.said.String())
	}
}
