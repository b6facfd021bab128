package genesys

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"ringside/providers"
	"ringside/providers/ledger"
)

// DefaultErrorShow is how long the status detail carries an error GWS
// reported in an ErrorMessage. A device's failure also stays in the header's
// warning until the device reports a state again.
const DefaultErrorShow = 30 * time.Second

// Name is the provider's name on the command line and in events.
const Name = "genesys"

// Provider is the Genesys Web Services (GWS v2 Voice API) provider: the
// agent's calls, live over CometD, answered, rejected and hung up through the
// REST API as GWS's capabilities allow.
type Provider struct {
	s      settings
	opts   providers.Options
	rest   *restClient
	ledger *ledger.Ledger
	// newFeed builds the notification session Run listens to.
	newFeed func() feed

	confirmWait time.Duration // how long an accepted operation waits for its effect
	pollEvery   time.Duration // how often a one-shot command re-reads the call
	retryMin    time.Duration // first delay before reading the calls again after a failure
	retryMax    time.Duration
	// errorShowFor is how long the status detail carries an error GWS
	// reported.
	errorShowFor time.Duration

	mu  sync.Mutex
	run *session // the running Run, nil when none
}

var _ providers.Provider = (*Provider)(nil)

// New checks cfg, reads the password (from --genesys-password-file or
// RINGSIDE_GENESYS_PASSWORD through opts.Getenv) and returns a provider that
// has not contacted GWS yet.
func New(cfg Config, opts providers.Options) (*Provider, error) {
	opts = opts.WithDefaults()
	s, err := cfg.resolve(opts.Getenv)
	if err != nil {
		return nil, err
	}
	p := newProvider(s, opts)
	p.newFeed = func() feed { return newCometdFeed(p) }
	return p, nil
}

func newProvider(s settings, opts providers.Options) *Provider {
	log := opts.Log.With("provider", Name)
	opts.Log = log
	return &Provider{
		s:           s,
		opts:        opts,
		rest:        newRESTClient(s, log),
		ledger:      ledger.New(Name, ledger.FromOptions(opts)),
		confirmWait: DefaultConfirmWait,
		pollEvery:   500 * time.Millisecond,
		retryMin:    time.Second,
		retryMax:    30 * time.Second,

		errorShowFor: DefaultErrorShow,
	}
}

// Name implements providers.Provider.
func (p *Provider) Name() string { return Name }

// Address is the number the switch is asked to dial for t.
func (p *Provider) Address(t providers.Target) (string, error) { return genesysDestination(t) }

// RejectReasons is empty: GWS's Reject takes no reason (it sends the call back
// to the queue it came from), so the console skips the reason picker.
func (p *Provider) RejectReasons() []providers.RejectReason { return []providers.RejectReason{} }

// Answer answers a ringing call that GWS offers Answer on.
func (p *Provider) Answer(ctx context.Context, id string) error {
	return p.act(ctx, id, request{op: opAnswer, action: providers.ActionAnswer})
}

// Reject sends a ringing queue call back to its queue. GWS offers Reject only
// on calls delivered through a queue; reason is ignored (GWS takes none).
func (p *Provider) Reject(ctx context.Context, id string, _ providers.RejectReason) error {
	return p.act(ctx, id, request{op: opReject, action: providers.ActionReject})
}

// Hangup ends a call that GWS offers Hangup on.
func (p *Provider) Hangup(ctx context.Context, id string) error {
	return p.act(ctx, id, request{op: opHangup, action: providers.ActionHangup})
}

// Transfer hands a call GWS offers SingleStepTransfer on to target, blind,
// dialling the target's Genesys number (else its E.164 number). The
// Released that follows ends the call as transferred, "Transferred to
// <target>": nothing on the wire says so, the pending operation does.
func (p *Provider) Transfer(ctx context.Context, id string, to providers.Target) error {
	return p.act(ctx, id, request{op: opSingleStepTransfer, action: providers.ActionTransfer, to: to})
}

// Hold puts a call GWS offers Hold on on hold; it returns once the call
// reports Held.
func (p *Provider) Hold(ctx context.Context, id string) error {
	return p.act(ctx, id, request{op: opHold, action: providers.ActionHold})
}

// Resume takes a held call back (GWS's Retrieve); it returns once the call
// reports Established.
func (p *Provider) Resume(ctx context.Context, id string) error {
	return p.act(ctx, id, request{op: opRetrieve, action: providers.ActionResume})
}

// noRedirect is why Redirect is refused: GWS v2 Voice has no operation that
// sends a ringing call elsewhere.
const noRedirect = "GWS has no redirect; answer the call, then transfer it"

// Redirect is refused in words (noRedirect): the contract's for a call
// known here (ended, or no longer ringing), else noRedirect itself. Either
// matches ErrNotAllowed (ErrEnded for an ended call); nothing is sent.
func (p *Provider) Redirect(_ context.Context, id string, _ providers.Target) error {
	if err := providers.CheckCallID(id); err != nil {
		return fmt.Errorf("redirect: %w", err)
	}
	if c, ok := p.ledger.Get(id); ok {
		if err := providers.CheckAction(c, providers.ActionRedirect, noRedirect); err != nil {
			return fmt.Errorf("redirect %s: %w", id, err)
		}
	}
	return fmt.Errorf("redirect %s: %w", id, errNoRedirect)
}

// errNoRedirect reads as noRedirect and matches ErrNotAllowed.
var errNoRedirect = &wordsError{words: noRedirect, kind: providers.ErrNotAllowed}

// wordsError is a refusal that reads as its words alone and matches kind.
type wordsError struct {
	words string
	kind  error
}

func (e *wordsError) Error() string { return e.words }
func (e *wordsError) Unwrap() error { return e.kind }

// request is one call operation the console asks for: GWS's operation,
// the console's action it performs, and for a transfer where to.
type request struct {
	op     string
	action providers.Action
	to     providers.Target
	number string // the number GWS dials for to, once checked
}

// send posts the operation.
func (r request) send(ctx context.Context, rest *restClient, id string) error {
	if r.op == opSingleStepTransfer {
		return rest.transferTo(ctx, id, r.number)
	}
	return rest.operate(ctx, id, r.op)
}

// act performs r and returns once its effect is seen: from a notification
// while Run is going, else by re-reading the call. If nothing shows the
// effect within confirmWait (shortened to fit ctx's deadline), the call is
// re-read, the fresh snapshot sent to the console and an *UnconfirmedError
// returned unless the re-read shows the effect.
func (p *Provider) act(ctx context.Context, id string, r request) error {
	name := actionName(r.op)
	if strings.TrimSpace(id) == "" {
		return fmt.Errorf("%s: no call id given", name)
	}
	s := p.session()
	// A call this process never saw is sent anyway: GWS says whether it
	// exists.
	if c, ok := p.ledger.Get(id); ok && s != nil {
		if err := providers.CheckAction(c, r.action, notOffered(r.op)); err != nil {
			return fmt.Errorf("%s %s: %w", name, id, err)
		}
	}
	what := name + " " + id
	if r.op == opSingleStepTransfer {
		number, err := genesysDestination(r.to)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		r.number = number
		what += " to " + r.to.String()
	}
	var err error
	if s == nil {
		err = p.oneShot(ctx, id, r)
	} else {
		err = s.operate(ctx, id, r)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// notOffered explains a missing capability.
func notOffered(op string) string {
	if op == opReject {
		return "GWS offers no Reject for this call (only calls delivered through a queue can be rejected)"
	}
	return "GWS offers no " + op + " for this call now"
}

// confirmWindow is how long to wait for an operation's effect under ctx.
func (p *Provider) confirmWindow(ctx context.Context) time.Duration {
	wait := p.confirmWait
	if deadline, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(deadline)-rereadBudget)
	}
	return max(wait, 0)
}

// oneShot performs r without a running session (the one-shot commands):
// it sends the operation, then re-reads the call until its state shows the
// effect or confirmWait has passed.
func (p *Provider) oneShot(ctx context.Context, id string, r request) error {
	op := r.op
	if err := r.send(ctx, p.rest, id); err != nil {
		return err
	}
	wait := p.confirmWindow(ctx)
	deadline := time.Now().Add(wait)
	var state providers.State
	var lastErr error
	for {
		delay := min(p.pollEvery, time.Until(deadline))
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("GWS accepted it; stopped waiting for the effect: %w", ctx.Err())
			case <-t.C:
			}
		}
		wc, err := p.rest.call(ctx, id)
		gwsState := wc.State
		switch {
		case errors.Is(err, providers.ErrNotFound):
			gwsState, state = gwsReleased, providers.StateEnded
		case err != nil:
			lastErr = err
		default:
			state, _ = mapState(wc.State)
		}
		if err == nil || errors.Is(err, providers.ErrNotFound) {
			if done, verr := verdict(op, gwsState, ""); done {
				return verr
			}
		}
		if !time.Now().Before(deadline) {
			if state == "" && lastErr != nil {
				return fmt.Errorf("%w; re-reading the call failed: %w", &UnconfirmedError{Action: actionName(op), After: wait}, lastErr)
			}
			return &UnconfirmedError{Action: actionName(op), After: wait, State: state}
		}
	}
}

// session returns the running Run's session, if any.
func (p *Provider) session() *session {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.run
}

// Run connects to GWS and sends the agent's calls and the connection's state
// to sink until ctx ends (then it returns nil, after logging the agent out if
// it logged them in) or GWS cannot be used (then it sends a failed status and
// returns the reason).
func (p *Provider) Run(ctx context.Context, sink providers.Sink) error {
	p.mu.Lock()
	if p.run != nil {
		p.mu.Unlock()
		return errors.New("genesys: Run is already going")
	}
	s := newSession(p, sink)
	p.run = s
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.run = nil
		p.mu.Unlock()
	}()
	return s.loop(ctx)
}

// genesysOffers is what GWS v2 Voice can do to a call: no redirect.
var genesysOffers = providers.Caps(providers.ActionAnswer, providers.ActionReject, providers.ActionHangup,
	providers.ActionTransfer, providers.ActionHold, providers.ActionResume)

// Offers is every action this provider may offer on a call: answer,
// reject, hang up, transfer, hold and resume.
func (p *Provider) Offers() providers.Capabilities { return genesysOffers }
