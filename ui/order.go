package ui

import (
	"slices"
	"sort"
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
	switch {
	case a.less(b):
		return -1
	case b.less(a):
		return 1
	}
	return 0
}

// blockMax bounds a block. Inserting or deleting moves at most this many
// pointers, so an update costs O(log n + blockMax) whatever the list's size.
const blockMax = 128

// orderedList is a sorted list of rows keyed by row.key, stored as a list of
// sorted blocks (the layout of a B-tree's leaves without the inner nodes).
// Insert, Delete and Index are O(log n + blockMax); At is O(log n) once the
// block offsets are fresh, which they are after the first lookup following a
// change.
type orderedList struct {
	blocks [][]*row
	n      int
	starts []int // starts[i] is the list index of blocks[i][0]; stale when dirty
	dirty  bool
}

func (l *orderedList) Len() int { return l.n }

// locate finds where key k is or would go: block bi and position pos in it.
// bi == len(blocks) only when the list is empty.
func (l *orderedList) locate(k sortKey) (bi, pos int) {
	if len(l.blocks) == 0 {
		return 0, 0
	}
	// First block whose last key is >= k.
	lo, hi := 0, len(l.blocks)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		b := l.blocks[mid]
		if b[len(b)-1].key.less(k) {
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
		if b[mid].key.less(k) {
			i = mid + 1
		} else {
			j = mid
		}
	}
	return lo, i
}

// Insert adds r at the place of r.key. r must not be in the list already.
func (l *orderedList) Insert(r *row) {
	l.dirty = true
	l.n++
	if len(l.blocks) == 0 {
		l.blocks = append(l.blocks, append(make([]*row, 0, blockMax+1), r))
		return
	}
	bi, pos := l.locate(r.key)
	b := slices.Insert(l.blocks[bi], pos, r)
	if len(b) <= blockMax {
		l.blocks[bi] = b
		return
	}
	half := len(b) / 2
	right := make([]*row, len(b)-half, blockMax+1)
	copy(right, b[half:])
	clear(b[half:])
	l.blocks[bi] = b[:half]
	l.blocks = slices.Insert(l.blocks, bi+1, right)
}

// Delete removes r, found by r.key; it reports whether r was there.
func (l *orderedList) Delete(r *row) bool {
	bi, pos := l.locate(r.key)
	if bi >= len(l.blocks) || pos >= len(l.blocks[bi]) || l.blocks[bi][pos] != r {
		return false
	}
	l.dirty = true
	l.n--
	b := slices.Delete(l.blocks[bi], pos, pos+1)
	switch {
	case len(b) == 0:
		l.blocks = slices.Delete(l.blocks, bi, bi+1)
	case len(b) < blockMax/4 && bi+1 < len(l.blocks) && len(b)+len(l.blocks[bi+1]) <= blockMax:
		// Merge a small block into its right neighbour so that heavy
		// deletion does not leave thousands of tiny blocks behind.
		l.blocks[bi] = append(b, l.blocks[bi+1]...)
		l.blocks = slices.Delete(l.blocks, bi+1, bi+2)
	default:
		l.blocks[bi] = b
	}
	return true
}

// Contains reports whether r is in the list.
func (l *orderedList) Contains(r *row) bool {
	bi, pos := l.locate(r.key)
	return bi < len(l.blocks) && pos < len(l.blocks[bi]) && l.blocks[bi][pos] == r
}

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

// Index is r's position in the list, or -1.
func (l *orderedList) Index(r *row) int {
	bi, pos := l.locate(r.key)
	if bi >= len(l.blocks) || pos >= len(l.blocks[bi]) || l.blocks[bi][pos] != r {
		return -1
	}
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
	return l.blocks[bi][i-l.starts[bi]]
}

// Last returns the last row, or nil.
func (l *orderedList) Last() *row {
	if l.n == 0 {
		return nil
	}
	b := l.blocks[len(l.blocks)-1]
	return b[len(b)-1]
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
		for _, r := range l.blocks[bi][pos:] {
			if !fn(i, r) {
				return
			}
			i++
		}
	}
}

// Reset empties the list and refills it from rows, which must already be in
// key order. It costs O(len(rows)).
func (l *orderedList) Reset(rows []*row) {
	l.blocks = l.blocks[:0]
	l.n = len(rows)
	l.dirty = true
	const fill = blockMax / 2
	for len(rows) > 0 {
		k := min(fill, len(rows))
		b := make([]*row, k, blockMax+1)
		copy(b, rows[:k])
		l.blocks = append(l.blocks, b)
		rows = rows[k:]
	}
}
