package relay

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"ringside/providers"
	"ringside/providers/demo"
	"ringside/providers/jsonstream"
	"ringside/providers/natsboard/wire"
)

// demoOn builds the demo with a fixed seed and clock, and a twin that
// reports the same calls.
func demoOn(t *testing.T, calls int) (p, twin *demo.Provider) {
	t.Helper()
	cfg := demo.Config{Seed: 42, Calls: calls}
	opts := providers.Options{Now: func() time.Time { return t0 }, AnswerWindow: time.Hour}
	var err error
	if p, err = demo.New(cfg, opts); err != nil {
		t.Fatal(err)
	}
	if twin, err = demo.New(cfg, opts); err != nil {
		t.Fatal(err)
	}
	return p, twin
}

// firstCalls runs p until it is live and returns the calls it reported.
func firstCalls(t *testing.T, p providers.Provider) []providers.Call {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sink := make(chan providers.Event, 1024)
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, sink) }()
	defer func() { cancel(); <-done }()
	var calls []providers.Call
	for ev := range sink {
		if ev.Call != nil {
			calls = append(calls, *ev.Call)
		}
		if ev.Status != nil && ev.Status.Link == providers.LinkLive {
			return calls
		}
	}
	return nil
}

// TestDemoBoardIsWhatTheDemoReports: a plain KV watcher reads every call
// the demo reported, byte for byte as the JSON stream writes it, its
// status as a status line, and the board record.
func TestDemoBoardIsWhatTheDemoReports(t *testing.T) {
	ns := startNATS(t)
	nc := connect(t, ns.ClientURL())
	p, twin := demoOn(t, 6)
	startRelay(t, p, nc, Config{Board: "demo1"})
	want := firstCalls(t, twin)
	if len(want) != 6 {
		t.Fatalf("the twin reported %d calls", len(want))
	}
	b := watchBoard(t, nc, "demo1")
	b.until("the demo's calls and its live status", func(m map[string]jetstream.KeyValueEntry) bool {
		for _, c := range want {
			if _, ok := m[wire.CallKey(c.ID)]; !ok {
				return false
			}
		}
		st, ok := m[wire.KeyStatus]
		return ok && strings.Contains(string(st.Value()), `"status":"live"`)
	})
	for _, c := range want {
		wantJSON, err := jsonstream.MarshalCall(c)
		if err != nil {
			t.Fatal(err)
		}
		b.mu.Lock()
		got := b.latest[wire.CallKey(c.ID)].Value()
		b.mu.Unlock()
		if string(got) != string(wantJSON) {
			t.Errorf("call %s on the board:\n%s\nthe demo reported:\n%s", c.ID, got, wantJSON)
		}
		decoded, err := jsonstream.UnmarshalCall(got)
		if err != nil || decoded.ID != c.ID || decoded.State != c.State || decoded.Provider != "demo" {
			t.Errorf("call %s decodes as %+v, %v", c.ID, decoded, err)
		}
		if ttl := b.header(wire.CallKey(c.ID), jetstream.MsgTTLHeader); ttl != "never" {
			t.Errorf("live call %s written with Nats-TTL %q, want never", c.ID, ttl)
		}
	}

	b.mu.Lock()
	status, meta := b.latest[wire.KeyStatus].Value(), b.latest[wire.KeyMeta].Value()
	b.mu.Unlock()
	provider, _, st, err := jsonstream.UnmarshalStatus(status)
	if err != nil || provider != "demo" || st.Link != providers.LinkLive || st.Detail != twin.Detail() || st.Agent != "Ready" {
		t.Errorf("status %s: %q %+v %v", status, provider, st, err)
	}
	var m wire.Meta
	if err := json.Unmarshal(meta, &m); err != nil || m.Check() != nil {
		t.Fatalf("board record %s: %v", meta, err)
	}
	wantMeta := wire.Meta{Board: "demo1", Provider: "demo", Offers: providers.Caps(providers.Actions...).Names(),
		RejectReasons: []string{"none", "busy", "forbidden"}, AgentControl: true, History: "24h0m0s", HistoryMax: wire.DefaultHistoryMax}
	if !metaEqual(m, wantMeta) {
		t.Errorf("board record %+v, want %+v", m, wantMeta)
	}
	for _, key := range []string{wire.KeyStatus, wire.KeyMeta} {
		if ttl := b.header(key, jetstream.MsgTTLHeader); ttl != "never" {
			t.Errorf("%s written with Nats-TTL %q, want never", key, ttl)
		}
	}
}

func metaEqual(a, b wire.Meta) bool {
	return a.Board == b.Board && a.Provider == b.Provider && slices.Equal(a.Offers, b.Offers) &&
		slices.Equal(a.RejectReasons, b.RejectReasons) && a.AgentControl == b.AgentControl &&
		a.History == b.History && a.HistoryMax == b.HistoryMax
}

// TestEndedCallsExpireLiveCallsStay: with a short --history an ended call
// expires (watchers see a Purge entry) while a live call written before it
// stays, and so do the status and the board record.
func TestEndedCallsExpireLiveCallsStay(t *testing.T) {
	ns := startNATS(t)
	nc := connect(t, ns.ClientURL())
	p := newScripted(live(providers.LinkLive), ringing("keep", 1))
	startRelay(t, p, nc, Config{Board: "hist", History: time.Second})
	b := watchBoard(t, nc, "hist")
	b.waitCall("keep", "ringing", func(c providers.Call) bool { return c.State == providers.StateRinging })

	p.emit(ringing("gone", 1), ended("gone", 2, "The caller hung up."))
	b.waitCall("gone", "ended", func(c providers.Call) bool { return c.State == providers.StateEnded })
	if ttl := b.header(wire.CallKey("gone"), jetstream.MsgTTLHeader); ttl != "" {
		t.Errorf("an ended call must expire with the bucket: Nats-TTL %q", ttl)
	}
	b.purged(wire.CallKey("gone"))

	// "keep" was written before "gone" ended: it has outlived the history.
	ctx := context.Background()
	e, err := b.kv.Get(ctx, wire.CallKey("keep"))
	if err != nil {
		t.Fatalf("the live call expired: %v", err)
	}
	if c, err := jsonstream.UnmarshalCall(e.Value()); err != nil || c.State != providers.StateRinging {
		t.Fatalf("live call: %+v %v", c, err)
	}
	for _, key := range []string{wire.KeyStatus, wire.KeyMeta} {
		if _, err := b.kv.Get(ctx, key); err != nil {
			t.Errorf("%s expired: %v", key, err)
		}
	}
}

// TestHistoryMaxPurgesTheOldestEnded: beyond --history-max ended calls the
// oldest are purged, live calls untouched; a relay started later counts
// the ended calls it finds on the board.
func TestHistoryMaxPurgesTheOldestEnded(t *testing.T) {
	ns := startNATS(t)
	nc := connect(t, ns.ClientURL())
	p := newScripted(live(providers.LinkLive), ringing("live1", 1))
	first := startRelay(t, p, nc, Config{Board: "max", HistoryMax: 2})
	b := watchBoard(t, nc, "max")
	for _, id := range []string{"e1", "e2", "e3", "e4"} {
		p.emit(ended(id, 1, "Ended "+id))
	}
	b.purged(wire.CallKey("e1"))
	b.purged(wire.CallKey("e2"))
	for _, id := range []string{"e3", "e4"} {
		b.waitCall(id, "kept", func(c providers.Call) bool { return c.State == providers.StateEnded })
	}
	if c, ok := b.call("live1"); !ok || c.State != providers.StateRinging {
		t.Fatalf("live call: %+v %v", c, ok)
	}
	if err := first.stop(t); err != nil {
		t.Fatal(err)
	}

	p2 := newScripted(live(providers.LinkLive), ringing("live1", 2), ended("e5", 1, "Ended e5"))
	startRelay(t, p2, nc, Config{Board: "max", HistoryMax: 2})
	b.purged(wire.CallKey("e3"))
	for _, id := range []string{"e4", "e5"} {
		if _, err := b.kv.Get(context.Background(), wire.CallKey(id)); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
}

// TestUnreachableNATSAtStart: a relay whose NATS does not answer gives up
// after StartTimeout and says where it looked.
func TestUnreachableNATSAtStart(t *testing.T) {
	// A port that takes connections and never speaks NATS (and that no
	// other server can take meanwhile).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	url := "nats://" + l.Addr().String()
	nc := connect(t, url, nats.RetryOnFailedConnect(true), nats.Timeout(100*time.Millisecond))
	r, err := New(newScripted(), nc, Config{Board: "away", StartTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	err = r.Run(context.Background())
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), url) || !strings.Contains(err.Error(), "200ms") {
		t.Fatalf("%v", err)
	}
}

// TestConfigRefusals: New refuses a bad board name and bounds in the words
// of the command line.
func TestConfigRefusals(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{Board: "a.b"}, "--board"},
		{Config{Board: ""}, "--board"},
		{Config{Board: "ok", History: 500 * time.Millisecond}, "--history 500ms"},
		{Config{Board: "ok", HistoryMax: -1}, "--history-max"},
		{Config{Board: "ok", Replicas: 7}, "--nats-replicas 7"},
		{Config{Board: "ok", ActionTimeout: -time.Second}, "--action-timeout"},
	} {
		if _, err := New(newScripted(), nil, c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v", c.cfg, err)
		}
	}
}

// TestWritesWaitOutANATSRestart: while NATS is away the relay keeps the
// latest snapshot of each call and writes it once NATS is back, still the
// board's owner.
func TestWritesWaitOutANATSRestart(t *testing.T) {
	// The first start takes any port; the restart comes back on it.
	opts := &server.Options{ServerName: "restarting", Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		StoreDir: t.TempDir(), NoSigs: true, NoLog: true}
	start := func() *server.Server {
		ns, err := server.NewServer(opts.Clone())
		if err != nil {
			t.Fatal(err)
		}
		ns.Start()
		if !ns.ReadyForConnections(10 * time.Second) {
			t.Fatal("nats server did not start")
		}
		return ns
	}
	ns := start()
	addr := ns.Addr().String()
	opts.Port = ns.Addr().(*net.TCPAddr).Port
	nc := connect(t, ns.ClientURL())
	p := newScripted(live(providers.LinkLive), ringing("c1", 1))
	rr := startRelay(t, p, nc, Config{Board: "away"})
	b := watchBoard(t, connect(t, ns.ClientURL()), "away")
	b.waitCall("c1", "ringing", isRinging)

	ns.Shutdown()
	ns.WaitForShutdown()
	// Keep the port from other servers while this one is down.
	hold, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the relay to lose NATS", func() bool { return !nc.IsConnected() })
	answered := ringing("c1", 2)
	answered.Call.State, answered.Call.Answered, answered.Call.Caps = providers.StateActive, t0, providers.Caps(providers.ActionHangup)
	p.emit(answered, ended("c1", 3, "The caller hung up."), ringing("c2", 1))
	eventually(t, "the writes to fail", func() bool { return rr.said.count("board writes failing") > 0 })

	hold.Close()
	ns = start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	js, err := jetstream.New(connect(t, ns.ClientURL()))
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(context.Background(), wire.Bucket("away"))
	if err != nil {
		t.Fatal(err)
	}
	read := func(id string) providers.Call {
		e, err := kv.Get(context.Background(), wire.CallKey(id))
		if err != nil {
			return providers.Call{}
		}
		c, _ := jsonstream.UnmarshalCall(e.Value())
		return c
	}
	eventually(t, "the latest snapshots written", func() bool {
		return read("c1").Version == 3 && read("c2").State == providers.StateRinging
	})
	if c := read("c1"); c.State != providers.StateEnded || c.End.Text != "The caller hung up." {
		t.Fatalf("%+v", c)
	}
	eventually(t, "the lease held again", func() bool {
		e, err := kv.Get(context.Background(), wire.KeyLease)
		return err == nil && strings.Contains(string(e.Value()), rr.r.ID())
	})
	if !rr.r.Owner() || rr.said.count("board writes resumed") == 0 {
		t.Fatalf("owner %v; said:\n%s", rr.r.Owner(), rr.said.String())
	}
	if err := rr.stop(t); err != nil {
		t.Fatal(err)
	}
}
