package ui

import (
	"bytes"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"ringside/providers"
	"ringside/theme"
)

// syncClock is a clock the test moves while a program reads it from its
// own goroutine.
type syncClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *syncClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *syncClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// consoleRun is a real Bubble Tea program over the console, fed by the test,
// on a clock the test moves. The countdown's tick is real (10 Hz while a
// call rings), so a moved clock is seen within a tenth of a second.
type consoleRun struct {
	t   *testing.T
	tm  *teatest.TestModel
	out *screenLog
	clk *syncClock
}

func startConsole(t *testing.T, cfg Config) *consoleRun {
	t.Helper()
	clk := &syncClock{t: t0}
	if cfg.Provider == nil {
		cfg.Provider = newFake()
	}
	cfg.Theme, cfg.Now = theme.Mono, clk.now
	tm := teatest.NewTestModel(t, New(cfg), teatest.WithInitialTermSize(110, 24),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.ASCII)))
	return &consoleRun{t: t, tm: tm, out: &screenLog{r: tm.Output()}, clk: clk}
}

// ring sends calls as a provider's batch, at the clock's time, text cleaned
// as every provider's is (providers.CallEvent).
func (r *consoleRun) ring(calls ...providers.Call) {
	evs := make([]providers.Event, len(calls))
	for i, c := range calls {
		evs[i] = providers.CallEvent(r.clk.now(), c)
	}
	r.tm.Send(eventsMsg{events: evs})
}

// mark shows word in the header (the link's detail) and waits until it is on
// screen: a frame drawn, with everything sent before it applied.
func (r *consoleRun) mark(word string) {
	r.t.Helper()
	r.tm.Send(eventsMsg{events: []providers.Event{providers.StatusEvent(r.clk.now(), providers.Status{Link: providers.LinkLive, Detail: word})}})
	r.out.waitFor(r.t, word)
}

// finish quits and returns every byte the program wrote.
func (r *consoleRun) finish() []byte {
	r.t.Helper()
	r.tm.Type("q")
	rest, err := io.ReadAll(r.tm.FinalOutput(r.t, teatest.WithFinalTimeout(5*time.Second)))
	if err != nil {
		r.t.Fatal(err)
	}
	return append(bytes.Clone(r.out.buf.Bytes()), rest...)
}

// oscString matches one OSC string, BEL- or ST-terminated.
var oscString = regexp.MustCompile("\x1b\\][^\x07\x1b]*(?:\x07|\x1b\\\\)")

// bells counts the terminal bells in out: BELs that do not end an OSC
// string (a title, a notification).
func bells(out []byte) int { return bytes.Count(oscString.ReplaceAll(out, nil), []byte{'\a'}) }

// notifications returns the OSC 9 and OSC 777 strings in out that are
// notifications (OSC 9 ; 4 is the progress bar the countdown drives).
func notifications(out []byte) []string {
	var got []string
	for _, m := range oscString.FindAll(out, -1) {
		s := string(m)
		if (strings.HasPrefix(s, "\x1b]9;") && !strings.HasPrefix(s, "\x1b]9;4;")) || strings.HasPrefix(s, "\x1b]777;") {
			got = append(got, s)
		}
	}
	return got
}

// titles returns the window titles out sets, in order.
func titles(out []byte) []string {
	var got []string
	for _, m := range oscString.FindAll(out, -1) {
		if s := string(m); strings.HasPrefix(s, "\x1b]2;") {
			got = append(got, strings.TrimSuffix(strings.TrimPrefix(s, "\x1b]2;"), "\a"))
		}
	}
	return got
}

// Calls that start ringing within a second share one alert at its end: the
// bell and the notification appear in the program's output exactly once per
// coalesced second, never before the second is over.
func TestAlertOncePerCoalescedSecond(t *testing.T) {
	r := startConsole(t, Config{Bell: true, Notify: NotifyOSC777})

	r.ring(ringing("c1", "Adele Vance", t0))
	r.out.waitFor(t, "Adele Vance")
	r.clk.set(t0.Add(300 * time.Millisecond))
	r.ring(ringing("c2", "Brian Okafor", r.clk.now()))
	r.out.waitFor(t, "Brian Okafor")
	r.clk.set(t0.Add(900 * time.Millisecond))
	r.mark("alpha")
	if n := bells(r.out.buf.Bytes()); n != 0 || len(notifications(r.out.buf.Bytes())) != 0 {
		t.Fatalf("alerted before the second was over: %d bells, %q", n, notifications(r.out.buf.Bytes()))
	}

	r.clk.set(t0.Add(time.Second))
	first := "\a\x1b]777;notify;ringside: 2 calls ringing;Adele Vance · Front desk, Brian Okafor · Front desk\a"
	r.out.waitFor(t, first)

	// The next second: two more calls, one alert for both.
	r.clk.set(t0.Add(1200 * time.Millisecond))
	r.ring(ringing("c3", "Chiara Rossi", r.clk.now()))
	r.out.waitFor(t, "Chiara Rossi")
	r.clk.set(t0.Add(1500 * time.Millisecond))
	r.ring(ringing("c4", "Dmitri Ivanov", r.clk.now()))
	r.out.waitFor(t, "Dmitri Ivanov")
	r.clk.set(t0.Add(2200 * time.Millisecond))
	second := "\a\x1b]777;notify;ringside: 2 calls ringing;Chiara Rossi · Front desk, Dmitri Ivanov · Front desk\a"
	r.out.waitFor(t, second)

	// A call alone is named alone.
	r.clk.set(t0.Add(4 * time.Second))
	r.ring(ringing("c5", "Erik Larsen", r.clk.now()))
	r.out.waitFor(t, "Erik Larsen")
	r.clk.set(t0.Add(5 * time.Second))
	third := "\a\x1b]777;notify;ringside: Call ringing;Erik Larsen · Front desk\a"
	r.out.waitFor(t, third)
	r.clk.set(t0.Add(7 * time.Second))
	r.mark("bravo")

	out := r.finish()
	for _, want := range []string{first, second, third} {
		if n := bytes.Count(out, []byte(want)); n != 1 {
			t.Errorf("alert %q written %d times, want once", want, n)
		}
	}
	if n := bells(out); n != 3 {
		t.Errorf("%d bells, want 3 (one per coalesced second)", n)
	}
	if got := notifications(out); len(got) != 3 {
		t.Errorf("%d notifications, want 3: %q", len(got), got)
	}
}

// The window title carries the live counts, and Bubble Tea writes it only
// when they change: frames drawn with the same counts do not send it again.
func TestWindowTitleFollowsCountsOnly(t *testing.T) {
	r := startConsole(t, Config{})
	r.mark("idle")
	c1 := ringing("c1", "Adele Vance", t0)
	r.ring(c1, ringing("c2", "Brian Okafor", t0))
	r.out.waitFor(t, "Adele Vance", "Brian Okafor")
	// Frames with the same counts: the countdown moves, the header changes.
	for i, word := range []string{"alpha", "bravo", "delta"} {
		r.clk.set(t0.Add(time.Duration(i+1) * time.Second))
		r.mark(word)
	}
	r.ring(answered(c1, r.clk.now()))
	r.mark("mike")
	r.clk.set(t0.Add(5 * time.Second))
	r.mark("oscar")

	got := titles(r.finish())
	want := []string{"ringside", "ringside · 2 ringing", "ringside · 1 ringing · 1 active"}
	// The program clears the title it set when it ends.
	if len(got) > 0 && got[len(got)-1] == "" {
		got = got[:len(got)-1]
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("titles written %q, want %q: once each, in order", got, want)
	}
}

// A read-only console (a supervisor's, a wallboard) rings nothing: no bell,
// no notification, however many calls ring.
func TestAlertReadOnlyRingsNothing(t *testing.T) {
	r := startConsole(t, Config{ReadOnly: true, Bell: true, Notify: NotifyOSC9})
	r.ring(ringing("c1", "Adele Vance", t0), ringing("c2", "Brian Okafor", t0))
	r.out.waitFor(t, "Adele Vance", "Brian Okafor")
	r.clk.set(t0.Add(3 * time.Second))
	r.mark("alpha")
	r.clk.set(t0.Add(4 * time.Second))
	r.mark("bravo")
	out := r.finish()
	if n := bells(out); n != 0 {
		t.Errorf("%d bells on a read-only console", n)
	}
	if got := notifications(out); len(got) != 0 {
		t.Errorf("notifications on a read-only console: %q", got)
	}
}

// A caller's name is network text: whatever it carries (escape sequences of
// its own, a BEL, 8-bit controls, semicolons), the notification stays one
// sequence with the fields it should have, and nothing else reaches the
// terminal. The event is sent as it came, uncleaned, so the alert's own
// cleaning is what is tested.
func TestAlertHostileCallerCannotInject(t *testing.T) {
	hostile := ringing("c1", "Mallory\x1b]777;notify;pwned;gotcha\x07\x1b]2;owned\x07\a\u009d0;evil\u009c;x\x1b[2J", t0)
	hostile.Queue = "Sales;\x1b]9;4;3;50\x07\r\nnext" + strings.Repeat("Z", 5000)
	for _, mode := range []Notify{NotifyOSC9, NotifyOSC777} {
		t.Run(mode.String(), func(t *testing.T) {
			r := startConsole(t, Config{Bell: true, Notify: mode})
			c := hostile.Clone()
			r.tm.Send(eventsMsg{events: []providers.Event{{Time: t0, Call: &c}}})
			r.out.waitFor(t, "Mallory")
			r.clk.set(t0.Add(time.Second))
			prefix := map[Notify]string{NotifyOSC9: "\x1b]9;ringside: Call ringing: Mallory", NotifyOSC777: "\x1b]777;notify;ringside: Call ringing;Mallory"}[mode]
			r.out.waitFor(t, prefix)
			out := r.finish()

			got := notifications(out)
			if len(got) != 1 {
				t.Fatalf("want exactly one notification, got %q", got)
			}
			payload := strings.TrimSuffix(got[0][2:], "\a")
			checkNotifyPayload(t, payload, mode)
			for _, bad := range []string{"pwned", "owned", "evil", "4;3;50"} {
				if strings.Contains(payload, bad) {
					t.Errorf("the notification carries %q from the caller's escape sequences: %q", bad, payload)
				}
			}
			for _, title := range titles(out) {
				if title != "" && !strings.HasPrefix(title, "ringside") {
					t.Errorf("a title the console did not set: %q", title)
				}
			}
			if n := bells(out); n != 1 {
				t.Errorf("%d bells, want the console's one", n)
			}
		})
	}
}

// checkNotifyPayload checks a notification's payload (without ESC ] and the
// final BEL): printable text only, bounded, the fields the sequence has.
func checkNotifyPayload(t *testing.T, payload string, mode Notify) {
	t.Helper()
	if !utf8.ValidString(payload) {
		t.Errorf("invalid UTF-8 in %q", payload)
	}
	for _, r := range payload {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
			t.Fatalf("control %U in the notification %q", r, payload)
		}
	}
	if n := utf8.RuneCountInString(payload); n > 300 {
		t.Errorf("notification of %d characters", n)
	}
	switch mode {
	case NotifyOSC9:
		if !strings.HasPrefix(payload, "9;ringside: ") {
			t.Errorf("OSC 9 text must start with words, not digits: %q", payload)
		}
	case NotifyOSC777:
		if parts := strings.Split(payload, ";"); len(parts) != 4 || parts[0] != "777" || parts[1] != "notify" {
			t.Errorf("OSC 777 must have exactly notify, a title and a body: %q", parts)
		}
	}
}

// rawOf runs cmd as Bubble Tea would and returns the raw output it asks for.
// Only for a harness's commands, which return at once: its ticks fire at
// once and it has no event channel.
func rawOf(cmd tea.Cmd) []string {
	if cmd == nil {
		return nil
	}
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		var out []string
		for _, c := range msg {
			out = append(out, rawOf(c)...)
		}
		return out
	case tea.RawMsg:
		return []string{msg.Msg.(string)}
	}
	return nil
}

// update applies msg and returns the raw output of the commands it returns.
func (hs *harness) update(msg tea.Msg) []string {
	hs.t.Helper()
	_, cmd := hs.m.Update(msg)
	return rawOf(cmd)
}

func (hs *harness) batch(calls ...providers.Call) eventsMsg {
	evs := make([]providers.Event, len(calls))
	for i, c := range calls {
		evs[i] = providers.CallEvent(hs.clk.t, c)
	}
	return eventsMsg{events: evs}
}

var countWords = regexp.MustCompile(`ringside: (\d+) calls ringing`)

// A flood of 100 calls a second for three seconds gives three alerts, a
// second apart at least, which between them count every call once.
func TestAlertStormIsOnePerSecond(t *testing.T) {
	hs := newHarness(t, 110, 24, func(c *Config) { c.Bell, c.Notify = true, NotifyOSC777 })
	var alerts []string
	var at []time.Time
	n := 0
	for step := 0; step <= 35; step++ {
		hs.clk.set(t0.Add(time.Duration(step) * 100 * time.Millisecond))
		var got []string
		if step < 30 {
			calls := make([]providers.Call, 10)
			for i := range calls {
				calls[i] = ringing("s"+strconv.Itoa(n), "Caller "+strconv.Itoa(n), hs.clk.t)
				n++
			}
			got = append(got, hs.update(hs.batch(calls...))...)
		}
		got = append(got, hs.update(tickMsg{gen: hs.m.tick.gen})...)
		for range got {
			at = append(at, hs.clk.t)
		}
		alerts = append(alerts, got...)
	}
	if len(alerts) != 3 {
		t.Fatalf("%d alerts for 3 s of 100 calls/s, want 3: %q", len(alerts), alerts)
	}
	total := 0
	for i, a := range alerts {
		m := countWords.FindStringSubmatch(a)
		if m == nil || !strings.HasPrefix(a, "\a") {
			t.Fatalf("alert %q: want a bell and a count of calls", a)
		}
		c, _ := strconv.Atoi(m[1])
		total += c
		if i > 0 && at[i].Sub(at[i-1]) < time.Second {
			t.Errorf("alerts at %v and %v: less than a second apart", at[i-1], at[i])
		}
		if !strings.Contains(a, "+"+strconv.Itoa(c-alertShown)+" more") {
			t.Errorf("alert %q does not say how many more than it names", a)
		}
	}
	if total != 300 {
		t.Errorf("alerts count %d calls, want each of the 300 once", total)
	}
}

// Only a ring this console may act on alerts: not one on a read-only
// console, not a call that allows nothing or whose actions the provider
// does not offer, not a call that stopped ringing before its second was
// over, not a call ringing on (a new version of one that rang already).
func TestAlertOnlyForCallsThisConsoleMayTake(t *testing.T) {
	one := func(tb testing.TB, cfg func(*Config), feed func(hs *harness) []string) []string {
		hs := newHarness(tb, 110, 24, func(c *Config) {
			c.Bell, c.Notify = true, NotifyOSC9
			if cfg != nil {
				cfg(c)
			}
		})
		out := feed(hs)
		hs.clk.advance(time.Second)
		return append(out, hs.update(tickMsg{gen: hs.m.tick.gen})...)
	}
	ringOne := func(c providers.Call) func(hs *harness) []string {
		return func(hs *harness) []string { return hs.update(hs.batch(c)) }
	}
	a := ringing("c1", "Adele Vance", t0)

	if got := one(t, nil, ringOne(a)); len(got) != 1 || got[0] != "\a\x1b]9;ringside: Call ringing: Adele Vance · Front desk\a" {
		t.Fatalf("a call that rings: alerts %q", got)
	}
	if got := one(t, func(c *Config) { c.ReadOnly = true }, ringOne(a)); len(got) != 0 {
		t.Errorf("read-only: alerts %q", got)
	}
	noCaps := next(a, func(c *providers.Call) { c.Caps = 0 })
	if got := one(t, nil, ringOne(noCaps)); len(got) != 0 {
		t.Errorf("a call that allows nothing: alerts %q", got)
	}
	watchOnly := func(c *Config) {
		p := newFake()
		p.offers = providers.Caps(providers.ActionHangup)
		c.Provider = p
	}
	if got := one(t, watchOnly, ringOne(a)); len(got) != 0 {
		t.Errorf("a provider that offers no action on a ringing call: alerts %q", got)
	}
	gone := func(hs *harness) []string {
		out := hs.update(hs.batch(a))
		hs.clk.advance(500 * time.Millisecond)
		return append(out, hs.update(hs.batch(ended(a, hs.clk.t, providers.EndReason{Code: 487, Text: "Caller gave up"}, providers.OutcomeMissed)))...)
	}
	if got := one(t, nil, gone); len(got) != 0 {
		t.Errorf("a call that stopped ringing within its second: alerts %q", got)
	}
	again := func(hs *harness) []string {
		out := hs.update(hs.batch(a))
		hs.clk.advance(time.Second)
		out = append(out, hs.update(tickMsg{gen: hs.m.tick.gen})...)
		return append(out, hs.update(hs.batch(next(a, func(c *providers.Call) { c.From.Name = "Adele Vance (Contoso)" })))...)
	}
	if got := one(t, nil, again); len(got) != 1 {
		t.Errorf("a ringing call's later versions rang again: alerts %q", got)
	}
	bellOnly := func(c *Config) { c.Notify = NotifyOff }
	if got := one(t, bellOnly, ringOne(a)); len(got) != 1 || got[0] != "\a" {
		t.Errorf("bell without notifications: %q", got)
	}
	quiet := func(c *Config) { c.Bell, c.Notify = false, NotifyOff }
	if got := one(t, quiet, ringOne(a)); len(got) != 0 {
		t.Errorf("bell and notifications off: %q", got)
	}
}

// A window whose call stopped ringing with nothing else moving (no tick to
// close it) is closed empty before the next call can join it: the next two
// calls within a second still share one alert.
func TestAlertAfterAQuietSpell(t *testing.T) {
	hs := newHarness(t, 110, 24, func(c *Config) { c.Bell = true })
	a := ringing("c1", "Adele Vance", t0)
	var got []string
	got = append(got, hs.update(hs.batch(a))...)
	hs.clk.advance(500 * time.Millisecond)
	got = append(got, hs.update(hs.batch(ended(a, hs.clk.t, providers.EndReason{Code: 487, Text: "Caller gave up"}, providers.OutcomeMissed)))...)
	hs.clk.advance(5 * time.Second)
	got = append(got, hs.update(hs.batch(ringing("c2", "Brian Okafor", hs.clk.t)))...)
	hs.clk.advance(300 * time.Millisecond)
	got = append(got, hs.update(hs.batch(ringing("c3", "Chiara Rossi", hs.clk.t)))...)
	if len(got) != 0 {
		t.Fatalf("alerts before the second was over: %q", got)
	}
	hs.clk.advance(700 * time.Millisecond)
	got = hs.update(tickMsg{gen: hs.m.tick.gen})
	if len(got) != 1 || got[0] != "\a" {
		t.Fatalf("alerts %q, want one bell for both calls", got)
	}
	if calls, _, _ := hs.m.alerts.due(hs.clk.t.Add(time.Hour), func(string) *providers.Call { return nil }); len(calls) != 0 {
		t.Fatalf("the window was not closed: %v", calls)
	}
}

// Each alert is logged at debug level, from the alert's command.
func TestAlertLoggedAtDebug(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	hs := newHarness(t, 110, 24, func(c *Config) { c.Bell, c.Log = true, log })
	hs.update(hs.batch(ringing("c1", "Adele Vance", t0), ringing("c2", "Brian Okafor", t0)))
	if buf.Len() != 0 {
		t.Fatalf("logged before the alert: %s", buf.String())
	}
	hs.clk.advance(time.Second)
	if got := hs.update(tickMsg{gen: hs.m.tick.gen}); len(got) != 1 {
		t.Fatalf("alerts %q, want one", got)
	}
	line := buf.String()
	for _, want := range []string{`"level":"DEBUG"`, `"msg":"alert"`, `"calls":2`, `"bell":true`, `"notify":"off"`, `"title":"2 calls ringing"`} {
		if !strings.Contains(line, want) {
			t.Errorf("log %s lacks %s", line, want)
		}
	}
}

// --notify auto picks by what the environment says the terminal is.
func TestNotifyFor(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want Notify
	}{
		{map[string]string{"TERM_PROGRAM": "iTerm.app", "TERM": "xterm-256color"}, NotifyOSC9},
		{map[string]string{"TERM_PROGRAM": "ghostty", "TERM": "xterm-ghostty"}, NotifyOSC9},
		{map[string]string{"TERM": "xterm-kitty"}, NotifyOSC9},
		{map[string]string{"TERM_PROGRAM": "WezTerm"}, NotifyOSC777},
		{map[string]string{"TERM": "foot"}, NotifyOSC777},
		{map[string]string{"TERM": "rxvt-unicode-256color"}, NotifyOSC777},
		{map[string]string{"WT_SESSION": "0b6f", "TERM": "xterm-256color"}, NotifyOSC777},
		{map[string]string{"KONSOLE_VERSION": "240202", "TERM": "xterm-256color"}, NotifyOSC777},
		{map[string]string{"TERM_PROGRAM": "Apple_Terminal"}, NotifyOff},
		{map[string]string{"TERM": "alacritty"}, NotifyOff},
		{map[string]string{"TERM_PROGRAM": "iTerm.app", "TMUX": "/tmp/tmux-1/default,1,0", "TERM": "tmux-256color"}, NotifyOff},
		{nil, NotifyOff},
	}
	for _, c := range cases {
		got, err := NotifyFor("auto", func(k string) string { return c.env[k] })
		if err != nil || got != c.want {
			t.Errorf("auto with %v: %v %v, want %v", c.env, got, err, c.want)
		}
	}
	for mode, want := range map[string]Notify{"off": NotifyOff, "osc9": NotifyOSC9, "osc777": NotifyOSC777} {
		if got, err := NotifyFor(mode, func(string) string { return "" }); err != nil || got != want {
			t.Errorf("%s: %v %v", mode, got, err)
		}
	}
	if _, err := NotifyFor("osc99\x1b[2J", func(string) string { return "" }); err == nil || strings.ContainsRune(err.Error(), 0x1b) {
		t.Errorf("an unknown mode: %v", err)
	}
}

// Whatever a caller and a queue are called, the sequence keeps its shape.
func FuzzAlertSequence(f *testing.F) {
	f.Add("Adele Vance", "Sales")
	f.Add("\x1b]777;notify;a;b\x07", "\u009d2;t\u009c")
	f.Add("4;3;50", ";;;")
	f.Add("\xff\xfe\x07\x00", strings.Repeat("é", 400))
	f.Fuzz(func(t *testing.T, name, queue string) {
		c := ringing("c1", name, t0)
		c.Queue = queue
		for _, calls := range [][]*providers.Call{{&c}, {&c, &c}} {
			title, body := alertWords(calls, 0)
			for _, mode := range []Notify{NotifyOSC9, NotifyOSC777} {
				seq := alertSequence(true, mode, title, body)
				if !strings.HasPrefix(seq, "\a\x1b]") || !strings.HasSuffix(seq, "\a") || strings.Count(seq, "\a") != 2 || strings.Count(seq, "\x1b") != 1 {
					t.Fatalf("%s: sequence %q", mode, seq)
				}
				checkNotifyPayload(t, seq[3:len(seq)-1], mode)
			}
		}
	})
}
