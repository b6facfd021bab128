package stats

// arrivalHeap is a binary heap of calls (their slots in Counter.recs) keyed
// by arrival time: the earliest on top, or the latest when latest is set.
// Each call keeps its position in the heap (ringPos or slPos), so it leaves
// in O(log n) when it stops ringing, wherever it is.
type arrivalHeap struct {
	items  []int32
	latest bool // the latest arrival on top
	sl     bool // positions live in record.slPos, else record.ringPos
}

func (h *arrivalHeap) len() int { return len(h.items) }

// top is the call on top; call only when len() > 0.
func (h *arrivalHeap) top() int32 { return h.items[0] }

func (h *arrivalHeap) before(recs []record, a, b int32) bool {
	x, y := recs[a].f.arrived, recs[b].f.arrived
	if h.latest {
		return x > y
	}
	return x < y
}

func (h *arrivalHeap) setPos(recs []record, i int) {
	r := &recs[h.items[i]]
	if h.sl {
		r.slPos = int32(i)
	} else {
		r.ringPos = int32(i)
	}
}

func (h *arrivalHeap) pos(r *record) int32 {
	if h.sl {
		return r.slPos
	}
	return r.ringPos
}

func (h *arrivalHeap) push(recs []record, slot int32) {
	h.items = append(h.items, slot)
	i := len(h.items) - 1
	h.setPos(recs, i)
	h.up(recs, i)
}

// remove takes slot out of the heap; it must be in it.
func (h *arrivalHeap) remove(recs []record, slot int32) {
	i := int(h.pos(&recs[slot]))
	last := len(h.items) - 1
	if i != last {
		h.items[i] = h.items[last]
		h.setPos(recs, i)
	}
	h.items = h.items[:last]
	if h.sl {
		recs[slot].slPos = -1
	} else {
		recs[slot].ringPos = -1
	}
	if i != last {
		if !h.down(recs, i) {
			h.up(recs, i)
		}
	}
	// A heap that emptied after a burst gives its memory back.
	if len(h.items) == 0 && cap(h.items) > 1024 {
		h.items = nil
	}
}

func (h *arrivalHeap) up(recs []record, i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !h.before(recs, h.items[i], h.items[parent]) {
			return
		}
		h.items[i], h.items[parent] = h.items[parent], h.items[i]
		h.setPos(recs, i)
		h.setPos(recs, parent)
		i = parent
	}
}

// down sifts the item at i down and reports whether it moved.
func (h *arrivalHeap) down(recs []record, i int) bool {
	start, n := i, len(h.items)
	for {
		child := 2*i + 1
		if child >= n {
			break
		}
		if right := child + 1; right < n && h.before(recs, h.items[right], h.items[child]) {
			child = right
		}
		if !h.before(recs, h.items[child], h.items[i]) {
			break
		}
		h.items[i], h.items[child] = h.items[child], h.items[i]
		h.setPos(recs, i)
		h.setPos(recs, child)
		i = child
	}
	return i > start
}
