package relay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"

	"ringside/providers"
	"ringside/providers/jsonstream"
	"ringside/providers/natsboard/wire"
)

// waitLimit bounds every wait for a condition: a test that fails says what
// it waited for instead of hanging.
const waitLimit = 20 * time.Second

// startNATS runs a JetStream server in the test's process on loopback.
func startNATS(t testing.TB) *server.Server {
	t.Helper()
	ns, err := server.NewServer(&server.Options{
		ServerName: "relay-test", Host: "127.0.0.1", Port: server.RANDOM_PORT,
		JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		t.Fatal("nats server did not start")
	}
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	return ns
}

// connect opens a connection that says nothing on stderr.
func connect(t testing.TB, url string, opts ...nats.Option) *nats.Conn {
	t.Helper()
	opts = append([]nats.Option{
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}),
		nats.ReconnectWait(50 * time.Millisecond), nats.MaxReconnects(-1),
	}, opts...)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// syncBuffer is a log the test reads while the relay writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) count(sub string) int { return strings.Count(s.String(), sub) }

// eventually waits until ok holds, checking every few milliseconds.
func eventually(t testing.TB, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// running is a relay started by a test.
type running struct {
	r      *Relay
	log    *syncBuffer
	said   *syncBuffer
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// startRelay runs a relay of p on nc and waits until it serves; the test's
// cleanup stops it.
func startRelay(t testing.TB, p providers.Provider, nc *nats.Conn, cfg Config) *running {
	t.Helper()
	rr := launch(t, p, nc, cfg)
	eventually(t, "the relay to take its board", func() bool {
		select {
		case err := <-rr.done:
			rr.done <- err
			t.Fatalf("the relay stopped at start: %v\nlog:\n%s", err, rr.log.String())
		default:
		}
		return rr.r.Owner() && rr.said.count("serving actions") > 0
	})
	return rr
}

// launch starts a relay without waiting for it.
func launch(t testing.TB, p providers.Provider, nc *nats.Conn, cfg Config) *running {
	t.Helper()
	rr := &running{log: &syncBuffer{}, said: &syncBuffer{}, done: make(chan error, 1)}
	if cfg.Board == "" {
		cfg.Board = "test"
	}
	cfg.Log = slog.New(slog.NewTextHandler(rr.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.Say = func(line string) { fmt.Fprintln(rr.said, line) }
	r, err := New(p, nc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rr.r = r
	ctx, cancel := context.WithCancel(context.Background())
	rr.cancel = cancel
	go func() { rr.done <- r.Run(ctx) }()
	t.Cleanup(func() { rr.stop(t) })
	return rr
}

// stop stops the relay as SIGINT would and returns Run's error.
func (rr *running) stop(t testing.TB) error {
	t.Helper()
	rr.once.Do(func() {
		rr.cancel()
		select {
		case rr.err = <-rr.done:
		case <-time.After(waitLimit):
			t.Errorf("the relay did not stop\nlog:\n%s", rr.log.String())
		}
	})
	return rr.err
}

// wait returns Run's error once it returns by itself.
func (rr *running) wait(t testing.TB) error {
	t.Helper()
	select {
	case err := <-rr.done:
		rr.once.Do(func() { rr.err = err })
		return err
	case <-time.After(waitLimit):
		t.Fatalf("the relay did not stop\nlog:\n%s", rr.log.String())
	}
	return nil
}

// board follows a board's bucket as a console would: a plain watcher of
// every key, decoded with jsonstream.
type board struct {
	t       testing.TB
	kv      jetstream.KeyValue
	js      jetstream.JetStream
	mu      sync.Mutex
	latest  map[string]jetstream.KeyValueEntry
	changed chan struct{}
}

func watchBoard(t testing.TB, nc *nats.Conn, name string) *board {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	kv, err := js.KeyValue(ctx, wire.Bucket(name))
	if err != nil {
		t.Fatalf("bucket of board %s: %v", name, err)
	}
	w, err := kv.WatchAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b := &board{t: t, kv: kv, js: js, latest: map[string]jetstream.KeyValueEntry{}, changed: make(chan struct{}, 1)}
	go func() {
		for e := range w.Updates() {
			if e == nil {
				continue
			}
			b.mu.Lock()
			b.latest[e.Key()] = e
			b.mu.Unlock()
			select {
			case b.changed <- struct{}{}:
			default:
			}
		}
	}()
	return b
}

// until waits until ok holds for the entries seen so far, latest per key.
func (b *board) until(what string, ok func(map[string]jetstream.KeyValueEntry) bool) {
	b.t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		b.mu.Lock()
		done := ok(b.latest)
		b.mu.Unlock()
		if done {
			return
		}
		select {
		case <-b.changed:
		case <-deadline.C:
			b.t.Fatalf("board: gave up waiting for %s; it holds:\n%s", what, b.dump())
		}
	}
}

func (b *board) dump() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var s strings.Builder
	for k, e := range b.latest {
		fmt.Fprintf(&s, "  %s rev %d %v %s\n", k, e.Revision(), e.Operation(), e.Value())
	}
	return s.String()
}

// call decodes the call with id as the board holds it now.
func (b *board) call(id string) (providers.Call, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return callIn(b.latest, id)
}

func callIn(m map[string]jetstream.KeyValueEntry, id string) (providers.Call, bool) {
	e, ok := m[wire.CallKey(id)]
	if !ok || e.Operation() != jetstream.KeyValuePut {
		return providers.Call{}, false
	}
	c, err := jsonstream.UnmarshalCall(e.Value())
	if err != nil {
		return providers.Call{}, false
	}
	return c, true
}

// waitCall waits until the board holds call id in a state ok accepts.
func (b *board) waitCall(id string, what string, ok func(providers.Call) bool) providers.Call {
	b.t.Helper()
	var c providers.Call
	b.until("call "+id+" "+what, func(m map[string]jetstream.KeyValueEntry) bool {
		got, found := callIn(m, id)
		if found && ok(got) {
			c = got
			return true
		}
		return false
	})
	return c
}

// purged waits until the board says key was purged (or expired).
func (b *board) purged(key string) {
	b.t.Helper()
	b.until(key+" purged", func(m map[string]jetstream.KeyValueEntry) bool {
		e, ok := m[key]
		return ok && e.Operation() == jetstream.KeyValuePurge
	})
}

// header reads a header of the message a key holds now.
func (b *board) header(key, name string) string {
	b.t.Helper()
	st, err := b.js.Stream(context.Background(), "KV_"+b.kv.Bucket())
	if err != nil {
		b.t.Fatal(err)
	}
	m, err := st.GetLastMsgForSubject(context.Background(), "$KV."+b.kv.Bucket()+"."+key)
	if err != nil {
		b.t.Fatal(err)
	}
	return m.Header.Get(name)
}

// scripted is a provider a test drives: Run sends the script, then what
// the test emits; the actions record what they were asked and answer with
// actErr, or wait for their context when block is set.
type scripted struct {
	name   string
	offers providers.Capabilities
	script []providers.Event
	more   chan providers.Event

	mu        sync.Mutex
	acts      []string
	deadlines []time.Time
	actErr    error
	block     bool
	// hold, when set, keeps each action until it is closed (or its
	// context ends).
	hold chan struct{}
}

func newScripted(script ...providers.Event) *scripted {
	return &scripted{name: "scripted", offers: providers.Caps(providers.Actions...), script: script,
		more: make(chan providers.Event, 64)}
}

func (p *scripted) Name() string { return p.name }

func (p *scripted) Run(ctx context.Context, sink providers.Sink) error {
	for _, ev := range p.script {
		if !providers.Emit(ctx, sink, ev) {
			return nil
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-p.more:
			if !providers.Emit(ctx, sink, ev) {
				return nil
			}
		}
	}
}

func (p *scripted) emit(evs ...providers.Event) {
	for _, ev := range evs {
		p.more <- ev
	}
}

func (p *scripted) act(ctx context.Context, what string) error {
	p.mu.Lock()
	p.acts = append(p.acts, what)
	if d, ok := ctx.Deadline(); ok {
		p.deadlines = append(p.deadlines, d)
	}
	block, err, hold := p.block, p.actErr, p.hold
	p.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, ctx.Err())
		}
	}
	if block {
		<-ctx.Done()
		return fmt.Errorf("%s: %w", what, ctx.Err())
	}
	return err
}

func (p *scripted) actions() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.acts...)
}

func (p *scripted) Answer(ctx context.Context, id string) error { return p.act(ctx, "answer "+id) }
func (p *scripted) Reject(ctx context.Context, id string, r providers.RejectReason) error {
	return p.act(ctx, "reject "+id+" "+string(r))
}
func (p *scripted) Hangup(ctx context.Context, id string) error { return p.act(ctx, "hangup "+id) }
func (p *scripted) Transfer(ctx context.Context, id string, to providers.Target) error {
	return p.act(ctx, "transfer "+id+" "+to.String())
}
func (p *scripted) Redirect(ctx context.Context, id string, to providers.Target) error {
	return p.act(ctx, "redirect "+id+" "+to.String())
}
func (p *scripted) Hold(ctx context.Context, id string) error   { return p.act(ctx, "hold "+id) }
func (p *scripted) Resume(ctx context.Context, id string) error { return p.act(ctx, "resume "+id) }
func (p *scripted) Address(t providers.Target) (string, error) {
	if t.Phone == "" {
		return "", fmt.Errorf("%w: the script dials numbers only", providers.ErrBadTarget)
	}
	return t.Phone, nil
}
func (p *scripted) Offers() providers.Capabilities { return p.offers }
func (p *scripted) RejectReasons() []providers.RejectReason {
	return []providers.RejectReason{providers.ReasonNone, providers.ReasonBusy}
}

// rechecking is a scripted provider that can look calls up.
type rechecking struct {
	*scripted
	recheck func(ctx context.Context, calls []providers.Call) error
}

func (p *rechecking) Recheck(ctx context.Context, calls []providers.Call) error {
	return p.recheck(ctx, calls)
}

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func live(link providers.Link) providers.Event {
	return providers.StatusEvent(t0, providers.Status{Link: link, Detail: "scripted"})
}

func ringing(id string, version uint64) providers.Event {
	return providers.CallEvent(t0, providers.Call{
		ID: id, Provider: "scripted", State: providers.StateRinging, Direction: providers.Incoming,
		From:    providers.Party{Name: "Caller " + id, ID: "+441632960" + fmt.Sprint(len(id)), Kind: providers.KindPhone},
		Arrived: t0, AnswerBy: t0.Add(time.Minute), Caps: providers.Caps(providers.ActionAnswer, providers.ActionReject),
		Version: version,
	})
}

func ended(id string, version uint64, text string) providers.Event {
	return providers.CallEvent(t0, providers.Call{
		ID: id, Provider: "scripted", State: providers.StateEnded, Direction: providers.Incoming,
		Arrived: t0, Ended: t0.Add(time.Second), End: providers.EndReason{Code: 487, Text: text}, Version: version,
	})
}

// request sends an action to a board as a console would, and returns the
// reply's error code and words ("" for success).
func request(t testing.TB, nc *nats.Conn, boardName, endpoint string, body []byte, hdr nats.Header) (code, words string) {
	t.Helper()
	msg := &nats.Msg{Subject: wire.ActionSubject(boardName, endpoint), Data: body, Header: hdr}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reply, err := nc.RequestMsgWithContext(ctx, msg)
	if err != nil {
		t.Fatalf("%s: %v", endpoint, err)
	}
	return reply.Header.Get(micro.ErrorCodeHeader), reply.Header.Get(micro.ErrorHeader)
}

// noResponders says whether a request to subject finds nobody.
func noResponders(nc *nats.Conn, subject string) bool {
	_, err := nc.Request(subject, []byte(`{"id":"c1"}`), 2*time.Second)
	return errors.Is(err, nats.ErrNoResponders)
}
