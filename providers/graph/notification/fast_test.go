package notification

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

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
		fast, ok := decodeFast(body)
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
		fast, ok := decodeFast(body)
		if name == "doc-participants.json" {
			if ok {
				t.Errorf("%s: a roster array must go to the careful path", name)
			}
			continue
		}
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
