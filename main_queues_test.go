package main

import (
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"ringside/providers"
	"ringside/providers/natsboard"
)

// firstFrame runs the console's first update: its size, then Init's
// commands once (the first batch of events), and returns what it draws.
func firstFrame(m tea.Model, w, h int) string {
	m, _ = m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	var runCmd func(tea.Cmd)
	runCmd = func(c tea.Cmd) {
		if c == nil {
			return
		}
		switch msg := c().(type) {
		case tea.BatchMsg:
			for _, c := range msg {
				runCmd(c)
			}
		default:
			m, _ = m.Update(msg)
		}
	}
	runCmd(m.Init())
	return m.View().Content
}

// --view queues opens the console on the Queues view, and the figures'
// flags reach it: the caption says what they are over.
func TestConsoleOpensOnTheQueuesView(t *testing.T) {
	te := newTestEnv(nil)
	e := te.env()
	call := providers.Call{ID: "C1", Provider: "scripted", State: providers.StateRinging, Direction: providers.Incoming,
		From: providers.Party{Name: "Carol"}, Queue: "Sales", Arrived: time.Now().Add(time.Second), Version: 1}
	p := &scriptedProvider{events: []providers.Event{providers.CallEvent(time.Now(), call)}, waitForCancel: true}
	e.newProvider = func(*cli, providers.Options) (providers.Provider, error) { return p, nil }
	var view string
	e.runConsole = func(m tea.Model, _ ...tea.ProgramOption) error {
		view = firstFrame(m, 120, 35)
		return nil
	}
	args := []string{"--view", "queues", "--theme", "mono", "--stats-window", "30m", "--service-level", "15s", "--service-level-target", "92.5%"}
	if code := run(args, e); code != exitOK {
		t.Fatalf("exit %d: %s", code, te.stderr.String())
	}
	for _, want := range []string{"[Queues 1]", "over the last 30m · service level: answered within 15s, target 92.5%",
		"(this console's start)", "Sales "} {
		if !strings.Contains(view, want) {
			t.Errorf("the first frame lacks %q:\n%s", want, view)
		}
	}
}

// --view takes only the console's views.
func TestViewFlagIsChecked(t *testing.T) {
	te := newTestEnv(nil)
	if code := run([]string{"--view", "board"}, te.env()); code != exitUsage || !strings.Contains(te.stderr.String(), "--view") {
		t.Errorf("--view board: exit %d, stderr %q", code, te.stderr.String())
	}
}

// The figures count from the console's start, except on a board, whose
// relay saw its past: there they cover the whole window.
func TestFiguresCountFromTheStartExceptOnABoard(t *testing.T) {
	start := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	f := figuresFlags{StatsWindow: time.Hour, ServiceLevel: 20 * time.Second, ServiceLevelTarget: 0.8}
	for provider, want := range map[string]time.Time{"demo": start, "graph": start, "genesys": start, natsboard.Name: {}} {
		if cfg := consoleFigures(f, provider, start); !cfg.Since.Equal(want) || cfg.Window != time.Hour || cfg.Target != 0.8 {
			t.Errorf("%s: %+v, want since %v", provider, cfg, want)
		}
	}
}
