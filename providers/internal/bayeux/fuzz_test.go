package bayeux

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// FuzzDecodeResponse feeds the response decoder anything at all: it must
// never panic, and it must read exactly what encoding/json reads (the same
// messages, the same skipped ones, the same point where the body stops
// being JSON).
//
//	go test -run '^$' -fuzz FuzzDecodeResponse -fuzztime 3m ./providers/internal/bayeux/
func FuzzDecodeResponse(f *testing.F) {
	for _, tc := range decodeCases {
		f.Add([]byte(tc.body))
	}
	f.Add(burstBody(3))
	f.Fuzz(func(t *testing.T, body []byte) {
		var got []message
		batches := 0
		err := parseMessages(body, func(batch []message) {
			if len(batch) == 0 || len(batch) > deliverBatch {
				t.Fatalf("batch of %d messages", len(batch))
			}
			batches++
			got = append(got, batch...)
		})
		want, skipped, truncated, refErr := referenceDecode(body)
		if (refErr != nil) != (err != nil && !isDecodeErr(err)) {
			t.Fatalf("error %v, reference %v", err, refErr)
		}
		if refErr != nil {
			if len(got) != 0 {
				t.Fatalf("messages delivered from a body that is not a response: %v", got)
			}
			return
		}
		var de *decodeError
		if errors.As(err, &de) {
			if de.Skipped != skipped || de.Truncated != truncated {
				t.Fatalf("skipped %d truncated %v, reference %d %v (%v)", de.Skipped, de.Truncated, skipped, truncated, err)
			}
		} else if err != nil || skipped != 0 || truncated {
			t.Fatalf("error %v, reference skipped %d truncated %v", err, skipped, truncated)
		}
		if len(got) != len(want) {
			t.Fatalf("%d messages, reference %d", len(got), len(want))
		}
		for i := range got {
			if !reflect.DeepEqual(normal(got[i]), normal(want[i])) {
				t.Fatalf("message %d:\n got %+v\nwant %+v", i, got[i], want[i])
			}
			if got[i].Data != nil && !bytes.Contains(body, got[i].Data) {
				t.Fatalf("message %d: data %q is not a slice of the body", i, got[i].Data)
			}
			// Consumers rely on it (Event.Data).
			if got[i].Data != nil && !json.Valid(got[i].Data) {
				t.Fatalf("message %d: data %q is not one JSON value", i, got[i].Data)
			}
		}
	})
}

func isDecodeErr(err error) bool {
	var de *decodeError
	return errors.As(err, &de)
}

// normal makes two equal messages DeepEqual: raw fields compare by content.
func normal(m message) message {
	if m.Data != nil {
		m.Data = append([]byte{}, m.Data...)
	}
	if m.Ext != nil {
		m.Ext = append([]byte{}, m.Ext...)
	}
	return m
}
