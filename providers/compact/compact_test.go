package compact

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"ringside/providers"
)

var t0 = time.Date(2026, 3, 14, 9, 26, 53, 589793238, time.UTC)

// full is a call with every field set, the route and the end included.
func full() providers.Call {
	return providers.Call{
		ID: "c-1", Provider: "graph", State: providers.StateEnded, Direction: providers.Incoming,
		From:  providers.Party{Name: "Ana Ribeiro", ID: "+351210000000", Kind: providers.KindPhone},
		To:    providers.Party{Name: "Support", ID: "q-support", Kind: providers.KindQueue},
		Queue: "Support",
		Route: providers.Route{Kind: providers.CallOrdinary, Dialled: providers.Party{ID: "+44 20 7946 0000", Kind: providers.KindPhone},
			OnBehalfOf: providers.Party{Name: "Support", Kind: providers.KindQueue}},
		Modalities: []string{"audio", "video"}, Region: "emea",
		Arrived: t0, AnswerBy: t0.Add(15 * time.Second), Answered: t0.Add(4 * time.Second), Ended: t0.Add(time.Minute),
		End:  providers.EndReason{Code: 200, Subcode: 540000, Text: "The caller hung up"},
		Caps: providers.Caps(providers.ActionHangup), Outcome: providers.OutcomeHandled, Version: 7,
		RingOut: providers.RingOutNotReady,
	}
}

func roundTrip(t *testing.T, tab *Table, c providers.Call) providers.Call {
	t.Helper()
	var p Call
	tab.Pack(&p, &c)
	var got providers.Call
	p.Unpack(&got)
	return got
}

func TestRoundTripKeepsEveryField(t *testing.T) {
	tab := NewTable()
	cases := map[string]providers.Call{
		"zero": {},
		"full": full(),
		"local time": func() providers.Call {
			c := full()
			c.Arrived, c.Ended = t0.Local(), time.Time{}
			c.AnswerBy, c.Answered = time.Time{}, time.Time{}
			return c
		}(),
		"fixed zone": func() providers.Call {
			c := full()
			z := time.FixedZone("+0530", 5*3600+1800)
			c.Arrived, c.AnswerBy, c.Answered, c.Ended = c.Arrived.In(z), c.AnswerBy.In(z), c.Answered.In(z), c.Ended.In(z)
			return c
		}(),
		"zones differ": func() providers.Call { c := full(); c.Ended = c.Ended.Local(); return c }(),
		"year 1":       func() providers.Call { c := full(); c.Arrived = time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC); return c }(),
		"year 9999": func() providers.Call {
			c := full()
			c.Ended = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
			return c
		}(),
		"zero in a zone": func() providers.Call { c := full(); c.Answered = time.Time{}.Local(); return c }(),
		"odd values": func() providers.Call {
			c := full()
			c.State, c.Outcome, c.From.Kind = "parked", "voicemail", "bot"
			return c
		}(),
		"empty media":      func() providers.Call { c := full(); c.Modalities = []string{}; return c }(),
		"no media":         func() providers.Call { c := full(); c.Modalities = nil; return c }(),
		"live, ringing":    {ID: "c-2", Provider: "demo", State: providers.StateRinging, Arrived: t0, AnswerBy: t0.Add(time.Second), Version: 1},
		"logs out":         {ID: "c-5", State: providers.StateRinging, RingOut: providers.RingOutLogOut},
		"unknown ring out": func() providers.Call { c := full(); c.RingOut = 9; return c }(),
		"only a route":     {ID: "c-3", Route: providers.Route{Kind: providers.CallMeeting}},
		"epoch":            {ID: "c-4", Arrived: time.Unix(0, 0).UTC(), State: providers.StateActive},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := roundTrip(t, tab, c); !reflect.DeepEqual(got, c) {
				t.Errorf("round trip:\n got %#v\nwant %#v", got, c)
			}
		})
	}
}

// A monotonic clock reading is the one thing not kept: the time is the
// same instant, by its wall clock, in its location.
func TestMonotonicReadingDropped(t *testing.T) {
	now := time.Now()
	c := providers.Call{ID: "c", State: providers.StateRinging, Arrived: now, AnswerBy: now.Add(15 * time.Second)}
	got := roundTrip(t, NewTable(), c)
	want := c
	want.Arrived, want.AnswerBy = now.Round(0), now.Add(15*time.Second).Round(0)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
	if !got.Arrived.Equal(now) || got.Arrived.Location() != now.Location() {
		t.Fatalf("arrived %v, want the instant %v in its location", got.Arrived, now)
	}
}

func TestAccessorsMatchUnpack(t *testing.T) {
	tab := NewTable()
	for _, c := range []providers.Call{full(), {}, {ID: "x", State: "parked", From: providers.Party{Kind: "bot"}, Arrived: time.Date(1, 2, 3, 4, 5, 6, 7, time.UTC)}} {
		var p Call
		tab.Pack(&p, &c)
		if p.ID() != c.ID || p.Version() != c.Version || p.State() != c.State || p.Queue() != c.Queue ||
			p.Provider() != c.Provider || p.From() != c.From || p.Caps() != c.Caps || p.RingOut() != c.RingOut {
			t.Errorf("accessors of %q disagree with the call", c.ID)
		}
		for w, want := range []time.Time{c.Arrived, c.AnswerBy, c.Answered, c.Ended} {
			if got := p.Time(Which(w)); got != want {
				t.Errorf("%q time %d: %v, want %v", c.ID, w, got, want)
			}
			if p.HasTime(Which(w)) != !want.IsZero() {
				t.Errorf("%q time %d: set %v, want %v", c.ID, w, p.HasTime(Which(w)), !want.IsZero())
			}
			wantNanos := int64(0)
			if !want.IsZero() {
				wantNanos = want.UnixNano()
			}
			if got := p.Nanos(Which(w)); got != wantNanos {
				t.Errorf("%q nanos %d: %d, want %d", c.ID, w, got, wantNanos)
			}
		}
	}
}

// Calls of one queue share one common part; a call's next snapshot keeps
// its part; the media handed out by Call are the caller's own.
func TestSharing(t *testing.T) {
	tab := NewTable()
	var a, b Call
	ca, cb := full(), full()
	cb.ID, cb.From = "c-2", providers.Party{Name: "Bo", Kind: providers.KindUser}
	tab.Pack(&a, &ca)
	tab.Pack(&b, &cb)
	if a.shared() != b.shared() || tab.Shared() != 1 {
		t.Fatalf("two calls of one queue: %d parts remembered, shared %v", tab.Shared(), a.shared() == b.shared())
	}
	before := a.shared()
	ca.State, ca.Version = providers.StateEnded, 8
	tab.Pack(&a, &ca)
	if a.shared() != before {
		t.Fatal("the next snapshot of a call made its part again")
	}
	own := a.Call()
	own.Modalities[0] = "changed"
	var again providers.Call
	b.Unpack(&again)
	if again.Modalities[0] != "audio" {
		t.Fatal("changing the media Call handed out changed the shared part")
	}
	ca.Modalities[0] = "changed too"
	b.Unpack(&again)
	if again.Modalities[0] != "audio" {
		t.Fatal("changing the packed call's own media afterwards changed the shared part")
	}
}

// The table remembers at most MaxShared parts, none with long text; calls
// beyond still pack and unpack whole.
func TestTableBounded(t *testing.T) {
	tab := NewTable()
	var p Call
	for i := range MaxShared + 100 {
		c := providers.Call{ID: "c", Queue: "queue " + strconv.Itoa(i)}
		tab.Pack(&p, &c)
		if p.Queue() != c.Queue {
			t.Fatalf("queue %q came back as %q", c.Queue, p.Queue())
		}
	}
	if tab.Shared() != MaxShared {
		t.Fatalf("%d parts remembered, want %d", tab.Shared(), MaxShared)
	}
	tab = NewTable()
	long := providers.Call{ID: "c", Queue: strings.Repeat("q", maxSharedText+1)}
	tab.Pack(&p, &long)
	if tab.Shared() != 0 || p.Queue() != long.Queue {
		t.Fatalf("a long name: %d remembered, queue kept %v", tab.Shared(), p.Queue() == long.Queue)
	}
}

func TestSame(t *testing.T) {
	pack := packer(NewTable())
	base := full()
	other := func(f func(c *providers.Call)) providers.Call { c := full(); f(&c); return c }
	if !Same(pack(base), pack(other(func(c *providers.Call) { c.Version++ }))) {
		t.Error("a new version alone is not the same call")
	}
	if !Same(pack(base), pack(other(func(c *providers.Call) { c.Ended = c.Ended.Local() }))) {
		t.Error("the same instant in another zone is not the same call")
	}
	for name, f := range map[string]func(c *providers.Call){
		"state":    func(c *providers.Call) { c.State = providers.StateActive },
		"caps":     func(c *providers.Call) { c.Caps = 0 },
		"ended at": func(c *providers.Call) { c.Ended = c.Ended.Add(time.Nanosecond) },
		"media":    func(c *providers.Call) { c.Modalities = []string{"audio"} },
		"no media": func(c *providers.Call) { c.Modalities = nil },
		"route":    func(c *providers.Call) { c.Route.Transferor.Name = "Kim" },
		"end":      func(c *providers.Call) { c.End.Subcode = 1 },
		"odd kind": func(c *providers.Call) { c.From.Kind = "bot" },
		"caller":   func(c *providers.Call) { c.From.ID = "+1" },
		"ring out": func(c *providers.Call) { c.RingOut = providers.RingOutLogOut },
	} {
		if Same(pack(base), pack(other(f))) {
			t.Errorf("a call with another %s is the same", name)
		}
	}
	// SameText: what is shown as text.
	for name, f := range map[string]func(c *providers.Call){
		"caps":      func(c *providers.Call) { c.Caps = 0 },
		"a time":    func(c *providers.Call) { c.Ended = c.Ended.Add(time.Second) },
		"a version": func(c *providers.Call) { c.Version++ },
	} {
		if !SameText(pack(base), pack(other(f))) {
			t.Errorf("another %s reads differently", name)
		}
	}
	for name, f := range map[string]func(c *providers.Call){
		"no deadline": func(c *providers.Call) { c.AnswerBy = time.Time{} },
		"unanswered":  func(c *providers.Call) { c.Answered = time.Time{} },
		"queue":       func(c *providers.Call) { c.Queue = "Sales" },
		"outcome":     func(c *providers.Call) { c.Outcome = providers.OutcomeMissed },
		"ring out":    func(c *providers.Call) { c.RingOut = providers.RingOutNone },
	} {
		if SameText(pack(base), pack(other(f))) {
			t.Errorf("another %s reads the same", name)
		}
	}
}

// The packed form is what the stores' memory depends on.
func TestSize(t *testing.T) {
	if n := unsafe.Sizeof(Call{}); n > 104 {
		t.Fatalf("a packed call is %d bytes, more than 104", n)
	}
}

// Any call packs and unpacks to itself, less its monotonic readings; Same
// holds between a call and itself packed twice.
func FuzzRoundTrip(f *testing.F) {
	f.Add("c-1", "graph", "ringing", "Ana", "+351", "phone", "Support", "emea", "audio", int64(1), int64(2), int64(0), int64(0), uint8(0), "", 0)
	f.Add("", "", "parked", "", "", "bot", "", "", "", int64(-1<<62), int64(0), int64(1<<62), int64(5), uint8(1), "why", 2)
	zones := []*time.Location{time.UTC, time.Local, time.FixedZone("x", 3600)}
	f.Add("c-2", "demo", "ended", "", "", "", "", "", "", int64(10), int64(0), int64(20), int64(30), uint8(0), "", 0)
	f.Add("c-3", "demo", "ended", "", "", "", "", "", "", int64(10), int64(0), int64(0), int64(30), uint8(0), "handled", 0)
	f.Fuzz(func(t *testing.T, id, prov, state, name, num, kind, queue, region, media string,
		arrived, answerBy, answered, ended int64, zone uint8, endText string, outcome int) {
		at := func(n int64, z int) time.Time {
			if n == 0 {
				return time.Time{}
			}
			return time.Unix(n/7, n%1e9).In(zones[z%len(zones)])
		}
		c := providers.Call{
			ID: id, Provider: prov, State: providers.State(state), Direction: providers.Incoming,
			From: providers.Party{Name: name, ID: num, Kind: providers.PartyKind(kind)}, To: providers.Party{Name: queue},
			Queue: queue, Region: region, Arrived: at(arrived, int(zone)), AnswerBy: at(answerBy, int(zone)),
			Answered: at(answered, int(zone)), Ended: at(ended, int(zone)+int(zone>>4)),
			End: providers.EndReason{Text: endText, Code: outcome}, Version: uint64(outcome),
			Outcome: providers.Outcome(endText), RingOut: providers.RingOut(uint(outcome) % 4),
		}
		if media != "" {
			c.Modalities = strings.Fields(media)
		}
		if outcome%3 == 1 {
			c.Route.Organizer.Name = name
		}
		tab := NewTable()
		var p, q Call
		tab.Pack(&p, &c)
		var got providers.Call
		p.Unpack(&got)
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("round trip:\n got %#v\nwant %#v", got, c)
		}
		if p.Result() != c.Result() || p.Outcome() != c.Outcome {
			t.Fatalf("result %q outcome %q, want %q and %q", p.Result(), p.Outcome(), c.Result(), c.Outcome)
		}
		tab.Pack(&q, &got)
		if !Same(&p, &q) || !SameText(&p, &q) {
			t.Fatal("a call packed again is not the same")
		}
	})
}

// Mark is the holder's: Pack keeps it, Same and SameText do not see it.
func TestMarkIsTheHolders(t *testing.T) {
	tab := NewTable()
	c := full()
	var p Call
	p.Mark = 5
	tab.Pack(&p, &c)
	if p.Mark != 5 {
		t.Fatalf("Pack changed the mark to %d", p.Mark)
	}
	q := p
	q.Mark = 6
	if !Same(&p, &q) || !SameText(&p, &q) {
		t.Fatal("calls that differ only in their marks are not the same")
	}
}

// routeZero agrees with Route.IsZero whichever field is set.
func TestRouteZero(t *testing.T) {
	if !routeZero(&providers.Route{}) {
		t.Fatal("the zero route is not zero")
	}
	parties := func(r *providers.Route) []*providers.Party {
		return []*providers.Party{&r.Dialled, &r.RoutedTo, &r.OnBehalfOf, &r.Transferor, &r.Observed, &r.Organizer}
	}
	for i := range 6 {
		for _, set := range []func(p *providers.Party){
			func(p *providers.Party) { p.Name = "n" },
			func(p *providers.Party) { p.ID = "i" },
			func(p *providers.Party) { p.Kind = providers.KindUser },
		} {
			var r providers.Route
			set(parties(&r)[i])
			if routeZero(&r) != r.IsZero() {
				t.Fatalf("party %d: routeZero %v, IsZero %v", i, routeZero(&r), r.IsZero())
			}
		}
	}
	if routeZero(&providers.Route{Kind: providers.CallMeeting}) {
		t.Fatal("a route with a kind only is zero")
	}
	if routeZero(&providers.Route{SourceParticipant: "p1"}) {
		t.Fatal("a route with the caller's participant id only is zero")
	}
}

// SameButState sees the parties, queue and route, not the state, the
// outcome, the end, the times, what may be done or the version.
func TestSameButState(t *testing.T) {
	pack := packer(NewTable())
	base := full()
	other := func(f func(c *providers.Call)) providers.Call { c := full(); f(&c); return c }
	for name, f := range map[string]func(c *providers.Call){
		"state":    func(c *providers.Call) { c.State = providers.StateActive },
		"outcome":  func(c *providers.Call) { c.Outcome = providers.OutcomeMissed },
		"a time":   func(c *providers.Call) { c.Answered = time.Time{} },
		"caps":     func(c *providers.Call) { c.Caps = 0 },
		"version":  func(c *providers.Call) { c.Version++ },
		"odd word": func(c *providers.Call) { c.State = "parked" },
		"end":      func(c *providers.Call) { c.End.Text = "gone" },
		"ring out": func(c *providers.Call) { c.RingOut = providers.RingOutLogOut },
	} {
		if !SameButState(pack(base), pack(other(f))) {
			t.Errorf("another %s is not the same but for the state", name)
		}
	}
	for name, f := range map[string]func(c *providers.Call){
		"caller":   func(c *providers.Call) { c.From.Name = "Bo" },
		"kind":     func(c *providers.Call) { c.From.Kind = "bot" },
		"queue":    func(c *providers.Call) { c.Queue = "Sales" },
		"media":    func(c *providers.Call) { c.Modalities = nil },
		"route":    func(c *providers.Call) { c.Route.Dialled.ID = "+1" },
		"region":   func(c *providers.Call) { c.Region = "apac" },
		"the call": func(c *providers.Call) { c.ID = "c-2" },
	} {
		if SameButState(pack(base), pack(other(f))) {
			t.Errorf("another %s is the same but for the state", name)
		}
	}
}

// packer packs calls into tab, each into a Call of its own.
func packer(tab *Table) func(c providers.Call) *Call {
	return func(c providers.Call) *Call {
		var p Call
		tab.Pack(&p, &c)
		return &p
	}
}
