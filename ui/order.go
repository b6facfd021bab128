package ui

import (
	"cmp"
	"slices"
	"sort"
	"strings"
)

// sortKey places a call in a list: by group (ringing before connected on the
// live tab), then by time, then by id so that keys are unique.
type sortKey struct {
	group uint8
	t     int64 // unix nanoseconds; history stores the negated end time
	id    string
}

func (a sortKey) less(b sortKey) bool {
	if a.group != b.group {
		return a.group < b.group
	}
	if a.t != b.t {
		return a.t < b.t
	}
	return a.id < b.id
}

func (a sortKey) compare(b sortKey) int {
	if a.group != b.group {
		return cmp.Compare(a.group, b.group)
	}
	if a.t != b.t {
		return cmp.Compare(a.t, b.t)
	}
	return strings.Compare(a.id, b.id)
}

// blockMax bounds a block. Inserting or deleting moves at most this many
// entries, so an update costs O(log n + blockMax) whatever the list's size.
const blockMax = 128

// entry keeps the key next to its row so that searching visits the rows
// themselves (scattered in memory: a cache miss each) only on a tie of group
// and time, when the id decides. The id is read from the row, where it never
// changes, so that an entry is three words: the list of a hundred thousand
// calls takes 2.4 MB.
type entry struct {
	t     int64
	r     *row
	group uint8
}

func entryOf(k sortKey, r *row) entry { return entry{t: k.t, r: r, group: k.group} }

// key is the key the entry is listed under.
func (e *entry) key() sortKey { return sortKey{group: e.group, t: e.t, id: e.r.call.ID()} }

// cmpKey compares the entry's key with k.
func (e *entry) cmpKey(k *sortKey) int {
	if e.group != k.group {
		return cmp.Compare(e.group, k.group)
	}
	if e.t != k.t {
		return cmp.Compare(e.t, k.t)
	}
	return strings.Compare(e.r.call.ID(), k.id)
}

// cmpEntries orders entries by their keys.
func cmpEntries(a, b entry) int {
	if a.group != b.group {
		return cmp.Compare(a.group, b.group)
	}
	if a.t != b.t {
		return cmp.Compare(a.t, b.t)
	}
	return strings.Compare(a.r.call.ID(), b.r.call.ID())
}

// orderedList is a sorted list of rows, stored as sorted blocks with the
// last key of each block in one contiguous slice (the leaves of a B-tree and
// a flat index over them). Insert, Delete and Index are O(log n + blockMax);
// At is O(log n) once the block offsets are fresh, which they are after the
// first lookup following a change.
type orderedList struct {
	blocks [][]entry
	lasts  []entry // lasts[i] is the last entry of blocks[i]
	n      int
	starts []int // starts[i] is the list index of blocks[i][0]; stale when dirty
	dirty  bool

	// Merge lays the whole list out in one array; the array of the merge
	// before is no longer referenced by any block then and is kept for the
	// next merge, while merges follow one another (a burst): a single
	// insert or delete lets it go, so that it costs no memory in between.
	flat, spare []entry
}

func (l *orderedList) Len() int { return l.n }

// locate finds where key k is or would go: block bi and position pos in it.
// With an empty list it returns (0, 0) and there is no block 0.
func (l *orderedList) locate(k sortKey) (bi, pos int) {
	if len(l.blocks) == 0 {
		return 0, 0
	}
	// First block whose last key is >= k.
	lo, hi := 0, len(l.lasts)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if l.lasts[mid].cmpKey(&k) < 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == len(l.blocks) {
		bi = len(l.blocks) - 1
		return bi, len(l.blocks[bi])
	}
	// First position in it whose key is >= k.
	b := l.blocks[lo]
	i, j := 0, len(b)
	for i < j {
		mid := int(uint(i+j) >> 1)
		if b[mid].cmpKey(&k) < 0 {
			i = mid + 1
		} else {
			j = mid
		}
	}
	return lo, i
}

// Insert adds r at the place of k, its key. r must not be in the list
// already.
func (l *orderedList) Insert(r *row, k sortKey) {
	l.dirty = true
	l.n++
	l.spare = nil
	e := entryOf(k, r)
	if len(l.blocks) == 0 {
		l.blocks = append(l.blocks, append(make([]entry, 0, blockMax+1), e))
		l.lasts = append(l.lasts, e)
		return
	}
	bi, pos := l.locate(k)
	b := slices.Insert(l.blocks[bi], pos, e)
	if pos == len(b)-1 {
		l.lasts[bi] = e
	}
	if len(b) <= blockMax {
		l.blocks[bi] = b
		return
	}
	half := len(b) / 2
	right := make([]entry, len(b)-half, blockMax+1)
	copy(right, b[half:])
	clear(b[half:])
	l.blocks[bi] = b[:half]
	l.lasts[bi] = b[half-1]
	l.blocks = slices.Insert(l.blocks, bi+1, right)
	l.lasts = slices.Insert(l.lasts, bi+1, right[len(right)-1])
}

// Delete removes r, found by k, the key it is listed under; it reports
// whether r was there.
func (l *orderedList) Delete(r *row, k sortKey) bool {
	bi, pos := l.locate(k)
	if bi >= len(l.blocks) || pos >= len(l.blocks[bi]) || l.blocks[bi][pos].r != r {
		return false
	}
	l.dirty = true
	l.n--
	l.spare = nil
	b := slices.Delete(l.blocks[bi], pos, pos+1)
	switch {
	case len(b) == 0:
		l.blocks = slices.Delete(l.blocks, bi, bi+1)
		l.lasts = slices.Delete(l.lasts, bi, bi+1)
		return true
	case len(b) < blockMax/4 && bi+1 < len(l.blocks) && len(b)+len(l.blocks[bi+1]) <= blockMax:
		// Merge a small block into its right neighbour so that heavy
		// deletion does not leave thousands of tiny blocks behind.
		l.blocks[bi] = append(b, l.blocks[bi+1]...)
		l.lasts[bi] = l.lasts[bi+1]
		l.blocks = slices.Delete(l.blocks, bi+1, bi+2)
		l.lasts = slices.Delete(l.lasts, bi+1, bi+2)
	default:
		l.blocks[bi] = b
		l.lasts[bi] = b[len(b)-1]
	}
	return true
}

// Contains reports whether r is in the list under k.
func (l *orderedList) Contains(r *row, k sortKey) bool { return l.Index(r, k) >= 0 }

func (l *orderedList) refresh() {
	if !l.dirty && len(l.starts) == len(l.blocks) {
		return
	}
	l.starts = l.starts[:0]
	n := 0
	for _, b := range l.blocks {
		l.starts = append(l.starts, n)
		n += len(b)
	}
	l.dirty = false
}

// Index is the position of r, listed under k, or -1.
func (l *orderedList) Index(r *row, k sortKey) int {
	bi, pos := l.locate(k)
	if bi >= len(l.blocks) || pos >= len(l.blocks[bi]) || l.blocks[bi][pos].r != r {
		return -1
	}
	l.refresh()
	return l.starts[bi] + pos
}

// Search is the number of rows whose key is less than k: the position a row
// with key k has, or would have if it were in the list.
func (l *orderedList) Search(k sortKey) int {
	if len(l.blocks) == 0 {
		return 0
	}
	bi, pos := l.locate(k)
	l.refresh()
	return l.starts[bi] + pos
}

// At returns the row at position i (0 <= i < Len).
func (l *orderedList) At(i int) *row {
	if i < 0 || i >= l.n {
		return nil
	}
	l.refresh()
	bi := sort.Search(len(l.starts), func(j int) bool { return l.starts[j] > i }) - 1
	return l.blocks[bi][i-l.starts[bi]].r
}

// CutTail removes the last k rows (all, if k >= Len) and returns them. It
// costs O(k): no searching, whole blocks dropped at once.
func (l *orderedList) CutTail(k int) []*row {
	k = min(k, l.n)
	if k <= 0 {
		return nil
	}
	out := make([]*row, 0, k)
	for k > 0 {
		last := len(l.blocks) - 1
		b := l.blocks[last]
		take := min(k, len(b))
		for _, e := range b[len(b)-take:] {
			out = append(out, e.r)
		}
		clear(b[len(b)-take:])
		if take == len(b) {
			l.blocks[last], l.lasts[last] = nil, entry{} // hold no rows beyond the list
			l.blocks, l.lasts = l.blocks[:last], l.lasts[:last]
		} else {
			l.blocks[last] = b[:len(b)-take]
			l.lasts[last] = b[len(b)-take-1]
		}
		k -= take
		l.n -= take
	}
	l.dirty = true
	return out
}

// Range calls fn for rows from position from onwards until fn returns false.
func (l *orderedList) Range(from int, fn func(i int, r *row) bool) {
	if from < 0 {
		from = 0
	}
	if from >= l.n {
		return
	}
	l.refresh()
	bi := sort.Search(len(l.starts), func(j int) bool { return l.starts[j] > from }) - 1
	i := from
	for pos := from - l.starts[bi]; bi < len(l.blocks); bi, pos = bi+1, 0 {
		for _, e := range l.blocks[bi][pos:] {
			if !fn(i, e.r) {
				return
			}
			i++
		}
	}
}

// Merge removes the rows of gone and inserts the rows of add in one pass
// over the list, O(n + k) instead of k separate updates. gone holds each row
// with the key it is listed under, add each row with its new key, both in key
// order. A big batch of events is applied this way.
func (l *orderedList) Merge(gone, add []entry) {
	n := l.n - len(gone) + len(add)
	flat := l.spare[:0]
	if cap(flat) < n {
		flat = make([]entry, 0, n+n/8)
	}
	g, a := 0, 0
	for _, b := range l.blocks {
		for _, e := range b {
			if g < len(gone) && gone[g].r == e.r {
				g++
				continue
			}
			for a < len(add) && cmpEntries(add[a], e) < 0 {
				flat = append(flat, add[a])
				a++
			}
			flat = append(flat, e)
		}
	}
	flat = append(flat, add[a:]...)
	clear(flat[len(flat):cap(flat)]) // let go of rows from the last use
	l.spare, l.flat = l.flat, flat
	l.blocks, l.lasts = l.blocks[:0], l.lasts[:0]
	l.n, l.dirty = len(flat), true
	// Blocks are windows on one array, each with no spare capacity: the
	// first insert into a block copies it out, so no block can write into
	// its neighbour.
	const fill = blockMax / 2
	for i := 0; i < len(flat); i += fill {
		j := min(i+fill, len(flat))
		l.blocks = append(l.blocks, flat[i:j:j])
		l.lasts = append(l.lasts, flat[j-1])
	}
	l.clearTails()
}

// clearTails zeroes what lies beyond the blocks and their last entries, so
// that rows no longer listed are not held there.
func (l *orderedList) clearTails() {
	clear(l.blocks[len(l.blocks):cap(l.blocks)])
	clear(l.lasts[len(l.lasts):cap(l.lasts)])
}

// Reset empties the list and refills it from rows, which must already be in
// the order of their keys (keyOf). It costs O(len(rows)).
func (l *orderedList) Reset(rows []*row) {
	l.flat, l.spare = nil, nil
	l.blocks = l.blocks[:0]
	l.lasts = l.lasts[:0]
	l.n = len(rows)
	l.dirty = true
	const fill = blockMax / 2
	for len(rows) > 0 {
		k := min(fill, len(rows))
		b := make([]entry, k, blockMax+1)
		for i, r := range rows[:k] {
			b[i] = entryOf(keyOf(r), r)
		}
		l.blocks = append(l.blocks, b)
		l.lasts = append(l.lasts, b[k-1])
		rows = rows[k:]
	}
	l.clearTails()
}
