package stats

import "hash/maphash"

// index finds a call's slot in Counter.recs by its id.
//
// It is keyed by a 64-bit hash of the id rather than by the id: a lookup
// then compares integers and never reads the bytes of the id kept from the
// call's first snapshot, memory long gone cold on a busy day; looking a call
// up and forgetting it each cost a cache miss less. A second hash, seeded
// independently and kept in the call's record, confirms the match: two ids
// agree on both by a chance of one in 2^128, and the seeds are drawn afresh
// by each process, so no one can choose ids that do. An id whose first hash
// another call already holds goes to a map by id (spill), which the common
// case never reads.
type index struct {
	hash1    func(string) uint64
	seed2    maphash.Seed
	byHash   map[uint64]int32
	spill    map[string]int32
	spillIDs map[int32]string // the id of each spilled slot
}

func newIndex() index {
	seed1 := maphash.MakeSeed()
	return index{
		hash1:    func(id string) uint64 { return maphash.String(seed1, id) },
		seed2:    maphash.MakeSeed(),
		byHash:   make(map[uint64]int32),
		spill:    make(map[string]int32),
		spillIDs: make(map[int32]string),
	}
}

// key is what the index knows a call by.
type key struct{ h1, h2 uint64 }

func (x *index) keyOf(id string) key {
	return key{x.hash1(id), maphash.String(x.seed2, id)}
}

// find is the slot of the call id (whose key is k), if it is remembered.
func (x *index) find(recs []record, id string, k key) (int32, bool) {
	slot, ok := x.byHash[k.h1]
	if ok && recs[slot].key == k {
		return slot, true
	}
	if len(x.spill) == 0 {
		return 0, false
	}
	slot, ok = x.spill[id]
	return slot, ok
}

// insert files the call at slot, not yet in the index, under id and k.
func (x *index) insert(recs []record, id string, k key, slot int32) {
	r := &recs[slot]
	r.key = k
	if _, taken := x.byHash[k.h1]; !taken {
		x.byHash[k.h1] = slot
		return
	}
	r.spilled = true
	x.spill[id] = slot
	x.spillIDs[slot] = id
}

// remove takes the call at slot out of the index.
func (x *index) remove(recs []record, slot int32) {
	r := &recs[slot]
	if r.spilled {
		delete(x.spill, x.spillIDs[slot])
		delete(x.spillIDs, slot)
		return
	}
	delete(x.byHash, r.key.h1)
}

func (x *index) len() int { return len(x.byHash) + len(x.spill) }
