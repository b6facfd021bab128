package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"ringside/providers"
	"ringside/theme"
)

// scene fills a console with a typical mix: two ringing calls (one with its
// bar partly drained, one nearly out), a talking call, a held one from a
// queue, and two ended calls.
func scene(hs *harness) {
	hs.status(providers.Status{Link: providers.LinkLive, Detail: "simulated, seed 7", Agent: "Ready"})
	alice := ringing("c-alice", "Alice Smith", t0.Add(-6*time.Second))
	alice.From = providers.Party{Name: "Alice Smith", ID: "+44 20 7946 0018", Kind: providers.KindPhone}
	alice.Queue = "Sales"
	alice.Region = "emea"
	bob := ringing("c-bob", "山田 太郎", t0.Add(-13*time.Second))
	bob.Modalities = []string{"audio", "video"}
	carol := answered(ringing("c-carol", "Carol Díaz", t0.Add(-200*time.Second)), t0.Add(-190*time.Second))
	dan := next(answered(ringing("c-dan", "Dan Wu", t0.Add(-700*time.Second)), t0.Add(-650*time.Second)),
		func(c *providers.Call) { c.State, c.Queue = providers.StateHeld, "Support" })
	erin := ended(ringing("c-erin", "Erin", t0.Add(-100*time.Second)), t0.Add(-85*time.Second),
		providers.EndReason{Code: 408, Subcode: 8506, Text: "not answered in time"}, providers.OutcomeMissed)
	fay := ended(answered(ringing("c-fay", "Fay", t0.Add(-400*time.Second)), t0.Add(-390*time.Second)), t0.Add(-30*time.Second),
		providers.EndReason{Code: 200, Subcode: 5000, Text: "hung up by the caller"}, providers.OutcomeHandled)
	hs.events(alice, bob, carol, dan, erin, fay)
}

// goldenView compares the view, as a no-colour terminal gets it, with
// testdata/<test name>.golden (go test -update rewrites them).
func goldenView(t *testing.T, m *Model) {
	t.Helper()
	content := m.View().Content
	checkFrame(t, content, m.width, m.height)
	golden.RequireEqual(t, asciiView(content))
}

// checkFrame: exactly height lines, each exactly width cells: nothing wraps
// and nothing is left over from a previous frame.
func checkFrame(t *testing.T, content string, w, h int) {
	t.Helper()
	ls := lines(content)
	if len(ls) != h {
		t.Errorf("%d lines, want %d", len(ls), h)
	}
	for i, l := range ls {
		if got := ansi.StringWidth(l); got != w {
			t.Errorf("line %d is %d cells wide, want %d: %q", i, got, w, ansi.Strip(l))
		}
	}
}

func TestViewGolden(t *testing.T) {
	t.Run("live", func(t *testing.T) {
		hs := newHarness(t, 100, 30)
		scene(hs)
		goldenView(t, hs.m)
	})
	t.Run("pending", func(t *testing.T) {
		hs := newHarness(t, 100, 30)
		scene(hs)
		hs.key("j")
		// Press a without running the request: it is in flight.
		hs.m.Update(keyPress("a"))
		goldenView(t, hs.m)
	})
	t.Run("picker", func(t *testing.T) {
		hs := newHarness(t, 100, 30)
		scene(hs)
		hs.key("r")
		hs.key("down")
		goldenView(t, hs.m)
	})
	t.Run("confirm", func(t *testing.T) {
		hs := newHarness(t, 100, 30)
		scene(hs)
		hs.key("j")
		hs.key("j")
		hs.key("x")
		goldenView(t, hs.m)
	})
	t.Run("detail", func(t *testing.T) {
		hs := newHarness(t, 100, 30)
		scene(hs)
		hs.key("enter")
		goldenView(t, hs.m)
	})
	t.Run("detail_teams_id", func(t *testing.T) {
		// A Teams caller known only by directory id: the row and the
		// title show a short label, the details the full id on its line.
		hs := newHarness(t, 100, 30)
		scene(hs)
		anon := ringing("c-anon", "", t0.Add(-14*time.Second))
		anon.From = providers.Party{ID: "3f9a2c17-0b4e-4d6a-9c3e-5a1b2c3d4e5f", Kind: providers.KindUser}
		hs.events(anon)
		hs.key("g")
		hs.key("enter")
		goldenView(t, hs.m)
		if got := hs.screen(); strings.Count(got, "3f9a2c17-0b4e-4d6a-9c3e-5a1b2c3d4e5f") != 1 ||
			strings.Count(got, "Teams user ·3f9a2c") != 3 {
			t.Errorf("want the label in the row, the title and the from field, and the full id once:\n%s", got)
		}
	})
	t.Run("detail_route", func(t *testing.T) {
		hs := newHarness(t, 100, 30)
		scene(hs)
		hs.events(routed("c-route"), recordingInvite("c-rec"))
		for i := 0; i < 8 && hs.selectedID() != "c-route"; i++ {
			hs.key("j")
		}
		hs.key("enter")
		goldenView(t, hs.m)
	})
	t.Run("history", func(t *testing.T) {
		hs := newHarness(t, 100, 30)
		scene(hs)
		hs.key("tab")
		goldenView(t, hs.m)
	})
	t.Run("filter", func(t *testing.T) {
		hs := newHarness(t, 100, 30)
		scene(hs)
		hs.key("/")
		for _, r := range "sales" {
			hs.key(string(r))
		}
		goldenView(t, hs.m)
	})
	t.Run("help", func(t *testing.T) {
		hs := newHarness(t, 100, 30)
		scene(hs)
		hs.key("?")
		goldenView(t, hs.m)
	})
	t.Run("readonly_warning_narrow", func(t *testing.T) {
		hs := newHarness(t, 80, 24, func(c *Config) { c.ReadOnly = true })
		scene(hs)
		hs.status(providers.Status{Link: providers.LinkReconnecting, Detail: "stream closed by the server",
			Warning: "inbound authentication is off: anyone who can reach the webhook can post calls"})
		goldenView(t, hs.m)
	})
	t.Run("empty", func(t *testing.T) {
		hs := newHarness(t, 100, 30)
		goldenView(t, hs.m)
	})
	t.Run("target_picker", func(t *testing.T) {
		hs := newHarness(t, 100, 30, withDirectory(testDir(t)))
		scene(hs)
		hs.events(connectedCall("c-gus", "Gus Grant"))
		selectCall(t, hs, "c-gus")
		hs.key("t")
		hs.typeText("sa")
		hs.key("down")
		goldenView(t, hs.m)
	})
	t.Run("agent_menu", func(t *testing.T) {
		hs, _ := newAgentHarness(t, 100, 30)
		scene(hs)
		hs.key("s")
		hs.key("down")
		goldenView(t, hs.m)
	})
}

// boardScene is scene with each call on one of two boards, as a console
// watching two boards gets them.
func boardScene(hs *harness) {
	hs.status(providers.Status{Link: providers.LinkLive, Detail: "front: simulated | back: simulated"})
	var calls []providers.Call
	for i, c := range []providers.Call{
		ringing("front.c-alice", "Alice Smith", t0.Add(-6*time.Second)),
		ringing("back.c-bob", "Bob Stone", t0.Add(-9*time.Second)),
		answered(ringing("back.c-carol", "Carol Díaz", t0.Add(-200*time.Second)), t0.Add(-190*time.Second)),
		ended(ringing("front.c-erin", "Erin", t0.Add(-100*time.Second)), t0.Add(-85*time.Second),
			providers.EndReason{Code: 408, Subcode: 8506, Text: "not answered in time"}, providers.OutcomeMissed),
		ended(ringing("support-emea-west.c-fay", "Fay", t0.Add(-60*time.Second)), t0.Add(-30*time.Second),
			providers.EndReason{Text: "hung up by the caller"}, providers.OutcomeMissed),
	} {
		c.Provider = []string{"front", "back", "back", "front", "support-emea-west"}[i]
		calls = append(calls, c)
	}
	hs.events(calls...)
}

// TestViewGoldenSources: with calls from several boards, each row shows
// its board in a column of its own, on both tabs; a console of one source
// has no such column.
func TestViewGoldenSources(t *testing.T) {
	withSources := func(c *Config) { c.SourceColumn = "BOARD" }
	t.Run("live", func(t *testing.T) {
		hs := newHarness(t, 100, 16, withSources)
		boardScene(hs)
		goldenView(t, hs.m)
	})
	t.Run("history", func(t *testing.T) {
		hs := newHarness(t, 100, 16, withSources)
		boardScene(hs)
		hs.key("tab")
		goldenView(t, hs.m)
	})
	t.Run("narrow", func(t *testing.T) {
		// Below 80 columns the parties keep the room.
		hs := newHarness(t, 70, 16, withSources)
		boardScene(hs)
		if strings.Contains(hs.screen(), "BOARD") {
			t.Fatalf("a board column at 70 columns:\n%s", hs.screen())
		}
	})
	hs := newHarness(t, 100, 16)
	boardScene(hs)
	if scr := hs.screen(); strings.Contains(scr, "BOARD") || strings.Contains(scr, "front ") {
		t.Fatalf("a source column with no SourceColumn:\n%s", scr)
	}
}

// Every screen size from tiny to wide, every view, fills the frame exactly:
// no line wraps, none is short.
func TestViewFillsFrameAtEverySize(t *testing.T) {
	sizes := [][2]int{{120, 35}, {80, 24}, {100, 30}, {60, 20}, {40, 10}, {200, 60}, {95, 12}}
	views := map[string][]string{
		"live": nil, "detail": {"enter"}, "picker": {"r"}, "history": {"tab"},
		"help": {"?"}, "filter": {"/", "a"}, "confirm": {"j", "j", "x"},
	}
	for _, sz := range sizes {
		for name, keys := range views {
			hs := newHarness(t, sz[0], sz[1])
			scene(hs)
			for _, k := range keys {
				hs.key(k)
			}
			t.Run(name, func(t *testing.T) {
				checkFrame(t, hs.m.View().Content, sz[0], sz[1])
			})
		}
	}
	// Too small to draw: one line that says so, cut to the width.
	hs := newHarness(t, 30, 5)
	if got := hs.screen(); !strings.HasPrefix(got, "ringside needs at least") || ansi.StringWidth(got) != 30 {
		t.Errorf("tiny screen: %q", got)
	}
}

// Resizing reflows: the narrow layout drops columns instead of wrapping and
// the wide one brings them back.
func TestResizeReflows(t *testing.T) {
	hs := newHarness(t, 120, 35)
	scene(hs)
	if !strings.Contains(hs.screen(), "MEDIA") {
		t.Fatal("no media column at 120")
	}
	hs.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	scr := hs.screen()
	if strings.Contains(scr, "MEDIA") || !strings.Contains(scr, "CALLEE") {
		t.Errorf("80 columns should drop media and keep the callee:\n%s", scr)
	}
	checkFrame(t, hs.m.View().Content, 80, 24)
	hs.send(tea.WindowSizeMsg{Width: 120, Height: 35})
	checkFrame(t, hs.m.View().Content, 120, 35)
}

// The countdown is drawn from the clock: time passing drains the bar and,
// at zero, the row says the call was not answered until the provider ends it.
func TestCountdownReachesZero(t *testing.T) {
	hs := newHarness(t, 100, 30)
	hs.events(ringing("c1", "Alice", t0.Add(-6*time.Second)))
	if l := selectedLine(hs); !strings.Contains(l, " 9s") || !strings.Contains(l, "◉ ringing") {
		t.Fatalf("row %q", l)
	}
	hs.clk.advance(5 * time.Second)
	hs.send(tickMsg{})
	if l := selectedLine(hs); !strings.Contains(l, " 4s") {
		t.Fatalf("after 5 s: %q", l)
	}
	hs.clk.advance(5 * time.Second)
	hs.send(tickMsg{})
	if l := selectedLine(hs); !strings.Contains(l, "⊘ no answer") || !strings.Contains(l, " 0s") {
		t.Fatalf("after the deadline: %q", l)
	}
	if strings.Contains(hs.screen(), "a answer") {
		t.Error("answer still offered after the deadline")
	}
}

// Display names from the network cannot move the cursor or break the frame.
func TestHostileNames(t *testing.T) {
	hs := newHarness(t, 100, 30)
	c := ringing("c1", "\x1b[2J\x1b[HEvil\nName\r\x07", t0)
	c.To.Name = strings.Repeat("W", 500)
	c.Queue = "\x9b31mq"
	hs.events(c)
	hs.key("enter")
	content := hs.m.View().Content
	checkFrame(t, content, 100, 30)
	if strings.Contains(content, "\x1b[2J") || strings.Contains(content, "\x07") || strings.Contains(content, "\x1b[H") {
		t.Errorf("escape sequences from a name reached the screen: %q", content)
	}
	if !strings.Contains(hs.screen(), "Evil Name") {
		t.Errorf("name not shown cleaned:\n%s", hs.screen())
	}
}

// The styles of each theme draw the same frame geometry.
func TestThemesDrawSameGeometry(t *testing.T) {
	var want string
	for _, n := range []theme.Name{theme.Mono, theme.Dark, theme.Light} {
		hs := newHarness(t, 100, 30, func(c *Config) { c.Theme = n })
		scene(hs)
		got := hs.screen()
		checkFrame(t, hs.m.View().Content, 100, 30)
		if want == "" {
			want = got
		} else if got != want {
			t.Errorf("%s draws different text from mono", n)
		}
	}
}

// The most urgent countdown is mirrored in the terminal's progress bar.
func TestProgressBarMirrorsMostUrgent(t *testing.T) {
	hs := newHarness(t, 100, 30)
	if hs.m.View().ProgressBar != nil {
		t.Fatal("progress bar with nothing ringing")
	}
	hs.events(ringing("c1", "A", t0.Add(-12*time.Second)), ringing("c2", "B", t0))
	pb := hs.m.View().ProgressBar
	if pb == nil || pb.State != tea.ProgressBarError || pb.Value != 20 {
		t.Fatalf("progress bar %+v, want error state at 20%%", pb)
	}
	if title := hs.m.View().WindowTitle; title != "ringside · 2 ringing" {
		t.Errorf("window title %q", title)
	}
}

// Whatever text a provider passes through from the network, the frame keeps
// its shape and nothing panics.
func FuzzCallText(f *testing.F) {
	f.Add("Alice Smith", "+1 555 0100", "Sales", "emea", "busy", "audio")
	f.Add("山田 太郎", "", "", "", "", "video")
	f.Add("\x1b[2J\x1b]0;x\x07", "\r\n\t", "\x9b1m", "\u200b\u0301", "👩‍💻", "")
	f.Fuzz(func(t *testing.T, name, number, queue, region, reason, modality string) {
		hs := newHarness(t, 80, 24)
		c := ringing("c1", name, t0.Add(-3*time.Second))
		c.From.ID, c.Queue, c.Region, c.Modalities = number, queue, region, []string{modality}
		e := ended(ringing("c2", number, t0.Add(-90*time.Second)), t0.Add(-60*time.Second), providers.EndReason{Code: 486, Text: reason}, providers.OutcomeRejected)
		e.To.Name = name
		hs.events(c, e)
		hs.key("enter")
		checkFrame(t, hs.m.View().Content, 80, 24)
		hs.key("r")
		checkFrame(t, hs.m.View().Content, 80, 24)
		hs.key("esc")
		hs.key("tab")
		checkFrame(t, hs.m.View().Content, 80, 24)
		hs.key("/")
		for _, r := range name {
			hs.send(tea.KeyPressMsg{Code: r, Text: string(r)})
		}
		checkFrame(t, hs.m.View().Content, 80, 24)
	})
}

// With more calls than fit, the tab line says which rows are shown, in a
// shorter form on narrow screens, and is never cut mid-word.
func TestScrollIndicatorFits(t *testing.T) {
	for _, w := range []int{120, 80, 60} {
		hs := newHarness(t, w, 24)
		var calls []providers.Call
		for i := range 2000 {
			c := ringing(fmt.Sprintf("c%04d", i), "Caller", t0.Add(-time.Duration(i)*time.Millisecond))
			if i%3 == 0 {
				c = answered(c, t0)
			}
			calls = append(calls, c)
		}
		hs.events(calls...)
		var gone []providers.Call
		for i := range 300 {
			gone = append(gone, ended(calls[i], t0, providers.EndReason{Text: "gone"}, providers.OutcomeMissed))
		}
		hs.events(gone...)
		tabs := lines(hs.screen())[1]
		if strings.Contains(tabs, "…") {
			t.Errorf("%d wide: the tab line is cut: %q", w, tabs)
		}
		if w >= 80 && !strings.Contains(tabs, "1–19") {
			t.Errorf("%d wide: the tab line does not say which rows are shown: %q", w, tabs)
		}
	}
}

// A name can hide a right-to-left override or zero-width characters, which
// make "Bob\u202etxt.exe" read as another name, or an escape sequence. The
// table, the details and the status line show none of them, whatever path
// the call took to the console.
func TestNetworkTextIsDrawnClean(t *testing.T) {
	hs := newHarness(t, 100, 24)
	spoof := "Ad\u200bele\u202eecnaV\u2066 \x1b]52;c;aGk=\x07\u009b2J"
	c := ringing("c1", spoof, t0.Add(-2*time.Second))
	c.Queue = "Sa\u200dles\u2069"
	hs.events(c)
	for _, screen := range []string{"table", "details"} {
		if screen == "details" {
			hs.key("enter")
		}
		frame := hs.m.View().Content
		checkFrame(t, frame, 100, 24)
		for _, bad := range []string{"\u200b", "\u200d", "\u202e", "\u2066", "\u2069", "\u009b", "52;c"} {
			if strings.Contains(frame, bad) {
				t.Errorf("%s keeps %q:\n%s", screen, bad, asciiView(frame))
			}
		}
		if !strings.Contains(frame, "AdeleecnaV") || !strings.Contains(frame, "Sales") {
			t.Errorf("%s lost the readable text:\n%s", screen, asciiView(frame))
		}
	}
}

// The tabs line is drawn from cache while nothing it shows changes: after
// each change here, the frame's line is the one drawn afresh.
func TestTabsLineCached(t *testing.T) {
	calls := ringingCalls(60, time.Second)
	m, _ := benchModel(t, calls[:40], 120, 30)
	check := func(step string) {
		t.Helper()
		_ = m.View()
		var cached, fresh strings.Builder
		m.writeTabs(&cached)
		total, off, rows := m.list(m.tab).Len(), m.offset[m.tab], m.tableH
		if m.tab == tabQueues {
			total, off, rows = len(m.queues.order), m.queues.offset, m.queues.lay.rows
		}
		m.composeTabs(&fresh, total, off, rows)
		if cached.String() != fresh.String() {
			t.Fatalf("%s: tabs line\n%q\nwant\n%q", step, cached.String(), fresh.String())
		}
	}
	apply := func(cs ...providers.Call) {
		evs := make([]providers.Event, len(cs))
		for i := range cs {
			evs[i] = providers.Event{Time: t0, Call: &cs[i]}
		}
		m.Update(eventsMsg{events: evs})
	}
	check("start")
	apply(calls[40:]...)
	check("more calls")
	apply(answered(calls[0], t0))
	check("answered")
	apply(ended(answered(calls[1], t0), t0, providers.EndReason{}, providers.OutcomeHandled))
	check("ended")
	m.offset[m.tab] = 5
	check("scrolled")
	m.Update(tea.WindowSizeMsg{Width: 70, Height: 30})
	check("narrower")
	for _, tb := range []tab{tabHistory, tabQueues, tabLive} {
		m.tab = tb
		check(fmt.Sprintf("tab %d", tb))
	}
	apply(answered(calls[50], t0))
	check("answered again")
	m.store.n.missed++ // a count alone, the rows shown the same
	check("a count")
}
