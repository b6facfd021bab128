package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"ringside/providers"
	"ringside/providers/natsboard/wire"
)

// leaseOf reads the lease the board holds now.
func leaseOf(m map[string]jetstream.KeyValueEntry) (wire.Lease, jetstream.KeyValueOp, bool) {
	e, ok := m[wire.KeyLease]
	if !ok {
		return wire.Lease{}, 0, false
	}
	var l wire.Lease
	if e.Operation() == jetstream.KeyValuePut {
		if json.Unmarshal(e.Value(), &l) != nil {
			return wire.Lease{}, e.Operation(), false
		}
	}
	return l, e.Operation(), true
}

// TestSecondRelayIsRefusedUntilTheFirstStops: a second relay on a board
// is refused with words naming the first (host, pid); the first's clean
// stop deletes the lease, so the next starts at once.
func TestSecondRelayIsRefusedUntilTheFirstStops(t *testing.T) {
	ns := startNATS(t)
	first := startRelay(t, newScripted(live(providers.LinkLive)), connect(t, ns.ClientURL()), Config{Board: "one"})
	second := launch(t, newScripted(live(providers.LinkLive)), connect(t, ns.ClientURL()), Config{Board: "one"})
	err := second.wait(t)
	var held *LeaseHeldError
	if !errors.As(err, &held) || held.Holder.Relay != first.r.ID() {
		t.Fatalf("second relay: %v", err)
	}
	host, _ := os.Hostname()
	if msg := err.Error(); !strings.Contains(msg, "board one") || !strings.Contains(msg, host) ||
		!strings.Contains(msg, fmt.Sprintf("pid %d", os.Getpid())) || !strings.Contains(msg, wire.LeaseTTL.String()) {
		t.Fatalf("the refusal should name the board, the holder's host and pid, and the lease's TTL: %q", msg)
	}
	if !first.r.Owner() {
		t.Fatal("the refused relay took the board from the first")
	}

	b := watchBoard(t, connect(t, ns.ClientURL()), "one")
	if err := first.stop(t); err != nil {
		t.Fatal(err)
	}
	// Deleted, not expired: a console sees the relay gone at once.
	b.until("the lease deleted", func(m map[string]jetstream.KeyValueEntry) bool {
		_, op, ok := leaseOf(m)
		return ok && op == jetstream.KeyValueDelete
	})
	third := startRelay(t, newScripted(live(providers.LinkLive)), connect(t, ns.ClientURL()), Config{Board: "one"})
	b.until("the third relay's lease", func(m map[string]jetstream.KeyValueEntry) bool {
		l, op, ok := leaseOf(m)
		return ok && op == jetstream.KeyValuePut && l.Relay == third.r.ID()
	})
}

// TestKilledRelayFreesTheBoardAfterLeaseTTL: a relay that dies (its
// connection gone: no more renewals, no delete) holds the board until its
// lease expires, and then another relay starts.
func TestKilledRelayFreesTheBoardAfterLeaseTTL(t *testing.T) {
	ns := startNATS(t)
	ncA := connect(t, ns.ClientURL())
	a := startRelay(t, newScripted(live(providers.LinkLive)), ncA, Config{Board: "k"})
	b := watchBoard(t, connect(t, ns.ClientURL()), "k")
	ncA.Close()
	if err := a.wait(t); !errors.Is(err, nats.ErrConnectionClosed) {
		t.Fatalf("the relay whose connection closed: %v", err)
	}
	refused := launch(t, newScripted(live(providers.LinkLive)), connect(t, ns.ClientURL()), Config{Board: "k"})
	var held *LeaseHeldError
	if err := refused.wait(t); !errors.As(err, &held) || held.Holder.Relay != a.r.ID() {
		t.Fatalf("while the dead relay's lease lasts: %v", err)
	}
	b.until("the dead relay's lease to expire", func(m map[string]jetstream.KeyValueEntry) bool {
		_, op, ok := leaseOf(m)
		return ok && op == jetstream.KeyValuePurge
	})
	startRelay(t, newScripted(live(providers.LinkLive)), connect(t, ns.ClientURL()), Config{Board: "k"})
}

// TestLostLeaseStopsTheActions: when another writer takes the lease key,
// the relay stops serving actions at once, leaves the key alone and ends
// with ErrLeaseLost naming the new holder.
func TestLostLeaseStopsTheActions(t *testing.T) {
	ns := startNATS(t)
	nc := connect(t, ns.ClientURL())
	p := newScripted(live(providers.LinkLive), ringing("c1", 1))
	rr := startRelay(t, p, nc, Config{Board: "lost"})
	b := watchBoard(t, connect(t, ns.ClientURL()), "lost")
	b.waitCall("c1", "ringing", func(c providers.Call) bool { return c.State == providers.StateRinging })
	if code, _ := request(t, nc, "lost", "answer", []byte(`{"id":"c1"}`), nil); code != "" {
		t.Fatalf("before: code %s", code)
	}

	intruder, _ := json.Marshal(wire.Lease{Relay: "intruder", Host: "elsewhere", PID: 4242, Since: t0})
	if _, err := b.kv.Put(context.Background(), wire.KeyLease, intruder); err != nil {
		t.Fatal(err)
	}
	err := rr.wait(t)
	if !errors.Is(err, ErrLeaseLost) || !strings.Contains(err.Error(), "elsewhere") {
		t.Fatalf("%v", err)
	}
	if rr.r.Owner() {
		t.Fatal("the relay still thinks it owns the board")
	}
	if !noResponders(nc, wire.ActionSubject("lost", "answer")) {
		t.Fatal("actions still served after the lease was lost")
	}
	if got := p.actions(); len(got) != 1 {
		t.Fatalf("the provider was asked %v", got)
	}
	e, err := b.kv.Get(context.Background(), wire.KeyLease)
	if err != nil || string(e.Value()) != string(intruder) {
		t.Fatalf("the lost lease must be left to its holder: %v %s", err, e.Value())
	}
	if !strings.Contains(rr.said.String(), "actions stopped") {
		t.Fatalf("the operator should be told: %s", rr.said.String())
	}
}

// TestRenewalAdoptsItsOwnWrite: a renewal that meets a revision written
// with the relay's own lease (its ack was lost) keeps the board; a lease
// deleted under a live relay (lapsed while NATS was away) is taken again.
func TestRenewalAdoptsItsOwnWrite(t *testing.T) {
	ns := startNATS(t)
	nc := connect(t, ns.ClientURL())
	rr := startRelay(t, newScripted(live(providers.LinkLive)), nc, Config{Board: "own"})
	b := watchBoard(t, connect(t, ns.ClientURL()), "own")
	ctx := context.Background()
	e, err := b.kv.Get(ctx, wire.KeyLease)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := b.kv.Put(ctx, wire.KeyLease, e.Value())
	if err != nil {
		t.Fatal(err)
	}
	b.until("a renewal after the foreign write", func(m map[string]jetstream.KeyValueEntry) bool {
		l, op, ok := leaseOf(m)
		return ok && op == jetstream.KeyValuePut && l.Relay == rr.r.ID() && m[wire.KeyLease].Revision() > rev
	})

	if err := b.kv.Delete(ctx, wire.KeyLease); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the lease taken again", func() bool { return rr.log.count("taken again") > 0 })
	e, err = b.kv.Get(ctx, wire.KeyLease)
	if err != nil || !strings.Contains(string(e.Value()), rr.r.ID()) || !rr.r.Owner() {
		t.Fatalf("owner %v, lease %s %v; log:\n%s", rr.r.Owner(), e.Value(), err, rr.log.String())
	}
	if err := rr.stop(t); err != nil {
		t.Fatal(err)
	}
}
