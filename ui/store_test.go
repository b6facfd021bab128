package ui

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
	"unsafe"

	"ringside/providers"
)

func ids(l *orderedList) []string {
	var out []string
	l.Range(0, func(_ int, r *row) bool { out = append(out, r.call.ID()); return true })
	return out
}

// Live calls: ringing first, soonest deadline first; then connected calls by
// when they were answered. History: newest first.
func TestStoreOrder(t *testing.T) {
	s := newStore(0)
	late := ringing("late", "L", t0.Add(-1*time.Second))
	soon := ringing("soon", "S", t0.Add(-10*time.Second))
	talk1 := answered(ringing("talk1", "T1", t0.Add(-100*time.Second)), t0.Add(-90*time.Second))
	talk2 := answered(ringing("talk2", "T2", t0.Add(-200*time.Second)), t0.Add(-30*time.Second))
	e1 := ended(ringing("e1", "E1", t0.Add(-300*time.Second)), t0.Add(-280*time.Second), providers.EndReason{}, "")
	e2 := ended(ringing("e2", "E2", t0.Add(-300*time.Second)), t0.Add(-200*time.Second), providers.EndReason{}, "")
	for _, c := range []providers.Call{talk2, late, e1, talk1, soon, e2} {
		s.apply(&c)
	}
	if got, want := ids(&s.live), []string{"soon", "late", "talk1", "talk2"}; !slices.Equal(got, want) {
		t.Errorf("live order %v, want %v", got, want)
	}
	if got, want := ids(&s.hist), []string{"e2", "e1"}; !slices.Equal(got, want) {
		t.Errorf("history order %v, want %v", got, want)
	}
}

// Old or repeated snapshots are ignored; an ended call never comes back.
func TestStoreVersions(t *testing.T) {
	s := newStore(0)
	c := ringing("c", "C", t0)
	c.Version = 5
	s.apply(&c)
	older := next(c, func(c *providers.Call) { c.State = providers.StateActive })
	older.Version = 4
	if s.apply(&older) {
		t.Error("older snapshot applied")
	}
	same := c
	same.From.Name = "changed"
	if s.apply(&same) {
		t.Error("snapshot with the same version applied")
	}
	end := ended(c, t0, providers.EndReason{Text: "bye"}, providers.OutcomeMissed)
	if !s.apply(&end) {
		t.Fatal("newer snapshot not applied")
	}
	back := next(end, func(c *providers.Call) { c.State = providers.StateActive })
	if s.apply(&back) {
		t.Error("ended call came back to life")
	}
	if s.n.live != 0 || s.n.ended != 1 || s.n.missed != 1 {
		t.Errorf("counts %+v", s.n)
	}
	for _, bad := range []*providers.Call{nil, {}} {
		if s.apply(bad) {
			t.Errorf("applied %v", bad)
		}
	}
}

// The counts follow every change; outcomes are counted when a call ends and
// are not taken back when history forgets it.
func TestStoreCounts(t *testing.T) {
	s := newStore(2)
	a := ringing("a", "A", t0)
	b := ringing("b", "B", t0)
	c := ringing("c", "C", t0)
	for _, x := range []providers.Call{a, b, c} {
		s.apply(&x)
	}
	want := counts{ringing: 3, live: 3}
	if s.n != want {
		t.Fatalf("counts %+v, want %+v", s.n, want)
	}
	a2 := answered(a, t0)
	s.apply(&a2)
	held := next(a2, func(c *providers.Call) { c.State = providers.StateHeld })
	s.apply(&held)
	want = counts{ringing: 2, active: 1, held: 1, live: 3}
	if s.n != want {
		t.Fatalf("counts %+v, want %+v", s.n, want)
	}
	for _, x := range []providers.Call{
		ended(held, t0.Add(time.Second), providers.EndReason{}, ""),
		ended(b, t0.Add(2*time.Second), providers.EndReason{Text: "declined"}, providers.OutcomeRejected),
		ended(c, t0.Add(3*time.Second), providers.EndReason{Text: "timed out"}, ""),
	} {
		s.apply(&x)
	}
	want = counts{handled: 1, rejected: 1, missed: 1, ended: 2}
	if s.n != want {
		t.Fatalf("counts %+v, want %+v (history keeps 2)", s.n, want)
	}
	if got := ids(&s.hist); !slices.Equal(got, []string{"c", "b"}) {
		t.Errorf("history %v, want the two newest", got)
	}
	if s.get("a") != nil {
		t.Error("forgotten call still in the store")
	}
}

// Filtering a narrowing query over the previous matches gives the same rows
// as filtering everything, and the filtered lists follow later changes.
func TestStoreFilterNarrowingMatchesFullScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	names := []string{"alice", "alina", "albert", "bob", "bobby", "carol", "alfred"}
	build := func() *store {
		s := newStore(0)
		for i := range 2000 {
			c := ringing(fmt.Sprint(i), names[i%len(names)]+fmt.Sprint(i%13), t0.Add(time.Duration(i)*time.Millisecond))
			s.apply(&c)
		}
		return s
	}
	a, b := build(), build()
	for _, q := range []string{"a", "al", "ali", "alin", "alina1"} {
		a.setFilter(q) // narrows step by step
	}
	b.setFilter("alina1") // from scratch
	if !slices.Equal(ids(&a.fLive), ids(&b.fLive)) || a.fLive.Len() == 0 {
		t.Fatalf("narrowed %d rows, full scan %d rows", a.fLive.Len(), b.fLive.Len())
	}
	// Widening goes back to a full scan.
	a.setFilter("ali")
	b.setFilter("")
	b.setFilter("ali")
	if !slices.Equal(ids(&a.fLive), ids(&b.fLive)) {
		t.Fatal("widened filter differs from a fresh one")
	}
	// Changes keep the filtered list right.
	for range 500 {
		id := fmt.Sprint(rng.IntN(2000))
		r := a.get(id)
		c := next(r.call.Call(), func(c *providers.Call) { c.From.Name = names[rng.IntN(len(names))] })
		a.apply(&c)
	}
	var want []string
	a.live.Range(0, func(_ int, r *row) bool {
		if a.query.match(r) {
			want = append(want, r.call.ID())
		}
		return true
	})
	if got := ids(&a.fLive); !slices.Equal(got, want) {
		t.Fatalf("filtered list drifted: %d rows, want %d", len(got), len(want))
	}
}

// A big batch applied with one merge per list ends exactly where the same
// events applied one by one do: same rows, same order, same counts, same
// filtered lists, with calls that arrive, move twice and end within a batch.
func TestStoreBulkMatchesOneByOne(t *testing.T) {
	for _, filter := range []string{"", "sales"} {
		rng := rand.New(rand.NewPCG(5, 5))
		one, bulk := newStore(2000), newStore(2000)
		one.setFilter(filter)
		bulk.setFilter(filter)
		cur := map[string]providers.Call{}
		endedIn := map[string]int{} // the round each call ended in
		var known []string
		serial := 0
		for round := range 8 {
			var batch []*providers.Call
			for j := range 4000 {
				at := t0.Add(time.Duration(round*4000+j) * time.Millisecond)
				var c providers.Call
				switch op := rng.IntN(6); {
				case op == 0 || len(known) == 0:
					serial++
					c = ringing(fmt.Sprint("n", serial), fmt.Sprint("caller ", serial%17), at.Add(-time.Duration(rng.IntN(9000))*time.Millisecond))
					if serial%3 == 0 {
						c.Queue = "Sales"
					}
					known = append(known, c.ID)
				default:
					old := cur[known[rng.IntN(len(known))]]
					switch {
					case old.State == providers.StateEnded && endedIn[old.ID] < round:
						// Long gone, perhaps forgotten by the history limit:
						// a new call instead.
						serial++
						c = ringing(fmt.Sprint("n", serial), "late", at)
						known = append(known, c.ID)
					case old.State == providers.StateEnded:
						c = next(old, func(c *providers.Call) { c.State = providers.StateActive }) // must be ignored
					case op == 1 && old.State == providers.StateRinging:
						c = answered(old, at)
					case op == 2:
						c = ended(old, at, providers.EndReason{Text: "bye"}, "")
					case op == 3:
						c = old // a repeat: ignored
					default:
						c = next(old, func(c *providers.Call) { c.Queue = []string{"", "Sales", "Support"}[rng.IntN(3)] })
					}
				}
				if cur[c.ID].State != providers.StateEnded {
					cur[c.ID] = c
					if c.State == providers.StateEnded {
						endedIn[c.ID] = round
					}
				}
				cc := c
				batch = append(batch, &cc)
			}
			for _, c := range batch {
				one.apply(c)
			}
			bulk.applyAll(batch)
			for _, pair := range [][2]*orderedList{{&one.live, &bulk.live}, {&one.hist, &bulk.hist}, {&one.fLive, &bulk.fLive}, {&one.fHist, &bulk.fHist}} {
				if a, b := ids(pair[0]), ids(pair[1]); !slices.Equal(a, b) {
					t.Fatalf("filter %q round %d: lists differ (%d rows one by one, %d in bulk)", filter, round, len(a), len(b))
				}
			}
			if one.n != bulk.n {
				t.Fatalf("filter %q round %d: counts %+v one by one, %+v in bulk", filter, round, one.n, bulk.n)
			}
		}
		if bulk.live.Len() == 0 || bulk.hist.Len() != 2000 {
			t.Fatalf("test did not exercise both lists: live %d, history %d", bulk.live.Len(), bulk.hist.Len())
		}
	}
}

// A row is 128 bytes, a size class of its own: a console may hold a
// hundred thousand, and one more field would cost 16 bytes each.
func TestRowSize(t *testing.T) {
	if n := unsafe.Sizeof(row{}); n > 128 {
		t.Fatalf("a row is %d bytes, more than 128", n)
	}
}
