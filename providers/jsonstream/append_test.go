package jsonstream

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"ringside/providers"
)

// reference is what encoding/json makes of the schema types: the bytes
// AppendEvent must write.
func reference(t testing.TB, provider string, ev providers.Event) ([]byte, error) {
	t.Helper()
	return json.Marshal(toJSONEvent(provider, ev))
}

// richCall has every field set, text that needs escaping included.
func richCall() providers.Call {
	at := time.Date(2026, 11, 23, 10, 0, 0, 123456789, time.FixedZone("CET", 3600))
	return providers.Call{
		ID: "c1", Provider: "graph", State: providers.StateEnded, Direction: providers.Incoming,
		From:  providers.Party{Name: `Zoë "Z" <Ops> & Co`, ID: "+44 20 7946 0000", Kind: providers.KindPhone},
		To:    providers.Party{ID: "3f9a2c17-0b4e-4d6a-9c3e-5a1b2c3d4e5f", Kind: providers.KindUser},
		Queue: "Sales\u2028EMEA",
		Route: providers.Route{
			Kind:       providers.CallRecording,
			Dialled:    providers.Party{ID: "+14258828080", Kind: providers.KindPhone},
			RoutedTo:   providers.Party{Name: "Heidi", ID: "u1", Kind: providers.KindUser},
			OnBehalfOf: providers.Party{ID: "0b7e1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d", Kind: providers.KindQueue},
			Transferor: providers.Party{Name: "Alex"},
			Observed:   providers.Party{Kind: providers.KindGuest},
			Organizer:  providers.Party{Name: "Megan", Kind: providers.KindUser},
		},
		Modalities: []string{"audio", "video\\", "data\x7f"},
		Region:     "emea\u2029",
		Arrived:    at, AnswerBy: at.Add(15 * time.Second), Answered: at.Add(2 * time.Second), Ended: at.Add(time.Minute),
		End:     providers.EndReason{Code: 0, Subcode: 7015, Text: "Transferred to \t<x>"},
		Outcome: providers.OutcomeTransferred,
		Caps:    providers.Caps(providers.ActionAnswer, providers.ActionHold, providers.ActionResume),
		Version: 1<<64 - 1,
		RingOut: providers.RingOutLogOut,
	}
}

func TestAppendMatchesMarshal(t *testing.T) {
	rich := richCall()
	at := time.Date(2026, 11, 23, 9, 0, 5, 0, time.UTC)
	cases := map[string]providers.Event{
		"rich call":      {Time: at, Call: &rich},
		"bare call":      {Time: at, Call: &providers.Call{}},
		"live call":      {Time: at, Call: &providers.Call{ID: "c2", State: providers.StateRinging, Modalities: []string{}}},
		"ended, no word": {Time: at, Call: &providers.Call{ID: "c3", State: providers.StateEnded, End: providers.EndReason{Code: 486}}},
		"text only end":  {Time: at, Call: &providers.Call{ID: "c4", End: providers.EndReason{Text: "gone"}}},
		"all caps":       {Time: at, Call: &providers.Call{ID: "c5", Caps: 0xff}},
		"status": {Time: at.In(time.FixedZone("X", -7*3600)), Status: &providers.Status{Link: providers.LinkLive,
			Detail: "127.0.0.1:8443", Warning: "INBOUND AUTH OFF & <b>", Agent: "ready"}},
		"empty status":  {Time: at, Status: &providers.Status{}},
		"unknown":       {Time: at},
		"zero time":     {Call: &providers.Call{ID: "c6"}},
		"control bytes": {Time: at, Call: &providers.Call{ID: "c7", Queue: "\x00\x01\b\f\n\r\t\x1f\"\\/"}},
		"bad utf-8":     {Time: at, Call: &providers.Call{ID: "c8", Queue: "a\xffb\xc3\x28c\xed\xa0\x80d\xf0\x9f\x98"}},
		"name is a guid": {Time: at, Call: &providers.Call{ID: "c9",
			From: providers.Party{Name: "3f9a2c17-0b4e-4d6a-9c3e-5a1b2c3d4e5f", Kind: providers.KindApplication}}},
	}
	for name, ev := range cases {
		want, err := reference(t, "graph", ev)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, err := AppendEvent([]byte("prefix "), "graph", ev)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got, append([]byte("prefix "), want...)) {
			t.Errorf("%s:\ngot  %s\nwant prefix %s", name, got, want)
		}
		if ev.Call != nil {
			wantCall, _ := json.Marshal(toJSONCall(*ev.Call))
			if gotCall, err := MarshalCall(*ev.Call); err != nil || !bytes.Equal(gotCall, wantCall) {
				t.Errorf("%s: MarshalCall:\ngot  %s (%v)\nwant %s", name, gotCall, err, wantCall)
			}
		}
	}
}

// A time encoding/json refuses is refused alike, and nothing is left in
// the buffer of the caller's.
func TestAppendRefusesWhatMarshalRefuses(t *testing.T) {
	far := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	for name, ev := range map[string]providers.Event{
		"event time": {Time: far, Call: &providers.Call{ID: "c1"}},
		"call time":  {Time: time.Now(), Call: &providers.Call{ID: "c1", Ended: far}},
		"before 0":   {Time: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), Status: &providers.Status{}},
	} {
		_, want := reference(t, "graph", ev)
		if want == nil {
			t.Fatalf("%s: encoding/json took it", name)
		}
		got, err := AppendEvent([]byte("keep"), "graph", ev)
		if err == nil || err.Error() != want.Error() {
			t.Errorf("%s: error %v, want %v", name, err, want)
		}
		if string(got) != "keep" {
			t.Errorf("%s: the buffer holds %q after the error", name, got)
		}
	}
}

// FuzzAppendMatchesMarshal: for any text, codes, times and capabilities,
// the stream's line is byte for byte what encoding/json writes.
func FuzzAppendMatchesMarshal(f *testing.F) {
	f.Add("Adele Vance", "3f9a2c17-0b4e-4d6a-9c3e-5a1b2c3d4e5f", "Sales & <co>", "a\xffb\u2028", 486, 7015, int64(1795424405123456789), uint8(7), uint8(3))
	f.Add("", "", "", "", 0, 0, int64(0), uint8(0), uint8(0))
	f.Add("\x00\"\\", "+14258828080", "\t\n", "\xed\xa0\x80", -1, 0, int64(-62135596800000000), uint8(255), uint8(255))
	f.Fuzz(func(t *testing.T, name, id, queue, text string, code, subcode int, nanos int64, caps, pick uint8) {
		at := time.Unix(0, nanos)
		kinds := []providers.PartyKind{providers.KindUnknown, providers.KindUser, providers.KindPhone, providers.KindGuest, providers.KindApplication, providers.KindQueue}
		p := providers.Party{Name: name, ID: id, Kind: kinds[int(pick)%len(kinds)]}
		c := providers.Call{
			ID: id, Provider: name, State: providers.States[int(pick)%len(providers.States)],
			Direction: providers.Direction(text), From: p, To: providers.Party{ID: name, Kind: p.Kind},
			Queue: queue, Modalities: []string{name, text},
			Region: text, Arrived: at, AnswerBy: at.Add(time.Duration(code)), Answered: at.Add(time.Duration(subcode)),
			End: providers.EndReason{Code: code, Subcode: subcode, Text: text}, Outcome: providers.Outcome(queue),
			Caps: providers.Capabilities(caps), Version: uint64(nanos), RingOut: providers.RingOut(pick % 4),
		}
		if pick&1 == 1 {
			c.Route = providers.Route{Kind: providers.CallKind(text), Dialled: p, Observed: providers.Party{Name: queue}}
		}
		if pick&2 == 2 {
			c.Ended = at
		}
		for _, ev := range []providers.Event{
			{Time: at, Call: &c},
			{Time: at, Status: &providers.Status{Link: providers.Link(name), Detail: queue, Warning: text, Agent: id}},
		} {
			want, wantErr := reference(t, queue, ev)
			got, err := AppendEvent(nil, queue, ev)
			if (err == nil) != (wantErr == nil) {
				t.Fatalf("error %v, encoding/json's %v", err, wantErr)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("got\n%s\nencoding/json\n%s", got, want)
			}
		}
	})
}

// BenchmarkAppendEvent writes the three lines of a Graph call's life
// (ringing, active, ended) into a reused buffer and, side by side in the
// same loop, encodes the schema types of the same events with
// encoding/json, and reports the time of each and their ratio.
func BenchmarkAppendEvent(b *testing.B) {
	at := time.Date(2026, 11, 23, 9, 0, 5, 0, time.UTC)
	ring := providers.Call{ID: "57dab8b1-894c-409a-b240-bd8beae78896", Provider: "graph", State: providers.StateRinging,
		Direction: providers.Incoming, From: providers.Party{Name: "John", ID: "112f7296-5fa4-42ca-bae8-6a692b15d4b8", Kind: providers.KindUser},
		To:         providers.Party{Name: "Calling Bot", ID: "2891555a-92ff-42e6-80fa-6e1300c6b5c6", Kind: providers.KindApplication},
		Modalities: []string{"audio", "video"}, Region: "westus", Arrived: at, AnswerBy: at.Add(15 * time.Second),
		Caps: providers.Caps(providers.ActionAnswer, providers.ActionReject, providers.ActionRedirect), Version: 1}
	active := ring
	active.State, active.Answered, active.Caps, active.Version = providers.StateActive, at.Add(2*time.Second), providers.Caps(providers.ActionHangup, providers.ActionTransfer), 2
	ended := active
	ended.State, ended.Ended, ended.Caps, ended.Version = providers.StateEnded, at.Add(time.Minute), 0, 3
	ended.End = providers.EndReason{Code: 200, Subcode: 5001, Text: "The conversation has ended."}
	events := []providers.Event{{Time: at, Call: &ring}, {Time: at, Call: &active}, {Time: at, Call: &ended}}
	buf := make([]byte, 0, 1024)
	var byHand, reflective time.Duration
	for i := 0; b.Loop(); i++ {
		ev := events[i%3]
		t0 := time.Now()
		var err error
		if buf, err = AppendEvent(buf[:0], "graph", ev); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := json.Marshal(toJSONEvent("graph", ev)); err != nil {
			b.Fatal(err)
		}
		byHand, reflective = byHand+t1.Sub(t0), reflective+time.Since(t1)
	}
	b.ReportMetric(float64(byHand.Nanoseconds())/float64(b.N), "append-ns/line")
	b.ReportMetric(float64(reflective.Nanoseconds())/float64(b.N), "encoding-json-ns/line")
	b.ReportMetric(byHand.Seconds()/reflective.Seconds(), "ratio")
}

// The times are spelt as time.Time's MarshalJSON spells them, from year 0
// to 9999, with every number of nanosecond digits.
func TestAppendTimeMatchesMarshalJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	lo := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
	nanos := []int{0, 1, 10, 100, 999, 1000, 120000, 5000000, 100000000, 999999999, 123456789, 500000000}
	for i := range 100000 {
		at := time.Unix(lo+r.Int64N(hi-lo+1), int64(nanos[i%len(nanos)])).UTC()
		if i%len(nanos) == 0 {
			at = at.Add(time.Duration(r.Int64N(1e9)))
		}
		want, err := at.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		got, ok := appendTime(nil, at)
		if !ok || string(got) != string(want) {
			t.Fatalf("%v: %s, want %s", at, got, want)
		}
	}
}

// safe8 tells eight bytes that are written as they are from any eight with
// one that is escaped, whichever place it takes and whatever stands beside.
func TestSafe8(t *testing.T) {
	safe := func(c byte) bool {
		return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	word := func(b [8]byte) uint64 {
		var x uint64
		for i := range b {
			x |= uint64(b[i]) << (8 * i)
		}
		return x
	}
	for c := range 256 {
		for at := range 8 {
			b := [8]byte{'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'}
			b[at] = byte(c)
			if got := safe8(word(b)); got != safe(byte(c)) {
				t.Fatalf("byte %#x at %d: safe8 %v", c, at, got)
			}
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	picks := []byte{0, 0x1f, 0x20, 0x21, '"', '#', '%', '&', '\'', ';', '<', '=', '>', '?', '[', '\\', ']', 0x7f, 0x80, 0xff, 'a'}
	for range 200000 {
		var b [8]byte
		want := true
		for i := range b {
			b[i] = picks[r.IntN(len(picks))]
			want = want && safe(b[i])
		}
		if got := safe8(word(b)); got != want {
			t.Fatalf("% x: safe8 %v, want %v", b, got, want)
		}
	}
}
