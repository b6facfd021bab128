package ui

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"ringside/providers"
)

// plainMatch is the filter's answer the plain way: every term somewhere in
// the whole text the console shows for the call.
func plainMatch(q *query, c *providers.Call) bool {
	text := fullText(c)
	for _, t := range q.terms {
		if !strings.Contains(text, t) {
			return false
		}
	}
	return true
}

// checkFiltered fails unless both filtered lists hold exactly the rows
// plainMatch finds, in their tabs' order.
func checkFiltered(t *testing.T, s *store, step string) {
	t.Helper()
	for _, pair := range [][2]*orderedList{{&s.live, &s.fLive}, {&s.hist, &s.fHist}} {
		var want []string
		pair[0].Range(0, func(_ int, r *row) bool {
			if view := r.view(); plainMatch(&s.query, &view) {
				want = append(want, r.call.ID())
			}
			return true
		})
		if got := ids(pair[1]); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("%s (filter %q): filtered list %v, a plain scan finds %v", step, s.query.text, got, want)
		}
	}
}

// The terms a row's kept text holds (textHits) are found again exactly
// when that text or the query changes: a change of state keeps them (a
// value planted in them survives it), a change of the caller's name, the
// queue or the media finds them again, and so does a new query. Batches go
// through both paths, one by one and merged in bulk, and the filtered lists
// always hold what a plain scan of every word finds.
func TestFilterHitsFoundAgainExactlyWhenTheTextChanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	s := newStore(0)
	names := []string{"Ana Silva", "Bob Sales", "Carol Wu", "Dan Okafor"}
	queues := []string{"", "Sales", "Support"}
	cur := map[string]providers.Call{}
	var live []string
	for i := range 300 {
		c := ringing("c"+strconv.Itoa(i), names[i%len(names)], t0.Add(time.Duration(i)*time.Millisecond))
		c.Queue = queues[i%len(queues)]
		s.apply(&c)
		cur[c.ID] = c
		live = append(live, c.ID)
	}
	queries := []string{"sales", "sales ringing", "ana active", "wu held", "su", "okafor ended hung", "c1 video"}
	s.setFilter(queries[0])
	checkFiltered(t, s, "first query")
	textChanges, stateChanges := 0, 0
	for step := range 60 {
		if step%10 == 9 {
			before := s.query
			s.setFilter(queries[rng.IntN(len(queries))])
			if s.query.text != before.text && s.query.gen == before.gen {
				t.Fatalf("step %d: the query changed but kept its number", step)
			}
		}
		// A batch: big ones are merged in bulk, small ones applied one by one.
		size := 1 + rng.IntN(20)
		if step%3 == 0 {
			size = 400
		}
		type change struct {
			id        string
			textKept  bool
			text      *byte
			planted   uint64
			plantedOK bool
		}
		var batch []*providers.Call
		var changes []change
		seen := map[string]bool{}
		for range size {
			id := live[rng.IntN(len(live))]
			if seen[id] {
				continue
			}
			seen[id] = true
			c := cur[id]
			if c.State == providers.StateEnded {
				continue
			}
			r := s.get(id)
			ch := change{id: id, textKept: true, text: unsafe.StringData(r.searchText())}
			switch rng.IntN(6) {
			case 0:
				c = answered(c, t0.Add(time.Duration(step)*time.Second))
			case 1:
				c = next(c, func(c *providers.Call) {
					if c.State == providers.StateHeld {
						c.State = providers.StateActive
					} else {
						c.State = providers.StateHeld
					}
				})
			case 2:
				c = ended(c, t0.Add(time.Duration(step)*time.Second), providers.EndReason{Code: 487, Text: "Hung up"}, "")
			case 3:
				c = next(c, func(c *providers.Call) { c.From.Name = names[rng.IntN(len(names))] + " " + strconv.Itoa(step) })
				ch.textKept = false
			case 4:
				c = next(c, func(c *providers.Call) { c.Queue = queues[rng.IntN(len(queues))] })
				ch.textKept = c.Queue == cur[id].Queue
			default:
				c = next(c, func(c *providers.Call) { c.Modalities = []string{"audio", "video"} })
				ch.textKept = strings.Join(cur[id].Modalities, " ") == "audio video"
			}
			if a := r.aux; ch.textKept && a.hitsGen == s.query.gen {
				// Plant a value no search would give: it must still be
				// there after the change if the hits are kept, not
				// found again.
				ch.planted, ch.plantedOK = a.hits|1<<63, true
				a.hits = ch.planted
			}
			cur[id] = c
			batch = append(batch, &c)
			changes = append(changes, ch)
		}
		s.applyAll(batch)
		for _, ch := range changes {
			a := s.get(ch.id).aux
			kept := unsafe.StringData(a.search) == ch.text
			if kept != ch.textKept {
				t.Fatalf("step %d: %s's text kept %v, want %v", step, ch.id, kept, ch.textKept)
			}
			if a.hitsGen != s.query.gen {
				t.Fatalf("step %d: %s's hits are for query %d, the query is %d", step, ch.id, a.hitsGen, s.query.gen)
			}
			switch {
			case ch.textKept:
				stateChanges++
				if ch.plantedOK && a.hits != ch.planted {
					t.Fatalf("step %d: a change of state alone found %s's hits again", step, ch.id)
				}
			default:
				textChanges++
				if a.hits&(1<<63) != 0 {
					t.Fatalf("step %d: %s's text changed and its hits were kept", step, ch.id)
				}
			}
			if ch.plantedOK {
				a.hits &^= 1 << 63 // the planted bit names no term: take it out again
			}
		}
		checkFiltered(t, s, "step "+strconv.Itoa(step))
	}
	if textChanges == 0 || stateChanges == 0 {
		t.Fatalf("%d changes of text and %d of state: the test did not exercise both", textChanges, stateChanges)
	}
}

// A party is written into the search text as its String, in lower case,
// whether its name and number are written in place or String is asked:
// phone parties named or not, with GUIDs for names (shown otherwise), other
// kinds, and names that are not ASCII or not UTF-8.
func TestAppendPartyWritesWhatStringGives(t *testing.T) {
	names := []string{"", "Ana Díaz", "ANA", "+1 555 0100", "8:orgid:0f5c1a52-6b5d-4c7e-9d53-3b1fcd0e4a11",
		"0f5c1a52-6b5d-4c7e-9d53-3b1fcd0e4a11", "{0F5C1A52-6B5D-4C7E-9D53-3B1FCD0E4A11}", "0f5c1a526b5d4c7e9d533b1fcd0e4a11",
		"山田 太郎", "\xe5\xb1 A", "a name of thirty-two bytes, yes!", "a name of thirty-one bytes, yes"}
	ids := []string{"", "+1 555 0100", "+44 20 7946 0000", "0f5c1a52-6b5d-4c7e-9d53-3b1fcd0e4a11", "Ana Díaz", "ÉX"}
	kinds := []providers.PartyKind{providers.KindPhone, providers.KindUser, providers.KindUnknown, providers.KindApplication}
	for _, name := range names {
		for _, id := range ids {
			for _, kind := range kinds {
				p := providers.Party{Name: name, ID: id, Kind: kind}
				want := ""
				if s := p.String(); s != "" {
					want = strings.ToLower(s) + "\x1f"
				}
				if got := string(appendParty(nil, p)); got != want {
					t.Errorf("appendParty(%+v) = %q, want %q", p, got, want)
				}
			}
		}
	}
}

// Terms beyond the 64 whose hits a row keeps are looked for in its text
// each time: a query of 70 words matches on its last word as on its first.
func TestFilterMatchesBeyondTheKeptHits(t *testing.T) {
	s := newStore(0)
	a := ringing("a", "Ana Silva", t0)
	b := ringing("b", "Bob Wu", t0.Add(time.Second))
	s.apply(&a)
	s.apply(&b)
	words := strings.Repeat("front ", 69) // in both calls' text: the callee is the front desk
	for _, tc := range []struct {
		last string
		want []string
	}{{"silva", []string{"a"}}, {"wu", []string{"b"}}, {"ringing", []string{"a", "b"}}, {"nobody", nil}} {
		s.setFilter(words + tc.last)
		if n := len(s.query.terms); n != 70 {
			t.Fatalf("%d terms, want 70", n)
		}
		if got := ids(&s.fLive); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("last word %q: %v, want %v", tc.last, got, tc.want)
		}
		s.setFilter("")
	}
}
