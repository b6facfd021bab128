package notification

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"ringside/providers/graph/graphtest"
)

// FuzzFastMatchesCareful checks the promise decodeFast makes: whatever it
// accepts, decodeCareful accepts too, with the same result. Bodies with a key
// repeated in one object are left out: there the two may merge or replace
// (encoding/json fills a repeated struct field twice but replaces a repeated
// raw value), and Graph never sends them.
func FuzzFastMatchesCareful(f *testing.F) {
	for _, name := range graphtest.Notifications() {
		f.Add(graphtest.Notification(name))
	}
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "corpus", "*.json"))
	if len(paths) == 0 {
		f.Fatal("no corpus in ../testdata/corpus")
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	// Context of an unexpected shape is dropped by both paths alike.
	f.Add([]byte(`{"value":[{"changeType":"created","resourceUrl":"/communications/calls/a","resourceData":{"callRoutes":"x","incomingContext":[1],"meetingInfo":{"organizer":{"user":5}}}}]}`))
	f.Add([]byte(`{"value":[{"changeType":"x","resourceUrl":"/communications/calls/a","resourceData":null}]}`))
	f.Add([]byte(`{"value":[null]}`))
	for _, body := range delimiterVariants {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		body = bytes.TrimSpace(body)
		if len(body) == 0 || body[0] != '{' {
			return
		}
		// The result must not share the body's bytes: the webhook reads
		// the next body into the same buffer.
		buf := bytes.Clone(body)
		fast, ok := decodeFast(buf)
		for i := range buf {
			buf[i] = 0
		}
		// A decoder fresh from the pool reads the same as one that has
		// read other bodies: nothing it keeps between bodies shows.
		decoders = sync.Pool{New: func() any { return new(fastDecoder) }}
		fresh, freshOK := decodeFast(body)
		if ok != freshOK || !reflect.DeepEqual(fast, fresh) {
			t.Fatalf("a used decoder read %v %#v, a fresh one %v %#v", ok, fast, freshOK, fresh)
		}
		if !ok || hasRepeatedKeys(body) {
			return
		}
		careful, err := decodeCareful(body)
		if err != nil {
			t.Fatalf("fast path accepted what the careful path refuses (%v)", err)
		}
		if !reflect.DeepEqual(fast, careful) {
			t.Fatalf("fast %#v\ncareful %#v", fast, careful)
		}
	})
}

// delimiterVariants spell member names with underscores or dashes, which
// encoding/json does not take for the camel-case names.
var delimiterVariants = []string{
	`{"value":[{"change_type":"created","resourceUrl":"/communications/calls/a"}]}`,
	`{"value":[{"changeType":"created","resource_Url":"/communications/calls/a"}]}`,
	`{"value":[{"changeType":"updated","resourceUrl":"/communications/calls/a","resource-data":{"state":"established"}}]}`,
	`{"value":[{"changeType":"deleted","resourceUrl":"/communications/calls/a","resourceData":{"result_info":{"code":200}}}]}`,
	`{"value":[{"changeType":"created","resourceUrl":"/communications/calls/a","resourceData":{"source":{"identity":{"user":{"display_name":"x"}}}}}]}`,
}

func TestFastPathReadsTheNamesEncodingJSONReads(t *testing.T) {
	for _, body := range delimiterVariants {
		fast, ok := decodeFast([]byte(body))
		if !ok {
			continue // the careful path decides
		}
		careful, err := decodeCareful([]byte(body))
		if err != nil {
			t.Errorf("%s: the fast path accepted what the careful path refuses (%v)", body, err)
			continue
		}
		if !reflect.DeepEqual(fast, careful) {
			t.Errorf("%s: fast %#v, careful %#v", body, fast, careful)
		}
	}
}

func TestFastPathTakesCallNotifications(t *testing.T) {
	for _, name := range graphtest.Notifications() {
		body := graphtest.Notification(name)
		// A roster's array is skipped as well: it is not a call's data.
		fast, ok := decodeFast(body)
		if !ok {
			t.Errorf("%s: not taken by the fast path", name)
			continue
		}
		careful, err := decodeCareful(body)
		if err != nil || !reflect.DeepEqual(fast, careful) {
			t.Errorf("%s: fast and careful differ (%v)", name, err)
		}
	}
}

// hasRepeatedKeys reports whether any object in body names a key twice,
// comparing keys without case as encoding/json matches fields.
func hasRepeatedKeys(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		object bool
		keys   map[string]bool
		expect bool // next string token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				if top != nil && top.object {
					top.expect = true
				}
				stack = append(stack, &frame{object: true, keys: map[string]bool{}, expect: true})
				continue
			case '[':
				if top != nil && top.object {
					top.expect = true
				}
				stack = append(stack, &frame{})
				continue
			default:
				stack = stack[:len(stack)-1]
				continue
			}
		case string:
			if top != nil && top.object && top.expect {
				k := string(bytes.ToLower([]byte(v)))
				if top.keys[k] {
					return true
				}
				top.keys[k] = true
				top.expect = false
				continue
			}
		}
		if top != nil && top.object {
			top.expect = true
		}
	}
}

// The fast path reads the call's routes, incoming context and meeting as
// the careful path does, so call notifications that carry them stay fast.
func TestFastPathTakesRoutedCalls(t *testing.T) {
	for _, name := range []string{"doc-answer-policy-recording.json", "doc-answer-beta-callroutes.json", "doc-join-meeting-establishing.json"} {
		body, err := os.ReadFile(filepath.Join("..", "testdata", "corpus", name))
		if err != nil {
			t.Fatal(err)
		}
		fast, ok := decodeFast(body)
		if !ok {
			t.Errorf("%s: not taken by the fast path", name)
			continue
		}
		careful, err := decodeCareful(body)
		if err != nil || !reflect.DeepEqual(fast, careful) {
			t.Errorf("%s: fast and careful differ (%v)", name, err)
		}
		if c := fast[0].Call; c.Routes == nil && c.Context == nil && c.Meeting == nil {
			t.Errorf("%s: the fast path lost the call's context", name)
		}
	}
}

// The hand-written fast path reads what encoding/json reads, or leaves the
// body to the careful path: never a different result.
func TestFastPathEdges(t *testing.T) {
	const call = `"resourceUrl":"/communications/calls/a"`
	for _, tc := range []struct {
		body string
		fast bool // the fast path must take it
	}{
		// Escapes in strings and names are read as encoding/json reads them.
		{`{"value":[{"changeType":"created",` + call + `,"resourceData":{"state":"inc\u006fming","source":{"identity":{"user":{"displayName":"Zo\u00eb \"Z\" \ud83d\ude00 \/ \\ \b\f\n\r\t"}}}}}]}`, true},
		{`{"value":[{"change\u0054ype":"created",` + call + `}]}`, true},
		// Names without regard to ASCII case.
		{`{"VALUE":[{"ChangeType":"Updated","RESOURCEURL":"/communications/calls/a","resourcedata":{"STATE":"Established"}}]}`, true},
		// Whitespace of every JSON kind, numbers and literals in unknown members.
		{" {\t\"value\" :\r\n[ {\"changeType\" : \"deleted\" , " + call + ", \"x\":[1,-0.5e+3,0,true,false,null,{}], \"resourceData\" : { \"resultInfo\" : {\"code\":\"200\",\"subCode\":5001.0,\"message\":\" bye \"} } } ] } ", true},
		// A roster's array and a null resourceData.
		{`{"value":[{"changeType":"updated","resourceUrl":"/communications/calls/a/participants","resourceData":[{"id":"p"}]}]}`, true},
		{`{"value":[{"changeType":"updated",` + call + `,"resourceData":null}]}`, true},
		{`{"value":[]}`, true},
		// Lists empty, or emptied by trimming, are not absent ones.
		{`{"value":[{"changeType":"created",` + call + `,"resourceData":{"requestedModalities":[],"targets":[]}}]}`, true},
		{`{"value":[{"changeType":"created",` + call + `,"resourceData":{"requestedModalities":[" ",""]}}]}`, true},
		{`{"value":[{"changeType":"created",` + call + `,"resourceData":{"requestedModalities":null,"targets":null}}]}`, true},
		// A Kelvin sign or a long s in a name: Unicode folding would match
		// it, so the careful path decides.
		{`{"value":[{"changeType":"created",` + call + `,"resourceData":{"state":"incoming","source":{"identity":{"user":{"displayName":"x","\u212aind":"y"}}}}}]}`, false},
		{`{"value":[{"changeType":"created",` + call + `,"resourceData":{"ſtate":"incoming"}}]}`, false},
		// Lone surrogates, invalid UTF-8, a bad escape, control characters.
		{`{"value":[{"changeType":"created",` + call + `,"resourceData":{"id":"\ud800"}}]}`, false},
		{"{\"value\":[{\"changeType\":\"created\"," + call + ",\"resourceData\":{\"id\":\"\xff\"}}]}", false},
		{`{"value":[{"changeType":"created",` + call + `,"resourceData":{"id":"\x"}}]}`, false},
		{"{\"value\":[{\"changeType\":\"created\"," + call + ",\"resourceData\":{\"id\":\"a\tb\"}}]}", false},
		// Numbers RFC 8259 does not allow, literals misspelt, trailing bytes.
		{`{"value":[{"changeType":"created",` + call + `,"x":01}]}`, false},
		{`{"value":[{"changeType":"created",` + call + `,"x":1.}]}`, false},
		{`{"value":[{"changeType":"created",` + call + `,"x":+1}]}`, false},
		{`{"value":[{"changeType":"created",` + call + `,"x":nul}]}`, false},
		{`{"value":[{"changeType":"created",` + call + `}]} x`, false},
		{`{"value":[{"changeType":"created",` + call + `}],}`, false},
		// A member named twice, a null element, a value of another type.
		{`{"value":[{"changeType":"created","changetype":"updated",` + call + `}]}`, false},
		{`{"value":[null]}`, false},
		{`{"value":[{"changeType":"created",` + call + `,"resourceData":{"targets":[null]}}]}`, false},
		{`{"value":[{"changeType":"created",` + call + `,"resourceData":{"state":5}}]}`, false},
		{`{"value":[{"changeType":"created",` + call + `,"resourceData":"x"}]}`, false},
		{`{"value":{}}`, false},
		{`{"value":null}`, false},
		{`{}`, false},
	} {
		// A decoder fresh from the pool, then one that read a body before:
		// what it keeps between bodies must not show.
		for _, decoder := range []string{"fresh", "used"} {
			if decoder == "fresh" {
				decoders = sync.Pool{New: func() any { return new(fastDecoder) }}
			} else {
				decodeFast(graphtest.Notification("doc-incoming-current.json"))
			}
			fast, ok := decodeFast([]byte(tc.body))
			if ok != tc.fast {
				t.Errorf("%s (%s decoder): taken by the fast path: %v, want %v", tc.body, decoder, ok, tc.fast)
			}
			if !ok {
				continue
			}
			careful, err := decodeCareful([]byte(tc.body))
			if err != nil {
				t.Errorf("%s: the fast path took what the careful path refuses (%v)", tc.body, err)
			} else if !reflect.DeepEqual(fast, careful) {
				t.Errorf("%s (%s decoder):\nfast    %#v\ncareful %#v", tc.body, decoder, fast, careful)
			}
		}
	}
}

// Nesting deeper than the fast path follows goes to the careful path,
// which decides.
func TestFastPathDepth(t *testing.T) {
	deep := `{"value":[{"changeType":"created","resourceUrl":"/communications/calls/a","x":` +
		strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + `}]}`
	if _, ok := decodeFast([]byte(deep)); ok {
		t.Error("a body nested beyond maxDepth was taken by the fast path")
	}
	shallow := strings.Replace(deep, strings.Repeat("[", maxDepth), strings.Repeat("[", maxDepth-8), 1)
	shallow = strings.Replace(shallow, strings.Repeat("]", maxDepth), strings.Repeat("]", maxDepth-8), 1)
	if _, ok := decodeFast([]byte(shallow)); !ok {
		t.Error("a body nested within maxDepth was left to the careful path")
	}
}

// A code sent as a string reads the same with and without escapes in it.
func TestFlexIntStrings(t *testing.T) {
	for raw, want := range map[string]flexInt{
		`"200"`: 200, `" 200 "`: 200, `"2\u00300"`: 200, `"\u0032"`: 2, `"-7"`: -7, `"1e3"`: 1000,
		`"abc"`: 0, `""`: 0, `"99999999999"`: 0, `"2.5"`: 0, "\"\xff1\"": 0, `"\t5\n"`: 5, `"\\5"`: 0,
	} {
		var got flexInt = 42
		if err := got.UnmarshalJSON([]byte(raw)); err != nil || got != want {
			t.Errorf("%s: %d (%v), want %d", raw, got, err, want)
		}
	}
}

// BenchmarkDecode reads the three notifications of a call's life (Graph's
// documented incoming call, established, terminated with a reason) with the
// fast path and, side by side in the same loop, with the careful path
// (encoding/json), and reports the time of each and their ratio.
func BenchmarkDecode(b *testing.B) {
	const id = "00000000-0000-4000-8000-000000000001"
	for name, body := range map[string][]byte{
		"incoming":    graphtest.WithCallID(graphtest.Notification("doc-incoming-current.json"), id),
		"established": graphtest.StateChange(id, "updated", "established", nil),
		"terminated": graphtest.StateChange(id, "deleted", "terminated",
			&graphtest.ResultInfo{Code: "200", Subcode: "5001", Message: "The conversation has ended."}),
	} {
		b.Run(name, func(b *testing.B) {
			var fast, careful time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, ok := decodeFast(body); !ok {
					b.Fatal("the fast path left it")
				}
				t1 := time.Now()
				if _, err := decodeCareful(body); err != nil {
					b.Fatal(err)
				}
				fast, careful = fast+t1.Sub(t0), careful+time.Since(t1)
			}
			b.ReportMetric(float64(fast.Nanoseconds())/float64(b.N), "fast-ns/body")
			b.ReportMetric(float64(careful.Nanoseconds())/float64(b.N), "careful-ns/body")
			b.ReportMetric(fast.Seconds()/careful.Seconds(), "ratio")
		})
	}
}

// plain8 tells eight plain bytes from any eight with a byte a string cannot
// hold as it is, whichever place that byte takes.
func TestPlain8(t *testing.T) {
	for c := range 256 {
		for at := range 8 {
			b := []byte("abcdefgh")
			b[at] = byte(c)
			if got, want := plain8(binary.LittleEndian.Uint64(b)), plain[c]; got != want {
				t.Fatalf("byte %#x at %d: plain8 %v, want %v", c, at, got, want)
			}
		}
	}
	// Bytes of every sort side by side, where one's borrow meets the next.
	r := rand.New(rand.NewPCG(1, 2))
	picks := []byte{0, 0x1f, 0x20, 0x21, '"', 0x23, 0x5b, '\\', 0x5d, 0x7e, 0x7f, 0x80, 0xff, 'a'}
	for range 200000 {
		var b [8]byte
		want := true
		for i := range b {
			b[i] = picks[r.IntN(len(picks))]
			want = want && plain[b[i]]
		}
		if got := plain8(binary.LittleEndian.Uint64(b[:])); got != want {
			t.Fatalf("% x: plain8 %v, want %v", b, got, want)
		}
	}
}

// What the fast path returns holds nothing of the body: the webhook reads
// the next body into the same buffer. Three targets and five modalities
// move the decoder's lists to larger arrays while strings are owed to them.
func TestFastPathResultOutlivesTheBody(t *testing.T) {
	bodies := [][]byte{
		graphtest.Notification("doc-incoming-current.json"),
		graphtest.Notification("doc-incoming-pstn-instance.json"),
		graphtest.StateChange("57dab8b1-894c-409a-b240-bd8beae78896", "deleted", "terminated",
			&graphtest.ResultInfo{Code: "200", Subcode: 5001, Message: "The conversation has ended."}),
		[]byte(`{"value":[{"changeType":"created","resourceUrl":"/communications/calls/a","resourceData":{
			"id":"a","state":"Incoming","direction":"incoming","tenantId":"t","callbackUri":"https://x/cb","terminationReason":"r",
			"requestedModalities":["audio","video","data","screenX","holo\u0067ram"],
			"source":{"identity":{"user":{"id":"u1","displayName":"Zo\u00eb"},"phone":{"id":"+1"}},"region":"emea","languageId":"de-DE"},
			"targets":[{"identity":{"application":{"id":"a1","displayName":"Bot"}},"region":"one"},{"identity":{"user":{"id":"u2","displayName":"Two"}},"languageId":"en-GB"},
				{"identity":{"guest":{"id":"g3","displayName":"Three"}}},{"identity":{"phone":{"id":"+4"}},"region":"four"}]}},
			{"changeType":"updated","resourceUrl":"/communications/calls/b","resourceData":{"state":"established","resultInfo":{"message":"m"}}}]}`),
	}
	for _, body := range bodies {
		want, err := decodeCareful(bytes.TrimSpace(body))
		if err != nil {
			t.Fatal(err)
		}
		buf := bytes.Clone(body)
		got, ok := decodeFast(bytes.TrimSpace(buf))
		if !ok {
			t.Fatalf("%.60s: left to the careful path", body)
		}
		for i := range buf {
			buf[i] = 'X'
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%.60s: after the body was overwritten:\nfast    %#v\ncareful %#v", body, got, want)
		}
	}
}

// A notification's strings take one allocation, not one each.
func TestFastPathAllocations(t *testing.T) {
	if raceDetector {
		t.Skip("allocation counts mean nothing under the race detector")
	}
	body := graphtest.Notification("doc-incoming-current.json")
	decodeFast(body)
	// The list, its notification's call, source, targets and two
	// identities, the modalities, and the one string.
	if n := testing.AllocsPerRun(200, func() { decodeFast(body) }); n > 8 {
		t.Errorf("%.0f allocations to decode Graph's incoming call", n)
	}
}
