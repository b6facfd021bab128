package providers

import (
	"fmt"
	"strings"

	"ringside/providers/textsafe"
)

// ErrEnded: the call has ended, so no action can be sent for it any more.
//
// It is a kind of ErrNotFound (errors.Is(err, ErrNotFound) holds for it
// too): for the one acting, an ended call is as gone as one that never was,
// and a server asked to act on an ended call answers "not found" (Graph's
// 404, GWS's statusCode 6). So the caller sees the same error whether the
// provider had already heard of the end or learns it from the server's reply.
var ErrEnded error = endedError{}

type endedError struct{}

func (endedError) Error() string { return "the call has already ended" }
func (endedError) Unwrap() error { return ErrNotFound }

// refusal is an action turned down before it was sent: it reads as its
// words alone and matches its kind (ErrEnded or ErrNotAllowed) with errors.Is.
type refusal struct {
	why  string
	kind error
}

func (r *refusal) Error() string { return r.why }
func (r *refusal) Unwrap() error { return r.kind }

// CheckAction says whether action a may be sent for c, the call as the
// provider last recorded it, and if not, why, in words for the status line
// and stderr:
//
//   - the call has ended: ErrEnded, with why it ended;
//   - its state does not allow a (answering a call that is talking, hanging
//     up one that still rings): ErrNotAllowed, with what to do instead;
//   - the provider does not offer a on it now: ErrNotAllowed, with
//     notOffered, the provider's own reason ("GWS offers no Reject for this
//     call…"), or the contract's words when notOffered is empty.
//
// It is Can's rule with reasons, so the console and every provider agree on
// what may be done. The result carries no action or call id; the provider
// puts those in front ("answer c1: the call is already answered").
//
// A call the provider does not know is its own business: the demo knows
// every call there is and answers ErrNotFound; Graph and GWS send the action
// anyway, since a one-shot command acts on calls this process never saw, and
// their servers say whether the call exists.
func CheckAction(c Call, a Action, notOffered string) error {
	switch {
	case c.State == StateEnded:
		why := ErrEnded.Error()
		if end := c.End.String(); end != "" {
			why += ": " + end
		}
		return &refusal{why: why, kind: ErrEnded}
	case !a.AllowedIn(c.State):
		return &refusal{why: stateRefusal(c, a), kind: ErrNotAllowed}
	case !c.Caps.Has(a):
		if strings.TrimSpace(notOffered) == "" {
			notOffered = fmt.Sprintf("%s is not offered on this call now", a)
		}
		return &refusal{why: notOffered, kind: ErrNotAllowed}
	}
	return nil
}

// stateRefusal says why a call in its state does not allow a, and what may
// be done instead.
func stateRefusal(c Call, a Action) string {
	s := c.State
	switch {
	case s == StateEnding && a == ActionHangup:
		return "the call is already being hung up"
	case s == StateEnding:
		return "the call is being hung up"
	case a == ActionAnswer && s.Connected():
		return "the call is already answered"
	case a == ActionReject && s.Connected():
		return "the call is already answered; hang it up instead"
	case a == ActionHangup && s == StateRinging && c.Direction == Outgoing:
		return "the call has not been answered at the far end yet"
	case a == ActionHangup && s == StateRinging && c.Caps.Has(ActionReject):
		return "the call has not been answered; reject it or let it ring out"
	case a == ActionHangup && s == StateRinging:
		return "the call has not been answered; answer it or let it ring out"
	case a == ActionRedirect && s.Connected():
		return "the call is already answered; transfer it instead"
	case (a == ActionTransfer || a == ActionHold) && s == StateRinging && c.Caps.Has(ActionRedirect):
		return "the call has not been answered; redirect it instead"
	case (a == ActionTransfer || a == ActionHold || a == ActionResume) && s == StateRinging:
		return "the call has not been answered yet"
	case (a == ActionTransfer || a == ActionHold) && s == StateConnecting:
		return "the call is still being connected"
	case a == ActionHold && s == StateHeld:
		return "the call is already on hold"
	case a == ActionResume && s != StateHeld:
		return "the call is not on hold"
	case !s.Valid():
		return fmt.Sprintf("the call is in a state ringside does not know (%q)", string(s))
	}
	return fmt.Sprintf("%s is not possible while the call is %s", a, s)
}

// CheckRejectReason reads reason as Reject takes it: without regard to case
// or surrounding space, empty meaning ReasonNone. Any other word is refused,
// saying which are known. It is the one check of a reason on every path.
func CheckRejectReason(reason RejectReason) (RejectReason, error) {
	if strings.TrimSpace(string(reason)) == "" {
		return ReasonNone, nil
	}
	if r, ok := ParseRejectReason(string(reason)); ok {
		return r, nil
	}
	return "", fmt.Errorf("unknown reason %q (want none, busy or forbidden)", textsafe.Cut(textsafe.Clean(string(reason)), 40))
}
