package stats

import "hash/maphash"

// index finds a call's slot in Counter.recs by its id.
//
// It is keyed by a 64-bit hash of the id rather than by the id: a lookup
// then compares integers and never reads the bytes of the id kept from the
// call's first snapshot, memory long gone cold on a busy day. A second hash,
// seeded independently and kept in the call's record, confirms the match:
// two ids agree on both by a chance of one in 2^128, and the seeds are drawn
// afresh by each process, so no one can choose ids that do.
//
// The table is open addressing with linear probing, an entry of 8 bytes per
// place: the low 32 bits of the first hash (its tag, which also gives its
// home place) and the slot. A lookup reads one cache line of the table, as a
// rule, and then the record it finds, which the caller reads anyway; adding
// and forgetting a call write that one line, without hashing anything again.
// Calls whose tags agree share the table, each confirmed by its record's
// key, so no id needs a place of its own elsewhere.
type index struct {
	seed1, seed2 maphash.Seed
	colliding    bool    // every first hash alike (tests of the probing)
	places       []entry // a power of two long, at most half full
	n            int
}

// entry is one place of the table: slot is the call's slot plus one, 0 for
// an empty place.
type entry struct {
	tag  uint32
	slot int32
}

// minPlaces is the table's size when the first call comes.
const minPlaces = 64

func newIndex() index {
	return index{seed1: maphash.MakeSeed(), seed2: maphash.MakeSeed()}
}

// key is what the index knows a call by.
type key struct{ h1, h2 uint64 }

func (x *index) keyOf(id string) key {
	h1 := maphash.String(x.seed1, id)
	if x.colliding {
		h1 = 42
	}
	return key{h1, maphash.String(x.seed2, id)}
}

func (x *index) mask() uint32 { return uint32(len(x.places) - 1) }

// find is the slot of the call whose key is k, if it is remembered.
func (x *index) find(recs []record, k key) (int32, bool) {
	if len(x.places) == 0 {
		return 0, false
	}
	tag, mask := uint32(k.h1), x.mask()
	for i := tag & mask; ; i = (i + 1) & mask {
		e := x.places[i]
		if e.slot == 0 {
			return 0, false
		}
		if e.tag == tag && recs[e.slot-1].key == k {
			return e.slot - 1, true
		}
	}
}

// insert files the call at slot, not yet in the index, under k.
func (x *index) insert(recs []record, k key, slot int32) {
	recs[slot].key = k
	if 2*(x.n+1) > len(x.places) {
		x.grow()
	}
	x.place(entry{tag: uint32(k.h1), slot: slot + 1})
	x.n++
}

// place puts e in the first empty place from its home on.
func (x *index) place(e entry) {
	mask := x.mask()
	i := e.tag & mask
	for x.places[i].slot != 0 {
		i = (i + 1) & mask
	}
	x.places[i] = e
}

// grow doubles the table (the tags give each entry its new home).
func (x *index) grow() {
	old := x.places
	x.places = make([]entry, max(2*len(old), minPlaces))
	for _, e := range old {
		if e.slot != 0 {
			x.place(e)
		}
	}
}

// remove takes the call at slot out of the index. The entries after it in
// its run move back to fill the place, each no further back than its home,
// so that every lookup still reaches its entry without crossing an empty
// place (no markers of deleted entries pile up).
func (x *index) remove(recs []record, slot int32) {
	mask := x.mask()
	tag := uint32(recs[slot].key.h1)
	i := tag & mask
	for x.places[i].slot != slot+1 {
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; ; j = (j + 1) & mask {
		e := x.places[j]
		if e.slot == 0 {
			break
		}
		// e may fill the hole at i unless its home lies after i, up to j
		// (going round the table).
		if home := e.tag & mask; (j-home)&mask >= (j-i)&mask {
			x.places[i] = e
			i = j
		}
	}
	x.places[i] = entry{}
	x.n--
}

func (x *index) len() int { return x.n }
