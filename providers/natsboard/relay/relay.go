package relay

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"ringside/providers"
	"ringside/providers/natsboard/wire"
)

// Defaults and bounds of Config.
const (
	DefaultActionTimeout = 15 * time.Second
	DefaultMaxInFlight   = 64
	DefaultStartTimeout  = 30 * time.Second
	DefaultStopGrace     = 5 * time.Second
	// MinHistory is the shortest --history: NATS keeps TTLs in whole
	// seconds.
	MinHistory    = time.Second
	MaxHistoryMax = 1_000_000
	MaxReplicas   = 5
	MaxInFlight   = 4096
)

// eventBuffer bounds the provider's sink, as the console's does.
const eventBuffer = 4096

var (
	// ErrLeaseLost: another writer took the board's lease while this relay
	// ran (it lapsed while NATS was away and another relay started).
	ErrLeaseLost = errors.New("the board's lease was lost")
	// ErrUnreachable: NATS did not take the connection within
	// Config.StartTimeout.
	ErrUnreachable = errors.New("NATS is not reachable")
)

// LeaseHeldError is Run's refusal to start on a board another relay holds.
type LeaseHeldError struct {
	Board  string
	Holder wire.Lease
}

func (e *LeaseHeldError) Error() string {
	return fmt.Sprintf("board %s is already published by %s; start this relay once that one stops (its lease frees itself %s after it stops)",
		e.Board, holderWords(e.Holder), wire.LeaseTTL)
}

// holderWords names the holder of a lease, or says its record is unreadable.
func holderWords(l wire.Lease) string {
	if l.Host == "" && l.PID == 0 {
		return "another relay (its lease record could not be read)"
	}
	return l.String()
}

// Config is what a relay needs besides its provider and connection.
type Config struct {
	// Board names the board (wire.CheckBoard).
	Board string
	// History is how long an ended call stays on the board; HistoryMax how
	// many ended calls it keeps at most.
	History    time.Duration
	HistoryMax int
	// Replicas of the bucket (3 on a cluster).
	Replicas int
	// ActionTimeout bounds an action; a console's shorter deadline wins.
	ActionTimeout time.Duration
	// MaxInFlight bounds the actions served at once; beyond it a request
	// is refused as busy.
	MaxInFlight int
	// MaxCalls is the provider's --max-calls: it bounds the calls read
	// back from an earlier run.
	MaxCalls int
	// StartTimeout bounds how long NATS may be unreachable at start.
	StartTimeout time.Duration
	// StopGrace bounds each step of a clean stop: in-flight actions, the
	// provider stopping, the last writes.
	StopGrace time.Duration
	// Log gets everything; Say one line per notable event, for the
	// operator (nil: nothing said).
	Log *slog.Logger
	Say func(line string)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	if c.History == 0 {
		c.History = wire.DefaultHistory
	}
	if c.HistoryMax == 0 {
		c.HistoryMax = wire.DefaultHistoryMax
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.ActionTimeout == 0 {
		c.ActionTimeout = DefaultActionTimeout
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.MaxCalls <= 0 {
		c.MaxCalls = providers.DefaultMaxCalls
	}
	if c.StartTimeout <= 0 {
		c.StartTimeout = DefaultStartTimeout
	}
	if c.StopGrace <= 0 {
		c.StopGrace = DefaultStopGrace
	}
	if c.Log == nil {
		c.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Say == nil {
		c.Say = func(string) {}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Check says what is wrong with c, in the words of the command line.
func (c Config) Check() error {
	if err := wire.CheckBoard(c.Board); err != nil {
		return fmt.Errorf("--board: %w", err)
	}
	var errs []error
	if c.History != 0 && c.History < MinHistory {
		errs = append(errs, fmt.Errorf("--history %s: at least %s", c.History, MinHistory))
	}
	if c.HistoryMax < 0 || c.HistoryMax > MaxHistoryMax {
		errs = append(errs, fmt.Errorf("--history-max %d: want 1 to %d ended calls", c.HistoryMax, MaxHistoryMax))
	}
	if c.Replicas < 0 || c.Replicas > MaxReplicas {
		errs = append(errs, fmt.Errorf("--nats-replicas %d: want 1 to %d", c.Replicas, MaxReplicas))
	}
	if c.ActionTimeout < 0 {
		errs = append(errs, fmt.Errorf("--action-timeout %s: want a positive duration", c.ActionTimeout))
	}
	if c.MaxInFlight < 0 || c.MaxInFlight > MaxInFlight {
		errs = append(errs, fmt.Errorf("actions in flight %d: want 1 to %d", c.MaxInFlight, MaxInFlight))
	}
	return errors.Join(errs...)
}

// Relay publishes one provider's board. Run it once.
type Relay struct {
	p   providers.Provider
	nc  *nats.Conn
	cfg Config
	log *slog.Logger
	// id tells this run's lease from any other's.
	id string
	// owner is set while the lease is held: actions and writes need it.
	owner atomic.Bool
}

// New checks cfg and builds a relay of p over nc. main builds p; the relay
// never names a provider.
func New(p providers.Provider, nc *nats.Conn, cfg Config) (*Relay, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("relay id: %w", err)
	}
	log := cfg.Log.With("board", cfg.Board)
	return &Relay{p: p, nc: nc, cfg: cfg, log: log, id: hex.EncodeToString(b[:])}, nil
}

// ID is this run's relay id, as its lease names it.
func (r *Relay) ID() string { return r.id }

// Owner reports whether the relay holds its board now.
func (r *Relay) Owner() bool { return r.owner.Load() }

func (r *Relay) say(format string, args ...any) {
	r.cfg.Say(fmt.Sprintf(format, args...))
}

// Run publishes the board until ctx ends (then it stops cleanly and returns
// nil), the provider fails (its error), the lease is lost (ErrLeaseLost)
// or the connection is closed. It refuses to start with *LeaseHeldError
// when another relay holds the board, and with ErrUnreachable when NATS
// does not answer within Config.StartTimeout.
func (r *Relay) Run(ctx context.Context) error {
	s, err := r.start(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil // asked to stop before the board was ours
		}
		return err
	}
	r.owner.Store(true)
	keepCtx, stopKeeping := context.WithCancel(context.Background())
	fatal := make(chan error, 1)
	keeping := make(chan struct{})
	go func() {
		defer close(keeping)
		s.lease.keep(keepCtx, r.log, func(err error) {
			// Actions and writes stop now, before the loop hears of it.
			r.owner.Store(false)
			fatal <- err
		})
	}()
	s.stopKeeping = func() { stopKeeping(); <-keeping }

	srv, err := startServer(r.nc, r.p, r.cfg, &r.owner, r.log)
	if err != nil {
		s.stopKeeping()
		r.owner.Store(false)
		s.lease.release(r.log)
		return err
	}
	r.say("board %s: serving actions on %s.* (%s)", r.cfg.Board, wire.ActionGroup(r.cfg.Board), strings.Join(srv.endpoints, ", "))

	events := make(chan providers.Event, eventBuffer)
	provCtx, stopProvider := context.WithCancel(context.Background())
	defer stopProvider()
	provDone := make(chan error, 1)
	go func() { provDone <- r.p.Run(provCtx, events) }()
	s.rec.ctx = provCtx

	end := s.loop(ctx, events, provDone, fatal)
	return r.stop(s, srv, end, events, provDone, stopProvider)
}

// ending is why the loop ended.
type ending struct {
	// err is nil when ctx ended; else the provider's failure (provider
	// set) or what took the board away (a lost lease, a closed connection).
	err      error
	provider bool
	// returned: the provider's Run has returned.
	returned bool
}

// stop ends a run: the actions first (at once when the board is lost),
// then the provider, whose last events are still written, then the lease.
func (r *Relay) stop(s *session, srv *actionService, end ending, events <-chan providers.Event,
	provDone <-chan error, stopProvider context.CancelFunc) error {
	lost := end.err != nil && !end.provider
	if lost {
		r.owner.Store(false)
		s.w.halt()
		r.log.Error("relay stopping", "err", end.err)
		r.say("board %s: %v; actions stopped", r.cfg.Board, end.err)
	}
	srv.stop(r.cfg.StopGrace, lost)
	stopProvider()
	if !end.returned {
		s.settle(events, provDone, r.cfg.StopGrace)
	}
	s.drain(events)
	s.rec.stop()
	if !lost {
		s.flush(r.cfg.StopGrace)
	}
	s.stopKeeping()
	if !lost {
		r.owner.Store(false)
		s.lease.release(r.log)
		r.say("board %s: stopped; lease released", r.cfg.Board)
	}
	if end.provider {
		return fmt.Errorf("%s: %w", r.p.Name(), end.err)
	}
	return end.err
}

// session is one run's board: its lease, its writer, its reconciliation.
// Only the loop goroutine uses the writer and the reconciler.
type session struct {
	lease       *lease
	w           *writer
	rec         *reconciler
	log         *slog.Logger
	stopKeeping func()
}

// loop writes the provider's events until ctx ends, the provider returns
// or fatal says the board is gone.
func (s *session) loop(ctx context.Context, events <-chan providers.Event, provDone <-chan error, fatal <-chan error) ending {
	for {
		select {
		case <-ctx.Done():
			return ending{}
		case err := <-fatal:
			return ending{err: err}
		case err := <-provDone:
			if err == nil {
				err = errors.New("it stopped by itself")
			}
			return ending{err: err, provider: true, returned: true}
		case ev := <-events:
			s.take(ev)
		case a := <-s.w.acks:
			s.w.done(a)
		case <-s.w.retryC:
			s.w.retry()
		case err := <-s.rec.results:
			s.rec.checked(err)
		case <-s.rec.retryC:
			s.rec.again()
		}
		s.w.pump()
	}
}

// take files one event: the reconciler learns what the provider reports,
// the writer writes it.
func (s *session) take(ev providers.Event) {
	switch {
	case ev.Call != nil:
		s.rec.reported(ev.Call.ID)
	case ev.Status != nil:
		defer s.rec.status(*ev.Status)
	}
	s.w.take(ev)
}

// settle writes what the provider still sends while it stops, until its
// Run returns or grace has passed.
func (s *session) settle(events <-chan providers.Event, provDone <-chan error, grace time.Duration) {
	t := time.NewTimer(grace)
	defer t.Stop()
	for {
		select {
		case <-provDone:
			return
		case <-t.C:
			s.log.Warn("the provider did not stop in time; leaving it", "grace", grace)
			return
		case ev := <-events:
			s.take(ev)
		case a := <-s.w.acks:
			s.w.done(a)
		case <-s.w.retryC:
			s.w.retry()
		}
		s.w.pump()
	}
}

// drain takes the events still queued once the provider has stopped (its
// last status among them).
func (s *session) drain(events <-chan providers.Event) {
	for {
		select {
		case ev := <-events:
			s.take(ev)
		default:
			return
		}
	}
}

// flush waits until every write has landed, or grace has passed.
func (s *session) flush(grace time.Duration) {
	t := time.NewTimer(grace)
	defer t.Stop()
	for s.w.pump(); !s.w.idle(); s.w.pump() {
		select {
		case <-t.C:
			s.log.Warn("board writes still pending at stop; left unwritten", "keys", len(s.w.slots))
			return
		case a := <-s.w.acks:
			s.w.done(a)
		case <-s.w.retryC:
			s.w.retry()
		}
	}
}

// start connects the board: the bucket, the lease, what an earlier run
// left, the board record. Everything here is bounded by StartTimeout.
func (r *Relay) start(ctx context.Context) (*session, error) {
	sctx, cancel := context.WithTimeout(ctx, r.cfg.StartTimeout)
	defer cancel()
	if err := waitConnected(sctx, r.nc, r.cfg.StartTimeout); err != nil {
		return nil, err
	}
	js, err := jetstream.New(r.nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	kv, err := openBucket(sctx, js, r.cfg)
	if err != nil {
		return nil, r.startError(sctx, err)
	}
	l, err := takeLease(sctx, js, kv, r.cfg.Board, wire.NewLease(r.id, r.cfg.Now()))
	if err != nil {
		return nil, r.startError(sctx, err)
	}
	r.log.Info("lease taken", "relay", r.id)
	prior, err := readBoard(sctx, kv, r.cfg.MaxCalls+r.cfg.HistoryMax, r.log)
	if err == nil {
		err = writeMeta(sctx, js, r.cfg.Board, r.meta())
	}
	if err != nil {
		l.release(r.log)
		return nil, r.startError(sctx, err)
	}
	w, err := newWriter(r.nc, r.cfg, r.p.Name(), &r.owner, r.log, r.cfg.Say)
	if err != nil {
		l.release(r.log)
		return nil, err
	}
	w.load(prior)
	rec := newReconciler(r.p, prior.live, r.cfg, r.log, w)
	r.say("board %s: bucket %s (history %s, at most %d ended calls, %d replica(s)); lease taken by relay %s",
		r.cfg.Board, wire.Bucket(r.cfg.Board), r.cfg.History, r.cfg.HistoryMax, r.cfg.Replicas, r.id)
	if n := len(prior.live); n > 0 {
		r.say("board %s: %d call(s) left live by an earlier run; checked once %s is live", r.cfg.Board, n, r.p.Name())
	}
	return &session{lease: l, w: w, rec: rec, log: r.log}, nil
}

// startError says a start that ran out of time in the words of an
// unreachable server, which is what it almost always is.
func (r *Relay) startError(sctx context.Context, err error) error {
	var held *LeaseHeldError
	if errors.As(err, &held) {
		return err
	}
	if errors.Is(sctx.Err(), context.DeadlineExceeded) && errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: NATS at %s did not answer within %s (%v)", ErrUnreachable, servers(r.nc), r.cfg.StartTimeout, err)
	}
	return fmt.Errorf("board %s: %w", r.cfg.Board, err)
}

// meta is the board record: what consoles may offer.
func (r *Relay) meta() wire.Meta {
	m := wire.Meta{
		Board: r.cfg.Board, Provider: r.p.Name(), Offers: r.p.Offers().Names(), RejectReasons: []string{},
		History: r.cfg.History.String(), HistoryMax: r.cfg.HistoryMax,
	}
	for _, reason := range r.p.RejectReasons() {
		m.RejectReasons = append(m.RejectReasons, string(reason))
	}
	_, m.AgentControl = r.p.(providers.AgentControl)
	return m
}

// waitConnected waits until nc is connected, at most bound.
func waitConnected(ctx context.Context, nc *nats.Conn, bound time.Duration) error {
	if nc.IsConnected() {
		return nil
	}
	ch := nc.StatusChanged(nats.CONNECTED, nats.CLOSED)
	defer nc.RemoveStatusListener(ch)
	for !nc.IsConnected() {
		if nc.IsClosed() {
			return fmt.Errorf("%w: the connection to %s is closed", ErrUnreachable, servers(nc))
		}
		select {
		case <-ch:
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%w: no NATS server answered at %s within %s", ErrUnreachable, servers(nc), bound)
			}
			return ctx.Err()
		}
	}
	return nil
}

// servers names where nc connects, without credentials.
func servers(nc *nats.Conn) string {
	if u := nc.ConnectedUrlRedacted(); u != "" {
		return u
	}
	list := nc.Servers()
	for i, s := range list {
		list[i] = redact(s)
	}
	return strings.Join(list, ", ")
}

// redact drops the user information of a server URL.
func redact(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	if _, host, found := strings.Cut(rest, "@"); found {
		return scheme + "://" + host
	}
	return u
}
