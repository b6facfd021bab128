package ui

import (
	"slices"
	"strings"
	"time"

	"ringside/providers"
	"ringside/providers/stats"
)

// row is one call as the console holds it: the provider's latest snapshot
// plus what only the console knows (a request in flight, cached text).
type row struct {
	call  providers.Call
	key   sortKey
	ended bool // on the history tab rather than the live one

	pending    bool // a request for this call is in flight
	pendingAct providers.Action
	pendingVer uint64    // the call's version when the request was sent
	awaitVer   uint64    // the request succeeded; a snapshot newer than this version will show it
	awaitUntil time.Time // how long to wait for that snapshot at most

	inView   bool   // in the filtered list of its tab (only while a filter is set)
	touchGen uint32 // the bulk update that last touched the row
	touchIdx int32  // and where in it

	search    string // lower-case text the filter matches against
	searchVer uint64
	searchOK  bool

	line    string // rendered table line
	lineKey lineKey
}

// awaitSnapshot bounds how long a row keeps its pending marker after the
// provider said yes but before its new snapshot arrives.
const awaitSnapshot = 2 * time.Second

// busy reports whether a request for the call is in flight, or has just
// succeeded and the provider has not sent the call's new state yet.
func (r *row) busy(now time.Time) bool {
	return r.pending || (r.awaitVer != 0 && r.awaitVer == r.call.Version && now.Before(r.awaitUntil))
}

// searchText is every piece of text the console can show for the call, in
// lower case, built at most once per version.
func (r *row) searchText() string {
	if r.searchOK && r.searchVer == r.call.Version {
		return r.search
	}
	c := &r.call
	var b strings.Builder
	b.Grow(128)
	add := func(s string) {
		if s != "" {
			b.WriteString(s)
			b.WriteByte('\x1f') // a separator no query contains
		}
	}
	add(stateWord(c.State))
	add(c.From.String())
	add(c.From.ID)
	add(string(c.From.Kind))
	add(c.To.String())
	add(c.To.ID)
	add(string(c.To.Kind))
	add(c.Queue)
	if c.Route.Kind != providers.CallOrdinary {
		add(callerText(c)) // what the caller column shows for it
		add(string(c.Route.Kind))
	}
	for _, p := range []providers.Party{c.Route.Dialled, c.Route.RoutedTo, c.Route.OnBehalfOf,
		c.Route.Transferor, c.Route.Observed, c.Route.Organizer} {
		if !p.IsZero() {
			add(p.String())
			add(p.ID)
		}
	}
	add(c.Region)
	add(string(c.Direction))
	add(c.ID)
	for _, m := range c.Modalities {
		add(m)
		add(shortModality(m))
	}
	if !c.End.IsZero() {
		add(c.End.String())
	}
	add(string(c.Result()))
	if c.State == providers.StateRinging && !c.AnswerBy.IsZero() {
		add("no answer timed out") // what an expired ringing row says
	}
	r.search = strings.ToLower(b.String())
	r.searchVer, r.searchOK = c.Version, true
	return r.search
}

// sameText reports whether a and b show the same searchable text, so that a
// new version need not rebuild the row's search text.
func sameText(a, b *providers.Call) bool {
	return a.State == b.State && a.From == b.From && a.To == b.To && a.Queue == b.Queue && a.Route == b.Route &&
		a.Region == b.Region && a.Direction == b.Direction && a.ID == b.ID && a.End == b.End &&
		a.Result() == b.Result() && a.AnswerBy.IsZero() == b.AnswerBy.IsZero() &&
		slices.Equal(a.Modalities, b.Modalities)
}

// counts are the header's numbers, kept up to date as events arrive.
type counts struct {
	ringing, active, held     int // live calls by state (active counts connecting, held and ending too)
	handled, rejected, missed int // ended calls by outcome, since the console started
	transferred, elsewhere    int // shown once there is one
	live, ended               int // rows on each tab
}

// wideOutcome reports whether some ended call has an outcome word longer
// than the history's narrow outcome column holds.
func (n *counts) wideOutcome() bool { return n.transferred > 0 || n.elsewhere > 0 }

func (n *counts) add(c *providers.Call, sign int) {
	switch c.State {
	case providers.StateRinging:
		n.ringing += sign
	case providers.StateConnecting, providers.StateActive, providers.StateEnding:
		n.active += sign
	case providers.StateHeld:
		n.active += sign
		n.held += sign
	}
}

// store holds every call the console knows: live calls in display order,
// ended calls newest first, and the filtered views of both while a filter is
// set. All operations on one call are O(log n).
type store struct {
	rows      map[string]*row
	live      orderedList
	hist      orderedList
	fLive     orderedList // live rows matching the filter
	fHist     orderedList // ended rows matching the filter
	query     query
	n         counts
	histLimit int
	bulkGen   uint32 // numbers the bulk updates, so rows know which touched them
}

func newStore(histLimit int) *store {
	return &store{rows: make(map[string]*row), histLimit: histLimit}
}

// liveKey orders the live tab: ringing calls first, soonest deadline first;
// then everything else by when it started.
func liveKey(c *providers.Call) sortKey {
	if c.State == providers.StateRinging {
		t := c.AnswerBy
		if t.IsZero() {
			t = c.Arrived.Add(providers.DefaultAnswerWindow)
		}
		return sortKey{group: 0, t: nanos(t), id: c.ID}
	}
	t := c.Answered
	if t.IsZero() {
		t = c.Arrived
	}
	return sortKey{group: 1, t: nanos(t), id: c.ID}
}

// histKey orders the history tab newest first. A provider that did not say
// when the call ended gets it placed by its last known time.
func histKey(c *providers.Call) sortKey {
	t := c.Ended
	for _, alt := range []time.Time{c.Answered, c.Arrived} {
		if t.IsZero() {
			t = alt
		}
	}
	return sortKey{group: 2, t: -nanos(t), id: c.ID}
}

// nanos is t in unix nanoseconds, 0 for the zero time (whose UnixNano is
// out of range).
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// get returns the row for id, or nil.
func (s *store) get(id string) *row { return s.rows[id] }

// list is the list a tab shows: filtered while a filter is set.
func (s *store) list(history bool) *orderedList {
	switch {
	case history && s.query.active():
		return &s.fHist
	case history:
		return &s.hist
	case s.query.active():
		return &s.fLive
	}
	return &s.live
}

// apply takes one snapshot. A snapshot that is not newer than what the store
// has is dropped, and an ended call never comes back to life. It reports
// whether anything changed.
func (s *store) apply(c *providers.Call) bool { return s.update(c, nil, nil) }

// bulkMin is the smallest batch worth merging: below it, or when the batch
// is small next to the store, rows are moved one by one.
const bulkMin = 256

// applyAll takes a batch of snapshots in order (it may clear entries of
// calls that need no work). A big batch moves its rows with one merge pass
// per list, O(n + k log k), instead of k updates of O(log n) each: with k at
// least n/32 that is cheaper, and it keeps a 10,000-event burst under a
// microsecond an event. Versions make the result the same either way.
func (s *store) applyAll(calls []*providers.Call) {
	if len(calls) < bulkMin || len(calls)*32 < s.live.Len()+s.hist.Len() {
		for _, c := range calls {
			s.update(c, nil, nil)
		}
		return
	}
	// Look every row up first, then touch them, then update them: the
	// lookups (and then the rows) are independent of each other, so the
	// processor overlaps their cache misses instead of waiting for each in
	// turn. Nothing is removed from the store before finish, so the rows
	// found stay valid.
	found := make([]*row, len(calls))
	for i, c := range calls {
		if c != nil {
			found[i] = s.rows[c.ID]
		}
	}
	for i, r := range found {
		if r != nil && calls[i].Version <= r.call.Version {
			found[i] = nil
			calls[i] = nil // not newer: nothing to do
		}
	}
	s.bulkGen++
	b := bulk{gen: s.bulkGen, touched: make([]touch, 0, len(calls))}
	for i, c := range calls {
		if c != nil {
			s.update(c, &b, found[i])
		}
	}
	b.finish(s)
}

// update applies c, moving its row at once (b == nil) or noting it for b to
// move with all the others. r is c's row if the caller has looked it up.
func (s *store) update(c *providers.Call, b *bulk, r *row) bool {
	if c == nil || c.ID == "" {
		return false
	}
	if r == nil {
		r = s.rows[c.ID]
	}
	if r == nil {
		r = &row{call: *c}
		r.ended = c.State == providers.StateEnded
		s.rows[c.ID] = r
		s.tally(r, +1)
		if b != nil {
			b.touch(r, false).set(r)
			return true
		}
		s.place(r)
		s.trimHistory()
		return true
	}
	if c.Version <= r.call.Version {
		return false
	}
	if r.ended && c.State != providers.StateEnded {
		return false
	}
	var t *touch
	if b != nil {
		t = b.touch(r, true)
	}
	s.tally(r, -1)
	wasEnded, oldKey := r.ended, r.key
	keepSearch := r.searchOK && r.searchVer == r.call.Version && sameText(&r.call, c)
	r.call = *c
	if keepSearch {
		r.searchVer = c.Version // nothing the filter sees has changed
	}
	r.ended = c.State == providers.StateEnded
	s.tally(r, +1)
	if b != nil {
		t.set(r)
		return true
	}
	switch {
	case keyOf(r) != oldKey || wasEnded != r.ended:
		s.unplace(r, wasEnded)
		s.place(r)
	case s.query.active():
		// Same place, but the text the filter sees may have changed.
		s.refilter(r)
	}
	if r.ended && !wasEnded {
		s.trimHistory()
	}
	return true
}

// keyOf is where r belongs now.
func keyOf(r *row) sortKey {
	if r.ended {
		return histKey(&r.call)
	}
	return liveKey(&r.call)
}

// bulk collects the rows a big batch touches: where each was before the
// batch and where it goes, kept side by side so that finishing the batch
// need not visit the rows again.
type bulk struct {
	gen     uint32
	touched []touch
}

type touch struct {
	r        *row
	key      sortKey // where it was listed
	newKey   sortKey // where it goes
	listed   bool    // it was listed (not new in this batch)
	wasEnded bool
	ended    bool
	wasIn    bool // it was in its filtered list
}

// touch returns r's note, making it (as r is before its first change in the
// batch) if there is none yet.
func (b *bulk) touch(r *row, listed bool) *touch {
	if r.touchGen == b.gen && r.touchIdx >= 0 && int(r.touchIdx) < len(b.touched) && b.touched[r.touchIdx].r == r {
		return &b.touched[r.touchIdx]
	}
	r.touchGen, r.touchIdx = b.gen, int32(len(b.touched))
	b.touched = append(b.touched, touch{r: r, key: r.key, listed: listed, wasEnded: r.ended, wasIn: r.inView})
	return &b.touched[len(b.touched)-1]
}

// set records where r goes now that it has changed.
func (t *touch) set(r *row) {
	r.key = keyOf(r)
	t.newKey, t.ended = r.key, r.ended
}

// finish moves every touched row that must move, with one merge per list,
// then trims the history.
func (b *bulk) finish(s *store) {
	var gone, goneF [2][]entry // [live, history]
	var add, addF []entry
	tabOf := func(ended bool) int {
		if ended {
			return 1
		}
		return 0
	}
	filtering := s.query.active()
	for i := range b.touched {
		t := &b.touched[i]
		moved := !t.listed || t.newKey != t.key || t.wasEnded != t.ended
		if moved {
			if t.listed {
				gone[tabOf(t.wasEnded)] = append(gone[tabOf(t.wasEnded)], entry{key: t.key, r: t.r})
			}
			add = append(add, entry{key: t.newKey, r: t.r})
		}
		if filtering {
			r := t.r
			in := s.query.match(r)
			if t.wasIn && (moved || !in) {
				goneF[tabOf(t.wasEnded)] = append(goneF[tabOf(t.wasEnded)], entry{key: t.key, r: r})
			}
			if in && (moved || !t.wasIn) {
				addF = append(addF, entry{key: t.newKey, r: r})
			}
			r.inView = in
		}
	}
	merge := func(live, hist *orderedList, gone [2][]entry, add []entry) {
		byKey := func(x, y entry) int { return x.key.compare(y.key) }
		slices.SortFunc(gone[0], byKey)
		slices.SortFunc(gone[1], byKey)
		slices.SortFunc(add, byKey)
		// History keys sort after live ones (group 2): one cut splits them.
		cut, _ := slices.BinarySearchFunc(add, uint8(2), func(e entry, g uint8) int { return int(e.key.group) - int(g) })
		if len(gone[0]) > 0 || cut > 0 {
			live.Merge(gone[0], add[:cut])
		}
		if len(gone[1]) > 0 || cut < len(add) {
			hist.Merge(gone[1], add[cut:])
		}
	}
	merge(&s.live, &s.hist, gone, add)
	if filtering {
		merge(&s.fLive, &s.fHist, goneF, addF)
	}
	s.trimHistory()
}

// tally adds (sign +1) or removes (-1) r's part of the counts. Outcomes are
// counted once, when a call ends, and never taken back.
func (s *store) tally(r *row, sign int) {
	if r.ended {
		s.n.ended += sign
		if sign > 0 {
			switch r.call.Result() {
			case providers.OutcomeHandled:
				s.n.handled++
			case providers.OutcomeRejected:
				s.n.rejected++
			case providers.OutcomeMissed:
				s.n.missed++
			case providers.OutcomeTransferred:
				s.n.transferred++
			case providers.OutcomeElsewhere:
				s.n.elsewhere++
			}
		}
		return
	}
	s.n.live += sign
	s.n.add(&r.call, sign)
}

func (s *store) place(r *row) {
	if r.ended {
		r.key = histKey(&r.call)
		s.hist.Insert(r)
	} else {
		r.key = liveKey(&r.call)
		s.live.Insert(r)
	}
	r.inView = false
	if s.query.active() && s.query.match(r) {
		s.filtered(r.ended).Insert(r)
		r.inView = true
	}
}

func (s *store) unplace(r *row, wasEnded bool) {
	if wasEnded {
		s.hist.Delete(r)
	} else {
		s.live.Delete(r)
	}
	if r.inView {
		s.filtered(wasEnded).Delete(r)
		r.inView = false
	}
}

func (s *store) refilter(r *row) {
	if m := s.query.match(r); m != r.inView {
		if m {
			s.filtered(r.ended).Insert(r)
		} else {
			s.filtered(r.ended).Delete(r)
		}
		r.inView = m
	}
}

func (s *store) filtered(history bool) *orderedList {
	if history {
		return &s.fHist
	}
	return &s.fLive
}

// trimHistory forgets the oldest ended calls beyond the limit.
func (s *store) trimHistory() {
	if s.histLimit <= 0 || s.hist.Len() <= s.histLimit {
		return
	}
	// The oldest rows are the tail of the history, and those of them that
	// match the filter are the tail of the filtered history.
	inView := 0
	for _, old := range s.hist.CutTail(s.hist.Len() - s.histLimit) {
		if old.inView {
			inView++
		}
		delete(s.rows, old.call.ID)
		s.n.ended--
	}
	s.fHist.CutTail(inView)
}

// setFilter changes the filter's text; the queue it is limited to stays.
// When the new query only narrows the old one (more typed at the end), only
// the rows that matched before are scanned; otherwise every row's cached
// search text is. Rows are never re-rendered.
func (s *store) setFilter(text string) {
	q := parseQuery(text)
	if q.text == s.query.text {
		return
	}
	q.queue = s.query.queue
	s.requery(q, s.query.active() && q.narrows(s.query))
}

// setQueue limits the lists to the calls of one queue of the figures
// (stats.QueueName), or to every call with "". The filter's text stays.
func (s *store) setQueue(name string) {
	if name == s.query.queue {
		return
	}
	q := s.query
	q.queue = name
	// From every call to one queue's, only the rows shown now can match.
	s.requery(q, s.query.active() && s.query.queue == "")
}

// requery makes q the query and fills the filtered lists for it.
func (s *store) requery(q query, narrowing bool) {
	s.query = q
	if !q.active() {
		for _, l := range []*orderedList{&s.fLive, &s.fHist} {
			l.Range(0, func(_ int, r *row) bool { r.inView = false; return true })
			l.Reset(nil)
		}
		return
	}
	s.rebuildFilter(narrowing)
}

// rebuildFilter fills the filtered lists for the current query, from the
// previous matches when narrowing, otherwise from every row.
func (s *store) rebuildFilter(narrowing bool) {
	rebuild := func(src, dst *orderedList) {
		var keep []*row
		src.Range(0, func(_ int, r *row) bool {
			r.inView = s.query.match(r)
			if r.inView {
				keep = append(keep, r)
			}
			return true
		})
		dst.Reset(keep)
	}
	if narrowing {
		rebuild(&s.fLive, &s.fLive)
		rebuild(&s.fHist, &s.fHist)
		return
	}
	rebuild(&s.live, &s.fLive)
	rebuild(&s.hist, &s.fHist)
}

// query is a parsed filter: every word must appear in the call's text, and
// when queue is set, the call must count under that queue in the figures.
type query struct {
	text  string
	terms []string
	queue string // a queue's name as stats.QueueName gives it; "" for any
}

func parseQuery(text string) query {
	return query{text: text, terms: strings.Fields(strings.ToLower(text))}
}

// active reports whether the lists are filtered at all.
func (q query) active() bool { return len(q.terms) > 0 || q.queue != "" }

// hasText reports whether there are words to match (the filter line shows).
func (q query) hasText() bool { return len(q.terms) > 0 }

func (q query) match(r *row) bool {
	if q.queue != "" && stats.QueueName(r.call.Queue) != q.queue {
		return false
	}
	s := r.searchText()
	for _, t := range q.terms {
		if !strings.Contains(s, t) {
			return false
		}
	}
	return true
}

// narrows reports whether q can only match a subset of what old matched:
// the same queue, every old term is contained in the term at the same place
// in q, and q has no fewer terms.
func (q query) narrows(old query) bool {
	if q.queue != old.queue || len(q.terms) < len(old.terms) {
		return false
	}
	for i, t := range old.terms {
		if !strings.Contains(q.terms[i], t) {
			return false
		}
	}
	return true
}
