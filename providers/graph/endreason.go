package graph

import (
	"strings"

	"ringside/providers"
	"ringside/providers/graph/notification"
)

// endWords holds the "Call end reason codes" table of Graph's delete-call
// documentation (seed 003) in that document's own words, keyed by code and
// subcode. The row "200 540000/560000" stands for either subcode.
var endWords = map[[2]int]string{
	{200, 4097}:   "Call ended by the other participant in the call.",
	{200, 4521}:   "Call ended by the other participant in peer-to-peer call.",
	{200, 5000}:   "Removed from the conversation by another participant.",
	{200, 5001}:   "The conversation has ended.",
	{200, 5002}:   "The conversation has ended as all other participants have left the call.",
	{200, 5003}:   "The conversation has ended.",
	{200, 5007}:   "The conversation has ended as the initiator of the group call left the conversation.",
	{200, 5010}:   "The conversation has ended as only one participant remained in the conversation.",
	{200, 5012}:   "The conversation has ended as there are no participants in the incoming roster.",
	{200, 5013}:   "The conversation has ended as no one else has joined the group call.",
	{200, 5014}:   "The conversation has ended because we were unable to determine a potential host for the group call.",
	{200, 5020}:   "The conversation has ended as there are no nonhidden participants in the incoming roster.",
	{200, 5030}:   "The conversation has ended as the breakout room duration has elapsed.",
	{200, 5300}:   "Participant was removed from the conversation by another participant.",
	{200, 5855}:   "Participant waiting in lobby was removed from the conversation after lobby inactivity timeout.",
	{200, 7000}:   "The conversation has ended by bot.",
	{200, 7015}:   "Call ended as the transfer completed successfully.",
	{200, 10550}:  "The conversation has ended by bot.",
	{200, 18503}:  "The other participant in the peer-to-peer call left the conversation.",
	{200, 540000}: "Call ended by the PSTN User.",
	{200, 560000}: "Call ended by the PSTN User.",
	{408, 8537}:   "Keep Alive timeout, cleaned up inactive call.",
	{408, 1106}:   "An acknowledgment wasn't received for the call acceptance in the allotted time.",
	{408, 10057}:  "Call timed out due to no signaling from callee endpoints.",
	{410, 301005}: "Media connectivity failure.",
	{480, 10037}:  "No callee endpoints were found.",
	{480, 10076}:  "Callee couldn't be reached.",
	{480, 10134}:  "Call rejected due to inability to route the call.",
	{480, 10199}:  "Call rejected as private calling is disabled for the user.",
	{500, 1005}:   "Server encountered connectivity error with Bot's media. Check media connectivity between Bot and Microsoft.",
}

// transferWords are ends around transfers that the table leaves out. Graph's
// transfer documentation ends the transferred leg with code 0 and subcode
// 7015 ("GracefulTransferCompleted").
var transferWords = map[[2]int]string{
	{0, 7015}: "Call transferred: the transfer completed.",
}

// transferFailureWords are the results Graph gives a transferred call back
// with (still established): its transfer documentation's failure examples
// carry 500/7000 and 500/7700, with a message that is a placeholder in
// Microsoft's own examples.
var transferFailureWords = map[[2]int]string{
	{500, 7000}: "The transfer did not complete; Graph gave the call back.",
	{500, 7700}: "The transfer target did not take the call; Graph gave the call back.",
}

// TransferFailureWords returns words for the result of a transfer Graph
// gave back, or "" when none are known.
func TransferFailureWords(code, subcode int) string {
	return transferFailureWords[[2]int{code, subcode}]
}

// EndReasonWords returns words for a code and subcode, or "" when none are
// known. Code 0 marks a graceful end, as 200 does; its subcodes mean what
// they mean under 200, so a 0/subcode without a row of its own borrows the
// 200 row's words.
func EndReasonWords(code, subcode int) string {
	k := [2]int{code, subcode}
	if w, ok := transferWords[k]; ok {
		return w
	}
	if w, ok := endWords[k]; ok {
		return w
	}
	if code == 0 && subcode != 0 {
		return endWords[[2]int{200, subcode}]
	}
	return ""
}

// terminationWords gives words to the beta terminationReason values that
// name a transfer; others are shown as sent.
var terminationWords = map[string]string{
	"apptransferred": "Call transferred by the bot.",
}

func terminationText(reason string) string {
	if w, ok := terminationWords[strings.ToLower(reason)]; ok {
		return w
	}
	return reason
}

// Words for ends the table cannot explain.
const (
	textRejectedPrefix   = "Rejected as "
	textRedirectedPrefix = "Redirected to "
	textTransferPrefix   = "Transferred to "
	textNoReason         = "Ended; Graph gave no reason."
	textRangOut          = "Not answered in time; Graph sent no end notice."
	textGone             = "Graph no longer knows this call."
)

// endReason says why a call ended: the table's words for its resultInfo,
// else the notification's own message, else the bare codes (Text empty, the
// console shows "code 500/7106"). Without a resultInfo it falls back to our
// own reject, then to the beta terminationReason.
func endReason(data *notification.Call, rejected providers.RejectReason) providers.EndReason {
	if data != nil && data.ResultInfo != nil {
		ri := data.ResultInfo
		if ri.Code != 0 || ri.Subcode != 0 || ri.Message != "" {
			text := EndReasonWords(ri.Code, ri.Subcode)
			if text == "" {
				text = ri.Message
			}
			return providers.EndReason{Code: ri.Code, Subcode: ri.Subcode, Text: text}
		}
	}
	switch {
	case rejected != "":
		return providers.EndReason{Text: textRejectedPrefix + string(rejected) + "."}
	case data != nil && data.TerminationReason != "":
		return providers.EndReason{Text: terminationText(data.TerminationReason)}
	}
	return providers.EndReason{Text: textNoReason}
}

// subcodeTransferred is the subcode of a transfer that completed: under
// code 0 in Graph's transfer documentation, under 200 in the end-reason
// table.
const subcodeTransferred = 7015

// endOf is why a call ended and how it is counted, read against what we
// asked of it (answered: the call was connected before it ended):
//
//   - a transfer that completed (0/7015, or terminationReason
//     AppTransferred for a consultative one) is transferred, "Transferred
//     to <target>" when it was ours; a bot's call is transferred only by
//     the bot, so Graph's end alone is enough to count it;
//   - our redirect of a ringing call ends with a bare deleted (no
//     resultInfo): Graph never says whether the target picked up, so
//     "Redirected to <target>" is all there is to say;
//   - our reject of a ringing call is rejected, with its reason.
//
// Anything else is counted by the contract's rule (handled or missed).
func endOf(data *notification.Call, a asked, answered bool) (providers.EndReason, providers.Outcome) {
	end := endReason(data, a.reject)
	switch {
	case transferCompleted(data):
		if a.transfer != "" {
			end.Text = textTransferPrefix + a.transfer
		}
		return end, providers.OutcomeTransferred
	case a.redirect != "" && !answered && !hasResult(data):
		return providers.EndReason{Text: textRedirectedPrefix + a.redirect}, providers.OutcomeTransferred
	case a.reject != "" && !answered:
		return end, providers.OutcomeRejected
	}
	return end, providers.OutcomeNone
}

// transferCompleted reports whether an ending call's data says it was
// transferred. The subcode is what tells (Graph's examples put it under
// code 0, the end-reason table under 200).
func transferCompleted(data *notification.Call) bool {
	if data == nil {
		return false
	}
	if ri := data.ResultInfo; ri != nil && ri.Subcode == subcodeTransferred && (ri.Code == 0 || ri.Code == 200) {
		return true
	}
	return strings.EqualFold(data.TerminationReason, "AppTransferred")
}

// hasResult reports whether the data carries a resultInfo that says
// anything.
func hasResult(data *notification.Call) bool {
	if data == nil || data.ResultInfo == nil {
		return false
	}
	ri := data.ResultInfo
	return ri.Code != 0 || ri.Subcode != 0 || ri.Message != ""
}
