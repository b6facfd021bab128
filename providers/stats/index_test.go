package stats

import (
	"math/rand/v2"
	"testing"
)

// TestIndexAgainstAMap: calls filed and forgotten in random order, their
// first hashes crowded on a few homes (some at the table's end, so runs go
// round it) and often equal, are found exactly while remembered and never
// after, as a map of the keys says, through the table's growth and every
// removal's moving back of the entries after it.
func TestIndexAgainstAMap(t *testing.T) {
	for seed := range uint64(10) {
		r := rand.New(rand.NewPCG(seed, 5))
		x := newIndex()
		recs := make([]record, 300)
		want := map[key]int32{}
		var free []int32
		for s := int32(len(recs) - 1); s >= 0; s-- {
			free = append(free, s)
		}
		var filed []int32
		homes := []uint64{0, 1, 2, 61, 62, 63, 127, 255, 1023}
		for op := range 2000 {
			if len(free) > 0 && (len(filed) == 0 || r.IntN(5) < 3) {
				slot := free[len(free)-1]
				free = free[:len(free)-1]
				// The same low bits give the same home at every size; the
				// high bits vary the rest of the first hash, or not.
				k := key{homes[r.IntN(len(homes))] | uint64(r.IntN(3))<<40, r.Uint64() | 1}
				x.insert(recs, k, slot)
				want[k] = slot
				filed = append(filed, slot)
			} else {
				i := r.IntN(len(filed))
				slot := filed[i]
				filed[i] = filed[len(filed)-1]
				filed = filed[:len(filed)-1]
				k := recs[slot].key
				x.remove(recs, slot)
				delete(want, k)
				recs[slot] = record{}
				free = append(free, slot)
				if got, ok := x.find(recs, k); ok {
					t.Fatalf("seed %d op %d: a forgotten key still finds slot %d", seed, op, got)
				}
			}
			if x.len() != len(want) {
				t.Fatalf("seed %d op %d: %d filed, want %d", seed, op, x.len(), len(want))
			}
			for k, slot := range want {
				if got, ok := x.find(recs, k); !ok || got != slot {
					t.Fatalf("seed %d op %d: key %v finds %d, %v; want %d", seed, op, k, got, ok, slot)
				}
			}
			if _, ok := x.find(recs, key{homes[r.IntN(len(homes))], 0}); ok {
				t.Fatalf("seed %d op %d: a key never filed is found", seed, op)
			}
		}
	}
}
