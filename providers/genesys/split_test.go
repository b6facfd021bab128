package genesys

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// sameRaw compares raw fields as read by a splitter and by encoding/json.
func sameRaw(t *testing.T, what string, got, want []*json.RawMessage, names []string) {
	t.Helper()
	for i := range got {
		if !bytes.Equal(*got[i], *want[i]) {
			t.Fatalf("%s.%s: split %q, encoding/json %q", what, names[i], *got[i], *want[i])
		}
	}
}

// sameParts compares the parts of a call the split read itself with what
// the tolerant decoder reads of the same raw fields.
func sameParts(t *testing.T, got, want *rawCall) {
	t.Helper()
	p := got.split
	if p.read&readParticipants != 0 {
		if w := participantsTolerant(want.Participants); !reflect.DeepEqual(p.participants, w) {
			t.Fatalf("participants %q: split %#v, encoding/json %#v", want.Participants, p.participants, w)
		}
	}
	if p.read&readCapabilities != 0 {
		if w := stringListTolerant(want.Capabilities); !reflect.DeepEqual(p.capabilities, w) {
			t.Fatalf("capabilities %q: split %#v, encoding/json %#v", want.Capabilities, p.capabilities, w)
		}
	}
	if p.read&readExtensions != 0 {
		var ext extensionFields
		if err := decodeObject(want.Extensions, &ext); err != nil {
			t.Fatalf("split extensions encoding/json refuses (%v): %q", err, want.Extensions)
		}
		g, w := p.extensions.slots(), ext.slots()
		sameRaw(t, "extensions", g[:], w[:], extensionNames)
	}
}

// checkSplits holds every splitter to the tolerant reading of the same
// bytes: whenever a splitter answers, encoding/json reads the same.
func checkSplits(t *testing.T, data []byte) {
	t.Helper()
	d := bytes.TrimSpace(data)
	// Data the bayeux client checked is not checked again: on any one
	// JSON value, the walk alone reads what the checked walk reads; on
	// anything else it must not fail in any worse way than by reading
	// nonsense.
	var unchecked, checked rawCall
	env1, has1, ok1 := splitNote(d, false, &unchecked)
	env2, has2, ok2 := splitNote(d, true, &checked)
	if json.Valid(d) && (ok1 != ok2 || has1 != has2 || !reflect.DeepEqual(env1, env2) || !reflect.DeepEqual(unchecked, checked)) {
		t.Fatalf("%q read unchecked (%v %v %+v %+v), checked (%v %v %+v %+v)", d, ok1, has1, env1, unchecked, ok2, has2, env2, checked)
	}
	var split rawCall
	if env, hasCall, ok := splitNote(d, false, &split); ok {
		var call *rawCall
		if hasCall {
			call = &split
		}
		var want struct {
			noteFields
			Call *rawCall `json:"call"`
		}
		if err := json.Unmarshal(d, &want); err != nil {
			t.Fatalf("split a note encoding/json refuses (%v): %q", err, d)
		}
		g, w := env.slots(), want.noteFields.slots()
		sameRaw(t, "note", g[:], w[:], noteNames)
		if e := env.splitExtensions; env.extensionsRead {
			var ext extensionFields
			if err := decodeObject(want.Extensions, &ext); err != nil {
				t.Fatalf("split extensions encoding/json refuses (%v): %q", err, want.Extensions)
			}
			g, w := e.slots(), ext.slots()
			sameRaw(t, "extensions", g[:], w[:], extensionNames)
		}
		switch {
		case (call == nil) != (want.Call == nil):
			t.Fatalf("split call %+v, encoding/json %+v", call, want.Call)
		case call != nil:
			g, w := call.slots(), want.Call.slots()
			sameRaw(t, "call", g[:], w[:], callNames)
			sameParts(t, call, want.Call)
		}
	}
	if raw, ok := splitCall(d); ok {
		var want rawCall
		if err := decodeObject(data, &want); err != nil {
			t.Fatalf("split a call encoding/json refuses (%v): %q", err, d)
		}
		g, w := raw.slots(), want.slots()
		sameRaw(t, "call", g[:], w[:], callNames)
		sameParts(t, &raw, &want)
	}
	if ext, ok := splitExtensions(d); ok {
		var want extensionFields
		if err := decodeObject(data, &want); err != nil {
			t.Fatalf("split extensions encoding/json refuses (%v): %q", err, d)
		}
		g, w := ext.slots(), want.slots()
		sameRaw(t, "extensions", g[:], w[:], extensionNames)
	}
	if got, ok := splitParticipants(d); ok {
		if want := participantsTolerant(d); !reflect.DeepEqual(got, want) {
			t.Fatalf("participants %q: split %#v, encoding/json %#v", d, got, want)
		}
	}
	if got, ok := splitStringList(d); ok {
		if want := stringListTolerant(d); !reflect.DeepEqual(got, want) {
			t.Fatalf("string list %q: split %#v, encoding/json %#v", d, got, want)
		}
	}
}

// splitSeeds are values on both sides of each rule the splitters follow.
var splitSeeds = []string{
	`{"messageType":"CallStateChangeMessage","notificationType":"StatusChange","phoneNumber":"7001","call":{"id":"c1","state":"Ringing","participants":[{"phoneNumber":"5125","formattedPhoneNumber":"(512) 5"}],"capabilities":["Answer","Reject"],"extensions":{"NO_ANSWER_TIMEOUT":12,"NO_ANSWER_ACTION":"notready"},"userData":{"a":"b"}}}`,
	` {"call":null,"messageType":"ErrorMessage","errorCode":42} `,
	`{"Call":{"id":"c1"}}`,            // case: encoding/json matches it
	`{"CALL":{"id":"c1"}}`,            // case
	`{"c\u0061ll":{"id":"c1"}}`,       // escaped name
	`{"caſſ":{"id":"c1"}}`,            // not ASCII
	`{"call":{"ID":"x","id":"c1"}}`,   // case inside the call
	`{"call":{"id":"a","id":"b"}}`,    // a field twice
	`{"call":{"id":"a"},"call":null}`, // the call twice
	`{"call":"c1"}`,                   // not an object
	`{"call":{"id":"c1"}}x`,           // trailing data
	`{"call":{"id":"c1"}`,             // cut short
	`{"call":{"id":"c1\xff"}}`,        // not UTF-8
	`{"unknown":{"deep":[1,2,{"x":null}]},"call":{"id":"c1","other":"x"}}`,
	`[{"phoneNumber":"1"},"2",3,null,"",{"digits":"4","Digits":"5"}]`,
	`[{"formattedPhoneNumber":"Front  desk"},{"phoneNumber":{"a":1}},true,[]]`,
	`[]`,
	`["Answer","Reject"]`,
	`["Answer",""]`,
	`["An\u0073wer"]`,
	`["Answer",null]`,
	`[1]`,
	`{"NO_ANSWER_TIMEOUT":"15","no_answer_action":"x"}`,
	`{"NO_ANSWER_TIMEOUT":null}`,
	// What the walk must step over exactly: quotes and brackets inside
	// strings, runs of backslashes, numbers and literals, white space.
	`{"x":"a\"}b","call":{"id":"c\\","state":"Ringing"}}`,
	`{"x":["]","\\\\\"",{"}":"{"}],"call":{"id":"c1","userData":{"k":"}\""}}}`,
	`{"x":-1.5e+10 ,"y":true,"z":false,"n":null,"call":{"id":"c1","duration":12,"ani":5125}}`,
	"{ \"call\" : { \"id\" : \"c1\" , \"participants\" : [ \"1\" , { \"digits\" : \"2\" } ] ,\n\t\"capabilities\" : [ \"Answer\" ] } }",
	`{"call":{"id":"c1","participants":[],"capabilities":[],"extensions":{}}}`,
	`{}`,
	`{"call":{}}`,
	"{\"call\":{\"id\":\"c1\"}}\u00a0",
	"\t{\"call\":{\"id\":\"c1\"}}\r\n",
}

func TestSplitMatchesTolerant(t *testing.T) {
	for _, s := range splitSeeds {
		checkSplits(t, []byte(s))
	}
}

// FuzzSplitMatchesTolerant: whatever a splitter answers for, encoding/json
// reads the same way.
func FuzzSplitMatchesTolerant(f *testing.F) {
	for _, s := range splitSeeds {
		f.Add([]byte(s))
	}
	for _, name := range corpusNames(f) {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var msg corpusMessage
		if json.Unmarshal(raw, &msg) == nil {
			f.Add([]byte(msg.Data))
		}
	}
	f.Add(burst(1)[0])
	f.Fuzz(func(t *testing.T, data []byte) { checkSplits(t, data) })
}

func corpusNames(tb testing.TB) []string {
	names, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(names) == 0 {
		tb.Fatalf("no corpus: %v", err)
	}
	return names
}

// The splitters answer for GWS's messages as they come: every call message
// of the corpus and of a burst is read in one pass, participants,
// capabilities and extensions included (else the fast path would be a
// path never taken).
func TestSplitTakesGWSMessages(t *testing.T) {
	datas := map[string][]byte{"burst": burst(1)[0]}
	for _, name := range corpusNames(t) {
		m := readCorpus(t, filepath.Base(name))
		datas[filepath.Base(name)] = m.Data
	}
	calls := 0
	for name, data := range datas {
		var call rawCall
		env, hasCall, ok := splitNote(bytes.TrimSpace(data), false, &call)
		if !ok {
			t.Errorf("%s: not split", name)
			continue
		}
		if !hasCall {
			continue
		}
		calls++
		slots := call.slots()
		for part, bit := range map[string]uint8{"participants": readParticipants, "capabilities": readCapabilities, "extensions": readExtensions} {
			raw := *slots[slices.Index(callNames, part)]
			if call.split.read&bit == 0 && !isNull(raw) {
				t.Errorf("%s: %s %s not read in the same pass", name, part, raw)
			}
		}
		if !env.extensionsRead && !isNull(env.Extensions) {
			t.Errorf("%s: extensions %s not read in the same pass", name, env.Extensions)
		}
	}
	if calls < 5 {
		t.Fatalf("only %d call messages in the corpus", calls)
	}
}

// The split keeps none of the message: the attached data a call carries on
// is its own copy, not a slice of a response that may weigh megabytes.
func TestSplitCopiesAttachedData(t *testing.T) {
	data := []byte(`{"call":{"id":"c1","userData":{"queue":"Support"}}}`)
	var call rawCall
	if _, hasCall, ok := splitNote(data, false, &call); !ok || !hasCall {
		t.Fatal("not split")
	}
	copy(data, bytes.Repeat([]byte("x"), len(data)))
	if string(call.UserData) != `{"queue":"Support"}` {
		t.Fatalf("attached data shares the message's memory: %q", call.UserData)
	}
}

// jsontext and encoding/json both allow 10,000 levels of nesting: the
// split refuses what encoding/json refuses at the bound.
func TestSplitNestingBound(t *testing.T) {
	for _, depth := range []int{9999, 10000, 10001} {
		// The object around the call counts as one level.
		v := strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1)
		data := []byte(fmt.Sprintf(`{"x":%s,"call":{"id":"c1"}}`, v))
		checkSplits(t, data)
		var call rawCall
		_, _, ok := splitNote(data, false, &call)
		if want := json.Valid(data); ok != want {
			t.Fatalf("depth %d: split %v, encoding/json valid %v", depth, ok, want)
		}
	}
}

// The names the splitters look for are those of the tolerant decoder's
// structs, in the order of their slots.
func TestSplitNamesMatchSlots(t *testing.T) {
	check := func(v any, slots []*json.RawMessage, names []string) {
		rv := reflect.ValueOf(v).Elem()
		for i, name := range names {
			if i >= len(slots) {
				return // "call", read on its own
			}
			for j := range rv.NumField() {
				f := rv.Type().Field(j)
				if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == name && rv.Field(j).Addr().Interface() != slots[i] {
					t.Errorf("%T: slot %d is not field %s", v, i, name)
				}
			}
		}
		if len(slots) != len(names) && len(slots) != len(names)-1 {
			t.Errorf("%T: %d slots for %d names", v, len(slots), len(names))
		}
	}
	var n noteFields
	var c rawCall
	var p partyFields
	var e extensionFields
	ns, cs, ps, es := n.slots(), c.slots(), p.slots(), e.slots()
	check(&n, ns[:], noteNames)
	check(&c, cs[:], callNames)
	check(&p, ps[:], partyNames)
	check(&e, es[:], extensionNames)
}
