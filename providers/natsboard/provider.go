package natsboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"ringside/providers"
	"ringside/providers/natsboard/natsconn"
	"ringside/providers/natsboard/wire"
)

// Name is the provider's name on the command line and in the stream.
const Name = "nats"

// defaultJoinWait bounds a Join whose context has no deadline.
const defaultJoinWait = 10 * time.Second

// Provider is a console's view of one or more boards on NATS. Build it
// with New, then Join before anything else.
type Provider struct {
	cfg   Config
	opts  providers.Options
	log   *slog.Logger
	names []string
	urls  string // the servers, as words may show them

	// watchdog is how long a connected watch may see nothing before it is
	// re-created: three lease renewals. Tests shorten it.
	watchdog time.Duration
	// rewatchOnReconnect: tests of the watchdog turn it off, so that only
	// the watchdog can bring a stalled watch back.
	rewatchOnReconnect bool

	// Set by Join.
	nc      *nats.Conn
	boards  []*board
	byName  map[string]*board
	multi   bool
	offers  providers.Capabilities
	reasons []providers.RejectReason

	denials denials
	dirty   chan struct{} // the status may have changed

	mu     sync.Mutex // guards lostAt and every board's st
	lostAt time.Time  // when NATS went away; zero while connected
}

// New checks cfg; nothing is connected until Join.
func New(cfg Config, opts providers.Options) (*Provider, error) {
	names, err := cfg.boards()
	if err != nil {
		return nil, err
	}
	opts = opts.WithDefaults()
	return &Provider{
		cfg: cfg, opts: opts, log: opts.Log, names: names,
		urls:               shownURLs(cfg.NATS.URLs(natsconn.DefaultURL)),
		watchdog:           3 * wire.RenewEvery,
		rewatchOnReconnect: true,
		multi:              len(names) > 1,
		dirty:              make(chan struct{}, 1),
	}, nil
}

// Name is "nats".
func (p *Provider) Name() string { return Name }

// Boards are the boards watched, in the order given.
func (p *Provider) Boards() []string { return slices.Clone(p.names) }

// ReadOnly reports whether the NATS user may send actions on none of the
// boards (known after Join): the console then offers no action keys.
func (p *Provider) ReadOnly() bool {
	if len(p.boards) == 0 {
		return false
	}
	for _, b := range p.boards {
		if !b.readOnly {
			return false
		}
	}
	return true
}

// Offers is every action some board's relay offers.
func (p *Provider) Offers() providers.Capabilities { return p.offers }

// RejectReasons are the reasons some board's relay takes, in picker order.
func (p *Provider) RejectReasons() []providers.RejectReason { return slices.Clone(p.reasons) }

// Address is what the target would be dialled as: the relay's provider
// decides that and refuses a target it cannot reach in its own words, so
// here it is only the first address the target has.
func (p *Provider) Address(t providers.Target) (string, error) {
	for _, a := range []string{t.GraphID, t.Phone, t.GenesysNumber, t.Name} {
		if a != "" {
			return a, nil
		}
	}
	return "", fmt.Errorf("%w: no address to send", providers.ErrBadTarget)
}

// Join connects to NATS and reads every board: its bucket, its record,
// and whether this user may send actions there. It returns the provider
// to hand the console: this one, or, with a single board whose relay has
// an agent state, one that also implements providers.AgentControl. ctx
// bounds the whole of it; its errors say in words what is missing.
func (p *Provider) Join(ctx context.Context) (providers.Provider, error) {
	if p.nc != nil {
		return nil, errors.New("nats: already joined")
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultJoinWait)
		defer cancel()
	}
	nc, err := p.connect()
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("nats: %w", err)
	}
	p.nc = nc
	p.byName = make(map[string]*board, len(p.names))
	for _, name := range p.names {
		b, err := p.bind(ctx, js, name)
		if err != nil {
			p.Close()
			return nil, err
		}
		p.mu.Lock()
		p.boards = append(p.boards, b)
		p.mu.Unlock()
		p.byName[name] = b
	}
	p.offers, p.reasons = union(p.boards)
	if len(p.boards) == 1 && p.boards[0].meta.AgentControl {
		return agentProvider{p}, nil
	}
	return p, nil
}

// Close disconnects from NATS. Run must have returned.
func (p *Provider) Close() {
	if p.nc != nil {
		p.nc.Close()
	}
}

// connect connects once, failing at once when no server answers: a
// console started where there is no NATS should say so, not wait. Once in,
// the connection reconnects for ever (natsconn).
func (p *Provider) connect() (*nats.Conn, error) {
	h := natsconn.Handlers{
		Disconnected: p.onDisconnected,
		Reconnected:  p.onReconnected,
		Error:        p.onAsyncError,
	}
	opts, err := p.cfg.NATS.Options("ringside console", p.opts.Getenv, p.log, h)
	if err != nil {
		return nil, err
	}
	opts = append(opts, nats.RetryOnFailedConnect(false))
	nc, err := nats.Connect(p.cfg.NATS.URLs(natsconn.DefaultURL), opts...)
	switch {
	case errors.Is(err, nats.ErrAuthorization), errors.Is(err, nats.ErrAuthExpired), errors.Is(err, nats.ErrAuthRevoked):
		return nil, fmt.Errorf("nats: %s refused the credentials (%w): check --nats-user and %s, --nats-creds or --nats-nkey", p.urls, err, natsconn.PasswordEnv)
	case errors.Is(err, nats.ErrNoServers):
		return nil, fmt.Errorf("nats: no NATS server answers at %s: start the board's relay (ringside relay --board %s runs one) or give --nats", p.urls, p.names[0])
	case err != nil:
		return nil, fmt.Errorf("nats: connect to %s: %w", p.urls, err)
	}
	return nc, nil
}

// bind reads one board: its bucket, its record, whether actions may be sent.
func (p *Provider) bind(ctx context.Context, js jetstream.JetStream, name string) (*board, error) {
	bucket := wire.Bucket(name)
	// Reading a bucket the user may not read waits for a reply that never
	// comes; the permission violation ends the wait with words instead.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := p.denials.watch(func(subject string) bool { return strings.Contains(subject, "KV_"+bucket) }, func() { cancel(errDenied) })
	defer stop()

	kv, err := js.KeyValue(ctx, bucket)
	if err == nil {
		var meta wire.Meta
		if meta, err = readMeta(ctx, kv, name); err == nil {
			var readOnly bool
			if readOnly, err = p.probe(ctx, name); err == nil {
				return newBoard(name, kv, meta, readOnly, p.opts.MaxCalls), nil
			}
		}
	}
	switch {
	case context.Cause(ctx) == errDenied:
		return nil, fmt.Errorf("nats: the NATS user may not read board %s (its bucket %s): ask for read permissions on it", name, bucket)
	case errors.Is(err, jetstream.ErrBucketNotFound):
		return nil, fmt.Errorf("nats: no relay has published board %s on %s: start `ringside relay --board %s`", name, p.urls, name)
	case errors.Is(err, jetstream.ErrJetStreamNotEnabled), errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount):
		return nil, fmt.Errorf("nats: the NATS server at %s has no JetStream, so it holds no boards (board %s): %w", p.urls, name, err)
	case errors.Is(err, context.DeadlineExceeded):
		return nil, fmt.Errorf("nats: no answer from %s about board %s in time: %w", p.urls, name, err)
	}
	return nil, err
}

// readMeta reads the board's record, which its relay writes when it starts.
func readMeta(ctx context.Context, kv jetstream.KeyValue, name string) (wire.Meta, error) {
	var meta wire.Meta
	e, err := kv.Get(ctx, wire.KeyMeta)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return meta, fmt.Errorf("nats: board %s has no board record yet: its relay has not finished starting (ringside relay --board %s)", name, name)
	}
	if err != nil {
		return meta, fmt.Errorf("nats: board %s: reading its record: %w", name, err)
	}
	if len(e.Value()) > wire.MaxValue {
		return meta, fmt.Errorf("nats: board %s: its record is %d bytes, over the %d allowed", name, len(e.Value()), wire.MaxValue)
	}
	if err := json.Unmarshal(e.Value(), &meta); err != nil {
		return meta, fmt.Errorf("nats: board %s: its record is not valid JSON: %v", name, err)
	}
	if err := meta.Check(); err != nil {
		return meta, fmt.Errorf("nats: board %s: its record: %w", name, err)
	}
	if meta.Board != name {
		return meta, fmt.Errorf("nats: board %s: its record names another board", name)
	}
	return meta, nil
}

// probe asks NATS whether this user may publish actions on the board: a
// publish nobody serves, then a round trip. A denied publish is answered
// with a permission violation before the round trip's answer, and it is
// the connection's last error by then.
func (p *Provider) probe(ctx context.Context, name string) (readOnly bool, err error) {
	subject := wire.ProbeSubject(name)
	if err := p.nc.Publish(subject, nil); err != nil {
		return false, fmt.Errorf("nats: board %s: %w", name, err)
	}
	if err := p.nc.FlushWithContext(ctx); err != nil {
		return false, fmt.Errorf("nats: board %s: %w", name, err)
	}
	last := p.nc.LastError()
	return last != nil && errors.Is(last, nats.ErrPermissionViolation) && deniedSubject(last) == subject, nil
}

// union is what the boards offer together: every action some relay
// offers, every reject reason some relay takes (in picker order).
func union(boards []*board) (providers.Capabilities, []providers.RejectReason) {
	var caps providers.Capabilities
	taken := map[providers.RejectReason]bool{}
	for _, b := range boards {
		caps |= b.meta.Capabilities()
		for _, r := range b.meta.Reasons() {
			taken[r] = true
		}
	}
	reasons := []providers.RejectReason{}
	for _, r := range providers.RejectReasons {
		if taken[r] {
			reasons = append(reasons, r)
		}
	}
	return caps, reasons
}

// Run watches every board and sends its calls and the merged status to
// sink until ctx ends.
func (p *Provider) Run(ctx context.Context, sink providers.Sink) error {
	if p.nc == nil {
		return errors.New("nats: Run before Join")
	}
	var wg sync.WaitGroup
	for _, b := range p.boards {
		wg.Go(func() { p.watchBoard(ctx, b, sink) })
	}
	p.pumpStatus(ctx, sink)
	wg.Wait()
	return nil
}

// onDisconnected notes that NATS went away: every board shows as it was.
func (p *Provider) onDisconnected(err error) {
	p.mu.Lock()
	if p.lostAt.IsZero() {
		p.lostAt = p.opts.Now()
	}
	p.mu.Unlock()
	if err != nil {
		p.log.Warn("nats: disconnected", "err", err)
	}
	p.poke()
}

// onReconnected: NATS is back, and each board is read again from scratch,
// since a watcher does not come back quickly by itself and what changed
// meanwhile must show (calls that ended, calls that began).
func (p *Provider) onReconnected() {
	p.mu.Lock()
	p.lostAt = time.Time{}
	boards := p.boards
	p.mu.Unlock()
	p.log.Info("nats: reconnected")
	if p.rewatchOnReconnect {
		for _, b := range boards {
			select {
			case b.rewatch <- struct{}{}:
			default:
			}
		}
	}
	p.poke()
}

// onAsyncError gets what NATS reports on the side: permission violations
// end the request waiting on them; the probe's own is expected.
func (p *Provider) onAsyncError(err error) {
	if errors.Is(err, nats.ErrPermissionViolation) {
		subject := deniedSubject(err)
		p.denials.notify(subject)
		if strings.HasSuffix(subject, ".act.probe") {
			p.log.Debug("nats: this user may not send actions", "subject", subject)
			return
		}
	}
	p.log.Warn("nats", "err", err)
}
