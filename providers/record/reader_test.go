package record

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ringside/providers"
	"ringside/providers/jsonstream"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

const goodHeader = `{"type":"recording","format":1,"provider":"demo","ringside":"test","started":"2026-11-23T09:00:00Z"}`

// callLine is a --json call line for a ringing call id at t.
func callLine(t *testing.T, id string, at time.Time) string {
	t.Helper()
	c := providers.Call{ID: id, Provider: "demo", State: providers.StateRinging, Arrived: at, AnswerBy: at.Add(15 * time.Second),
		From: providers.Party{Name: "Ana Lima", ID: "+14255550100", Kind: providers.KindPhone}, Version: 1}
	b, err := jsonstream.MarshalEvent("demo", providers.CallEvent(at, c))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// readAll reads a recording to its end and returns its entries and how it
// ended (nil at a clean end).
func readAll(t *testing.T, text string) (Header, []Entry, error) {
	t.Helper()
	rd, err := NewReader(strings.NewReader(text))
	if err != nil {
		return Header{}, nil, err
	}
	var es []Entry
	for {
		e, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return rd.Header(), es, nil
		}
		if err != nil {
			return rd.Header(), es, err
		}
		es = append(es, e)
	}
}

func TestReaderReadsEveryLineType(t *testing.T) {
	status, _ := jsonstream.MarshalEvent("demo", providers.StatusEvent(t0, providers.Status{Link: providers.LinkLive, Detail: "simulated"}))
	action := `{"time":"2026-11-23T09:00:02Z","type":"action","action":"reject","call":"c1","reason":"busy","result":"ok","took_ms":3}`
	text := goodHeader + "\n" + string(status) + "\n" + callLine(t, "c1", t0.Add(time.Second)) + "\n\n" + action + "\n"
	h, es, err := readAll(t, text)
	if err != nil {
		t.Fatal(err)
	}
	if h.Provider != "demo" || h.Format != 1 || !h.Started.Equal(t0) {
		t.Fatalf("header %+v", h)
	}
	if len(es) != 3 || es[0].Status == nil || es[1].Call == nil || es[2].Action == nil {
		t.Fatalf("entries %+v", es)
	}
	if es[0].Line != 2 || es[1].Line != 3 || es[2].Line != 5 {
		t.Errorf("line numbers %d %d %d, want 2 3 5 (a blank line counts)", es[0].Line, es[1].Line, es[2].Line)
	}
	if es[1].Call.ID != "c1" || !es[1].Time.Equal(t0.Add(time.Second)) || es[2].Action.Reason != "busy" {
		t.Errorf("entries read wrong: %+v %+v", es[1].Call, es[2].Action)
	}
}

func TestReaderRefusesWhatIsNotARecording(t *testing.T) {
	for name, tc := range map[string]struct {
		text string
		want []string
	}{
		"empty":           {"", []string{"not a ringside recording", "empty"}},
		"a --json stream": {callLine(t, "c1", t0) + "\n", []string{"line 1", "not a ringside recording", "call line of --json", "--record"}},
		"not JSON":        {"hello\n", []string{"line 1", "not a ringside recording", "not JSON"}},
		"no type":         {`{"format":1}` + "\n", []string{"line 1", "no type"}},
		"another type":    {`{"type":"board"}` + "\n", []string{"line 1", `"board"`}},
		"future format":   {strings.Replace(goodHeader, `"format":1`, `"format":2`, 1) + "\n", []string{"line 1", "format 2", "format 1", "newer"}},
		"format zero":     {strings.Replace(goodHeader, `"format":1`, `"format":0`, 1) + "\n", []string{"line 1", "format 0"}},
		"format a string": {strings.Replace(goodHeader, `"format":1`, `"format":"1"`, 1) + "\n", []string{"line 1", `"format"`}},
		"no start":        {strings.Replace(goodHeader, `,"started":"2026-11-23T09:00:00Z"`, "", 1) + "\n", []string{"line 1", "start"}},
		"no provider":     {strings.Replace(goodHeader, `"provider":"demo",`, "", 1) + "\n", []string{"line 1", "provider"}},
		"cut header":      {goodHeader[:40], []string{"line 1"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := readAll(t, tc.text)
			if err == nil {
				t.Fatal("read as a recording")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	_, _, err := readAll(t, callLine(t, "c1", t0)+"\n")
	if !errors.Is(err, ErrNotRecording) {
		t.Errorf("a --json stream: %v is not ErrNotRecording", err)
	}
}

func TestReaderRefusesBadLinesWithTheirNumber(t *testing.T) {
	good := callLine(t, "c1", t0)
	for name, tc := range map[string]struct {
		line string
		want string
	}{
		"not JSON":            {`{"time":`, "not valid JSON"},
		"time of wrong type":  {`{"time":5,"type":"call"}`, `"time"`},
		"no time":             {`{"type":"call","call":{"id":"c1","state":"ringing"}}`, "no time"},
		"no type":             {`{"time":"2026-11-23T09:00:00Z"}`, "no type"},
		"call without a call": {`{"time":"2026-11-23T09:00:00Z","type":"call"}`, "no call"},
		"call id a number":    {`{"time":"2026-11-23T09:00:00Z","type":"call","call":{"id":7,"state":"ringing"}}`, `field "id"`},
		"unsafe call id":      {`{"time":"2026-11-23T09:00:00Z","type":"call","call":{"id":"../x","state":"ringing"}}`, "call id"},
		"unknown state":       {`{"time":"2026-11-23T09:00:00Z","type":"call","call":{"id":"c1","state":"dancing"}}`, "unknown state"},
		"status of a link":    {`{"time":"2026-11-23T09:00:00Z","type":"status","status":"asleep"}`, "unknown link"},
		"unknown action":      {`{"time":"2026-11-23T09:00:00Z","type":"action","action":"fly","result":"ok"}`, "unknown action"},
		"action result":       {`{"time":"2026-11-23T09:00:00Z","type":"action","action":"answer","call":"c1","result":"maybe"}`, "result"},
		"unknown line type":   {`{"time":"2026-11-23T09:00:00Z","type":"board"}`, "unknown line type"},
		"a second header":     {goodHeader, "second header"},
		"over the bound":      {`{"time":"2026-11-23T09:00:00Z","type":"status","status":"live","detail":"` + strings.Repeat("x", MaxLine) + `"}`, "longer than 64 KiB"},
	} {
		t.Run(name, func(t *testing.T) {
			text := goodHeader + "\n" + good + "\n" + tc.line + "\n" + good + "\n"
			_, es, err := readAll(t, text)
			var le *LineError
			if !errors.As(err, &le) || le.Line != 3 {
				t.Fatalf("error %v, want one naming line 3", err)
			}
			if !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if len(err.Error()) > 400 {
				t.Errorf("the error quotes too much: %d bytes", len(err.Error()))
			}
			if len(es) != 1 {
				t.Errorf("%d entries before the bad line, want 1", len(es))
			}
		})
	}
}

// A recording stopped while writing a line ends, for a reader, at the last
// whole line, with ErrCut naming the cut one.
func TestReaderCutLastLine(t *testing.T) {
	lines := []string{goodHeader, callLine(t, "c1", t0), callLine(t, "c2", t0.Add(time.Second)), callLine(t, "c3", t0.Add(2*time.Second))}
	whole := strings.Join(lines, "\n") + "\n"
	cutAt := len(whole) - len(lines[3])/2
	_, es, err := readAll(t, whole[:cutAt])
	var le *LineError
	if !errors.Is(err, ErrCut) || !errors.As(err, &le) || le.Line != 4 {
		t.Fatalf("error %v, want ErrCut at line 4", err)
	}
	if len(es) != 2 || es[1].Call.ID != "c2" {
		t.Fatalf("entries %d, want c1 and c2", len(es))
	}

	// Stopped between a whole line and its newline: the line counts.
	_, es, err = readAll(t, whole[:len(whole)-1])
	if err != nil || len(es) != 3 {
		t.Fatalf("%d entries, err %v; want all 3", len(es), err)
	}
}

// FuzzRead: whatever a file holds, reading it never panics, every error
// names its line, and every call read back passes the contract's checks.
func FuzzRead(f *testing.F) {
	f.Add([]byte(goodHeader + "\n"))
	f.Add([]byte(goodHeader + "\n" + `{"time":"2026-11-23T09:00:00Z","type":"call","call":{"id":"c1","state":"ringing"}}` + "\n"))
	f.Add([]byte(goodHeader + "\n" + `{"time":"2026-11-23T09:00:00Z","type":"status","provider":"demo","status":"live"}` + "\n"))
	f.Add([]byte(goodHeader + "\n" + `{"time":"2026-11-23T09:00:02Z","type":"action","action":"hold","call":"c1","result":"error","error":"x","kind":"ended","took_ms":3}`))
	f.Add([]byte(strings.Replace(goodHeader, `"format":1`, `"format":9`, 1)))
	f.Add([]byte("\n\n{}\n"))
	if b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "demo.jsonl")); err == nil && len(b) > 4096 {
		f.Add(b[:4096]) // a cut piece of the shipped recording
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		rd, err := NewReader(bytes.NewReader(b))
		if err != nil {
			if !strings.Contains(err.Error(), "line 1") && !errors.Is(err, ErrNotRecording) {
				t.Fatalf("header error without its line: %v", err)
			}
			return
		}
		for n := 0; ; n++ {
			if n > len(b) {
				t.Fatal("more entries than bytes")
			}
			e, err := rd.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				var le *LineError
				if !errors.As(err, &le) || le.Line < 2 {
					t.Fatalf("error without its line: %v", err)
				}
				return
			}
			if e.Call != nil {
				if err := providers.CheckCallID(e.Call.ID); err != nil || !e.Call.State.Valid() {
					t.Fatalf("a call the contract refuses was read: %+v", e.Call)
				}
			}
			if (e.Call != nil) == (e.Status != nil) && (e.Status != nil) == (e.Action != nil) {
				t.Fatalf("an entry of no kind or of two: %+v", e)
			}
		}
	})
}
