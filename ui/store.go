package ui

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"ringside/providers"
	"ringside/providers/compact"
	"ringside/providers/stats"
)

// row is one call as the console holds it: the provider's latest snapshot,
// packed, and where it is listed, in 128 bytes (a hundred thousand rows must
// fit in a few tens of megabytes; see compact). What only some rows need, a
// request in flight or cached text, is kept aside in aux. Whether the row is
// on the history tab and in its tab's filtered list are two bits of the
// packed call's Mark.
type row struct {
	call     compact.Call
	aux      *rowAux      // nil when the row has none of it
	stat     stats.Handle // finds the call in the Queues view's counter without looking its id up
	touchGen uint32       // the bulk update that last touched the row
	touchIdx int32        // and where in it
}

// The bits of a row's Mark.
const (
	markEnded  = 1 << iota // on the history tab rather than the live one
	markInView             // in the filtered list of its tab (only while a filter is set)
)

func (r *row) isEnded() bool  { return r.call.Mark&markEnded != 0 }
func (r *row) isInView() bool { return r.call.Mark&markInView != 0 }

func (r *row) setEnded(on bool)  { r.setMark(markEnded, on) }
func (r *row) setInView(on bool) { r.setMark(markInView, on) }

func (r *row) setMark(bit uint8, on bool) {
	if on {
		r.call.Mark |= bit
	} else {
		r.call.Mark &^= bit
	}
}

// rowAux is what few rows need at a time: a request in flight (a handful),
// the text the filter matches (only while a filter is set) and the rendered
// line (only the rows on screen: see Model.trimLines).
type rowAux struct {
	// What the filter reads as a row is updated comes first, together, so
	// that it takes one cache line or two, not three.
	search    string // lower-case text the filter matches against
	searchVer uint64
	hits      uint64 // bit i: the query's term i is in search (see textHits)
	hitsGen   uint32 // the query (query.gen) hits was found for; 0 for none
	searchOK  bool

	pending    bool // a request for this call is in flight
	pendingAct providers.Action
	pendingVer uint64    // the call's version when the request was sent
	awaitVer   uint64    // the request succeeded; a snapshot newer than this version will show it
	awaitUntil time.Time // how long to wait for that snapshot at most
	// sentOn: the request was a transfer or redirect the provider accepted;
	// the call is on its way out until it ends or allows the action again
	// (see busy), not merely until its next snapshot.
	sentOn bool

	line    string // rendered table line (a live row's cells before its timer)
	tail    string // a live row's cells after its timer
	lineKey lineKey
	shown   uint32 // the frame that last drew the line
	kept    bool   // the row is in Model.lined
}

// more is r's aux, made if it has none.
func (r *row) more() *rowAux {
	if r.aux == nil {
		r.aux = new(rowAux)
	}
	return r.aux
}

// tidy lets go of r's aux once nothing is left in it.
func (r *row) tidy() {
	if a := r.aux; a != nil && !a.pending && a.awaitVer == 0 && !a.searchOK && a.line == "" && !a.kept {
		r.aux = nil
	}
}

// view is the row's call unpacked, to read (its media are shared).
func (r *row) view() providers.Call {
	var c providers.Call
	r.call.Unpack(&c)
	return c
}

// pendingAct is the action in flight or awaited for the call, if any.
func (r *row) pendingAct() providers.Action {
	if r.aux == nil {
		return 0
	}
	return r.aux.pendingAct
}

// awaitSnapshot bounds how long a row keeps its pending marker after the
// provider said yes but before its new snapshot arrives.
const awaitSnapshot = 2 * time.Second

// sendOnSettle bounds how long a row keeps its marker after a transfer or
// redirect was accepted, while the provider has neither ended the call nor
// given it back: Graph rings a redirect or transfer target for 90 s at most,
// and a provider silent for longer has lost track of it.
const sendOnSettle = 90 * time.Second

// busy reports whether a request for the call is in flight, or has just
// succeeded and the provider has not sent the call's new state yet. After
// a transfer or redirect that state is the end (or the call given back):
// Graph accepts one with 202 and keeps the call established while the
// target rings (or says nothing at all after a redirect), so the row keeps
// its marker, and takes no other action, until the provider settles it.
func (r *row) busy(now time.Time) bool {
	a := r.aux
	switch {
	case a == nil:
		return false
	case a.pending:
		return true
	case a.awaitVer == 0 || !now.Before(a.awaitUntil):
		return false
	case a.awaitVer == r.call.Version():
		return true
	}
	return a.sentOn && r.call.State() != providers.StateEnded && !r.allows(a.pendingAct)
}

// allows reports whether the call, as last reported, allows action act.
func (r *row) allows(act providers.Action) bool {
	return r.call.Caps().Has(act) && act.AllowedIn(r.call.State())
}

// searchText is the text the console can show for the call that stays as
// the call rings, is answered, held and ended (its parties, queue, route,
// region, direction, id and media), in lower case. It is built once and
// kept while those stay the same (see update), so that a change of state
// costs a filter no more than a look at the words of the state and the end
// (dynamicMatch).
func (r *row) searchText() string {
	if a := r.aux; a != nil && a.searchOK && a.searchVer == r.call.Version() {
		return a.search
	}
	view := r.view()
	c := &view
	b := make([]byte, 0, 192)
	add := func(s string) {
		if s != "" {
			b = appendLower(b, s)
			b = append(b, '\x1f') // a separator no query contains
		}
	}
	b = appendParty(b, c.From)
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
	a := r.more()
	a.search = string(b)
	a.searchVer, a.searchOK = c.Version, true
	a.hitsGen = 0 // found in the text before: look again
	return a.search
}

// textHits is which of q's terms are in r's kept text: bit i for term i,
// for the first 64 terms. It is kept with the text for the query it was
// found for, so that a row whose text stays (a change of state) is matched
// again without its text being read: only the words of its state are
// (dynamicMatch).
func (r *row) textHits(q *query) uint64 {
	text := r.searchText()
	a := r.aux
	if q.gen != 0 && a.hitsGen == q.gen {
		return a.hits
	}
	var hits uint64
	for i, t := range q.terms[:min(len(q.terms), 64)] {
		if strings.Contains(text, t) {
			hits |= 1 << i
		}
	}
	if q.gen != 0 {
		a.hits, a.hitsGen = hits, q.gen
	}
	return hits
}

// appendParty adds what p.String() gives in lower case, and the separator,
// as the search text's add does. A number with its name (what a phone
// party shows) is written in place rather than made a string first: a name
// shorter than 32 bytes is never taken for a GUID (providers.Party.String
// shows a GUID name differently), so that its String is name, space, number.
func appendParty(b []byte, p providers.Party) []byte {
	if p.Kind == providers.KindPhone && p.ID != "" && p.Name != "" && p.Name != p.ID && len(p.Name) < 32 {
		b = appendLower(b, p.Name)
		b = append(b, ' ')
		b = appendLower(b, p.ID)
		return append(b, '\x1f')
	}
	if s := p.String(); s != "" {
		b = appendLower(b, s)
		b = append(b, '\x1f')
	}
	return b
}

// appendLower appends s in lower case, as strings.ToLower writes it: ASCII
// with its runs that need no change copied whole, anything else a rune at a
// time through unicode.ToLower, a byte that is not UTF-8 written as U+FFFD
// (as strings.Map writes it), with nothing made on the way.
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] < utf8.RuneSelf && (s[j] < 'A' || s[j] > 'Z') {
			j++
		}
		dst = append(dst, s[i:j]...)
		if i = j; i == len(s) {
			break
		}
		if c := s[i]; c < utf8.RuneSelf {
			dst = append(dst, c+'a'-'A')
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += w
	}
	return dst
}

// forgetSearch lets go of r's search text (no filter is set any more).
func (r *row) forgetSearch() {
	if a := r.aux; a != nil && a.searchOK {
		a.search, a.searchVer, a.searchOK = "", 0, false
		a.hits, a.hitsGen = 0, 0
		r.tidy()
	}
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

func (n *counts) add(state providers.State, sign int) {
	switch state {
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
	table     *compact.Table // what the rows' calls share
	live      orderedList
	hist      orderedList
	fLive     orderedList // live rows matching the filter
	fHist     orderedList // ended rows matching the filter
	query     query
	n         counts
	histLimit int
	bulkGen   uint32 // numbers the bulk updates, so rows know which touched them
	queryGen  uint32 // numbers the queries, so rows know which their kept hits are for
	warm      int    // where a bulk update's reads ahead go, so that they are made
}

func newStore(histLimit int) *store {
	return &store{rows: make(map[string]*row), table: compact.NewTable(), histLimit: histLimit}
}

// liveKey orders the live tab: ringing calls first, soonest deadline first;
// then everything else by when it started.
func liveKey(c *compact.Call) sortKey {
	if c.State() == providers.StateRinging {
		t := c.Nanos(compact.AnswerBy)
		if !c.HasTime(compact.AnswerBy) {
			t = nanos(c.Time(compact.Arrived).Add(providers.DefaultAnswerWindow))
		}
		return sortKey{group: 0, t: t, id: c.ID()}
	}
	t := c.Nanos(compact.Answered)
	if !c.HasTime(compact.Answered) {
		t = c.Nanos(compact.Arrived)
	}
	return sortKey{group: 1, t: t, id: c.ID()}
}

// histKey orders the history tab newest first. A provider that did not say
// when the call ended gets it placed by its last known time.
func histKey(c *compact.Call) sortKey {
	t := int64(0)
	for _, w := range [...]compact.Which{compact.Ended, compact.Answered, compact.Arrived} {
		if c.HasTime(w) {
			t = c.Nanos(w)
			break
		}
	}
	return sortKey{group: 2, t: -t, id: c.ID()}
}

// nanos is t in unix nanoseconds, 0 for the zero time (whose UnixNano is
// out of range).
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// keyOf is where r belongs now, and where it is listed whenever it is not
// in the middle of an update.
func keyOf(r *row) sortKey {
	if r.isEnded() {
		return histKey(&r.call)
	}
	return liveKey(&r.call)
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
func (s *store) apply(c *providers.Call) bool {
	_, changed := s.update(c, nil, nil)
	return changed
}

// bulkMin is the smallest batch worth merging: below it, or when the batch
// is small next to the store, rows are moved one by one.
const bulkMin = 256

// applyAll takes a batch of snapshots in order and returns the row of each
// one's call (nil for a snapshot without an id; a row the history has let
// go of by the end of the batch is still returned). A big batch moves its
// rows with one merge pass per list, O(n + k log k), instead of k updates
// of O(log n) each: with k at least n/32 that is cheaper. Versions make the
// result the same either way.
func (s *store) applyAll(calls []*providers.Call) []*row {
	rows := make([]*row, len(calls))
	if len(calls) < bulkMin || len(calls)*32 < s.live.Len()+s.hist.Len() {
		for i, c := range calls {
			rows[i], _ = s.update(c, nil, nil)
		}
		return rows
	}
	// Look every row up first, then, a chunk at a time, read the rows and
	// update them: lookups (and reads) independent of each other overlap
	// their cache misses instead of waiting for each in turn, and a chunk's
	// rows are still in the cache when they are updated (the snapshots
	// streaming through would push rows read long before out). Nothing is
	// removed from the store before finish, so the rows found stay valid.
	for i, c := range calls {
		if c != nil {
			rows[i] = s.rows[c.ID]
		}
	}
	s.bulkGen++
	b := bulk{gen: s.bulkGen, touched: make([]touch, 0, len(calls))}
	var stale [bulkChunk]bool
	for start := 0; start < len(calls); start += bulkChunk {
		chunk := calls[start:min(start+bulkChunk, len(calls))]
		for i, c := range chunk {
			// Not newer: nothing to do. Both of a row's cache lines are
			// read (the version is in its second, the id in its first),
			// what it keeps aside (the filter's text while a filter is
			// set), and the snapshot's media, which packing compares.
			r := rows[start+i]
			stale[i] = c == nil || r != nil && c.Version <= r.call.Version()
			if !stale[i] {
				if r != nil {
					s.warm += len(r.call.ID())
					if a := r.aux; a != nil {
						s.warm += int(a.searchVer) + int(a.hitsGen)
					}
				}
				if len(c.Modalities) > 0 {
					s.warm += len(c.Modalities[0])
				}
			}
		}
		for i, c := range chunk {
			if stale[i] {
				continue
			}
			rows[start+i], _ = s.update(c, &b, rows[start+i])
		}
	}
	b.finish(s)
	return rows
}

// bulkChunk is how many rows a bulk update reads ahead of updating them.
const bulkChunk = 128

// update applies c, moving its row at once (b == nil) or noting it for b to
// move with all the others. r is c's row if the caller has looked it up. It
// returns c's row (nil for a snapshot without an id) and whether anything
// changed.
func (s *store) update(c *providers.Call, b *bulk, r *row) (*row, bool) {
	if c == nil || c.ID == "" {
		return nil, false
	}
	if r == nil {
		r = s.rows[c.ID] // perhaps made by the batch
	}
	if r == nil {
		r = &row{}
		s.table.Pack(&r.call, c)
		r.setEnded(c.State == providers.StateEnded)
		s.rows[c.ID] = r
		s.tally(r, +1)
		if b != nil {
			s.note(b.touch(r, false), r)
			return r, true
		}
		s.place(r)
		s.trimHistory()
		return r, true
	}
	if c.Version <= r.call.Version() {
		return r, false
	}
	if r.isEnded() && c.State != providers.StateEnded {
		return r, false
	}
	var t *touch
	var oldKey sortKey // where r is listed (a bulk update's note has it)
	if b != nil {
		t = b.touch(r, true)
	} else {
		oldKey = keyOf(r)
	}
	s.tally(r, -1)
	wasEnded := r.isEnded()
	if a := r.aux; a != nil && a.searchOK && a.searchVer == r.call.Version() {
		prev := r.call
		s.table.Pack(&r.call, c)
		if compact.SameButState(&prev, &r.call) {
			a.searchVer = c.Version // the text kept for the filter still holds
		}
	} else {
		s.table.Pack(&r.call, c)
	}
	r.setEnded(c.State == providers.StateEnded)
	s.tally(r, +1)
	if b != nil {
		s.note(t, r)
		return r, true
	}
	switch {
	case keyOf(r) != oldKey || wasEnded != r.isEnded():
		s.unplace(r, wasEnded, oldKey)
		s.place(r)
	case s.query.active():
		// Same place, but the text the filter sees may have changed.
		s.refilter(r)
	}
	if r.isEnded() && !wasEnded {
		s.trimHistory()
	}
	return r, true
}

// bulk collects the rows a big batch touches: where each was before the
// batch and where it goes, kept side by side so that finishing the batch
// need not visit the rows again.
type bulk struct {
	gen     uint32
	touched []touch
}

// touch is a row's note: where it was listed and where it goes, as entries
// (the id, the last part of a key, is the row's own), so that the notes of
// a 10,000-event batch take 320 KB.
type touch struct {
	r        *row
	was, now entry // its entries in its list before the batch and after
	listed   bool  // it was listed (not new in this batch)
	wasEnded bool
	ended    bool
	wasIn    bool // it was in its filtered list
	in       bool // it goes in its filtered list
}

// touch returns r's note, making it (as r is before its first change in the
// batch) if there is none yet.
func (b *bulk) touch(r *row, listed bool) *touch {
	if r.touchGen == b.gen && r.touchIdx >= 0 && int(r.touchIdx) < len(b.touched) && b.touched[r.touchIdx].r == r {
		return &b.touched[r.touchIdx]
	}
	r.touchGen, r.touchIdx = b.gen, int32(len(b.touched))
	t := touch{r: r, listed: listed, wasEnded: r.isEnded(), wasIn: r.isInView()}
	if listed {
		t.was = entryOf(keyOf(r), r)
	}
	b.touched = append(b.touched, t)
	return &b.touched[len(b.touched)-1]
}

// note records in t where r goes now that it has changed and, while a
// filter is set, whether it matches. The match is decided here, while the
// row and what it keeps for the filter are still in the cache, rather than
// when the batch is finished, by when the rest of the batch has pushed them
// out. The row's mark says where it goes from now on; b.touch took where it
// was before its first change.
func (s *store) note(t *touch, r *row) {
	t.now, t.ended = entryOf(keyOf(r), r), r.isEnded()
	if s.query.active() {
		t.in = s.query.match(r)
		r.setInView(t.in)
	}
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
		moved := !t.listed || t.now != t.was || t.wasEnded != t.ended
		if moved {
			if t.listed {
				gone[tabOf(t.wasEnded)] = append(gone[tabOf(t.wasEnded)], t.was)
			}
			add = append(add, t.now)
		}
		if filtering {
			if t.wasIn && (moved || !t.in) {
				goneF[tabOf(t.wasEnded)] = append(goneF[tabOf(t.wasEnded)], t.was)
			}
			if t.in && (moved || !t.wasIn) {
				addF = append(addF, t.now)
			}
		}
	}
	merge := func(live, hist *orderedList, gone [2][]entry, add []entry) {
		slices.SortFunc(gone[0], cmpEntries)
		slices.SortFunc(gone[1], cmpEntries)
		slices.SortFunc(add, cmpEntries)
		// History keys sort after live ones (group 2): one cut splits them.
		cut, _ := slices.BinarySearchFunc(add, uint8(2), func(e entry, g uint8) int { return int(e.group) - int(g) })
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
	if r.isEnded() {
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
	s.n.add(r.call.State(), sign)
}

func (s *store) place(r *row) {
	k := keyOf(r)
	if r.isEnded() {
		s.hist.Insert(r, k)
	} else {
		s.live.Insert(r, k)
	}
	r.setInView(false)
	if s.query.active() && s.query.match(r) {
		s.filtered(r.isEnded()).Insert(r, k)
		r.setInView(true)
	}
}

// unplace takes r out of the lists it was in, listed under k.
func (s *store) unplace(r *row, wasEnded bool, k sortKey) {
	if wasEnded {
		s.hist.Delete(r, k)
	} else {
		s.live.Delete(r, k)
	}
	if r.isInView() {
		s.filtered(wasEnded).Delete(r, k)
		r.setInView(false)
	}
}

func (s *store) refilter(r *row) {
	if m := s.query.match(r); m != r.isInView() {
		if m {
			s.filtered(r.isEnded()).Insert(r, keyOf(r))
		} else {
			s.filtered(r.isEnded()).Delete(r, keyOf(r))
		}
		r.setInView(m)
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
	cut := s.hist.CutTail(s.hist.Len() - s.histLimit)
	if len(cut) > 1 {
		// Many at once (a burst ended many calls): look them all up
		// first, so that the rows, their ids and the map's slots are
		// read with their cache misses overlapping, then delete them.
		for _, old := range cut {
			if s.rows[old.call.ID()] == nil {
				s.warm++
			}
		}
	}
	for _, old := range cut {
		if old.isInView() {
			inView++
		}
		delete(s.rows, old.call.ID())
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

// requery makes q the query and fills the filtered lists for it. With no
// filter left, every row lets go of its search text: it is built again, once
// per row, when a filter is set.
func (s *store) requery(q query, narrowing bool) {
	s.queryGen++
	if s.queryGen == 0 {
		// Numbers come round again: no row may keep hits found for a
		// query of the last round under a number of this one.
		for _, r := range s.rows {
			if r.aux != nil {
				r.aux.hitsGen = 0
			}
		}
		s.queryGen++ // 0 is no query's
	}
	q.gen = s.queryGen
	s.query = q
	if !q.active() {
		for _, l := range []*orderedList{&s.fLive, &s.fHist} {
			l.Range(0, func(_ int, r *row) bool { r.setInView(false); return true })
			l.Reset(nil)
		}
		for _, r := range s.rows {
			r.forgetSearch()
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
			r.setInView(s.query.match(r))
			if r.isInView() {
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
	gen   uint32 // numbers the store's queries, for the hits rows keep (textHits); 0: not the store's
}

func parseQuery(text string) query {
	return query{text: text, terms: strings.Fields(strings.ToLower(text))}
}

// active reports whether the lists are filtered at all.
func (q query) active() bool { return len(q.terms) > 0 || q.queue != "" }

// hasText reports whether there are words to match (the filter line shows).
func (q query) hasText() bool { return len(q.terms) > 0 }

func (q *query) match(r *row) bool {
	if q.queue != "" && stats.QueueName(r.call.Queue()) != q.queue {
		return false
	}
	hits := r.textHits(q)
	for i, t := range q.terms {
		var in bool
		if i < 64 {
			in = hits&(1<<i) != 0
		} else {
			in = strings.Contains(r.searchText(), t)
		}
		if !in && !dynamicMatch(r, t) {
			return false
		}
	}
	return true
}

// dynamicMatch reports whether term is in the words the console shows for
// r's state: the state, the outcome, why it ended, and what a ringing row
// with a deadline says once it has passed. They are looked at each time, not
// kept, so that a call's change of state leaves its kept text as it is.
func dynamicMatch(r *row, term string) bool {
	state := r.call.State()
	if strings.Contains(stateWord(state), term) {
		return true
	}
	// Only an ended call has an outcome (providers.ResultOf), so only its
	// outcome is worked out.
	if state == providers.StateEnded && strings.Contains(strings.ToLower(string(r.call.Result())), term) {
		return true
	}
	if end := r.call.End(); !end.IsZero() && strings.Contains(strings.ToLower(end.String()), term) {
		return true
	}
	return state == providers.StateRinging && r.call.HasTime(compact.AnswerBy) && strings.Contains(wordsTimedOut, term)
}

// wordsTimedOut is what an expired ringing row says, as the filter sees it.
const wordsTimedOut = "no answer timed out"

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
