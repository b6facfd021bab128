package ui

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/table"
	tea "charm.land/bubbletea/v2"

	"ringside/providers"
	"ringside/theme"
)

// benchCalls makes n calls: a tenth ringing (deadlines spread over the next
// seconds, so that they sort first and fill the screen), the rest talking.
func benchCalls(n int) []providers.Call {
	rng := rand.New(rand.NewPCG(42, uint64(n)))
	first := []string{"Alice", "Bob", "Carol", "Dan", "Erin", "山田", "Zoë", "Mikko", "Ana", "Olu"}
	last := []string{"Smith", "Jones", "Díaz", "Wu", "太郎", "Virtanen", "Okafor", "Silva"}
	calls := make([]providers.Call, n)
	for i := range calls {
		c := ringing(fmt.Sprintf("call-%07d", i), first[rng.IntN(len(first))]+" "+last[rng.IntN(len(last))],
			t0.Add(-time.Duration(rng.IntN(5000))*time.Millisecond))
		c.From.ID = "+1 555 " + strconv.Itoa(1000000+rng.IntN(8999999))
		c.From.Kind = providers.KindPhone
		c.Queue = []string{"", "Sales", "Support", "Billing"}[rng.IntN(4)]
		if rng.IntN(3) == 0 {
			c.Modalities = []string{"audio", "video"}
		}
		if i%10 != 0 {
			c = answered(c, t0.Add(-time.Duration(rng.IntN(3600))*time.Second))
		}
		calls[i] = c
	}
	return calls
}

func benchModel(b testing.TB, calls []providers.Call, w, h int) (*Model, *clock) {
	b.Helper()
	clk := &clock{t: t0}
	m := New(Config{Provider: newFake(), Theme: theme.Dark, Now: clk.now})
	m.tick.after = func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	evs := make([]providers.Event, len(calls))
	for i := range calls {
		evs[i] = providers.Event{Time: t0, Call: &calls[i]}
	}
	m.Update(eventsMsg{events: evs})
	_ = m.View()
	return m, clk
}

// A frame: one tick in which every visible countdown changes (the clock moves
// a whole second, so every ringing row's seconds change), then View().
// Against it, bubbles/table doing the same work: the visible rows' countdown
// cells change, SetRows, View.
func BenchmarkFrame(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		calls := benchCalls(n)
		b.Run(fmt.Sprintf("ringside/calls=%d", n), func(b *testing.B) {
			m, clk := benchModel(b, calls, 120, 40)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				clk.set(t0.Add(time.Duration(i%10) * time.Second))
				m.Update(tickMsg{})
				_ = m.View()
			}
		})
		b.Run(fmt.Sprintf("bubbles-table/calls=%d", n), func(b *testing.B) {
			lay := liveLayout(120, false)
			cols := []table.Column{
				{Title: "STATE", Width: lay.state}, {Title: "CALLER", Width: lay.caller},
				{Title: "CALLEE / QUEUE", Width: lay.callee}, {Title: "TIMER", Width: lay.timer},
				{Title: "MEDIA", Width: lay.media},
			}
			// Rows in the same order ours shows them.
			m, _ := benchModel(b, calls, 120, 40)
			rows := make([]table.Row, 0, n)
			var order []*providers.Call
			m.store.live.Range(0, func(_ int, r *row) bool {
				full := r.call.Call()
				c := &full
				order = append(order, c)
				rows = append(rows, table.Row{stateGlyph(c.State) + " " + stateWord(c.State), c.From.String(),
					calleeText(c), "", modalitiesText(c.Modalities)})
				return true
			})
			t := table.New(table.WithColumns(cols), table.WithRows(rows), table.WithHeight(40-6), table.WithWidth(120), table.WithFocused(true))
			visible := 40
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				now := t0.Add(time.Duration(i%10) * time.Second)
				for j := 0; j < visible && j < len(rows); j++ {
					rows[j][3] = tableTimer(order[j], now, lay.bar)
				}
				t.SetRows(rows)
				_ = t.View()
			}
		})
	}
}

// tableTimer is the countdown cell as plain text, for bubbles/table.
func tableTimer(c *providers.Call, now time.Time, bar int) string {
	if c.State != providers.StateRinging {
		return formatDuration(callAge(c, now))
	}
	cd := countdownAt(c, now, bar)
	full := min(cd.eighths/8, bar)
	return strings.Repeat("█", full) + strings.Repeat("░", bar-full) + " " + formatLeft(cd.secs)
}

// Applying a batch of 10,000 events to a console holding 100,000 calls,
// through Update as the program does it (the table's store and the Queues
// view's counter both take every event): a quarter answers of ringing
// calls, a quarter ends (whose places new calls take), a quarter holds and
// retrievals, a quarter changes the table does not show.
//
// Against it, in the same loop, the least any store does: the same
// snapshots assigned to a plain map of the same 100,000 calls by id. The two
// take turns (which goes first alternates), each after a collection, so
// that both see the same machine at the same moment; x-base is the ratio.
// ns/event is the console's. With the filter on, a second console without
// one takes the same batches in the same turns: x-off is what the filter
// costs, as a ratio measured side by side.
func BenchmarkApplyBatch(b *testing.B) {
	for _, filtered := range []bool{false, true} {
		name := "calls=100000/batch=10000/filter=off"
		if filtered {
			name = "calls=100000/batch=10000/filter=on"
		}
		b.Run(name, func(b *testing.B) {
			calls := benchCalls(100000)
			m, _ := benchModel(b, calls, 120, 40)
			var unfiltered *Model // the same console without the filter, for x-off
			if filtered {
				m.store.setFilter("sales")
				unfiltered, _ = benchModel(b, calls, 120, 40)
			}
			base := make(map[string]providers.Call, len(calls))
			for _, c := range calls {
				base[c.ID] = c
			}
			// Each batch is made with the clock stopped, and the garbage of
			// making it is collected, so that only applying is measured.
			rng := rand.New(rand.NewPCG(9, 9))
			cur := make([]providers.Call, len(calls))
			copy(cur, calls)
			serial := len(calls)
			const size = 10000
			var baseline, off time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				batch := make([]providers.Call, size)
				evs := make([]providers.Event, size)
				for j := range batch {
					k := rng.IntN(len(cur))
					c := &cur[k]
					switch op := j % 4; {
					case op == 0 && c.State == providers.StateRinging:
						*c = answered(*c, t0.Add(time.Duration(i*size+j)*time.Microsecond))
					case op == 1:
						// A new call takes the place of one that ends; its
						// own snapshot comes when it is next picked.
						batch[j] = ended(*c, t0.Add(time.Duration(i*size+j)*time.Microsecond), providers.EndReason{Text: "caller hung up"}, "")
						evs[j] = providers.Event{Time: t0, Call: &batch[j]}
						serial++
						*c = ringing("call-"+strconv.Itoa(serial), "New caller", t0.Add(-time.Duration(rng.IntN(5000))*time.Millisecond))
						continue
					case op == 2 && c.State == providers.StateActive:
						*c = next(*c, func(c *providers.Call) { c.State = providers.StateHeld })
					case op == 2 && c.State == providers.StateHeld:
						*c = next(*c, func(c *providers.Call) { c.State = providers.StateActive })
					default:
						// A change the table does not show (capabilities).
						*c = next(*c, func(c *providers.Call) { c.Caps ^= providers.Caps(providers.ActionHangup) })
					}
					batch[j] = *c
					evs[j] = providers.Event{Time: t0, Call: &batch[j]}
				}
				console := func() {
					runtime.GC()
					b.StartTimer()
					m.Update(eventsMsg{events: evs})
					b.StopTimer()
				}
				plain := func() {
					runtime.GC()
					start := time.Now()
					for _, ev := range evs {
						base[ev.Call.ID] = *ev.Call
					}
					baseline += time.Since(start)
				}
				turns := []func(){console, plain}
				if unfiltered != nil {
					turns = append(turns, func() {
						runtime.GC()
						start := time.Now()
						unfiltered.Update(eventsMsg{events: evs})
						off += time.Since(start)
					})
				}
				for k := range turns {
					turns[(i+k)%len(turns)]()
				}
			}
			events := float64(b.N * size)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/events, "ns/event")
			b.ReportMetric(float64(baseline.Nanoseconds())/events, "base-ns/event")
			b.ReportMetric(float64(b.Elapsed())/float64(baseline), "x-base")
			if unfiltered != nil {
				b.ReportMetric(float64(b.Elapsed())/float64(off), "x-off")
				b.ReportMetric(float64(off.Nanoseconds())/events, "off-ns/event")
			}
		})
	}
}

// The ordered list alone: move one row to a new place in a 100,000-row list.
func BenchmarkOrderedListMove(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	var l orderedList
	made := newKeyedRows()
	rows := make([]*row, 100000)
	for i := range rows {
		rows[i] = made.make(sortKey{group: 1, t: rng.Int64N(1 << 40), id: strconv.Itoa(i)})
		l.Insert(rows[i], made.keys[rows[i]])
	}
	b.ResetTimer()
	for i := range b.N {
		r := rows[i%len(rows)]
		k := made.keys[r]
		l.Delete(r, k)
		k.t = rng.Int64N(1 << 40)
		made.keys[r] = k
		l.Insert(r, k)
	}
}
