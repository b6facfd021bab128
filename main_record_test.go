package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/nats-io/nats.go"

	"ringside/providers"
	"ringside/providers/jsonstream"
	"ringside/providers/natsboard/wire"
	"ringside/providers/record"
)

// outcomes is the (id, state, outcome, end code) of every call line of a
// JSON stream or a recording, in order.
func outcomes(t *testing.T, stream string) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(strings.NewReader(stream))
	sc.Buffer(nil, record.MaxLine)
	for sc.Scan() {
		var line struct {
			Type string `json:"type"`
			Call *struct {
				ID      string `json:"id"`
				State   string `json:"state"`
				Outcome string `json:"outcome"`
				End     *struct {
					Code    int `json:"code"`
					Subcode int `json:"subcode"`
				} `json:"end"`
			} `json:"call"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("not JSON: %q", sc.Text())
		}
		if line.Type != "call" {
			continue
		}
		c := line.Call
		s := c.ID + " " + c.State + " " + c.Outcome
		if c.End != nil {
			s += " " + strings.Join([]string{itoa(c.End.Code), itoa(c.End.Subcode)}, "/")
		}
		out = append(out, s)
	}
	return out
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// A demo run recorded through --json --record and replayed at --speed 100
// with --json gives the same calls, in the same states, with the same
// outcomes and end codes, in the same order as the console was given.
func TestRecordAndReplayRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo.jsonl")
	live := streamUntil(t, "not enough calls", func(out string) bool { return strings.Count(out, `"state":"ended"`) >= 30 },
		"--json", "--record", path, "--demo-seed", "5", "--demo-rate", "3000", "--demo-calls", "8", "--answer-window", "1s")
	want := outcomes(t, live)

	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(t, string(b)); !slices.Equal(got, want) {
		t.Fatalf("the recording is not what the stream had:\n%d lines recorded, %d streamed", len(got), len(want))
	}

	te := newTestEnv(nil)
	if code := run([]string{"--json", "--provider", "replay", "--replay", path, "--speed", "100"}, te.env()); code != exitOK {
		t.Fatalf("replay: exit %d: %s", code, te.stderr.String())
	}
	got := outcomes(t, te.stdout.String())
	if !slices.Equal(got, want) {
		i := 0
		for i < min(len(got), len(want)) && got[i] == want[i] {
			i++
		}
		t.Fatalf("the replay differs from the run at call line %d of %d/%d", i+1, len(got), len(want))
	}
	if !strings.Contains(te.stdout.String(), `"detail":"replay of demo.jsonl ×100 · read-only · the recording ends here"`) {
		t.Error("no status saying the replay ended")
	}
}

// The shipped recording (made with the demo, redacted) plays to its end.
func TestShippedDemoRecordingPlays(t *testing.T) {
	const path = "testdata/demo.jsonl"
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Size() > 200<<10 {
		t.Errorf("%s is %d bytes, over 200 KiB", path, info.Size())
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	rd, err := record.NewReader(f)
	f.Close()
	if err != nil || !rd.Header().Redacted || rd.Header().Provider != "demo" {
		t.Fatalf("header %+v, %v: want a redacted demo recording", rd.Header(), err)
	}

	te := newTestEnv(nil)
	if code := run([]string{"--json", "--provider", "replay", "--replay", path, "--speed", "10000"}, te.env()); code != exitOK {
		t.Fatalf("exit %d: %s", code, te.stderr.String())
	}
	calls := outcomes(t, te.stdout.String())
	ended := 0
	for _, c := range calls {
		if strings.Contains(c, " ended ") {
			ended++
		}
	}
	if len(calls) < 50 || ended < 15 {
		t.Fatalf("%d call lines, %d ends: not a few minutes of the demo", len(calls), ended)
	}
	if !strings.Contains(te.stdout.String(), "the recording ends here") || te.stderr.Len() != 0 {
		t.Fatalf("did not play to its end: %s", te.stderr.String())
	}
}

func TestRecordAndReplayFlagsRefused(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "old.jsonl")
	os.WriteFile(existing, []byte("x"), 0o600)
	notRecording := filepath.Join(dir, "stream.jsonl")
	os.WriteFile(notRecording, []byte(`{"time":"2026-11-23T09:00:05Z","type":"call","call":{"id":"c1","state":"ringing"}}`+"\n"), 0o600)
	shipped := filepath.Join("testdata", "demo.jsonl")
	for name, tc := range map[string]struct {
		args []string
		want []string
	}{
		"redact without a file":        {[]string{"--json", "--record-redact"}, []string{"--record-redact needs --record FILE"}},
		"a recording is not rewritten": {[]string{"--json", "--record", existing}, []string{"exists"}},
		"not a recording":              {[]string{"--json", "--provider", "replay", "--replay", notRecording}, []string{"line 1", "not a ringside recording"}},
		"no file to replay":            {[]string{"--json", "--provider", "replay"}, []string{"--replay FILE"}},
		"a one-shot on a replay":       {[]string{"answer", "--provider", "replay", "--replay", shipped, "c1"}, []string{"one-shot commands need"}},
		"speed":                        {[]string{"--json", "--provider", "replay", "--replay", shipped, "--speed", "0"}, []string{"--speed 0"}},
	} {
		t.Run(name, func(t *testing.T) {
			te := newTestEnv(nil)
			if code := run(tc.args, te.env()); code != exitUsage {
				t.Fatalf("exit %d, want %d: %s", code, exitUsage, te.stderr.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(te.stderr.String(), w) {
					t.Errorf("stderr %q does not say %q", te.stderr.String(), w)
				}
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "x" {
		t.Error("an existing file was written over")
	}
}

// The console on a replay is read-only without --replay-act: an action key
// says so, and nothing is sent.
func TestReplayConsoleIsReadOnly(t *testing.T) {
	for name, tc := range map[string]struct {
		args     []string
		readOnly bool
	}{
		"replay":               {[]string{"--provider", "replay", "--replay", "testdata/demo.jsonl", "--theme", "mono"}, true},
		"replay, --replay-act": {[]string{"--provider", "replay", "--replay", "testdata/demo.jsonl", "--replay-act", "--theme", "mono"}, false},
	} {
		t.Run(name, func(t *testing.T) {
			te := newTestEnv(nil)
			e := te.env()
			var view string
			e.runConsole = func(m tea.Model, _ ...tea.ProgramOption) error {
				m, _ = m.Update(tea.WindowSizeMsg{Width: 120, Height: 35})
				m, _ = m.Update(tea.KeyPressMsg{Code: 'a', Text: "a"})
				view = m.View().Content
				return nil
			}
			if code := run(tc.args, e); code != exitOK {
				t.Fatalf("exit %d: %s", code, te.stderr.String())
			}
			if got := strings.Contains(view, "read-only console"); got != tc.readOnly {
				t.Errorf("read-only %v, want %v:\n%s", got, tc.readOnly, view)
			}
		})
	}
}

// A one-shot command with --record records its action and result.
func TestOneShotRecordsItsAction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "oneshot.jsonl")
	p := &controlProvider{name: "graph", err: providers.ErrNotAllowed}
	code, _, stderr := runWith(p, "hold", "--record", path, "C1")
	if code != exitFailed {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"type":"recording"`) || !strings.Contains(lines[0], `"provider":"graph"`) ||
		!strings.Contains(lines[1], `"action":"hold","call":"C1","result":"error"`) || !strings.Contains(lines[1], `"kind":"not-allowed"`) {
		t.Fatalf("recording:\n%s", b)
	}
}

// `ringside relay --record`: the provider's events and the actions the
// relay's consoles send are recorded, and the board is published as ever.
func TestRelayRecords(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "relay.jsonl")
	rr := startRelayCmd(t, "--board", "front", "--demo-seed", "5", "--demo-calls", "3", "--demo-rate", "0",
		"--nats-listen", "127.0.0.1:0", "--nats-store", filepath.Join(dir, "store"), "--record", path)
	url := rr.url(t)
	kv := boardKV(t, url, "front")
	deadline := time.Now().Add(30 * time.Second)
	for liveCalls(t, kv) < 3 {
		if time.Now().After(deadline) {
			t.Fatal("the demo's calls never reached the board")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The demo's first call always rings, through a queue: it can be
	// rejected. Reject it as a console would.
	keys, err := kv.ListKeysFiltered(context.Background(), wire.CallsPattern)
	if err != nil {
		t.Fatal(err)
	}
	var ringingID string
	for k := range keys.Keys() {
		e, _ := kv.Get(context.Background(), k)
		if c, err := jsonstream.UnmarshalCall(e.Value()); err == nil && c.Can(providers.ActionReject) {
			ringingID = c.ID
		}
	}
	if ringingID == "" {
		t.Fatal("no call to reject on the board")
	}
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	req, _ := json.Marshal(wire.Request{ID: ringingID, Reason: "busy"})
	if _, err := nc.Request(wire.ActionSubject("front", "reject"), req, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if code := rr.interrupt(t); code != exitOK {
		t.Fatalf("exit %d:\n%s", code, rr.stderr.String())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	if !strings.HasPrefix(text, `{"type":"recording","format":1,"provider":"demo"`) ||
		!strings.Contains(text, `"type":"action","action":"reject","call":"`+ringingID+`","reason":"busy","result":"ok"`) ||
		!strings.Contains(text, `"id":"`+ringingID+`","provider":"demo","state":"ended"`) {
		t.Fatalf("recording:\n%s", text)
	}
}
