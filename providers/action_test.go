package providers

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckActionEndedIsErrEnded(t *testing.T) {
	c := Call{ID: "c1", State: StateEnded, End: EndReason{Code: 408, Subcode: 10057, Text: "Timed out"}}
	for _, a := range []Action{ActionAnswer, ActionReject, ActionHangup} {
		err := CheckAction(c, a, "")
		switch {
		case !errors.Is(err, ErrEnded):
			t.Fatalf("%s on an ended call: %v, want ErrEnded", a, err)
		case !errors.Is(err, ErrNotFound) || errors.Is(err, ErrNotAllowed):
			t.Fatalf("%s on an ended call: %v must be an ErrNotFound and no ErrNotAllowed", a, err)
		case err.Error() != "the call has already ended: Timed out (408/10057)":
			t.Fatalf("%s on an ended call says %q", a, err)
		}
	}
	if err := CheckAction(Call{State: StateEnded}, ActionHangup, ""); err == nil || err.Error() != "the call has already ended" {
		t.Fatalf("without a reason: %v", err)
	}
}

func TestCheckActionSaysWhyInWords(t *testing.T) {
	ringing := Call{State: StateRinging, Caps: Caps(ActionAnswer, ActionReject)}
	direct := Call{State: StateRinging, Caps: Caps(ActionAnswer)}
	active := Call{State: StateActive, Caps: Caps(ActionHangup)}
	ending := Call{State: StateEnding}
	for _, tt := range []struct {
		name       string
		c          Call
		a          Action
		notOffered string
		want       string // "" when the action may be sent
	}{
		{"answer ringing", ringing, ActionAnswer, "", ""},
		{"reject ringing", ringing, ActionReject, "", ""},
		{"hang up active", active, ActionHangup, "", ""},
		{"answer active", active, ActionAnswer, "", "the call is already answered"},
		{"reject active", active, ActionReject, "", "the call is already answered; hang it up instead"},
		{"hang up ringing", ringing, ActionHangup, "", "the call has not been answered; reject it or let it ring out"},
		{"hang up direct", direct, ActionHangup, "", "the call has not been answered; answer it or let it ring out"},
		{"hang up ending", ending, ActionHangup, "", "the call is already being hung up"},
		{"answer ending", ending, ActionAnswer, "", "the call is being hung up"},
		{"reject not offered", direct, ActionReject, "", "reject is not offered on this call now"},
		{"reject not offered, provider's words", direct, ActionReject, "only queue calls can be rejected", "only queue calls can be rejected"},
		{"unknown state", Call{State: "parked", Caps: Caps(ActionHangup)}, ActionHangup, "", `the call is in a state ringside does not know ("parked")`},
	} {
		err := CheckAction(tt.c, tt.a, tt.notOffered)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v, want it allowed", tt.name, err)
		case tt.want == "":
		case err == nil:
			t.Errorf("%s: allowed, want %q", tt.name, tt.want)
		case err.Error() != tt.want:
			t.Errorf("%s: %q, want %q", tt.name, err, tt.want)
		case !errors.Is(err, ErrNotAllowed) || errors.Is(err, ErrNotFound):
			t.Errorf("%s: %v is not an ErrNotAllowed alone", tt.name, err)
		}
	}
}

// TestCheckActionAgreesWithCan: the console offers an action exactly when
// the providers would send it.
func TestCheckActionAgreesWithCan(t *testing.T) {
	for _, s := range append(States, "parked") {
		for caps := range Capabilities(1 << 3) {
			for _, a := range []Action{ActionAnswer, ActionReject, ActionHangup} {
				c := Call{State: s, Caps: caps}
				if err := CheckAction(c, a, ""); (err == nil) != c.Can(a) {
					t.Errorf("%s with %v, %s: Can %v but CheckAction %v", s, caps.Names(), a, c.Can(a), err)
				}
			}
		}
	}
}

func TestCheckRejectReason(t *testing.T) {
	for in, want := range map[RejectReason]RejectReason{
		"": ReasonNone, "  ": ReasonNone, "none": ReasonNone, "BUSY": ReasonBusy, " Forbidden ": ReasonForbidden,
	} {
		if got, err := CheckRejectReason(in); err != nil || got != want {
			t.Errorf("CheckRejectReason(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []RejectReason{"maybe", "busy please", RejectReason(hostile)} {
		got, err := CheckRejectReason(bad)
		if err == nil || got != "" || !strings.Contains(err.Error(), "unknown reason") || !strings.Contains(err.Error(), "none, busy or forbidden") {
			t.Errorf("CheckRejectReason(%q) = %q, %v; want refused, naming the reasons", bad, got, err)
		}
		if err != nil {
			assertClean(t, "refusal", err.Error())
		}
	}
}
