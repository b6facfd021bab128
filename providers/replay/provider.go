package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"ringside/providers"
	"ringside/providers/record"
	"ringside/providers/regularfile"
)

// Name is the provider's name on the command line (--provider replay). The
// calls and statuses it plays keep the name of the provider that was
// recorded, and so does Provider.Name.
const Name = "replay"

// Provider plays a recording as a providers.Provider.
type Provider struct {
	cfg  Config
	opts providers.Options
	// ownClock is set when Options.Now is the caller's clock rather than
	// the real one: no timer follows it, so Run re-reads it (see nap).
	ownClock bool

	header  record.Header
	shown   string        // the file as the status names it
	length  time.Duration // from the recording's start to its last line
	cutLine int           // the number of a last line cut short; 0 if none

	mu      sync.Mutex
	running bool
	pass    *pass             // the pass under way; nil when not playing
	outbox  []providers.Event // what actions changed, for Run to send
	wake    chan struct{}     // tells Run the outbox or the steps changed
}

var _ providers.Provider = (*Provider)(nil)

// New reads the recording cfg names through once, so that a file that is
// not a recording, of a newer format, or with a bad line anywhere is
// refused now, with the line and what is wrong, before any of it is shown.
// A last line cut short is not an error: the replay stops before it, and
// its status carries a warning.
func New(cfg Config, opts providers.Options) (*Provider, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ownClock := opts.Now != nil
	p := &Provider{
		cfg: cfg, opts: opts.WithDefaults(), ownClock: ownClock,
		shown: filepath.Base(cfg.File), wake: make(chan struct{}, 1),
	}
	if err := p.scan(); err != nil {
		return nil, err
	}
	if cfg.From > p.length {
		return nil, fmt.Errorf("replay: --from %s is past the end of %s (it lasts %s)", cfg.From, cfg.File, p.length.Round(time.Millisecond))
	}
	return p, nil
}

// scan reads every line once: the header, each line's checks, the length.
func (p *Provider) scan() error {
	// A recording is read twice, to check it and to play it: only a
	// regular file will do.
	f, _, err := regularfile.Open(p.cfg.File)
	if errors.Is(err, regularfile.ErrNotRegular) {
		return fmt.Errorf("replay: %w: a recording is read once to check it and again to play it", err)
	}
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	defer f.Close()
	rd, err := record.NewReader(f)
	if err != nil {
		return fmt.Errorf("replay: %s: %w", p.cfg.File, err)
	}
	p.header = rd.Header()
	for {
		e, err := rd.Next()
		var lineErr *record.LineError
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case errors.Is(err, record.ErrCut) && errors.As(err, &lineErr):
			p.cutLine = lineErr.Line
			p.opts.Log.Warn("replay: the recording's last line is cut short; it is left out", "file", p.cfg.File, "line", p.cutLine)
			return nil
		case err != nil:
			return fmt.Errorf("replay: %s: %w", p.cfg.File, err)
		}
		p.length = max(p.length, e.Time.Sub(p.header.Started))
	}
}

// Name is the recorded provider's name, as its calls and statuses carry it.
func (p *Provider) Name() string { return p.header.Provider }

// Header is the recording's header.
func (p *Provider) Header() record.Header { return p.header }

// Length is how long the recording lasts, from its start to its last line.
func (p *Provider) Length() time.Duration { return p.length }

// ReadOnly reports whether the console may not act (no --replay-act).
func (p *Provider) ReadOnly() bool { return !p.cfg.Act }

// Offers is every action with --replay-act, none without.
func (p *Provider) Offers() providers.Capabilities {
	if !p.cfg.Act {
		return 0
	}
	return providers.Caps(providers.Actions...)
}

// RejectReasons are Graph's, as the demo has them.
func (p *Provider) RejectReasons() []providers.RejectReason {
	return slices.Clone(providers.RejectReasons)
}

// Address is the target's first address: a simulation reaches anyone.
func (p *Provider) Address(t providers.Target) (string, error) {
	for _, a := range []string{t.Phone, t.GenesysNumber, t.GraphID, t.Name} {
		if a != "" {
			return a, nil
		}
	}
	return "", fmt.Errorf("%w: it has no address", providers.ErrBadTarget)
}

// minPass is the shortest a looping pass lasts, so that a recording with
// nothing in it (a header alone) does not replay itself in a tight loop.
const minPass = time.Second

// Run plays the recording: the state at --from at once, then each line at
// its time (scaled by --speed), until the end; with --loop again and again,
// each pass's calls new to the console. Without --loop it returns at the
// end (the JSON stream then ends), unless actions are simulated
// (--replay-act): their calls keep changing until ctx ends. A line the file
// turned out to hold after all that cannot be read fails the replay.
func (p *Provider) Run(ctx context.Context, sink providers.Sink) error {
	p.mu.Lock()
	if p.running {
		p.mu.Unlock()
		return errors.New("replay: the recording is already playing")
	}
	p.running = true
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.running, p.pass, p.outbox = false, nil, nil
		p.mu.Unlock()
	}()
	p.opts.Log.Info("replay starting", "file", p.cfg.File, "provider", p.header.Provider,
		"speed", p.cfg.Speed, "from", p.cfg.From, "loop", p.cfg.Loop, "act", p.cfg.Act)

	base := p.opts.Now()
	for n := 1; ; n++ {
		ps, err := p.play(ctx, sink, n, base)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			err = fmt.Errorf("replay: %s: %w", p.cfg.File, err)
			providers.Emit(ctx, sink, providers.StatusEvent(p.opts.Now(), providers.Status{Link: providers.LinkFailed, Detail: err.Error()}))
			return err
		case !p.cfg.Loop:
			if !p.emit(ctx, sink, []providers.Event{p.finished(ps)}) {
				return nil
			}
			if p.cfg.Act {
				p.waitUntil(ctx, sink, time.Time{})
			}
			return nil
		}
		end := ps.last
		if end.Before(base.Add(minPass)) {
			end = base.Add(minPass)
		}
		if !p.waitUntil(ctx, sink, end) {
			return nil
		}
		p.mu.Lock()
		evs := ps.finish(end)
		p.mu.Unlock()
		if !p.emit(ctx, sink, evs) {
			return nil
		}
		base = end
	}
}

// play plays pass n from base: the recording's moment --from is base.
// It returns the pass (its last line's time in ps.last) and why it stopped
// early, if it did; a cancelled ctx is not an error.
func (p *Provider) play(ctx context.Context, sink providers.Sink, n int, base time.Time) (*pass, error) {
	f, err := os.Open(p.cfg.File)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rd, err := record.NewReader(f)
	if err != nil {
		return nil, err
	}
	origin := rd.Header().Started.Add(p.cfg.From)
	ps := newPass(n, clock{base: base, origin: origin, speed: p.cfg.Speed}, p.opts.MaxCalls)
	ps.last = base
	status := p.statusOf(ps)

	p.mu.Lock()
	p.pass, p.outbox = ps, nil
	p.mu.Unlock()

	// Up to --from, lines are taken in without being sent; what they left
	// is sent at once.
	var next *record.Entry
	for {
		if next, err = read(rd); err != nil || next == nil || !next.Time.Before(origin) {
			break
		}
		p.mu.Lock()
		ps.apply(*next, status)
		p.mu.Unlock()
	}
	if err != nil {
		return ps, err
	}
	p.mu.Lock()
	evs := ps.state(status)
	p.mu.Unlock()
	if !p.emit(ctx, sink, evs) {
		return ps, nil
	}

	for next != nil {
		due := ps.clock.at(next.Time)
		if due.Before(ps.last) {
			due = ps.last // a line out of order goes at once
		}
		if !p.waitUntil(ctx, sink, due) {
			return ps, nil
		}
		p.mu.Lock()
		evs := ps.apply(*next, status)
		p.mu.Unlock()
		if !p.emit(ctx, sink, evs) {
			return ps, nil
		}
		ps.last = due
		if next, err = read(rd); err != nil {
			return ps, err
		}
	}
	return ps, nil
}

// read is the next entry, nil at the end (a last line cut short is the end:
// scan said so already).
func read(rd *record.Reader) (*record.Entry, error) {
	e, err := rd.Next()
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, record.ErrCut):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &e, nil
}

// recheck bounds Run's sleep when Options.Now is a clock of the caller's
// own: timers run on the real clock, a test's clock is moved by hand.
const recheck = 250 * time.Millisecond

// nap is how long to sleep when the next thing is wait away.
func (p *Provider) nap(wait time.Duration) time.Duration {
	wait = max(wait, 0)
	if p.ownClock {
		return min(wait, recheck)
	}
	return wait
}

// waitUntil sends what actions changed and the simulated changes as they
// fall due, until the clock reaches due (for ever when due is zero) or ctx
// ends; it reports whether due was reached.
func (p *Provider) waitUntil(ctx context.Context, sink providers.Sink, due time.Time) bool {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		now := p.opts.Now()
		p.mu.Lock()
		evs := p.outbox
		p.outbox = nil
		var step time.Time
		var stepping bool
		if ps := p.pass; ps != nil {
			evs = append(evs, ps.due(now)...)
			step, stepping = ps.next()
		}
		p.mu.Unlock()
		if !p.emit(ctx, sink, evs) {
			return false
		}
		if !due.IsZero() && !now.Before(due) {
			return true
		}
		wake := due
		if stepping && (wake.IsZero() || step.Before(wake)) {
			wake = step
		}
		var ring <-chan time.Time
		if !wake.IsZero() {
			timer.Reset(p.nap(wake.Sub(now)))
			ring = timer.C
		}
		select {
		case <-ctx.Done():
			return false
		case <-ring:
		case <-p.wake:
		}
	}
}

// poke tells Run that an action left something to send. The lock is held.
func (p *Provider) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *Provider) emit(ctx context.Context, sink providers.Sink, evs []providers.Event) bool {
	for _, ev := range evs {
		if !providers.Emit(ctx, sink, ev) {
			return false
		}
	}
	return true
}

// statusOf words a recorded status as pass ps shows it: the detail says
// what is playing and whether the console may act, then what the recorded
// provider said.
func (p *Provider) statusOf(ps *pass) func(providers.Status) providers.Status {
	return func(st providers.Status) providers.Status {
		st.Detail = join(p.words(ps.n), st.Detail)
		if p.cutLine > 0 {
			st.Warning = join(st.Warning, fmt.Sprintf("the recording's last line (%d) is cut short; replayed up to line %d", p.cutLine, p.cutLine-1))
		}
		return st
	}
}

// words is what the status detail says first: "replay of demo.jsonl ×4
// (pass 2) · read-only".
func (p *Provider) words(n int) string {
	w := "replay of " + p.shown
	if p.cfg.Speed != 1 {
		w += " ×" + strconv.FormatFloat(p.cfg.Speed, 'g', -1, 64)
	}
	if n > 1 {
		w += " (pass " + strconv.Itoa(n) + ")"
	}
	if p.cfg.Act {
		return w + " · actions simulated"
	}
	return w + " · read-only"
}

// finished is the status sent at the end of a replay that does not loop.
func (p *Provider) finished(ps *pass) providers.Event {
	st := providers.Status{Link: providers.LinkLive}
	if ps.status != nil {
		st = *ps.status
	}
	st = p.statusOf(ps)(st)
	st.Detail = p.words(ps.n) + " · the recording ends here"
	return providers.StatusEvent(p.opts.Now(), st)
}

func join(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " · " + b
}
