package ui

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"ringside/providers"
	"ringside/providers/compact"
)

// keyedRows makes rows for the list's tests: a call with only an id each,
// and the key each is listed under (rows do not keep their keys).
type keyedRows struct {
	table *compact.Table
	keys  map[*row]sortKey
}

func newKeyedRows() *keyedRows {
	return &keyedRows{table: compact.NewTable(), keys: map[*row]sortKey{}}
}

func (k *keyedRows) make(key sortKey) *row {
	r := &row{}
	k.table.Pack(&r.call, &providers.Call{ID: key.id})
	k.keys[r] = key
	return r
}

// The ordered list agrees with a plain sorted slice through thousands of
// random inserts and deletes (enough to split and merge blocks many times).
func TestOrderedListMatchesSortedSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var l orderedList
	var ref []*row
	rows := newKeyedRows()
	keyOf := func(r *row) sortKey { return rows.keys[r] }
	check := func(step int) {
		t.Helper()
		if l.Len() != len(ref) {
			t.Fatalf("step %d: Len %d, want %d", step, l.Len(), len(ref))
		}
		for _, i := range []int{0, len(ref) / 3, len(ref) / 2, len(ref) - 1} {
			if i < 0 || i >= len(ref) {
				continue
			}
			if l.At(i) != ref[i] {
				t.Fatalf("step %d: At(%d) = %v, want %v", step, i, keyOf(l.At(i)), keyOf(ref[i]))
			}
			if got := l.Index(ref[i], keyOf(ref[i])); got != i {
				t.Fatalf("step %d: Index = %d, want %d", step, got, i)
			}
		}
		probe := sortKey{group: uint8(rng.IntN(3)), t: rng.Int64N(1000), id: "probe"}
		want, _ := slices.BinarySearchFunc(ref, probe, func(a *row, k sortKey) int { return keyOf(a).compare(k) })
		if got := l.Search(probe); got != want {
			t.Fatalf("step %d: Search = %d, want %d", step, got, want)
		}
		for _, b := range l.blocks {
			if len(b) == 0 || len(b) > blockMax {
				t.Fatalf("step %d: block of %d rows", step, len(b))
			}
		}
	}
	for step := range 20000 {
		switch op := rng.IntN(10); {
		case op == 9 && step%13 == 0:
			k := rng.IntN(40)
			cut := l.CutTail(k)
			want := ref[max(len(ref)-k, 0):]
			if len(cut) != len(want) {
				t.Fatalf("step %d: CutTail(%d) removed %d rows, want %d", step, k, len(cut), len(want))
			}
			for _, r := range want {
				if !slices.Contains(cut, r) {
					t.Fatalf("step %d: CutTail missed a tail row", step)
				}
			}
			ref = ref[:len(ref)-len(want)]
		case op < 6 || len(ref) == 0:
			r := rows.make(sortKey{group: uint8(rng.IntN(3)), t: rng.Int64N(1000), id: fmt.Sprint(step)})
			l.Insert(r, keyOf(r))
			i, _ := slices.BinarySearchFunc(ref, r, func(a, b *row) int { return keyOf(a).compare(keyOf(b)) })
			ref = slices.Insert(ref, i, r)
		default:
			i := rng.IntN(len(ref))
			r := ref[i]
			if !l.Delete(r, keyOf(r)) {
				t.Fatalf("step %d: Delete of a present row failed", step)
			}
			ref = slices.Delete(ref, i, i+1)
			if l.Delete(r, keyOf(r)) || l.Contains(r, keyOf(r)) || l.Index(r, keyOf(r)) != -1 {
				t.Fatalf("step %d: deleted row still found", step)
			}
		}
		if step%500 == 0 {
			check(step)
		}
		if step%1500 == 0 && len(ref) > 0 {
			// A bulk merge: take some rows out and put new ones in.
			var gone, add []entry
			keep := ref[:0:0]
			for _, r := range ref {
				if rng.IntN(7) == 0 {
					gone = append(gone, entryOf(keyOf(r), r))
				} else {
					keep = append(keep, r)
				}
			}
			for j := range rng.IntN(300) {
				r := rows.make(sortKey{group: uint8(rng.IntN(3)), t: rng.Int64N(1000), id: fmt.Sprint("m", step, "-", j)})
				add = append(add, entryOf(keyOf(r), r))
				i, _ := slices.BinarySearchFunc(keep, r, func(a, b *row) int { return keyOf(a).compare(keyOf(b)) })
				keep = slices.Insert(keep, i, r)
			}
			slices.SortFunc(add, cmpEntries)
			l.Merge(gone, add)
			ref = keep
			check(step)
		}
	}
	check(-1)

	// Range from the middle visits the rest in order.
	var got []*row
	l.Range(len(ref)/2, func(i int, r *row) bool {
		if i != len(ref)/2+len(got) {
			t.Fatalf("Range index %d out of step", i)
		}
		got = append(got, r)
		return true
	})
	if !slices.Equal(got, ref[len(ref)/2:]) {
		t.Fatal("Range from the middle differs from the reference")
	}
	// Range stops when told to.
	n := 0
	l.Range(0, func(int, *row) bool { n++; return n < 7 })
	if n != 7 {
		t.Fatalf("Range visited %d after stop, want 7", n)
	}

	// Reset rebuilds from a sorted slice.
	var r2 orderedList
	r2.Reset(ref)
	for i := range ref {
		if r2.At(i) != ref[i] {
			t.Fatalf("after Reset At(%d) differs", i)
		}
	}
	if r2.At(-1) != nil || r2.At(len(ref)) != nil {
		t.Fatal("At out of range returned a row")
	}
}
