package record

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/demo"
)

var fiction = regexp.MustCompile(`^\+1[2-9][0-8][0-9]55501[0-9]{2}$`)

func TestRedactorPseudonyms(t *testing.T) {
	r := newRedactorWithKey([]byte("a key for this test only"))
	other := newRedactorWithKey([]byte("another recording's key"))
	ana := providers.Party{Name: "Ana Lima", ID: "+351 21 000 0001", Kind: providers.KindPhone}

	// The same person is the same pseudonym; another recording's key gives
	// another.
	first, again := r.Party(ana), r.Party(ana)
	if first != again {
		t.Fatalf("not stable: %+v then %+v", first, again)
	}
	if other.Party(ana) == first {
		t.Fatal("two recordings share pseudonyms: the key does not matter")
	}
	if !strings.HasPrefix(first.Name, "Caller ") || !fiction.MatchString(first.ID) {
		t.Errorf("phone party %+v: want Caller NNNN and a 555-01XX number", first)
	}
	// A number is the same number however it is written.
	if r.ID("+351210000001") != first.ID {
		t.Error("the same number written without spaces got another pseudonym")
	}

	for name, tc := range map[string]struct {
		in   providers.Party
		want func(providers.Party) bool
	}{
		"user by GUID": {providers.Party{Name: "Adele Vance", ID: "8ea0e38b-efb3-4757-924a-5f94061cf8c2", Kind: providers.KindUser},
			func(p providers.Party) bool {
				return strings.HasPrefix(p.Name, "User ") && providers.IsGUID(p.ID) && p.ID != "8ea0e38b-efb3-4757-924a-5f94061cf8c2"
			}},
		"Teams prefix kept": {providers.Party{ID: "8:orgid:8ea0e38b-efb3-4757-924a-5f94061cf8c2", Kind: providers.KindUser},
			func(p providers.Party) bool {
				return strings.HasPrefix(p.ID, "8:orgid:") && providers.IsGUID(strings.TrimPrefix(p.ID, "8:orgid:"))
			}},
		"guest": {providers.Party{Name: "Ana Ribeiro (Northwind)", Kind: providers.KindGuest},
			func(p providers.Party) bool { return strings.HasPrefix(p.Name, "Guest ") }},
		"name is the number": {providers.Party{Name: "+14255550100", ID: "+14255550100", Kind: providers.KindPhone},
			func(p providers.Party) bool { return p.Name == p.ID && fiction.MatchString(p.ID) }},
		"extension": {providers.Party{Name: "Desk", ID: "5002", Kind: providers.KindUser},
			func(p providers.Party) bool {
				return len(p.ID) == 4 && strings.Trim(p.ID, "0123456789") == "" && p.ID != "5002"
			}},
		"e-mail": {providers.Party{ID: "ana@contoso.com", Kind: providers.KindUser},
			func(p providers.Party) bool { return strings.HasSuffix(p.ID, "@example.com") }},
		"queue kept": {providers.Party{Name: "Sales", ID: "0b7e0f0a-1111-4222-8333-444455556666", Kind: providers.KindQueue},
			func(p providers.Party) bool {
				return p.Name == "Sales" && p.ID == "0b7e0f0a-1111-4222-8333-444455556666"
			}},
		"application: name kept, id not": {providers.Party{Name: "Reception bot", ID: "app-17", Kind: providers.KindApplication},
			func(p providers.Party) bool { return p.Name == "Reception bot" && p.ID != "app-17" && p.ID != "" }},
	} {
		t.Run(name, func(t *testing.T) {
			if got := r.Party(tc.in); !tc.want(got) {
				t.Errorf("%+v became %+v", tc.in, got)
			}
		})
	}

	for _, id := range []string{"c1", "8ea0e38b-efb3-4757-924a-5f94061cf8c2", "BOARD.a_b-c", strings.Repeat("x", providers.MaxCallIDLen)} {
		p := r.CallID(id)
		if err := providers.CheckCallID(p); err != nil || p == id || p != r.CallID(id) {
			t.Errorf("call id %q became %q (%v)", id, p, err)
		}
	}
	if r.CallID("c1") == r.CallID("c2") {
		t.Error("two calls share an id")
	}
}

// The caller's participant id is an id like the others.
func TestRedactorCallRouteParticipant(t *testing.T) {
	r := newRedactorWithKey([]byte("a key for this test only"))
	const src = "30fad2ce-8989-41a1-8a66-f6636e629a2a"
	got := r.Call(providers.Call{ID: "c1", Route: providers.Route{SourceParticipant: src}}).Route.SourceParticipant
	if got == src || !providers.IsGUID(got) || got != r.ID(src) {
		t.Fatalf("source participant %q redacted as %q", src, got)
	}
	if r.Call(providers.Call{ID: "c2"}).Route.SourceParticipant != "" {
		t.Fatal("an absent participant id became one")
	}
}

func TestRedactorScrubsFreeText(t *testing.T) {
	r := newRedactorWithKey([]byte("k"))
	ana := r.Party(providers.Party{Name: "Ana Lima", ID: "+14255550100", Kind: providers.KindPhone})
	id := r.CallID("c17")
	text := "answer c17: Ana Lima (+1 425 555 0100) and Banana; user 3f9a2c17-0b4e-4d6a-9c3e-5a1b2c3d4e5f wrote bo@contoso.com; seed 123456789; 020 7946 0000 0000"
	got := r.Text(text)
	for _, gone := range []string{"c17", "Ana Lima", "425 555 0100", "3f9a2c17", "bo@contoso.com"} {
		if strings.Contains(got, gone) {
			t.Errorf("%q still in %q", gone, got)
		}
	}
	for _, kept := range []string{id, ana.Name, ana.ID, "Banana", "seed 123456789", "@example.com"} {
		if !strings.Contains(got, kept) {
			t.Errorf("%q missing from %q", kept, got)
		}
	}

	err := fmt.Errorf("hangup c17: %w", &providers.RefusedError{Status: 404, Code: "NotFound", Message: "Call of John Smith not found", RequestID: "r-1"})
	words := r.Error(err)
	if strings.Contains(words, "John") || !strings.Contains(words, "HTTP 404") || !strings.Contains(words, "NotFound") || !strings.Contains(words, "withheld") {
		t.Errorf("refusal redacted as %q", words)
	}
}

// A demo run recorded with --record-redact holds none of the names,
// numbers and ids the console saw (queues and applications by name apart),
// the same person is the same pseudonym throughout, and the recording reads
// back: call lines, status lines and action lines.
func TestRedactedDemoRecordingNamesNoOne(t *testing.T) {
	d, err := demo.New(demo.Config{Rate: 0, Calls: 120, Seed: 11}, providers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	path := recordingPath(t)
	w, err := Create(path, Header{Provider: "demo", Started: time.Now(), Redacted: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	p := Wrap(d, w, newRedactorWithKey([]byte("test key 11")), providers.Options{})

	ctx, cancel := context.WithCancel(context.Background())
	sink := make(chan providers.Event, 4096)
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, sink) }()

	var seen []providers.Event
	latest := map[string]providers.Call{}
	take := func(until func(providers.Event) bool) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case ev := <-sink:
				seen = append(seen, ev)
				if ev.Call != nil {
					latest[ev.Call.ID] = *ev.Call
				}
				if until(ev) {
					return
				}
			case <-deadline:
				t.Fatal("the demo did not get there")
			}
		}
	}
	take(func(ev providers.Event) bool { return ev.Status != nil && ev.Status.Link == providers.LinkLive })

	// Act on calls as a console would: a reject, an answer, a transfer
	// and a redirect to people named in no call.
	var ringing, active []string
	for id, c := range latest {
		switch {
		case c.Can(providers.ActionReject):
			ringing = append(ringing, id)
		case c.Can(providers.ActionTransfer):
			active = append(active, id)
		}
	}
	if len(ringing) < 3 || len(active) < 1 {
		t.Fatalf("%d ringing, %d active calls to act on", len(ringing), len(active))
	}
	person := providers.Target{Name: "Pieter Jansen", Kind: providers.TargetUser, Phone: "+31201234567"}
	number := providers.Target{Name: "+44 20 7946 0123", Kind: providers.TargetPhone, Phone: "+442079460123"}
	if err := p.Reject(ctx, ringing[0], providers.ReasonBusy); err != nil {
		t.Fatal(err)
	}
	if err := p.Answer(ctx, ringing[1]); err != nil {
		t.Fatal(err)
	}
	if err := p.Redirect(ctx, ringing[2], number); err != nil {
		t.Fatal(err)
	}
	go p.Transfer(ctx, active[0], person) // returns once the target answers, or not
	if err := p.Hold(ctx, "no-such-call"); !errors.Is(err, providers.ErrNotFound) {
		t.Fatalf("hold of an unknown call: %v", err)
	}
	take(func(ev providers.Event) bool {
		return ev.Call != nil && ev.Call.ID == ringing[2] && ev.Call.State == providers.StateEnded
	})
	cancel()
	<-done
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	file := string(raw)
	var originals []string
	note := func(p providers.Party) {
		if p.Kind != providers.KindQueue && p.Kind != providers.KindApplication {
			originals = append(originals, p.Name)
		}
		if p.Kind != providers.KindQueue {
			originals = append(originals, p.ID)
		}
	}
	for _, ev := range seen {
		if c := ev.Call; c != nil {
			originals = append(originals, c.ID)
			note(c.From)
			note(c.To)
			r := c.Route
			for _, party := range []providers.Party{r.Dialled, r.RoutedTo, r.OnBehalfOf, r.Transferor, r.Observed, r.Organizer} {
				note(party)
			}
		}
	}
	originals = append(originals, person.Name, person.Phone, number.Name, number.Phone, "no-such-call")
	checked := 0
	for _, o := range originals {
		if len(o) < 3 {
			continue
		}
		checked++
		if strings.Contains(file, o) {
			t.Errorf("the redacted recording holds %q", o)
		}
	}
	if checked < 300 {
		t.Fatalf("only %d names, numbers and ids checked", checked)
	}

	// Line by line, the recording is what the console saw, pseudonyms
	// for people: one pseudonym per person, one per call.
	_, es := readFile(t, path)
	pseudo := map[string]string{}
	same := func(what, original, p string) {
		if original == "" {
			return
		}
		if was, ok := pseudo[what+original]; ok && was != p {
			t.Errorf("%s %q is %q here and %q before", what, original, p, was)
		}
		pseudo[what+original] = p
	}
	var calls []Entry
	var actions []*Action
	for _, e := range es {
		switch {
		case e.Call != nil:
			calls = append(calls, e)
		case e.Action != nil:
			actions = append(actions, e.Action)
		}
	}
	i := 0
	repeated := 0
	for _, ev := range seen {
		if ev.Call == nil {
			continue
		}
		got := calls[i].Call
		i++
		if got.State != ev.Call.State || got.End.Code != ev.Call.End.Code || got.Result() != ev.Call.Result() {
			t.Fatalf("call line %d is not the call the console saw", calls[i-1].Line)
		}
		if _, ok := pseudo["call"+ev.Call.ID]; ok {
			repeated++
		}
		same("call", ev.Call.ID, got.ID)
		same("name", ev.Call.From.Name, got.From.Name)
		same("id", ev.Call.From.ID, got.From.ID)
		if ev.Call.From.Kind == providers.KindPhone && ev.Call.From.ID != "" && !fiction.MatchString(got.From.ID) {
			t.Errorf("number %q became %q, not a fictional number", ev.Call.From.ID, got.From.ID)
		}
	}
	if repeated == 0 {
		t.Fatal("no call was seen twice: stability not shown")
	}
	var rejected *Action
	for _, a := range actions {
		if a.Action == "reject" {
			rejected = a
		}
	}
	if rejected == nil || rejected.Call != pseudo["call"+ringing[0]] || rejected.Result != ResultOK {
		t.Errorf("the reject's line %+v does not name the rejected call's pseudonym %q", rejected, pseudo["call"+ringing[0]])
	}
}
