package notification_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"ringside/providers/graph/graphtest"
	"ringside/providers/graph/notification"
)

// FuzzDecode feeds the decoder arbitrary bodies, as anyone who can reach the
// webhook could. It must never panic, and whatever it accepts must hold the
// promises the provider relies on.
func FuzzDecode(f *testing.F) {
	for _, name := range graphtest.Notifications() {
		f.Add(graphtest.Notification(name))
	}
	for _, body := range corpus(f) {
		f.Add(body)
	}
	for _, s := range []string{
		``, `{}`, `{"value":[]}`, `{"value":[{}]}`, `{"value":null}`, `[]`,
		`{"value":[{"changeType":"x","resource":"/app/calls/a","resourceData":{"resultInfo":{"code":"1e3"}}}]}`,
		`{"value":[{"changeType":"updated","resourceUrl":"https://h/v1.0/communications/calls/a/participants","resourceData":[{}]}]}`,
		`{"value":[{"changeType":"Deleted","resourceUrl":"/applications/x/calls/y","resourceData":{"targets":null,"source":{"identity":null}}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ns, err := notification.Decode(body)
		var legacy *notification.LegacyError
		if errors.As(err, &legacy) && (legacy.CallID == "" || len(legacy.CallID) > notification.MaxLegacyID) {
			t.Fatalf("legacy call id %q", legacy.CallID)
		}
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error must say what is wrong")
			}
			return
		}
		again, _ := notification.Decode(body)
		if !reflect.DeepEqual(ns, again) {
			t.Fatal("decoding the same body twice gave different results")
		}
		if len(ns) > notification.MaxItems {
			t.Fatalf("%d notifications accepted", len(ns))
		}
		for i, n := range ns {
			if n.ChangeType == "" || string(n.ChangeType) != strings.ToLower(string(n.ChangeType)) {
				t.Fatalf("value[%d]: change type %q", i, n.ChangeType)
			}
			if strings.TrimSpace(n.Resource) == "" {
				t.Fatalf("value[%d]: empty resource accepted", i)
			}
			if (n.Kind == notification.KindOther) != (n.CallID == "") {
				t.Fatalf("value[%d]: kind %d with call id %q", i, n.Kind, n.CallID)
			}
			if strings.ContainsAny(n.CallID, "/?#") {
				t.Fatalf("value[%d]: call id %q holds path characters", i, n.CallID)
			}
			if n.Call != nil {
				if n.Kind != notification.KindCall {
					t.Fatalf("value[%d]: call data on a %d resource", i, n.Kind)
				}
				if n.Call.State != strings.ToLower(n.Call.State) || n.Call.Direction != strings.ToLower(n.Call.Direction) {
					t.Fatalf("value[%d]: enum values not lowered: %+v", i, n.Call)
				}
				if m := n.Call.Meeting; m != nil && m.Organizer == nil && m.JoinMeetingID == "" {
					t.Fatalf("value[%d]: a meeting with neither organizer nor join id", i)
				}
			}
		}
	})
}

// corpus is the real notification bodies of ../testdata/corpus.
func corpus(tb testing.TB) [][]byte {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "corpus", "*.json"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no corpus: %v", err)
	}
	bodies := make([][]byte, 0, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	return bodies
}
