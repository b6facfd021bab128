package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"time"

	"ringside/providers"
	"ringside/providers/ledger"
)

// Name is the provider's name in calls, status lines and logs.
const Name = "demo"

// Provider is the simulator as a providers.Provider. Run feeds the console;
// the actions may be called from any goroutine, whether Run is going or not.
type Provider struct {
	opts providers.Options
	seed int64
	rate float64
	// ownClock is set when Options.Now is the caller's clock rather than
	// the real one: no timer follows it, so Run re-reads it (see nap).
	ownClock bool

	mu      sync.Mutex
	sim     *sim
	running bool

	// wake tells Run that an action changed something: there are events to
	// send and the next event may be sooner than the one it sleeps for.
	wake chan struct{}
	// rechecked hears, for each Recheck waiting, whether Run sent the
	// events recorded so far (nil) or stopped first (recheck.go).
	rechecked []chan<- error
}

var _ providers.Provider = (*Provider)(nil)

// New builds the simulation, with cfg.Calls calls already under way at
// opts.Now(). Ringing calls get opts.AnswerWindow to be answered.
func New(cfg Config, opts providers.Options) (*Provider, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ownClock := opts.Now != nil
	opts = opts.WithDefaults()
	seed := cfg.Seed
	if seed == 0 {
		// Short enough to read off the header and type back in.
		seed = rand.Int64N(999_999_999) + 1
	}
	p := &Provider{
		opts:     opts,
		seed:     seed,
		rate:     cfg.Rate,
		ownClock: ownClock,
		sim:      newSimWith(Name, seed, cfg.Rate, opts.AnswerWindow, opts.Now(), cfg.Calls, ledger.FromOptions(opts)),
		wake:     make(chan struct{}, 1),
	}
	return p, nil
}

// Name is "demo".
func (p *Provider) Name() string { return Name }

// Address is the target's first address: the simulator reaches anyone.
func (p *Provider) Address(t providers.Target) (string, error) {
	for _, a := range []string{t.Phone, t.GenesysNumber, t.GraphID, t.Name} {
		if a != "" {
			return a, nil
		}
	}
	return "", fmt.Errorf("%w: it has no address", providers.ErrBadTarget)
}

// Seed is the seed in use: the configured one, or the one drawn for a
// configured 0. Passing it back as --demo-seed repeats the run.
func (p *Provider) Seed() int64 { return p.seed }

// RejectReasons are Graph's: none, busy and forbidden.
func (p *Provider) RejectReasons() []providers.RejectReason {
	return slices.Clone(providers.RejectReasons)
}

// Detail is what the status line says about the simulation.
func (p *Provider) Detail() string {
	arrivals := "no new calls"
	if p.rate > 0 {
		arrivals = formatRate(p.rate)
	}
	return "simulated calls, seed " + strconv.FormatInt(p.seed, 10) + ", " + arrivals
}

// snapshotChunk is how many calls under way Run reads at a time.
const snapshotChunk = 1024

// recheck bounds Run's sleep when Options.Now is a clock of the caller's
// own: timers run on the real clock, but a test's clock is moved by hand, so
// Run re-reads it at least this often.
const recheck = 250 * time.Millisecond

// nap is how long Run sleeps when the next event is wait away. On the real
// clock the timer follows the same monotonic time the simulation reads, so
// Run sleeps until the event and an idle console does no periodic work.
func (p *Provider) nap(wait time.Duration) time.Duration {
	wait = max(wait, 0)
	if p.ownClock {
		return min(wait, recheck)
	}
	return wait
}

// Run sends the calls under way, then every change as it happens, until ctx
// ends. It sleeps until the next simulated event or an action, whichever
// comes first (re-reading a clock of the caller's own at least every
// recheck), and not at all when nothing is scheduled. Only one Run may go at
// a time; a later Run starts again with a snapshot of the calls then.
func (p *Provider) Run(ctx context.Context, sink providers.Sink) error {
	p.mu.Lock()
	if p.running {
		p.mu.Unlock()
		return errors.New("demo: the simulation is already running")
	}
	p.running = true
	p.sim.detail = p.Detail() // for the agent's statuses
	p.sim.advance(p.opts.Now())
	p.sim.flush() // the snapshot carries the result
	live := p.sim.underWay()
	now, agent, detail := p.sim.now, p.sim.agent.Label, p.sim.detail
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.running = false
		p.sim.flush()
		settleRechecks(p.rechecked, errRunStopped)
		p.rechecked = nil
		p.mu.Unlock()
	}()

	p.opts.Log.Info("demo simulation starting", "seed", p.seed, "rate_per_min", p.rate, "calls", len(live))
	if !providers.Emit(ctx, sink, providers.StatusEvent(now, providers.Status{
		Link: providers.LinkConnecting, Detail: "starting the simulation", Agent: agent,
	})) {
		return nil
	}
	// The calls under way go out a chunk at a time, each read from the
	// ledger as it is then: a population of a million is never copied
	// whole at 696 bytes a call. A call an action changed meanwhile goes
	// out as it is now; the change follows as well, as an event the
	// console finds no newer.
	for start := 0; start < len(live); start += snapshotChunk {
		p.mu.Lock()
		chunk := p.sim.snapshotOf(live[start:min(start+snapshotChunk, len(live))])
		p.mu.Unlock()
		for i := range chunk {
			if !providers.Emit(ctx, sink, providers.Event{Time: now, Call: &chunk[i]}) {
				return nil
			}
		}
	}
	if !providers.Emit(ctx, sink, providers.StatusEvent(now, providers.Status{
		Link: providers.LinkLive, Detail: detail, Agent: agent,
	})) {
		return nil
	}

	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		p.mu.Lock()
		p.sim.advance(p.opts.Now())
		batch := p.sim.flush()
		rechecked := p.rechecked
		p.rechecked = nil
		at, scheduled := p.sim.next()
		p.mu.Unlock()

		for _, ev := range batch {
			if !providers.Emit(ctx, sink, ev) {
				settleRechecks(rechecked, errRunStopped)
				return nil
			}
		}
		settleRechecks(rechecked, nil)
		var due <-chan time.Time
		if scheduled {
			// Measured once the batch is out: a console slow to take it
			// must not delay the next event by as long.
			timer.Reset(p.nap(at.Sub(p.opts.Now())))
			due = timer.C
		}
		select {
		case <-ctx.Done():
			return nil
		case <-due:
		case <-p.wake:
		}
	}
}

// Answer answers a ringing call: it is connecting at once and talking once
// its media is up, a fraction of a second later.
func (p *Provider) Answer(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("answer call %s: %w", id, err)
	}
	return p.act("answer", id, func(now time.Time) error { return p.sim.answer(now, id) })
}

// Reject turns a ringing call down for reason (none when empty); the call
// ends at once with the reason's code. Calls dialled directly to the agent
// cannot be rejected.
func (p *Provider) Reject(ctx context.Context, id string, reason providers.RejectReason) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("reject call %s: %w", id, err)
	}
	if reason == "" {
		reason = providers.ReasonNone
	}
	if parsed, ok := providers.ParseRejectReason(string(reason)); ok {
		reason = parsed
	}
	return p.act("reject", id, func(now time.Time) error { return p.sim.reject(now, id, reason) })
}

// Hangup hangs up a connected call: it is ending at once and gone a moment
// later.
func (p *Provider) Hangup(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("hang up call %s: %w", id, err)
	}
	return p.act("hangup", id, func(now time.Time) error { return p.sim.hangup(now, id) })
}

func (p *Provider) act(action, id string, apply func(now time.Time) error) error {
	err := p.apply(apply)
	if err != nil {
		p.opts.Log.Info("demo action refused", "action", action, "call", id, "error", err)
	} else {
		p.opts.Log.Debug("demo action", "action", action, "call", id)
	}
	return err
}

// apply runs change on the simulation at the clock's time and lets Run
// know there is something to send.
func (p *Provider) apply(change func(now time.Time) error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	err := change(p.opts.Now())
	if p.running {
		select {
		case p.wake <- struct{}{}:
		default: // Run has a wake-up pending already
		}
	} else {
		// Nobody to tell; the next Run starts from a snapshot.
		p.sim.flush()
	}
	return err
}

// Offers is every action: the simulator has them all.
func (p *Provider) Offers() providers.Capabilities {
	return providers.Caps(providers.Actions...)
}

// Transfer hands a connected call (active or held) to to, blind. The call
// stays as it is, taking nothing but a hang-up, while the target rings (2
// to 6 s); then it ends "Transferred to …" (0/7015), outcome transferred.
// A person (a user or a phone number) does not answer one time in
// NoAnswerOdds: after TransferNoAnswer the call stays connected and
// Transfer says so. While Run is going, Transfer returns once the outcome
// is known (or ctx ends, and the transfer goes on); otherwise once it is
// under way.
func (p *Provider) Transfer(ctx context.Context, id string, to providers.Target) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("transfer call %s: %w", id, err)
	}
	return p.send(ctx, "transfer", id, func(now time.Time) (<-chan error, error) { return p.sim.transfer(now, id, to) })
}

// Redirect sends a ringing call to to before it is answered: it stops
// ringing here a fraction of a second later and ends "Redirected to …",
// outcome transferred. It waits for that as Transfer does.
func (p *Provider) Redirect(ctx context.Context, id string, to providers.Target) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("redirect call %s: %w", id, err)
	}
	return p.send(ctx, "redirect", id, func(now time.Time) (<-chan error, error) { return p.sim.redirect(now, id, to) })
}

// send starts a transfer or redirect and, while Run is going to play it
// out, waits for how it went.
func (p *Provider) send(ctx context.Context, action, id string, start func(now time.Time) (<-chan error, error)) error {
	var done <-chan error
	var running bool
	err := p.act(action, id, func(now time.Time) error {
		var err error
		done, err = start(now)
		running = p.running
		return err
	})
	if err != nil || !running {
		return err
	}
	select {
	case err := <-done:
		if err != nil {
			p.opts.Log.Info("demo "+action+" failed", "call", id, "error", err)
			return fmt.Errorf("%s call %s: %w", action, id, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s call %s: %w (it goes on; the call's row shows how it ends)", action, id, ctx.Err())
	}
}

// Hold puts an active call on hold at once. Its caller waits 45 s to 4 min
// for the agent to come back, then hangs up.
func (p *Provider) Hold(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("hold call %s: %w", id, err)
	}
	return p.act("hold", id, func(now time.Time) error { return p.sim.holdCall(now, id) })
}

// Resume takes a held call back at once, whoever put it on hold; it talks
// on for what is left of its conversation.
func (p *Provider) Resume(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("resume call %s: %w", id, err)
	}
	return p.act("resume", id, func(now time.Time) error { return p.sim.resumeCall(now, id) })
}
