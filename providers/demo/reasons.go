package demo

import (
	"fmt"
	"slices"

	"ringside/providers"
)

// End reasons of simulated calls. Codes and subcodes are the ones Microsoft
// Graph reports in a terminated call's resultInfo for the same situation; the
// words are ours, written for the person at the console.
var (
	// EndTimedOut ends a ringing call nobody answered within the answer window.
	EndTimedOut = providers.EndReason{Code: 408, Subcode: 10057, Text: "Timed out: not answered in time (no signaling from the callee)"}

	// EndHungUp ends a call the console hung up; Graph reports the bot's own
	// hang-up as ended by the bot.
	EndHungUp = providers.EndReason{Code: 200, Subcode: 7000, Text: "You hung up (ended by the bot)"}

	// EndAnsweredElsewhere ends a queue call another agent picked up first.
	// Graph has no result code for this (the invitation is withdrawn), so
	// there is none here either.
	EndAnsweredElsewhere = providers.EndReason{Text: "Answered by another agent in the queue"}

	// EndMediaFailure ends a call whose media never came up after answer.
	EndMediaFailure = providers.EndReason{Code: 410, Subcode: 301005, Text: "Media connectivity failure: the call could not be connected"}
)

// rejectEnds maps each reject reason to how the call ends. Graph's table has
// no rows for a bot's own reject; its resultInfo codes follow SIP responses,
// so the codes are the SIP answers the reasons stand for: 603 Decline,
// 486 Busy Here, 403 Forbidden.
var rejectEnds = map[providers.RejectReason]providers.EndReason{
	providers.ReasonNone:      {Code: 603, Text: "Rejected from the console (declined, no reason given)"},
	providers.ReasonBusy:      {Code: 486, Text: "Rejected from the console: busy"},
	providers.ReasonForbidden: {Code: 403, Text: "Rejected from the console: forbidden"},
}

// RejectEnd is the end reason a call gets when it is rejected for reason r;
// ok is false for a reason the demo does not know.
func RejectEnd(r providers.RejectReason) (end providers.EndReason, ok bool) {
	end, ok = rejectEnds[r]
	return end, ok
}

// Hang-ups by the far end, with Graph's codes for them.
var (
	endPSTNCaller  = providers.EndReason{Code: 200, Subcode: 540000, Text: "Ended by the PSTN caller"}
	endPSTNCaller2 = providers.EndReason{Code: 200, Subcode: 560000, Text: "Ended by the PSTN caller"}
	endOther       = providers.EndReason{Code: 200, Subcode: 4097, Text: "Ended by the other participant"}
	endOtherP2P    = providers.EndReason{Code: 200, Subcode: 4521, Text: "Ended by the other participant (peer-to-peer call)"}
	endOtherLeft   = providers.EndReason{Code: 200, Subcode: 18503, Text: "The other participant left the call"}
	endKeepAlive   = providers.EndReason{Code: 408, Subcode: 8537, Text: "Keep-alive timeout: the inactive call was cleaned up"}
	endMediaLost   = providers.EndReason{Code: 500, Subcode: 1005, Text: "The server lost connectivity with the bot's media"}
	endMediaDrop   = providers.EndReason{Code: 410, Subcode: 301005, Text: "Media connectivity failure: the call dropped"}

	// A caller who gives up while the call rings or waits on hold.
	endPSTNGaveUp  = providers.EndReason{Code: 200, Subcode: 540000, Text: "The PSTN caller hung up before anyone answered"}
	endGaveUp      = providers.EndReason{Code: 200, Subcode: 4097, Text: "The caller hung up before anyone answered"}
	endGaveUpP2P   = providers.EndReason{Code: 200, Subcode: 4521, Text: "The caller hung up before you answered"}
	endPSTNOnHold  = providers.EndReason{Code: 200, Subcode: 540000, Text: "The PSTN caller hung up while on hold"}
	endOtherOnHold = providers.EndReason{Code: 200, Subcode: 4521, Text: "The caller hung up while on hold"}
)

type weighted struct {
	end    *providers.EndReason
	weight int
}

func (w weighted) weightOf() int { return w.weight }

// How connected calls end when nobody at the console hangs up: mostly the
// caller says goodbye; now and then the network drops the call.
var (
	pstnEnds = []weighted{
		{&endPSTNCaller, 55}, {&endPSTNCaller2, 35}, {&endKeepAlive, 4}, {&endMediaDrop, 4}, {&endMediaLost, 2},
	}
	queueEnds = []weighted{
		{&endOther, 80}, {&endOtherLeft, 10}, {&endKeepAlive, 4}, {&endMediaDrop, 4}, {&endMediaLost, 2},
	}
	directEnds = []weighted{
		{&endOtherP2P, 60}, {&endOtherLeft, 30}, {&endKeepAlive, 4}, {&endMediaDrop, 4}, {&endMediaLost, 2},
	}
)

func pick(u float64, table []weighted) *providers.EndReason {
	return table[weightedIndex(table, int(u*float64(totalWeight(table))))].end
}

// endRef names one of the end reasons above in a byte, so that a call's
// script keeps three of them in three bytes.
type endRef uint8

// endRefs lists every end reason a call's script may hold; endRef 0 is none.
var endRefs = []*providers.EndReason{nil,
	&EndTimedOut, &EndAnsweredElsewhere, &endPSTNGaveUp, &endGaveUp, &endGaveUpP2P, &endPSTNOnHold, &endOtherOnHold,
	&endPSTNCaller, &endPSTNCaller2, &endOther, &endOtherP2P, &endOtherLeft, &endKeepAlive, &endMediaLost, &endMediaDrop,
}

// refOf is the endRef of one of the end reasons above; it panics for
// another, which only a change to this file could bring about.
func refOf(end *providers.EndReason) endRef {
	i := slices.Index(endRefs[1:], end)
	if i < 0 {
		panic(fmt.Sprintf("demo: end reason %q is not in endRefs", end.Text))
	}
	return endRef(i + 1)
}

// reason is the end reason r names.
func (r endRef) reason() providers.EndReason { return *endRefs[r] }

// RedirectEnd is how a call redirected to to ends (outcome transferred).
// Graph ends a redirected call with a deleted notification that carries no
// resultInfo, so there are no codes.
func RedirectEnd(to providers.Target) providers.EndReason {
	return providers.EndReason{Text: "Redirected to " + to.String()}
}

// TransferEnd is how a call transferred to to ends (outcome transferred):
// with Graph's completed transfer, code 0, subcode 7015.
func TransferEnd(to providers.Target) providers.EndReason {
	return providers.EndReason{Code: 0, Subcode: 7015, Text: "Transferred to " + to.String()}
}
