package providers

import (
	"fmt"
	"strings"
	"time"

	"ringside/providers/textsafe"
)

// EndedUnwatched is c ended at now while nobody was watching, why saying so
// in words: what a Rechecker reports for a call its source no longer has.
// The parties, queue, route and the arrived and answered times are kept;
// there is nothing left to do to it (no capabilities, no answer deadline);
// its outcome is the contract's rule (handled if it was answered, else
// missed); and its Version is above c's, so that it replaces the snapshot
// an earlier run sent.
func EndedUnwatched(c Call, now time.Time, why string) Call {
	c = c.Clone()
	c.State, c.Ended, c.Caps, c.AnswerBy = StateEnded, now, 0, time.Time{}
	c.End = EndReason{Text: why}
	c.Outcome = OutcomeNone
	c.Outcome = c.Result()
	c.Version = max(c.Version, c.Version+1) // at the very top it cannot grow; it must not wrap to 0
	return c
}

// RecheckFailure is one call Recheck could not check, and why.
type RecheckFailure struct {
	ID  string
	Err error
}

// RecheckError is Recheck's error when calls could not be checked: which,
// and why. They were left as they were; the caller may try them again.
type RecheckError struct {
	Provider string
	Failed   []RecheckFailure
}

// recheckErrorShows is how many failures Error spells out; the rest are
// counted. Failed holds them all.
const recheckErrorShows = 5

func (e *RecheckError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: could not check %d of the calls an earlier run reported", e.Provider, len(e.Failed))
	for i, f := range e.Failed {
		if i == recheckErrorShows {
			fmt.Fprintf(&b, "; and %d more", len(e.Failed)-i)
			break
		}
		// The id may be the bad input itself: cleaned and cut for the
		// screen and the log.
		fmt.Fprintf(&b, "; %s: %v", textsafe.Cut(textsafe.Line(f.ID), 40), f.Err)
	}
	return b.String()
}

// Unwrap gives the failures' errors, so errors.Is finds ErrBadCallID or a
// context's end among them.
func (e *RecheckError) Unwrap() []error {
	errs := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		errs[i] = f.Err
	}
	return errs
}

// IDs are the calls that could not be checked, in the order given.
func (e *RecheckError) IDs() []string {
	ids := make([]string, len(e.Failed))
	for i, f := range e.Failed {
		ids[i] = f.ID
	}
	return ids
}

// Add records that call id could not be checked because of err.
func (e *RecheckError) Add(id string, err error) {
	e.Failed = append(e.Failed, RecheckFailure{ID: id, Err: err})
}

// OrNil is e as an error, or nil when no call failed.
func (e *RecheckError) OrNil() error {
	if len(e.Failed) == 0 {
		return nil
	}
	return e
}

// RecheckCandidates sorts the calls handed to a provider's Recheck: it
// returns the live ones worth asking about, once each, and a RecheckError
// (for provider) naming those refused before anything is sent: an id that
// fails CheckCallID, or a call another provider reported. Calls already
// ended are dropped without a word: there is nothing left to find out.
func RecheckCandidates(provider string, calls []Call) ([]Call, *RecheckError) {
	bad := &RecheckError{Provider: provider}
	todo := make([]Call, 0, len(calls))
	seen := make(map[string]bool, len(calls))
	for _, c := range calls {
		if c.State == StateEnded {
			continue
		}
		if err := CheckCallID(c.ID); err != nil {
			bad.Add(c.ID, err)
			continue
		}
		if c.Provider != "" && c.Provider != provider {
			bad.Add(c.ID, fmt.Errorf("it is a call of the %s provider, not of %s", textsafe.Cut(textsafe.Line(c.Provider), 40), provider))
			continue
		}
		if seen[c.ID] {
			continue
		}
		seen[c.ID] = true
		todo = append(todo, c)
	}
	return todo, bad
}
