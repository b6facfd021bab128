package record

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"ringside/providers"
	"ringside/providers/jsonstream"
	"ringside/providers/textsafe"
)

// Config is the recording's part of the command line. The program embeds
// it; kong derives the flags and RINGSIDE_RECORD* variables from the tags.
type Config struct {
	File   string `name:"record" type:"path" placeholder:"FILE" help:"Record every call and status event and every action taken here, as they happen, into FILE (JSON lines, the --json lines after a header; replay it with --provider replay --replay FILE). FILE must not exist yet."`
	Redact bool   `name:"record-redact" help:"With --record: replace names, numbers and ids by stable pseudonyms (queues are kept), so the recording can be shared."`
}

// Check refuses --record-redact without --record.
func (cfg Config) Check() error {
	if cfg.Redact && strings.TrimSpace(cfg.File) == "" {
		return errors.New("record: --record-redact needs --record FILE")
	}
	return nil
}

// Start creates the recording cfg names and returns p wrapped so that
// everything p sends and every action asked of it is recorded there, with
// the Writer to close once p has stopped (Close flushes it and says what
// was lost, if anything).
func Start(cfg Config, p providers.Provider, opts providers.Options) (providers.Provider, *Writer, error) {
	if err := cfg.Check(); err != nil {
		return nil, nil, err
	}
	opts = opts.WithDefaults()
	var red *Redactor
	if cfg.Redact {
		var err error
		if red, err = NewRedactor(); err != nil {
			return nil, nil, err
		}
	}
	h := Header{Provider: p.Name(), Ringside: BuildVersion(), Started: opts.Now().UTC(), Redacted: cfg.Redact}
	w, err := Create(cfg.File, h, opts.Log)
	if err != nil {
		return nil, nil, err
	}
	return Wrap(p, w, red, opts), w, nil
}

// Wrap returns p recording into w: Run passes every event on unchanged
// after queueing its line, and every action method records its result once
// the provider has answered. red, if not nil, redacts what is written (not
// what is passed on). The result implements providers.AgentControl,
// providers.Rechecker and Boards() exactly when p does.
func Wrap(p providers.Provider, w *Writer, red *Redactor, opts providers.Options) providers.Provider {
	opts = opts.WithDefaults()
	return withParts(&recorder{inner: p, w: w, red: red, now: opts.Now, log: opts.Log, name: p.Name()})
}

// recorder is the decorator's core: the Provider methods.
type recorder struct {
	inner providers.Provider
	w     *Writer
	red   *Redactor
	now   func() time.Time
	log   *slog.Logger
	name  string
}

// warnEvery spaces out the statuses that tell the console of lines lost;
// each status the provider sends meanwhile carries the count too.
const warnEvery = 5 * time.Second

// teeBuffer is the channel between the provider and the recorder's
// forwarding: small, so the provider still feels a slow console.
const teeBuffer = 256

func (r *recorder) Name() string                            { return r.inner.Name() }
func (r *recorder) Offers() providers.Capabilities          { return r.inner.Offers() }
func (r *recorder) RejectReasons() []providers.RejectReason { return r.inner.RejectReasons() }
func (r *recorder) Address(t providers.Target) (string, error) {
	return r.inner.Address(t)
}

// Run runs the provider with a sink of the recorder's own, and passes each
// event on to sink after queueing its line (which never waits). When the
// recording loses lines, the status the console shows carries a warning
// that says so.
func (r *recorder) Run(ctx context.Context, sink providers.Sink) error {
	in := make(chan providers.Event, teeBuffer)
	result := make(chan error, 1)
	go func() { result <- r.inner.Run(ctx, in) }()
	t := &tee{r: r, sink: sink, tell: rate.Sometimes{First: 1, Interval: warnEvery}}
	for {
		select {
		case ev := <-in:
			t.pass(ctx, ev)
		case err := <-result:
			for {
				select {
				case ev := <-in:
					t.pass(ctx, ev)
				default:
					return err
				}
			}
		}
	}
}

// tee is one Run's forwarding: the last status seen, and how many lost
// lines the console has been told of.
type tee struct {
	r      *recorder
	sink   providers.Sink
	last   providers.Status
	warned uint64
	// tell spaces out the warnings: a disk that cannot keep up loses a
	// line per event, and the console must not get a status per event.
	tell rate.Sometimes
}

func (t *tee) pass(ctx context.Context, ev providers.Event) {
	t.r.recordEvent(ev)
	lost := t.r.w.Lost()
	if ev.Status != nil {
		t.last = *ev.Status
		if lost > 0 {
			ev = t.warning(ev.Time, lost)
		}
		t.forward(ctx, ev)
		t.warned = lost
		return
	}
	t.forward(ctx, ev)
	if lost > t.warned {
		t.tell.Do(func() {
			t.warned = lost
			t.forward(ctx, t.warning(t.r.now(), lost))
		})
	}
}

// warning is the last status with the recording's loss added to its
// warning: a standing caution, shown until the console stops.
func (t *tee) warning(at time.Time, lost uint64) providers.Event {
	st := t.last
	if st.Link == "" {
		st.Link = providers.LinkConnecting
	}
	words := fmt.Sprintf("recording %s: %d line(s) lost, the disk cannot keep up", t.r.w.Path(), lost)
	if st.Warning != "" {
		words = st.Warning + " · " + words
	}
	st.Warning = words
	return providers.StatusEvent(at, st)
}

// forward passes ev on as the provider would have: waiting for the
// console, unless the provider is being stopped and the console has no
// room.
func (t *tee) forward(ctx context.Context, ev providers.Event) {
	select {
	case t.sink <- ev:
	case <-ctx.Done():
		select {
		case t.sink <- ev:
		default:
		}
	}
}

// recordEvent queues ev's line, redacted when asked.
func (r *recorder) recordEvent(ev providers.Event) {
	switch {
	case ev.Call != nil && r.red != nil:
		c := r.red.Call(*ev.Call)
		ev = providers.Event{Time: ev.Time, Call: &c}
	case ev.Status != nil && r.red != nil:
		st := *ev.Status
		st.Detail, st.Warning = r.red.Text(st.Detail), r.red.Text(st.Warning)
		ev = providers.Event{Time: ev.Time, Status: &st}
	case ev.Call == nil && ev.Status == nil:
		return
	}
	line, err := jsonstream.MarshalEvent(r.name, ev)
	if err != nil {
		r.log.Error("recording: encode event", "err", err)
		r.w.lose(1)
		return
	}
	r.w.Put(line)
}

func (r *recorder) Answer(ctx context.Context, id string) error {
	return r.act(Action{Action: providers.ActionAnswer.String(), Call: id}, func() error { return r.inner.Answer(ctx, id) })
}

func (r *recorder) Reject(ctx context.Context, id string, reason providers.RejectReason) error {
	a := Action{Action: providers.ActionReject.String(), Call: id, Reason: textsafe.Cut(textsafe.Line(string(reason)), 40)}
	return r.act(a, func() error { return r.inner.Reject(ctx, id, reason) })
}

func (r *recorder) Hangup(ctx context.Context, id string) error {
	return r.act(Action{Action: providers.ActionHangup.String(), Call: id}, func() error { return r.inner.Hangup(ctx, id) })
}

func (r *recorder) Transfer(ctx context.Context, id string, to providers.Target) error {
	return r.act(r.toward(providers.ActionTransfer, id, to), func() error { return r.inner.Transfer(ctx, id, to) })
}

func (r *recorder) Redirect(ctx context.Context, id string, to providers.Target) error {
	return r.act(r.toward(providers.ActionRedirect, id, to), func() error { return r.inner.Redirect(ctx, id, to) })
}

func (r *recorder) Hold(ctx context.Context, id string) error {
	return r.act(Action{Action: providers.ActionHold.String(), Call: id}, func() error { return r.inner.Hold(ctx, id) })
}

func (r *recorder) Resume(ctx context.Context, id string) error {
	return r.act(Action{Action: providers.ActionResume.String(), Call: id}, func() error { return r.inner.Resume(ctx, id) })
}

// toward is the action line of a transfer or redirect. The target is
// redacted before the action is sent, so that the end reason naming it
// ("Transferred to …"), which may come first, is scrubbed of it.
func (r *recorder) toward(a providers.Action, id string, to providers.Target) Action {
	name := textsafe.Line(to.String())
	if r.red != nil {
		name = r.red.Target(to)
	}
	return Action{Action: a.String(), Call: id, Target: name, TargetKind: string(to.Kind)}
}

// act runs do and records how it went: when the result came, how long it
// took, and the error's words and kind.
func (r *recorder) act(a Action, do func() error) error {
	start := r.now()
	err := do()
	end := r.now()
	a.Type, a.Time, a.TookMS = TypeAction, end.UTC(), max(end.Sub(start).Milliseconds(), 0)
	if r.red != nil {
		// First, so that the error's words are scrubbed of the id too.
		a.Call = r.red.CallID(a.Call)
	}
	a.Result = ResultOK
	if err != nil {
		a.Result, a.Kind, a.Error = ResultError, ErrorKind(err), textsafe.Line(err.Error())
		if r.red != nil {
			a.Error = textsafe.Line(r.red.Error(err))
		}
	}
	if a.Call != "" && providers.CheckCallID(a.Call) != nil {
		// An id the provider refused is not written as it was given: the
		// line must read back, and the id may be anything.
		a.Call = ""
	}
	line, merr := json.Marshal(a)
	if merr != nil {
		r.log.Error("recording: encode action", "err", merr)
		r.w.lose(1)
		return err
	}
	r.w.Put(line)
	return err
}
