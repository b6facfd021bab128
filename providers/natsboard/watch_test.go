package natsboard

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"ringside/providers"
	"ringside/providers/jsonstream"
	"ringside/providers/natsboard/boardtest"
	"ringside/providers/natsboard/wire"
)

// TestJoinShowsTheWholeBoardThenEveryChange: the board as it is on join,
// each call at its revision, then each change as it is written.
func TestJoinShowsTheWholeBoardThenEveryChange(t *testing.T) {
	srv := boardtest.Start(t)
	b := publish(t, srv, "front")
	revs := map[string]uint64{
		"c1": b.Call(ringing("c1")),
		"c2": b.Call(active(ringing("c2"))),
		"c3": b.Call(ended(ringing("c3"), "Caller hung up.")),
	}
	c := join(t, srv.URL, setup{}, "front")
	if c.p.Name() != "nats" || c.p.ReadOnly() || c.p.Offers() != providers.Caps(providers.Actions...) ||
		len(c.p.RejectReasons()) != len(providers.RejectReasons) {
		t.Fatalf("name %q, read-only %v, offers %v, reasons %v", c.p.Name(), c.p.ReadOnly(), c.p.Offers().Names(), c.p.RejectReasons())
	}
	c.waitFor("the whole board", func() bool { return len(c.calls) == 3 })
	c.mu.Lock()
	for id, rev := range revs {
		if got := c.calls[id]; got.Version != rev || got.Provider != "demo" || got.From.Name != "Caller "+id {
			t.Errorf("%s: version %d (revision %d), provider %q, from %+v", id, got.Version, rev, got.Provider, got.From)
		}
	}
	if c.calls["c3"].End.Text != "Caller hung up." || c.calls["c1"].Caps != ringing("c1").Caps {
		t.Errorf("c3 end %+v, c1 caps %v", c.calls["c3"].End, c.calls["c1"].Caps.Names())
	}
	c.mu.Unlock()
	st := c.waitStatus("the relay's status", live)
	if st.Detail != "simulated, seed 7" || st.Warning != "" {
		t.Fatalf("status %+v", st)
	}

	rev := b.Call(active(ringing("c1")))
	if got := c.waitCall("c1", providers.StateActive); got.Version != rev {
		t.Fatalf("c1 version %d, want revision %d", got.Version, rev)
	}
	b.Call(ringing("c4"))
	c.waitCall("c4", providers.StateRinging)
	b.Call(ended(active(ringing("c2")), "Hung up."))
	c.waitCall("c2", providers.StateEnded)
	b.Status(providers.Status{Link: providers.LinkReconnecting, Detail: "lost the simulator"})
	c.waitStatus("the relay's new status", func(s providers.Status) bool {
		return s.Link == providers.LinkReconnecting && s.Detail == "lost the simulator"
	})
}

// TestRevisionWinsOverTheProvidersVersion: a relay restarted counts its
// calls from version 1 again; the console's version is the revision, so
// the later snapshot still wins.
func TestRevisionWinsOverTheProvidersVersion(t *testing.T) {
	srv := boardtest.Start(t)
	b := publish(t, srv, "front")
	before := ringing("c1")
	before.Version = 9
	first := b.Call(before)
	c := join(t, srv.URL, setup{}, "front")
	c.waitCall("c1", providers.StateRinging)

	after := active(ringing("c1"))
	after.Version = 1 // the restarted relay's provider knows the call anew
	second := b.Call(after)
	got := c.waitCall("c1", providers.StateActive)
	if got.Version != second || got.Version <= first {
		t.Fatalf("version %d after %d: want the revision %d", got.Version, first, second)
	}
}

// TestSeveralBoards: ids carry their board, Provider is the board, offers
// and reasons are the union, the status says each board's words.
func TestSeveralBoards(t *testing.T) {
	srv := boardtest.Start(t)
	nc := srv.Connect("", "")
	front := boardtest.Publish(t, nc, boardtest.Meta("front", "graph", providers.ActionAnswer, providers.ActionReject))
	backMeta := boardtest.Meta("back", "genesys", providers.ActionAnswer, providers.ActionHangup, providers.ActionHold)
	backMeta.RejectReasons, backMeta.AgentControl = nil, true
	back := boardtest.Publish(t, nc, backMeta)
	for _, b := range []*boardtest.Board{front, back} {
		b.TakeLease()
		b.Status(providers.Status{Link: providers.LinkLive, Detail: b.Name + " is up", Warning: "careful on " + b.Name})
		b.Call(ringing("c1"))
		b.Serve(boardtest.OK)
	}
	c := join(t, srv.URL, setup{}, "front", "back")
	if _, ok := c.joined.(providers.AgentControl); ok {
		t.Error("agent state offered with two boards")
	}
	if got := c.p.Offers(); got != providers.Caps(providers.ActionAnswer, providers.ActionReject, providers.ActionHangup, providers.ActionHold) {
		t.Errorf("offers %v", got.Names())
	}
	if len(c.p.RejectReasons()) != 3 {
		t.Errorf("reasons %v", c.p.RejectReasons())
	}
	c.waitFor("a call from each board", func() bool {
		f, okF := c.call("front.c1")
		b, okB := c.call("back.c1")
		return okF && okB && f.Provider == "front" && b.Provider == "back"
	})
	st := c.waitStatus("both relays live", func(s providers.Status) bool {
		return live(s) && strings.Contains(s.Detail, "front: front is up") && strings.Contains(s.Detail, "back: back is up")
	})
	if st.Warning != "front: careful on front · back: careful on back" {
		t.Errorf("warning %q", st.Warning)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.joined.Answer(ctx, "back.c1"); err != nil {
		t.Fatal(err)
	}
	// front offers no hold: refused here, in words, before anything is sent.
	if err := c.joined.Hold(ctx, "front.c1"); !errors.Is(err, providers.ErrNotAllowed) || !strings.Contains(err.Error(), "board front (graph) does not offer hold") {
		t.Errorf("hold on front: %v", err)
	}
	if got := back.Requests(); len(got) != 1 || got[0].Endpoint != "answer" || got[0].Body.ID != "c1" || len(front.Requests()) != 0 {
		t.Fatalf("back got %+v, front %+v", got, front.Requests())
	}
	for _, id := range []string{"c1", "side.c1", "front"} {
		if err := c.joined.Answer(ctx, id); !errors.Is(err, providers.ErrNotFound) {
			t.Errorf("%s: %v", id, err)
		}
	}

	// One relay goes: the console says which, with the worst link.
	back.ReleaseLease()
	st = c.waitStatus("back offline", func(s providers.Status) bool { return s.Link == providers.LinkReconnecting })
	if !strings.Contains(st.Detail, "front: front is up") || !strings.Contains(st.Detail, "back: relay offline since ") {
		t.Fatalf("status %+v", st)
	}
}

// TestLeaseGoneShowsTheBoardAsItWas: no lease, the board is stale and
// says since when; a relay back, the board is live again and its calls
// follow without a restart.
func TestLeaseGoneShowsTheBoardAsItWas(t *testing.T) {
	srv := boardtest.Start(t)
	b := boardtest.Publish(t, srv.Connect("", ""), boardtest.Meta("front", "demo", providers.Actions...))
	b.Status(providers.Status{Link: providers.LinkLive, Detail: "simulated"})
	b.Call(ringing("c1"))
	c := join(t, srv.URL, setup{}, "front")

	// No relay at all when the console joins.
	st := c.waitStatus("stale at join", func(s providers.Status) bool { return s.Link == providers.LinkReconnecting })
	if !strings.HasPrefix(st.Detail, "relay offline since ") || !strings.HasSuffix(st.Detail, " · showing the board as it was") {
		t.Fatalf("status %+v", st)
	}
	c.waitCall("c1", providers.StateRinging)

	b.TakeLease()
	c.waitStatus("live once a relay holds the board", live)
	b.Call(ringing("c2"))
	c.waitCall("c2", providers.StateRinging)

	// A relay that stops cleanly deletes its lease; the marker says when.
	n := c.eventCount()
	b.ReleaseLease()
	st = c.waitStatus("stale after the relay stopped", func(s providers.Status) bool { return s.Link == providers.LinkReconnecting })
	if !strings.HasPrefix(st.Detail, "relay offline since ") || !strings.Contains(st.Detail, "showing the board as it was") {
		t.Fatalf("status %+v", st)
	}
	if got := c.eventsSince(n); len(got) != 0 {
		t.Fatalf("calls changed when the relay went: %+v", got)
	}

	// Back again: the relay's status and new calls.
	b.TakeLease()
	b.Status(providers.Status{Link: providers.LinkLive, Detail: "simulated again"})
	c.waitStatus("the relay's status again", func(s providers.Status) bool { return live(s) && s.Detail == "simulated again" })
	b.Call(active(ringing("c2")))
	c.waitCall("c2", providers.StateActive)

	// A lease that expires is purged: the same words.
	b.PurgeLease()
	c.waitStatus("stale after the lease expired", func(s providers.Status) bool {
		return s.Link == providers.LinkReconnecting && strings.HasPrefix(s.Detail, "relay offline since ")
	})
}

// TestOfflineTimeIsTheMarkers: the words say when the relay went, as the
// lease's marker records it.
func TestOfflineTimeIsTheMarkers(t *testing.T) {
	srv := boardtest.Start(t)
	b := publish(t, srv, "front")
	c := join(t, srv.URL, setup{}, "front")
	c.waitStatus("live", live)
	b.ReleaseLease()
	st := c.waitStatus("stale", func(s providers.Status) bool { return s.Link == providers.LinkReconnecting })
	hist, err := b.KV.History(context.Background(), wire.KeyLease)
	if err != nil {
		t.Fatal(err)
	}
	marker := hist[len(hist)-1]
	if marker.Operation() != jetstream.KeyValueDelete {
		t.Fatalf("last lease entry %v", marker.Operation())
	}
	if want := "relay offline since " + marker.Created().Local().Format("15:04:05"); !strings.HasPrefix(st.Detail, want) {
		t.Fatalf("detail %q, want %q…", st.Detail, want)
	}
}

// TestServerRestartNoGhostNoGap: NATS goes away and comes back on the
// same port and store; what changed meanwhile shows at once: a call that
// ended ends, a call whose key vanished ends (no ghost), a new call
// appears (no gap).
func TestServerRestartNoGhostNoGap(t *testing.T) {
	srv := boardtest.Start(t)
	b := publish(t, srv, "front", ringing("c1"), ringing("c2"), active(ringing("c3")))
	c := join(t, srv.URL, setup{}, "front")
	c.waitFor("the board", func() bool { return len(c.calls) == 3 })
	c.waitStatus("live", live)

	srv.Offline(func(url string) {
		c.waitStatus("NATS unreachable", func(s providers.Status) bool {
			return s.Link == providers.LinkReconnecting && strings.HasPrefix(s.Detail, "NATS unreachable since ")
		})
		nc, err := nats.Connect(url)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		away := boardtest.Publish(t, nc, b.Meta)
		away.Call(ended(ringing("c1"), "Caller hung up."))
		away.Purge(wire.CallKey("c2"))
		away.Call(ringing("c4"))
		// The purge marker itself goes a second later: c2 is then not on
		// the board at all.
		waitGone(t, away.KV, wire.CallKey("c2"))
	})

	c.waitCall("c4", providers.StateRinging)
	got := c.waitCall("c1", providers.StateEnded)
	if got.End.Text != "Caller hung up." {
		t.Errorf("c1 ended %+v", got.End)
	}
	ghost := c.waitCall("c2", providers.StateEnded)
	if !strings.Contains(ghost.End.Text, "No longer on board front") || ghost.Caps != 0 {
		t.Errorf("c2 ended %+v caps %v", ghost.End, ghost.Caps.Names())
	}
	c.mu.Lock()
	if c3 := c.calls["c3"]; c3.State != providers.StateActive {
		t.Errorf("c3, untouched, is %s", c3.State)
	}
	c.mu.Unlock()
	c.waitStatus("live again", live)

	// And it keeps following.
	b.Call(active(ringing("c4")))
	c.waitCall("c4", providers.StateActive)
}

// waitGone waits until key has no entry at all, not even a marker.
func waitGone(t *testing.T, kv jetstream.KeyValue, key string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := kv.History(context.Background(), key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still has entries: %v", key, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWatchdogRecreatesAStalledWatch: a watch whose consumer is lost (as
// with the node that hosted it) stalls for many seconds by itself; the
// watchdog watches again from the next revision.
func TestWatchdogRecreatesAStalledWatch(t *testing.T) {
	srv := boardtest.Start(t)
	b := publish(t, srv, "front", ringing("c1"))
	c := join(t, srv.URL, setup{tune: func(p *Provider) { p.watchdog = 400 * time.Millisecond }}, "front")
	c.waitCall("c1", providers.StateRinging)

	// A relay renews its lease every second; here faster than the
	// shortened watchdog, so a healthy watch is never re-created.
	ctx, stop := context.WithCancel(context.Background())
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		for ctx.Err() == nil {
			b.RenewLease()
			time.Sleep(50 * time.Millisecond)
		}
	}()
	t.Cleanup(func() { stop(); <-renewed })

	before := c.p.boards[0].restarts.Load()
	deleteConsumers(t, srv, "front")
	b.Call(active(ringing("c1")))
	c.waitCall("c1", providers.StateActive)
	if c.p.boards[0].restarts.Load() == before {
		t.Fatal("the call came back without the watchdog")
	}
	c.logged("watching again from the next revision")
}

// deleteConsumers deletes every consumer of the board's stream: the
// console's watcher is left waiting for a consumer that is gone.
func deleteConsumers(t *testing.T, srv *boardtest.Server, board string) {
	t.Helper()
	js, err := jetstream.New(srv.Connect("", ""))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := js.Stream(ctx, "KV_"+wire.Bucket(board))
	if err != nil {
		t.Fatal(err)
	}
	names := stream.ConsumerNames(ctx)
	n := 0
	for name := range names.Name() {
		if err := stream.DeleteConsumer(ctx, name); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no consumer to delete")
	}
}

// TestMalformedValuesChangeNothing: a value that is not a call, a call
// under another call's key, a key no call can have, an oversized value, a
// status that is not one: each is logged and nothing changes.
func TestMalformedValuesChangeNothing(t *testing.T) {
	srv := boardtest.Start(t)
	b := publish(t, srv, "front", ringing("c1"))
	// A bucket made by hand may allow bigger values than a relay's.
	js, err := jetstream.New(srv.Connect("", ""))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := js.UpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: wire.Bucket("front"), History: 1,
		TTL: wire.DefaultHistory, LimitMarkerTTL: time.Second, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	c := join(t, srv.URL, setup{}, "front")
	c.waitCall("c1", providers.StateRinging)
	st := c.waitStatus("live", live)
	n := c.eventCount()

	other := ringing("c9")
	otherBody, _ := jsonstream.MarshalCall(other)
	big := []byte(`{"id":"c1","state":"ringing","queue":"` + strings.Repeat("x", wire.MaxValue) + `"}`)
	for _, bad := range []struct{ key, value, logged string }{
		{wire.CallKey("c1"), "not json", `"key":"calls.c1"`},
		{wire.CallKey("c2"), string(otherBody), "another id"},
		{wire.CallKey("c3"), `{"id":"c3","state":"flying"}`, "unknown state"},
		{"calls.==", string(otherBody), "not a call's key"},
		{wire.CallKey("c1"), string(big), "over the size allowed"},
		{wire.KeyStatus, `{"type":"call"}`, "status: type"},
	} {
		b.Put(bad.key, []byte(bad.value))
		c.logged(bad.logged)
	}
	b.Call(ringing("c5"))
	c.waitCall("c5", providers.StateRinging)
	got := c.eventsSince(n)
	if len(got) != 1 || got[0].ID != "c5" {
		t.Fatalf("calls after the junk: %+v", got)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls["c1"].State != providers.StateRinging || c.status() != st {
		t.Fatalf("c1 %+v, status %+v (was %+v)", c.calls["c1"], c.status(), st)
	}
}

// TestFloodOfCallsIsBounded: a board with far more live calls than
// --max-calls: the console holds at most that many, ending the longest
// silent with words that say why, and logs it.
func TestFloodOfCallsIsBounded(t *testing.T) {
	const most = 20
	srv := boardtest.Start(t)
	b := publish(t, srv, "front")
	for i := range 30 {
		b.Call(active(ringing("early" + strconv.Itoa(i))))
	}
	c := join(t, srv.URL, setup{maxCalls: most}, "front")
	for i := range 100 {
		b.Call(ringing("flood" + strconv.Itoa(i)))
	}
	c.waitCall("flood99", providers.StateRinging)
	held := c.p.boards[0]
	held.mu.Lock()
	n := len(held.calls.byID)
	held.mu.Unlock()
	if n > most {
		t.Fatalf("%d live calls held, at most %d", n, most)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	live, dropped := 0, 0
	for _, call := range c.calls {
		switch {
		case call.State.Live():
			live++
		case call.End.Text == "Dropped: more than 20 live calls (--max-calls).":
			dropped++
		}
	}
	if live != most || dropped != 130-most {
		t.Fatalf("%d live, %d dropped of 130", live, dropped)
	}
	// Connected calls go before ringing ones.
	if call := c.calls["early0"]; call.State != providers.StateEnded {
		t.Errorf("the oldest connected call is %s", call.State)
	}
	if !strings.Contains(c.log.String(), "more live calls on the board than --max-calls allows") {
		t.Error("not logged")
	}
}
