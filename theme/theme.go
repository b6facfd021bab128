// Package theme turns one semantic palette (ringing, active, danger, …) into
// the single Styles value the console draws with. Styles are built once per
// theme and background, never inside the render loop.
//
// Four names are offered: dark, light, mono and auto. Auto picks dark or light
// from the terminal's background, which the console asks for once at start.
// Mono has no colour at all: the selection is reverse video and bold, states
// carry a glyph and a word, so NO_COLOR terminals lose nothing but colour.
package theme

import (
	"fmt"
	"image/color"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textinput"
	"charm.land/lipgloss/v2"
)

// Name names a theme.
type Name string

const (
	Auto  Name = "auto"  // dark or light, following the terminal background
	Dark  Name = "dark"  // colours for a dark background
	Light Name = "light" // colours for a light background
	Mono  Name = "mono"  // no colour: bold, faint and reverse only
)

// ParseName reads a theme name without regard to case or surrounding space.
func ParseName(s string) (Name, error) {
	n := Name(strings.ToLower(strings.TrimSpace(s)))
	switch n {
	case Auto, Dark, Light, Mono:
		return n, nil
	case "":
		return Auto, nil
	}
	return "", fmt.Errorf("unknown theme %q: choose auto, dark, light or mono", s)
}

// Choose is ParseName plus the NO_COLOR convention: any non-empty NO_COLOR
// forces mono whatever was asked for (no-color.org says any value counts, so
// "yes" counts too). getenv may be nil for os.Getenv-free tests.
func Choose(s string, getenv func(string) string) (Name, error) {
	n, err := ParseName(s)
	if err != nil {
		return "", err
	}
	if getenv != nil && getenv("NO_COLOR") != "" {
		return Mono, nil
	}
	return n, nil
}

// NeedsBackground reports whether the theme depends on the terminal's
// background colour, which the console must then ask for.
func (n Name) NeedsBackground() bool { return n == Auto }

// Palette is the meaning of each colour. A nil colour means "the terminal's
// own" (mono uses nil everywhere).
type Palette struct {
	Text, Muted, Accent          color.Color
	Ringing, Connecting          color.Color
	Active, Held, Ending, Ended  color.Color
	Warning, Danger, Success     color.Color
	SelectionBg, SelectionFg     color.Color
	HeaderBg, HeaderFg           color.Color
	BarGreen, BarAmber, BarRed   color.Color
	BarEmpty, Border, StatusLine color.Color
}

func darkPalette() Palette {
	c := lipgloss.Color
	return Palette{
		Text: c("#D7DAE0"), Muted: c("#7F8490"), Accent: c("#7DCFFF"),
		Ringing: c("#F2C14E"), Connecting: c("#56B6C2"),
		Active: c("#5FD38D"), Held: c("#82AAFF"), Ending: c("#C792EA"), Ended: c("#7F8490"),
		Warning: c("#F2A541"), Danger: c("#FF6B7A"), Success: c("#5FD38D"),
		SelectionBg: c("#33415E"), SelectionFg: c("#FFFFFF"),
		HeaderBg: c("#232838"), HeaderFg: c("#E6E9F0"),
		BarGreen: c("#5FD38D"), BarAmber: c("#F2A541"), BarRed: c("#FF6B7A"),
		BarEmpty: c("#3A3F4B"), Border: c("#4B5263"), StatusLine: c("#ABB2BF"),
	}
}

func lightPalette() Palette {
	c := lipgloss.Color
	return Palette{
		Text: c("#1F2328"), Muted: c("#6E7781"), Accent: c("#0969DA"),
		Ringing: c("#9A6700"), Connecting: c("#0E7490"),
		Active: c("#1A7F37"), Held: c("#0550AE"), Ending: c("#8250DF"), Ended: c("#6E7781"),
		Warning: c("#BC4C00"), Danger: c("#CF222E"), Success: c("#1A7F37"),
		SelectionBg: c("#CFE3FF"), SelectionFg: c("#0B1F3A"),
		HeaderBg: c("#E8ECF2"), HeaderFg: c("#1F2328"),
		BarGreen: c("#2DA44E"), BarAmber: c("#D4A72C"), BarRed: c("#CF222E"),
		BarEmpty: c("#D0D7DE"), Border: c("#AFB8C1"), StatusLine: c("#424A53"),
	}
}

// Styles is everything the console draws with, built once.
type Styles struct {
	Name Name // the theme actually in use (dark or light for auto)
	Dark bool // whether it was built for a dark background
	Mono bool // no colour: selection by reverse video, state by glyph and word

	// Header.
	HeaderBar        lipgloss.Style // the first line, full width
	Title            lipgloss.Style // the program name
	Provider         lipgloss.Style
	LinkLive         lipgloss.Style
	LinkConnecting   lipgloss.Style
	LinkReconnecting lipgloss.Style
	LinkFailed       lipgloss.Style
	Agent            lipgloss.Style
	ReadOnly         lipgloss.Style // the read-only badge
	Clock            lipgloss.Style
	WarningBanner    lipgloss.Style // a provider's standing warning
	TabActive        lipgloss.Style
	TabInactive      lipgloss.Style
	CountLabel       lipgloss.Style
	CountRinging     lipgloss.Style
	CountActive      lipgloss.Style
	CountHandled     lipgloss.Style
	CountRejected    lipgloss.Style
	CountMissed      lipgloss.Style
	CountTransferred lipgloss.Style
	ColumnHeader     lipgloss.Style

	// Table cells, each with the look it takes on the selected row.
	Table Table

	// Chrome is the header, status and filter styles reduced to paints.
	Chrome Chrome

	// Queues is the Queues view's paints (queues.go).
	Queues Queues

	// Status line.
	StatusInfo    lipgloss.Style
	StatusSuccess lipgloss.Style
	StatusError   lipgloss.Style
	Confirm       lipgloss.Style // the hang-up question

	// Panels: reason picker and call detail.
	Panel          lipgloss.Style // border and padding
	PanelTitle     lipgloss.Style
	Label          lipgloss.Style
	Value          lipgloss.Style
	Option         lipgloss.Style
	OptionSelected lipgloss.Style
	Hint           lipgloss.Style
	// Match marks the characters of a picker entry that the typed text
	// matched (target picker), MatchSelected on the selected entry:
	// underlined, so it shows without colour.
	Match         lipgloss.Style
	MatchSelected lipgloss.Style

	// Filter line.
	FilterPrompt lipgloss.Style
	FilterText   lipgloss.Style
	FilterCount  lipgloss.Style
	CursorColor  color.Color // the real cursor in the filter input; nil = terminal's
	// Input is a text field's looks (the filter, the target picker), made
	// of the filter line's text, the hint and the cursor colour.
	Input textinput.Styles

	Help help.Styles
}

// Table holds the paints of the call table. Rows are drawn from these rather
// than from lipgloss.Style.Render because a frame may redraw every visible row.
type Table struct {
	Text, Muted, Cursor                  Cell
	Ringing, Connecting, Active, Held    Cell
	Ending, Ended, Pending, TimedOut     Cell
	BarGreen, BarAmber, BarRed, BarEmpty Cell
	Duration, Handled, Rejected, Missed  Cell
	Transferred                          Cell
	ColumnHeader                         Paint
	Empty                                Paint // the "no calls" line
}

// Chrome holds the paints of everything around the table: the header and
// its link, the tabs and counts, the status line and the filter line. Like
// Table, they are drawn on every frame, so they are reduced once here.
type Chrome struct {
	Bar, Title, Provider, Agent, ReadOnly, Clock Paint
	Live, Connecting, Reconnecting, Failed       Paint // the link
	Warning                                      Paint // a provider's standing warning
	TabOn, TabOff, Label                         Paint
	Ringing, Active, Handled, Rejected, Missed   Paint // the counts
	Transferred                                  Paint // the counts
	Info, Success, Failure, Confirm              Paint // the status line
	FilterPrompt, FilterCount, Hint, Dim         Paint
}

// Cell is one table cell's paint on an ordinary row and on the selected row.
type Cell struct{ Normal, Selected Paint }

// Get returns the selected or the ordinary paint.
func (c Cell) Get(selected bool) Paint {
	if selected {
		return c.Selected
	}
	return c.Normal
}

// Paint is a style reduced to the escape sequences that open and close it,
// for text that is already cut to width. Writing one costs a string copy.
type Paint struct{ Open, Close string }

// PaintOf reduces an inline style (colours and attributes, no padding,
// borders or sizes) to its escape sequences.
func PaintOf(s lipgloss.Style) Paint {
	const mark = "\u0001"
	out := s.Inline(true).Render(mark)
	open, close, ok := strings.Cut(out, mark)
	if !ok {
		return Paint{}
	}
	return Paint{Open: open, Close: close}
}

// Render wraps s in the paint.
func (p Paint) Render(s string) string {
	if p.Open == "" {
		return s
	}
	return p.Open + s + p.Close
}

// Write appends s, painted, to b.
func (p Paint) Write(b *strings.Builder, s string) {
	b.WriteString(p.Open)
	b.WriteString(s)
	b.WriteString(p.Close)
}

// New builds the styles of the named theme. darkBackground is only consulted
// for auto, which becomes dark or light accordingly.
func New(name Name, darkBackground bool) (Styles, error) {
	switch name {
	case Auto:
		if darkBackground {
			return build(Dark, true, darkPalette()), nil
		}
		return build(Light, false, lightPalette()), nil
	case Dark:
		return build(Dark, true, darkPalette()), nil
	case Light:
		return build(Light, false, lightPalette()), nil
	case Mono:
		return build(Mono, darkBackground, Palette{}), nil
	}
	return Styles{}, fmt.Errorf("unknown theme %q: choose auto, dark, light or mono", name)
}

// MustNew is New for names known to be valid (constants); it panics on an
// unknown name, which is a programming error.
func MustNew(name Name, darkBackground bool) Styles {
	s, err := New(name, darkBackground)
	if err != nil {
		panic(err)
	}
	return s
}

func build(name Name, dark bool, p Palette) Styles {
	mono := name == Mono
	st := lipgloss.NewStyle
	fg := func(c color.Color) lipgloss.Style {
		if c == nil {
			return st()
		}
		return st().Foreground(c)
	}
	// In mono, "muted" text is faint rather than grey.
	muted := fg(p.Muted)
	if mono {
		muted = st().Faint(true)
	}
	header := st()
	if !mono {
		header = header.Background(p.HeaderBg).Foreground(p.HeaderFg)
	} else {
		header = header.Reverse(true)
	}
	onHeader := func(s lipgloss.Style) lipgloss.Style {
		if mono {
			return s.Reverse(true)
		}
		return s.Background(p.HeaderBg)
	}

	s := Styles{Name: name, Dark: dark, Mono: mono}
	s.HeaderBar = header
	s.Title = onHeader(fg(p.HeaderFg).Bold(true))
	s.Provider = onHeader(fg(p.HeaderFg))
	s.LinkLive = onHeader(fg(p.Success).Bold(true))
	s.LinkConnecting = onHeader(fg(p.Warning))
	s.LinkReconnecting = onHeader(fg(p.Warning).Bold(true))
	s.LinkFailed = onHeader(fg(p.Danger).Bold(true))
	s.Agent = onHeader(fg(p.Accent))
	s.Clock = onHeader(fg(p.HeaderFg))
	if mono {
		s.ReadOnly = st().Bold(true) // un-reversed inside the reversed bar: stands out
	} else {
		s.ReadOnly = st().Background(p.Warning).Foreground(p.HeaderBg).Bold(true)
	}
	if mono {
		s.WarningBanner = st().Bold(true).Reverse(true)
	} else {
		s.WarningBanner = st().Background(p.Danger).Foreground(lipgloss.Color("#FFFFFF")).Bold(true)
	}
	s.TabActive = fg(p.Accent).Bold(true).Underline(true)
	s.TabInactive = muted
	s.CountLabel = muted
	s.CountRinging = fg(p.Ringing).Bold(true)
	s.CountActive = fg(p.Active).Bold(true)
	s.CountHandled = fg(p.Text)
	s.CountRejected = fg(p.Danger)
	s.CountMissed = fg(p.Warning)
	s.CountTransferred = fg(p.Held)
	s.ColumnHeader = muted.Bold(true)
	if mono {
		s.ColumnHeader = st().Bold(true).Underline(true)
	}

	s.StatusInfo = fg(p.StatusLine)
	s.StatusSuccess = fg(p.Success)
	s.StatusError = fg(p.Danger).Bold(true)
	s.Confirm = fg(p.Warning).Bold(true)
	if mono {
		s.Confirm = st().Bold(true).Reverse(true)
	}

	border := st().Border(lipgloss.RoundedBorder()).Padding(0, 1)
	if !mono {
		border = border.BorderForeground(p.Border)
	}
	s.Panel = border
	s.PanelTitle = fg(p.Accent).Bold(true)
	s.Label = muted
	s.Value = fg(p.Text)
	s.Option = fg(p.Text)
	s.OptionSelected = selected(st(), p, mono)
	s.Hint = muted
	s.Match = fg(p.Accent).Bold(true).Underline(true)
	s.MatchSelected = selected(s.Match, p, mono)

	s.FilterPrompt = fg(p.Accent).Bold(true)
	s.FilterText = fg(p.Text)
	s.FilterCount = muted
	s.CursorColor = p.Accent
	s.Input = textinput.DefaultStyles(s.Dark)
	s.Input.Focused.Text, s.Input.Blurred.Text = s.FilterText, s.FilterText
	s.Input.Focused.Placeholder, s.Input.Blurred.Placeholder = s.Hint, s.Hint
	s.Input.Cursor.Color, s.Input.Cursor.Blink = s.CursorColor, false

	if mono {
		s.Help = help.Styles{
			ShortKey: st().Bold(true), ShortDesc: st(), ShortSeparator: st().Faint(true),
			FullKey: st().Bold(true), FullDesc: st(), FullSeparator: st().Faint(true),
			Ellipsis: st().Faint(true),
		}
	} else {
		s.Help = help.Styles{
			ShortKey: fg(p.Accent), ShortDesc: muted, ShortSeparator: fg(p.Border),
			FullKey: fg(p.Accent), FullDesc: muted, FullSeparator: fg(p.Border),
			Ellipsis: fg(p.Border),
		}
	}

	cell := func(base lipgloss.Style) Cell {
		return Cell{Normal: PaintOf(base), Selected: PaintOf(selected(base, p, mono))}
	}
	// Dim text would vanish on the selection colour: it turns to the
	// selection's own foreground there.
	dimCell := func(base lipgloss.Style) Cell {
		sel := selected(base, p, mono)
		if !mono {
			sel = sel.Foreground(p.SelectionFg).Faint(false)
		}
		return Cell{Normal: PaintOf(base), Selected: PaintOf(sel)}
	}
	t := &s.Table
	t.Text = cell(fg(p.Text))
	t.Muted = dimCell(muted)
	t.Cursor = cell(fg(p.Accent).Bold(true))
	t.Ringing = cell(fg(p.Ringing).Bold(true))
	t.Connecting = cell(fg(p.Connecting))
	t.Active = cell(fg(p.Active))
	t.Held = cell(fg(p.Held))
	t.Ending = cell(fg(p.Ending))
	t.Ended = dimCell(muted)
	t.Pending = cell(fg(p.Accent).Italic(true))
	t.TimedOut = cell(fg(p.Danger).Bold(true))
	t.BarGreen = cell(fg(p.BarGreen))
	t.BarAmber = cell(fg(p.BarAmber))
	t.BarRed = cell(fg(p.BarRed).Bold(true))
	// The empty part of a bar is dim; on the selection it is the muted grey
	// so that it still shows against the selection colour.
	t.BarEmpty = Cell{Normal: PaintOf(fg(p.BarEmpty)), Selected: PaintOf(selected(fg(p.Muted), p, mono))}
	if mono {
		t.BarEmpty = cell(st().Faint(true))
	}
	t.Duration = cell(fg(p.Text))
	t.Handled = cell(fg(p.Success))
	t.Rejected = cell(fg(p.Danger))
	t.Missed = cell(fg(p.Warning))
	t.Transferred = cell(fg(p.Held))
	t.ColumnHeader = PaintOf(s.ColumnHeader)
	t.Empty = PaintOf(muted)
	s.Chrome = chrome(&s)
	s.Queues = queues(p, mono)
	return s
}

// chrome reduces the styles around the table to paints.
func chrome(s *Styles) Chrome {
	p := PaintOf
	return Chrome{
		Bar: p(s.HeaderBar), Title: p(s.Title), Provider: p(s.Provider), Agent: p(s.Agent),
		ReadOnly: p(s.ReadOnly), Clock: p(s.Clock),
		Live: p(s.LinkLive), Connecting: p(s.LinkConnecting), Reconnecting: p(s.LinkReconnecting),
		Failed: p(s.LinkFailed), Warning: p(s.WarningBanner),
		TabOn: p(s.TabActive), TabOff: p(s.TabInactive), Label: p(s.CountLabel),
		Ringing: p(s.CountRinging), Active: p(s.CountActive), Handled: p(s.CountHandled),
		Rejected: p(s.CountRejected), Missed: p(s.CountMissed), Transferred: p(s.CountTransferred),
		Info: p(s.StatusInfo), Success: p(s.StatusSuccess), Failure: p(s.StatusError),
		Confirm: p(s.Confirm), FilterPrompt: p(s.FilterPrompt), FilterCount: p(s.FilterCount),
		Hint: p(s.Hint), Dim: p(s.Label),
	}
}

// selected is base as it looks on the selected row: a solid selection
// background in colour, reverse video in mono; bold either way.
func selected(base lipgloss.Style, p Palette, mono bool) lipgloss.Style {
	if mono {
		return base.Reverse(true).Bold(true).Faint(false)
	}
	return base.Background(p.SelectionBg).Bold(true)
}
